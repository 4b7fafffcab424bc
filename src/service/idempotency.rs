//! Idempotent retries: a POST that creates something, sent again with the same
//! `Idempotency-Key` by the same caller, replays the first response instead of creating twice.
//!
//! The key is claimed in the database before the handler runs (a primary-key insert, so of
//! concurrent identical requests exactly one proceeds). A change's answer is stored **in the
//! change's own transaction** ([`Pending::commit`]): a committed change always has its stored
//! answer, so a retry after a crash replays it instead of writing again. Answers without a
//! change (4xx) are stored after the handler. Keys are private to their (authenticated) caller
//! and kept 24 hours.

use sea_orm::DatabaseTransaction;

use super::AppState;
use crate::{entity::idempotency_key, error::ApiError, repo::idempotency};

/// A claimed `Idempotency-Key`: whose it is and the key.
#[derive(Debug, Clone)]
pub struct Claim {
    caller: String,
    key: String,
}

/// The answer to store with a change: status, `Location`, `ETag`, and the JSON body as sent.
pub struct Answer<'a> {
    pub claim: &'a Claim,
    pub status: u16,
    pub location: Option<String>,
    pub etag: Option<String>,
    pub body: String,
}

/// A change made and not yet committed, with what it produced. The caller turns the value into
/// its answer and commits, storing the answer in the same transaction when the request carries a
/// key. Dropped without a commit, the change is rolled back. Nothing may use the pool while one
/// is held (SQLite has one connection): build the answer from the value, then commit.
#[must_use = "a pending change is rolled back unless committed"]
pub struct Pending<T> {
    txn: DatabaseTransaction,
    value: T,
}

impl<T> Pending<T> {
    pub fn new(txn: DatabaseTransaction, value: T) -> Self {
        Pending { txn, value }
    }

    pub fn value(&self) -> &T {
        &self.value
    }

    /// Maps the value (to a response body, say) before the commit.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Pending<U> {
        Pending {
            txn: self.txn,
            value: f(self.value),
        }
    }

    /// Commits the change, with `answer` stored in the same transaction. A key released meanwhile
    /// (its request was taken for dead and retried) rolls the change back with 409, so the
    /// retry's write is the only one.
    pub async fn commit(self, answer: Option<Answer<'_>>) -> Result<T, ApiError> {
        if let Some(answer) = answer {
            let stored = idempotency::complete(
                &self.txn,
                &answer.claim.caller,
                &answer.claim.key,
                answer.status,
                (answer.location, answer.etag),
                answer.body,
            )
            .await?;
            if !stored {
                self.txn.rollback().await?;
                return Err(in_progress());
            }
        }
        self.txn.commit().await?;
        Ok(self.value)
    }
}

fn in_progress() -> ApiError {
    ApiError::conflict(
        "idempotency_in_progress",
        "The Idempotency-Key is being reused concurrently; retry shortly.",
    )
}

/// How long a key is remembered.
pub const RETENTION: chrono::Duration = chrono::Duration::hours(24);

pub enum Begin {
    /// The first request with this key: run it, then commit its change with the answer
    /// ([`Pending::commit`]), or [`finish`] or [`abandon`].
    Proceed(Claim),
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
    crate::secrets::sha256_hex(&[
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
    let now = state.clock.now();
    for _ in 0..2 {
        if idempotency::claim(&state.db, caller, key, hash, now).await? {
            return Ok(Begin::Proceed(Claim {
                caller: caller.to_owned(),
                key: key.to_owned(),
            }));
        }
        let Some(existing) = idempotency::find(&state.db, caller, key).await? else {
            continue; // released meanwhile: claim again
        };
        if existing.created_at < now - RETENTION {
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
        let abandoned_before = now
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
    Err(in_progress())
}

/// Stores an answer that came without a change (a 4xx), after the handler.
pub async fn finish(
    state: &AppState,
    claim: &Claim,
    status: u16,
    location: Option<String>,
    body: String,
) -> Result<(), ApiError> {
    let headers = (location, None);
    idempotency::complete(&state.db, &claim.caller, &claim.key, status, headers, body).await?;
    Ok(())
}

/// Forgets the key after a failure the client may retry (5xx): the retry runs afresh.
pub async fn abandon(state: &AppState, claim: &Claim) -> Result<(), ApiError> {
    Ok(idempotency::release(&state.db, &claim.caller, &claim.key).await?)
}
