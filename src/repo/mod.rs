//! Database queries, one module per table family. Functions take `&impl ConnectionTrait`, so the
//! same query serves a pooled connection or a transaction; they hold no business rules.

pub mod activities;
pub mod api_keys;
pub mod events;
pub mod idempotency;
pub mod invitations;
pub mod milestones;
pub mod orgs;
pub mod project_members;
pub mod projects;
pub mod readiness;
pub mod sessions;
pub mod throttles;
pub mod users;
pub mod webhooks;

use std::sync::OnceLock;

use sea_orm::{DbBackend, Statement, Value};

pub use crate::domain::query::PageRequest;

/// SQL written by hand for the queries every request runs (the session check, project access):
/// profiles of `bench/run` showed that building them with the query builder on each request cost
/// more than the database spent running them. Written with PostgreSQL's `$n` placeholders;
/// SQLite reads the same numbered parameters as `?n`.
pub struct HotSql {
    postgres: &'static str,
    sqlite: OnceLock<String>,
}

impl HotSql {
    pub const fn new(postgres: &'static str) -> Self {
        HotSql {
            postgres,
            sqlite: OnceLock::new(),
        }
    }

    pub fn statement(
        &self,
        backend: DbBackend,
        values: impl IntoIterator<Item = Value>,
    ) -> Statement {
        let sql = match backend {
            DbBackend::Sqlite => self
                .sqlite
                .get_or_init(|| self.postgres.replace('$', "?"))
                .as_str(),
            _ => self.postgres,
        };
        Statement::from_sql_and_values(backend, sql, values)
    }
}

/// How many rows of `E` match `condition` (for the per-parent limits).
pub async fn count<E>(
    db: &impl sea_orm::ConnectionTrait,
    condition: sea_orm::Condition,
) -> Result<u64, sea_orm::DbErr>
where
    E: sea_orm::EntityTrait,
    E::Model: Sync,
{
    use sea_orm::{PaginatorTrait, QueryFilter};
    E::find().filter(condition).count(db).await
}

/// Splits `limit + 1` fetched rows into the page and whether more exist.
pub fn into_page<T>(mut rows: Vec<T>, limit: u64) -> (Vec<T>, bool) {
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    (rows, more)
}
