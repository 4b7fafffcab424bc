//! Typed configuration, read once at start-up from `BUYIN_*` environment variables (and a `.env`
//! file when present). A bad value is a [`ConfigError`] naming the variable, so `main` can print
//! one clear line and exit with status 2 instead of panicking.

use std::{fmt, path::PathBuf, time::Duration};

use clap::{CommandFactory, FromArgMatches, Parser};
use secrecy::{ExposeSecret, SecretString};

/// Everything the server needs to start.
#[derive(Clone)]
pub struct Config {
    pub database_url: String,
    pub bind: String,
    pub jwt_secret: SecretString,
    pub access_token_ttl: Duration,
    pub log_filter: String,
    pub log_format: LogFormat,
    pub cors_origins: Vec<String>,
    pub db_max_connections: u32,
    /// HTTP worker threads; `None` means one per core.
    pub workers: Option<usize>,
    pub webhooks: WebhookSettings,
    pub deadlines: Deadlines,
    /// Load balancers or reverse proxies whose `X-Forwarded-For` is believed when they connect:
    /// the client's address (for per-source throttling) is then the last one they added.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Shifts the one clock (`BUYIN_CLOCK_OFFSET`): demos and tests build history with it.
    pub clock_offset: chrono::TimeDelta,
}

/// How long the server waits for slow clients, slow requests and a stop.
#[derive(Clone, Copy, Debug)]
pub struct Deadlines {
    /// A request body must arrive within this long (else 408).
    pub body: Duration,
    /// Every request is answered within this long (else 503 with `Retry-After`).
    pub request: Duration,
    /// After SIGTERM, `/readyz` answers 503 for this long while requests are still served, so a
    /// load balancer stops sending new ones before the listener closes.
    pub shutdown_drain: Duration,
}

impl Default for Deadlines {
    fn default() -> Self {
        Deadlines {
            body: Duration::from_secs(10),
            request: Duration::from_secs(30),
            shutdown_drain: Duration::ZERO,
        }
    }
}

/// How webhooks are delivered.
#[derive(Clone, Debug)]
pub struct WebhookSettings {
    /// Allow loopback and private addresses (local development and tests only).
    pub allow_private: bool,
    /// Multiplies the retry delays (tests shorten them).
    pub backoff_scale: f64,
    /// How often the delivery worker looks for due deliveries.
    pub poll_interval: Duration,
    /// How long one delivery attempt may wait for the receiver.
    pub timeout: Duration,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// A configuration value that cannot be used; `var` names the environment variable.
#[derive(Debug)]
pub struct ConfigError {
    pub var: String,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid configuration: {}: {}", self.var, self.message)
    }
}

impl std::error::Error for ConfigError {}

fn invalid(var: impl Into<String>, message: impl Into<String>) -> ConfigError {
    ConfigError {
        var: var.into(),
        message: message.into(),
    }
}

pub const DEFAULT_DATABASE_URL: &str = "sqlite://buyin.db?mode=rwc";
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
const MIN_SECRET_BYTES: usize = 32;

/// Where a secret came from, so start-up can warn about a generated one.
#[derive(Debug, PartialEq, Eq)]
pub enum SecretSource {
    Environment,
    GeneratedFile(PathBuf),
    Ephemeral,
}

/// Every `BUYIN_*` variable, declared once: its name, default, parser and bound. Parsed by
/// clap from the environment (`env`), or from any lookup in tests and benchmarks.
#[derive(Parser, Debug)]
#[command(
    no_binary_name = true,
    disable_help_flag = true,
    disable_version_flag = true
)]
struct Vars {
    #[arg(long = "BUYIN_DATABASE_URL", env = "BUYIN_DATABASE_URL", default_value = DEFAULT_DATABASE_URL, value_parser = database_url)]
    database_url: (String, Backend),
    #[arg(long = "BUYIN_BIND", env = "BUYIN_BIND", default_value = DEFAULT_BIND, value_parser = bind)]
    bind: String,
    #[arg(long = "BUYIN_JWT_SECRET", env = "BUYIN_JWT_SECRET", hide_env_values = true, value_parser = jwt_secret)]
    jwt_secret: Option<String>,
    #[arg(long = "BUYIN_ACCESS_TOKEN_TTL", env = "BUYIN_ACCESS_TOKEN_TTL", default_value = "15m", value_parser = access_token_ttl)]
    access_token_ttl: Duration,
    #[arg(long = "BUYIN_LOG", env = "BUYIN_LOG", default_value = "info", value_parser = log_filter)]
    log: String,
    #[arg(long = "BUYIN_LOG_FORMAT", env = "BUYIN_LOG_FORMAT", default_value = "text", value_parser = log_format)]
    log_format: LogFormat,
    #[arg(long = "BUYIN_CORS_ORIGINS", env = "BUYIN_CORS_ORIGINS", default_value = "", value_parser = cors_origins)]
    cors_origins: List<String>,
    #[arg(long = "BUYIN_DB_MAX_CONNECTIONS", env = "BUYIN_DB_MAX_CONNECTIONS", default_value = "8", value_parser = db_max_connections)]
    db_max_connections: u32,
    #[arg(long = "BUYIN_WORKERS", env = "BUYIN_WORKERS", value_parser = workers)]
    workers: Option<usize>,
    #[arg(long = "BUYIN_WEBHOOK_ALLOW_PRIVATE", env = "BUYIN_WEBHOOK_ALLOW_PRIVATE", default_value = "false", action = clap::ArgAction::Set, value_parser = boolean)]
    webhook_allow_private: bool,
    #[arg(long = "BUYIN_WEBHOOK_BACKOFF_SCALE", env = "BUYIN_WEBHOOK_BACKOFF_SCALE", default_value = "1", value_parser = backoff_scale)]
    webhook_backoff_scale: f64,
    #[arg(long = "BUYIN_WEBHOOK_POLL_MS", env = "BUYIN_WEBHOOK_POLL_MS", default_value = "1000", value_parser = poll_ms)]
    webhook_poll_ms: Duration,
    #[arg(long = "BUYIN_WEBHOOK_TIMEOUT", env = "BUYIN_WEBHOOK_TIMEOUT", default_value = "10", value_parser = within(100, 60))]
    webhook_timeout: Duration,
    #[arg(long = "BUYIN_BODY_TIMEOUT", env = "BUYIN_BODY_TIMEOUT", default_value = "10", value_parser = within(100, 600))]
    body_timeout: Duration,
    #[arg(long = "BUYIN_REQUEST_TIMEOUT", env = "BUYIN_REQUEST_TIMEOUT", default_value = "30", value_parser = within(100, 600))]
    request_timeout: Duration,
    #[arg(long = "BUYIN_SHUTDOWN_DRAIN", env = "BUYIN_SHUTDOWN_DRAIN", default_value = "0", value_parser = within(0, 300))]
    shutdown_drain: Duration,
    #[arg(long = "BUYIN_CLOCK_OFFSET", env = "BUYIN_CLOCK_OFFSET", default_value = "0", value_parser = clock_offset)]
    clock_offset: chrono::TimeDelta,
    #[arg(long = "BUYIN_TRUSTED_PROXIES", env = "BUYIN_TRUSTED_PROXIES", default_value = "", value_parser = trusted_proxies)]
    trusted_proxies: List<std::net::IpAddr>,
}

/// A comma-separated variable, parsed as one value.
#[derive(Clone, Debug)]
struct List<T>(Vec<T>);

fn database_url(v: &str) -> Result<(String, Backend), String> {
    Backend::of(v)
        .map(|b| (v.to_owned(), b))
        .ok_or_else(|| "must start with sqlite: or postgres://".into())
}

fn bind(v: &str) -> Result<String, String> {
    match v.parse::<std::net::SocketAddr>() {
        Ok(_) => Ok(v.to_owned()),
        Err(_) => Err(format!("`{v}` is not an address like 127.0.0.1:8080")),
    }
}

fn jwt_secret(v: &str) -> Result<String, String> {
    if v.len() >= MIN_SECRET_BYTES {
        Ok(v.to_owned())
    } else {
        Err(format!("must be at least {MIN_SECRET_BYTES} bytes"))
    }
}

fn access_token_ttl(v: &str) -> Result<Duration, String> {
    parse_duration(v)
        .filter(|d| (60..=86_400).contains(&d.as_secs()))
        .ok_or_else(|| "must be a duration from 60s to 24h, e.g. `900` or `15m`".into())
}

fn clock_offset(v: &str) -> Result<chrono::TimeDelta, String> {
    crate::clock::parse_offset(v)
        .filter(|d| d.num_days().abs() <= 3650)
        .ok_or_else(|| "must be a signed duration of at most 10 years, e.g. `-35d` or `-2h`".into())
}

fn log_filter(v: &str) -> Result<String, String> {
    match tracing_subscriber::EnvFilter::try_new(v) {
        Ok(_) => Ok(v.to_owned()),
        Err(_) => {
            Err("must be a level (error, warn, info, debug, trace) or filter directives".into())
        }
    }
}

fn log_format(v: &str) -> Result<LogFormat, String> {
    match v.trim() {
        "text" => Ok(LogFormat::Text),
        "json" => Ok(LogFormat::Json),
        _ => Err("must be `text` or `json`".into()),
    }
}

fn items(v: &str) -> impl Iterator<Item = &str> {
    v.split(',').map(str::trim).filter(|i| !i.is_empty())
}

fn cors_origins(v: &str) -> Result<List<String>, String> {
    let origins: Vec<String> = items(v).map(str::to_owned).collect();
    match origins
        .iter()
        .find(|o| !(o.starts_with("http://") || o.starts_with("https://")))
    {
        Some(bad) => Err(format!(
            "`{bad}` is not an origin like https://app.example.org"
        )),
        None => Ok(List(origins)),
    }
}

fn trusted_proxies(v: &str) -> Result<List<std::net::IpAddr>, String> {
    items(v)
        .map(|p| {
            p.parse()
                .map_err(|_| format!("`{p}` is not an IP address like 10.0.0.5"))
        })
        .collect::<Result<_, _>>()
        .map(List)
}

fn whole<T: std::str::FromStr + PartialOrd>(v: &str, low: T, high: T) -> Option<T> {
    v.trim()
        .parse::<T>()
        .ok()
        .filter(|n| *n >= low && *n <= high)
}

fn db_max_connections(v: &str) -> Result<u32, String> {
    whole(v, 1, 256).ok_or_else(|| "must be a whole number from 1 to 256".into())
}

fn workers(v: &str) -> Result<usize, String> {
    whole(v, 1, 64).ok_or_else(|| "must be a whole number from 1 to 64".into())
}

fn boolean(v: &str) -> Result<bool, String> {
    match v.trim() {
        "false" | "0" => Ok(false),
        "true" | "1" => Ok(true),
        _ => Err("must be `true` or `false`".into()),
    }
}

fn backoff_scale(v: &str) -> Result<f64, String> {
    v.trim()
        .parse::<f64>()
        .ok()
        .filter(|f| *f > 0.0 && *f <= 1.0)
        .ok_or_else(|| "must be a number above 0, at most 1".into())
}

fn poll_ms(v: &str) -> Result<Duration, String> {
    whole(v, 10u64, 60_000)
        .map(Duration::from_millis)
        .ok_or_else(|| "must be from 10 to 60000".into())
}

/// A duration from `low_ms` milliseconds to `high_s` seconds.
fn within(
    low_ms: u64,
    high_s: u64,
) -> impl Fn(&str) -> Result<Duration, String> + Clone + Send + Sync + 'static {
    move |v| {
        parse_duration(v)
            .filter(|d| (low_ms..=high_s * 1000).contains(&(d.as_millis() as u64)))
            .ok_or_else(|| {
                format!("must be a duration from {low_ms}ms to {high_s}s, e.g. `10` or `1500ms`")
            })
    }
}

impl Vars {
    /// Parses the variables `lookup` gives (a blank value counts as unset), and nothing else:
    /// the process environment is not consulted, so tests and benchmarks are hermetic.
    fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Vars, ConfigError> {
        let command = Vars::command().mut_args(|a| a.env(None::<&'static str>));
        let args: Vec<String> = command
            .get_arguments()
            .filter_map(|a| a.get_long())
            .filter_map(|name| {
                let value = lookup(name).filter(|v| !v.trim().is_empty())?;
                Some(format!("--{name}={value}"))
            })
            .collect();
        command
            .try_get_matches_from(args)
            .and_then(|m| Vars::from_arg_matches(&m))
            .map_err(config_error)
    }
}

/// clap's error as one line naming the variable.
fn config_error(e: clap::Error) -> ConfigError {
    use clap::error::{ContextKind, ContextValue};
    let arg = match e.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(arg)) => arg.clone(),
        _ => String::new(),
    };
    // clap names the argument `--BUYIN_X <BUYIN_X>`: its long name is the variable's.
    let var = arg
        .split_whitespace()
        .next()
        .and_then(|a| a.strip_prefix("--"))
        .unwrap_or("BUYIN_*");
    let message =
        std::error::Error::source(&e).map_or_else(|| e.kind().to_string(), ToString::to_string);
    invalid(var, message)
}

impl Config {
    /// Reads the configuration from the process environment.
    pub fn from_env() -> Result<(Config, SecretSource), ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `lookup`, so tests can supply their own variables.
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<(Config, SecretSource), ConfigError> {
        let v = Vars::from_lookup(lookup)?;
        let (database_url, backend) = v.database_url;
        let (jwt_secret, source) = match v.jwt_secret {
            Some(secret) => (secret, SecretSource::Environment),
            None => generated_secret(&database_url, backend)?,
        };
        let config = Config {
            database_url,
            bind: v.bind,
            jwt_secret: SecretString::from(jwt_secret),
            access_token_ttl: v.access_token_ttl,
            log_filter: v.log,
            log_format: v.log_format,
            cors_origins: v.cors_origins.0,
            db_max_connections: v.db_max_connections,
            workers: v.workers,
            webhooks: WebhookSettings {
                allow_private: v.webhook_allow_private,
                backoff_scale: v.webhook_backoff_scale,
                poll_interval: v.webhook_poll_ms,
                timeout: v.webhook_timeout,
            },
            deadlines: Deadlines {
                body: v.body_timeout,
                request: v.request_timeout,
                shutdown_drain: v.shutdown_drain,
            },
            trusted_proxies: v.trusted_proxies.0,
            clock_offset: v.clock_offset,
        };
        Ok((config, source))
    }

    pub fn backend(&self) -> Backend {
        Backend::of(&self.database_url).unwrap_or(Backend::Sqlite)
    }

    pub fn jwt_secret_bytes(&self) -> &[u8] {
        self.jwt_secret.expose_secret().as_bytes()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of(url: &str) -> Option<Backend> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }
}

/// Accepts whole seconds (`900`) or a humantime duration (`15m`, `1h 30m`).
fn parse_duration(value: &str) -> Option<Duration> {
    let value = value.trim();
    value
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
        .or_else(|| humantime::parse_duration(value).ok())
}

/// The file behind a SQLite URL, or `None` for an in-memory database.
pub(crate) fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path.is_empty() || path == ":memory:" || query.split('&').any(|p| p == "mode=memory") {
        None
    } else {
        Some(PathBuf::from(path))
    }
}

/// Without `BUYIN_JWT_SECRET`: refused on PostgreSQL (every instance must share one), else a
/// secret kept beside the SQLite file, or a fresh one for an in-memory database.
fn generated_secret(url: &str, backend: Backend) -> Result<(String, SecretSource), ConfigError> {
    match (backend, sqlite_file(url)) {
        (Backend::Postgres, _) => Err(invalid(
            "BUYIN_JWT_SECRET",
            "is required when the database is PostgreSQL (at least 32 bytes, shared by every instance)",
        )),
        (Backend::Sqlite, Some(db_path)) => {
            let path = PathBuf::from(format!("{}.jwt-secret", db_path.display()));
            Ok((
                load_or_create_secret(&path)?,
                SecretSource::GeneratedFile(path),
            ))
        }
        (Backend::Sqlite, None) => Ok((random_secret(), SecretSource::Ephemeral)),
    }
}

fn random_secret() -> String {
    crate::secrets::hex(&crate::secrets::random_bytes::<48>())
}

/// Keeps tokens valid across restarts of a zero-configuration server: the first start writes a
/// random secret beside the SQLite file (readable by the owner only), later starts reuse it.
fn load_or_create_secret(path: &PathBuf) -> Result<String, ConfigError> {
    let fail = |e: std::io::Error| {
        invalid(
            "BUYIN_JWT_SECRET",
            format!(
                "is unset and the generated secret file {} cannot be used: {e}",
                path.display()
            ),
        )
    };
    match std::fs::read_to_string(path) {
        Ok(existing) if existing.trim().len() >= MIN_SECRET_BYTES => Ok(existing.trim().to_owned()),
        Ok(_) => Err(invalid(
            "BUYIN_JWT_SECRET",
            format!(
                "is unset and {} holds fewer than {MIN_SECRET_BYTES} bytes",
                path.display()
            ),
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let secret = random_secret();
            write_private(path, &secret).map_err(fail)?;
            Ok(secret)
        }
        Err(e) => Err(fail(e)),
    }
}

fn write_private(path: &PathBuf, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(contents.as_bytes())
}
