//! The readiness report as clients read it (DESIGN.md, "Readiness report"): the response *is*
//! this read model, so it keeps its schema here, beside the computation that fills it.

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::{ProjectRole, ladder::Blocker};

#[derive(Debug, Serialize, ToSchema)]
pub struct ReadinessReport {
    pub project_id: Uuid,
    pub as_of: NaiveDate,
    /// round(100 × (0.40 × handoff_progress + 0.15 × ownership_coverage
    /// + 0.25 × min(1, staff_share / 0.5) + 0.20 × commitment_adherence)), halves up.
    #[schema(example = 62)]
    pub score: u32,
    pub components: Components,
    pub milestones: MilestoneCounts,
    pub hours: Hours,
    pub members: Vec<MemberCommitment>,
    pub knowledge_areas: Vec<AreaFigures>,
    /// What stops the project from closing: every milestone not handed off.
    pub blockers: Vec<Blocker>,
    pub next_actions: Vec<NextAction>,
}

/// The four components of the score, unrounded, each 0 to 1.
#[derive(Debug, Serialize, ToSchema)]
pub struct Components {
    /// Mean over milestones of stage index / 5 (0 without milestones).
    pub handoff_progress: f64,
    /// Share of milestones with a staff owner (0 without milestones).
    pub ownership_coverage: f64,
    /// Staff hours / all hours logged up to `as_of` (0 without hours).
    pub staff_share: f64,
    /// Mean over active staff with a weekly commitment of min(1, hours in the 28 days ending
    /// `as_of` / (4 × weekly hours)); 0 when nobody has a commitment.
    pub commitment_adherence: f64,
}

#[derive(Debug, Default, Serialize, ToSchema)]
pub struct StageCounts {
    pub planned: u32,
    pub consultant_led: u32,
    pub shadowing: u32,
    pub reverse_shadowing: u32,
    pub ready_for_signoff: u32,
    pub handed_off: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MilestoneCounts {
    pub total: u32,
    pub by_stage: StageCounts,
    /// Due before `as_of` and not handed off.
    pub overdue: u32,
    /// Without a staff owner.
    pub unowned: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WeekHours {
    pub week_start: NaiveDate,
    pub week_end: NaiveDate,
    pub staff_hours: f64,
    pub consultant_hours: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Hours {
    /// Up to and including `as_of`.
    pub staff_hours: f64,
    pub consultant_hours: f64,
    /// The 8 weeks ending on `as_of`, oldest first.
    pub weekly: Vec<WeekHours>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberCommitment {
    pub user_id: Uuid,
    pub display_name: String,
    pub role: ProjectRole,
    pub is_lead: bool,
    pub weekly_hours: f64,
    /// Hours logged in the 28 days ending on `as_of`.
    pub hours_last_28_days: f64,
    /// 4 × weekly hours.
    pub committed_hours_28_days: f64,
    /// min(1, logged / committed) for staff with a commitment; null otherwise.
    pub adherence: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AreaFigures {
    pub knowledge_area: String,
    pub milestones: u32,
    pub handed_off: u32,
    pub staff_hours: f64,
    pub consultant_hours: f64,
    /// Distinct active staff who own a handed-off milestone here or logged execution/testing
    /// hours on one of its milestones.
    pub bus_factor: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NextActionKind {
    AssignStaffOwner,
    SignOff,
    Overdue,
    HandsOnNeeded,
    RescheduleBeforeExit,
    KnowledgeAtRisk,
    LogTime,
}

/// "What's our next action?" — one item per person it is for.
#[derive(Debug, Serialize, ToSchema)]
pub struct NextAction {
    pub kind: NextActionKind,
    pub user_id: Uuid,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false)]
    pub milestone_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false)]
    pub knowledge_area: Option<String>,
    pub detail: String,
    /// For `sign_off`: days since the milestone entered `ready_for_signoff`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false)]
    pub days_waiting: Option<i64>,
}
