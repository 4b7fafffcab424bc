use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    ExprTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, sea_query::Expr,
};
use uuid::Uuid;

use super::{PageRequest, into_page};
use crate::domain::query::MemberFilter;
use crate::{
    domain::ProjectRole,
    entity::{project, project_member, user},
};

pub struct NewParticipation {
    pub project_id: Uuid,
    pub user_id: Uuid,
    pub role: ProjectRole,
    pub is_lead: bool,
    pub weekly_quarter_hours: i32,
    pub responsibility: Option<String>,
    pub joined_at: DateTime<Utc>,
}

pub async fn insert(
    db: &impl ConnectionTrait,
    new: NewParticipation,
) -> Result<project_member::Model, DbErr> {
    let created = project_member::ActiveModel {
        id: Set(Uuid::now_v7()),
        project_id: Set(new.project_id),
        user_id: Set(new.user_id),
        role: Set(new.role),
        is_lead: Set(new.is_lead),
        weekly_quarter_hours: Set(new.weekly_quarter_hours),
        responsibility: Set(new.responsibility),
        version: Set(1),
        joined_at: Set(new.joined_at),
        left_at: Set(None),
        away: Set("[]".into()),
        updated_at: Set(new.joined_at),
    }
    .insert(db)
    .await?;
    super::history::participation(db, &created, created.joined_at).await?;
    Ok(created)
}

/// `user_id`'s active participations with their projects, at most `limit` (by project id), and
/// whether there are more.
pub async fn active_for_user(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    limit: u64,
) -> Result<(Vec<(project_member::Model, project::Model)>, bool), DbErr> {
    let rows = project_member::Entity::find()
        .filter(project_member::Column::UserId.eq(user_id))
        .filter(project_member::Column::LeftAt.is_null())
        .find_also_related(project::Entity)
        .order_by_asc(project_member::Column::ProjectId)
        .limit(limit + 1)
        .all(db)
        .await?;
    let rows = rows
        .into_iter()
        .filter_map(|(m, p)| p.map(|p| (m, p)))
        .collect();
    Ok(into_page(rows, limit))
}

/// The active participation of `user_id` in `project_id`, with the user.
pub async fn find_active(
    db: &impl ConnectionTrait,
    project_id: Uuid,
    user_id: Uuid,
) -> Result<Option<(project_member::Model, user::Model)>, DbErr> {
    let found = project_member::Entity::find()
        .filter(project_member::Column::ProjectId.eq(project_id))
        .filter(project_member::Column::UserId.eq(user_id))
        .filter(project_member::Column::LeftAt.is_null())
        .find_also_related(user::Entity)
        .one(db)
        .await?;
    Ok(found.and_then(|(m, u)| u.map(|u| (m, u))))
}

pub async fn list(
    db: &impl ConnectionTrait,
    project_id: Uuid,
    filter: MemberFilter,
    page: PageRequest,
) -> Result<(Vec<(project_member::Model, user::Model)>, bool), DbErr> {
    let mut query = project_member::Entity::find()
        .filter(project_member::Column::ProjectId.eq(project_id))
        .find_also_related(user::Entity)
        .order_by_asc(project_member::Column::Id)
        .limit(page.limit + 1);
    if !filter.include_former {
        query = query.filter(project_member::Column::LeftAt.is_null());
    }
    if let Some(since) = filter.updated_since {
        query = query.filter(project_member::Column::UpdatedAt.gte(since));
    }
    if let Some(after) = page.after {
        query = query.filter(project_member::Column::Id.gt(after));
    }
    let rows = query.all(db).await?;
    let rows = rows
        .into_iter()
        .filter_map(|(m, u)| u.map(|u| (m, u)))
        .collect();
    Ok(into_page(rows, page.limit))
}

/// `user_id`'s participations in the organisation's projects.
fn in_org(org_id: Uuid, user_id: Uuid) -> sea_orm::Select<project_member::Entity> {
    project_member::Entity::find()
        .inner_join(project::Entity)
        .filter(project::Column::OrgId.eq(org_id))
        .filter(project_member::Column::UserId.eq(user_id))
}

/// Whether `user_id` has ever taken part in a project of the organisation.
pub async fn ever_in_org(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    user_id: Uuid,
) -> Result<bool, DbErr> {
    Ok(in_org(org_id, user_id).count(db).await? > 0)
}

/// Whether `user_id` takes part in a project of the organisation now.
pub async fn active_in_org(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    user_id: Uuid,
) -> Result<bool, DbErr> {
    let active = in_org(org_id, user_id).filter(project_member::Column::LeftAt.is_null());
    Ok(active.count(db).await? > 0)
}

pub async fn count_active_leads(db: &impl ConnectionTrait, project_id: Uuid) -> Result<u64, DbErr> {
    project_member::Entity::find()
        .filter(project_member::Column::ProjectId.eq(project_id))
        .filter(project_member::Column::IsLead.eq(true))
        .filter(project_member::Column::LeftAt.is_null())
        .count(db)
        .await
}

/// Writes `changed` only if the participation is still active at `expected_version`.
/// Writes a participation if still at `expected_version`; a change to a continuing one is a new
/// version from `at` (an ending is its `left_at`).
pub async fn update_if_version(
    db: &impl ConnectionTrait,
    changed: project_member::Model,
    expected_version: i32,
    at: DateTime<Utc>,
) -> Result<Option<project_member::Model>, DbErr> {
    let changed = project_member::Model {
        updated_at: at,
        ..changed
    };
    let row = sea_orm::Condition::all()
        .add(project_member::Column::Id.eq(changed.id))
        .add(project_member::Column::LeftAt.is_null());
    let version = project_member::Column::Version;
    let updated = super::update_if_version::<project_member::Entity>(
        db,
        changed,
        version,
        row,
        expected_version,
    )
    .await?;
    if let Some(p) = updated.as_ref().filter(|p| p.left_at.is_none()) {
        super::history::participation(db, p, at).await?;
    }
    Ok(updated)
}

/// Ends every active participation of `user_id` with role `role` in the projects of `org_id`,
/// returning the ended rows (as they were).
pub async fn end_in_org(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    user_id: Uuid,
    role: ProjectRole,
    at: DateTime<Utc>,
) -> Result<Vec<project_member::Model>, DbErr> {
    let in_org = sea_orm::sea_query::Query::select()
        .column(project::Column::Id)
        .from(project::Entity)
        .and_where(Expr::col(project::Column::OrgId).eq(org_id))
        .to_owned();
    let ended = project_member::Entity::find()
        .filter(project_member::Column::UserId.eq(user_id))
        .filter(project_member::Column::Role.eq(role))
        .filter(project_member::Column::LeftAt.is_null())
        .filter(project_member::Column::ProjectId.in_subquery(in_org))
        .all(db)
        .await?;
    end_all(db, &ended, at).await?;
    Ok(ended)
}

/// Ends every active consultant participation in a project (on closing it).
pub async fn end_consultants(
    db: &impl ConnectionTrait,
    project_id: Uuid,
    at: DateTime<Utc>,
) -> Result<Vec<project_member::Model>, DbErr> {
    let ended = project_member::Entity::find()
        .filter(project_member::Column::ProjectId.eq(project_id))
        .filter(project_member::Column::Role.eq(ProjectRole::Consultant))
        .filter(project_member::Column::LeftAt.is_null())
        .all(db)
        .await?;
    end_all(db, &ended, at).await?;
    Ok(ended)
}

async fn end_all(
    db: &impl ConnectionTrait,
    rows: &[project_member::Model],
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    if rows.is_empty() {
        return Ok(());
    }
    project_member::Entity::update_many()
        .col_expr(project_member::Column::LeftAt, Expr::value(Some(at)))
        .col_expr(project_member::Column::UpdatedAt, Expr::value(at))
        .col_expr(
            project_member::Column::Version,
            Expr::col(project_member::Column::Version).add(1),
        )
        .filter(project_member::Column::Id.is_in(rows.iter().map(|r| r.id)))
        .exec(db)
        .await?;
    Ok(())
}

/// Every active participation of a project with its user (a project has tens of members).
pub async fn list_active(
    db: &impl ConnectionTrait,
    project_id: Uuid,
) -> Result<Vec<(project_member::Model, user::Model)>, DbErr> {
    let rows = project_member::Entity::find()
        .filter(project_member::Column::ProjectId.eq(project_id))
        .filter(project_member::Column::LeftAt.is_null())
        .find_also_related(user::Entity)
        .order_by_asc(project_member::Column::Id)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(m, u)| u.map(|u| (m, u)))
        .collect())
}
