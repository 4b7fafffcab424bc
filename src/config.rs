//! Typed configuration, read once at start-up from `BUYIN_*` environment variables (and a `.env`
//! file when present). A bad value is a [`ConfigError`] naming the variable, so `main` can print
//! one clear line and exit with status 2 instead of panicking.

use std::{fmt, path::PathBuf, time::Duration};

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
    pub var: &'static str,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid configuration: {}: {}", self.var, self.message)
    }
}

impl std::error::Error for ConfigError {}

fn invalid(var: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        var,
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

impl Config {
    /// Reads the configuration from the process environment.
    pub fn from_env() -> Result<(Config, SecretSource), ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `lookup`, so tests can supply their own variables.
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<(Config, SecretSource), ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());

        let database_url = get("BUYIN_DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.into());
        let backend = Backend::of(&database_url).ok_or_else(|| {
            invalid(
                "BUYIN_DATABASE_URL",
                "must start with sqlite: or postgres://",
            )
        })?;

        let bind = get("BUYIN_BIND").unwrap_or_else(|| DEFAULT_BIND.into());
        if bind.parse::<std::net::SocketAddr>().is_err() {
            return Err(invalid(
                "BUYIN_BIND",
                format!("`{bind}` is not an address like 127.0.0.1:8080"),
            ));
        }

        let access_token_ttl = match get("BUYIN_ACCESS_TOKEN_TTL") {
            None => Duration::from_secs(15 * 60),
            Some(v) => parse_duration(&v)
                .filter(|d| (60..=86_400).contains(&d.as_secs()))
                .ok_or_else(|| {
                    invalid(
                        "BUYIN_ACCESS_TOKEN_TTL",
                        "must be a duration from 60s to 24h, e.g. `900` or `15m`",
                    )
                })?,
        };

        let log_filter = get("BUYIN_LOG").unwrap_or_else(|| "info".into());
        if tracing_subscriber::EnvFilter::try_new(&log_filter).is_err() {
            return Err(invalid(
                "BUYIN_LOG",
                "must be a level (error, warn, info, debug, trace) or filter directives",
            ));
        }
        let log_format = match get("BUYIN_LOG_FORMAT").as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(_) => return Err(invalid("BUYIN_LOG_FORMAT", "must be `text` or `json`")),
        };

        let cors_origins = get("BUYIN_CORS_ORIGINS")
            .map(|v| {
                v.split(',')
                    .map(|o| o.trim().to_owned())
                    .filter(|o| !o.is_empty())
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        if let Some(bad) = cors_origins
            .iter()
            .find(|o| !(o.starts_with("http://") || o.starts_with("https://")))
        {
            return Err(invalid(
                "BUYIN_CORS_ORIGINS",
                format!("`{bad}` is not an origin like https://app.example.org"),
            ));
        }

        let db_max_connections = match get("BUYIN_DB_MAX_CONNECTIONS") {
            None => 8,
            Some(v) => v
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=256).contains(n))
                .ok_or_else(|| {
                    invalid(
                        "BUYIN_DB_MAX_CONNECTIONS",
                        "must be a whole number from 1 to 256",
                    )
                })?,
        };

        let workers = match get("BUYIN_WORKERS") {
            None => None,
            Some(v) => Some(
                v.trim()
                    .parse::<usize>()
                    .ok()
                    .filter(|n| (1..=64).contains(n))
                    .ok_or_else(|| {
                        invalid("BUYIN_WORKERS", "must be a whole number from 1 to 64")
                    })?,
            ),
        };

        let bool_var = |name: &'static str| match get(name).as_deref().map(str::trim) {
            None | Some("false") | Some("0") => Ok(false),
            Some("true") | Some("1") => Ok(true),
            Some(_) => Err(invalid(name, "must be `true` or `false`")),
        };
        let webhooks = WebhookSettings {
            allow_private: bool_var("BUYIN_WEBHOOK_ALLOW_PRIVATE")?,
            backoff_scale: match get("BUYIN_WEBHOOK_BACKOFF_SCALE") {
                None => 1.0,
                Some(v) => v
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|f| *f > 0.0 && *f <= 1.0)
                    .ok_or_else(|| {
                        invalid(
                            "BUYIN_WEBHOOK_BACKOFF_SCALE",
                            "must be a number above 0, at most 1",
                        )
                    })?,
            },
            poll_interval: match get("BUYIN_WEBHOOK_POLL_MS") {
                None => Duration::from_secs(1),
                Some(v) => v
                    .trim()
                    .parse::<u64>()
                    .ok()
                    .filter(|ms| (10..=60_000).contains(ms))
                    .map(Duration::from_millis)
                    .ok_or_else(|| invalid("BUYIN_WEBHOOK_POLL_MS", "must be from 10 to 60000"))?,
            },
            timeout: Duration::from_secs(10),
        };

        let duration_var =
            |name: &'static str, default: Duration, range: (u64, u64)| match get(name) {
                None => Ok(default),
                Some(v) => parse_duration(&v)
                    .filter(|d| (range.0..=range.1 * 1000).contains(&(d.as_millis() as u64)))
                    .ok_or_else(|| {
                        invalid(
                            name,
                            format!(
                                "must be a duration from {}ms to {}s, e.g. `10` or `1500ms`",
                                range.0, range.1
                            ),
                        )
                    }),
            };
        let webhooks = WebhookSettings {
            timeout: duration_var("BUYIN_WEBHOOK_TIMEOUT", webhooks.timeout, (100, 60))?,
            ..webhooks
        };
        let defaults = Deadlines::default();
        let deadlines = Deadlines {
            body: duration_var("BUYIN_BODY_TIMEOUT", defaults.body, (100, 600))?,
            request: duration_var("BUYIN_REQUEST_TIMEOUT", defaults.request, (100, 600))?,
            shutdown_drain: duration_var(
                "BUYIN_SHUTDOWN_DRAIN",
                defaults.shutdown_drain,
                (0, 300),
            )?,
        };

        let trusted_proxies = get("BUYIN_TRUSTED_PROXIES")
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(|p| {
                        p.parse::<std::net::IpAddr>().map_err(|_| {
                            invalid(
                                "BUYIN_TRUSTED_PROXIES",
                                format!("`{p}` is not an IP address like 10.0.0.5"),
                            )
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?
            .unwrap_or_default();

        let (jwt_secret, source) = match get("BUYIN_JWT_SECRET") {
            Some(secret) if secret.len() >= MIN_SECRET_BYTES => (secret, SecretSource::Environment),
            Some(_) => {
                return Err(invalid(
                    "BUYIN_JWT_SECRET",
                    format!("must be at least {MIN_SECRET_BYTES} bytes"),
                ));
            }
            None => match backend {
                Backend::Postgres => {
                    return Err(invalid(
                        "BUYIN_JWT_SECRET",
                        "is required when the database is PostgreSQL (at least 32 bytes, shared by every instance)",
                    ));
                }
                Backend::Sqlite => match sqlite_file(&database_url) {
                    Some(db_path) => {
                        let path = PathBuf::from(format!("{}.jwt-secret", db_path.display()));
                        (
                            load_or_create_secret(&path)?,
                            SecretSource::GeneratedFile(path),
                        )
                    }
                    None => (random_secret(), SecretSource::Ephemeral),
                },
            },
        };

        Ok((
            Config {
                database_url,
                bind,
                jwt_secret: SecretString::from(jwt_secret),
                access_token_ttl,
                log_filter,
                log_format,
                cors_origins,
                db_max_connections,
                workers,
                webhooks,
                deadlines,
                trusted_proxies,
            },
            source,
        ))
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
fn sqlite_file(url: &str) -> Option<PathBuf> {
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
