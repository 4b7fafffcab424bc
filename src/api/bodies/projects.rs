//! What clients send about projects, and how each becomes a command.

use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::nullable;
use crate::domain::{
    Checks, FieldError, ProjectStatus,
    project::{NewProject, ProjectPatch, check_dates},
    text::{
        self, DESCRIPTION, EXTERNAL_ID, EXTERNAL_SOURCE, SYSTEM_NAME, optional_patch, optional_text,
    },
};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProject {
    #[schema(example = "Move to the new AMS")]
    pub name: String,
    #[schema(example = "Replace the legacy membership database with NewAMS by spring.")]
    pub description: Option<String>,
    #[schema(example = "NewAMS")]
    pub system_name: Option<String>,
    /// Defaults to `planning`; a new project cannot start `closed`.
    pub status: Option<ProjectStatus>,
    #[serde(default, deserialize_with = "crate::domain::day::optional")]
    #[schema(example = "2026-11-02")]
    pub start_date: Option<NaiveDate>,
    #[serde(default, deserialize_with = "crate::domain::day::optional")]
    #[schema(example = "2027-04-01")]
    pub go_live_date: Option<NaiveDate>,
    /// The day the consultants leave.
    #[serde(default, deserialize_with = "crate::domain::day::optional")]
    #[schema(example = "2027-06-30")]
    pub consultant_exit_date: Option<NaiveDate>,
    /// A vendor's id for the project: with `external_source`, unique within the organisation
    /// (409 `external_id_taken`).
    #[schema(example = "P-42")]
    pub external_id: Option<String>,
    #[schema(example = "acme-ams")]
    pub external_source: Option<String>,
    /// Required when an API key creates the project: the organisation member who becomes its
    /// first staff lead. A person creating a project becomes its lead and does not send this.
    #[schema(example = "0193a5b2-7c1e-7d2a-9f10-2b3c4d5e6f70")]
    pub lead_user_id: Option<Uuid>,
}

impl TryFrom<CreateProject> for NewProject {
    type Error = Vec<FieldError>;

    fn try_from(b: CreateProject) -> Result<Self, Self::Error> {
        let mut checks = Checks::default();
        let status = b.status.unwrap_or_default();
        let new = NewProject {
            name: checks.take(text::name("name", &b.name)),
            description: checks.take(optional_text(DESCRIPTION, b.description.as_deref())),
            system_name: checks.take(optional_text(SYSTEM_NAME, b.system_name.as_deref())),
            external_id: checks.take(optional_text(EXTERNAL_ID, b.external_id.as_deref())),
            external_source: checks
                .take(optional_text(EXTERNAL_SOURCE, b.external_source.as_deref())),
            status,
            start_date: b.start_date,
            go_live_date: b.go_live_date,
            consultant_exit_date: b.consultant_exit_date,
            lead_user_id: b.lead_user_id,
        };
        let closed = status == ProjectStatus::Closed;
        checks.require(!closed, "status", "a new project cannot be closed");
        check_dates(
            &mut checks,
            new.start_date,
            new.go_live_date,
            new.consultant_exit_date,
        );
        checks.finish(new)
    }
}

/// `null` clears an optional field; an absent field is left as it is.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct UpdateProject {
    #[schema(example = "Move to NewAMS")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(example = "Replace the legacy membership database with NewAMS by spring.", value_type = Option<String>)]
    pub description: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(example = "NewAMS", value_type = Option<String>)]
    pub system_name: Option<Option<String>>,
    /// `closed` ends every consultant's participation.
    pub status: Option<ProjectStatus>,
    #[serde(default, deserialize_with = "crate::domain::day::nullable")]
    #[schema(example = "2026-11-02", value_type = Option<NaiveDate>)]
    pub start_date: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "crate::domain::day::nullable")]
    #[schema(example = "2027-05-03", value_type = Option<NaiveDate>)]
    pub go_live_date: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "crate::domain::day::nullable")]
    #[schema(example = "2027-07-30", value_type = Option<NaiveDate>)]
    pub consultant_exit_date: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(example = "P-42", value_type = Option<String>)]
    pub external_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(example = "acme-ams", value_type = Option<String>)]
    pub external_source: Option<Option<String>>,
}

impl TryFrom<UpdateProject> for ProjectPatch {
    type Error = Vec<FieldError>;

    fn try_from(b: UpdateProject) -> Result<Self, Self::Error> {
        let mut checks = Checks::default();
        let patch = ProjectPatch {
            name: checks.patch(b.name.map(|n| text::name("name", &n))),
            description: checks.patch(optional_patch(DESCRIPTION, b.description)),
            system_name: checks.patch(optional_patch(SYSTEM_NAME, b.system_name)),
            external_id: checks.patch(optional_patch(EXTERNAL_ID, b.external_id)),
            external_source: checks.patch(optional_patch(EXTERNAL_SOURCE, b.external_source)),
            status: b.status,
            start_date: b.start_date,
            go_live_date: b.go_live_date,
            consultant_exit_date: b.consultant_exit_date,
        };
        checks.finish(patch)
    }
}
