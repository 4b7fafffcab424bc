//! Idempotent retries: a POST that creates something, sent again with the same
//! `Idempotency-Key` by the same caller, replays the first response instead of creating twice.
//!
//! The key is claimed in the database before the handler runs (a primary-key insert, so of
//! concurrent identical requests exactly one proceeds), and the response is stored after it.
//! Keys are private to their caller and kept 24 hours.

use chrono::Utc;

use super::AppState;
use crate::{entity::idempotency_key, error::ApiError, repo::idempotency};

/// How long a key is remembered.
pub const RETENTION: chrono::Duration = chrono::Duration::hours(24);

pub enum Begin {
    /// The first request with this key: run it, then [`finish`] or [`abandon`].
    Proceed,
    /// A retry of a finished request: send this response again.
    Replay(idempotency_key::Model),
}

pub fn invalid_key() -> ApiError {
    ApiError::bad_request(
        "invalid_idempotency_key",
        "`Idempotency-Key` must be 1 to 255 printable ASCII characters.",
    )
}

/// Validates a key: 1 to 255 printable ASCII characters.
pub fn parse_key(raw: &str) -> Result<String, ApiError> {
    let ok = !raw.is_empty() && raw.len() <= 255 && raw.bytes().all(|b| (0x20..0x7f).contains(&b));
    if ok {
        Ok(raw.to_owned())
    } else {
        Err(invalid_key())
    }
}

pub fn request_hash(method: &str, path: &str, body: &[u8]) -> String {
    super::secrets::sha256_hex(&[
        method.as_bytes(),
        b"
",
        path.as_bytes(),
        b"
",
        body,
    ])
}

pub async fn begin(
    state: &AppState,
    caller: &str,
    key: &str,
    hash: &str,
) -> Result<Begin, ApiError> {
    for _ in 0..2 {
        if idempotency::claim(&state.db, caller, key, hash).await? {
            return Ok(Begin::Proceed);
        }
        let Some(existing) = idempotency::find(&state.db, caller, key).await? else {
            continue; // released meanwhile: claim again
        };
        if existing.created_at < Utc::now() - RETENTION {
            idempotency::release(&state.db, caller, key).await?;
            continue;
        }
        if existing.request_hash != hash {
            return Err(ApiError::invalid(
                "Idempotency-Key",
                "this key was used for a different request; use a new key",
            ));
        }
        // Every request ends by the request deadline, so an unfinished key older than that
        // belongs to a request that died (a crash, a stop): the retry runs afresh.
        let abandoned_before = Utc::now()
            - chrono::Duration::from_std(state.deadlines.request).unwrap_or_default()
            - chrono::Duration::seconds(5);
        if existing.status.is_none() && existing.created_at < abandoned_before {
            idempotency::release(&state.db, caller, key).await?;
            continue;
        }
        if existing.status.is_none() {
            return Err(ApiError::conflict(
                "idempotency_in_progress",
                "The first request with this Idempotency-Key is still running; retry shortly.",
            ));
        }
        return Ok(Begin::Replay(existing));
    }
    Err(ApiError::conflict(
        "idempotency_in_progress",
        "The Idempotency-Key is being reused concurrently; retry shortly.",
    ))
}

pub async fn finish(
    state: &AppState,
    caller: &str,
    key: &str,
    status: u16,
    location: Option<String>,
    body: String,
) -> Result<(), ApiError> {
    Ok(idempotency::complete(&state.db, caller, key, status, location, body).await?)
}

/// Forgets the key after a failure the client may retry (5xx): the retry runs afresh.
pub async fn abandon(state: &AppState, caller: &str, key: &str) -> Result<(), ApiError> {
    Ok(idempotency::release(&state.db, caller, key).await?)
}
