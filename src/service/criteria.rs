//! Acceptance criteria: any member edits the text, only staff mark one done.

use sea_orm::{ColumnTrait, Condition};
use uuid::Uuid;

use super::{
    AppState,
    access::{Manage, Staff, Work},
    auth::Caller,
    idempotency::Pending,
    milestones::load,
    within_limit,
};
use crate::{
    domain::{limits, milestone::CriterionPatch},
    entity::criterion,
    error::ApiError,
    events::{Event, record},
    repo::{milestones, projects},
};

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
    text: String,
) -> Result<Pending<criterion::Model>, ApiError> {
    let txn = super::begin_write(&state.db).await?;
    let (access, milestone) = load(&txn, caller, project_id, milestone_id).await?;
    let access =
        access.grant::<Work>("Only members of the project may add acceptance criteria.")?;
    projects::lock_for_update(&txn, project_id).await?;
    within_limit::<criterion::Entity>(
        &txn,
        limits::CRITERIA_PER_MILESTONE,
        Condition::all().add(criterion::Column::MilestoneId.eq(milestone.id)),
    )
    .await?;
    let created = milestones::insert_criterion(&txn, milestone.id, text, caller.now()).await?;
    record(
        &txn,
        caller.actor(),
        Event::criterion_added(access.scope(), &created),
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
    patch: CriterionPatch,
) -> Result<criterion::Model, ApiError> {
    let txn = super::begin_write(&state.db).await?;
    let (access, milestone) = load(&txn, caller, project_id, milestone_id).await?;
    let access =
        access.grant::<Work>("Only members of the project may edit acceptance criteria.")?;
    if patch.done.is_some() {
        access.check::<Staff>(
            "Only staff may mark an acceptance criterion done: the organisation decides it is met.",
        )?;
    }
    let before = milestones::find_criterion(&txn, milestone.id, criterion_id)
        .await?
        .ok_or_else(not_found)?;
    let mut after = before.clone();
    if let Some(text) = patch.text {
        after.text = text;
    }
    if let Some(done) = patch.done
        && done != before.done
    {
        after.done = done;
        after.done_by = if done { caller.user_id() } else { None };
        after.done_at = done.then(|| caller.now());
    }
    if after == before {
        return Ok(before);
    }
    let updated = milestones::update_criterion(&txn, after).await?;
    record(
        &txn,
        caller.actor(),
        Event::criterion_updated(access.scope(), &before, &updated),
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
    let txn = super::begin_write(&state.db).await?;
    let (access, milestone) = load(&txn, caller, project_id, milestone_id).await?;
    let access = access.grant::<Manage>(
        "Only staff leads and organisation admins may delete acceptance criteria.",
    )?;
    let existing = milestones::find_criterion(&txn, milestone.id, criterion_id)
        .await?
        .ok_or_else(not_found)?;
    milestones::delete_criterion(&txn, existing.id).await?;
    record(
        &txn,
        caller.actor(),
        Event::criterion_deleted(access.scope(), &existing),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
