//! The aggregate queries behind the readiness report. Each returns rows bounded by the number of
//! milestones, people, days or knowledge areas, never by the number of activities: the sums and
//! counts happen in the database.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, ExprTrait, FromQueryResult, QueryFilter,
    QuerySelect,
    sea_query::{Alias, Expr, Func},
};
use uuid::Uuid;

use crate::{
    domain::{ActivityKind, ProjectRole, Stage},
    entity::{activity, milestone},
};

/// The columns of a milestone the report needs.
#[derive(Debug, Clone, FromQueryResult)]
pub struct MilestoneRow {
    pub id: Uuid,
    pub title: String,
    pub knowledge_area: String,
    pub stage: Stage,
    pub due_date: Option<NaiveDate>,
    pub staff_owner_id: Option<Uuid>,
    pub stage_entered_at: DateTime<Utc>,
}

pub async fn milestones(
    db: &impl ConnectionTrait,
    project_id: Uuid,
) -> Result<Vec<MilestoneRow>, DbErr> {
    milestone::Entity::find()
        .select_only()
        .columns([
            milestone::Column::Id,
            milestone::Column::Title,
            milestone::Column::KnowledgeArea,
            milestone::Column::Stage,
            milestone::Column::DueDate,
            milestone::Column::StaffOwnerId,
            milestone::Column::StageEnteredAt,
        ])
        .filter(milestone::Column::ProjectId.eq(project_id))
        .order_by_id_asc()
        .into_model::<MilestoneRow>()
        .all(db)
        .await
}

fn sum_quarter_hours() -> sea_orm::sea_query::Expr {
    Func::coalesce([
        Expr::col((activity::Entity, activity::Column::QuarterHours)).sum(),
        Expr::val(0),
    ])
    .cast_as(Alias::new("bigint"))
}

/// Quarter hours by party, activities on or before `as_of`.
#[derive(Debug, FromQueryResult)]
pub struct PartyHours {
    pub party: ProjectRole,
    pub quarter_hours: i64,
}

pub async fn hours_by_party(
    db: &impl ConnectionTrait,
    project_id: Uuid,
    as_of: NaiveDate,
) -> Result<Vec<PartyHours>, DbErr> {
    activity::Entity::find()
        .select_only()
        .column(activity::Column::Party)
        .expr_as(sum_quarter_hours(), "quarter_hours")
        .filter(activity::Column::ProjectId.eq(project_id))
        .filter(activity::Column::OccurredOn.lte(as_of))
        .group_by(activity::Column::Party)
        .into_model::<PartyHours>()
        .all(db)
        .await
}

/// Quarter hours by day and party between two days (inclusive).
#[derive(Debug, FromQueryResult)]
pub struct DayPartyHours {
    pub occurred_on: NaiveDate,
    pub party: ProjectRole,
    pub quarter_hours: i64,
}

pub async fn hours_by_day(
    db: &impl ConnectionTrait,
    project_id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<DayPartyHours>, DbErr> {
    activity::Entity::find()
        .select_only()
        .column(activity::Column::OccurredOn)
        .column(activity::Column::Party)
        .expr_as(sum_quarter_hours(), "quarter_hours")
        .filter(activity::Column::ProjectId.eq(project_id))
        .filter(activity::Column::OccurredOn.between(from, to))
        .group_by(activity::Column::OccurredOn)
        .group_by(activity::Column::Party)
        .into_model::<DayPartyHours>()
        .all(db)
        .await
}

/// Quarter hours by user between two days (inclusive).
#[derive(Debug, FromQueryResult)]
pub struct UserHours {
    pub user_id: Uuid,
    pub quarter_hours: i64,
}

pub async fn hours_by_user(
    db: &impl ConnectionTrait,
    project_id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<UserHours>, DbErr> {
    activity::Entity::find()
        .select_only()
        .column(activity::Column::UserId)
        .expr_as(sum_quarter_hours(), "quarter_hours")
        .filter(activity::Column::ProjectId.eq(project_id))
        .filter(activity::Column::OccurredOn.between(from, to))
        .group_by(activity::Column::UserId)
        .into_model::<UserHours>()
        .all(db)
        .await
}

/// Quarter hours on milestones, by milestone, user, party and kind: enough for area hours,
/// bus factor and "hands on needed", in one pass.
#[derive(Debug, FromQueryResult)]
pub struct MilestoneWork {
    pub milestone_id: Uuid,
    pub user_id: Uuid,
    pub party: ProjectRole,
    pub kind: ActivityKind,
    pub quarter_hours: i64,
}

pub async fn milestone_work(
    db: &impl ConnectionTrait,
    project_id: Uuid,
    as_of: NaiveDate,
) -> Result<Vec<MilestoneWork>, DbErr> {
    activity::Entity::find()
        .select_only()
        .column(activity::Column::MilestoneId)
        .column(activity::Column::UserId)
        .column(activity::Column::Party)
        .column(activity::Column::Kind)
        .expr_as(sum_quarter_hours(), "quarter_hours")
        .filter(activity::Column::ProjectId.eq(project_id))
        .filter(activity::Column::MilestoneId.is_not_null())
        .filter(activity::Column::OccurredOn.lte(as_of))
        .group_by(activity::Column::MilestoneId)
        .group_by(activity::Column::UserId)
        .group_by(activity::Column::Party)
        .group_by(activity::Column::Kind)
        .into_model::<MilestoneWork>()
        .all(db)
        .await
}
