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
        Checks, FieldError, ProjectRole,
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

pub async fn log(
    state: &AppState,
    caller: &Caller,
    project_id: Uuid,
    entry: Entry,
) -> Result<Pending<activity::Model>, ApiError> {
    let denied = match caller {
        Caller::User(_) => "Only members of the project log time on it, each for themselves.",
        Caller::Key(_) => "A read-only API key cannot log time.",
    };
    let txn = super::begin_write(&state.db).await?;
    let access = project_access(&txn, caller, project_id)
        .await?
        .grant::<Work>(denied)?;
    let (user_id, party) = whose_time(&txn, caller, &access, entry.user_id).await?;
    check_context(&txn, &access.project, &entry, caller.today()).await?;
    // A day has 24 hours: per member, project and day (under the project's lock, so two entries
    // sent together cannot both pass).
    crate::repo::projects::lock_for_update(&txn, project_id).await?;
    let day = entry.occurred_on;
    let that_day = activities::quarter_hours_on(&txn, project_id, user_id, day).await?;
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
    let logged = activities::insert(&txn, whose, entry, caller.now())
        .await
        .map_err(|e| super::external_id_taken("activity of this project", e))?;
    let event = Event::activity_logged(access.scope(), &logged);
    record(&txn, caller.actor(), event).await?;
    Ok(Pending::new(txn, logged))
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
    activities::delete(&txn, existing.id).await?;
    record(
        &txn,
        caller.actor(),
        Event::activity_deleted(access.scope(), &existing),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
