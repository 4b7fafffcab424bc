//! The `Idempotency-Key` middleware on `/api/v1` POSTs (see `service::idempotency`).
//!
//! Not applied where the response carries a secret shown once (login, refresh, API-key and
//! webhook creation): storing it to replay it would defeat "shown once"; and a response marked
//! [`HoldsSecret`] is never stored, whatever its route.

use actix_web::{
    Error, FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError,
    body::{self, BoxBody, MessageBody},
    dev::{Payload, ServiceRequest, ServiceResponse},
    http::{Method, StatusCode, header},
    middleware::Next,
    web,
};

use super::common::Reply;
use super::fallback::RouteTable;
use crate::{
    entity::idempotency_key,
    error::{ApiError, PROBLEM_JSON},
    service::{
        AppState,
        idempotency::{self, Answer, Begin, Claim},
    },
};

pub const HEADER: &str = "idempotency-key";

/// Set on a response that replays the stored answer to an earlier request with the same key.
pub const REPLAYED: actix_web::http::header::HeaderName =
    actix_web::http::header::HeaderName::from_static("idempotent-replayed");

/// Whether POSTs to the route `pattern` (as written in the OpenAPI document) take
/// `Idempotency-Key`. Not those whose answer holds a secret shown once (login, refresh, API-key
/// and webhook creation: storing it to replay it would defeat "shown once"), nor those without a
/// caller to keep keys apart (registration).
pub fn applies(pattern: &str) -> bool {
    ![
        "/api/v1/auth/register",
        "/api/v1/auth/login",
        "/api/v1/auth/refresh",
        "/api/v1/auth/logout",
        "/api/v1/auth/logout-all",
        "/api/v1/me/password",
        "/api/v1/orgs/{org_id}/api-keys",
        "/api/v1/orgs/{org_id}/webhooks",
    ]
    .contains(&pattern)
}

/// Set on a response whose body holds a secret: it is never stored, whatever its route.
#[derive(Clone, Copy)]
pub struct HoldsSecret;

/// Marks `res` as holding a secret (tokens, API keys, signing secrets): never stored to replay.
pub fn holds_secret(mut res: HttpResponse) -> HttpResponse {
    res.extensions_mut().insert(HoldsSecret);
    res
}

/// Set on a response whose answer was stored in its change's transaction
/// ([`service::idempotency::Pending::commit`]), so it is not stored again.
#[derive(Clone, Copy)]
pub struct Answered;

/// The claimed key of the request, for the handler to store its answer with its change.
#[derive(Clone, Default)]
pub struct RequestClaim(pub Option<Claim>);

impl RequestClaim {
    /// The answer to store with a change, when the request claimed a key.
    pub fn answer(&self, reply: &Reply, body: &str) -> Option<Answer<'_>> {
        self.0.as_ref().map(|claim| Answer {
            claim,
            status: reply.status.as_u16(),
            location: reply.location.clone(),
            etag: reply.etag.clone(),
            body: body.to_owned(),
        })
    }
}

impl FromRequest for RequestClaim {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(Ok(req
            .extensions()
            .get::<RequestClaim>()
            .cloned()
            .unwrap_or_default()))
    }
}

fn respond(req: ServiceRequest, err: ApiError) -> ServiceResponse<BoxBody> {
    let res = err.error_response();
    req.into_response(res)
}

async fn pass(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    next.call(req)
        .await
        .map(ServiceResponse::map_into_boxed_body)
}

/// Whether the request is a POST to a route that takes keys, judged on the path as the router
/// matched it (percent-decoded), never on the raw path: `/api%2Dkeys` is `/api-keys`.
fn takes_key(req: &ServiceRequest) -> bool {
    req.method() == Method::POST
        && req
            .app_data::<web::Data<RouteTable>>()
            .and_then(|routes| routes.pattern(req.match_info().as_str()))
            .is_some_and(applies)
}

pub async fn idempotent(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let raw_key = req
        .headers()
        .get(HEADER)
        .map(|v| v.to_str().map(str::to_owned));
    let Some(raw_key) = raw_key.filter(|_| takes_key(&req)) else {
        return pass(req, next).await;
    };
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(respond(
            req,
            ApiError::internal("AppState is not registered"),
        ));
    };
    // Keys are private to their caller, so only an authenticated caller claims one; anything
    // else is left to the handler (which answers 401). The caller resolved here is the one the
    // handler sees: it is not authenticated twice.
    let caller = match super::extract::authenticate(req.request()).await {
        Ok(caller) => caller,
        Err(_) => return pass(req, next).await,
    };
    let principal = caller.principal();
    req.extensions_mut().insert(caller);
    let key = match raw_key.ok().map(|k| idempotency::parse_key(&k)) {
        Some(Ok(key)) => key,
        Some(Err(err)) => return Ok(respond(req, err)),
        None => return Ok(respond(req, idempotency::invalid_key())),
    };
    let deadline = super::extract::body_deadline(req.request());
    let bytes = match tokio::time::timeout(deadline, req.extract::<web::Bytes>()).await {
        Err(_) => return Ok(respond(req, super::extract::body_timeout(deadline))),
        Ok(Ok(bytes)) => bytes,
        Ok(Err(_)) => {
            return Ok(respond(
                req,
                ApiError::PayloadTooLarge {
                    limit: super::extract::JSON_LIMIT,
                },
            ));
        }
    };
    let hash = idempotency::request_hash("POST", req.match_info().as_str(), &bytes);
    req.set_payload(Payload::from(bytes));

    match idempotency::begin(&state, &principal, &key, &hash).await {
        Err(err) => Ok(respond(req, err)),
        Ok(Begin::Replay(first)) => Ok(replay(req, first)),
        Ok(Begin::Proceed(claim)) => {
            req.extensions_mut()
                .insert(RequestClaim(Some(claim.clone())));
            let res = match next.call(req).await {
                Ok(res)
                    if !res.status().is_server_error()
                        && !res.response().extensions().contains::<HoldsSecret>() =>
                {
                    res
                }
                other => {
                    idempotency::abandon(&state, &claim).await.ok();
                    return other.map(ServiceResponse::map_into_boxed_body);
                }
            };
            if res.response().extensions().contains::<Answered>() {
                return Ok(res.map_into_boxed_body());
            }
            store_after(&state, &claim, res).await
        }
    }
}

/// Sends the stored first answer again.
fn replay(req: ServiceRequest, first: idempotency_key::Model) -> ServiceResponse<BoxBody> {
    let status = first
        .status
        .and_then(|s| u16::try_from(s).ok())
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::OK);
    let mut res = HttpResponse::build(status);
    res.content_type(if status.as_u16() >= 400 {
        PROBLEM_JSON
    } else {
        "application/json"
    });
    res.insert_header((REPLAYED, "true"));
    if let Some(location) = first.location {
        res.insert_header((header::LOCATION, location));
    }
    if let Some(etag) = first.etag {
        res.insert_header((header::ETAG, etag));
    }
    req.into_response(res.body(first.body.unwrap_or_default()))
}

/// Stores an answer that came without a change (a client error) once the handler is done.
async fn store_after(
    state: &AppState,
    claim: &Claim,
    res: ServiceResponse<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let status = res.status().as_u16();
    let location = res
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let (http_req, res) = res.into_parts();
    let (res, body) = res.into_parts();
    let bytes = body::to_bytes(body).await.unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    if let Err(err) = idempotency::finish(state, claim, status, location, text).await {
        tracing::warn!(error = %err, "could not store an idempotent response");
        idempotency::abandon(state, claim).await.ok();
    }
    Ok(ServiceResponse::new(
        http_req,
        res.set_body(BoxBody::new(bytes)),
    ))
}
