//! Request-scoped plumbing: a request id on every request (taken from `x-request-id` when the
//! caller sent a sane one), a tracing span carrying it so every log line names its request, an
//! access log line, a deadline that bounds every request (503 with `Retry-After` when it passes),
//! and a last-resort guard that turns a panicking handler into a 500 problem+json instead of a
//! dropped connection.

use std::{panic::AssertUnwindSafe, time::Instant};

use actix_web::{
    Error, HttpResponse, ResponseError,
    body::{BoxBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    error::InternalError,
    http::{
        Method,
        header::{self, HeaderMap, HeaderName, HeaderValue},
    },
    middleware::Next,
    web,
};
use futures_util::FutureExt;
use tracing::Instrument;
use uuid::Uuid;

use crate::{
    error::{ApiError, Unavailable},
    service::AppState,
};

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// What a request with a method this API does not know is recorded as. Metrics label requests
/// by method, so every made-up method name an anonymous caller sends would otherwise become a
/// new series kept forever; logs would echo it too.
const OTHER_METHOD: &[u8] = b"OTHER";

/// Folds unknown methods into one `OTHER` value before anything records or logs the request; the
/// request is still answered (405, as for any method a route does not have). `HEAD` is served as
/// `GET` wherever `GET` is (the server sends the headers without the body).
fn bounded_method(req: &mut ServiceRequest) {
    if req.method() == Method::HEAD {
        req.head_mut().method = Method::GET;
        return;
    }
    const KNOWN: [Method; 9] = [
        Method::GET,
        Method::HEAD,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
        Method::OPTIONS,
        Method::CONNECT,
        Method::TRACE,
    ];
    if !KNOWN.contains(req.method())
        && let Ok(other) = Method::from_bytes(OTHER_METHOD)
    {
        req.head_mut().method = other;
    }
}

fn request_id(req: &ServiceRequest) -> String {
    req.headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 128
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
        })
        .map_or_else(|| Uuid::new_v4().to_string(), str::to_owned)
}

pub async fn observe(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    bounded_method(&mut req);
    let id = request_id(&req);
    let method = req.method().clone();
    let path = req.path().to_owned();
    let span = tracing::info_span!("request", request_id = %id, %method, %path);
    let started = Instant::now();
    let deadline = req
        .app_data::<web::Data<AppState>>()
        .map(|state| state.deadlines.request);

    // Dropping the handler's future at the deadline rolls back any open transaction.
    let call = next.call(req);
    let bounded = async move {
        match deadline {
            Some(limit) => tokio::time::timeout(limit, call).await.ok(),
            None => Some(call.await),
        }
    };
    let outcome = AssertUnwindSafe(bounded.instrument(span.clone()))
        .catch_unwind()
        .await;
    // The request cannot be kept for building a response (actix routes by taking it mutably),
    // so failures travel as an error carrying a ready response, which the server sends as is.
    let failure = |res: HttpResponse| -> Error {
        let mut res = res;
        with_request_id(res.headers_mut(), &id);
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        res.headers_mut().insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        InternalError::from_response("request failed", res).into()
    };
    let mut response = match outcome {
        Ok(Some(Ok(res))) => res.map_into_boxed_body(),
        Ok(None) => {
            span.in_scope(|| tracing::warn!("request deadline passed; answered 503"));
            let res = ApiError::Unavailable(Unavailable::Deadline).error_response();
            log_finished(&span, res.status().as_u16(), started);
            return Err(failure(res));
        }
        Ok(Some(Err(err))) => {
            let res = err.error_response();
            log_finished(&span, res.status().as_u16(), started);
            return Err(failure(res));
        }
        Err(panic) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            span.in_scope(|| tracing::error!(panic = %message, "handler panicked"));
            let res =
                span.in_scope(|| ApiError::Internal(format!("panic: {message}")).error_response());
            log_finished(&span, res.status().as_u16(), started);
            return Err(failure(res));
        }
    };
    if response.status() == actix_web::http::StatusCode::NOT_FOUND && !is_problem(&response) {
        // A 404 from a library's own service (Swagger UI's unknown files) is a problem too.
        let problem = ApiError::not_found(
            "route_not_found",
            format!("There is no resource at {}.", response.request().path()),
        )
        .error_response();
        response = response.into_response(problem);
    }
    with_request_id(response.headers_mut(), &id);
    log_finished(&span, response.status().as_u16(), started);
    Ok(response)
}

fn is_problem(response: &ServiceResponse<BoxBody>) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes() == crate::error::PROBLEM_JSON.as_bytes())
}

fn with_request_id(headers: &mut HeaderMap, id: &str) {
    if let Ok(value) = HeaderValue::from_str(id) {
        headers.insert(REQUEST_ID, value);
    }
}

fn log_finished(span: &tracing::Span, status: u16, started: Instant) {
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    span.in_scope(|| {
        if status >= 500 {
            tracing::warn!(status, elapsed_ms, "request finished");
        } else {
            tracing::info!(status, elapsed_ms, "request finished");
        }
    });
}
