//! The activity ledger: hours each member spends, logged by the member themselves.

use chrono::{NaiveDate, Utc};
use sea_orm::TransactionTrait;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{AppState, access::project_access, auth::Caller, idempotency::Pending};
use crate::{
    domain::{ActivityKind, KeyScope, text},
    entity::activity,
    error::{ApiError, FieldError},
    events::{Event, Scope, record},
    repo::{
        PageRequest,
        activities::{self, ActivityFilter, NewActivity},
        milestones, project_members,
    },
};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LogActivity {
    /// Not in the future, not before the project's `start_date`.
    #[serde(deserialize_with = "crate::domain::day::required")]
    pub occurred_on: NaiveDate,
    /// 0.25 to 24, in quarter hours.
    #[schema(example = 1.5, minimum = 0.25, maximum = 24, multiple_of = 0.25)]
    pub hours: f64,
    pub kind: ActivityKind,
    /// A milestone of the same project.
    pub milestone_id: Option<Uuid>,
    pub note: Option<String>,
    /// Only for API keys with `write` scope: the active member the time is logged for. People
    /// log their own time and leave it out.
    pub user_id: Option<Uuid>,
}

/// Hours as whole quarter hours: 0.25 to 24.
pub fn quarter_hours(hours: f64) -> Result<i32, FieldError> {
    let quarters = hours * 4.0;
    if !(0.25..=24.0).contains(&hours) || quarters.fract() != 0.0 {
        return Err(FieldError::new(
            "hours",
            "must be between 0.25 and 24 in quarter hours (e.g. 1.5)",
        ));
    }
    Ok(quarters as i32)
}

pub async fn log(
    state: &AppState,
    caller: &Caller,
    project_id: Uuid,
    input: LogActivity,
) -> Result<Pending<activity::Model>, ApiError> {
    let access = project_access(&state.db, caller, project_id).await?;
    let (user_id, party) = match caller {
        Caller::User(user) => {
            let Some(party) = access.role else {
                return Err(ApiError::Forbidden {
                    code: "forbidden",
                    detail: "Only members of the project log time on it, each for themselves."
                        .into(),
                });
            };
            if input.user_id.is_some_and(|id| id != user.id) {
                return Err(ApiError::invalid(
                    "user_id",
                    "people log their own time; only API keys log it for a member",
                ));
            }
            (user.id, party)
        }
        Caller::Key(key) => {
            access.require(
                key.scope == KeyScope::Write,
                "A read-only API key cannot log time.",
            )?;
            let Some(member) = input.user_id else {
                return Err(ApiError::invalid(
                    "user_id",
                    "required when an API key logs time: the member it is for",
                ));
            };
            let Some((participation, _)) =
                project_members::find_active(&state.db, project_id, member).await?
            else {
                return Err(ApiError::invalid(
                    "user_id",
                    "must be an active member of this project",
                ));
            };
            // The party is the member's side, whoever writes the entry.
            (member, participation.role)
        }
    };
    let mut errors = Vec::new();
    let quarter_hours = quarter_hours(input.hours).unwrap_or_else(|e| {
        errors.push(e);
        0
    });
    let today = Utc::now().date_naive();
    if input.occurred_on > today {
        errors.push(FieldError::new("occurred_on", "must not be in the future"));
    }
    if let Some(start) = access.project.start_date
        && input.occurred_on < start
    {
        errors.push(FieldError::new(
            "occurred_on",
            format!("must not be before the project's start date ({start})"),
        ));
    }
    let note = text::optional("note", input.note.as_deref(), 2000).unwrap_or_else(|e| {
        errors.push(e);
        None
    });
    if let Some(milestone_id) = input.milestone_id
        && milestones::find_in_project(&state.db, project_id, milestone_id)
            .await?
            .is_none()
    {
        errors.push(FieldError::new(
            "milestone_id",
            "must be a milestone of this project",
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let txn = state.db.begin().await?;
    // A day has 24 hours: per member, project and day (under the project's lock, so two entries
    // sent together cannot both pass).
    crate::repo::projects::lock_for_update(&txn, project_id).await?;
    let that_day =
        activities::quarter_hours_on(&txn, project_id, user_id, input.occurred_on).await?;
    if that_day + i64::from(quarter_hours) > crate::domain::limits::QUARTER_HOURS_PER_DAY {
        return Err(ApiError::invalid(
            "hours",
            format!(
                "{} hours are logged for {} already; a day has 24",
                that_day as f64 / 4.0,
                input.occurred_on
            ),
        ));
    }
    let logged = activities::insert(
        &txn,
        NewActivity {
            project_id,
            user_id,
            party,
            occurred_on: input.occurred_on,
            quarter_hours,
            kind: input.kind,
            milestone_id: input.milestone_id,
            note,
            logged_by: caller.user_id(),
        },
    )
    .await?;
    record(
        &txn,
        caller.actor(),
        Event::activity_logged(Scope::project(&access.project), &logged),
    )
    .await?;
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
    let access = project_access(&state.db, caller, project_id).await?;
    let existing = activities::find_in_project(&state.db, project_id, activity_id)
        .await?
        .ok_or_else(|| {
            ApiError::not_found("activity_not_found", "No such activity in this project.")
        })?;
    let is_author = access.role.is_some() && caller.user_id() == Some(existing.user_id);
    access.require(
        is_author || access.is_staff_lead(),
        "Only the author or a staff lead may delete an activity.",
    )?;
    let txn = state.db.begin().await?;
    activities::delete(&txn, existing.id).await?;
    record(
        &txn,
        caller.actor(),
        Event::activity_deleted(Scope::project(&access.project), &existing),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_are_a_quarter_to_24_in_quarter_hours() {
        assert_eq!(quarter_hours(0.25), Ok(1));
        assert_eq!(quarter_hours(24.0), Ok(96));
        assert_eq!(quarter_hours(1.5), Ok(6));
        for bad in [0.0, 24.25, 0.1, -1.0] {
            assert!(quarter_hours(bad).is_err(), "{bad}");
        }
    }
}
