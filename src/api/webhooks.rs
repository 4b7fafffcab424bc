//! `/orgs/{org_id}/webhooks`: signed event delivery to integrations (organisation admins).

use actix_web::{HttpResponse, delete, get, http::StatusCode, http::header, patch, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{
    bodies::integrations::{CreateWebhook, UpdateWebhook},
    common::{Page, envelope, page},
    common::{Reply, commit},
    extract::{ApiJson, Authenticated},
    idempotency::RequestClaim,
    idempotency::holds_secret,
    orgs::ListQuery,
};
use crate::{
    domain::DeliveryStatus,
    domain::integration::{NewWebhook, WebhookPatch},
    domain::query::{Order, PageRequest},
    entity::webhook,
    error::{ApiError, Problem},
    service::{
        AppState,
        webhooks::{self, DeliveryLog},
    },
};

/// A page of a webhook's delivery log.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DeliveryListQuery {
    /// `asc` (default: oldest first) or `desc` (newest first, for a panel).
    pub order: Option<Order>,
    /// 1 to 100 (default 50).
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create_webhook)
        .service(list_webhooks)
        .service(get_webhook)
        .service(update_webhook)
        .service(delete_webhook)
        .service(ping_webhook)
        .service(list_deliveries);
}

#[derive(Serialize, ToSchema)]
pub struct WebhookResponse {
    pub id: Uuid,
    pub url: String,
    pub event_types: Vec<String>,
    pub description: Option<String>,
    /// Turned off after 20 consecutive failed deliveries (an event records it).
    pub enabled: bool,
    pub consecutive_failures: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Serialize, ToSchema)]
pub struct CreatedWebhook {
    #[serde(flatten)]
    pub webhook: WebhookResponse,
    /// The signing secret (`whsec_…`), shown this once. Verify deliveries with any Standard
    /// Webhooks library.
    pub secret: String,
}

fn webhook_response(w: webhook::Model) -> WebhookResponse {
    WebhookResponse {
        event_types: crate::events::subscriptions_of(&w),
        id: w.id,
        url: w.url,
        description: w.description,
        enabled: w.enabled,
        consecutive_failures: w.consecutive_failures,
        created_at: w.created_at,
        updated_at: w.updated_at,
    }
}

/// One delivery of one event, with its latest attempt.
#[derive(Serialize, ToSchema)]
pub struct DeliveryResponse {
    pub id: Uuid,
    /// The event delivered (null for a ping).
    pub event_id: Option<i64>,
    pub event_type: String,
    /// The `webhook-id` header, the same on every retry.
    pub message_id: String,
    pub status: DeliveryStatus,
    /// Attempts made so far.
    pub attempt: i32,
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub duration_ms: Option<i32>,
    /// When the next retry is due (pending deliveries).
    pub next_retry_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    /// Every attempt so far, oldest first (`attempt`, `status_code` and `error` above repeat the
    /// latest).
    pub attempts: Vec<AttemptResponse>,
}

/// One send of a delivery.
#[derive(Serialize, ToSchema)]
pub struct AttemptResponse {
    /// 1 for the first send.
    pub attempt: i32,
    pub attempted_at: DateTime<Utc>,
    /// The receiver's HTTP status; null when there was none (see `error`).
    pub status_code: Option<i32>,
    /// Why there was no answer (timeout, refused connection…), or null.
    pub error: Option<String>,
    pub duration_ms: i32,
}

fn delivery_response(log: DeliveryLog) -> DeliveryResponse {
    let d = log.delivery;
    DeliveryResponse {
        attempts: log
            .attempts
            .into_iter()
            .map(|a| AttemptResponse {
                attempt: a.attempt,
                attempted_at: a.attempted_at,
                status_code: a.status_code,
                error: a.error,
                duration_ms: a.duration_ms,
            })
            .collect(),
        next_retry_at: (d.status == DeliveryStatus::Pending).then_some(d.next_attempt_at),
        id: d.id,
        event_id: d.event_id,
        event_type: d.event_type,
        message_id: d.message_id,
        status: d.status,
        attempt: d.attempts,
        status_code: d.last_status_code,
        error: d.last_error,
        duration_ms: d.last_duration_ms,
        created_at: d.created_at,
        delivered_at: d.delivered_at,
    }
}

type WebhookPath = web::Path<(Uuid, Uuid)>;

/// Register a webhook (organisation admins). The signing secret is in this response only.
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = [])),
    params(("org_id" = Uuid, Path)),
    request_body = CreateWebhook,
    responses(
        (status = 201, description = "Registered; `secret` is shown only now. Deliveries carry an `EventWebhookPayload` or `PingWebhookPayload` body (see the document's `webhooks`).", body = CreatedWebhook,
            headers(("Location" = String, description = "The webhook."))),
        (status = 403, description = "Not an organisation admin.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not an http(s) URL to a public address, or bad event types.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The organisation holds 20 webhooks already (`limit_reached`).", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/orgs/{org_id}/webhooks")]
async fn create_webhook(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    path: web::Path<Uuid>,
    ApiJson(body): ApiJson<CreateWebhook>,
) -> Result<HttpResponse, ApiError> {
    let org_id = path.into_inner();
    let new = NewWebhook::try_from(body)?;
    let created = webhooks::create(&state, &caller, org_id, new).await?;
    let location = format!("/api/v1/orgs/{org_id}/webhooks/{}", created.id);
    let secret = created.secret.clone();
    Ok(holds_secret(
        HttpResponse::Created()
            .insert_header((header::LOCATION, location))
            .json(CreatedWebhook {
                webhook: webhook_response(created),
                secret,
            }),
    ))
}

/// The organisation's webhooks.
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = [])),
    params(("org_id" = Uuid, Path), ListQuery),
    responses(
        (status = 200, description = "One page.", body = Page<WebhookResponse>),
        (status = 403, description = "Not an organisation admin.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/orgs/{org_id}/webhooks")]
async fn list_webhooks(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    path: web::Path<Uuid>,
    query: web::Query<ListQuery>,
) -> Result<web::Json<Page<WebhookResponse>>, ApiError> {
    let request = page("webhooks", query.limit, query.cursor.as_deref())?;
    let rows = webhooks::list(&state, &caller, path.into_inner(), request).await?;
    Ok(web::Json(envelope(
        "webhooks",
        rows,
        |w| w.id,
        webhook_response,
    )))
}

/// One webhook.
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = [])),
    params(("org_id" = Uuid, Path), ("webhook_id" = Uuid, Path)),
    responses(
        (status = 200, description = "The webhook.", body = WebhookResponse),
        (status = 403, description = "Not an organisation admin.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/orgs/{org_id}/webhooks/{webhook_id}")]
async fn get_webhook(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    path: WebhookPath,
) -> Result<web::Json<WebhookResponse>, ApiError> {
    let (org_id, webhook_id) = path.into_inner();
    Ok(web::Json(webhook_response(
        webhooks::get(&state, &caller, org_id, webhook_id).await?,
    )))
}

/// Change a webhook's URL, event types, description or `enabled`.
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = [])),
    params(("org_id" = Uuid, Path), ("webhook_id" = Uuid, Path)),
    request_body = UpdateWebhook,
    responses(
        (status = 200, description = "Updated.", body = WebhookResponse),
        (status = 403, description = "Not an organisation admin.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field breaks a rule.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/orgs/{org_id}/webhooks/{webhook_id}")]
async fn update_webhook(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    path: WebhookPath,
    ApiJson(body): ApiJson<UpdateWebhook>,
) -> Result<web::Json<WebhookResponse>, ApiError> {
    let (org_id, webhook_id) = path.into_inner();
    Ok(web::Json(webhook_response(
        webhooks::update(
            &state,
            &caller,
            org_id,
            webhook_id,
            WebhookPatch::try_from(body)?,
        )
        .await?,
    )))
}

/// Delete a webhook and its pending deliveries.
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = [])),
    params(("org_id" = Uuid, Path), ("webhook_id" = Uuid, Path)),
    responses(
        (status = 204, description = "Deleted."),
        (status = 403, description = "Not an organisation admin.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/orgs/{org_id}/webhooks/{webhook_id}")]
async fn delete_webhook(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    path: WebhookPath,
) -> Result<HttpResponse, ApiError> {
    let (org_id, webhook_id) = path.into_inner();
    webhooks::delete(&state, &caller, org_id, webhook_id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Send a `ping` event to the webhook (queued; see its deliveries).
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = [])),
    params(("org_id" = Uuid, Path), ("webhook_id" = Uuid, Path)),
    responses(
        (status = 202, description = "Queued.", body = DeliveryResponse),
        (status = 403, description = "Not an organisation admin.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/orgs/{org_id}/webhooks/{webhook_id}/ping")]
async fn ping_webhook(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    claim: RequestClaim,
    path: WebhookPath,
) -> Result<HttpResponse, ApiError> {
    let (org_id, webhook_id) = path.into_inner();
    let queued = webhooks::ping(&state, &caller, org_id, webhook_id).await?;
    let reply = Reply::new(StatusCode::ACCEPTED);
    let unsent = |delivery| {
        delivery_response(DeliveryLog {
            delivery,
            attempts: Vec::new(),
        })
    };
    commit(queued, &claim, reply, unsent).await
}

/// The webhook's deliveries with their latest attempt, oldest first.
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = [])),
    params(("org_id" = Uuid, Path), ("webhook_id" = Uuid, Path), DeliveryListQuery),
    responses(
        (status = 200, description = "One page.", body = Page<DeliveryResponse>),
        (status = 403, description = "Not an organisation admin.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/orgs/{org_id}/webhooks/{webhook_id}/deliveries")]
async fn list_deliveries(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    path: WebhookPath,
    query: web::Query<DeliveryListQuery>,
) -> Result<web::Json<Page<DeliveryResponse>>, ApiError> {
    let (org_id, webhook_id) = path.into_inner();
    let request = PageRequest {
        order: query.order.unwrap_or_default(),
        ..page("deliveries", query.limit, query.cursor.as_deref())?
    };
    let rows = webhooks::deliveries(&state, &caller, org_id, webhook_id, request).await?;
    Ok(web::Json(envelope(
        "deliveries",
        rows,
        |d| d.delivery.id,
        delivery_response,
    )))
}
