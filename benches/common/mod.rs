//! Shared by the benchmarks: a scratch database, a running server, timing summaries.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use buyin::{config::Config, service::AppState, startup::Application};
use sea_orm::{ConnectionTrait, Database};
use uuid::Uuid;

/// Starts the real server on a scratch database; returns its port, state and the database URL.
pub async fn server() -> (u16, AppState, String, Cleanup) {
    let (url, cleanup) = scratch_database().await;
    let config = Config::from_lookup(|k| match k {
        "BUYIN_DATABASE_URL" => Some(url.clone()),
        "BUYIN_BIND" => Some("127.0.0.1:0".into()),
        "BUYIN_JWT_SECRET" => Some("bench-secret-that-is-long-enough-0123456789abcdef".into()),
        "BUYIN_WORKERS" => Some("1".into()),
        "BUYIN_LOG" => Some("warn".into()),
        _ => None,
    })
    .expect("config")
    .0;
    let app = Application::build(&config).await.expect("server starts");
    let port = app.port();
    let state = app.state().clone();
    actix_web::rt::spawn(app.into_server());
    (port, state, url, cleanup)
}

pub fn median(samples: &mut [Duration]) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

pub fn percentile(samples: &mut [Duration], p: usize) -> Duration {
    samples.sort();
    samples[(samples.len() * p / 100).min(samples.len() - 1)]
}

pub fn backend_name(url: &str) -> &'static str {
    if url.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    }
}

/// Statistics for the planner, and on PostgreSQL the visibility map that autovacuum keeps on a
/// database at rest (so index-only scans read as they do in steady state).
pub async fn analyze(url: &str) {
    let db = Database::connect(url).await.unwrap();
    let statement = if url.starts_with("postgres") {
        "VACUUM ANALYZE"
    } else {
        "ANALYZE"
    };
    db.execute_unprepared(statement).await.unwrap();
}

pub type Cleanup = Box<dyn FnOnce() -> std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>>;

/// A throwaway database: a temporary SQLite file, or a new PostgreSQL database on the server
/// named by `BUYIN_BENCH_DATABASE_URL`.
pub async fn scratch_database() -> (String, Cleanup) {
    let id = Uuid::new_v4().simple().to_string();
    match std::env::var("BUYIN_BENCH_DATABASE_URL") {
        Ok(admin_url) if !admin_url.is_empty() => {
            let name = format!("buyin_bench_{id}");
            let admin = Database::connect(&admin_url)
                .await
                .expect("reach PostgreSQL");
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .unwrap();
            let base = admin_url
                .rsplit_once('/')
                .map_or(admin_url.as_str(), |(b, _)| b);
            let url = format!("{base}/{name}");
            let cleanup: Cleanup = Box::new(move || {
                Box::pin(async move {
                    let _ = admin
                        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await;
                })
            });
            (url, cleanup)
        }
        _ => {
            let path = std::env::temp_dir().join(format!("buyin-bench-{id}.db"));
            let url = format!("sqlite://{}?mode=rwc", path.display());
            let cleanup: Cleanup = Box::new(move || {
                Box::pin(async move {
                    for suffix in ["", "-wal", "-shm"] {
                        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                    }
                })
            });
            (url, cleanup)
        }
    }
}
