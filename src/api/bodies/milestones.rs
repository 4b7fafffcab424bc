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
    #[schema(example = "Generate, check and send the monthly dues invoices in the new AMS.")]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "crate::domain::day::optional")]
    #[schema(example = "2027-03-31")]
    pub due_date: Option<NaiveDate>,
    /// An active staff member of the project: the person who will own this knowledge. Who
    /// owns knowledge is the organisation's decision: only staff or a write key may set it
    /// (403 for a consultant).
    #[schema(example = "0193a5b2-7c1e-7d2a-9f10-2b3c4d5e6f70")]
    pub staff_owner_id: Option<Uuid>,
    /// An active consultant of the project.
    #[schema(example = "0193a5b2-7c1e-7d2a-9f10-2b3c4d5e6f71")]
    pub consultant_id: Option<Uuid>,
    /// Checklist lines to create with the milestone.
    #[serde(default)]
    #[schema(example = json!(["Invoices for 50 members generated and checked"]))]
    pub acceptance_criteria: Vec<String>,
    #[schema(example = "MS-118")]
    pub external_id: Option<String>,
    #[schema(example = "acme-ams")]
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

/// A vendor's milestones, to create or bring up to date by their external ids.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SyncMilestones {
    /// 1 to 100 items, each answered in the same position.
    #[schema(min_items = 1, max_items = 100, example = json!([
        {"external_source": "acme-ams", "external_id": "MS-118", "title": "Run the monthly dues invoicing", "knowledge_area": "dues invoicing", "due_date": "2027-03-31"},
        {"external_source": "acme-ams", "external_id": "MS-119", "title": "Publish the event calendar", "knowledge_area": "events"}
    ]))]
    pub items: Vec<SyncMilestone>,
}

/// One milestone as the vendor has it. Absent optional fields are left as they are on an
/// existing milestone; `null` clears them.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SyncMilestone {
    /// With `external_id`, the vendor's key for the milestone within the project.
    #[schema(example = "acme-ams")]
    pub external_source: String,
    #[schema(example = "MS-118")]
    pub external_id: String,
    #[schema(example = "Run the monthly dues invoicing")]
    pub title: String,
    #[schema(example = "dues invoicing")]
    pub knowledge_area: String,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, example = "Generate, check and send the monthly dues invoices.")]
    pub description: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::domain::day::nullable")]
    #[schema(value_type = Option<NaiveDate>, example = "2027-03-31")]
    pub due_date: Option<Option<NaiveDate>>,
    /// Only staff or a write key may set, change or clear it (the item fails with 403 for a
    /// consultant).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Uuid>, example = "0193a5b2-7c1e-7d2a-9f10-2b3c4d5e6f70")]
    pub staff_owner_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Uuid>, example = "0193a5b2-7c1e-7d2a-9f10-2b3c4d5e6f71")]
    pub consultant_id: Option<Option<Uuid>>,
    /// Checklist lines, used only when the item creates the milestone (criteria have their
    /// own operations afterwards).
    #[serde(default)]
    #[schema(example = json!(["Invoices for 50 members generated and checked"]))]
    pub acceptance_criteria: Vec<String>,
}

impl TryFrom<SyncMilestone> for m::Upsert {
    type Error = Vec<FieldError>;

    fn try_from(b: SyncMilestone) -> Result<Self, Self::Error> {
        let present = (
            b.description.is_some(),
            b.due_date.is_some(),
            b.staff_owner_id.is_some(),
            b.consultant_id.is_some(),
        );
        let new = NewMilestone::try_from(CreateMilestone {
            title: b.title,
            knowledge_area: b.knowledge_area,
            description: b.description.flatten(),
            due_date: b.due_date.flatten(),
            staff_owner_id: b.staff_owner_id.flatten(),
            consultant_id: b.consultant_id.flatten(),
            acceptance_criteria: b.acceptance_criteria,
            external_id: Some(b.external_id),
            external_source: Some(b.external_source),
        });
        let new = new?;
        let mut checks = Checks::default();
        checks.require(
            new.external_source.is_some(),
            "external_source",
            "must not be empty",
        );
        checks.require(
            new.external_id.is_some(),
            "external_id",
            "must not be empty",
        );
        checks.finish(())?;
        let patch = MilestonePatch {
            title: Some(new.title.clone()),
            knowledge_area: Some(new.knowledge_area.clone()),
            description: present.0.then(|| new.description.clone()),
            due_date: present.1.then_some(new.due_date),
            staff_owner_id: present.2.then_some(new.staff_owner_id),
            consultant_id: present.3.then_some(new.consultant_id),
            external_id: None,
            external_source: None,
        };
        Ok(m::Upsert { new, patch })
    }
}

/// `null` clears an optional field; `stage` and sign-off fields are never writable.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct UpdateMilestone {
    #[schema(example = "Run the quarterly dues invoicing")]
    pub title: Option<String>,
    #[schema(example = "dues invoicing")]
    pub knowledge_area: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(example = "Quarterly now: the board changed the billing cycle.", value_type = Option<String>)]
    pub description: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::domain::day::nullable")]
    #[schema(example = "2027-04-30", value_type = Option<NaiveDate>)]
    pub due_date: Option<Option<NaiveDate>>,
    /// Reassigning the owner of a milestone in `ready_for_signoff` sends it back to
    /// `reverse_shadowing`: the new owner has not done it yet. Only staff or a write key may
    /// set, change or clear it (403 for a consultant; sending the current owner is no change).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(example = "0193a5b2-7c1e-7d2a-9f10-2b3c4d5e6f70", value_type = Option<Uuid>)]
    pub staff_owner_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(example = "0193a5b2-7c1e-7d2a-9f10-2b3c4d5e6f71", value_type = Option<Uuid>)]
    pub consultant_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(example = "MS-118", value_type = Option<String>)]
    pub external_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(example = "acme-ams", value_type = Option<String>)]
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
    #[schema(example = "The invoice run needs a second pass on group members.")]
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
    #[schema(example = "Invoices for 60 members generated and checked")]
    pub text: Option<String>,
    /// Only staff may set this; `done_by` and `done_at` are recorded.
    #[schema(example = true)]
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
