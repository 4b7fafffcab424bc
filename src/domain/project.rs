//! What a client may ask of a project, once parsed. Built at the edge from the request bodies.

use chrono::NaiveDate;
use uuid::Uuid;

use super::{Checks, ProjectStatus};

/// A new project. `lead_user_id` is for API keys, which name the member who leads it.
#[derive(Debug, Clone, Default)]
pub struct NewProject {
    pub name: String,
    pub description: Option<String>,
    pub system_name: Option<String>,
    pub status: ProjectStatus,
    pub start_date: Option<NaiveDate>,
    pub go_live_date: Option<NaiveDate>,
    pub consultant_exit_date: Option<NaiveDate>,
    pub external_id: Option<String>,
    pub external_source: Option<String>,
    pub lead_user_id: Option<Uuid>,
}

/// A partial update: `None` leaves a field alone; `Some(None)` clears an optional one.
#[derive(Debug, Clone, Default)]
pub struct ProjectPatch {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
    pub system_name: Option<Option<String>>,
    pub status: Option<ProjectStatus>,
    pub start_date: Option<Option<NaiveDate>>,
    pub go_live_date: Option<Option<NaiveDate>>,
    pub consultant_exit_date: Option<Option<NaiveDate>>,
    pub external_id: Option<Option<String>>,
    pub external_source: Option<Option<String>>,
}

/// Go-live and the consultants' exit cannot come before the start.
pub fn check_dates(
    checks: &mut Checks,
    start: Option<NaiveDate>,
    go_live: Option<NaiveDate>,
    consultant_exit: Option<NaiveDate>,
) {
    let Some(start) = start else { return };
    for (field, date) in [
        ("go_live_date", go_live),
        ("consultant_exit_date", consultant_exit),
    ] {
        checks.require(
            date.is_none_or(|d| d >= start),
            field,
            "must not be before start_date",
        );
    }
}
