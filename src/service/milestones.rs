//! Handoff milestones and their transitions along the ladder.

use chrono::{NaiveDate, Utc};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, SqlErr, TransactionTrait};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    AppState,
    access::{ProjectAccess, check_if_match, project_access},
    auth::Caller,
    idempotency::Pending,
    projects::nullable,
    within_limit,
};
use crate::{
    domain::{
        Action, ProjectRole, ProjectStatus, Stage,
        ladder::{self, Actor, Evidence},
        limits, text,
    },
    entity::{criterion, milestone, milestone_transition},
    error::{ApiError, FieldError},
    events::{Event, Scope, record},
    repo::{
        PageRequest,
        milestones::{self, MilestoneFilter, NewMilestone},
        project_members, projects,
    },
};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateMilestone {
    #[schema(example = "Run the monthly dues invoicing")]
    pub title: String,
    #[schema(example = "dues invoicing")]
    pub knowledge_area: String,
    pub description: Option<String>,
    #[serde(default, deserialize_with = "crate::domain::day::optional")]
    pub due_date: Option<NaiveDate>,
    /// An active staff member of the project: the person who will own this knowledge.
    pub staff_owner_id: Option<Uuid>,
    /// An active consultant of the project.
    pub consultant_id: Option<Uuid>,
    /// Checklist lines to create with the milestone.
    #[serde(default)]
    pub acceptance_criteria: Vec<String>,
    pub external_id: Option<String>,
    pub external_source: Option<String>,
}

/// `null` clears an optional field; `stage` and sign-off fields are never writable.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct UpdateMilestone {
    pub title: Option<String>,
    pub knowledge_area: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::domain::day::nullable")]
    #[schema(value_type = Option<NaiveDate>)]
    pub due_date: Option<Option<NaiveDate>>,
    /// Reassigning the owner of a milestone in `ready_for_signoff` sends it back to
    /// `reverse_shadowing`: the new owner has not done it yet.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Uuid>)]
    pub staff_owner_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Uuid>)]
    pub consultant_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub external_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub external_source: Option<Option<String>>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionRequest {
    pub action: Action,
    /// Required for `reject` and `reopen`: the reason.
    pub note: Option<String>,
    /// The stage you saw. When given, the transition happens only from it (else 409
    /// `milestone_moved`), so a double-clicked or repeated `advance` moves one step, never two.
    pub from: Option<Stage>,
}

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
fn require_member(access: &ProjectAccess) -> Result<(), ApiError> {
    access.require(
        access.can_work(),
        "Only members of the project may change its milestones.",
    )
}

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

/// Checks that `user_id` is an active participant with `role` (422 on `field` otherwise).
async fn require_participant(
    db: &impl ConnectionTrait,
    project_id: Uuid,
    user_id: Uuid,
    role: ProjectRole,
    field: &str,
) -> Result<(), FieldError> {
    let found = project_members::find_active(db, project_id, user_id)
        .await
        .ok()
        .flatten();
    match found {
        Some((m, _)) if m.role == role => Ok(()),
        _ => Err(FieldError::new(
            field,
            match role {
                ProjectRole::Staff => "must be an active staff member of this project",
                ProjectRole::Consultant => "must be an active consultant of this project",
            },
        )),
    }
}

fn external_conflict(err: sea_orm::DbErr) -> ApiError {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => ApiError::conflict(
            "external_id_taken",
            "Another milestone of this project has this external_source and external_id.",
        ),
        _ => err.into(),
    }
}

pub async fn create(
    state: &AppState,
    caller: &Caller,
    project_id: Uuid,
    input: CreateMilestone,
) -> Result<Pending<MilestoneView>, ApiError> {
    let access = project_access(&state.db, caller, project_id).await?;
    require_member(&access)?;
    let mut errors = Vec::new();
    let mut take = |r: Result<String, FieldError>| {
        r.unwrap_or_else(|e| {
            errors.push(e);
            String::new()
        })
    };
    let title = take(text::name("title", &input.title));
    let knowledge_area =
        take(text::name("knowledge_area", &input.knowledge_area).and_then(|a| area(&a)));
    let mut optional = |field: &str, value: Option<&str>, max: usize| {
        text::optional(field, value, max).unwrap_or_else(|e| {
            errors.push(e);
            None
        })
    };
    let description = optional("description", input.description.as_deref(), 10_000);
    let external_id = optional("external_id", input.external_id.as_deref(), 200);
    let external_source = optional("external_source", input.external_source.as_deref(), 100);
    let mut criteria = Vec::new();
    let most = limits::CRITERIA_PER_MILESTONE.max;
    if input.acceptance_criteria.len() as u64 > most {
        errors.push(FieldError::new(
            "acceptance_criteria",
            format!("at most {most} criteria per milestone"),
        ));
    }
    for (i, line) in input.acceptance_criteria.iter().enumerate() {
        match criterion_text(&format!("acceptance_criteria[{i}]"), line) {
            Ok(t) => criteria.push(t),
            Err(e) => errors.push(e),
        }
    }
    let txn = state.db.begin().await?;
    // Closing waits for this lock (or this waits for closing), so a closed project never gains
    // a milestone that would stand open forever.
    if projects::lock_for_update(&txn, project_id).await? == Some(ProjectStatus::Closed) {
        return Err(ApiError::conflict(
            "project_closed",
            "The project is closed; it takes no new milestones.",
        ));
    }
    within_limit::<milestone::Entity>(
        &txn,
        limits::MILESTONES_PER_PROJECT,
        Condition::all().add(milestone::Column::ProjectId.eq(project_id)),
    )
    .await?;
    if let Some(owner) = input.staff_owner_id
        && let Err(e) = require_participant(
            &txn,
            project_id,
            owner,
            ProjectRole::Staff,
            "staff_owner_id",
        )
        .await
    {
        errors.push(e);
    }
    if let Some(consultant) = input.consultant_id
        && let Err(e) = require_participant(
            &txn,
            project_id,
            consultant,
            ProjectRole::Consultant,
            "consultant_id",
        )
        .await
    {
        errors.push(e);
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let milestone = milestones::insert(
        &txn,
        NewMilestone {
            project_id,
            title,
            knowledge_area,
            description,
            due_date: input.due_date,
            staff_owner_id: input.staff_owner_id,
            consultant_id: input.consultant_id,
            external_id,
            external_source,
        },
    )
    .await
    .map_err(external_conflict)?;
    let mut created = Vec::new();
    for line in criteria {
        created.push(milestones::insert_criterion(&txn, milestone.id, line).await?);
    }
    let scope = Scope::project(&access.project);
    record(
        &txn,
        caller.actor(),
        Event::milestone_created(scope, &milestone, &created),
    )
    .await?;
    let allowed_actions = ladder::allowed_actions(
        milestone.stage,
        caller_facts(&access, caller, &milestone),
        Evidence::default(),
    );
    Ok(Pending::new(
        txn,
        MilestoneView {
            milestone,
            criteria: created,
            allowed_actions,
        },
    ))
}

/// Knowledge areas group milestones: compared as written, so keep them short and consistent.
fn area(value: &str) -> Result<String, FieldError> {
    if value.chars().count() > 100 {
        Err(FieldError::new(
            "knowledge_area",
            "must be at most 100 characters",
        ))
    } else {
        Ok(value.to_owned())
    }
}

pub fn criterion_text(field: &str, raw: &str) -> Result<String, FieldError> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(FieldError::new(field, "must not be empty"));
    }
    if value.chars().count() > 500 {
        return Err(FieldError::new(field, "must be at most 500 characters"));
    }
    Ok(value.to_owned())
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

pub async fn update(
    state: &AppState,
    caller: &Caller,
    project_id: Uuid,
    milestone_id: Uuid,
    if_match: Option<&str>,
    input: UpdateMilestone,
) -> Result<MilestoneView, ApiError> {
    let (access, before) = load(&state.db, caller, project_id, milestone_id).await?;
    require_member(&access)?;
    check_if_match(if_match, before.version)?;
    let mut errors = Vec::new();
    let mut after = before.clone();
    if let Some(title) = &input.title {
        match text::name("title", title) {
            Ok(t) => after.title = t,
            Err(e) => errors.push(e),
        }
    }
    if let Some(a) = &input.knowledge_area {
        match text::name("knowledge_area", a).and_then(|a| area(&a)) {
            Ok(a) => after.knowledge_area = a,
            Err(e) => errors.push(e),
        }
    }
    for (field, patch, slot, max) in [
        (
            "description",
            &input.description,
            &mut after.description,
            10_000,
        ),
        (
            "external_id",
            &input.external_id,
            &mut after.external_id,
            200,
        ),
        (
            "external_source",
            &input.external_source,
            &mut after.external_source,
            100,
        ),
    ] {
        if let Some(value) = patch {
            match text::optional(field, value.as_deref(), max) {
                Ok(v) => *slot = v,
                Err(e) => errors.push(e),
            }
        }
    }
    if let Some(due) = input.due_date {
        after.due_date = due;
    }
    let txn = state.db.begin().await?;
    if let Some(owner) = input.staff_owner_id {
        if let Some(id) = owner
            && let Err(e) =
                require_participant(&txn, project_id, id, ProjectRole::Staff, "staff_owner_id")
                    .await
        {
            errors.push(e);
        }
        after.staff_owner_id = owner;
    }
    if let Some(consultant) = input.consultant_id {
        if let Some(id) = consultant
            && let Err(e) = require_participant(
                &txn,
                project_id,
                id,
                ProjectRole::Consultant,
                "consultant_id",
            )
            .await
        {
            errors.push(e);
        }
        after.consultant_id = consultant;
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let now = Utc::now();
    after.updated_at = now;
    // A new owner has not done the work yet: the milestone goes back to reverse shadowing.
    let reassigned =
        before.stage == Stage::ReadyForSignoff && after.staff_owner_id != before.staff_owner_id;
    if reassigned {
        after.stage = Stage::ReverseShadowing;
        after.stage_entered_at = now;
    }
    let updated = milestones::update_if_version(&txn, after, before.version)
        .await
        .map_err(external_conflict)?
        .ok_or(ApiError::PreconditionFailed)?;
    let scope = Scope::project(&access.project);
    let event = Event::milestone_updated(scope, &before, &updated);
    record(&txn, caller.actor(), event).await?;
    if reassigned {
        let note = "staff owner reassigned".to_owned();
        write_transition(
            &txn,
            caller,
            scope,
            &updated,
            "owner_reassigned",
            before.stage,
            Stage::ReverseShadowing,
            Some(note),
            now,
        )
        .await?;
    }
    txn.commit().await?;
    view(&state.db, &access, caller, updated).await
}

#[allow(clippy::too_many_arguments)]
async fn write_transition(
    db: &impl ConnectionTrait,
    caller: &Caller,
    scope: Scope,
    m: &milestone::Model,
    action: &str,
    from: Stage,
    to: Stage,
    note: Option<String>,
    at: chrono::DateTime<Utc>,
) -> Result<(), ApiError> {
    milestones::insert_transition(
        db,
        milestone_transition::Model {
            id: Uuid::now_v7(),
            milestone_id: m.id,
            action: action.to_owned(),
            from_stage: from,
            to_stage: to,
            note: note.clone(),
            actor_user_id: caller.user_id(),
            occurred_at: at,
        },
    )
    .await?;
    let event = Event::milestone_stage_changed(scope, m.id, action, from, to, note.as_deref());
    Ok(record(db, caller.actor(), event).await?)
}

pub async fn delete(
    state: &AppState,
    caller: &Caller,
    project_id: Uuid,
    milestone_id: Uuid,
    if_match: Option<&str>,
) -> Result<(), ApiError> {
    let (access, milestone) = load(&state.db, caller, project_id, milestone_id).await?;
    access.require(
        access.can_manage(),
        "Only staff leads and organisation admins may delete a milestone.",
    )?;
    check_if_match(if_match, milestone.version)?;
    let txn = state.db.begin().await?;
    if !milestones::delete_if_version(&txn, milestone.id, milestone.version).await? {
        return Err(ApiError::PreconditionFailed);
    }
    let event = Event::milestone_deleted(Scope::project(&access.project), &milestone);
    record(&txn, caller.actor(), event).await?;
    txn.commit().await?;
    Ok(())
}

/// Moves a milestone along the ladder. Wrong caller → 403; wrong stage or unmet precondition →
/// 409 listing the allowed actions and what is missing. The move is a conditional update on
/// the current stage, so of two concurrent identical transitions exactly one succeeds.
pub async fn transition(
    state: &AppState,
    caller: &Caller,
    project_id: Uuid,
    milestone_id: Uuid,
    input: TransitionRequest,
) -> Result<Pending<MilestoneView>, ApiError> {
    let (access, milestone) = load(&state.db, caller, project_id, milestone_id).await?;
    let facts = caller_facts(&access, caller, &milestone);
    let action = input.action;
    if !ladder::permits(action, facts) {
        let detail = match action {
            Action::Advance => "Only members of the project may advance a milestone.",
            Action::SignOff => "Only the milestone's staff owner may sign it off.",
            Action::Reject => "Only the staff owner or a staff lead may reject a sign-off request.",
            Action::Reopen => "Only a staff lead may reopen a handed-off milestone.",
        };
        return Err(ApiError::Forbidden {
            code: "transition_forbidden",
            detail: detail.into(),
        });
    }
    let note = text::optional("note", input.note.as_deref(), 2000)
        .map_err(|e| ApiError::Validation(vec![e]))?;
    if action.needs_note() && note.is_none() {
        return Err(ApiError::invalid(
            "note",
            format!("a reason is required to {}", action.as_str()),
        ));
    }

    if let Some(seen) = input.from
        && seen != milestone.stage
    {
        return Err(moved_meanwhile(seen, milestone.stage));
    }
    let txn = state.db.begin().await?;
    let evidence = evidence(&txn, &milestone).await?;
    let allowed = ladder::allowed_actions(milestone.stage, facts, evidence);
    let Some(to) = action.target(milestone.stage) else {
        return Err(ApiError::IllegalTransition {
            detail: format!(
                "`{}` is not possible from `{}`.",
                action.as_str(),
                milestone.stage.as_str()
            ),
            allowed_actions: allowed,
            unmet: Vec::new(),
        });
    };
    let missing = ladder::unmet(to, evidence);
    if !missing.is_empty() {
        return Err(ApiError::IllegalTransition {
            detail: format!("Entering `{}` needs: {}.", to.as_str(), missing.join(", ")),
            allowed_actions: allowed,
            unmet: missing,
        });
    }
    let now = Utc::now();
    let signer = if action == Action::SignOff {
        caller.user_id()
    } else {
        None
    };
    if !milestones::move_stage_if_at(&txn, milestone.id, milestone.stage, to, now, signer).await? {
        let now_at = milestones::find_in_project(&txn, project_id, milestone_id)
            .await?
            .map_or(milestone.stage, |m| m.stage);
        return Err(moved_meanwhile(milestone.stage, now_at));
    }
    let scope = Scope::project(&access.project);
    write_transition(
        &txn,
        caller,
        scope,
        &milestone,
        action.as_str(),
        milestone.stage,
        to,
        note,
        now,
    )
    .await?;
    if action == Action::SignOff {
        let event = Event::milestone_signed_off(scope, milestone.id, caller.user_id());
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
