//! The queries behind the readiness report, set-based: each reads every project of a span at
//! once (`projects`), and returns rows bounded by the number of milestones, people, periods,
//! versions or transitions, never by the number of activities: sums happen in the database.
//! The ledger is summed by [`Periods`]: runs of days that end on the reports' days, so a span of
//! many reports (a history, a portfolio) reads each activity once.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, ExprTrait, FromQueryResult,
    JoinType, QueryFilter, QueryOrder, QuerySelect, RelationTrait,
    sea_query::{Alias, Expr, Func, SimpleExpr},
};
use uuid::Uuid;

use crate::{
    domain::{ActivityKind, ProjectRole, Stage},
    entity::{activity, milestone, milestone_transition, project_member, user},
};

/// How the ledger is summed for a span of reports: in periods of `step` days (1 or 7) that end
/// on `last`, `last − step`, … back to `first` (inclusive), numbered 0, 1, … from `last`;
/// everything before `first` is summed in one period, [`Periods::BEFORE`]. Every report day of
/// the span, and every window it reads, must start and end on period boundaries: with `step` 7
/// that holds when each report day is `last` minus a multiple of 7 and `first` is the start of
/// a window (W, P or R) of the earliest, as those are 7, 14, 28 or 56 days long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Periods {
    pub first: NaiveDate,
    pub last: NaiveDate,
    pub step: u32,
}

impl Periods {
    /// The period of everything before `first`.
    pub const BEFORE: i32 = i32::MAX;

    /// The last day of period `index` (the day before `first` for [`Periods::BEFORE`]).
    pub fn end(&self, index: i32) -> NaiveDate {
        if index == Self::BEFORE {
            return self.first.pred_opt().unwrap_or(self.first);
        }
        let back = u64::try_from(index).unwrap_or(0) * u64::from(self.step);
        self.last
            .checked_sub_days(chrono::Days::new(back))
            .unwrap_or(NaiveDate::MIN)
    }

    /// The period of each activity from `first` on, as an SQL expression: the whole periods
    /// between its day and `last`. Date arithmetic is the one thing the two databases spell
    /// differently.
    fn of_activity(&self, backend: DbBackend) -> SimpleExpr {
        let day = || Expr::col((activity::Entity, activity::Column::OccurredOn));
        let days_back = match backend {
            DbBackend::Sqlite => {
                let julian = |e: Expr| Expr::from(Func::cust("julianday").arg(e));
                julian(Expr::val(self.last))
                    .sub(julian(day()))
                    .cast_as("INTEGER")
            }
            _ => Expr::val(self.last).cast_as("date").sub(day()),
        };
        days_back.div(self.step as i32)
    }
}

/// When a milestone existed: created, and soft-deleted (if it was).
#[derive(Debug, Clone, FromQueryResult)]
pub struct MilestoneLife {
    pub id: Uuid,
    pub project_id: Uuid,
    pub created_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
}

/// Every milestone of the projects created before `end`, deleted ones included.
pub async fn milestone_lives(
    db: &impl ConnectionTrait,
    projects: &[Uuid],
    end: DateTime<Utc>,
) -> Result<Vec<MilestoneLife>, DbErr> {
    milestone::Entity::find()
        .select_only()
        .columns([
            milestone::Column::Id,
            milestone::Column::ProjectId,
            milestone::Column::CreatedAt,
            milestone::Column::DeletedAt,
        ])
        .filter(milestone::Column::ProjectId.is_in(projects.iter().copied()))
        .filter(milestone::Column::CreatedAt.lt(end))
        .into_model::<MilestoneLife>()
        .all(db)
        .await
}

/// One step of a milestone on the ladder.
#[derive(Debug, Clone, FromQueryResult)]
pub struct StageStep {
    pub project_id: Uuid,
    pub milestone_id: Uuid,
    pub to_stage: Stage,
    pub occurred_at: DateTime<Utc>,
}

/// The projects' transitions before `end`, oldest first per milestone.
pub async fn stage_steps(
    db: &impl ConnectionTrait,
    projects: &[Uuid],
    end: DateTime<Utc>,
) -> Result<Vec<StageStep>, DbErr> {
    milestone_transition::Entity::find()
        .select_only()
        .column(milestone::Column::ProjectId)
        .columns([
            milestone_transition::Column::MilestoneId,
            milestone_transition::Column::ToStage,
            milestone_transition::Column::OccurredAt,
        ])
        .join(
            JoinType::InnerJoin,
            milestone_transition::Relation::Milestone.def(),
        )
        .filter(milestone::Column::ProjectId.is_in(projects.iter().copied()))
        .filter(milestone_transition::Column::OccurredAt.lt(end))
        .order_by_asc(milestone_transition::Column::MilestoneId)
        .order_by_asc(milestone_transition::Column::OccurredAt)
        // Ids are time-ordered (UUIDv7): steps taken within one instant keep their order.
        .order_by_asc(milestone_transition::Column::Id)
        .into_model::<StageStep>()
        .all(db)
        .await
}

/// A participation, with its person's name.
#[derive(Debug, Clone, FromQueryResult)]
pub struct ParticipationRow {
    pub id: Uuid,
    pub project_id: Uuid,
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
    projects: &[Uuid],
    end: DateTime<Utc>,
) -> Result<Vec<ParticipationRow>, DbErr> {
    project_member::Entity::find()
        .select_only()
        .columns([
            project_member::Column::Id,
            project_member::Column::ProjectId,
            project_member::Column::UserId,
            project_member::Column::Role,
            project_member::Column::JoinedAt,
            project_member::Column::LeftAt,
        ])
        .column(user::Column::DisplayName)
        .join(JoinType::InnerJoin, project_member::Relation::User.def())
        .filter(project_member::Column::ProjectId.is_in(projects.iter().copied()))
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

/// The two reads of the ledger: everything before `first`, summed as one period, and the
/// periods from `first` to `last`, each read by its own range of the (project, day) index.
#[derive(Clone, Copy)]
enum Part {
    Before,
    Within,
}

const PARTS: [Part; 2] = [Part::Before, Part::Within];

/// The projects' activities in `part`, with their period, as a query to select sums from
/// (grouped by project and period, `period` in the rows).
fn ledger(
    db: &impl ConnectionTrait,
    projects: &[Uuid],
    periods: &Periods,
    part: Part,
) -> sea_orm::Select<activity::Entity> {
    let query = activity::Entity::find()
        .select_only()
        .column(activity::Column::ProjectId)
        .filter(activity::Column::ProjectId.is_in(projects.iter().copied()))
        .group_by(activity::Column::ProjectId);
    match part {
        Part::Before => query
            .expr_as(Expr::val(Periods::BEFORE), "period")
            .filter(activity::Column::OccurredOn.lt(periods.first)),
        Part::Within => query
            .expr_as(periods.of_activity(db.get_database_backend()), "period")
            .filter(activity::Column::OccurredOn.between(periods.first, periods.last))
            .group_by(Expr::cust("period")),
    }
}

/// Quarter hours by project, period, party and kind.
#[derive(Debug, Clone, FromQueryResult)]
pub struct PeriodHours {
    pub project_id: Uuid,
    pub period: i32,
    pub party: ProjectRole,
    pub kind: ActivityKind,
    pub quarter_hours: i64,
}

pub async fn hours_by_period(
    db: &impl ConnectionTrait,
    projects: &[Uuid],
    periods: &Periods,
) -> Result<Vec<PeriodHours>, DbErr> {
    let mut rows = Vec::new();
    for part in PARTS {
        let query = ledger(db, projects, periods, part)
            .column(activity::Column::Party)
            .column(activity::Column::Kind)
            .expr_as(sum_quarter_hours(), "quarter_hours")
            .group_by(activity::Column::Party)
            .group_by(activity::Column::Kind);
        rows.extend(query.into_model::<PeriodHours>().all(db).await?);
    }
    Ok(rows)
}

/// Quarter hours by project, person and period, from `periods.first` on.
#[derive(Debug, Clone, FromQueryResult)]
pub struct UserPeriodHours {
    pub project_id: Uuid,
    pub user_id: Uuid,
    pub period: i32,
    pub quarter_hours: i64,
}

pub async fn hours_by_user_and_period(
    db: &impl ConnectionTrait,
    projects: &[Uuid],
    periods: &Periods,
) -> Result<Vec<UserPeriodHours>, DbErr> {
    ledger(db, projects, periods, Part::Within)
        .column(activity::Column::UserId)
        .expr_as(sum_quarter_hours(), "quarter_hours")
        .group_by(activity::Column::UserId)
        .into_model::<UserPeriodHours>()
        .all(db)
        .await
}

/// Quarter hours on milestones by project, milestone, person, party, kind and period: area
/// hours, bus factor, hands-on credit and "step back".
#[derive(Debug, Clone, FromQueryResult)]
pub struct MilestonePeriodWork {
    pub project_id: Uuid,
    pub milestone_id: Uuid,
    pub user_id: Uuid,
    pub party: ProjectRole,
    pub kind: ActivityKind,
    pub period: i32,
    pub quarter_hours: i64,
}

pub async fn milestone_work_by_period(
    db: &impl ConnectionTrait,
    projects: &[Uuid],
    periods: &Periods,
) -> Result<Vec<MilestonePeriodWork>, DbErr> {
    let mut rows = Vec::new();
    for part in PARTS {
        let query = ledger(db, projects, periods, part)
            .column(activity::Column::MilestoneId)
            .column(activity::Column::UserId)
            .column(activity::Column::Party)
            .column(activity::Column::Kind)
            .expr_as(sum_quarter_hours(), "quarter_hours")
            .filter(activity::Column::MilestoneId.is_not_null())
            .group_by(activity::Column::MilestoneId)
            .group_by(activity::Column::UserId)
            .group_by(activity::Column::Party)
            .group_by(activity::Column::Kind);
        rows.extend(query.into_model::<MilestonePeriodWork>().all(db).await?);
    }
    Ok(rows)
}

/// What the report reads of one milestone's work, summed over some periods.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MilestoneWork {
    pub milestone_id: Uuid,
    pub user_id: Uuid,
    pub party: ProjectRole,
    pub kind: ActivityKind,
    pub quarter_hours: i64,
}

/// Quarter hours by party and kind, summed over some periods.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartyKindHours {
    pub party: ProjectRole,
    pub kind: ActivityKind,
    pub quarter_hours: i64,
}

/// Quarter hours of one period (`occurred_on` is its last day), by party and kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayHours {
    pub occurred_on: NaiveDate,
    pub party: ProjectRole,
    pub kind: ActivityKind,
    pub quarter_hours: i64,
}

/// One person's quarter hours in one period (`occurred_on` is its last day).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserDayHours {
    pub user_id: Uuid,
    pub occurred_on: NaiveDate,
    pub quarter_hours: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_period_ends_whole_steps_before_the_last_day_and_before_is_the_day_before_first() {
        let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap_or_default();
        let weeks = Periods {
            first: day(1, 5),
            last: day(3, 1),
            step: 7,
        };
        assert_eq!(weeks.end(0), day(3, 1));
        assert_eq!(weeks.end(2), day(2, 15));
        assert_eq!(weeks.end(Periods::BEFORE), day(1, 4));
    }
}
