//! Projects: creation (the creator becomes the first staff lead), visibility, edits with
//! optimistic concurrency, closing and deletion.

use sea_orm::{ColumnTrait, Condition, ConnectionTrait};
use uuid::Uuid;

use super::{
    AppState,
    access::{DeleteProject, EditProject, OrgAccess, ProjectAccess, org_access, project_access},
    auth::Caller,
    idempotency::Pending,
    within_limit,
};
use crate::{
    domain::{
        Checks, FieldError, KeyScope, ProjectRole, ProjectStatus, limits,
        precondition::IfMatch,
        project::{NewProject, ProjectPatch, check_dates},
        query::{PageRequest, ProjectFilter},
    },
    entity::project,
    error::ApiError,
    events::{Event, Scope, record},
    repo::{
        orgs,
        project_members::{self, NewParticipation},
        projects::{self, Visibility},
    },
};

/// Who leads a new project: the person creating it, or the member a write key names.
fn lead_of(caller: &Caller, access: &OrgAccess, named: Option<Uuid>) -> Result<Uuid, ApiError> {
    match (caller, named) {
        (Caller::User(user), None) => Ok(user.id),
        (Caller::User(user), Some(id)) if id == user.id => Ok(user.id),
        (Caller::User(_), Some(_)) => Err(ApiError::invalid(
            "lead_user_id",
            "the person creating a project becomes its lead; only API keys name one",
        )),
        (Caller::Key(_), _) if access.key != Some(KeyScope::Write) => Err(ApiError::Forbidden {
            code: "forbidden",
            detail: "A read-only API key cannot create projects.".into(),
        }),
        (Caller::Key(_), lead) => lead.ok_or_else(|| {
            ApiError::invalid("lead_user_id", "required when an API key creates a project")
        }),
    }
}

pub async fn create(
    state: &AppState,
    caller: &Caller,
    org_id: Uuid,
    new: NewProject,
) -> Result<Pending<project::Model>, ApiError> {
    let txn = super::begin_write(&state.db).await?;
    // Any member of the organisation may start a project (and leads it); a write key may too,
    // naming the member who leads it. Others do not see the organisation.
    let access = org_access(&txn, caller, org_id).await?;
    let lead_id = lead_of(caller, &access, new.lead_user_id)?;
    // The lead must still be a member when the project is created beside them.
    orgs::lock_for_update(&txn, org_id).await?;
    if orgs::find_member(&txn, org_id, lead_id).await?.is_none() {
        return Err(match caller {
            Caller::Key(_) => {
                ApiError::invalid("lead_user_id", "must be a member of the organisation")
            }
            Caller::User(_) => super::access::org_not_found(),
        });
    }
    let in_org = Condition::all().add(project::Column::OrgId.eq(org_id));
    within_limit::<project::Entity>(&txn, limits::PROJECTS_PER_ORG, in_org).await?;
    let project = projects::insert_project(&txn, org_id, &new, caller.now())
        .await
        .map_err(|e| super::external_id_taken("project of this organisation", e))?;
    let lead = NewParticipation {
        project_id: project.id,
        user_id: lead_id,
        role: ProjectRole::Staff,
        is_lead: true,
        weekly_quarter_hours: 0,
        responsibility: None,
        joined_at: caller.now(),
    };
    let lead = project_members::insert(&txn, lead).await?;
    record(&txn, caller.actor(), Event::project_created(&project)).await?;
    let event = Event::member_added(Scope::project(&project), &lead);
    record(&txn, caller.actor(), event).await?;
    Ok(Pending::new(txn, project))
}

pub async fn list(
    state: &AppState,
    caller: &Caller,
    filter: ProjectFilter,
    page: PageRequest,
) -> Result<(Vec<project::Model>, bool), ApiError> {
    Ok(projects::list_projects(&state.db, visibility(caller), filter, page).await?)
}

/// The projects `caller` sees: a person's own and their organisations' (as admin); a key's
/// organisation's.
pub fn visibility(caller: &Caller) -> Visibility {
    match caller {
        Caller::User(user) => Visibility::User(user.id),
        Caller::Key(key) => Visibility::Org(key.org_id),
    }
}

pub async fn get(
    state: &AppState,
    caller: &Caller,
    project_id: Uuid,
) -> Result<ProjectAccess, ApiError> {
    project_access(&state.db, caller, project_id).await
}

/// The project after `patch`, or every rule it breaks (dates are checked on the result).
fn apply(before: &project::Model, p: ProjectPatch) -> Result<project::Model, Vec<FieldError>> {
    let mut after = before.clone();
    let m = &mut after;
    if let Some(v) = p.name {
        m.name = v;
    }
    if let Some(v) = p.description {
        m.description = v;
    }
    if let Some(v) = p.system_name {
        m.system_name = v;
    }
    if let Some(v) = p.status {
        m.status = v;
    }
    if let Some(v) = p.start_date {
        m.start_date = v;
    }
    if let Some(v) = p.go_live_date {
        m.go_live_date = v;
    }
    if let Some(v) = p.consultant_exit_date {
        m.consultant_exit_date = v;
    }
    if let Some(v) = p.external_id {
        m.external_id = v;
    }
    if let Some(v) = p.external_source {
        m.external_source = v;
    }
    let mut checks = Checks::default();
    check_dates(
        &mut checks,
        m.start_date,
        m.go_live_date,
        m.consultant_exit_date,
    );
    checks.finish(after)
}

pub async fn update(
    state: &AppState,
    caller: &Caller,
    project_id: Uuid,
    if_match: &IfMatch,
    patch: ProjectPatch,
) -> Result<project::Model, ApiError> {
    let txn = super::begin_write(&state.db).await?;
    let access = project_access(&txn, caller, project_id).await?;
    let access = access.grant::<EditProject>(
        "Only staff leads, organisation admins and write API keys may edit a project.",
    )?;
    if_match.check(access.project.version)?;
    let before = access.into_inner().project;
    let mut after = apply(&before, patch)?;
    after.updated_at = caller.now();
    let closing = after.status == ProjectStatus::Closed && before.status != ProjectStatus::Closed;
    let going_live =
        after.status == ProjectStatus::Hypercare && before.status != ProjectStatus::Hypercare;
    if going_live {
        // Test scripts and runs are written under this lock, so the gate is judged on a
        // state nothing is changing.
        projects::lock_for_update(&txn, before.id).await?;
        let gate = super::readiness::go_live_gate(&txn, before.id).await?;
        if !gate.open {
            return Err(ApiError::GoLiveBlocked {
                blockers: gate.blockers,
            });
        }
    }
    if closing {
        // Milestone creation and new participations wait for this lock and then see `closed`.
        projects::lock_for_update(&txn, before.id).await?;
        let blockers = crate::repo::milestones::blockers(&txn, before.id).await?;
        if !blockers.is_empty() {
            return Err(ApiError::NotClosable { blockers });
        }
    }
    let updated = projects::update_project_if_version(&txn, after, before.version)
        .await
        .map_err(|e| super::external_id_taken("project of this organisation", e))?
        .ok_or(ApiError::PreconditionFailed)?;
    let event = Event::project_updated(&before, &updated);
    record(&txn, caller.actor(), event).await?;
    if closing {
        end_consultants(&txn, caller, &updated).await?;
    }
    txn.commit().await?;
    Ok(updated)
}

/// Closing a project ends every consultant's participation, each recorded.
async fn end_consultants(
    txn: &impl ConnectionTrait,
    caller: &Caller,
    project: &project::Model,
) -> Result<(), ApiError> {
    let ended = project_members::end_consultants(txn, project.id, project.updated_at).await?;
    for p in &ended {
        let reason = Some("project_closed");
        let event = Event::member_removed(Scope::project(project), p.user_id, p.role, reason);
        record(txn, caller.actor(), event).await?;
    }
    let consultants: Vec<Uuid> = ended.iter().map(|p| p.user_id).collect();
    let event = Event::project_closed(project, &consultants);
    Ok(record(txn, caller.actor(), event).await?)
}

pub async fn delete(
    state: &AppState,
    caller: &Caller,
    project_id: Uuid,
    if_match: &IfMatch,
) -> Result<(), ApiError> {
    let txn = super::begin_write(&state.db).await?;
    let access = project_access(&txn, caller, project_id).await?;
    let access = access.grant::<DeleteProject>("Only organisation admins may delete a project.")?;
    if_match.check(access.project.version)?;
    let project = access.into_inner().project;
    if !projects::delete_project_if_version(&txn, project.id, project.version).await? {
        return Err(ApiError::PreconditionFailed);
    }
    // The event keeps the project's id but no foreign key, so the audit trail outlives it.
    record(&txn, caller.actor(), Event::project_deleted(&project)).await?;
    txn.commit().await?;
    Ok(())
}
