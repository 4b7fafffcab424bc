//! Database queries, one module per table family. Functions take `&impl ConnectionTrait`, so the
//! same query serves a pooled connection or a transaction; they hold no business rules.

pub mod actions;
pub mod activities;
pub mod api_keys;
pub mod events;
pub mod history;
pub mod idempotency;
pub mod invitations;
pub mod milestones;
pub mod orgs;
pub mod project_members;
pub mod projects;
pub mod readiness;
pub mod sessions;
pub mod test_scripts;
pub mod throttles;
pub mod users;
pub mod webhooks;

use std::sync::OnceLock;

use sea_orm::{DbBackend, Statement, Value};

use crate::domain::query::Order;
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

/// Optimistic concurrency, written once: stores every column of `changed` with its version one
/// higher, if the row `scope` selects is still at `expected`. The row as written, or `None` when
/// it changed meanwhile (every write bumps the version, so no other change is overwritten).
pub async fn update_if_version<E>(
    db: &impl sea_orm::ConnectionTrait,
    changed: E::Model,
    version: E::Column,
    scope: sea_orm::Condition,
    expected: i32,
) -> Result<Option<E::Model>, sea_orm::DbErr>
where
    E: sea_orm::EntityTrait,
    E::Model: sea_orm::IntoActiveModel<E::ActiveModel>,
    E::ActiveModel: sea_orm::TryIntoModel<E::Model> + Clone,
{
    use sea_orm::{ActiveModelTrait, ColumnTrait, IntoActiveModel, QueryFilter, TryIntoModel};
    let mut row = changed.into_active_model().reset_all();
    row.set(version, (expected + 1).into());
    let written = E::update_many()
        .set(row.clone())
        .filter(scope)
        .filter(version.eq(expected))
        .exec(db)
        .await?;
    if written.rows_affected == 1 {
        row.try_into_model().map(Some)
    } else {
        Ok(None)
    }
}

/// One keyset page of `query` by its `id` column: `limit + 1` rows after `page.after` in
/// `page.order` (the extra row tells [`into_page`] whether more exist).
pub fn keyset<E, K>(
    query: sea_orm::Select<E>,
    id: E::Column,
    page: &PageRequest<K>,
) -> sea_orm::Select<E>
where
    E: sea_orm::EntityTrait,
    K: Into<sea_orm::Value> + Copy,
{
    use sea_orm::{ColumnTrait, QueryFilter, QueryOrder, QuerySelect};
    let query = query.limit(page.limit + 1);
    match page.order {
        Order::Asc => {
            let query = query.order_by_asc(id);
            match page.after {
                Some(after) => query.filter(id.gt(after)),
                None => query,
            }
        }
        Order::Desc => {
            let query = query.order_by_desc(id);
            match page.after {
                Some(after) => query.filter(id.lt(after)),
                None => query,
            }
        }
    }
}

/// Splits `limit + 1` fetched rows into the page and whether more exist.
pub fn into_page<T>(mut rows: Vec<T>, limit: u64) -> (Vec<T>, bool) {
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    (rows, more)
}
