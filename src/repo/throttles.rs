//! Attempt counters for login and registration (`login_throttles`). Times are milliseconds since
//! the Unix epoch, so both engines compare them as integers.

use sea_orm::{ConnectionTrait, DbErr, Statement};

use super::HotSql;

static COUNT_ATTEMPT: HotSql = HotSql::new(
    r#"INSERT INTO "login_throttles" ("key", "attempts", "blocked_until_ms", "last_attempt_ms")
       VALUES ($1, 1, NULL, $2)
       ON CONFLICT ("key") DO UPDATE SET
         "attempts" = CASE WHEN "login_throttles"."last_attempt_ms" < $3 THEN 1
                           ELSE "login_throttles"."attempts" + 1 END,
         "blocked_until_ms" = CASE WHEN "login_throttles"."last_attempt_ms" < $3 THEN NULL
                                   ELSE "login_throttles"."blocked_until_ms" END,
         "last_attempt_ms" = $2
       WHERE "login_throttles"."blocked_until_ms" IS NULL
          OR "login_throttles"."blocked_until_ms" <= $2
       RETURNING "attempts""#,
);

/// Counts one attempt on `key` unless it is blocked at `now_ms`, and returns the new count;
/// `None` when blocked. A count last touched before `forget_before_ms` starts again at one.
/// Run it in a transaction with [`block_until`]: the row stays locked until the commit, so a
/// concurrent attempt on the same key sees the block this one sets.
pub async fn count_attempt(
    db: &impl ConnectionTrait,
    key: &str,
    now_ms: i64,
    forget_before_ms: i64,
) -> Result<Option<u32>, DbErr> {
    let statement = COUNT_ATTEMPT.statement(
        db.get_database_backend(),
        [key.into(), now_ms.into(), forget_before_ms.into()],
    );
    match db.query_one_raw(statement).await? {
        Some(row) => Ok(Some(
            u32::try_from(row.try_get::<i32>("", "attempts")?).unwrap_or(0),
        )),
        None => Ok(None),
    }
}

fn statement(
    db: &impl ConnectionTrait,
    sql: &'static HotSql,
    values: Vec<sea_orm::Value>,
) -> Statement {
    sql.statement(db.get_database_backend(), values)
}

static BLOCK_UNTIL: HotSql =
    HotSql::new(r#"UPDATE "login_throttles" SET "blocked_until_ms" = $2 WHERE "key" = $1"#);

pub async fn block_until(db: &impl ConnectionTrait, key: &str, until_ms: i64) -> Result<(), DbErr> {
    db.execute_raw(statement(
        db,
        &BLOCK_UNTIL,
        vec![key.into(), until_ms.into()],
    ))
    .await?;
    Ok(())
}

static BLOCKED_UNTIL: HotSql =
    HotSql::new(r#"SELECT "blocked_until_ms" FROM "login_throttles" WHERE "key" = $1"#);

/// When the block on `key` ends, if it has one.
pub async fn blocked_until(db: &impl ConnectionTrait, key: &str) -> Result<Option<i64>, DbErr> {
    match db
        .query_one_raw(statement(db, &BLOCKED_UNTIL, vec![key.into()]))
        .await?
    {
        Some(row) => row.try_get::<Option<i64>>("", "blocked_until_ms"),
        None => Ok(None),
    }
}

static UNCOUNT: HotSql = HotSql::new(
    r#"UPDATE "login_throttles" SET "attempts" = "attempts" - 1
       WHERE "key" = $1 AND "attempts" > 0"#,
);

/// Takes back one counted attempt (it succeeded, or never ran).
pub async fn uncount(db: &impl ConnectionTrait, key: &str) -> Result<(), DbErr> {
    db.execute_raw(statement(db, &UNCOUNT, vec![key.into()]))
        .await?;
    Ok(())
}

static FORGET: HotSql = HotSql::new(r#"DELETE FROM "login_throttles" WHERE "key" = $1"#);

pub async fn forget(db: &impl ConnectionTrait, key: &str) -> Result<(), DbErr> {
    db.execute_raw(statement(db, &FORGET, vec![key.into()]))
        .await?;
    Ok(())
}

static PURGE: HotSql = HotSql::new(
    r#"DELETE FROM "login_throttles" WHERE "last_attempt_ms" < $1
       AND ("blocked_until_ms" IS NULL OR "blocked_until_ms" < $1)"#,
);

/// Drops counters idle since before `before_ms` (housekeeping; their policies forget them).
pub async fn purge_before(db: &impl ConnectionTrait, before_ms: i64) -> Result<u64, DbErr> {
    Ok(db
        .execute_raw(statement(db, &PURGE, vec![before_ms.into()]))
        .await?
        .rows_affected())
}
