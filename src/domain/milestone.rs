//! What a client may ask of a milestone, once parsed: every text is trimmed and within its
//! bounds. Built at the edge from the request bodies; services receive only these.

use chrono::NaiveDate;
use uuid::Uuid;

use super::{
    Action, Checks, FieldError, Stage, limits,
    text::{self, NOTE, optional_text},
};

/// The most characters of a knowledge area.
pub const KNOWLEDGE_AREA_MAX: usize = 100;
/// The most characters of an acceptance criterion.
pub const CRITERION_MAX: usize = 500;

/// Knowledge areas group milestones: compared as written, so keep them short and consistent.
pub fn knowledge_area(raw: &str) -> Result<String, FieldError> {
    text::required("knowledge_area", raw, KNOWLEDGE_AREA_MAX)
}

/// One acceptance criterion's text.
pub fn criterion_text(field: &str, raw: &str) -> Result<String, FieldError> {
    text::at_most(field, raw, CRITERION_MAX)?;
    let value = raw.trim();
    if value.is_empty() {
        return Err(FieldError::new(field, "must not be empty"));
    }
    Ok(value.to_owned())
}

/// The checklist a milestone is created with: at most [`limits::CRITERIA_PER_MILESTONE`].
pub fn criteria(checks: &mut Checks, lines: &[String]) -> Vec<String> {
    let most = limits::CRITERIA_PER_MILESTONE.max;
    if lines.len() as u64 > most {
        checks.add(FieldError::new(
            "acceptance_criteria",
            format!("at most {most} criteria per milestone"),
        ));
    }
    lines
        .iter()
        .enumerate()
        .filter_map(|(i, line)| {
            let field = format!("acceptance_criteria[{i}]");
            criterion_text(&field, line).map_err(|e| checks.add(e)).ok()
        })
        .collect()
}

/// A new milestone. `staff_owner_id` and `consultant_id` are checked against the project's
/// participants by the service, which alone can read them.
#[derive(Debug, Clone, Default)]
pub struct NewMilestone {
    pub title: String,
    pub knowledge_area: String,
    pub description: Option<String>,
    pub due_date: Option<NaiveDate>,
    pub staff_owner_id: Option<Uuid>,
    pub consultant_id: Option<Uuid>,
    pub criteria: Vec<String>,
    pub external_id: Option<String>,
    pub external_source: Option<String>,
}

/// A partial update: `None` leaves a field alone; `Some(None)` clears an optional one.
#[derive(Debug, Clone, Default)]
pub struct MilestonePatch {
    pub title: Option<String>,
    pub knowledge_area: Option<String>,
    pub description: Option<Option<String>>,
    pub due_date: Option<Option<NaiveDate>>,
    pub staff_owner_id: Option<Option<Uuid>>,
    pub consultant_id: Option<Option<Uuid>>,
    pub external_id: Option<Option<String>>,
    pub external_source: Option<Option<String>>,
}

/// One item of a vendor's sync: the milestone it keeps under `(external_source, external_id)`
/// (both in `new`). Created as `new` when the project has none under that id; otherwise `patch`
/// is applied to it, and nothing happens when that changes nothing.
#[derive(Debug, Clone)]
pub struct Upsert {
    pub new: NewMilestone,
    pub patch: MilestonePatch,
}

impl Upsert {
    /// The vendor's key: `(external_source, external_id)`.
    pub fn key(&self) -> (&str, &str) {
        (
            self.new.external_source.as_deref().unwrap_or_default(),
            self.new.external_id.as_deref().unwrap_or_default(),
        )
    }
}

/// A move along the ladder.
#[derive(Debug, Clone)]
pub struct Move {
    pub action: Action,
    /// The reason; required for `reject` and `reopen`.
    pub note: Option<String>,
    /// The stage the client saw, if it said.
    pub from: Option<Stage>,
}

impl Move {
    pub fn parse(
        action: Action,
        note: Option<&str>,
        from: Option<Stage>,
    ) -> Result<Self, FieldError> {
        let note = optional_text(NOTE, note)?;
        if action.needs_note() && note.is_none() {
            return Err(FieldError::new(
                "note",
                format!("a reason is required to {}", action.as_str()),
            ));
        }
        Ok(Move { action, note, from })
    }
}

/// A change to one acceptance criterion.
#[derive(Debug, Clone, Default)]
pub struct CriterionPatch {
    pub text: Option<String>,
    /// Marking done is the organisation's call: staff only (checked by the service).
    pub done: Option<bool>,
}
