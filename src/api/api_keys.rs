//! `/orgs/{org_id}/api-keys`: service accounts for integrations (organisation admins).

use actix_web::{HttpResponse, delete, get, http::header, post, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    bodies::integrations::CreateApiKey,
    common::{Page, envelope, page},
    extract::{ApiJson, Authenticated},
    idempotency::holds_secret,
    orgs::ListQuery,
};
use crate::{
    domain::KeyScope,
    domain::integration::NewApiKey,
    entity::api_key,
    error::{ApiError, Problem},
    service::{AppState, api_keys},
};

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create_key)
        .service(list_keys)
        .service(revoke_key);
}

#[derive(Serialize, ToSchema)]
pub struct ApiKeyResponse {
    pub id: Uuid,
    pub name: String,
    pub scope: KeyScope,
    /// The key's first characters, to recognise it.
    #[schema(example = "bik_3q2Xy9Za")]
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    /// Updated at most once a minute.
    pub last_used_at: Option<DateTime<Utc>>,
}

#[derive(Serialize, ToSchema)]
pub struct CreatedApiKey {
    #[serde(flatten)]
    pub key: ApiKeyResponse,
    /// The key itself, shown this once: send it as `Authorization: Bearer <key>`.
    #[schema(example = "bik_3q2Xy9Za…")]
    pub secret: String,
}

fn key_response(k: api_key::Model) -> ApiKeyResponse {
    ApiKeyResponse {
        id: k.id,
        name: k.name,
        scope: k.scope,
        prefix: k.prefix,
        created_at: k.created_at,
        expires_at: k.expires_at,
        last_used_at: k.last_used_at,
    }
}

/// Create an API key (organisation admins). The key is in the response once and never again.
#[utoipa::path(
    tag = "api keys",
    security(("bearer" = [])),
    params(("org_id" = Uuid, Path)),
    request_body = CreateApiKey,
    responses(
        (status = 201, description = "Created; `secret` is shown only now.", body = CreatedApiKey,
            headers(("Location" = String, description = "The key's place in the list."))),
        (status = 403, description = "Not an organisation admin (API keys cannot make keys).", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field breaks a rule.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The organisation holds 50 live API keys already (`limit_reached`).", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/orgs/{org_id}/api-keys")]
async fn create_key(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    path: web::Path<Uuid>,
    ApiJson(body): ApiJson<CreateApiKey>,
) -> Result<HttpResponse, ApiError> {
    let org_id = path.into_inner();
    let new = NewApiKey::try_from(body)?;
    let (key, secret) = api_keys::create(&state, &caller, org_id, new).await?;
    let location = format!("/api/v1/orgs/{org_id}/api-keys/{}", key.id);
    Ok(holds_secret(
        HttpResponse::Created()
            .insert_header((header::LOCATION, location))
            .json(CreatedApiKey {
                key: key_response(key),
                secret,
            }),
    ))
}

/// The organisation's live API keys (never the keys themselves).
#[utoipa::path(
    tag = "api keys",
    security(("bearer" = [])),
    params(("org_id" = Uuid, Path), ListQuery),
    responses(
        (status = 200, description = "One page.", body = Page<ApiKeyResponse>),
        (status = 403, description = "Not an organisation admin.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/orgs/{org_id}/api-keys")]
async fn list_keys(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    path: web::Path<Uuid>,
    query: web::Query<ListQuery>,
) -> Result<web::Json<Page<ApiKeyResponse>>, ApiError> {
    let request = page("api_keys", query.limit, query.cursor.as_deref())?;
    let rows = api_keys::list(&state, &caller, path.into_inner(), request).await?;
    Ok(web::Json(envelope(
        "api_keys",
        rows,
        |k| k.id,
        key_response,
    )))
}

/// Revoke an API key (organisation admins); it stops working on the very next request.
#[utoipa::path(
    tag = "api keys",
    security(("bearer" = [])),
    params(("org_id" = Uuid, Path), ("key_id" = Uuid, Path)),
    responses(
        (status = 204, description = "Revoked."),
        (status = 403, description = "Not an organisation admin.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/orgs/{org_id}/api-keys/{key_id}")]
async fn revoke_key(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (org_id, key_id) = path.into_inner();
    api_keys::revoke(&state, &caller, org_id, key_id).await?;
    Ok(HttpResponse::NoContent().finish())
}
