//! Staff-run test scripts and their runs (DESIGN.md, "Staff-run test scripts — the go-live
//! gate"): any member (or a write key) reads and creates; the owner, a staff lead or a write key
//! edits; a staff lead (or an org admin) deletes. A run is recorded by a person who takes part
//! in the project, with their side stored: only staff runs count as staff-tested. Every write
//! here takes the project's row lock, as going live does, so the gate is never judged on a
//! state that a concurrent write is changing.

use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::{
    AppState,
    access::{Manage, ProjectAccess, Work, project_access},
    auth::Caller,
    idempotency::Pending,
    within_limit,
};
use crate::{
    domain::{
        Checks, FieldError, KeyScope, ProjectRole, limits,
        precondition::IfMatch,
        query::PageRequest,
        test_script::{NewRun, NewScript, ScriptPatch},
    },
    entity::{test_run, test_script},
    error::ApiError,
    events::{Event, record},
    repo::{
        milestones, project_members, projects,
        test_scripts::{self, RunRow, ScriptFilter},
    },
};

const MEMBERS_ONLY: &str =
    "Only members of the project (or a write API key) may create its test scripts.";
const OWNER_OR_LEAD: &str =
    "Only the script's owner, a staff lead or a write API key may edit a test script.";

fn not_found() -> ApiError {
    ApiError::not_found(
        "test_script_not_found",
        "No such test script in this project.",
    )
}

/// One 422 naming the owner when not active staff and the milestone when not the project's.
async fn check_refs(
    db: &impl ConnectionTrait,
    project_id: Uuid,
    owner: Option<Uuid>,
    milestone: Option<Uuid>,
) -> Result<(), ApiError> {
    let mut checks = Checks::default();
    if let Some(owner) = owner {
        let found = project_members::find_active(db, project_id, owner).await?;
        checks.require(
            found.is_some_and(|(m, _)| m.role == ProjectRole::Staff),
            "owner_id",
            "must be an active staff member of this project",
        );
    }
    if let Some(milestone) = milestone
        && milestones::find_in_project(db, project_id, milestone)
            .await?
            .is_none()
    {
        checks.add(FieldError::new(
            "milestone_id",
            "must be a milestone of this project",
        ));
    }
    Ok(checks.finish(())?)
}

pub async fn create(
    state: &AppState,
    caller: &Caller,
    project_id: Uuid,
    new: NewScript,
) -> Result<Pending<test_script::Model>, ApiError> {
    let txn = super::begin_write(&state.db).await?;
    let access = project_access(&txn, caller, project_id)
        .await?
        .grant::<Work>(MEMBERS_ONLY)?;
    projects::lock_for_update(&txn, project_id).await?;
    let in_project = test_scripts::in_project(project_id);
    within_limit::<test_script::Entity>(&txn, limits::TEST_SCRIPTS_PER_PROJECT, in_project).await?;
    check_refs(&txn, project_id, Some(new.owner_id), new.milestone_id).await?;
    let script = test_scripts::insert(&txn, project_id, new, caller.now()).await?;
    let event = Event::test_script_created(access.scope(), &script);
    record(&txn, caller.actor(), event).await?;
    Ok(Pending::new(txn, script))
}

pub async fn list(
    state: &AppState,
    caller: &Caller,
    project_id: Uuid,
    filter: ScriptFilter,
    page: PageRequest,
) -> Result<(Vec<test_script::Model>, bool), ApiError> {
    project_access(&state.db, caller, project_id).await?;
    Ok(test_scripts::list(&state.db, project_id, filter, page).await?)
}

async fn load(
    db: &impl ConnectionTrait,
    caller: &Caller,
    project_id: Uuid,
    script_id: Uuid,
) -> Result<(ProjectAccess, test_script::Model), ApiError> {
    let access = project_access(db, caller, project_id).await?;
    let script = test_scripts::find_in_project(db, project_id, script_id)
        .await?
        .ok_or_else(not_found)?;
    Ok((access, script))
}

pub async fn get(
    state: &AppState,
    caller: &Caller,
    project_id: Uuid,
    script_id: Uuid,
) -> Result<test_script::Model, ApiError> {
    Ok(load(&state.db, caller, project_id, script_id).await?.1)
}

fn apply(before: &test_script::Model, p: ScriptPatch, caller: &Caller) -> test_script::Model {
    let mut s = before.clone();
    if let Some(v) = p.title {
        s.title = v;
    }
    if let Some(v) = p.knowledge_area {
        s.knowledge_area = v;
    }
    if let Some(v) = p.steps {
        s.steps = v;
    }
    if let Some(v) = p.critical {
        s.critical = v;
    }
    if let Some(v) = p.owner_id {
        s.owner_id = v;
    }
    if let Some(v) = p.milestone_id {
        s.milestone_id = v;
    }
    s.updated_at = caller.now();
    s
}

pub async fn update(
    state: &AppState,
    caller: &Caller,
    (project_id, script_id): (Uuid, Uuid),
    if_match: &IfMatch,
    patch: ScriptPatch,
) -> Result<test_script::Model, ApiError> {
    let txn = super::begin_write(&state.db).await?;
    let (access, before) = load(&txn, caller, project_id, script_id).await?;
    let is_owner = access.role.is_some() && caller.user_id() == Some(before.owner_id);
    let may = is_owner || access.is_staff_lead() || access.key == Some(KeyScope::Write);
    access.require(may, OWNER_OR_LEAD)?;
    if_match.check(before.version)?;
    projects::lock_for_update(&txn, project_id).await?;
    check_refs(
        &txn,
        project_id,
        patch.owner_id,
        patch.milestone_id.flatten(),
    )
    .await?;
    let after = apply(&before, patch, caller);
    let updated = test_scripts::update_if_version(&txn, after, before.version)
        .await?
        .ok_or(ApiError::PreconditionFailed)?;
    let event = Event::test_script_updated(access.scope(), &before, &updated);
    record(&txn, caller.actor(), event).await?;
    txn.commit().await?;
    Ok(updated)
}

pub async fn delete(
    state: &AppState,
    caller: &Caller,
    (project_id, script_id): (Uuid, Uuid),
    if_match: &IfMatch,
) -> Result<(), ApiError> {
    let txn = super::begin_write(&state.db).await?;
    let (access, script) = load(&txn, caller, project_id, script_id).await?;
    let access = access
        .grant::<Manage>("Only staff leads and organisation admins may delete a test script.")?;
    if_match.check(script.version)?;
    projects::lock_for_update(&txn, project_id).await?;
    if !test_scripts::delete_if_version(&txn, script.id, script.version, caller.now()).await? {
        return Err(ApiError::PreconditionFailed);
    }
    let event = Event::test_script_deleted(access.scope(), &script);
    record(&txn, caller.actor(), event).await?;
    txn.commit().await?;
    Ok(())
}

/// Records a run by the caller, a person taking part in the project (an API key or an org admin
/// who does not take part may not: a run is someone's own testing). Their side is stored.
pub async fn record_run(
    state: &AppState,
    caller: &Caller,
    (project_id, script_id): (Uuid, Uuid),
    run: NewRun,
) -> Result<Pending<test_run::Model>, ApiError> {
    let txn = super::begin_write(&state.db).await?;
    let (access, script) = load(&txn, caller, project_id, script_id).await?;
    let person = caller.person()?.id;
    let Some(party) = access.role else {
        return Err(ApiError::Forbidden {
            code: "forbidden",
            detail: "Only members of the project may record a test run.".into(),
        });
    };
    let today = caller.today();
    let occurred_on = run.occurred_on.unwrap_or(today);
    if occurred_on > today {
        return Err(ApiError::Validation(vec![FieldError::new(
            "occurred_on",
            "must not be in the future",
        )]));
    }
    projects::lock_for_update(&txn, project_id).await?;
    let runs = test_scripts::runs_of(script.id);
    within_limit::<test_run::Entity>(&txn, limits::RUNS_PER_TEST_SCRIPT, runs).await?;
    let row = RunRow {
        script_id: script.id,
        project_id,
        user_id: person,
        party,
        run,
        occurred_on,
    };
    let recorded = test_scripts::insert_run(&txn, row, caller.now()).await?;
    let event = Event::test_run_recorded(access.scope(), &recorded);
    record(&txn, caller.actor(), event).await?;
    Ok(Pending::new(txn, recorded))
}

pub async fn list_runs(
    state: &AppState,
    caller: &Caller,
    (project_id, script_id): (Uuid, Uuid),
    page: PageRequest,
) -> Result<(Vec<test_run::Model>, bool), ApiError> {
    let (_, script) = load(&state.db, caller, project_id, script_id).await?;
    Ok(test_scripts::list_runs(&state.db, script.id, page).await?)
}
