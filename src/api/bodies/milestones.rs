//! What clients send about milestones and their criteria, and how each becomes a command.

use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::nullable;
use crate::domain::{
    Action, Checks, FieldError, Stage,
    milestone::{self as m, MilestonePatch, Move, NewMilestone},
    text::{self, DESCRIPTION, EXTERNAL_ID, EXTERNAL_SOURCE, optional_patch, optional_text},
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
    /// An active staff member of the project: the person who will own this knowledge. Who
    /// owns knowledge is the organisation's decision: only staff or a write key may set it
    /// (403 for a consultant).
    pub staff_owner_id: Option<Uuid>,
    /// An active consultant of the project.
    pub consultant_id: Option<Uuid>,
    /// Checklist lines to create with the milestone.
    #[serde(default)]
    pub acceptance_criteria: Vec<String>,
    pub external_id: Option<String>,
    pub external_source: Option<String>,
}

impl TryFrom<CreateMilestone> for NewMilestone {
    type Error = Vec<FieldError>;

    fn try_from(b: CreateMilestone) -> Result<Self, Self::Error> {
        let mut checks = Checks::default();
        let new = NewMilestone {
            title: checks.take(text::name("title", &b.title)),
            knowledge_area: checks.take(m::knowledge_area(&b.knowledge_area)),
            description: checks.take(optional_text(DESCRIPTION, b.description.as_deref())),
            external_id: checks.take(optional_text(EXTERNAL_ID, b.external_id.as_deref())),
            external_source: checks
                .take(optional_text(EXTERNAL_SOURCE, b.external_source.as_deref())),
            criteria: m::criteria(&mut checks, &b.acceptance_criteria),
            due_date: b.due_date,
            staff_owner_id: b.staff_owner_id,
            consultant_id: b.consultant_id,
        };
        checks.finish(new)
    }
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
    /// `reverse_shadowing`: the new owner has not done it yet. Only staff or a write key may
    /// set, change or clear it (403 for a consultant; sending the current owner is no change).
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

impl TryFrom<UpdateMilestone> for MilestonePatch {
    type Error = Vec<FieldError>;

    fn try_from(b: UpdateMilestone) -> Result<Self, Self::Error> {
        let mut checks = Checks::default();
        let patch = MilestonePatch {
            title: checks.patch(b.title.map(|t| text::name("title", &t))),
            knowledge_area: checks.patch(b.knowledge_area.map(|a| m::knowledge_area(&a))),
            description: checks.patch(optional_patch(DESCRIPTION, b.description)),
            external_id: checks.patch(optional_patch(EXTERNAL_ID, b.external_id)),
            external_source: checks.patch(optional_patch(EXTERNAL_SOURCE, b.external_source)),
            due_date: b.due_date,
            staff_owner_id: b.staff_owner_id,
            consultant_id: b.consultant_id,
        };
        checks.finish(patch)
    }
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

impl TryFrom<TransitionRequest> for Move {
    type Error = Vec<FieldError>;

    fn try_from(b: TransitionRequest) -> Result<Self, Self::Error> {
        Move::parse(b.action, b.note.as_deref(), b.from).map_err(|e| vec![e])
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCriterion {
    #[schema(example = "Invoices for 50 members generated and checked")]
    pub text: String,
}

impl CreateCriterion {
    pub fn parse(self) -> Result<String, Vec<FieldError>> {
        m::criterion_text("text", &self.text).map_err(|e| vec![e])
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCriterion {
    pub text: Option<String>,
    /// Only staff may set this; `done_by` and `done_at` are recorded.
    pub done: Option<bool>,
}

impl TryFrom<UpdateCriterion> for m::CriterionPatch {
    type Error = Vec<FieldError>;

    fn try_from(b: UpdateCriterion) -> Result<Self, Self::Error> {
        let mut checks = Checks::default();
        let text = checks.patch(b.text.map(|t| m::criterion_text("text", &t)));
        checks.finish(m::CriterionPatch { text, done: b.done })
    }
}
