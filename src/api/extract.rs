//! Extractors: the typed edge of every handler.
//!
//! [`ApiJson`] parses a body strictly (unknown fields and NUL bytes refused, errors as
//! problem+json with the failing field's path); [`Authenticated`] authenticates the caller against the
//! database, so a handler that takes one cannot forget to check.

use std::{future::Future, pin::Pin};

use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload, http::header, web};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::{
    error::{ApiError, AuthFailure, FieldError},
    service::{AppState, auth},
};

/// Largest JSON body accepted (bigger ones get 413).
pub const JSON_LIMIT: usize = 64 * 1024;

/// A JSON request body of type `T`.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for ApiJson<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        // actix's own extractor enforces the content type and size limit (its errors are mapped
        // to problem+json by `json_config`); the strict typing happens here.
        let value = web::Json::<Value>::from_request(req, payload);
        let deadline = body_deadline(req);
        Box::pin(async move {
            let web::Json(value) = tokio::time::timeout(deadline, value)
                .await
                .map_err(|_| body_timeout(deadline))?
                .map_err(json_payload_error)?;
            if !value.is_object() {
                return Err(ApiError::bad_request(
                    "invalid_body",
                    "The request body must be a JSON object.",
                ));
            }
            if let Some(path) = find_nul(&value, String::new()) {
                return Err(ApiError::BadRequest {
                    code: "nul_byte",
                    detail: "Strings must not contain NUL bytes.".into(),
                    errors: vec![FieldError::new(path, "must not contain NUL bytes")],
                });
            }
            serde_path_to_error::deserialize::<_, T>(value)
                .map(ApiJson)
                .map_err(|err| {
                    let field = err.path().to_string();
                    let message = err.into_inner().to_string();
                    ApiError::BadRequest {
                        code: "invalid_body",
                        detail: format!("The request body does not match the schema: {message}."),
                        errors: vec![FieldError::new(
                            if field == "." { String::new() } else { field },
                            message,
                        )],
                    }
                })
        })
    }
}

/// The address a request came from: the peer, or, when the peer is a trusted proxy
/// (`BUYIN_TRUSTED_PROXIES`), the last address in `X-Forwarded-For` that is not one of them.
/// Throttling counts attempts per source, so a forged header must never be believed.
pub struct ClientAddr(pub std::net::IpAddr);

impl FromRequest for ClientAddr {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let trusted = req
            .app_data::<web::Data<AppState>>()
            .map(|state| state.trusted_proxies.clone())
            .unwrap_or_default();
        let peer = req.peer_addr().map(|a| a.ip());
        let addr = peer.map(|peer| {
            if !trusted.contains(&peer) {
                return peer;
            }
            req.headers()
                .get_all("x-forwarded-for")
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .filter_map(|hop| hop.trim().parse::<std::net::IpAddr>().ok())
                .rev()
                .find(|hop| !trusted.contains(hop))
                .unwrap_or(peer)
        });
        std::future::ready(
            addr.map(ClientAddr)
                .ok_or_else(|| ApiError::internal("the request has no peer address")),
        )
    }
}

/// How long a request body may take to arrive (`BUYIN_BODY_TIMEOUT`).
pub fn body_deadline(req: &HttpRequest) -> std::time::Duration {
    req.app_data::<web::Data<AppState>>()
        .map_or(crate::config::Deadlines::default().body, |state| {
            state.deadlines.body
        })
}

/// The 408 for a body that did not arrive within `deadline`.
pub fn body_timeout(deadline: std::time::Duration) -> ApiError {
    ApiError::BodyTimeout {
        secs: deadline.as_secs_f64().ceil() as u64,
    }
}

/// Where, if anywhere, a NUL byte hides in a JSON value (in a string or an object key).
fn find_nul(value: &Value, path: String) -> Option<String> {
    let join = |key: &str| {
        if path.is_empty() {
            key.to_owned()
        } else {
            format!("{path}.{key}")
        }
    };
    match value {
        Value::String(s) if crate::domain::has_nul(s) => Some(path),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| find_nul(v, format!("{path}[{i}]"))),
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            if crate::domain::has_nul(k) {
                Some(join(k).replace('\0', "\\u0000"))
            } else {
                find_nul(v, join(k))
            }
        }),
        _ => None,
    }
}

/// Maps actix's JSON payload errors to problem details.
pub fn json_payload_error(err: actix_web::Error) -> ApiError {
    use actix_web::error::JsonPayloadError as E;
    match err.as_error::<E>() {
        Some(E::ContentType) => ApiError::UnsupportedMediaType,
        Some(E::Overflow { .. } | E::OverflowKnownLength { .. }) => {
            ApiError::PayloadTooLarge { limit: JSON_LIMIT }
        }
        Some(E::Deserialize(e)) => ApiError::bad_request(
            "malformed_json",
            format!("The request body is not valid JSON: {e}."),
        ),
        _ => ApiError::bad_request("malformed_body", "The request body could not be read."),
    }
}

/// The authenticated caller of the request: a person (access token) or an API key.
pub struct Authenticated(pub auth::Caller);

impl FromRequest for Authenticated {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { authenticate(&req).await.map(Authenticated) })
    }
}

/// The request's caller: resolved once per request (the idempotency middleware may have done it
/// already, leaving it in the request's extensions), from the bearer credential, against the
/// database.
pub async fn authenticate(req: &HttpRequest) -> Result<auth::Caller, ApiError> {
    // Left by the idempotency middleware when it authenticated first; one extractor takes it.
    if let Some(caller) = req.extensions_mut().remove::<auth::Caller>() {
        return Ok(caller);
    }
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::internal("AppState is not registered"))?;
    let token = bearer_token(req)?;
    auth::authenticate(&state, &token).await
}

fn bearer_token(req: &HttpRequest) -> Result<String, ApiError> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or(ApiError::Unauthorized(AuthFailure::MissingCredentials))?;
    let value = value
        .to_str()
        .map_err(|_| ApiError::Unauthorized(AuthFailure::InvalidToken))?;
    let (scheme, token) = value
        .split_once(' ')
        .ok_or(ApiError::Unauthorized(AuthFailure::InvalidToken))?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(ApiError::Unauthorized(AuthFailure::InvalidToken));
    }
    Ok(token.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_bytes_are_found_with_their_path() {
        let value = serde_json::json!({"a": {"b": ["ok", "x\u{0}y"]}});
        assert_eq!(find_nul(&value, String::new()), Some("a.b[1]".into()));
        assert_eq!(
            find_nul(&serde_json::json!({"a": "fine"}), String::new()),
            None
        );
    }
}
