//! The connection pool and migrations.

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};

use crate::config::Backend;

/// How long a request waits for a pooled connection before it is answered 503.
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

/// Opens the pool. SQLite gets WAL, foreign keys and a busy timeout, and a single connection:
/// SQLite has one writer anyway, and one connection rules out `SQLITE_BUSY` on lock upgrades.
/// PostgreSQL gets `max_connections` and no ping on every checkout (a ping costs a round trip
/// per request; an idle connection is still checked before reuse).
pub async fn connect(url: &str, max_connections: u32) -> Result<DatabaseConnection, DbErr> {
    connect_with(url, max_connections, 1).await
}

/// Connections of the readers' pool on SQLite: one per lane of the readiness loader.
const SQLITE_READERS: u32 = 2;

/// The pool for long reads (the readiness loader, whose independent queries run side by side).
/// PostgreSQL: `db` itself. SQLite: a pool of its own beside the one writing connection — WAL
/// lets readers run beside the writer and each other, and these never write, so no lock is ever
/// upgraded; an in-memory database has only the one connection, so it is `db` too.
pub async fn connect_readers(
    url: &str,
    db: &DatabaseConnection,
) -> Result<DatabaseConnection, DbErr> {
    match crate::config::sqlite_file(url) {
        Some(_) => connect_with(url, 1, SQLITE_READERS).await,
        None => Ok(db.clone()),
    }
}

/// [`connect`], with `sqlite_connections` connections on SQLite.
async fn connect_with(
    url: &str,
    max_connections: u32,
    sqlite_connections: u32,
) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url);
    options
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect_timeout(ACQUIRE_TIMEOUT)
        .sqlx_logging(false)
        .test_before_acquire_if_idle_for(Duration::from_secs(30));
    match Backend::of(url) {
        Some(Backend::Sqlite) => {
            options
                .max_connections(sqlite_connections)
                .min_connections(1)
                .idle_timeout(None::<Duration>)
                .max_lifetime(None::<Duration>)
                .map_sqlx_sqlite_opts(|o| {
                    use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
                    o.foreign_keys(true)
                        .journal_mode(SqliteJournalMode::Wal)
                        .synchronous(SqliteSynchronous::Normal)
                        .busy_timeout(ACQUIRE_TIMEOUT)
                });
        }
        _ => {
            options
                .max_connections(max_connections)
                .min_connections(1)
                // Names the connections in `pg_stat_activity` unless the URL already does.
                .map_sqlx_postgres_opts(|o| match o.get_application_name() {
                    Some(_) => o,
                    None => o.application_name("buyin"),
                });
        }
    }
    Database::connect(options).await
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}
