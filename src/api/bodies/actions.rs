//! What clients send about agreed actions, and how each becomes a command.

use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::nullable;
use crate::domain::{
    Checks, FieldError,
    action::{ActionPatch, ActionStatus, NewAction, OutsideParty, WaitingOn},
    text::{self, NOTE, optional_patch, optional_text},
};

/// Whom an action waits on: `{"user_id": …}` (an active member of the project) or
/// `{"party": "vendor" | "other", "name": …}` (someone outside it).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"party": "vendor", "name": "Acme AMS support"}))]
pub struct WaitingOnBody {
    #[schema(example = "0193a5b2-7c1e-7d2a-9f10-2b3c4d5e6f70")]
    pub user_id: Option<Uuid>,
    #[schema(example = "vendor")]
    pub party: Option<OutsideParty>,
    #[schema(example = "Acme AMS support")]
    pub name: Option<String>,
}

impl WaitingOnBody {
    fn parse(self, checks: &mut Checks) -> Option<WaitingOn> {
        const FIELD: &str = "waiting_on";
        match (self.user_id, self.party) {
            (Some(user), None) if self.name.is_none() => Some(WaitingOn::Member(user)),
            (None, Some(party)) => {
                let name = self.name.unwrap_or_default();
                let name = checks.take(text::name("waiting_on.name", &name));
                Some(WaitingOn::Outside { party, name })
            }
            _ => {
                checks.add(FieldError::new(
                    FIELD,
                    "must be {\"user_id\": …} or {\"party\": \"vendor\"|\"other\", \"name\": …}",
                ));
                None
            }
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAction {
    #[schema(example = "Send the vendor the dues-invoice template")]
    pub title: String,
    /// An active member of the project (staff or consultant) who will do it.
    #[schema(example = "0193a5b2-7c1e-7d2a-9f10-2b3c4d5e6f70")]
    pub owner_id: Uuid,
    #[serde(default, deserialize_with = "crate::domain::day::optional")]
    #[schema(example = "2027-01-15")]
    pub due_date: Option<NaiveDate>,
    /// Whom it waits on, if anyone ("we're waiting on X to provide Y").
    pub waiting_on: Option<WaitingOnBody>,
    /// A milestone of the same project it belongs to.
    #[schema(example = "0193a5b2-7c1e-7d2a-9f10-2b3c4d5e6f72")]
    pub milestone_id: Option<Uuid>,
    /// The day it was agreed (default today; not in the future).
    #[serde(default, deserialize_with = "crate::domain::day::optional")]
    #[schema(example = "2026-12-03")]
    pub agreed_on: Option<NaiveDate>,
    #[schema(example = "Agreed in the Thursday handoff meeting.")]
    pub note: Option<String>,
}

impl TryFrom<CreateAction> for NewAction {
    type Error = Vec<FieldError>;

    fn try_from(b: CreateAction) -> Result<Self, Self::Error> {
        let mut checks = Checks::default();
        let new = NewAction {
            title: checks.take(text::name("title", &b.title)),
            owner_id: b.owner_id,
            due_date: b.due_date,
            waiting_on: b.waiting_on.and_then(|w| w.parse(&mut checks)),
            milestone_id: b.milestone_id,
            agreed_on: b.agreed_on,
            note: checks.take(optional_text(NOTE, b.note.as_deref())),
        };
        checks.finish(new)
    }
}

/// `null` clears an optional field. `status` closes the action (`done`, `dropped`) or opens it
/// again (`open`): only its owner or a staff lead.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct UpdateAction {
    #[schema(example = "Send the vendor the revised dues-invoice template")]
    pub title: Option<String>,
    #[schema(example = "0193a5b2-7c1e-7d2a-9f10-2b3c4d5e6f70")]
    pub owner_id: Option<Uuid>,
    #[serde(default, deserialize_with = "crate::domain::day::nullable")]
    #[schema(example = "2027-01-22", value_type = Option<NaiveDate>)]
    pub due_date: Option<Option<NaiveDate>>,
    /// A new value starts a new wait (`waiting_since` = today); `null` waits on nobody.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<WaitingOnBody>)]
    pub waiting_on: Option<Option<WaitingOnBody>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Uuid>, example = "0193a5b2-7c1e-7d2a-9f10-2b3c4d5e6f72")]
    pub milestone_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "crate::domain::day::optional")]
    #[schema(example = "2026-12-03")]
    pub agreed_on: Option<NaiveDate>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(example = "The vendor asked for the group-member variant too.", value_type = Option<String>)]
    pub note: Option<Option<String>>,
    #[schema(example = "done")]
    pub status: Option<ActionStatus>,
}

impl TryFrom<UpdateAction> for ActionPatch {
    type Error = Vec<FieldError>;

    fn try_from(b: UpdateAction) -> Result<Self, Self::Error> {
        let mut checks = Checks::default();
        let patch = ActionPatch {
            title: checks.patch(b.title.map(|t| text::name("title", &t))),
            owner_id: b.owner_id,
            due_date: b.due_date,
            waiting_on: b.waiting_on.map(|w| w.and_then(|w| w.parse(&mut checks))),
            milestone_id: b.milestone_id,
            agreed_on: b.agreed_on,
            note: checks.patch(optional_patch(NOTE, b.note)),
            status: b.status,
        };
        checks.finish(patch)
    }
}
