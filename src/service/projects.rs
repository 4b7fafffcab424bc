//! Projects: creation (the creator becomes the first staff lead), visibility, edits with
//! optimistic concurrency, closing and deletion.

use chrono::{NaiveDate, Utc};
use sea_orm::{ColumnTrait, Condition, TransactionTrait};
use serde::{Deserialize, Deserializer};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    AppState,
    access::{ProjectAccess, check_if_match, org_access, project_access},
    auth::Caller,
    idempotency::Pending,
    within_limit,
};
use crate::{
    domain::{ProjectRole, ProjectStatus, text},
    entity::project,
    error::{ApiError, FieldError},
    events::{Event, Scope, record},
    repo::{
        PageRequest,
        project_members::{self, NewParticipation},
        projects::{self, NewProject, ProjectFilter, Visibility},
    },
};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProject {
    #[schema(example = "Move to the new AMS")]
    pub name: String,
    pub description: Option<String>,
    #[schema(example = "NewAMS")]
    pub system_name: Option<String>,
    /// Defaults to `planning`; a new project cannot start `closed`.
    pub status: Option<ProjectStatus>,
    #[serde(default, deserialize_with = "crate::domain::day::optional")]
    pub start_date: Option<NaiveDate>,
    #[serde(default, deserialize_with = "crate::domain::day::optional")]
    pub go_live_date: Option<NaiveDate>,
    /// The day the consultants leave.
    #[serde(default, deserialize_with = "crate::domain::day::optional")]
    pub consultant_exit_date: Option<NaiveDate>,
    pub external_id: Option<String>,
    pub external_source: Option<String>,
    /// Required when an API key creates the project: the organisation member who becomes its
    /// first staff lead. A person creating a project becomes its lead and does not send this.
    pub lead_user_id: Option<Uuid>,
}

/// `null` clears an optional field; an absent field is left as it is.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct UpdateProject {
    pub name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub system_name: Option<Option<String>>,
    /// `closed` ends every consultant's participation.
    pub status: Option<ProjectStatus>,
    #[serde(default, deserialize_with = "crate::domain::day::nullable")]
    #[schema(value_type = Option<NaiveDate>)]
    pub start_date: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "crate::domain::day::nullable")]
    #[schema(value_type = Option<NaiveDate>)]
    pub go_live_date: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "crate::domain::day::nullable")]
    #[schema(value_type = Option<NaiveDate>)]
    pub consultant_exit_date: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub external_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub external_source: Option<Option<String>>,
}

/// Tells "absent" (`None`) from "null" (`Some(None)`).
pub fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

fn validate_dates(project: &project::Model, errors: &mut Vec<FieldError>) {
    if let Some(start) = project.start_date {
        for (field, date) in [
            ("go_live_date", project.go_live_date),
            ("consultant_exit_date", project.consultant_exit_date),
        ] {
            if date.is_some_and(|d| d < start) {
                errors.push(FieldError::new(field, "must not be before start_date"));
            }
        }
    }
}

fn optional_text(
    field: &str,
    value: Option<&str>,
    max: usize,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    text::optional(field, value, max).unwrap_or_else(|e| {
        errors.push(e);
        None
    })
}

pub async fn create(
    state: &AppState,
    caller: &Caller,
    org_id: Uuid,
    input: CreateProject,
) -> Result<Pending<project::Model>, ApiError> {
    // Any member of the organisation may start a project (and leads it); a write key may too,
    // naming the member who leads it. Others do not see the organisation.
    let access = org_access(&state.db, caller, org_id).await?;
    let mut errors = Vec::new();
    let lead_id = match (caller, input.lead_user_id) {
        (Caller::User(user), None) => user.id,
        (Caller::User(user), Some(id)) if id == user.id => user.id,
        (Caller::User(_), Some(_)) => {
            return Err(ApiError::invalid(
                "lead_user_id",
                "the person creating a project becomes its lead; only API keys name one",
            ));
        }
        (Caller::Key(_), lead) => {
            if access.key != Some(crate::domain::KeyScope::Write) {
                return Err(ApiError::Forbidden {
                    code: "forbidden",
                    detail: "A read-only API key cannot create projects.".into(),
                });
            }
            lead.ok_or_else(|| {
                ApiError::invalid("lead_user_id", "required when an API key creates a project")
            })?
        }
    };
    let name = text::name("name", &input.name).unwrap_or_else(|e| {
        errors.push(e);
        String::new()
    });
    let new = NewProject {
        org_id,
        name,
        description: optional_text(
            "description",
            input.description.as_deref(),
            10_000,
            &mut errors,
        ),
        system_name: optional_text(
            "system_name",
            input.system_name.as_deref(),
            200,
            &mut errors,
        ),
        status: input.status.unwrap_or(ProjectStatus::Planning),
        start_date: input.start_date,
        go_live_date: input.go_live_date,
        consultant_exit_date: input.consultant_exit_date,
        external_id: optional_text(
            "external_id",
            input.external_id.as_deref(),
            200,
            &mut errors,
        ),
        external_source: optional_text(
            "external_source",
            input.external_source.as_deref(),
            100,
            &mut errors,
        ),
    };
    if new.status == ProjectStatus::Closed {
        errors.push(FieldError::new("status", "a new project cannot be closed"));
    }
    let preview = project::Model {
        id: Uuid::nil(),
        org_id,
        name: String::new(),
        description: None,
        system_name: None,
        status: new.status,
        start_date: new.start_date,
        go_live_date: new.go_live_date,
        consultant_exit_date: new.consultant_exit_date,
        external_id: None,
        external_source: None,
        version: 1,
        created_at: Utc::now(),
        updated_at: Utc::now(),
    };
    validate_dates(&preview, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }

    let txn = state.db.begin().await?;
    // The lead must still be a member when the project is created beside them.
    crate::repo::orgs::lock_for_update(&txn, org_id).await?;
    if crate::repo::orgs::find_member(&txn, org_id, lead_id)
        .await?
        .is_none()
    {
        return Err(match caller {
            Caller::Key(_) => {
                ApiError::invalid("lead_user_id", "must be a member of the organisation")
            }
            Caller::User(_) => super::access::org_not_found(),
        });
    }
    within_limit::<project::Entity>(
        &txn,
        crate::domain::limits::PROJECTS_PER_ORG,
        Condition::all().add(project::Column::OrgId.eq(org_id)),
    )
    .await?;
    let project = projects::insert_project(&txn, new).await?;
    project_members::insert(
        &txn,
        NewParticipation {
            project_id: project.id,
            user_id: lead_id,
            role: ProjectRole::Staff,
            is_lead: true,
            weekly_quarter_hours: 0,
            responsibility: None,
        },
    )
    .await?;
    record(&txn, caller.actor(), Event::project_created(&project)).await?;
    record(&txn, caller.actor(), Event::lead_added(&project, lead_id)).await?;
    Ok(Pending::new(txn, project))
}

pub async fn list(
    state: &AppState,
    caller: &Caller,
    filter: ProjectFilter,
    page: PageRequest,
) -> Result<(Vec<project::Model>, bool), ApiError> {
    let visibility = match caller {
        Caller::User(user) => Visibility::User(user.id),
        Caller::Key(key) => Visibility::Org(key.org_id),
    };
    Ok(projects::list_projects(&state.db, visibility, filter, page).await?)
}

pub async fn get(
    state: &AppState,
    caller: &Caller,
    project_id: Uuid,
) -> Result<ProjectAccess, ApiError> {
    project_access(&state.db, caller, project_id).await
}

pub async fn update(
    state: &AppState,
    caller: &Caller,
    project_id: Uuid,
    if_match: Option<&str>,
    input: UpdateProject,
) -> Result<project::Model, ApiError> {
    let access = project_access(&state.db, caller, project_id).await?;
    access.require(
        access.can_edit_project(),
        "Only staff leads, organisation admins and write API keys may edit a project.",
    )?;
    check_if_match(if_match, access.project.version)?;

    let before = access.project;
    let mut errors = Vec::new();
    let mut after = before.clone();
    if let Some(name) = &input.name {
        match text::name("name", name) {
            Ok(name) => after.name = name,
            Err(e) => errors.push(e),
        }
    }
    for (field, patch, slot, max) in [
        (
            "description",
            &input.description,
            &mut after.description,
            10_000,
        ),
        (
            "system_name",
            &input.system_name,
            &mut after.system_name,
            200,
        ),
        (
            "external_id",
            &input.external_id,
            &mut after.external_id,
            200,
        ),
        (
            "external_source",
            &input.external_source,
            &mut after.external_source,
            100,
        ),
    ] {
        if let Some(value) = patch {
            *slot = optional_text(field, value.as_deref(), max, &mut errors);
        }
    }
    for (patch, slot) in [
        (input.start_date, &mut after.start_date),
        (input.go_live_date, &mut after.go_live_date),
        (input.consultant_exit_date, &mut after.consultant_exit_date),
    ] {
        if let Some(value) = patch {
            *slot = value;
        }
    }
    if let Some(status) = input.status {
        after.status = status;
    }
    validate_dates(&after, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    after.updated_at = Utc::now();

    let txn = state.db.begin().await?;
    let closing = after.status == ProjectStatus::Closed && before.status != ProjectStatus::Closed;
    if closing {
        // Milestone creation and new participations wait for this lock and then see `closed`.
        projects::lock_for_update(&txn, before.id).await?;
        let blockers = crate::repo::milestones::blockers(&txn, before.id).await?;
        if !blockers.is_empty() {
            return Err(ApiError::NotClosable { blockers });
        }
    }
    let updated = projects::update_project_if_version(&txn, after, before.version)
        .await?
        .ok_or(ApiError::PreconditionFailed)?;
    record(
        &txn,
        caller.actor(),
        Event::project_updated(&before, &updated),
    )
    .await?;
    if closing {
        let ended = project_members::end_consultants(&txn, updated.id, updated.updated_at).await?;
        for participation in &ended {
            record(
                &txn,
                caller.actor(),
                Event::member_removed(
                    Scope::project(&updated),
                    participation.user_id,
                    participation.role,
                    Some("project_closed"),
                ),
            )
            .await?;
        }
        let consultants: Vec<Uuid> = ended.iter().map(|p| p.user_id).collect();
        record(
            &txn,
            caller.actor(),
            Event::project_closed(&updated, &consultants),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(updated)
}

pub async fn delete(
    state: &AppState,
    caller: &Caller,
    project_id: Uuid,
    if_match: Option<&str>,
) -> Result<(), ApiError> {
    let access = project_access(&state.db, caller, project_id).await?;
    access.require(
        access.org_admin,
        "Only organisation admins may delete a project.",
    )?;
    check_if_match(if_match, access.project.version)?;
    let project = access.project;
    let txn = state.db.begin().await?;
    if !projects::delete_project_if_version(&txn, project.id, project.version).await? {
        return Err(ApiError::PreconditionFailed);
    }
    // The event keeps the project's id but no foreign key, so the audit trail outlives it.
    record(&txn, caller.actor(), Event::project_deleted(&project)).await?;
    txn.commit().await?;
    Ok(())
}
