//! The readiness report, model 2 (DESIGN.md, "Readiness report, model 2"): how close the staff
//! are to running the system alone, read as the project stood at the end of one day, and the
//! next action for each person. [`load`] reads that state from the history tables and the
//! ledger with aggregate queries (`repo::readiness`, `repo::history`), so the cost grows with
//! milestones, people and versions, never with the number of activities;
//! [`compute::compute`] turns it into the report without touching the database.

pub mod changes;
pub mod compute;
mod model;

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use self::compute::{
    HISTORY_DAYS, Inputs, MilestoneAt, Participant, RECENT_DAYS, Terms, WINDOW_DAYS, days_before,
};
pub use self::model::*;
use super::{AppState, access::project_access, auth::Caller};
use crate::{
    domain::{FieldError, ProjectStatus, Stage, away::Away},
    entity::{org, project},
    error::ApiError,
    repo::{history, milestones, orgs, project_members, readiness as agg},
};

pub async fn report(
    state: &AppState,
    caller: &Caller,
    project_id: Uuid,
    as_of: Option<NaiveDate>,
) -> Result<ReadinessReport, ApiError> {
    let (access, as_of) = project_on(state, caller, project_id, as_of).await?;
    let inputs = load(&state.db, &access.project, as_of).await?;
    let mut report = compute::compute(&inputs);
    // A frozen report carries the closing day's figures, for the day asked about.
    report.as_of = as_of;
    Ok(report)
}

/// The project as the caller may see it, and the day asked about: `as_of`, or today; from the
/// project's creation to today (422 `invalid_as_of` otherwise).
async fn project_on(
    state: &AppState,
    caller: &Caller,
    project_id: Uuid,
    as_of: Option<NaiveDate>,
) -> Result<(super::access::ProjectAccess, NaiveDate), ApiError> {
    let access = project_access(&state.db, caller, project_id).await?;
    let today = caller.today();
    let as_of = as_of.unwrap_or(today);
    let created = access.project.created_at.date_naive();
    within(
        "as_of",
        as_of,
        (created, "the project's creation"),
        (today, "today"),
    )?;
    Ok((access, as_of))
}

/// 422 `invalid_as_of` naming `field` unless `day` is from `first` to `last` (each with what it
/// is, for the message).
fn within(
    field: &str,
    day: NaiveDate,
    (first, first_is): (NaiveDate, &str),
    (last, last_is): (NaiveDate, &str),
) -> Result<(), ApiError> {
    if (first..=last).contains(&day) {
        return Ok(());
    }
    Err(ApiError::Unprocessable {
        code: "invalid_as_of",
        error: FieldError::new(
            field,
            format!("must be a day from {first_is} ({first}) to {last_is} ({last}), UTC"),
        ),
    })
}

/// What changed between the end of `since` and the end of `as_of` (default today): both days'
/// reports and the moves on the ladder between them ([`changes::changes`]).
pub async fn changes(
    state: &AppState,
    caller: &Caller,
    project_id: Uuid,
    since: NaiveDate,
    as_of: Option<NaiveDate>,
) -> Result<changes::ReadinessChanges, ApiError> {
    let (access, as_of) = project_on(state, caller, project_id, as_of).await?;
    let created = access.project.created_at.date_naive();
    within(
        "since",
        since,
        (created, "the project's creation"),
        (as_of, "`as_of`"),
    )?;
    let before = load(&state.db, &access.project, since).await?;
    let after = load(&state.db, &access.project, as_of).await?;
    let (old, new) = (compute::compute(&before), compute::compute(&after));
    let moves =
        milestones::transitions_between(&state.db, project_id, end_of(since), end_of(as_of))
            .await?;
    Ok(changes::changes((&before, &old), (&after, &new), moves))
}

/// Most projects `GET /me/next-actions` reads for one person (their active participations, by
/// project id); `more_projects` says when there are more.
pub const MY_PROJECTS: u64 = 100;

/// One of the caller's next actions, with where it belongs.
pub struct MyNextAction {
    pub project: project::Model,
    pub org: org::Model,
    pub action: NextAction,
}

/// The caller's next actions today across every open project they take part in: each project's
/// report, the items addressed to the caller, most urgent first ([`urgency`]). A person only: an
/// API key has no next actions of its own.
pub async fn my_next_actions(
    state: &AppState,
    caller: &Caller,
) -> Result<(Vec<MyNextAction>, bool), ApiError> {
    let me = caller.person()?.id;
    let today = caller.today();
    let (participations, more) =
        project_members::active_for_user(&state.db, me, MY_PROJECTS).await?;
    let mut orgs: HashMap<Uuid, org::Model> = HashMap::new();
    let mut mine = Vec::new();
    for (_, project) in participations {
        if project.status == ProjectStatus::Closed {
            continue;
        }
        let inputs = load(&state.db, &project, today).await?;
        let report = compute::compute(&inputs);
        let org = match orgs.get(&project.org_id) {
            Some(org) => org.clone(),
            None => {
                let Some(org) = orgs::find_org(&state.db, project.org_id).await? else {
                    continue;
                };
                orgs.insert(org.id, org.clone());
                org
            }
        };
        for action in report.next_actions.into_iter().filter(|a| a.user_id == me) {
            mine.push(MyNextAction {
                project: project.clone(),
                org: org.clone(),
                action,
            });
        }
    }
    mine.sort_by(|a, b| {
        urgency(&a.action)
            .cmp(&urgency(&b.action))
            .then(b.action.days_waiting.cmp(&a.action.days_waiting))
            .then(a.project.name.cmp(&b.project.name))
    });
    Ok((mine, more))
}

/// The order of "what first": what is late or blocks a handoff now, then what moves a handoff
/// on, then what protects the project, then the ledger.
pub fn urgency(action: &NextAction) -> u8 {
    use NextActionKind as K;
    match action.kind {
        K::Overdue => 0,
        K::SignOff => 1,
        K::OwnerAway => 2,
        K::RescheduleBeforeExit => 3,
        K::HandsOnNeeded => 4,
        K::AssignStaffOwner => 5,
        K::ProjectStalled => 6,
        K::KnowledgeAtRisk => 7,
        K::StepBack => 8,
        K::LogTime => 9,
    }
}

/// The instant that ends `day` (UTC): the state "at the end of the day" is what began before it.
pub fn end_of(day: NaiveDate) -> DateTime<Utc> {
    day.succ_opt()
        .unwrap_or(day)
        .and_hms_opt(0, 0, 0)
        .unwrap_or_default()
        .and_utc()
}

/// Everything the report reads for `project` as it stood at the end of `as_of`. A project closed
/// by then is read on the day it closed (`frozen`; the caller reports it for `as_of`).
pub async fn load(
    db: &impl ConnectionTrait,
    project: &project::Model,
    as_of: NaiveDate,
) -> Result<Inputs, ApiError> {
    let versions = history::project_until(db, project.id, end_of(as_of)).await?;
    let closed_on = closing_day(&versions);
    let mut inputs = load_day(db, project, closed_on.unwrap_or(as_of)).await?;
    inputs.frozen = closed_on.is_some();
    Ok(inputs)
}

/// The day the project entered `closed`, when it is closed at the end of the versions.
fn closing_day(versions: &[crate::entity::project_version::Model]) -> Option<NaiveDate> {
    let open = versions
        .iter()
        .rposition(|v| v.status != ProjectStatus::Closed);
    match versions.last() {
        Some(last) if last.status == ProjectStatus::Closed => {
            let first_closed = open.map_or(0, |i| i + 1);
            Some(versions[first_closed].valid_from.date_naive())
        }
        _ => None,
    }
}

async fn load_day(
    db: &impl ConnectionTrait,
    project: &project::Model,
    d: NaiveDate,
) -> Result<Inputs, ApiError> {
    let id = project.id;
    let end = end_of(d);
    let state = history::project_until(db, id, end).await?;
    let state = state.last();
    let window_start = days_before(d, WINDOW_DAYS - 1);
    Ok(Inputs {
        project_id: id,
        as_of: d,
        frozen: false,
        start_date: state.and_then(|s| s.start_date),
        go_live_date: state.and_then(|s| s.go_live_date),
        consultant_exit_date: state.and_then(|s| s.consultant_exit_date),
        milestones: milestones_at(db, id, end).await?,
        participants: participants_at(db, id, end).await?,
        to_date: agg::hours_to_date(db, id, d).await?,
        by_day: agg::hours_by_day(db, id, days_before(d, HISTORY_DAYS - 1), d).await?,
        by_user_day: agg::hours_by_user_and_day(db, id, window_start, d).await?,
        work: agg::milestone_work(db, id, None, d).await?,
        recent_work: agg::milestone_work(db, id, Some(days_before(d, RECENT_DAYS - 1)), d).await?,
    })
}

/// The milestones that existed at `end`, with their fields and stage then.
async fn milestones_at(
    db: &impl ConnectionTrait,
    project_id: Uuid,
    end: DateTime<Utc>,
) -> Result<Vec<MilestoneAt>, ApiError> {
    let existing: HashMap<Uuid, bool> = agg::milestone_lives(db, project_id, end)
        .await?
        .into_iter()
        .map(|m| (m.id, m.deleted_at.is_none_or(|at| at >= end)))
        .collect();
    let mut stages: HashMap<Uuid, (Stage, NaiveDate)> = HashMap::new();
    for step in agg::stage_steps(db, project_id, end).await? {
        stages.insert(
            step.milestone_id,
            (step.to_stage, step.occurred_at.date_naive()),
        );
    }
    Ok(history::milestones_at(db, project_id, end)
        .await?
        .into_iter()
        .filter(|v| existing.get(&v.milestone_id).copied().unwrap_or(false))
        .map(|v| {
            let stage = stages.get(&v.milestone_id).copied();
            MilestoneAt {
                id: v.milestone_id,
                title: v.title,
                knowledge_area: v.knowledge_area,
                stage: stage.map_or(Stage::Planned, |(s, _)| s),
                stage_since: stage.map(|(_, since)| since),
                due_date: v.due_date,
                staff_owner_id: v.staff_owner_id,
            }
        })
        .collect())
}

/// Every participation joined before `end`, with its terms over time.
async fn participants_at(
    db: &impl ConnectionTrait,
    project_id: Uuid,
    end: DateTime<Utc>,
) -> Result<Vec<Participant>, ApiError> {
    let mut terms: HashMap<Uuid, Vec<Terms>> = HashMap::new();
    for v in history::participations_until(db, project_id, end).await? {
        terms.entry(v.participation_id).or_default().push(Terms {
            from: v.valid_from.date_naive(),
            is_lead: v.is_lead,
            weekly_quarter_hours: v.weekly_quarter_hours,
            away: Away::from_stored(&v.away),
        });
    }
    Ok(agg::participations(db, project_id, end)
        .await?
        .into_iter()
        .filter_map(|p| {
            Some(Participant {
                terms: terms.remove(&p.id)?,
                user_id: p.user_id,
                display_name: p.display_name,
                role: p.role,
                joined_on: p.joined_at.date_naive(),
                left_on: p.left_at.map(|at| at.date_naive()),
            })
        })
        .collect())
}
