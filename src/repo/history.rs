//! Version rows (DESIGN.md, "The state on a day"): written beside every change of a milestone,
//! participation or project, in the same transaction, so a readiness report for a past day
//! reads the state as it stood then. Each table is append-only; a version holds from its
//! `valid_from` until the next one of the same subject (ordered by `id`).

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr,
    EntityTrait, QueryFilter, QueryOrder,
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

/// Every version of the projects' milestones, participations or projects that began before
/// `end`, oldest first (the state on a day is the latest of each subject before that day ends).
macro_rules! versions_until {
    ($name:ident, $entity:ident) => {
        pub async fn $name(
            db: &impl ConnectionTrait,
            projects: &[Uuid],
            end: DateTime<Utc>,
        ) -> Result<Vec<$entity::Model>, DbErr> {
            $entity::Entity::find()
                .filter($entity::Column::ProjectId.is_in(projects.iter().copied()))
                .filter($entity::Column::ValidFrom.lt(end))
                .order_by_asc($entity::Column::Id)
                .all(db)
                .await
        }
    };
}

versions_until!(milestones_until, milestone_version);
versions_until!(participations_until, participation_version);
versions_until!(projects_until, project_version);

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
