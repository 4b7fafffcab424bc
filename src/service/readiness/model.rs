//! The readiness report as clients read it (DESIGN.md, "Readiness report, model 2"): the
//! response *is* this read model, so it keeps its schema here, beside the computation that
//! fills it. Figures are computed exactly and reported unrounded; only `score` is rounded.

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::{
    ProjectRole,
    action::{OutsideParty, WaitingOn},
    ladder::Blocker,
    test_script::ScriptBlocker,
};

/// The report's model: 2 since model 1 was replaced (see CHANGELOG.md).
pub const MODEL: u8 = 2;

#[derive(Debug, Serialize, ToSchema)]
pub struct ReadinessReport {
    /// Which scoring model computed this report: always 2.
    #[schema(example = 2)]
    pub model: u8,
    pub project_id: Uuid,
    /// The day the report is for: everything is read as it stood at the end of it (UTC).
    pub as_of: NaiveDate,
    /// True when the project was closed on `as_of`: the figures are those of the day it closed
    /// (a finished project does not decay).
    pub frozen: bool,
    /// round(100 × (0.35 × handoff_progress + 0.10 × ownership_coverage
    /// + 0.25 × min(1, staff_hands_on_share / 0.5) + 0.20 × commitment_adherence
    /// + 0.10 × on_schedule)), computed from the exact components, halves rounding up.
    #[schema(example = 62)]
    pub score: u32,
    pub components: Components,
    pub signals: Signals,
    pub milestones: MilestoneCounts,
    pub hours: Hours,
    pub members: Vec<MemberCommitment>,
    pub knowledge_areas: Vec<AreaFigures>,
    /// What stops the project from closing: every milestone not handed off.
    pub blockers: Vec<Blocker>,
    pub testing: Testing,
    pub next_actions: Vec<NextAction>,
}

/// The staff-run test scripts (DESIGN.md, "Staff-run test scripts — the go-live gate"). A
/// script's *latest* run is the one with the latest `occurred_on`, then the latest recorded;
/// only runs by staff count as staff-tested.
#[derive(Debug, Serialize, ToSchema)]
pub struct Testing {
    pub scripts: u32,
    pub critical_scripts: u32,
    /// Critical scripts whose latest staff run passed.
    pub critical_passed_by_staff: u32,
    /// Scripts whose latest run, by anyone, failed.
    pub failing: u32,
    pub go_live_gate: GoLiveGate,
}

/// Whether the project may enter `hypercare` (go live) on `as_of`: every critical script's
/// latest staff run passed, and no critical script's latest run, by anyone, failed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GoLiveGate {
    pub open: bool,
    /// Each critical script that keeps the gate shut, and why.
    pub blockers: Vec<ScriptBlocker>,
}

/// Whom an agreed action waits on: a member (`user_id`) or an outside party (`party` and
/// `name`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct WaitingOnView {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false)]
    pub user_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false)]
    pub party: Option<OutsideParty>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false, example = "Acme AMS support")]
    pub name: Option<String>,
}

impl From<&WaitingOn> for WaitingOnView {
    fn from(w: &WaitingOn) -> Self {
        match w {
            WaitingOn::Member(user) => WaitingOnView {
                user_id: Some(*user),
                party: None,
                name: None,
            },
            WaitingOn::Outside { party, name } => WaitingOnView {
                user_id: None,
                party: Some(*party),
                name: Some(name.clone()),
            },
        }
    }
}

/// The five components of the score, each 0 to 1, unrounded. W is the 28 days ending on
/// `as_of`; hands-on hours are `execution` + `testing`; an *active staff owner* is a
/// milestone's staff owner who is an active staff member on `as_of`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Components {
    /// Mean over milestones of credit / 5 (0 without milestones). Credit is the stage index
    /// (planned 0 … handed_off 5), but at most 2 without an active staff owner, and 2 at
    /// reverse_shadowing or later while the active staff owner has under 1 hands-on hour on it.
    pub handoff_progress: f64,
    /// Share of milestones with an active staff owner (0 without milestones).
    pub ownership_coverage: f64,
    /// Staff hands-on hours / all hands-on hours in W, by the party stored on each activity
    /// (0 when W has none).
    pub staff_hands_on_share: f64,
    /// Σ credited / Σ expected over staff active in W and W's four 7-day buckets: expected =
    /// the weekly hours / 7 of each day they were active staff, not away and not before the
    /// project's start; credited = min(hours logged in the bucket, expected). 0 when nothing
    /// was expected.
    pub commitment_adherence: f64,
    /// Share of milestones handed off or with a due date not before `as_of` (0 without
    /// milestones; a milestone without a due date is not on schedule).
    pub on_schedule: f64,
}

/// Staff shares of the hours (each 0 to 1; 0 when there are no hours, unless said otherwise).
#[derive(Debug, Serialize, ToSchema)]
pub struct Shares {
    /// All kinds, up to `as_of`.
    pub staff_share_to_date: f64,
    /// All kinds, in W.
    pub staff_share_recent: f64,
    /// Hands-on, up to `as_of`.
    pub staff_hands_on_share_to_date: f64,
    /// Hands-on, in W (the score's component).
    pub staff_hands_on_share: f64,
    /// Hands-on, in the 28 days before W; null when they have no hands-on hours.
    pub staff_hands_on_share_previous: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CommittedHours {
    pub staff: f64,
    pub consultant: f64,
}

/// Signals beside the score (not in it).
#[derive(Debug, Serialize, ToSchema)]
pub struct Signals {
    pub shares: Shares,
    /// The previous 28 days had hands-on hours and `staff_hands_on_share` fell more than 0.15
    /// below `staff_hands_on_share_previous`: the staff are handing the work back.
    pub drifting: bool,
    /// Some activity happened before the last 14 days and none within them.
    pub stalled: bool,
    /// The go-live date as it stood on `as_of`, minus `as_of` (negative once passed).
    pub days_to_go_live: Option<i64>,
    /// The consultant exit date as it stood on `as_of`, minus `as_of`.
    pub days_to_consultant_exit: Option<i64>,
    /// Weekly hours promised by the members active on `as_of`, away or not.
    pub committed_hours_per_week: CommittedHours,
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
    /// Without an active staff owner.
    pub unowned: u32,
}

/// One of the eight 7-day windows ending on `as_of`.
#[derive(Debug, Serialize, ToSchema)]
pub struct WindowHours {
    pub window_start: NaiveDate,
    pub window_end: NaiveDate,
    pub staff_hours: f64,
    pub consultant_hours: f64,
    pub staff_hands_on_hours: f64,
    pub consultant_hands_on_hours: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Hours {
    /// Up to and including `as_of`.
    pub staff_hours: f64,
    pub consultant_hours: f64,
    /// The eight 7-day windows ending on `as_of`, oldest first.
    pub windows: Vec<WindowHours>,
}

/// A member active on `as_of`.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberCommitment {
    pub user_id: Uuid,
    pub display_name: String,
    pub role: ProjectRole,
    pub is_lead: bool,
    pub weekly_hours: f64,
    /// Inside an away period on `as_of`.
    pub away: bool,
    /// Hours of any kind logged in W.
    pub hours_in_window: f64,
    /// What W expected of them (see `commitment_adherence`); 0 for consultants.
    pub expected_hours: f64,
    /// What counts of their hours against it, bucket by bucket.
    pub credited_hours: f64,
    /// credited / expected; null when nothing was expected, and for consultants.
    pub adherence: Option<f64>,
}

/// A knowledge area (names compared trimmed, whitespace collapsed, ignoring case; shown in the
/// most frequent trimmed spelling).
#[derive(Debug, Serialize, ToSchema)]
pub struct AreaFigures {
    pub knowledge_area: String,
    pub milestones: u32,
    pub handed_off: u32,
    /// Hours logged on the area's milestones up to `as_of`.
    pub staff_hours: f64,
    pub consultant_hours: f64,
    /// Distinct staff active on `as_of` who are the active staff owner of a handed-off
    /// milestone here or logged at least 1 hands-on hour on its milestones.
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
    StepBack,
    ProjectStalled,
    Agreed,
    Chase,
    RunTestScript,
    FixFailingTest,
    OwnerAway,
}

/// "What's our next action?" — one item per person it is for.
#[derive(Debug, Serialize, ToSchema)]
pub struct NextAction {
    pub kind: NextActionKind,
    pub user_id: Uuid,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false)]
    pub milestone_id: Option<Uuid>,
    /// For `knowledge_at_risk`: every area whose bus factor is at most 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false)]
    pub knowledge_areas: Option<Vec<String>>,
    /// Set when the item was meant for this member, who is away on `as_of` or no longer an
    /// active member: it went to each staff lead instead.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false)]
    pub on_behalf_of: Option<Uuid>,
    pub detail: String,
    /// For `sign_off`: days since the milestone entered `ready_for_signoff`; for `agreed` and
    /// `chase`: days since the action began waiting on whom it waits on.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false)]
    pub days_waiting: Option<i64>,
    /// For `agreed` and `chase`: the agreed action.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false)]
    pub action_id: Option<Uuid>,
    /// For `agreed`: days since the action was agreed.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false)]
    pub age_days: Option<i64>,
    /// For `agreed` and `chase`: whom the action waits on.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false)]
    pub waiting_on: Option<WaitingOnView>,
    /// For `run_test_script` and `fix_failing_test`: the test script.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false)]
    pub script_id: Option<Uuid>,
}
