//! Invitations to join an organisation (`org_invitations`).

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::{PageRequest, into_page};
use crate::{
    domain::OrgRole,
    entity::{org, org_invitation},
};

pub use crate::domain::org::Invitee;

/// The pending invitation of `org_id` for `invitee`, if any.
pub async fn find_for(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    invitee: &Invitee,
) -> Result<Option<org_invitation::Model>, DbErr> {
    let named = match invitee {
        Invitee::Email(email) => org_invitation::Column::Email.eq(email.as_str()),
        Invitee::User(id) => org_invitation::Column::UserId.eq(*id),
    };
    org_invitation::Entity::find()
        .filter(org_invitation::Column::OrgId.eq(org_id))
        .filter(named)
        .one(db)
        .await
}

pub async fn insert(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    invitee: Invitee,
    role: OrgRole,
    invited_by: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<org_invitation::Model, DbErr> {
    let (email, user_id) = match invitee {
        Invitee::Email(email) => (Some(email), None),
        Invitee::User(id) => (None, Some(id)),
    };
    org_invitation::ActiveModel {
        id: Set(Uuid::now_v7()),
        org_id: Set(org_id),
        email: Set(email),
        user_id: Set(user_id),
        role: Set(role),
        invited_by: Set(invited_by),
        created_at: Set(now),
    }
    .insert(db)
    .await
}

pub async fn find_in_org(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    id: Uuid,
) -> Result<Option<org_invitation::Model>, DbErr> {
    org_invitation::Entity::find_by_id(id)
        .filter(org_invitation::Column::OrgId.eq(org_id))
        .one(db)
        .await
}

fn addressed_to(user_id: Uuid, email: &str) -> Condition {
    Condition::any()
        .add(org_invitation::Column::UserId.eq(user_id))
        .add(org_invitation::Column::Email.eq(email))
}

/// An invitation addressed to the account `user_id` (by its id or its email).
pub async fn find_addressed_to(
    db: &impl ConnectionTrait,
    id: Uuid,
    user_id: Uuid,
    email: &str,
) -> Result<Option<org_invitation::Model>, DbErr> {
    org_invitation::Entity::find_by_id(id)
        .filter(addressed_to(user_id, email))
        .one(db)
        .await
}

pub async fn list_for_org(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    page: PageRequest,
) -> Result<(Vec<org_invitation::Model>, bool), DbErr> {
    let mut query = org_invitation::Entity::find()
        .filter(org_invitation::Column::OrgId.eq(org_id))
        .order_by_asc(org_invitation::Column::Id)
        .limit(page.limit + 1);
    if let Some(after) = page.after {
        query = query.filter(org_invitation::Column::Id.gt(after));
    }
    Ok(into_page(query.all(db).await?, page.limit))
}

/// The invitations addressed to an account, with their organisations.
pub async fn list_for_user(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    email: &str,
    page: PageRequest,
) -> Result<(Vec<(org_invitation::Model, org::Model)>, bool), DbErr> {
    let mut query = org_invitation::Entity::find()
        .filter(addressed_to(user_id, email))
        .find_also_related(org::Entity)
        .order_by_asc(org_invitation::Column::Id)
        .limit(page.limit + 1);
    if let Some(after) = page.after {
        query = query.filter(org_invitation::Column::Id.gt(after));
    }
    let rows = query
        .all(db)
        .await?
        .into_iter()
        .filter_map(|(i, o)| o.map(|o| (i, o)))
        .collect();
    Ok(into_page(rows, page.limit))
}

pub async fn delete(db: &impl ConnectionTrait, id: Uuid) -> Result<bool, DbErr> {
    Ok(org_invitation::Entity::delete_by_id(id)
        .exec(db)
        .await?
        .rows_affected
        == 1)
}
