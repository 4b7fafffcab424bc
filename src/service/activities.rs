//! The activity ledger: hours each member spends, logged by the member themselves.

use chrono::NaiveDate;
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::{
    AppState,
    access::{Work, Worker, project_access},
    auth::Caller,
    idempotency::Pending,
};
use crate::{
    domain::{
        Checks, FieldError, ItemStatus, ProjectRole,
        activity::Entry,
        limits,
        query::{ActivityFilter, PageRequest},
    },
    entity::{activity, project},
    error::ApiError,
    events::{Event, record},
    repo::{
        activities::{self, Attribution},
        milestones, project_members,
    },
};

/// Whose time an entry is, and on which side: a person logs their own; a write key names the
/// active member it is for.
async fn whose_time(
    db: &impl ConnectionTrait,
    caller: &Caller,
    access: &Worker,
    named: Option<Uuid>,
) -> Result<(Uuid, ProjectRole), ApiError> {
    match caller {
        Caller::User(user) => {
            if named.is_some_and(|id| id != user.id) {
                return Err(ApiError::invalid(
                    "user_id",
                    "people log their own time; only API keys log it for a member",
                ));
            }
            let party = access
                .role
                .ok_or_else(|| ApiError::internal("a person granted Work has a role"))?;
            Ok((user.id, party))
        }
        Caller::Key(_) => {
            let member = named.ok_or_else(|| {
                ApiError::invalid(
                    "user_id",
                    "required when an API key logs time: the member it is for",
                )
            })?;
            let found = project_members::find_active(db, access.project.id, member).await?;
            // The party is the member's side, whoever writes the entry.
            let (participation, _) = found.ok_or_else(|| {
                ApiError::invalid("user_id", "must be an active member of this project")
            })?;
            Ok((member, participation.role))
        }
    }
}

/// The day is neither in the future nor before the project started, and the milestone is the
/// project's (one 422 naming each field that is not).
async fn check_context(
    db: &impl ConnectionTrait,
    project: &project::Model,
    entry: &Entry,
    today: NaiveDate,
) -> Result<(), ApiError> {
    let mut checks = Checks::default();
    let day = entry.occurred_on;
    // One day of slack, so that every time zone can log its own today (DESIGN.md, Activity).
    let latest = today.succ_opt().unwrap_or(today);
    checks.require(
        day <= latest,
        "occurred_on",
        "must be at most one day after today (UTC)",
    );
    if let Some(start) = project.start_date
        && day < start
    {
        let message = format!("must not be before the project's start date ({start})");
        checks.add(FieldError::new("occurred_on", message));
    }
    if let Some(milestone_id) = entry.milestone_id {
        let found = milestones::find_in_project(db, project.id, milestone_id).await?;
        let field = "milestone_id";
        checks.require(
            found.is_some(),
            field,
            "must be a milestone of this project",
        );
    }
    Ok(checks.finish(())?)
}

fn log_denied(caller: &Caller) -> &'static str {
    match caller {
        Caller::User(_) => "Only members of the project log time on it, each for themselves.",
        Caller::Key(_) => "A read-only API key cannot log time.",
    }
}

pub async fn log(
    state: &AppState,
    caller: &Caller,
    project_id: Uuid,
    entry: Entry,
) -> Result<Pending<activity::Model>, ApiError> {
    let txn = super::begin_write(&state.db).await?;
    let access = project_access(&txn, caller, project_id)
        .await?
        .grant::<Work>(log_denied(caller))?;
    let logged = insert(&txn, caller, &access, entry).await?;
    Ok(Pending::new(txn, logged))
}

/// Logs `entry` with every rule of the ledger, and its event.
async fn insert(
    db: &impl ConnectionTrait,
    caller: &Caller,
    access: &Worker,
    entry: Entry,
) -> Result<activity::Model, ApiError> {
    let project_id = access.project.id;
    let (user_id, party) = whose_time(db, caller, access, entry.user_id).await?;
    check_context(db, &access.project, &entry, caller.today()).await?;
    // A day has 24 hours: per member, project and day (under the project's lock, so two entries
    // sent together cannot both pass).
    crate::repo::projects::lock_for_update(db, project_id).await?;
    let day = entry.occurred_on;
    let that_day = activities::quarter_hours_on(db, project_id, user_id, day).await?;
    if that_day + i64::from(entry.quarter_hours) > limits::QUARTER_HOURS_PER_DAY {
        let logged = that_day as f64 / 4.0;
        let message = format!("{logged} hours are logged for {day} already; a day has 24");
        return Err(ApiError::invalid("hours", message));
    }
    let whose = Attribution {
        project_id,
        user_id,
        party,
        logged_by: caller.user_id(),
    };
    let logged = activities::insert(db, whose, entry, caller.now())
        .await
        .map_err(|e| super::external_id_taken("activity of this project", e))?;
    let event = Event::activity_logged(access.scope(), &logged);
    record(db, caller.actor(), event).await?;
    Ok(logged)
}

/// A vendor's sync of time entries: each item is logged unless the project already has the
/// entry under its external id. Entries are never edited, so an item that names a logged
/// entry with other values fails with 409 (delete the entry and log it again). Each item runs
/// with the rules of its own request ([`super::each_item`]), all in one transaction.
pub async fn sync(
    state: &AppState,
    caller: &Caller,
    project_id: Uuid,
    items: Vec<Entry>,
) -> Result<Pending<Vec<Result<(ItemStatus, activity::Model), ApiError>>>, ApiError> {
    let txn = super::begin_write(&state.db).await?;
    let access = project_access(&txn, caller, project_id)
        .await?
        .grant::<Work>(log_denied(caller))?;
    crate::repo::projects::lock_for_update(&txn, project_id).await?;
    let results = super::each_item(&txn, items, async |db, entry| {
        let key = (
            entry.external_source.as_deref().unwrap_or_default(),
            entry.external_id.as_deref().unwrap_or_default(),
        );
        let Some(logged) = activities::find_by_external(db, project_id, key).await? else {
            return Ok((
                ItemStatus::Created,
                insert(db, caller, &access, entry).await?,
            ));
        };
        let (user_id, _) = whose_time(db, caller, &access, entry.user_id).await?;
        let same = (
            logged.user_id,
            logged.occurred_on,
            logged.quarter_hours,
            logged.kind,
            logged.milestone_id,
            logged.note.as_deref(),
        ) == (
            user_id,
            entry.occurred_on,
            entry.quarter_hours,
            entry.kind,
            entry.milestone_id,
            entry.note.as_deref(),
        );
        if !same {
            return Err(ApiError::conflict(
                "external_id_taken",
                "An entry with this external_source and external_id was logged with other \
                 values; entries are never edited: delete it and log the corrected one.",
            ));
        }
        Ok((ItemStatus::Unchanged, logged))
    })
    .await?;
    Ok(Pending::new(txn, results))
}

pub async fn list(
    state: &AppState,
    caller: &Caller,
    project_id: Uuid,
    filter: ActivityFilter,
    page: PageRequest,
) -> Result<(Vec<activity::Model>, bool), ApiError> {
    project_access(&state.db, caller, project_id).await?;
    Ok(activities::list(&state.db, project_id, filter, page).await?)
}

/// Deletes an activity: its author, or a staff lead.
pub async fn delete(
    state: &AppState,
    caller: &Caller,
    project_id: Uuid,
    activity_id: Uuid,
) -> Result<(), ApiError> {
    let txn = super::begin_write(&state.db).await?;
    let access = project_access(&txn, caller, project_id).await?;
    // The ledger's running totals change under the project's lock, as when logging; taken
    // before the entry is read, so two deletions of one entry cannot both count.
    crate::repo::projects::lock_for_update(&txn, project_id).await?;
    let existing = activities::find_in_project(&txn, project_id, activity_id)
        .await?
        .ok_or_else(|| {
            ApiError::not_found("activity_not_found", "No such activity in this project.")
        })?;
    let is_author = access.role.is_some() && caller.user_id() == Some(existing.user_id);
    access.require(
        is_author || access.is_staff_lead(),
        "Only the author or a staff lead may delete an activity.",
    )?;
    activities::delete(&txn, &existing).await?;
    record(
        &txn,
        caller.actor(),
        Event::activity_deleted(access.scope(), &existing),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
