//! Database queries, one module per table family. Functions take `&impl ConnectionTrait`, so the
//! same query serves a pooled connection or a transaction; they hold no business rules.

pub mod activities;
pub mod api_keys;
pub mod events;
pub mod idempotency;
pub mod milestones;
pub mod orgs;
pub mod project_members;
pub mod projects;
pub mod readiness;
pub mod sessions;
pub mod users;
pub mod webhooks;

use uuid::Uuid;

/// A keyset page request: rows after `after` (by id), at most `limit`.
#[derive(Debug, Clone, Copy)]
pub struct PageRequest<K = Uuid> {
    pub limit: u64,
    pub after: Option<K>,
}

/// Splits `limit + 1` fetched rows into the page and whether more exist.
pub fn into_page<T>(mut rows: Vec<T>, limit: u64) -> (Vec<T>, bool) {
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    (rows, more)
}
