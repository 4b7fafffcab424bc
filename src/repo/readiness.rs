//! The queries behind the readiness report. Each returns rows bounded by the number of
//! milestones, people, days, versions or transitions, never by the number of activities: sums
//! happen in the database.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, ExprTrait, FromQueryResult, JoinType,
    QueryFilter, QueryOrder, QuerySelect, RelationTrait,
    sea_query::{Alias, Expr, Func},
};
use uuid::Uuid;

use crate::{
    domain::{ActivityKind, ProjectRole, Stage},
    entity::{activity, milestone, milestone_transition, project_member, user},
};

/// When a milestone existed: created, and soft-deleted (if it was).
#[derive(Debug, Clone, FromQueryResult)]
pub struct MilestoneLife {
    pub id: Uuid,
    pub created_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
}

/// Every milestone of the project created before `end`, deleted ones included.
pub async fn milestone_lives(
    db: &impl ConnectionTrait,
    project_id: Uuid,
    end: DateTime<Utc>,
) -> Result<Vec<MilestoneLife>, DbErr> {
    milestone::Entity::find()
        .select_only()
        .columns([
            milestone::Column::Id,
            milestone::Column::CreatedAt,
            milestone::Column::DeletedAt,
        ])
        .filter(milestone::Column::ProjectId.eq(project_id))
        .filter(milestone::Column::CreatedAt.lt(end))
        .into_model::<MilestoneLife>()
        .all(db)
        .await
}

/// One step of a milestone on the ladder.
#[derive(Debug, Clone, FromQueryResult)]
pub struct StageStep {
    pub milestone_id: Uuid,
    pub to_stage: Stage,
    pub occurred_at: DateTime<Utc>,
}

/// The project's transitions before `end`, oldest first per milestone.
pub async fn stage_steps(
    db: &impl ConnectionTrait,
    project_id: Uuid,
    end: DateTime<Utc>,
) -> Result<Vec<StageStep>, DbErr> {
    milestone_transition::Entity::find()
        .select_only()
        .columns([
            milestone_transition::Column::MilestoneId,
            milestone_transition::Column::ToStage,
            milestone_transition::Column::OccurredAt,
        ])
        .join(
            JoinType::InnerJoin,
            milestone_transition::Relation::Milestone.def(),
        )
        .filter(milestone::Column::ProjectId.eq(project_id))
        .filter(milestone_transition::Column::OccurredAt.lt(end))
        .order_by_asc(milestone_transition::Column::MilestoneId)
        .order_by_asc(milestone_transition::Column::OccurredAt)
        // Ids are time-ordered (UUIDv7): steps taken within one instant keep their order.
        .order_by_asc(milestone_transition::Column::Id)
        .into_model::<StageStep>()
        .all(db)
        .await
}

/// A participation that overlaps a period, with its person's name.
#[derive(Debug, Clone, FromQueryResult)]
pub struct ParticipationRow {
    pub id: Uuid,
    pub user_id: Uuid,
    pub display_name: String,
    pub role: ProjectRole,
    pub joined_at: DateTime<Utc>,
    pub left_at: Option<DateTime<Utc>>,
}

/// Participations joined before `end` (ended ones too: commitment owed before leaving counts,
/// and a departed owner's leaving day is named).
pub async fn participations(
    db: &impl ConnectionTrait,
    project_id: Uuid,
    end: DateTime<Utc>,
) -> Result<Vec<ParticipationRow>, DbErr> {
    project_member::Entity::find()
        .select_only()
        .columns([
            project_member::Column::Id,
            project_member::Column::UserId,
            project_member::Column::Role,
            project_member::Column::JoinedAt,
            project_member::Column::LeftAt,
        ])
        .column(user::Column::DisplayName)
        .join(JoinType::InnerJoin, project_member::Relation::User.def())
        .filter(project_member::Column::ProjectId.eq(project_id))
        .filter(project_member::Column::JoinedAt.lt(end))
        .order_by_asc(project_member::Column::Id)
        .into_model::<ParticipationRow>()
        .all(db)
        .await
}

fn sum_quarter_hours() -> Expr {
    Func::coalesce([
        Expr::col((activity::Entity, activity::Column::QuarterHours)).sum(),
        Expr::val(0),
    ])
    .cast_as(Alias::new("bigint"))
}

/// Quarter hours by party and kind, activities on or before `as_of`.
#[derive(Debug, Clone, FromQueryResult)]
pub struct PartyKindHours {
    pub party: ProjectRole,
    pub kind: ActivityKind,
    pub quarter_hours: i64,
}

pub async fn hours_to_date(
    db: &impl ConnectionTrait,
    project_id: Uuid,
    as_of: NaiveDate,
) -> Result<Vec<PartyKindHours>, DbErr> {
    activity::Entity::find()
        .select_only()
        .column(activity::Column::Party)
        .column(activity::Column::Kind)
        .expr_as(sum_quarter_hours(), "quarter_hours")
        .filter(activity::Column::ProjectId.eq(project_id))
        .filter(activity::Column::OccurredOn.lte(as_of))
        .group_by(activity::Column::Party)
        .group_by(activity::Column::Kind)
        .into_model::<PartyKindHours>()
        .all(db)
        .await
}

/// Quarter hours by day, party and kind between two days (inclusive).
#[derive(Debug, Clone, FromQueryResult)]
pub struct DayHours {
    pub occurred_on: NaiveDate,
    pub party: ProjectRole,
    pub kind: ActivityKind,
    pub quarter_hours: i64,
}

pub async fn hours_by_day(
    db: &impl ConnectionTrait,
    project_id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<DayHours>, DbErr> {
    activity::Entity::find()
        .select_only()
        .column(activity::Column::OccurredOn)
        .column(activity::Column::Party)
        .column(activity::Column::Kind)
        .expr_as(sum_quarter_hours(), "quarter_hours")
        .filter(activity::Column::ProjectId.eq(project_id))
        .filter(activity::Column::OccurredOn.between(from, to))
        .group_by(activity::Column::OccurredOn)
        .group_by(activity::Column::Party)
        .group_by(activity::Column::Kind)
        .into_model::<DayHours>()
        .all(db)
        .await
}

/// Quarter hours by person and day between two days (inclusive).
#[derive(Debug, Clone, FromQueryResult)]
pub struct UserDayHours {
    pub user_id: Uuid,
    pub occurred_on: NaiveDate,
    pub quarter_hours: i64,
}

pub async fn hours_by_user_and_day(
    db: &impl ConnectionTrait,
    project_id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<UserDayHours>, DbErr> {
    activity::Entity::find()
        .select_only()
        .column(activity::Column::UserId)
        .column(activity::Column::OccurredOn)
        .expr_as(sum_quarter_hours(), "quarter_hours")
        .filter(activity::Column::ProjectId.eq(project_id))
        .filter(activity::Column::OccurredOn.between(from, to))
        .group_by(activity::Column::UserId)
        .group_by(activity::Column::OccurredOn)
        .into_model::<UserDayHours>()
        .all(db)
        .await
}

/// Quarter hours on milestones by milestone, person, party and kind, up to `to` (from `from`
/// when given; both inclusive): area hours, bus factor, hands-on credit and "step back".
#[derive(Debug, Clone, FromQueryResult)]
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
    from: Option<NaiveDate>,
    to: NaiveDate,
) -> Result<Vec<MilestoneWork>, DbErr> {
    let mut query = activity::Entity::find();
    if let Some(from) = from {
        query = query.filter(activity::Column::OccurredOn.gte(from));
    }
    query
        .select_only()
        .column(activity::Column::MilestoneId)
        .column(activity::Column::UserId)
        .column(activity::Column::Party)
        .column(activity::Column::Kind)
        .expr_as(sum_quarter_hours(), "quarter_hours")
        .filter(activity::Column::ProjectId.eq(project_id))
        .filter(activity::Column::MilestoneId.is_not_null())
        .filter(activity::Column::OccurredOn.lte(to))
        .group_by(activity::Column::MilestoneId)
        .group_by(activity::Column::UserId)
        .group_by(activity::Column::Party)
        .group_by(activity::Column::Kind)
        .into_model::<MilestoneWork>()
        .all(db)
        .await
}
