//! Business rules: authorisation, invariants, transactions. Handlers call exactly one function
//! here; these call the repositories.

pub mod access;
pub mod actions;
pub mod activities;
pub mod api_keys;
pub mod auth;
pub mod criteria;
pub mod events;
pub mod idempotency;
pub mod members;
pub mod milestones;
pub mod orgs;
pub mod outbound;
pub mod password;
pub mod projects;
pub mod readiness;
pub mod test_scripts;
pub mod tokens;
pub mod webhooks;

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

use crate::{domain::limits::Limit, error::ApiError};

/// Begins a transaction that will write. Services read through it before they write, so on
/// SQLite it takes the write lock at `BEGIN IMMEDIATE` (waiting out the busy timeout while
/// another writer, perhaps another server process, holds it) instead of failing when a read
/// transaction later asks to write; PostgreSQL ignores the mode.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    })
    .await
}

/// Refuses one more child when the parent holds `limit.max` of them already (409
/// `limit_reached`). Call it under the parent's lock, so concurrent adds cannot pass it together.
pub async fn within_limit<E>(
    db: &impl ConnectionTrait,
    limit: Limit,
    children: sea_orm::Condition,
) -> Result<(), ApiError>
where
    E: EntityTrait,
    E::Model: Sync,
{
    let count = crate::repo::count::<E>(db, children).await?;
    if limit.allows_one_more(count) {
        Ok(())
    } else {
        Err(ApiError::conflict(
            "limit_reached",
            format!(
                "A {} holds at most {} {}.",
                limit.per, limit.max, limit.what
            ),
        ))
    }
}

/// 409 `external_id_taken` when a write broke a unique external id (`what` already has it);
/// any other error as it is.
pub fn external_id_taken(what: &str, err: DbErr) -> ApiError {
    match err.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => ApiError::conflict(
            "external_id_taken",
            format!("Another {what} has this external_source and external_id."),
        ),
        _ => err.into(),
    }
}

/// Runs `one` on each item of a batch, each in a savepoint of `txn`: an item refused (4xx) is
/// rolled back alone and reported in its place, and the others stand; any other error fails
/// the whole batch (nothing of it is committed).
pub async fn each_item<I, T>(
    txn: &DatabaseTransaction,
    items: Vec<I>,
    one: impl AsyncFn(&DatabaseTransaction, I) -> Result<T, ApiError>,
) -> Result<Vec<Result<T, ApiError>>, ApiError> {
    let mut results = Vec::with_capacity(items.len());
    for item in items {
        let savepoint = txn.begin().await?;
        let outcome = one(&savepoint, item).await;
        match outcome {
            Ok(_) => savepoint.commit().await?,
            Err(_) => savepoint.rollback().await?,
        }
        match outcome {
            Err(e) if !e.is_client_error() => return Err(e),
            outcome => results.push(outcome),
        }
    }
    Ok(results)
}

use password::Passwords;
use tokens::Tokens;

/// What every request handler can reach: shared, cheap to clone, holds nothing that another
/// server instance would need (the server is stateless; all state is in the database).
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    /// For long reads whose queries run side by side (`db::connect_readers`).
    pub readers: DatabaseConnection,
    /// The one clock: every "now" and "today" comes from it.
    pub clock: crate::clock::Clock,
    pub tokens: Tokens,
    pub passwords: Passwords,
    pub webhooks: crate::config::WebhookSettings,
    pub deadlines: crate::config::Deadlines,
    /// Proxies whose `X-Forwarded-For` names the client (`BUYIN_TRUSTED_PROXIES`).
    pub trusted_proxies: std::sync::Arc<[std::net::IpAddr]>,
    /// Set when the instance has been told to stop: `/readyz` then answers 503.
    pub stopping: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl AppState {
    pub fn is_stopping(&self) -> bool {
        self.stopping.load(std::sync::atomic::Ordering::Relaxed)
    }
}
