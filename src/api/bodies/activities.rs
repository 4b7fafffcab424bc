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
    /// A vendor's id for this entry: with `external_source`, unique within the project (409
    /// `external_id_taken`), so a sync can be retried at any time without double-counting.
    #[schema(example = "TE-20931", max_length = 200)]
    pub external_id: Option<String>,
    #[schema(example = "acme-ams", max_length = 100)]
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
