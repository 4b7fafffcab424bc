//! Version rows (DESIGN.md, "The state on a day"): written beside every change of a milestone,
//! participation or project, in the same transaction, so a readiness report for a past day
//! reads the state as it stood then. Each table is append-only; a version holds from its
//! `valid_from` until the next one of the same subject (ordered by `id`).

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, Condition,
    ConnectionTrait, DbErr, EntityTrait, ExprTrait, QueryFilter, QueryOrder, QuerySelect,
    QueryTrait, sea_query::Expr,
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

/// Every version of the projects' projects that began before `end`, oldest first (the state
/// on a day is the latest before that day ends; the first of the last run of `closed` versions
/// dates the closing).
pub async fn projects_until(
    db: &impl ConnectionTrait,
    projects: &[Uuid],
    end: DateTime<Utc>,
) -> Result<Vec<project_version::Model>, DbErr> {
    project_version::Entity::find()
        .filter(project_version::Column::ProjectId.is_in(projects.iter().copied()))
        .filter(project_version::Column::ValidFrom.lt(end))
        .order_by_asc(project_version::Column::Id)
        .all(db)
        .await
}

/// The versions of the projects' milestones or participations in force from `from` to `end`:
/// each subject's latest version that began before `from` (its state then), and every version
/// that began from `from` until `end`; oldest first.
macro_rules! versions_between {
    ($name:ident, $entity:ident, $subject:ident) => {
        pub async fn $name(
            db: &impl ConnectionTrait,
            projects: &[Uuid],
            (from, end): (DateTime<Utc>, DateTime<Utc>),
        ) -> Result<Vec<$entity::Model>, DbErr> {
            let ids = || projects.iter().copied();
            let in_force_at_from = $entity::Entity::find()
                .select_only()
                .expr(Expr::col($entity::Column::Id).max())
                .filter($entity::Column::ProjectId.is_in(ids()))
                .filter($entity::Column::ValidFrom.lt(from))
                .group_by($entity::Column::$subject)
                .into_query();
            $entity::Entity::find()
                .filter($entity::Column::ProjectId.is_in(ids()))
                .filter($entity::Column::ValidFrom.lt(end))
                .filter(
                    Condition::any()
                        .add($entity::Column::ValidFrom.gte(from))
                        .add($entity::Column::Id.in_subquery(in_force_at_from)),
                )
                .order_by_asc($entity::Column::Id)
                .all(db)
                .await
        }
    };
}

versions_between!(milestones_between, milestone_version, MilestoneId);
versions_between!(
    participations_between,
    participation_version,
    ParticipationId
);

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
