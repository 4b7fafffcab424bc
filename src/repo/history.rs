//! Version rows (DESIGN.md, "The state on a day"): written beside every change of a milestone,
//! participation or project, in the same transaction, so a readiness report for a past day
//! reads the state as it stood then. Each table is append-only; a version holds from its
//! `valid_from` until the next one of the same subject (ordered by `id`).

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr,
    EntityTrait, ExprTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, sea_query::Expr,
};
use uuid::Uuid;

use crate::entity::{
    milestone, milestone_version, participation_version, project, project_member, project_version,
};

pub async fn milestone(
    db: &impl ConnectionTrait,
    m: &milestone::Model,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    milestone_version::ActiveModel {
        id: NotSet,
        milestone_id: Set(m.id),
        project_id: Set(m.project_id),
        valid_from: Set(at),
        title: Set(m.title.clone()),
        knowledge_area: Set(m.knowledge_area.clone()),
        due_date: Set(m.due_date),
        staff_owner_id: Set(m.staff_owner_id),
    }
    .insert(db)
    .await
    .map(drop)
}

pub async fn participation(
    db: &impl ConnectionTrait,
    p: &project_member::Model,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    participation_version::ActiveModel {
        id: NotSet,
        participation_id: Set(p.id),
        project_id: Set(p.project_id),
        valid_from: Set(at),
        is_lead: Set(p.is_lead),
        weekly_quarter_hours: Set(p.weekly_quarter_hours),
        away: Set(p.away.clone()),
    }
    .insert(db)
    .await
    .map(drop)
}

pub async fn project(
    db: &impl ConnectionTrait,
    p: &project::Model,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    project_version::ActiveModel {
        id: NotSet,
        project_id: Set(p.id),
        valid_from: Set(at),
        status: Set(p.status),
        start_date: Set(p.start_date),
        go_live_date: Set(p.go_live_date),
        consultant_exit_date: Set(p.consultant_exit_date),
    }
    .insert(db)
    .await
    .map(drop)
}

/// The versions of `project_id`'s milestones in force at `end` (exclusive): the latest of each
/// milestone that began before it.
pub async fn milestones_at(
    db: &impl ConnectionTrait,
    project_id: Uuid,
    end: DateTime<Utc>,
) -> Result<Vec<milestone_version::Model>, DbErr> {
    let latest = milestone_version::Entity::find()
        .select_only()
        .expr(Expr::col(milestone_version::Column::Id).max())
        .filter(milestone_version::Column::ProjectId.eq(project_id))
        .filter(milestone_version::Column::ValidFrom.lt(end))
        .group_by(milestone_version::Column::MilestoneId)
        .into_query();
    milestone_version::Entity::find()
        .filter(milestone_version::Column::Id.in_subquery(latest))
        .order_by_asc(milestone_version::Column::MilestoneId)
        .all(db)
        .await
}

/// Every version of `project_id`'s participations that began before `end`, oldest first (the
/// commitment over a window needs each day's weekly hours, not only the last).
pub async fn participations_until(
    db: &impl ConnectionTrait,
    project_id: Uuid,
    end: DateTime<Utc>,
) -> Result<Vec<participation_version::Model>, DbErr> {
    participation_version::Entity::find()
        .filter(participation_version::Column::ProjectId.eq(project_id))
        .filter(participation_version::Column::ValidFrom.lt(end))
        .order_by_asc(participation_version::Column::Id)
        .all(db)
        .await
}

/// Every version of a project that began before `end`, oldest first (the last is the state at
/// `end`; the first that is `closed` dates the closing).
pub async fn project_until(
    db: &impl ConnectionTrait,
    project_id: Uuid,
    end: DateTime<Utc>,
) -> Result<Vec<project_version::Model>, DbErr> {
    project_version::Entity::find()
        .filter(project_version::Column::ProjectId.eq(project_id))
        .filter(project_version::Column::ValidFrom.lt(end))
        .order_by_asc(project_version::Column::Id)
        .all(db)
        .await
}

/// A deleted project takes its history with it (its rows cascade; versions have no foreign key).
pub async fn forget_project(db: &impl ConnectionTrait, project_id: Uuid) -> Result<(), DbErr> {
    milestone_version::Entity::delete_many()
        .filter(milestone_version::Column::ProjectId.eq(project_id))
        .exec(db)
        .await?;
    participation_version::Entity::delete_many()
        .filter(participation_version::Column::ProjectId.eq(project_id))
        .exec(db)
        .await?;
    project_version::Entity::delete_many()
        .filter(project_version::Column::ProjectId.eq(project_id))
        .exec(db)
        .await?;
    Ok(())
}
