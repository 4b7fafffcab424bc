//! What a list request asks for, once parsed: a keyset page and each list's filters. The API
//! builds these from query strings, services pass them on, repositories turn them into SQL.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    ActivityKind, ProjectRole, ProjectStatus, Stage,
    action::{ActionStatus, OutsideParty},
};

/// A keyset page request: rows after `after` (by id, in `order`), at most `limit`.
#[derive(Debug, Clone, Copy)]
pub struct PageRequest<K = Uuid> {
    pub limit: u64,
    pub after: Option<K>,
    pub order: Order,
}

/// Which way a list runs: oldest first (the default, for syncing and polling) or newest first
/// (for a panel of recent activity).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Order {
    #[default]
    Asc,
    Desc,
}

#[derive(Default)]
pub struct ActivityFilter {
    pub user_id: Option<Uuid>,
    pub milestone_id: Option<Uuid>,
    pub kind: Option<ActivityKind>,
    pub party: Option<ProjectRole>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub external_source: Option<String>,
    pub external_id: Option<String>,
    /// Logged at or after this instant (entries are never edited).
    pub updated_since: Option<DateTime<Utc>>,
}

#[derive(Default)]
pub struct MilestoneFilter {
    pub stage: Option<Stage>,
    pub knowledge_area: Option<String>,
    pub staff_owner_id: Option<Uuid>,
    /// Due before this day and not handed off.
    pub overdue_on: Option<NaiveDate>,
    pub external_source: Option<String>,
    pub external_id: Option<String>,
    /// Changed at or after this instant (a vendor's last sync).
    pub updated_since: Option<DateTime<Utc>>,
}

/// Filters of a project's member list.
#[derive(Default)]
pub struct MemberFilter {
    /// Also those whose participation ended.
    pub include_former: bool,
    /// Joined, changed or ended at or after this instant.
    pub updated_since: Option<DateTime<Utc>>,
}

/// Filters of `GET /projects`.
#[derive(Default)]
pub struct ProjectFilter {
    pub org_id: Option<Uuid>,
    pub status: Option<ProjectStatus>,
    pub external_source: Option<String>,
    pub external_id: Option<String>,
    /// Changed at or after this instant.
    pub updated_since: Option<DateTime<Utc>>,
}

/// Filters of the action list.
#[derive(Default)]
pub struct ActionFilter {
    pub status: Option<ActionStatus>,
    pub owner_id: Option<Uuid>,
    pub waiting_user_id: Option<Uuid>,
    pub waiting_party: Option<OutsideParty>,
    /// Open and due before this day.
    pub overdue_on: Option<NaiveDate>,
    pub milestone_id: Option<Uuid>,
}

/// Where a list of actions runs: newest first (by id), or by due date (soonest first, those
/// without one last, ties by id).
#[derive(Debug, Clone, Copy)]
pub enum ActionOrder {
    Newest(Option<Uuid>),
    Due(Option<(NaiveDate, Uuid)>),
}

/// Stands for "no due date" in the due-first order: after every date a client can send (dates
/// run to 9999-12-31, `domain::day`), and written like them, so it sorts as text on SQLite too.
pub const NO_DUE_DATE: NaiveDate = match NaiveDate::from_ymd_opt(9999, 12, 31) {
    Some(day) => day,
    None => NaiveDate::MAX,
};

/// Filters of the script list.
#[derive(Default)]
pub struct ScriptFilter {
    pub critical: Option<bool>,
    pub owner_id: Option<Uuid>,
    pub knowledge_area: Option<String>,
    pub milestone_id: Option<Uuid>,
}
