-- wrk script for bench/run. Environment:
--   BENCH_PATH    path template; "{id}" is replaced by a random line of BENCH_IDS
--   BENCH_IDS     file with one id per line (optional)
--   BENCH_TOKEN   bearer token (optional)
--   BENCH_DELAY   milliseconds each connection waits between requests (optional: open loop)
-- Prints one JSON line with the counts and latency percentiles (microseconds).

local path = os.getenv("BENCH_PATH")
local token = os.getenv("BENCH_TOKEN")
local delay_ms = tonumber(os.getenv("BENCH_DELAY") or "")
local ids = {}

local ids_file = os.getenv("BENCH_IDS")
if ids_file then
  for line in io.lines(ids_file) do
    ids[#ids + 1] = line
  end
end

local headers = { ["Accept"] = "application/json" }
if token then
  headers["Authorization"] = "Bearer " .. token
end

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("seed", counter)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(1000 + (seed or 0))
  non2xx = 0
end

function request()
  local p = path
  if #ids > 0 then
    p = path:gsub("{id}", ids[math.random(#ids)])
  end
  return wrk.format("GET", p, headers)
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
end

if delay_ms then
  function delay()
    return delay_ms
  end
end

function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do
    bad = bad + (thread:get("non2xx") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "non2xx": %d, "socket_errors": %d, ' ..
    '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, bad, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
