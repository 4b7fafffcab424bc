//! Handoff milestones and their transitions along the ladder.

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::{
    AppState,
    access::{Granted, Manage, NameOwners, ProjectAccess, Work, project_access},
    auth::Caller,
    idempotency::Pending,
    within_limit,
};
use crate::{
    domain::{
        Action, Checks, FieldError, ItemStatus, ProjectRole, ProjectStatus, Stage,
        ladder::{self, Actor, Evidence},
        limits,
        milestone::{MilestonePatch, Move, NewMilestone, Upsert},
        precondition::IfMatch,
        query::{MilestoneFilter, PageRequest},
    },
    entity::{criterion, milestone, milestone_transition},
    error::ApiError,
    events::{Event, Scope, record},
    repo::{milestones, project_members, projects},
};

/// A milestone with what the caller needs to act on it.
pub struct MilestoneView {
    pub milestone: milestone::Model,
    pub criteria: Vec<criterion::Model>,
    pub allowed_actions: Vec<Action>,
}

fn not_found() -> ApiError {
    ApiError::not_found("milestone_not_found", "No such milestone in this project.")
}

/// Milestones are worked on by the project's members and write API keys; an org admin who is
/// not a member may read and delete, nothing else.
const MEMBERS_ONLY: &str = "Only members of the project may change its milestones.";
const OWNERS_BY_STAFF: &str = "Who owns a piece of knowledge is the organisation's decision: only its staff (or a write API key) may set, change or clear a milestone's staff owner.";

pub fn caller_facts(access: &ProjectAccess, caller: &Caller, m: &milestone::Model) -> Actor {
    let is_staff = access.role == Some(ProjectRole::Staff);
    Actor {
        is_member: access.role.is_some(),
        is_staff,
        is_staff_lead: access.is_staff_lead(),
        is_staff_owner: is_staff
            && m.staff_owner_id.is_some()
            && m.staff_owner_id == caller.user_id(),
    }
}

async fn evidence(db: &impl ConnectionTrait, m: &milestone::Model) -> Result<Evidence, ApiError> {
    let criteria = milestones::list_criteria(db, m.id).await?;
    let owner_hours = match m.staff_owner_id {
        Some(owner) => milestones::hands_on_quarter_hours(db, m.id, owner).await?,
        None => 0,
    };
    Ok(Evidence {
        has_staff_owner: m.staff_owner_id.is_some(),
        all_criteria_done: criteria.iter().all(|c| c.done),
        owner_hands_on_quarter_hours: owner_hours,
    })
}

fn external_conflict(err: sea_orm::DbErr) -> ApiError {
    super::external_id_taken("milestone of this project", err)
}

/// Checks that each person named is an active participant on the right side (one 422 naming
/// every field that is not).
async fn check_people(
    db: &impl ConnectionTrait,
    project_id: Uuid,
    staff_owner: Option<Uuid>,
    consultant: Option<Uuid>,
) -> Result<(), ApiError> {
    let mut checks = Checks::default();
    for (user_id, role, field) in [
        (staff_owner, ProjectRole::Staff, "staff_owner_id"),
        (consultant, ProjectRole::Consultant, "consultant_id"),
    ] {
        let Some(user_id) = user_id else { continue };
        let found = project_members::find_active(db, project_id, user_id).await?;
        if found.is_none_or(|(m, _)| m.role != role) {
            checks.add(FieldError::new(
                field,
                match role {
                    ProjectRole::Staff => "must be an active staff member of this project",
                    ProjectRole::Consultant => "must be an active consultant of this project",
                },
            ));
        }
    }
    Ok(checks.finish(())?)
}

pub async fn create(
    state: &AppState,
    caller: &Caller,
    project_id: Uuid,
    new: NewMilestone,
) -> Result<Pending<MilestoneView>, ApiError> {
    let txn = super::begin_write(&state.db).await?;
    let access = project_access(&txn, caller, project_id)
        .await?
        .grant::<Work>(MEMBERS_ONLY)?;
    lock_open_project(&txn, project_id).await?;
    let view = insert(&txn, caller, &access, new).await?;
    Ok(Pending::new(txn, view))
}

/// Locks the project's row against closing, and refuses a closed project: closing waits for
/// this lock (or this waits for closing), so a closed project never gains a milestone that
/// would stand open forever.
async fn lock_open_project(db: &impl ConnectionTrait, project_id: Uuid) -> Result<(), ApiError> {
    if projects::lock_for_update(db, project_id).await? == Some(ProjectStatus::Closed) {
        return Err(ApiError::conflict(
            "project_closed",
            "The project is closed; it takes no new milestones.",
        ));
    }
    Ok(())
}

/// Creates `new` in the project of `access` (whose row the caller has locked).
async fn insert(
    db: &impl ConnectionTrait,
    caller: &Caller,
    access: &Granted<Work>,
    new: NewMilestone,
) -> Result<MilestoneView, ApiError> {
    if new.staff_owner_id.is_some() {
        access.check::<NameOwners>(OWNERS_BY_STAFF)?;
    }
    let project_id = access.project.id;
    let in_project = milestones::in_project(project_id);
    within_limit::<milestone::Entity>(db, limits::MILESTONES_PER_PROJECT, in_project).await?;
    check_people(db, project_id, new.staff_owner_id, new.consultant_id).await?;
    let milestone = milestones::insert(db, project_id, &new, caller.now())
        .await
        .map_err(external_conflict)?;
    let mut criteria = Vec::new();
    for line in new.criteria {
        criteria.push(milestones::insert_criterion(db, milestone.id, line, caller.now()).await?);
    }
    let event = Event::milestone_created(access.scope(), &milestone, &criteria);
    record(db, caller.actor(), event).await?;
    let facts = caller_facts(access, caller, &milestone);
    let allowed_actions = ladder::allowed_actions(milestone.stage, facts, Evidence::default());
    Ok(MilestoneView {
        milestone,
        criteria,
        allowed_actions,
    })
}

/// A vendor's sync: each item creates the milestone the vendor keeps under its external id or
/// brings it up to date, with every rule, right and event of a create or an edit applied to it
/// alone ([`super::each_item`]). All of it is one transaction, so a crash or a retry never
/// leaves half a batch. Edits win over concurrent ones (no `If-Match`): the vendor's record is
/// the source.
pub async fn sync(
    state: &AppState,
    caller: &Caller,
    project_id: Uuid,
    items: Vec<Upsert>,
) -> Result<Pending<Vec<Result<(ItemStatus, MilestoneView), ApiError>>>, ApiError> {
    let txn = super::begin_write(&state.db).await?;
    let access = project_access(&txn, caller, project_id)
        .await?
        .grant::<Work>(MEMBERS_ONLY)?;
    lock_open_project(&txn, project_id).await?;
    let results = super::each_item(&txn, items, async |db, upsert| {
        upsert_one(db, caller, &access, upsert).await
    })
    .await?;
    Ok(Pending::new(txn, results))
}

async fn upsert_one(
    db: &impl ConnectionTrait,
    caller: &Caller,
    access: &Granted<Work>,
    upsert: Upsert,
) -> Result<(ItemStatus, MilestoneView), ApiError> {
    let project_id = access.project.id;
    let Some(before) = milestones::find_by_external(db, project_id, upsert.key()).await? else {
        let created = insert(db, caller, access, upsert.new).await?;
        return Ok((ItemStatus::Created, created));
    };
    let (after, _) = apply(&before, upsert.patch.clone(), before.updated_at);
    if after == before {
        return Ok((
            ItemStatus::Unchanged,
            view(db, access, caller, before).await?,
        ));
    }
    let updated = edit(db, caller, access, before, upsert.patch).await?;
    Ok((
        ItemStatus::Updated,
        view(db, access, caller, updated).await?,
    ))
}

pub async fn list(
    state: &AppState,
    caller: &Caller,
    project_id: Uuid,
    filter: MilestoneFilter,
    page: PageRequest,
) -> Result<(Vec<milestone::Model>, bool), ApiError> {
    project_access(&state.db, caller, project_id).await?;
    Ok(milestones::list(&state.db, project_id, filter, page).await?)
}

/// The project access and the milestone, both scoped to the caller.
pub async fn load(
    db: &impl ConnectionTrait,
    caller: &Caller,
    project_id: Uuid,
    milestone_id: Uuid,
) -> Result<(ProjectAccess, milestone::Model), ApiError> {
    let access = project_access(db, caller, project_id).await?;
    let milestone = milestones::find_in_project(db, project_id, milestone_id)
        .await?
        .ok_or_else(not_found)?;
    Ok((access, milestone))
}

async fn view(
    db: &impl ConnectionTrait,
    access: &ProjectAccess,
    caller: &Caller,
    m: milestone::Model,
) -> Result<MilestoneView, ApiError> {
    let criteria = milestones::list_criteria(db, m.id).await?;
    let evidence = evidence(db, &m).await?;
    let allowed_actions =
        ladder::allowed_actions(m.stage, caller_facts(access, caller, &m), evidence);
    Ok(MilestoneView {
        milestone: m,
        criteria,
        allowed_actions,
    })
}

pub async fn get(
    state: &AppState,
    caller: &Caller,
    project_id: Uuid,
    milestone_id: Uuid,
) -> Result<MilestoneView, ApiError> {
    let (access, milestone) = load(&state.db, caller, project_id, milestone_id).await?;
    view(&state.db, &access, caller, milestone).await
}

/// The milestone after `patch`, and whether the change of owner sent it back to reverse
/// shadowing (a new owner has not done the work yet).
fn apply(
    before: &milestone::Model,
    p: MilestonePatch,
    now: DateTime<Utc>,
) -> (milestone::Model, bool) {
    let mut after = before.clone();
    let m = &mut after;
    if let Some(v) = p.title {
        m.title = v;
    }
    if let Some(v) = p.knowledge_area {
        m.knowledge_area = v;
    }
    if let Some(v) = p.description {
        m.description = v;
    }
    if let Some(v) = p.due_date {
        m.due_date = v;
    }
    if let Some(v) = p.staff_owner_id {
        m.staff_owner_id = v;
    }
    if let Some(v) = p.consultant_id {
        m.consultant_id = v;
    }
    if let Some(v) = p.external_id {
        m.external_id = v;
    }
    if let Some(v) = p.external_source {
        m.external_source = v;
    }
    m.updated_at = now;
    let reassigned =
        before.stage == Stage::ReadyForSignoff && m.staff_owner_id != before.staff_owner_id;
    if reassigned {
        m.stage = Stage::ReverseShadowing;
        m.stage_entered_at = now;
    }
    (after, reassigned)
}

pub async fn update(
    state: &AppState,
    caller: &Caller,
    project_id: Uuid,
    milestone_id: Uuid,
    if_match: &IfMatch,
    patch: MilestonePatch,
) -> Result<MilestoneView, ApiError> {
    let txn = super::begin_write(&state.db).await?;
    let (access, before) = load(&txn, caller, project_id, milestone_id).await?;
    let access = access.grant::<Work>(MEMBERS_ONLY)?;
    if_match.check(before.version)?;
    let updated = edit(&txn, caller, &access, before, patch).await?;
    let view = view(&txn, &access, caller, updated).await?;
    txn.commit().await?;
    Ok(view)
}

/// Applies `patch` to `before` (loaded in this transaction) with its rules, rights and events.
async fn edit(
    db: &impl ConnectionTrait,
    caller: &Caller,
    access: &Granted<Work>,
    before: milestone::Model,
    patch: MilestonePatch,
) -> Result<milestone::Model, ApiError> {
    if patch
        .staff_owner_id
        .is_some_and(|owner| owner != before.staff_owner_id)
    {
        access.check::<NameOwners>(OWNERS_BY_STAFF)?;
    }
    let (owner, consultant) = (
        patch.staff_owner_id.flatten(),
        patch.consultant_id.flatten(),
    );
    check_people(db, before.project_id, owner, consultant).await?;
    let now = caller.now();
    let (after, reassigned) = apply(&before, patch, now);
    let updated = milestones::update_if_version(db, after, before.version)
        .await
        .map_err(external_conflict)?
        .ok_or(ApiError::PreconditionFailed)?;
    let event = Event::milestone_updated(access.scope(), &before, &updated);
    record(db, caller.actor(), event).await?;
    if reassigned {
        let step = Step {
            action: "owner_reassigned",
            from: before.stage,
            to: Stage::ReverseShadowing,
            note: Some("staff owner reassigned".to_owned()),
            at: now,
        };
        write_transition(db, caller, access.scope(), &updated, step).await?;
    }
    Ok(updated)
}

/// One move along the ladder, as the transition log records it.
struct Step {
    action: &'static str,
    from: Stage,
    to: Stage,
    note: Option<String>,
    at: DateTime<Utc>,
}

async fn write_transition(
    db: &impl ConnectionTrait,
    caller: &Caller,
    scope: Scope,
    m: &milestone::Model,
    step: Step,
) -> Result<(), ApiError> {
    let event = Event::milestone_stage_changed(
        scope,
        m.id,
        step.action,
        step.from,
        step.to,
        step.note.as_deref(),
    );
    milestones::insert_transition(
        db,
        milestone_transition::Model {
            id: Uuid::now_v7(),
            milestone_id: m.id,
            action: step.action.to_owned(),
            from_stage: step.from,
            to_stage: step.to,
            note: step.note,
            actor_user_id: caller.user_id(),
            occurred_at: step.at,
        },
    )
    .await?;
    Ok(record(db, caller.actor(), event).await?)
}

pub async fn delete(
    state: &AppState,
    caller: &Caller,
    project_id: Uuid,
    milestone_id: Uuid,
    if_match: &IfMatch,
) -> Result<(), ApiError> {
    let txn = super::begin_write(&state.db).await?;
    let (access, milestone) = load(&txn, caller, project_id, milestone_id).await?;
    let access = access
        .grant::<Manage>("Only staff leads and organisation admins may delete a milestone.")?;
    if_match.check(milestone.version)?;
    if !milestones::delete_if_version(&txn, milestone.id, milestone.version, caller.now()).await? {
        return Err(ApiError::PreconditionFailed);
    }
    let event = Event::milestone_deleted(access.scope(), &milestone);
    record(&txn, caller.actor(), event).await?;
    txn.commit().await?;
    Ok(())
}

/// 403 unless the ladder lets this caller take `action` at all.
fn permit(action: Action, facts: Actor) -> Result<(), ApiError> {
    if ladder::permits(action, facts) {
        return Ok(());
    }
    let detail = match action {
        Action::Advance => "Only members of the project may advance a milestone.",
        Action::SignOff => "Only the milestone's staff owner may sign it off.",
        Action::Reject => "Only the staff owner or a staff lead may reject a sign-off request.",
        Action::Reopen => "Only a staff lead may reopen a handed-off milestone.",
    };
    Err(ApiError::Forbidden {
        code: "transition_forbidden",
        detail: detail.into(),
    })
}

/// Where `action` takes the milestone, or 409 with the allowed actions and what is missing.
async fn target(
    db: &impl ConnectionTrait,
    m: &milestone::Model,
    action: Action,
    facts: Actor,
) -> Result<Stage, ApiError> {
    let evidence = evidence(db, m).await?;
    let illegal = |detail: String, unmet: Vec<&'static str>| ApiError::IllegalTransition {
        detail,
        allowed_actions: ladder::allowed_actions(m.stage, facts, evidence),
        unmet,
    };
    let Some(to) = action.target(m.stage) else {
        let (action, stage) = (action.as_str(), m.stage.as_str());
        return Err(illegal(
            format!("`{action}` is not possible from `{stage}`."),
            Vec::new(),
        ));
    };
    let missing = ladder::unmet(to, evidence);
    if !missing.is_empty() {
        let detail = format!("Entering `{}` needs: {}.", to.as_str(), missing.join(", "));
        return Err(illegal(detail, missing));
    }
    Ok(to)
}

/// Moves a milestone along the ladder. Wrong caller → 403; wrong stage or unmet precondition →
/// 409 listing the allowed actions and what is missing. The move is a conditional update on
/// the current stage, so of two concurrent identical transitions exactly one succeeds.
pub async fn transition(
    state: &AppState,
    caller: &Caller,
    project_id: Uuid,
    milestone_id: Uuid,
    mv: Move,
) -> Result<Pending<MilestoneView>, ApiError> {
    let txn = super::begin_write(&state.db).await?;
    let (access, m) = load(&txn, caller, project_id, milestone_id).await?;
    let facts = caller_facts(&access, caller, &m);
    permit(mv.action, facts)?;
    if let Some(seen) = mv.from
        && seen != m.stage
    {
        return Err(moved_meanwhile(seen, m.stage));
    }
    let to = target(&txn, &m, mv.action, facts).await?;
    let now = caller.now();
    let signer = caller.user_id().filter(|_| mv.action == Action::SignOff);
    if !milestones::move_stage_if_at(&txn, m.id, m.stage, to, now, signer).await? {
        let now_at = milestones::find_in_project(&txn, project_id, milestone_id).await?;
        return Err(moved_meanwhile(
            m.stage,
            now_at.map_or(m.stage, |m| m.stage),
        ));
    }
    let (action, from, note) = (mv.action.as_str(), m.stage, mv.note);
    let step = Step {
        action,
        from,
        to,
        note,
        at: now,
    };
    write_transition(&txn, caller, access.scope(), &m, step).await?;
    if mv.action == Action::SignOff {
        let event = Event::milestone_signed_off(access.scope(), m.id, caller.user_id());
        record(&txn, caller.actor(), event).await?;
    }
    let moved = milestones::find_in_project(&txn, project_id, milestone_id)
        .await?
        .ok_or_else(not_found)?;
    let moved = view(&txn, &access, caller, moved).await?;
    Ok(Pending::new(txn, moved))
}

fn moved_meanwhile(seen: Stage, now: Stage) -> ApiError {
    ApiError::conflict(
        "milestone_moved",
        format!(
            "The milestone is at `{}`, not `{}` as you saw it; read it again.",
            now.as_str(),
            seen.as_str()
        ),
    )
}

pub async fn history(
    state: &AppState,
    caller: &Caller,
    project_id: Uuid,
    milestone_id: Uuid,
    page: PageRequest,
) -> Result<(Vec<milestone_transition::Model>, bool), ApiError> {
    let (_, milestone) = load(&state.db, caller, project_id, milestone_id).await?;
    Ok(milestones::list_transitions(&state.db, milestone.id, page).await?)
}
