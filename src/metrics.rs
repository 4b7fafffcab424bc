//! `GET /metrics` in Prometheus text format: request counts and latency histograms by route
//! pattern, method and status (actix-web-prom), plus the pool's connections in use and idle and
//! the webhook queue depth, refreshed every few seconds by a background task.

use std::time::Duration;

use actix_web_prom::{PrometheusMetrics, PrometheusMetricsBuilder};
use prometheus::{IntGauge, IntGaugeVec, Opts, Registry};
use sea_orm::DbBackend;

use crate::{repo::webhooks, service::AppState};

const REFRESH: Duration = Duration::from_secs(5);

/// Builds the middleware that serves `/metrics` and starts the gauges' refresher.
pub fn middleware(state: &AppState) -> Result<PrometheusMetrics, String> {
    let registry = Registry::new();
    let connections = IntGaugeVec::new(
        Opts::new(
            "db_connections",
            "Pooled database connections, by state (in_use, idle).",
        )
        .namespace("buyin"),
        &["state"],
    )
    .map_err(|e| e.to_string())?;
    let queue = IntGauge::with_opts(
        Opts::new(
            "webhook_queue_depth",
            "Webhook deliveries waiting to be sent.",
        )
        .namespace("buyin"),
    )
    .map_err(|e| e.to_string())?;
    registry
        .register(Box::new(connections.clone()))
        .map_err(|e| e.to_string())?;
    registry
        .register(Box::new(queue.clone()))
        .map_err(|e| e.to_string())?;

    let state = state.clone();
    actix_web::rt::spawn(async move {
        let mut tick = tokio::time::interval(REFRESH);
        loop {
            tick.tick().await;
            let (size, idle) = match state.db.get_database_backend() {
                DbBackend::Postgres => {
                    let pool = state.db.get_postgres_connection_pool();
                    (pool.size(), pool.num_idle())
                }
                DbBackend::Sqlite => {
                    let pool = state.db.get_sqlite_connection_pool();
                    (pool.size(), pool.num_idle())
                }
                _ => (0, 0),
            };
            let idle = i64::try_from(idle).unwrap_or(0);
            connections
                .with_label_values(&["in_use"])
                .set(i64::from(size) - idle);
            connections.with_label_values(&["idle"]).set(idle);
            if let Ok(depth) = webhooks::count_pending(&state.db).await {
                queue.set(i64::try_from(depth).unwrap_or(i64::MAX));
            }
        }
    });

    PrometheusMetricsBuilder::new("buyin")
        .registry(registry)
        .endpoint("/metrics")
        .mask_unmatched_patterns("UNMATCHED")
        .build()
        .map_err(|e| e.to_string())
}
