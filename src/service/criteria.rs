//! Acceptance criteria: any member edits the text, only staff mark one done.

use chrono::Utc;
use sea_orm::{ColumnTrait, Condition, TransactionTrait};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    AppState,
    auth::Caller,
    idempotency::Pending,
    milestones::{criterion_text, load},
    within_limit,
};
use crate::{
    domain::{ProjectRole, limits},
    entity::criterion,
    error::ApiError,
    events::{Event, Scope, record},
    repo::{milestones, projects},
};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCriterion {
    #[schema(example = "Invoices for 50 members generated and checked")]
    pub text: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCriterion {
    pub text: Option<String>,
    /// Only staff may set this; `done_by` and `done_at` are recorded.
    pub done: Option<bool>,
}

fn not_found() -> ApiError {
    ApiError::not_found(
        "criterion_not_found",
        "No such acceptance criterion on this milestone.",
    )
}

pub async fn create(
    state: &AppState,
    caller: &Caller,
    project_id: Uuid,
    milestone_id: Uuid,
    input: CreateCriterion,
) -> Result<Pending<criterion::Model>, ApiError> {
    let (access, milestone) = load(&state.db, caller, project_id, milestone_id).await?;
    access.require(
        access.can_work(),
        "Only members of the project may add acceptance criteria.",
    )?;
    let text = criterion_text("text", &input.text).map_err(|e| ApiError::Validation(vec![e]))?;
    let txn = state.db.begin().await?;
    projects::lock_for_update(&txn, project_id).await?;
    within_limit::<criterion::Entity>(
        &txn,
        limits::CRITERIA_PER_MILESTONE,
        Condition::all().add(criterion::Column::MilestoneId.eq(milestone.id)),
    )
    .await?;
    let created = milestones::insert_criterion(&txn, milestone.id, text).await?;
    record(
        &txn,
        caller.actor(),
        Event::criterion_added(Scope::project(&access.project), &created),
    )
    .await?;
    Ok(Pending::new(txn, created))
}

pub async fn get(
    state: &AppState,
    caller: &Caller,
    project_id: Uuid,
    milestone_id: Uuid,
    criterion_id: Uuid,
) -> Result<criterion::Model, ApiError> {
    let (_, milestone) = load(&state.db, caller, project_id, milestone_id).await?;
    milestones::find_criterion(&state.db, milestone.id, criterion_id)
        .await?
        .ok_or_else(not_found)
}

pub async fn update(
    state: &AppState,
    caller: &Caller,
    project_id: Uuid,
    milestone_id: Uuid,
    criterion_id: Uuid,
    input: UpdateCriterion,
) -> Result<criterion::Model, ApiError> {
    let (access, milestone) = load(&state.db, caller, project_id, milestone_id).await?;
    access.require(
        access.can_work(),
        "Only members of the project may edit acceptance criteria.",
    )?;
    if input.done.is_some() {
        access.require(
            access.role == Some(ProjectRole::Staff),
            "Only staff may mark an acceptance criterion done: the organisation decides it is met.",
        )?;
    }
    let txn = state.db.begin().await?;
    let before = milestones::find_criterion(&txn, milestone.id, criterion_id)
        .await?
        .ok_or_else(not_found)?;
    let mut after = before.clone();
    if let Some(text) = &input.text {
        after.text = criterion_text("text", text).map_err(|e| ApiError::Validation(vec![e]))?;
    }
    if let Some(done) = input.done
        && done != before.done
    {
        after.done = done;
        after.done_by = if done { caller.user_id() } else { None };
        after.done_at = done.then(Utc::now);
    }
    if after == before {
        return Ok(before);
    }
    let updated = milestones::update_criterion(&txn, after).await?;
    record(
        &txn,
        caller.actor(),
        Event::criterion_updated(Scope::project(&access.project), &before, &updated),
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

pub async fn delete(
    state: &AppState,
    caller: &Caller,
    project_id: Uuid,
    milestone_id: Uuid,
    criterion_id: Uuid,
) -> Result<(), ApiError> {
    let (access, milestone) = load(&state.db, caller, project_id, milestone_id).await?;
    access.require(
        access.can_manage(),
        "Only staff leads and organisation admins may delete acceptance criteria.",
    )?;
    let txn = state.db.begin().await?;
    let existing = milestones::find_criterion(&txn, milestone.id, criterion_id)
        .await?
        .ok_or_else(not_found)?;
    milestones::delete_criterion(&txn, existing.id).await?;
    record(
        &txn,
        caller.actor(),
        Event::criterion_deleted(Scope::project(&access.project), &existing),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
