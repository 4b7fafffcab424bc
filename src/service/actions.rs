//! Agreed actions (DESIGN.md, "Agreed actions"): any member (or a write key) creates and edits;
//! the owner or a staff lead closes or reopens; a staff lead (or an org admin) deletes.

use chrono::NaiveDate;
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
        Checks, FieldError,
        action::{ActionPatch, ActionStatus, NewAction, WaitingOn},
        limits,
        precondition::IfMatch,
    },
    entity::agreed_action,
    error::ApiError,
    events::{Event, record},
    repo::{
        actions::{self, ActionFilter, ActionOrder, ActionRow},
        milestones, project_members,
    },
};

const MEMBERS_ONLY: &str =
    "Only members of the project (or a write API key) may create or edit its agreed actions.";
const OWNER_OR_LEAD: &str = "Only the action's owner or a staff lead may close or reopen it.";

fn not_found() -> ApiError {
    ApiError::not_found("action_not_found", "No such agreed action in this project.")
}

/// One 422 naming every field that names someone or something outside the project.
async fn check_refs(
    db: &impl ConnectionTrait,
    project_id: Uuid,
    owner: Option<Uuid>,
    waiting: Option<&WaitingOn>,
    milestone: Option<Uuid>,
    agreed_on: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<(), ApiError> {
    let mut checks = Checks::default();
    let waiting_user = match waiting {
        Some(WaitingOn::Member(user)) => Some(*user),
        _ => None,
    };
    for (user, field) in [(owner, "owner_id"), (waiting_user, "waiting_on.user_id")] {
        let Some(user) = user else { continue };
        if project_members::find_active(db, project_id, user)
            .await?
            .is_none()
        {
            checks.add(FieldError::new(
                field,
                "must be an active member of this project",
            ));
        }
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
    if agreed_on.is_some_and(|day| day > today) {
        checks.add(FieldError::new("agreed_on", "must not be in the future"));
    }
    Ok(checks.finish(())?)
}

pub async fn create(
    state: &AppState,
    caller: &Caller,
    project_id: Uuid,
    new: NewAction,
) -> Result<Pending<agreed_action::Model>, ApiError> {
    let txn = super::begin_write(&state.db).await?;
    let access = project_access(&txn, caller, project_id)
        .await?
        .grant::<Work>(MEMBERS_ONLY)?;
    let in_project = actions::in_project(project_id);
    within_limit::<agreed_action::Entity>(&txn, limits::ACTIONS_PER_PROJECT, in_project).await?;
    let today = caller.today();
    check_refs(
        &txn,
        project_id,
        Some(new.owner_id),
        new.waiting_on.as_ref(),
        new.milestone_id,
        new.agreed_on,
        today,
    )
    .await?;
    let row = ActionRow {
        title: new.title,
        owner_id: new.owner_id,
        due_date: new.due_date,
        waiting_since: new.waiting_on.as_ref().map(|_| today),
        waiting_on: new.waiting_on,
        milestone_id: new.milestone_id,
        agreed_on: new.agreed_on.unwrap_or(today),
        note: new.note,
    };
    let action = actions::insert(&txn, project_id, row, caller.now()).await?;
    record(
        &txn,
        caller.actor(),
        Event::action_created(access.scope(), &action),
    )
    .await?;
    Ok(Pending::new(txn, action))
}

pub async fn list(
    state: &AppState,
    caller: &Caller,
    project_id: Uuid,
    filter: ActionFilter,
    limit: u64,
    order: ActionOrder,
) -> Result<(Vec<agreed_action::Model>, bool), ApiError> {
    project_access(&state.db, caller, project_id).await?;
    Ok(actions::list(&state.db, project_id, filter, limit, order).await?)
}

async fn load(
    db: &impl ConnectionTrait,
    caller: &Caller,
    project_id: Uuid,
    action_id: Uuid,
) -> Result<(ProjectAccess, agreed_action::Model), ApiError> {
    let access = project_access(db, caller, project_id).await?;
    let action = actions::find_in_project(db, project_id, action_id)
        .await?
        .ok_or_else(not_found)?;
    Ok((access, action))
}

pub async fn get(
    state: &AppState,
    caller: &Caller,
    project_id: Uuid,
    action_id: Uuid,
) -> Result<agreed_action::Model, ApiError> {
    Ok(load(&state.db, caller, project_id, action_id).await?.1)
}

/// The action after `patch`: whom it waits on starts a new wait only when it changes to someone
/// new; closing records who and when, reopening clears them.
fn apply(before: &agreed_action::Model, p: ActionPatch, caller: &Caller) -> agreed_action::Model {
    let mut a = before.clone();
    if let Some(v) = p.title {
        a.title = v;
    }
    if let Some(v) = p.owner_id {
        a.owner_id = v;
    }
    if let Some(v) = p.due_date {
        a.due_date = v;
    }
    if let Some(v) = p.milestone_id {
        a.milestone_id = v;
    }
    if let Some(v) = p.agreed_on {
        a.agreed_on = v;
    }
    if let Some(v) = p.note {
        a.note = v;
    }
    if let Some(waiting) = p.waiting_on {
        let was = WaitingOn::from_columns(
            before.waiting_user_id,
            before.waiting_party,
            before.waiting_name.as_deref(),
        );
        if waiting != was {
            (a.waiting_user_id, a.waiting_party, a.waiting_name) =
                WaitingOn::columns(waiting.as_ref());
            a.waiting_since = waiting.map(|_| caller.today());
        }
    }
    if let Some(status) = p.status
        && status != before.status
    {
        a.status = status;
        let closing = status != ActionStatus::Open;
        a.closed_by = caller.user_id().filter(|_| closing);
        a.closed_at = closing.then(|| caller.now());
    }
    a.updated_at = caller.now();
    a
}

pub async fn update(
    state: &AppState,
    caller: &Caller,
    (project_id, action_id): (Uuid, Uuid),
    if_match: &IfMatch,
    patch: ActionPatch,
) -> Result<agreed_action::Model, ApiError> {
    let txn = super::begin_write(&state.db).await?;
    let (access, before) = load(&txn, caller, project_id, action_id).await?;
    // Closing or reopening is the owner's or a lead's; anything else (a no-op included) is work.
    let moves = patch.status.is_some_and(|s| s != before.status);
    if moves {
        let is_owner = caller.user_id() == Some(before.owner_id) && access.role.is_some();
        access.require(is_owner || access.is_staff_lead(), OWNER_OR_LEAD)?;
    }
    if patch.edits_fields() || !moves {
        access.check::<Work>(MEMBERS_ONLY)?;
    }
    if_match.check(before.version)?;
    let waiting = patch.waiting_on.clone().flatten();
    check_refs(
        &txn,
        project_id,
        patch.owner_id,
        waiting.as_ref(),
        patch.milestone_id.flatten(),
        patch.agreed_on,
        caller.today(),
    )
    .await?;
    let after = apply(&before, patch, caller);
    let updated = actions::update_if_version(&txn, after, before.version)
        .await?
        .ok_or(ApiError::PreconditionFailed)?;
    let closed = updated.status != ActionStatus::Open && before.status == ActionStatus::Open;
    let event = if closed {
        Event::action_closed(access.scope(), &updated)
    } else {
        Event::action_updated(access.scope(), &before, &updated)
    };
    record(&txn, caller.actor(), event).await?;
    txn.commit().await?;
    Ok(updated)
}

pub async fn delete(
    state: &AppState,
    caller: &Caller,
    (project_id, action_id): (Uuid, Uuid),
    if_match: &IfMatch,
) -> Result<(), ApiError> {
    let txn = super::begin_write(&state.db).await?;
    let (access, action) = load(&txn, caller, project_id, action_id).await?;
    let access = access
        .grant::<Manage>("Only staff leads and organisation admins may delete an agreed action.")?;
    if_match.check(action.version)?;
    if !actions::delete_if_version(&txn, action.id, action.version).await? {
        return Err(ApiError::PreconditionFailed);
    }
    record(
        &txn,
        caller.actor(),
        Event::action_deleted(access.scope(), &action),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
