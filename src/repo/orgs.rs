use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, ExprTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
    sea_query::{Expr, Query},
};
use uuid::Uuid;

use super::{PageRequest, into_page};
use crate::{
    domain::OrgRole,
    entity::{org, org_member, user},
};

pub async fn insert_org(
    db: &impl ConnectionTrait,
    name: String,
    slug: String,
    now: DateTime<Utc>,
) -> Result<org::Model, DbErr> {
    org::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(name),
        slug: Set(slug),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await
}

pub async fn find_org(
    db: &impl ConnectionTrait,
    org_id: Uuid,
) -> Result<Option<org::Model>, DbErr> {
    org::Entity::find_by_id(org_id).one(db).await
}

/// The organisations with these ids, by id.
pub async fn find_orgs(
    db: &impl ConnectionTrait,
    org_ids: &[Uuid],
) -> Result<std::collections::HashMap<Uuid, org::Model>, DbErr> {
    let found = org::Entity::find()
        .filter(org::Column::Id.is_in(org_ids.iter().copied()))
        .all(db)
        .await?;
    Ok(found.into_iter().map(|org| (org.id, org)).collect())
}

pub async fn slug_exists(db: &impl ConnectionTrait, slug: &str) -> Result<bool, DbErr> {
    Ok(org::Entity::find()
        .filter(org::Column::Slug.eq(slug))
        .count(db)
        .await?
        > 0)
}

/// The organisation with the caller's role in it, if the caller is a member.
pub async fn find_org_for_user(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    user_id: Uuid,
) -> Result<Option<(org::Model, OrgRole)>, DbErr> {
    let found = org_member::Entity::find()
        .filter(org_member::Column::OrgId.eq(org_id))
        .filter(org_member::Column::UserId.eq(user_id))
        .find_also_related(org::Entity)
        .one(db)
        .await?;
    Ok(found.and_then(|(m, o)| o.map(|o| (o, m.role))))
}

pub async fn list_orgs_for_user(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    page: PageRequest,
) -> Result<(Vec<(org::Model, OrgRole)>, bool), DbErr> {
    let mut query = org_member::Entity::find()
        .filter(org_member::Column::UserId.eq(user_id))
        .find_also_related(org::Entity)
        .order_by_asc(org_member::Column::OrgId)
        .limit(page.limit + 1);
    if let Some(after) = page.after {
        query = query.filter(org_member::Column::OrgId.gt(after));
    }
    let rows = query.all(db).await?;
    let rows = rows
        .into_iter()
        .filter_map(|(m, o)| o.map(|o| (o, m.role)))
        .collect();
    Ok(into_page(rows, page.limit))
}

pub async fn update_org(
    db: &impl ConnectionTrait,
    org: org::Model,
    name: String,
    slug: String,
    now: DateTime<Utc>,
) -> Result<org::Model, DbErr> {
    let version = org.version + 1;
    let mut active: org::ActiveModel = org.into();
    active.name = Set(name);
    active.slug = Set(slug);
    active.version = Set(version);
    active.updated_at = Set(now);
    active.update(db).await
}

pub async fn insert_member(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    user_id: Uuid,
    role: OrgRole,
    now: DateTime<Utc>,
) -> Result<org_member::Model, DbErr> {
    org_member::ActiveModel {
        org_id: Set(org_id),
        user_id: Set(user_id),
        role: Set(role),
        created_at: Set(now),
    }
    .insert(db)
    .await
}

pub async fn find_member(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    user_id: Uuid,
) -> Result<Option<(org_member::Model, user::Model)>, DbErr> {
    let found = org_member::Entity::find_by_id((org_id, user_id))
        .find_also_related(user::Entity)
        .one(db)
        .await?;
    Ok(found.and_then(|(m, u)| u.map(|u| (m, u))))
}

/// Whether the person an invitation names is a member already.
pub async fn is_member(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    invitee: &super::invitations::Invitee,
) -> Result<bool, DbErr> {
    use super::invitations::Invitee;
    let query = org_member::Entity::find()
        .filter(org_member::Column::OrgId.eq(org_id))
        .inner_join(user::Entity);
    let query = match invitee {
        Invitee::Email(email) => query.filter(user::Column::Email.eq(email.as_str())),
        Invitee::User(id) => query.filter(org_member::Column::UserId.eq(*id)),
    };
    Ok(query.one(db).await?.is_some())
}

pub async fn list_members(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    page: PageRequest,
) -> Result<(Vec<(org_member::Model, user::Model)>, bool), DbErr> {
    let mut query = org_member::Entity::find()
        .filter(org_member::Column::OrgId.eq(org_id))
        .find_also_related(user::Entity)
        .order_by_asc(org_member::Column::UserId)
        .limit(page.limit + 1);
    if let Some(after) = page.after {
        query = query.filter(org_member::Column::UserId.gt(after));
    }
    let rows = query.all(db).await?;
    let rows = rows
        .into_iter()
        .filter_map(|(m, u)| u.map(|u| (m, u)))
        .collect();
    Ok(into_page(rows, page.limit))
}

pub async fn count_admins(db: &impl ConnectionTrait, org_id: Uuid) -> Result<u64, DbErr> {
    org_member::Entity::find()
        .filter(org_member::Column::OrgId.eq(org_id))
        .filter(org_member::Column::Role.eq(OrgRole::Admin))
        .count(db)
        .await
}

/// Changes a member's role only while the organisation keeps another admin (when demoting),
/// in one statement, so two concurrent demotions cannot leave it without one.
pub async fn update_member_role(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    user_id: Uuid,
    role: OrgRole,
) -> Result<bool, DbErr> {
    let mut update = org_member::Entity::update_many()
        .col_expr(org_member::Column::Role, Expr::value(role))
        .filter(org_member::Column::OrgId.eq(org_id))
        .filter(org_member::Column::UserId.eq(user_id));
    if role != OrgRole::Admin {
        update = update.filter(another_admin_exists(org_id, user_id));
    }
    Ok(update.exec(db).await?.rows_affected == 1)
}

/// Removes a member only while the organisation keeps another admin.
pub async fn delete_member(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    user_id: Uuid,
) -> Result<bool, DbErr> {
    let result = org_member::Entity::delete_many()
        .filter(org_member::Column::OrgId.eq(org_id))
        .filter(org_member::Column::UserId.eq(user_id))
        .filter(another_admin_exists(org_id, user_id))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

fn another_admin_exists(org_id: Uuid, user_id: Uuid) -> sea_orm::sea_query::SimpleExpr {
    Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from(org_member::Entity)
            .and_where(Expr::col(org_member::Column::OrgId).eq(org_id))
            .and_where(Expr::col(org_member::Column::Role).eq(OrgRole::Admin))
            .and_where(Expr::col(org_member::Column::UserId).ne(user_id))
            .to_owned(),
    )
}

/// The one lock on who belongs where in an organisation (PostgreSQL row lock until commit; SQLite
/// has a single writer already). Every change that reads one side and writes the other takes it
/// first: organisation membership (staff ⇔ member, another admin remains) and project
/// participation (role from membership, another staff lead remains), so under READ COMMITTED
/// neither can pass its check on rows the other is changing.
pub async fn lock_for_update(db: &impl ConnectionTrait, org_id: Uuid) -> Result<(), DbErr> {
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        org::Entity::find_by_id(org_id)
            .select_only()
            .column(org::Column::Id)
            .lock_exclusive()
            .into_tuple::<Uuid>()
            .one(db)
            .await?;
    }
    Ok(())
}
