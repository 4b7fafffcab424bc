//! The readiness report, model 2 (DESIGN.md, "Readiness report, model 2"): how close the staff
//! are to running the system alone, read as the project stood at the end of one day, and the
//! next action for each person. [`load`] reads that state from the history tables and the
//! ledger with aggregate queries (`repo::readiness`, `repo::history`), so the cost grows with
//! milestones, people and versions, never with the number of activities;
//! [`compute::compute`] turns it into the report without touching the database.

pub mod changes;
pub mod compute;
pub mod history;
mod load;
mod model;
pub mod portfolio;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use self::compute::Inputs;
pub use self::model::*;
use super::{AppState, access::project_access, auth::Caller};
use crate::{
    domain::{FieldError, ProjectStatus},
    entity::{org, project},
    error::ApiError,
    repo::{actions, milestones, orgs, project_members, test_scripts},
};

pub async fn report(
    state: &AppState,
    caller: &Caller,
    project_id: Uuid,
    as_of: Option<NaiveDate>,
) -> Result<ReadinessReport, ApiError> {
    let (access, as_of) = project_on(state, caller, project_id, as_of, "as_of").await?;
    let inputs = load(&state.readers, &access.project, as_of).await?;
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
    field: &str,
) -> Result<(super::access::ProjectAccess, NaiveDate), ApiError> {
    let access = project_access(&state.db, caller, project_id).await?;
    let today = caller.today();
    let as_of = as_of.unwrap_or(today);
    let created = access.project.created_at.date_naive();
    within(
        field,
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
    let (access, as_of) = project_on(state, caller, project_id, as_of, "as_of").await?;
    let created = access.project.created_at.date_naive();
    within(
        "since",
        since,
        (created, "the project's creation"),
        (as_of, "`as_of`"),
    )?;
    let [before, after]: [Inputs; 2] =
        load::load_span(&state.readers, &[project_id], &[since, as_of])
            .await?
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .try_into()
            .map_err(|_| ApiError::Internal("the readiness loader missed a day".into()))?;
    let (old, new) = (compute::compute(&before), compute::compute(&after));
    let between = (end_of(since), end_of(as_of));
    let moves =
        milestones::transitions_between(&state.db, project_id, between.0, between.1).await?;
    let closed = actions::closed_between(&state.db, project_id, between).await?;
    Ok(changes::changes(
        (&before, &old),
        (&after, &new),
        moves,
        closed,
    ))
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
    let projects: Vec<project::Model> = participations
        .into_iter()
        .map(|(_, project)| project)
        .filter(|project| project.status != ProjectStatus::Closed)
        .collect();
    let ids: Vec<Uuid> = projects.iter().map(|p| p.id).collect();
    let org_ids: Vec<Uuid> = projects.iter().map(|p| p.org_id).collect();
    let orgs = orgs::find_orgs(&state.db, &org_ids).await?;
    let span = load::load_span(&state.readers, &ids, &[today]).await?;
    let mut mine = Vec::new();
    for (project, days) in projects.into_iter().zip(span) {
        let Some(org) = orgs.get(&project.org_id) else {
            continue;
        };
        for inputs in days {
            let report = compute::compute(&inputs);
            for action in report.next_actions.into_iter().filter(|a| a.user_id == me) {
                mine.push(MyNextAction {
                    project: project.clone(),
                    org: org.clone(),
                    action,
                });
            }
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
        K::SignOff | K::FixFailingTest => 1,
        K::OwnerAway => 2,
        K::RescheduleBeforeExit | K::RunTestScript => 3,
        K::HandsOnNeeded => 4,
        K::AssignStaffOwner | K::Chase => 5,
        K::ProjectStalled | K::Agreed => 6,
        K::KnowledgeAtRisk => 7,
        K::StepBack => 8,
        K::LogTime => 9,
    }
}

/// The go-live gate as the project stands now (the scripts not deleted and every run
/// recorded), read inside the caller's transaction.
pub async fn go_live_gate(
    db: &impl ConnectionTrait,
    project_id: Uuid,
) -> Result<GoLiveGate, ApiError> {
    let ids = [project_id];
    let scripts: Vec<_> = test_scripts::current(db, project_id)
        .await?
        .iter()
        .map(load::script_at)
        .collect();
    let runs: Vec<_> = test_scripts::runs_until(db, &ids, None)
        .await?
        .iter()
        .map(load::run_at)
        .collect();
    Ok(compute::Tested::of(&scripts, &runs).gate(&scripts))
}

/// The instant that ends `day` (UTC): the state "at the end of the day" is what began before it.
pub fn end_of(day: NaiveDate) -> DateTime<Utc> {
    day.succ_opt()
        .unwrap_or(day)
        .and_hms_opt(0, 0, 0)
        .unwrap_or_default()
        .and_utc()
}

/// Everything the report reads for `project` as it stood at the end of `as_of`
/// ([`load::load_span`] of one project and one day).
pub async fn load(
    db: &impl ConnectionTrait,
    project: &project::Model,
    as_of: NaiveDate,
) -> Result<Inputs, ApiError> {
    let span = load::load_span(db, &[project.id], &[as_of]).await?;
    span.into_iter()
        .flatten()
        .next()
        .ok_or_else(|| ApiError::Internal("the readiness loader read no day".into()))
}
