use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, sea_query::Expr,
};

use crate::entity::idempotency_key;

/// Claims `(caller, key)` for a new request; `false` when a row already exists.
pub async fn claim(
    db: &impl ConnectionTrait,
    caller: &str,
    key: &str,
    request_hash: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let inserted = idempotency_key::ActiveModel {
        caller: Set(caller.to_owned()),
        key: Set(key.to_owned()),
        request_hash: Set(request_hash.to_owned()),
        status: Set(None),
        location: Set(None),
        etag: Set(None),
        body: Set(None),
        created_at: Set(now),
    }
    .insert(db)
    .await;
    match inserted {
        Ok(_) => Ok(true),
        Err(err)
            if matches!(
                err.sql_err(),
                Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
            ) =>
        {
            Ok(false)
        }
        Err(err) => Err(err),
    }
}

pub async fn find(
    db: &impl ConnectionTrait,
    caller: &str,
    key: &str,
) -> Result<Option<idempotency_key::Model>, DbErr> {
    idempotency_key::Entity::find_by_id((caller.to_owned(), key.to_owned()))
        .one(db)
        .await
}

/// Stores the answer to the request that claimed `(caller, key)`; `false` when the claim is no
/// longer there (released meanwhile) or already answered.
pub async fn complete(
    db: &impl ConnectionTrait,
    caller: &str,
    key: &str,
    status: u16,
    headers: (Option<String>, Option<String>),
    body: String,
) -> Result<bool, DbErr> {
    let (location, etag) = headers;
    let updated = idempotency_key::Entity::update_many()
        .col_expr(
            idempotency_key::Column::Status,
            Expr::value(Some(i32::from(status))),
        )
        .col_expr(idempotency_key::Column::Location, Expr::value(location))
        .col_expr(idempotency_key::Column::Etag, Expr::value(etag))
        .col_expr(idempotency_key::Column::Body, Expr::value(Some(body)))
        .filter(idempotency_key::Column::Caller.eq(caller))
        .filter(idempotency_key::Column::Key.eq(key))
        .filter(idempotency_key::Column::Status.is_null())
        .exec(db)
        .await?;
    Ok(updated.rows_affected == 1)
}

pub async fn release(db: &impl ConnectionTrait, caller: &str, key: &str) -> Result<(), DbErr> {
    idempotency_key::Entity::delete_many()
        .filter(idempotency_key::Column::Caller.eq(caller))
        .filter(idempotency_key::Column::Key.eq(key))
        .exec(db)
        .await?;
    Ok(())
}

/// Forgets keys created before `cutoff` (they are kept 24 hours).
pub async fn purge_before(db: &impl ConnectionTrait, cutoff: DateTime<Utc>) -> Result<u64, DbErr> {
    Ok(idempotency_key::Entity::delete_many()
        .filter(idempotency_key::Column::CreatedAt.lt(cutoff))
        .exec(db)
        .await?
        .rows_affected)
}
