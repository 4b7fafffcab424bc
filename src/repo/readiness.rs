//! The queries behind the readiness report, set-based: each reads every project of a span at
//! once (`projects`), and returns rows bounded by the number of milestones, people, periods,
//! versions or transitions, never by the number of activities: sums happen in the database.
//! The ledger is summed by [`Periods`]: runs of days that end on the reports' days, so a span of
//! many reports (a history, a portfolio) reads each activity once. Nothing before the first
//! period is read: it is the running totals (`ledger_totals`, `milestone_ledger_totals`) less
//! what was logged from the first period on, so a report's cost follows its windows, not the
//! length of the project's history. Totals and the activities taken from them are read in one
//! statement (`UNION ALL`), so they are read at one instant on both engines.

use std::{collections::HashMap, hash::Hash};

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, ExprTrait, FromQueryResult,
    JoinType, QueryFilter, QueryOrder, QuerySelect, QueryTrait, RelationTrait, Statement,
    sea_query::{Alias, Expr, Func, Query, SelectStatement, SimpleExpr, UnionType},
};
use uuid::Uuid;

use super::activities::{sum_hands_on_of, sum_of, sum_quarter_hours};
use crate::{
    domain::{ActivityKind, ProjectRole, Stage},
    entity::{
        activity, ledger_total, milestone, milestone_ledger_total, milestone_transition,
        project_member, user,
    },
};

/// How the ledger is summed for a span of reports: in periods of `step` days that end on
/// `last`, `last − step`, … back to `first` (inclusive), numbered 0, 1, … from `last`;
/// everything before `first` is summed in one period, [`Periods::BEFORE`]. Every report day of
/// the span, and every window it reads, must start and end on period boundaries: that holds
/// when `step` divides the days between the reports and the length of every window read, and
/// `first` starts one of those windows of the earliest report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Periods {
    pub first: NaiveDate,
    pub last: NaiveDate,
    pub step: u32,
}

impl Periods {
    /// The period of everything before `first`.
    pub const BEFORE: i32 = i32::MAX;
    /// Everything after `last` (read only to be taken away from the running totals).
    const AFTER: i32 = -1;
    /// A running total, over all time.
    const TOTAL: i32 = -2;

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

    /// The period of `day` (a day from `first` on), as an SQL expression: the whole periods
    /// between it and `last`. Date arithmetic is the one thing the two databases spell
    /// differently.
    fn of(&self, backend: DbBackend, day: impl Fn() -> Expr) -> SimpleExpr {
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

/// The two reads of the ledger, each by its own range of the (project, day) index: the periods
/// from `first` to `last`, and everything after `last` (which the running totals hold too).
#[derive(Clone, Copy)]
enum Part {
    Within,
    After,
}

/// A column of [`ledger`]'s day sums.
fn day(column: &'static str) -> Expr {
    Expr::col(Alias::new(column))
}

/// The projects' activities in `part`, with their period, as a query to select sums from
/// (grouped by project and period, `period` in the rows). It reads their sums by project, day
/// and `by` — columns of the ledger index in its order, which SQLite then sums as it reads the
/// index, without sorting every activity — and sums those by period: select [`day`]s of `by`
/// and sums of `day("quarter_hours")`, and group by the days selected.
fn ledger(
    db: &impl ConnectionTrait,
    projects: &[Uuid],
    periods: &Periods,
    part: Part,
    by: &[activity::Column],
) -> SelectStatement {
    type A = activity::Column;
    let mut days = activity::Entity::find()
        .select_only()
        .columns([A::ProjectId, A::OccurredOn])
        .columns(by.iter().copied())
        .expr_as(sum_quarter_hours(), "quarter_hours")
        .filter(A::ProjectId.is_in(projects.iter().copied()))
        .group_by(A::ProjectId)
        .group_by(A::OccurredOn);
    for column in by {
        days = days.group_by(*column);
    }
    let (days, period) = match part {
        Part::Within => (
            days.filter(A::OccurredOn.between(periods.first, periods.last)),
            periods.of(db.get_database_backend(), || day("occurred_on")),
        ),
        Part::After => (
            days.filter(A::OccurredOn.gt(periods.last)),
            Expr::val(Periods::AFTER),
        ),
    };
    let mut query = Query::select();
    query
        .from_subquery(days.into_query(), Alias::new("days"))
        .expr(day("project_id"))
        .expr_as(period, Alias::new("period"))
        .add_group_by([day("project_id"), Expr::cust("period")]);
    query
}

/// Reads as one statement (`UNION ALL`): one statement reads one snapshot on both engines.
fn union_all(
    db: &impl ConnectionTrait,
    mut first: SelectStatement,
    rest: impl IntoIterator<Item = SelectStatement>,
) -> Statement {
    for part in rest {
        first.union(UnionType::All, part);
    }
    db.get_database_backend().build(&first)
}

/// The rows of the periods, and one row per key for everything before them
/// ([`Periods::BEFORE`]): its running total ([`Periods::TOTAL`]) less every row read from
/// `first` on, those after `last` included (which are then dropped).
fn with_before<R, K: Hash + Eq, const N: usize>(
    read: Vec<R>,
    key: impl Fn(&R) -> (K, i32),
    amounts: impl Fn(&R) -> [i64; N],
    before: impl Fn(K, [i64; N]) -> R,
) -> Vec<R> {
    let mut earlier: HashMap<K, [i64; N]> = HashMap::new();
    let mut rows = Vec::with_capacity(read.len());
    for row in read {
        let (k, period) = key(&row);
        let sign = if period == Periods::TOTAL { 1 } else { -1 };
        let sums = earlier.entry(k).or_insert([0; N]);
        for (sum, amount) in sums.iter_mut().zip(amounts(&row)) {
            *sum += sign * amount;
        }
        if period != Periods::TOTAL && period != Periods::AFTER {
            rows.push(row);
        }
    }
    rows.extend(
        earlier
            .into_iter()
            .filter(|(_, sums)| sums.iter().any(|s| *s != 0))
            .map(|(k, sums)| before(k, sums)),
    );
    rows
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
    type A = activity::Column;
    let sums = |part| {
        let mut query = ledger(db, projects, periods, part, &[A::Party, A::Kind]);
        query
            .exprs([day("party"), day("kind")])
            .expr_as(sum_of(day("quarter_hours")), Alias::new("quarter_hours"))
            .add_group_by([day("party"), day("kind")]);
        query
    };
    type T = ledger_total::Column;
    let totals = ledger_total::Entity::find()
        .select_only()
        .column(T::ProjectId)
        .expr_as(Expr::val(Periods::TOTAL), "period")
        .columns([T::Party, T::Kind, T::QuarterHours])
        .filter(T::ProjectId.is_in(projects.iter().copied()))
        .into_query();
    let statement = union_all(db, sums(Part::Within), [sums(Part::After), totals]);
    let read = PeriodHours::find_by_statement(statement).all(db).await?;
    Ok(with_before(
        read,
        |r| ((r.project_id, r.party, r.kind), r.period),
        |r| [r.quarter_hours],
        |(project_id, party, kind), [quarter_hours]| PeriodHours {
            project_id,
            period: Periods::BEFORE,
            party,
            kind,
            quarter_hours,
        },
    ))
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
    type A = activity::Column;
    let mut query = ledger(
        db,
        projects,
        periods,
        Part::Within,
        &[A::Party, A::Kind, A::UserId],
    );
    query
        .expr(day("user_id"))
        .expr_as(sum_of(day("quarter_hours")), Alias::new("quarter_hours"))
        .add_group_by([day("user_id")]);
    let statement = db.get_database_backend().build(&query);
    UserPeriodHours::find_by_statement(statement).all(db).await
}

/// Quarter hours on milestones by project, milestone, person, party and period, and how many
/// were hands-on: area hours, bus factor, hands-on credit and "step back".
#[derive(Debug, Clone, FromQueryResult)]
pub struct MilestonePeriodWork {
    pub project_id: Uuid,
    pub milestone_id: Uuid,
    pub user_id: Uuid,
    pub party: ProjectRole,
    pub period: i32,
    pub quarter_hours: i64,
    pub hands_on_quarter_hours: i64,
}

pub async fn milestone_work_by_period(
    db: &impl ConnectionTrait,
    projects: &[Uuid],
    periods: &Periods,
) -> Result<Vec<MilestonePeriodWork>, DbErr> {
    type A = activity::Column;
    let by = [A::Party, A::Kind, A::UserId, A::MilestoneId];
    let sums = |part| {
        let mut query = ledger(db, projects, periods, part, &by);
        let hands_on = sum_hands_on_of(day("kind"), day("quarter_hours"));
        query
            .exprs([day("milestone_id"), day("user_id"), day("party")])
            .expr_as(sum_of(day("quarter_hours")), Alias::new("quarter_hours"))
            .expr_as(hands_on, Alias::new("hands_on_quarter_hours"))
            .and_where(day("milestone_id").is_not_null())
            .add_group_by([day("milestone_id"), day("user_id"), day("party")]);
        query
    };
    type T = milestone_ledger_total::Column;
    let totals = milestone_ledger_total::Entity::find()
        .select_only()
        .column(T::ProjectId)
        .expr_as(Expr::val(Periods::TOTAL), "period")
        .columns([T::MilestoneId, T::UserId, T::Party])
        .columns([T::QuarterHours, T::HandsOnQuarterHours])
        .filter(T::ProjectId.is_in(projects.iter().copied()))
        .into_query();
    let statement = union_all(db, sums(Part::Within), [sums(Part::After), totals]);
    let read = MilestonePeriodWork::find_by_statement(statement)
        .all(db)
        .await?;
    Ok(with_before(
        read,
        |r| ((r.project_id, r.milestone_id, r.user_id, r.party), r.period),
        |r| [r.quarter_hours, r.hands_on_quarter_hours],
        |(project_id, milestone_id, user_id, party), [quarter_hours, hands_on]| {
            MilestonePeriodWork {
                project_id,
                milestone_id,
                user_id,
                party,
                period: Periods::BEFORE,
                quarter_hours,
                hands_on_quarter_hours: hands_on,
            }
        },
    ))
}

/// What the report reads of one person's work on one milestone, summed over some periods.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MilestoneWork {
    pub milestone_id: Uuid,
    pub user_id: Uuid,
    pub party: ProjectRole,
    pub quarter_hours: i64,
    /// Of `quarter_hours`, those of hands-on kinds.
    pub hands_on_quarter_hours: i64,
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

    #[test]
    fn before_the_periods_is_the_running_total_less_what_was_read_from_the_first_on() {
        // (key, period, quarter hours): key 1 has two periods and a day after the last; key 2
        // nothing from the first period on; key 3 everything in the periods.
        let (total, after, before) = (Periods::TOTAL, Periods::AFTER, Periods::BEFORE);
        let read = vec![
            (1, 0, 4),
            (1, total, 10),
            (1, 1, 2),
            (1, after, 3),
            (2, total, 7),
            (3, 0, 5),
            (3, total, 5),
        ];
        let mut rows = with_before(read, |r| (r.0, r.1), |r| [r.2], |k, [qh]| (k, before, qh));
        rows.sort();
        assert_eq!(
            rows,
            [
                (1, 0, 4),
                (1, 1, 2),
                (1, before, 1),
                (2, before, 7),
                (3, 0, 5)
            ]
        );
    }
}
