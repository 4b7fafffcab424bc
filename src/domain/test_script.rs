//! Staff-run test scripts and their runs, once parsed (DESIGN.md, "Staff-run test scripts —
//! the go-live gate").

use chrono::NaiveDate;
use sea_orm::{DeriveActiveEnum, EnumIter, sea_query::StringLen};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// The most characters of a script's steps.
pub const STEPS_MAX: usize = 10_000;

/// What a run of a test script found.
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
pub enum TestResult {
    #[sea_orm(string_value = "passed")]
    Passed,
    #[sea_orm(string_value = "failed")]
    Failed,
}

/// A new test script. The owner must be an active staff member (checked by the service).
#[derive(Debug, Clone)]
pub struct NewScript {
    pub title: String,
    pub knowledge_area: String,
    pub steps: String,
    pub critical: bool,
    pub owner_id: Uuid,
    pub milestone_id: Option<Uuid>,
}

/// A partial update: `None` leaves a field alone; `Some(None)` clears the milestone.
#[derive(Debug, Clone, Default)]
pub struct ScriptPatch {
    pub title: Option<String>,
    pub knowledge_area: Option<String>,
    pub steps: Option<String>,
    pub critical: Option<bool>,
    pub owner_id: Option<Uuid>,
    pub milestone_id: Option<Option<Uuid>>,
}

/// A run recorded by the caller. `occurred_on` defaults to today and may not be in the future.
#[derive(Debug, Clone)]
pub struct NewRun {
    pub result: TestResult,
    pub occurred_on: Option<NaiveDate>,
    pub notes: Option<String>,
}

/// A critical test script that keeps the go-live gate shut.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ScriptBlocker {
    pub script_id: Uuid,
    pub title: String,
    pub reason: GateReason,
}

/// Why a critical script keeps the go-live gate shut.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GateReason {
    /// No staff member has run it.
    NeverRunByStaff,
    /// Its latest staff run failed.
    LastStaffRunFailed,
    /// Its latest run (by a consultant, after the staff's last pass) failed.
    LastRunFailed,
}
