//! The `Idempotency-Key` middleware on `/api/v1` POSTs (see `service::idempotency`).
//!
//! Not applied where the response carries a secret shown once (login, refresh, API-key and
//! webhook creation): storing it to replay it would defeat "shown once".

use actix_web::{
    Error, HttpResponse, ResponseError,
    body::{self, BoxBody, MessageBody},
    dev::{Payload, ServiceRequest, ServiceResponse},
    http::{Method, header},
    middleware::Next,
    web,
};

use crate::{
    error::{ApiError, PROBLEM_JSON},
    service::{
        AppState, auth,
        idempotency::{self, Begin},
    },
};

pub const HEADER: &str = "idempotency-key";

/// Whether a POST to `path` takes `Idempotency-Key`.
pub fn applies(path: &str) -> bool {
    ![
        "/auth/login",
        "/auth/refresh",
        "/auth/logout",
        "/api-keys",
        "/webhooks",
    ]
    .iter()
    .any(|suffix| path.ends_with(suffix))
}

fn respond(req: ServiceRequest, err: ApiError) -> ServiceResponse<BoxBody> {
    let res = err.error_response();
    req.into_response(res)
}

pub async fn idempotent(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let raw_key = req
        .headers()
        .get(HEADER)
        .map(|v| v.to_str().map(str::to_owned));
    let Some(raw_key) = raw_key.filter(|_| req.method() == Method::POST && applies(req.path()))
    else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    let key = match raw_key.ok().map(|k| idempotency::parse_key(&k)) {
        Some(Ok(key)) => key,
        Some(Err(err)) => return Ok(respond(req, err)),
        None => return Ok(respond(req, idempotency::invalid_key())),
    };
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(respond(
            req,
            ApiError::internal("AppState is not registered"),
        ));
    };
    // Keys are private to their caller; an unauthenticated request is left to the handler.
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .map(|(_, token)| token.trim().to_owned());
    let principal = match bearer {
        None => "anonymous".to_owned(),
        Some(token) => match auth::authenticate(&state, &token).await {
            Ok(caller) => caller.principal(),
            Err(_) => {
                return next
                    .call(req)
                    .await
                    .map(ServiceResponse::map_into_boxed_body);
            }
        },
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
    let hash = idempotency::request_hash("POST", req.path(), &bytes);
    req.set_payload(Payload::from(bytes));

    match idempotency::begin(&state, &principal, &key, &hash).await {
        Err(err) => Ok(respond(req, err)),
        Ok(Begin::Replay(first)) => {
            let status = first
                .status
                .and_then(|s| u16::try_from(s).ok())
                .unwrap_or(200);
            let mut res = HttpResponse::build(
                actix_web::http::StatusCode::from_u16(status).unwrap_or_default(),
            );
            res.content_type(if status >= 400 {
                PROBLEM_JSON
            } else {
                "application/json"
            });
            res.insert_header(("idempotent-replayed", "true"));
            if let Some(location) = first.location {
                res.insert_header((header::LOCATION, location));
            }
            Ok(req.into_response(res.body(first.body.unwrap_or_default())))
        }
        Ok(Begin::Proceed) => {
            let outcome = next.call(req).await;
            let res = match outcome {
                Ok(res) if !res.status().is_server_error() => res,
                other => {
                    idempotency::abandon(&state, &principal, &key).await.ok();
                    return other.map(ServiceResponse::map_into_boxed_body);
                }
            };
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
            if let Err(err) =
                idempotency::finish(&state, &principal, &key, status, location, text).await
            {
                tracing::warn!(error = %err, "could not store an idempotent response");
                idempotency::abandon(&state, &principal, &key).await.ok();
            }
            Ok(ServiceResponse::new(
                http_req,
                res.set_body(BoxBody::new(bytes)),
            ))
        }
    }
}
