//! `TestApp`: the real server on a random port with its own database, and typed helpers.

use std::time::Duration;

use actix_web::{http::Method, web};
use awc::http::header::HeaderMap;
use buyin::{config::Config, startup::Application};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{Value, json};
use uuid::Uuid;

/// The JWT secret every test server uses, so tests can forge tokens on purpose.
pub const TEST_JWT_SECRET: &str = "test-secret-that-is-long-enough-for-hs256-0123456789";
pub const PASSWORD: &str = "correct horse battery staple";

/// A database that exists for one test and is removed afterwards.
pub struct TestDb {
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    SqliteFile(std::path::PathBuf),
    Postgres { admin_url: String, name: String },
}

impl TestDb {
    pub async fn create() -> TestDb {
        let id = Uuid::new_v4().simple().to_string();
        match std::env::var("BUYIN_TEST_DATABASE_URL") {
            Ok(admin_url) if !admin_url.is_empty() => {
                assert!(
                    admin_url.starts_with("postgres"),
                    "BUYIN_TEST_DATABASE_URL must be a postgres:// URL"
                );
                let name = format!("buyin_test_{id}");
                let admin = Database::connect(&admin_url).await.unwrap_or_else(|e| {
                    panic!("cannot reach PostgreSQL at BUYIN_TEST_DATABASE_URL: {e}")
                });
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create test database");
                admin.close().await.ok();
                TestDb {
                    url: with_database(&admin_url, &name),
                    cleanup: Cleanup::Postgres { admin_url, name },
                }
            }
            _ => {
                let path = std::env::temp_dir().join(format!("buyin-test-{id}.db"));
                TestDb {
                    url: format!("sqlite://{}?mode=rwc", path.display()),
                    cleanup: Cleanup::SqliteFile(path),
                }
            }
        }
    }
}

/// The same server URL with another database name.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    let mut out = format!("{}/{name}", &base[..host_end]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::SqliteFile(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Cleanup::Postgres { admin_url, name } => {
                let (admin_url, name) = (admin_url.clone(), name.clone());
                // Drop runs inside the test's runtime; use a thread with its own.
                let _ = std::thread::spawn(move || {
                    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                    else {
                        return;
                    };
                    rt.block_on(async {
                        if let Ok(admin) = Database::connect(&admin_url).await {
                            let _ = admin
                                .execute_unprepared(&format!(
                                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                                ))
                                .await;
                            let _ = admin.close().await;
                        }
                    });
                })
                .join();
            }
        }
    }
}

pub struct TestApp {
    pub address: String,
    pub client: awc::Client,
    /// A separate connection to the app's database, for setting up and checking state.
    pub db: DatabaseConnection,
    pub state: buyin::service::AppState,
    /// Stops the server (gracefully with `stop(true)`).
    pub server: actix_web::dev::ServerHandle,
    _db: TestDb,
}

/// A response, read completely.
#[derive(Debug)]
pub struct TestResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
    pub raw: Vec<u8>,
}

impl TestResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts the status and that the body is a well-formed problem with `code`.
    #[track_caller]
    pub fn assert_problem(&self, status: u16, code: &str) {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.body
        );
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "errors are problem+json"
        );
        assert_eq!(self.body["status"], status, "problem.status");
        assert_eq!(self.body["code"], code, "problem.code; body: {}", self.body);
        for member in ["type", "title", "detail"] {
            assert!(
                self.body[member].is_string(),
                "problem.{member} is present: {}",
                self.body
            );
        }
    }

    /// The `field` names listed in a validation problem.
    pub fn error_fields(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .filter_map(|e| e["field"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// A registered, logged-in user.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: Uuid,
    pub email: String,
    pub access_token: String,
    pub refresh_token: String,
}

pub fn test_config(db_url: &str, extra: &[(&str, &str)]) -> Config {
    let mut vars: Vec<(String, String)> = vec![
        ("BUYIN_DATABASE_URL".into(), db_url.into()),
        ("BUYIN_BIND".into(), "127.0.0.1:0".into()),
        ("BUYIN_JWT_SECRET".into(), TEST_JWT_SECRET.into()),
        ("BUYIN_WORKERS".into(), "1".into()),
        ("BUYIN_DB_MAX_CONNECTIONS".into(), "4".into()),
        // Tests register webhooks on loopback only (nothing leaves the machine).
        ("BUYIN_WEBHOOK_ALLOW_PRIVATE".into(), "true".into()),
    ];
    vars.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    Config::from_lookup(|name| {
        vars.iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    })
    .expect("test configuration is valid")
    .0
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[], |_| {}).await
}

pub async fn spawn_app_with(
    extra_env: &[(&str, &str)],
    routes: fn(&mut web::ServiceConfig),
) -> TestApp {
    spawn_app_via(extra_env, routes, str::to_owned).await
}

/// Whether the suite runs on PostgreSQL (`BUYIN_TEST_DATABASE_URL`).
pub fn on_postgres() -> bool {
    std::env::var("BUYIN_TEST_DATABASE_URL").is_ok_and(|url| !url.is_empty())
}

/// Like [`spawn_app_with`], but the server reaches its database at `server_url(test database
/// URL)` (through a proxy, say) while the test's own connection goes straight to it.
pub async fn spawn_app_via(
    extra_env: &[(&str, &str)],
    routes: fn(&mut web::ServiceConfig),
    server_url: impl FnOnce(&str) -> String,
) -> TestApp {
    if std::env::var_os("BUYIN_TEST_LOG").is_some() {
        buyin::telemetry::init("debug", buyin::config::LogFormat::Text);
    }
    let test_db = TestDb::create().await;
    let config = test_config(&server_url(&test_db.url), extra_env);
    let app = Application::build_with(&config, routes)
        .await
        .expect("the application starts");
    let address = format!("http://127.0.0.1:{}", app.port());
    let state = app.state().clone();
    let server = app.server_handle();
    actix_web::rt::spawn(app.into_server());
    let db = Database::connect(&test_db.url)
        .await
        .expect("connect to test database");
    TestApp {
        address,
        client: awc::Client::builder()
            .timeout(Duration::from_secs(30))
            .finish(),
        db,
        state,
        server,
        _db: test_db,
    }
}

impl TestApp {
    /// Stops this server and starts a new one on the same database, its clock shifted by
    /// `offset` (`BUYIN_CLOCK_OFFSET`, e.g. `-35d`): how tests build real history. Tokens issued
    /// by the old server keep their own lifetimes, read on the new clock.
    pub async fn restart_at(&mut self, offset: &str) {
        self.server.stop(true).await;
        let config = test_config(&self._db.url, &[("BUYIN_CLOCK_OFFSET", offset)]);
        let app = Application::build(&config)
            .await
            .expect("the application restarts");
        self.address = format!("http://127.0.0.1:{}", app.port());
        self.state = app.state().clone();
        self.server = app.server_handle();
        actix_web::rt::spawn(app.into_server());
    }

    pub fn database_url(&self) -> String {
        self._db.url.clone()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.address
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("the address ends with a port")
    }

    /// Any request: method, path, optional bearer token, optional JSON body.
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> TestResponse {
        let mut req = self.client.request(method, self.url(path));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        let res = match body {
            Some(body) => req.send_json(&body).await,
            None => req.send().await,
        };
        read(res.expect("the request is answered")).await
    }

    /// A request with a raw body and explicit headers, for malformed input.
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: impl Into<Vec<u8>>,
    ) -> TestResponse {
        let mut req = self.client.request(method, self.url(path));
        for (name, value) in headers {
            req = req.insert_header((*name, *value));
        }
        let body: Vec<u8> = body.into();
        read(req.send_body(body).await.expect("the request is answered")).await
    }

    /// A PATCH with `If-Match: *` and a JSON body; `authorization` is the whole header value.
    pub async fn patch_any_version(
        &self,
        path: &str,
        authorization: &str,
        body: impl Into<Vec<u8>>,
    ) -> TestResponse {
        let headers = [
            ("if-match", "*"),
            ("authorization", authorization),
            ("content-type", "application/json"),
        ];
        self.raw(Method::PATCH, path, &headers, body).await
    }

    /// Follows `next_cursor` from `first` to the last page; the `id` of every item, in order.
    pub async fn ids_of_all_pages(&self, first: &str, token: &str) -> Vec<String> {
        let mut ids = Vec::new();
        let mut path = first.to_owned();
        loop {
            let res = self.get(&path, Some(token)).await;
            assert_eq!(res.status, 200, "{}", res.body);
            let items = res.body["items"].as_array().expect("a page");
            ids.extend(
                items
                    .iter()
                    .map(|i| i["id"].as_str().expect("an id").to_owned()),
            );
            match res.body["next_cursor"].as_str() {
                Some(cursor) => path = format!("{first}&cursor={cursor}"),
                None => return ids,
            }
        }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> TestResponse {
        self.request(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> TestResponse {
        self.request(Method::POST, path, token, Some(body)).await
    }

    pub async fn register(&self, email: &str, password: &str, display_name: &str) -> TestResponse {
        self.post(
            "/api/v1/auth/register",
            None,
            json!({"email": email, "password": password, "display_name": display_name}),
        )
        .await
    }

    pub async fn login(&self, email: &str, password: &str) -> TestResponse {
        self.post(
            "/api/v1/auth/login",
            None,
            json!({"email": email, "password": password}),
        )
        .await
    }

    /// A login sent from another loopback address (`127.0.0.2`, …): another source to the
    /// server's per-address throttling.
    pub async fn login_from(&self, source: &str, email: &str, password: &str) -> TestResponse {
        let client = awc::Client::builder()
            .local_address(source.parse().expect("an IP address"))
            .timeout(Duration::from_secs(30))
            .finish();
        let res = client
            .post(self.url("/api/v1/auth/login"))
            .send_json(&json!({"email": email, "password": password}))
            .await;
        read(res.expect("the request is answered")).await
    }

    /// Registers `name@example.org` with [`PASSWORD`] and logs in.
    pub async fn user(&self, name: &str) -> TestUser {
        let email = format!("{name}@example.org");
        let registered = self.register(&email, PASSWORD, name).await;
        assert_eq!(
            registered.status, 201,
            "register {name}: {}",
            registered.body
        );
        let login = self.login(&email, PASSWORD).await;
        assert_eq!(login.status, 200, "login {name}: {}", login.body);
        TestUser {
            id: registered.body["id"]
                .as_str()
                .and_then(|s| s.parse().ok())
                .expect("user id"),
            email,
            access_token: login.body["access_token"]
                .as_str()
                .expect("access token")
                .to_owned(),
            refresh_token: login.body["refresh_token"]
                .as_str()
                .expect("refresh token")
                .to_owned(),
        }
    }
}

/// Starts another server on an existing database (a second instance beside a test app);
/// returns its base URL.
pub async fn instance_on(database_url: &str, extra_env: &[(&str, &str)]) -> String {
    let config = test_config(database_url, extra_env);
    let app = Application::build(&config)
        .await
        .expect("the instance starts");
    let base = format!("http://127.0.0.1:{}", app.port());
    actix_web::rt::spawn(app.into_server());
    base
}

/// A request to any server by base URL (another instance, a child process), with a bearer
/// token, extra headers and an optional JSON body; read like the test app's own.
pub async fn request_to(
    base: &str,
    method: Method,
    path: &str,
    token: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> TestResponse {
    let mut req = awc::Client::default()
        .request(method, format!("{base}{path}"))
        .bearer_auth(token);
    for header in headers {
        req = req.insert_header(*header);
    }
    let res = match body {
        Some(body) => req.send_json(&body).await,
        None => req.send().await,
    };
    read(res.expect("the request is answered")).await
}

pub async fn read<S>(mut res: awc::ClientResponse<S>) -> TestResponse
where
    S: futures_util::Stream<Item = Result<web::Bytes, awc::error::PayloadError>> + Unpin,
{
    let raw = res
        .body()
        .limit(16 * 1024 * 1024)
        .await
        .expect("read body")
        .to_vec();
    let body = if raw.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&raw).unwrap_or(Value::Null)
    };
    TestResponse {
        status: res.status().as_u16(),
        headers: res.headers().clone(),
        body,
        raw,
    }
}
