//! Start-up configuration: a bad value stops the binary with one clear line and status 2.

use std::process::Command;

fn run_with(vars: &[(&str, &str)]) -> std::process::Output {
    let dir = std::env::temp_dir().join(format!("buyin-config-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_buyin"));
    cmd.current_dir(&dir).arg("serve");
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("BUYIN_")) {
        cmd.env_remove(k);
    }
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    out
}

#[track_caller]
fn assert_refused(vars: &[(&str, &str)], names: &str) {
    let out = run_with(vars);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(2),
        "exit status 2 for {vars:?}; stderr: {stderr}"
    );
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    assert!(stderr.contains(names), "names {names}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn bad_configuration_stops_start_up_with_one_line_naming_the_variable() {
    assert_refused(&[("BUYIN_BIND", "not an address")], "BUYIN_BIND");
    assert_refused(
        &[("BUYIN_ACCESS_TOKEN_TTL", "forever")],
        "BUYIN_ACCESS_TOKEN_TTL",
    );
    assert_refused(&[("BUYIN_ACCESS_TOKEN_TTL", "5")], "BUYIN_ACCESS_TOKEN_TTL");
    assert_refused(&[("BUYIN_JWT_SECRET", "too short")], "BUYIN_JWT_SECRET");
    assert_refused(&[("BUYIN_DATABASE_URL", "mysql://x")], "BUYIN_DATABASE_URL");
    assert_refused(&[("BUYIN_LOG_FORMAT", "xml")], "BUYIN_LOG_FORMAT");
    assert_refused(&[("BUYIN_CORS_ORIGINS", "*")], "BUYIN_CORS_ORIGINS");
    assert_refused(&[("BUYIN_LOG", "info,[[[")], "BUYIN_LOG");
    assert_refused(&[("BUYIN_BODY_TIMEOUT", "10ms")], "BUYIN_BODY_TIMEOUT");
    assert_refused(&[("BUYIN_REQUEST_TIMEOUT", "2h")], "BUYIN_REQUEST_TIMEOUT");
    assert_refused(&[("BUYIN_SHUTDOWN_DRAIN", "soon")], "BUYIN_SHUTDOWN_DRAIN");
}

#[test]
fn postgresql_requires_an_explicit_jwt_secret() {
    assert_refused(
        &[(
            "BUYIN_DATABASE_URL",
            "postgres://postgres@127.0.0.1:5432/postgres",
        )],
        "BUYIN_JWT_SECRET",
    );
}

#[test]
fn accepted_durations_are_seconds_or_human_readable() {
    let config = |ttl: &str| {
        buyin::config::Config::from_lookup(|k| match k {
            "BUYIN_ACCESS_TOKEN_TTL" => Some(ttl.to_owned()),
            "BUYIN_DATABASE_URL" => Some("sqlite::memory:".into()),
            _ => None,
        })
        .map(|(c, _)| c.access_token_ttl.as_secs())
    };
    assert_eq!(config("900").ok(), Some(900));
    assert_eq!(config("15m").ok(), Some(900));
    assert_eq!(config("1h").ok(), Some(3600));
}

/// A port nothing listens on yet.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Sends `raw` bytes to the server on `port` and returns the first line of its answer.
fn first_line(port: u16, raw: &[u8]) -> Option<String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.write_all(raw).ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    answer.lines().next().map(str::to_owned)
}

fn status_line(port: u16, path: &str) -> Option<String> {
    let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    first_line(port, request.as_bytes())
}

/// Waits until the server on `port` answers `/readyz` 200 (its signal handlers are installed by
/// then); false after 5 s.
fn ready(port: u16) -> bool {
    (0..100).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(50));
        status_line(port, "/readyz").as_deref() == Some("HTTP/1.1 200 OK")
    })
}

#[test]
fn sigterm_turns_readiness_off_drains_and_exits_zero() {
    let dir = std::env::temp_dir().join(format!("buyin-shutdown-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_buyin"))
        .current_dir(&dir)
        .env("BUYIN_BIND", format!("127.0.0.1:{port}"))
        .env("BUYIN_LOG", "warn")
        .env("BUYIN_SHUTDOWN_DRAIN", "1s")
        .env_remove("BUYIN_DATABASE_URL")
        .spawn()
        .unwrap();
    let status_line = |path: &str| status_line(port, path);
    assert!(ready(port), "the server starts");
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert_eq!(
        status_line("/readyz").as_deref(),
        Some("HTTP/1.1 503 Service Unavailable"),
        "readiness is off at once"
    );
    assert_eq!(
        status_line("/healthz").as_deref(),
        Some("HTTP/1.1 200 OK"),
        "requests are still served during the drain"
    );
    assert_eq!(
        child.wait().unwrap().code(),
        Some(0),
        "exits 0 after a graceful shutdown"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn malformed_http_from_a_client_is_never_logged_as_an_error() {
    use std::process::Stdio;
    let dir = std::env::temp_dir().join(format!("buyin-logs-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_buyin"))
        .current_dir(&dir)
        .env("BUYIN_BIND", format!("127.0.0.1:{port}"))
        .env("BUYIN_LOG", "info")
        .env("BUYIN_LOG_FORMAT", "json")
        .env_remove("BUYIN_DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    assert!(ready(port), "the server starts");
    for raw in [
        &b"GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n"[..],
        b"G@T /%zz HTTP/1.1\r\nHost: x\r\n\r\n",
        b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03AAAA\r\n\r\n",
        b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 4\r\nConnection: close\r\n\r\n{bad",
    ] {
        let answer = first_line(port, raw).unwrap_or_default();
        assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    }
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let log = String::from_utf8_lossy(&out.stdout) + String::from_utf8_lossy(&out.stderr);
    assert!(
        log.contains(r#""status":400"#),
        "the app's own 400 is logged:\n{log}"
    );
    assert!(
        !log.contains("ERROR"),
        "client errors are not errors:\n{log}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
