//! Liveness and readiness probes (outside `/api/v1`).

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{
    error::{ApiError, Problem, Unavailable},
    service::AppState,
};

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(healthz).service(readyz);
}

#[derive(Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: String,
}

/// Liveness: the process is up. Never touches the database.
#[utoipa::path(tag = "operations", responses((status = 200, description = "Alive.", body = Health)))]
#[get("/healthz")]
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health {
        status: "ok".into(),
    })
}

/// Readiness: the database answers and the instance is not shutting down (after SIGTERM it
/// answers 503 `shutting_down` at once, so a load balancer stops sending new requests).
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, description = "Ready to serve.", body = Health),
        (status = 503, description = "The database is unreachable (`service_unavailable`) or the instance is stopping (`shutting_down`).", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/readyz")]
async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    if state.is_stopping() {
        return Err(ApiError::Unavailable(Unavailable::ShuttingDown));
    }
    state.db.ping().await.map_err(|err| {
        tracing::warn!(error = %err, "readiness check failed");
        ApiError::Unavailable(Unavailable::Database)
    })?;
    Ok(HttpResponse::Ok().json(Health {
        status: "ready".into(),
    }))
}
