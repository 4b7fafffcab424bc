//! What clients send about test scripts and their runs, and how each becomes a command.

use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::nullable;
use crate::domain::{
    Checks, FieldError,
    milestone::knowledge_area,
    test_script::{NewRun, NewScript, STEPS_MAX, ScriptPatch, TestResult},
    text::{self, NOTE, optional_text},
};

fn steps(raw: &str) -> Result<String, FieldError> {
    text::at_most("steps", raw, STEPS_MAX)?;
    match raw.trim() {
        "" => Err(FieldError::new("steps", "must not be empty")),
        value => Ok(value.to_owned()),
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTestScript {
    #[schema(example = "Renew a lapsed membership online")]
    pub title: String,
    /// Grouped like milestones' knowledge areas.
    #[schema(example = "join/renew")]
    pub knowledge_area: String,
    /// What to do and what to expect, step by step.
    #[schema(
        example = "1. Log in as a lapsed member.\n2. Renew with a card.\n3. Check the invoice and the new expiry date."
    )]
    pub steps: String,
    /// Going live needs every critical script passed by staff.
    #[serde(default)]
    #[schema(example = true)]
    pub critical: bool,
    /// An active staff member of the project who answers for this test.
    #[schema(example = "0193a5b2-7c1e-7d2a-9f10-2b3c4d5e6f70")]
    pub owner_id: Uuid,
    /// A milestone of the same project it tests.
    #[schema(example = "0193a5b2-7c1e-7d2a-9f10-2b3c4d5e6f72")]
    pub milestone_id: Option<Uuid>,
}

impl TryFrom<CreateTestScript> for NewScript {
    type Error = Vec<FieldError>;

    fn try_from(b: CreateTestScript) -> Result<Self, Self::Error> {
        let mut checks = Checks::default();
        let new = NewScript {
            title: checks.take(text::name("title", &b.title)),
            knowledge_area: checks.take(knowledge_area(&b.knowledge_area)),
            steps: checks.take(steps(&b.steps)),
            critical: b.critical,
            owner_id: b.owner_id,
            milestone_id: b.milestone_id,
        };
        checks.finish(new)
    }
}

/// `null` clears the milestone.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct UpdateTestScript {
    #[schema(example = "Renew a lapsed membership online or by phone")]
    pub title: Option<String>,
    #[schema(example = "join/renew")]
    pub knowledge_area: Option<String>,
    #[schema(example = "1. Log in as a lapsed member.\n2. Renew with a card.")]
    pub steps: Option<String>,
    #[schema(example = true)]
    pub critical: Option<bool>,
    #[schema(example = "0193a5b2-7c1e-7d2a-9f10-2b3c4d5e6f70")]
    pub owner_id: Option<Uuid>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Uuid>, example = "0193a5b2-7c1e-7d2a-9f10-2b3c4d5e6f72")]
    pub milestone_id: Option<Option<Uuid>>,
}

impl TryFrom<UpdateTestScript> for ScriptPatch {
    type Error = Vec<FieldError>;

    fn try_from(b: UpdateTestScript) -> Result<Self, Self::Error> {
        let mut checks = Checks::default();
        let patch = ScriptPatch {
            title: checks.patch(b.title.map(|t| text::name("title", &t))),
            knowledge_area: checks.patch(b.knowledge_area.map(|a| knowledge_area(&a))),
            steps: checks.patch(b.steps.as_deref().map(steps)),
            critical: b.critical,
            owner_id: b.owner_id,
            milestone_id: b.milestone_id,
        };
        checks.finish(patch)
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTestRun {
    #[schema(example = "passed")]
    pub result: TestResult,
    /// The day it was run (default today; not in the future).
    #[serde(default, deserialize_with = "crate::domain::day::optional")]
    #[schema(example = "2026-12-03")]
    pub occurred_on: Option<NaiveDate>,
    #[schema(example = "Renewed member 10422; invoice and expiry date right.")]
    pub notes: Option<String>,
}

impl TryFrom<CreateTestRun> for NewRun {
    type Error = Vec<FieldError>;

    fn try_from(b: CreateTestRun) -> Result<Self, Self::Error> {
        let notes = optional_text(("notes", NOTE.1), b.notes.as_deref()).map_err(|e| vec![e])?;
        Ok(NewRun {
            result: b.result,
            occurred_on: b.occurred_on,
            notes,
        })
    }
}
