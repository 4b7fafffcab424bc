//! Agreed actions, once parsed (DESIGN.md, "Agreed actions"): what the team agreed to do, by
//! whom, by when, and whom it waits on. Whether the people and the milestone named belong to
//! the project is checked by the service, which alone can read them.

use chrono::NaiveDate;
use sea_orm::{DeriveActiveEnum, EnumIter, sea_query::StringLen};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// Where an agreed action stands: `open` until its owner or a staff lead closes it as `done`
/// or `dropped` (and it may be opened again).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum ActionStatus {
    #[sea_orm(string_value = "open")]
    Open,
    #[sea_orm(string_value = "done")]
    Done,
    #[sea_orm(string_value = "dropped")]
    Dropped,
}

/// Someone outside the project an action can wait on.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum OutsideParty {
    /// The AMS vendor (or another supplier).
    #[sea_orm(string_value = "vendor")]
    Vendor,
    #[sea_orm(string_value = "other")]
    Other,
}

/// Whom an open action waits on: an active member of the project, or a named outside party.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WaitingOn {
    Member(Uuid),
    Outside { party: OutsideParty, name: String },
}

impl WaitingOn {
    /// The stored columns: `(waiting_user_id, waiting_party, waiting_name)`.
    pub fn columns(
        waiting: Option<&WaitingOn>,
    ) -> (Option<Uuid>, Option<OutsideParty>, Option<String>) {
        match waiting {
            None => (None, None, None),
            Some(WaitingOn::Member(user)) => (Some(*user), None, None),
            Some(WaitingOn::Outside { party, name }) => (None, Some(*party), Some(name.clone())),
        }
    }

    /// Back from the stored columns.
    pub fn from_columns(
        user: Option<Uuid>,
        party: Option<OutsideParty>,
        name: Option<&str>,
    ) -> Option<WaitingOn> {
        match (user, party) {
            (Some(user), _) => Some(WaitingOn::Member(user)),
            (None, Some(party)) => Some(WaitingOn::Outside {
                party,
                name: name.unwrap_or_default().to_owned(),
            }),
            (None, None) => None,
        }
    }
}

/// A new agreed action.
#[derive(Debug, Clone)]
pub struct NewAction {
    pub title: String,
    pub owner_id: Uuid,
    pub due_date: Option<NaiveDate>,
    pub waiting_on: Option<WaitingOn>,
    pub milestone_id: Option<Uuid>,
    /// The day it was agreed (today when not given).
    pub agreed_on: Option<NaiveDate>,
    pub note: Option<String>,
}

/// A partial update: `None` leaves a field alone; `Some(None)` clears an optional one.
/// `status` closes (`done`, `dropped`) or reopens (`open`) the action: the owner or a staff lead.
#[derive(Debug, Clone, Default)]
pub struct ActionPatch {
    pub title: Option<String>,
    pub owner_id: Option<Uuid>,
    pub due_date: Option<Option<NaiveDate>>,
    pub waiting_on: Option<Option<WaitingOn>>,
    pub milestone_id: Option<Option<Uuid>>,
    pub agreed_on: Option<NaiveDate>,
    pub note: Option<Option<String>>,
    pub status: Option<ActionStatus>,
}

impl ActionPatch {
    /// Whether the patch changes anything but `status`.
    pub fn edits_fields(&self) -> bool {
        self.title.is_some()
            || self.owner_id.is_some()
            || self.due_date.is_some()
            || self.waiting_on.is_some()
            || self.milestone_id.is_some()
            || self.agreed_on.is_some()
            || self.note.is_some()
    }
}

/// Days an open action may wait on someone before each staff lead is asked to chase it.
pub const CHASE_AFTER_DAYS: i64 = 14;
