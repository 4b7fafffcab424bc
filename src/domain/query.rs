//! What a list request asks for, once parsed: a keyset page and each list's filters. The API
//! builds these from query strings, services pass them on, repositories turn them into SQL.

use chrono::NaiveDate;
use uuid::Uuid;

use super::{ActivityKind, ProjectRole, ProjectStatus, Stage};

/// A keyset page request: rows after `after` (by id), at most `limit`.
#[derive(Debug, Clone, Copy)]
pub struct PageRequest<K = Uuid> {
    pub limit: u64,
    pub after: Option<K>,
}

#[derive(Default)]
pub struct ActivityFilter {
    pub user_id: Option<Uuid>,
    pub milestone_id: Option<Uuid>,
    pub kind: Option<ActivityKind>,
    pub party: Option<ProjectRole>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
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
}

/// Filters of `GET /projects`.
#[derive(Default)]
pub struct ProjectFilter {
    pub org_id: Option<Uuid>,
    pub status: Option<ProjectStatus>,
    pub external_source: Option<String>,
    pub external_id: Option<String>,
}
