//! What clients send to the activity ledger, and how it becomes a command.

use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::{
    ActivityKind, Checks, FieldError,
    activity::{Entry, quarter_hours},
    text::{EXTERNAL_ID, EXTERNAL_SOURCE, NOTE, optional_text},
};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LogActivity {
    /// At most one day after today (UTC), so every time zone can log its own today; not before
    /// the project's `start_date`.
    #[serde(deserialize_with = "crate::domain::day::required")]
    #[schema(example = "2026-12-02")]
    pub occurred_on: NaiveDate,
    /// 0.25 to 24, in quarter hours.
    #[schema(example = 1.5, minimum = 0.25, maximum = 24, multiple_of = 0.25)]
    pub hours: f64,
    pub kind: ActivityKind,
    /// A milestone of the same project.
    #[schema(example = "0193a5b2-7c1e-7d2a-9f10-2b3c4d5e6f72")]
    pub milestone_id: Option<Uuid>,
    #[schema(example = "Ran the December invoices with Carol watching.")]
    pub note: Option<String>,
    /// Only for API keys with `write` scope: the active member the time is logged for. People
    /// log their own time and leave it out.
    #[schema(example = "0193a5b2-7c1e-7d2a-9f10-2b3c4d5e6f70")]
    pub user_id: Option<Uuid>,
    /// A vendor's id for this entry: with `external_source`, unique within the project (409
    /// `external_id_taken`), so a sync can be retried at any time without double-counting.
    #[schema(example = "TE-20931")]
    pub external_id: Option<String>,
    #[schema(example = "acme-ams")]
    pub external_source: Option<String>,
}

impl TryFrom<LogActivity> for Entry {
    type Error = Vec<FieldError>;

    fn try_from(b: LogActivity) -> Result<Self, Self::Error> {
        let mut checks = Checks::default();
        let entry = Entry {
            quarter_hours: checks.take(quarter_hours(b.hours)),
            note: checks.take(optional_text(NOTE, b.note.as_deref())),
            occurred_on: b.occurred_on,
            kind: b.kind,
            milestone_id: b.milestone_id,
            user_id: b.user_id,
            external_id: checks.take(optional_text(EXTERNAL_ID, b.external_id.as_deref())),
            external_source: checks
                .take(optional_text(EXTERNAL_SOURCE, b.external_source.as_deref())),
        };
        checks.finish(entry)
    }
}

/// A vendor's time entries, each logged unless the project has it already under its external id.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SyncActivities {
    /// 1 to 100 entries, each with `external_source` and `external_id`, answered in the same
    /// position.
    #[schema(min_items = 1, max_items = 100, example = json!([
        {"external_source": "acme-ams", "external_id": "TE-20931", "occurred_on": "2026-12-02", "hours": 1.5, "kind": "execution", "user_id": "0193a5b2-7c1e-7d2a-9f10-2b3c4d5e6f70"},
        {"external_source": "acme-ams", "external_id": "TE-20932", "occurred_on": "2026-12-02", "hours": 0.5, "kind": "shadowing", "user_id": "0193a5b2-7c1e-7d2a-9f10-2b3c4d5e6f71"}
    ]))]
    pub items: Vec<LogActivity>,
}

/// One entry of a sync: as logged alone, and keyed by its external id.
pub fn synced_entry(b: LogActivity) -> Result<Entry, Vec<FieldError>> {
    let entry = Entry::try_from(b)?;
    let mut checks = Checks::default();
    let message = "required in a sync: the entry's key";
    checks.require(entry.external_source.is_some(), "external_source", message);
    checks.require(entry.external_id.is_some(), "external_id", message);
    checks.finish(entry)
}
