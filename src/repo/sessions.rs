use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    FromQueryResult, QueryFilter, sea_query::Expr,
};
use uuid::Uuid;

use super::HotSql;
use crate::entity::{refresh_token, session, user};

pub async fn insert_session(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<session::Model, DbErr> {
    session::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user_id),
        created_at: Set(now),
        expires_at: Set(expires_at),
        revoked_at: Set(None),
        revoked_reason: Set(None),
    }
    .insert(db)
    .await
}

/// The user behind a live session: not revoked, not expired, the account not disabled.
#[derive(Debug, FromQueryResult)]
pub struct SessionUser {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub created_at: DateTime<Utc>,
}

static LIVE_SESSION_USER: HotSql = HotSql::new(
    r#"SELECT "users"."id", "users"."email", "users"."display_name", "users"."created_at"
       FROM "sessions" JOIN "users" ON "users"."id" = "sessions"."user_id"
       WHERE "sessions"."id" = $1 AND "sessions"."user_id" = $2
         AND "sessions"."revoked_at" IS NULL AND "sessions"."expires_at" > $3
         AND "users"."disabled_at" IS NULL"#,
);

/// The live session `session_id` of user `user_id`, with the user's public fields. One query,
/// run on every authenticated request.
pub async fn find_live_session_user(
    db: &impl ConnectionTrait,
    session_id: Uuid,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<SessionUser>, DbErr> {
    let statement = LIVE_SESSION_USER.statement(
        db.get_database_backend(),
        [session_id.into(), user_id.into(), now.into()],
    );
    match db.query_one_raw(statement).await? {
        Some(row) => Ok(Some(SessionUser::from_query_result(&row, "")?)),
        None => Ok(None),
    }
}

pub async fn revoke_session(
    db: &impl ConnectionTrait,
    session_id: Uuid,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(Some(now)))
        .col_expr(
            session::Column::RevokedReason,
            Expr::value(Some(reason.to_owned())),
        )
        .filter(session::Column::Id.eq(session_id))
        .filter(session::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

pub async fn insert_refresh_token(
    db: &impl ConnectionTrait,
    session_id: Uuid,
    token_hash: String,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    refresh_token::ActiveModel {
        token_hash: Set(token_hash),
        session_id: Set(session_id),
        created_at: Set(now),
        used_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// A refresh token with its session and the session's user.
pub async fn find_refresh_token(
    db: &impl ConnectionTrait,
    token_hash: &str,
) -> Result<Option<(refresh_token::Model, session::Model, user::Model)>, DbErr> {
    let Some((token, Some(session))) = refresh_token::Entity::find_by_id(token_hash.to_owned())
        .find_also_related(session::Entity)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let user = user::Entity::find_by_id(session.user_id).one(db).await?;
    Ok(user.map(|user| (token, session, user)))
}

/// Marks a refresh token used, only if it is not already: `false` means another request
/// rotated it first, which counts as reuse.
pub async fn mark_refresh_token_used(
    db: &impl ConnectionTrait,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::UsedAt, Expr::value(Some(now)))
        .filter(refresh_token::Column::TokenHash.eq(token_hash))
        .filter(refresh_token::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Revokes every live session of a user (sign out everywhere, a password change).
pub async fn revoke_all_for_user(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    Ok(session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(Some(now)))
        .col_expr(
            session::Column::RevokedReason,
            Expr::value(Some(reason.to_owned())),
        )
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::RevokedAt.is_null())
        .exec(db)
        .await?
        .rows_affected)
}

/// Revokes a user's live sessions beyond the `keep` newest (the oldest end first).
pub async fn revoke_all_but_newest(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    keep: u64,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    use sea_orm::{QueryOrder, QuerySelect};
    let older: Vec<Uuid> = session::Entity::find()
        .select_only()
        .column(session::Column::Id)
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::RevokedAt.is_null())
        .order_by_desc(session::Column::CreatedAt)
        .order_by_desc(session::Column::Id)
        .offset(keep)
        // SQLite takes no OFFSET without a LIMIT; a burst of logins past the cap ends at most
        // this many at once, the rest on later logins.
        .limit(1000)
        .into_tuple()
        .all(db)
        .await?;
    if older.is_empty() {
        return Ok(0);
    }
    Ok(session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(Some(now)))
        .col_expr(
            session::Column::RevokedReason,
            Expr::value(Some(reason.to_owned())),
        )
        .filter(session::Column::Id.is_in(older))
        .exec(db)
        .await?
        .rows_affected)
}
