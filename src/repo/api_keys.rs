use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, sea_query::Expr,
};
use uuid::Uuid;

use super::{PageRequest, into_page};
use crate::{domain::KeyScope, entity::api_key};

pub struct NewKey {
    pub org_id: Uuid,
    pub name: String,
    pub scope: KeyScope,
    pub prefix: String,
    pub key_hash: String,
    pub created_by: Uuid,
    pub expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

pub async fn insert(db: &impl ConnectionTrait, new: NewKey) -> Result<api_key::Model, DbErr> {
    api_key::ActiveModel {
        id: Set(Uuid::now_v7()),
        org_id: Set(new.org_id),
        name: Set(new.name),
        scope: Set(new.scope),
        prefix: Set(new.prefix),
        key_hash: Set(new.key_hash),
        created_by: Set(Some(new.created_by)),
        created_at: Set(new.created_at),
        expires_at: Set(new.expires_at),
        revoked_at: Set(None),
        last_used_at: Set(None),
    }
    .insert(db)
    .await
}

/// A usable key by its hash: not revoked, not expired.
pub async fn find_live(
    db: &impl ConnectionTrait,
    key_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<api_key::Model>, DbErr> {
    api_key::Entity::find()
        .filter(api_key::Column::KeyHash.eq(key_hash))
        .filter(api_key::Column::RevokedAt.is_null())
        .filter(
            Condition::any()
                .add(api_key::Column::ExpiresAt.is_null())
                .add(api_key::Column::ExpiresAt.gt(now)),
        )
        .one(db)
        .await
}

/// Records use at most once a minute: the update only matches a row last used earlier.
pub async fn touch(db: &impl ConnectionTrait, id: Uuid, now: DateTime<Utc>) -> Result<(), DbErr> {
    let a_minute_ago = now - chrono::Duration::minutes(1);
    api_key::Entity::update_many()
        .col_expr(api_key::Column::LastUsedAt, Expr::value(Some(now)))
        .filter(api_key::Column::Id.eq(id))
        .filter(
            Condition::any()
                .add(api_key::Column::LastUsedAt.is_null())
                .add(api_key::Column::LastUsedAt.lt(a_minute_ago)),
        )
        .exec(db)
        .await?;
    Ok(())
}

pub async fn list(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    page: PageRequest,
) -> Result<(Vec<api_key::Model>, bool), DbErr> {
    let mut query = api_key::Entity::find()
        .filter(api_key::Column::OrgId.eq(org_id))
        .filter(api_key::Column::RevokedAt.is_null())
        .order_by_asc(api_key::Column::Id)
        .limit(page.limit + 1);
    if let Some(after) = page.after {
        query = query.filter(api_key::Column::Id.gt(after));
    }
    Ok(into_page(query.all(db).await?, page.limit))
}

pub async fn revoke(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = api_key::Entity::update_many()
        .col_expr(api_key::Column::RevokedAt, Expr::value(Some(now)))
        .filter(api_key::Column::Id.eq(id))
        .filter(api_key::Column::OrgId.eq(org_id))
        .filter(api_key::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}
