//! Builds the running application: pool, migrations, state, routes, middleware, listener.
//! Tests use the same [`Application`] on port 0, so they exercise exactly what production runs.

use std::net::TcpListener;

use actix_cors::Cors;
use actix_web::{
    App, HttpServer,
    dev::Server,
    http::header,
    middleware::{Condition, DefaultHeaders, from_fn},
    web,
};
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::{
    api::{self, extract::JSON_LIMIT, fallback},
    clock::Clock,
    config::Config,
    db, openapi,
    service::{AppState, password::Passwords, tokens::Tokens},
};

/// Extra routes a caller can mount (tests use it for a handler that panics).
pub type ExtraRoutes = fn(&mut web::ServiceConfig);

pub struct Application {
    server: Server,
    port: u16,
    state: AppState,
}

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot connect to the database: {0}")]
    Database(#[source] sea_orm::DbErr),
    #[error("cannot apply migrations: {0}")]
    Migration(#[source] sea_orm::DbErr),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot start: {0}")]
    Other(String),
}

impl Application {
    pub async fn build(config: &Config) -> Result<Application, StartupError> {
        Self::build_with(config, |_| {}).await
    }

    pub async fn build_with(
        config: &Config,
        extra_routes: ExtraRoutes,
    ) -> Result<Application, StartupError> {
        let state = connect(config).await?;

        let bind_error = |source| StartupError::Bind {
            addr: config.bind.clone(),
            source,
        };
        let listener = TcpListener::bind(&config.bind).map_err(bind_error)?;
        let port = listener.local_addr().map_err(bind_error)?.port();

        let metrics = crate::metrics::middleware(&state).map_err(StartupError::Other)?;
        // The committed document, served as it is (a test proves it is what the code
        // generates): building it at start-up left its size in idle memory.
        let spec = web::Data::new(openapi::Spec::committed());
        let data = web::Data::new(state.clone());
        let cors_origins = config.cors_origins.clone();
        let workers = config.workers;
        let server = HttpServer::new(move || {
            let (app, paths) = App::new()
                .into_utoipa_app()
                .openapi(openapi::base())
                .app_data(data.clone())
                .app_data(web::JsonConfig::default().limit(JSON_LIMIT))
                .app_data(fallback::path_config())
                .app_data(fallback::query_config())
                .configure(api::configure)
                .split_for_parts();
            #[cfg(feature = "bench-baselines")]
            let app = app.configure(crate::bench_baselines::configure);
            // The 404/405 fallback knows the routes from the paths the handlers declared.
            let routes = fallback::RouteTable::from_openapi(&paths);
            drop(paths);
            app.configure(extra_routes)
                .app_data(web::Data::new(routes))
                .app_data(spec.clone())
                .route("/openapi.json", web::get().to(openapi::serve))
                .service(
                    SwaggerUi::new("/swagger-ui/{_:.*}")
                        .config(utoipa_swagger_ui::Config::from("/openapi.json")),
                )
                .default_service(web::to(fallback::not_found_or_method))
                .wrap(metrics.clone())
                .wrap(from_fn(api::middleware::observe))
                .wrap(Condition::new(
                    !cors_origins.is_empty(),
                    cors(&cors_origins),
                ))
                .wrap(
                    DefaultHeaders::new()
                        .add((header::CACHE_CONTROL, "no-store"))
                        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff")),
                )
        });
        let server = match workers {
            Some(n) => server.workers(n),
            None => server,
        };
        let server = server
            .listen(listener)
            .map_err(bind_error)?
            .shutdown_timeout(30)
            // Signals are handled in `run_until_stopped`, which drains before stopping.
            .disable_signals()
            .run();

        spawn_housekeeping(state.clone());
        crate::service::webhooks::spawn_worker(state.clone());
        Ok(Application {
            server,
            port,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until SIGTERM or SIGINT. Then `/readyz` answers 503 at once, requests are still
    /// served for `BUYIN_SHUTDOWN_DRAIN`, the listener closes, requests in flight finish (up to
    /// 30 s), and the pool's connections are closed before the process exits.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let handle = self.server.handle();
        let state = self.state.clone();
        actix_web::rt::spawn(async move {
            wait_for_stop_signal().await;
            state
                .stopping
                .store(true, std::sync::atomic::Ordering::Relaxed);
            tracing::info!(
                drain_ms = state.deadlines.shutdown_drain.as_millis() as u64,
                "stop requested: readiness is now 503; finishing requests in flight"
            );
            tokio::time::sleep(state.deadlines.shutdown_drain).await;
            handle.stop(true).await;
        });
        let served = self.server.await;
        if let Err(err) = self.state.db.close_by_ref().await {
            tracing::warn!(error = %err, "could not close the database pool cleanly");
        }
        served
    }

    pub fn server_handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    pub fn into_server(self) -> Server {
        self.server
    }
}

/// Opens the pool, applies pending migrations and builds the shared state: everything but HTTP
/// (`buyin seed-demo` uses it while a server may be running).
pub async fn connect(config: &Config) -> Result<AppState, StartupError> {
    let db = db::connect(&config.database_url, config.db_max_connections)
        .await
        .map_err(StartupError::Database)?;
    db::migrate(&db).await.map_err(StartupError::Migration)?;
    let readers = db::connect_readers(&config.database_url, &db)
        .await
        .map_err(StartupError::Database)?;
    let clock = Clock::shifted(config.clock_offset);
    if config.clock_offset != chrono::TimeDelta::zero() {
        tracing::warn!(
            offset = %config.clock_offset,
            now = %clock.now(),
            "BUYIN_CLOCK_OFFSET shifts the clock: for demos and tests only"
        );
    }
    Ok(AppState {
        db,
        readers,
        clock,
        tokens: Tokens::new(config.jwt_secret_bytes(), config.access_token_ttl, clock),
        passwords: Passwords::new(Passwords::default_permits())
            .map_err(|e| StartupError::Other(e.to_string()))?,
        webhooks: config.webhooks.clone(),
        deadlines: config.deadlines,
        trusted_proxies: config.trusted_proxies.clone().into(),
        stopping: Default::default(),
    })
}

async fn wait_for_stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(err) => {
                tracing::warn!(error = %err, "cannot listen for SIGTERM; only Ctrl-C stops");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Hourly clean-up of what is kept only for a while (idempotency keys and idle login counters:
/// 24 hours). Any instance may run it; the deletes are idempotent.
fn spawn_housekeeping(state: AppState) {
    actix_web::rt::spawn(async move {
        let mut every_hour = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            every_hour.tick().await;
            let cutoff = state.clock.now() - crate::service::idempotency::RETENTION;
            if let Err(err) = crate::repo::idempotency::purge_before(&state.db, cutoff).await {
                tracing::warn!(error = %err, "could not purge old idempotency keys");
            }
            let idle_since = cutoff.timestamp_millis();
            if let Err(err) = crate::repo::throttles::purge_before(&state.db, idle_since).await {
                tracing::warn!(error = %err, "could not purge idle login counters");
            }
        }
    });
}

fn cors(origins: &[String]) -> Cors {
    origins
        .iter()
        .fold(Cors::default(), |cors, origin| cors.allowed_origin(origin))
        .allowed_methods(["GET", "POST", "PATCH", "DELETE"])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
            header::HeaderName::from_static("idempotency-key"),
            api::middleware::REQUEST_ID,
        ])
        .expose_headers([
            header::ETAG,
            header::LOCATION,
            header::RETRY_AFTER,
            api::middleware::REQUEST_ID,
            api::idempotency::REPLAYED,
        ])
        .max_age(3600)
}
