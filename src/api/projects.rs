//! `/orgs/{org_id}/projects` and `/projects`: projects.

use actix_web::{HttpResponse, delete, get, http::header, patch, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{
    bodies::projects::{CreateProject, UpdateProject},
    common::{IfMatch, Page, envelope, page, text_param},
    common::{Reply, commit},
    extract::{ApiJson, Authenticated},
    idempotency::RequestClaim,
};
use crate::{
    domain::precondition::etag,
    domain::query::ProjectFilter,
    domain::{
        ProjectRole, ProjectStatus,
        project::{NewProject, ProjectPatch},
    },
    entity::project,
    error::{ApiError, Problem},
    service::{AppState, access::ProjectAccess, projects},
};

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create_project)
        .service(list_projects)
        .service(get_project)
        .service(update_project)
        .service(delete_project);
}

#[derive(Serialize, ToSchema)]
pub struct ProjectResponse {
    pub id: Uuid,
    pub org_id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub system_name: Option<String>,
    pub status: ProjectStatus,
    pub start_date: Option<NaiveDate>,
    pub go_live_date: Option<NaiveDate>,
    pub consultant_exit_date: Option<NaiveDate>,
    pub external_id: Option<String>,
    pub external_source: Option<String>,
    /// Send as `If-Match: "<version>"` (the `ETag`) when changing the project.
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The caller's standing in a project, returned with a single project.
#[derive(Serialize, ToSchema)]
pub struct MyAccess {
    /// The caller's side, if they take part.
    pub role: Option<ProjectRole>,
    pub is_lead: bool,
    pub org_admin: bool,
}

#[derive(Serialize, ToSchema)]
pub struct ProjectDetail {
    #[serde(flatten)]
    pub project: ProjectResponse,
    pub my_access: MyAccess,
}

pub fn project_response(p: project::Model) -> ProjectResponse {
    ProjectResponse {
        id: p.id,
        org_id: p.org_id,
        name: p.name,
        description: p.description,
        system_name: p.system_name,
        status: p.status,
        start_date: p.start_date,
        go_live_date: p.go_live_date,
        consultant_exit_date: p.consultant_exit_date,
        external_id: p.external_id,
        external_source: p.external_source,
        version: p.version,
        created_at: p.created_at,
        updated_at: p.updated_at,
    }
}

fn detail(access: ProjectAccess) -> ProjectDetail {
    ProjectDetail {
        my_access: MyAccess {
            role: access.role,
            is_lead: access.is_lead,
            org_admin: access.org_admin,
        },
        project: project_response(access.project),
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ProjectListQuery {
    pub org_id: Option<Uuid>,
    pub status: Option<ProjectStatus>,
    /// With `external_id`: find a project by a vendor's id.
    pub external_source: Option<String>,
    pub external_id: Option<String>,
    /// Only rows changed at or after this instant (RFC 3339, e.g. `2026-12-01T00:00:00Z`): what
    /// a vendor syncs since its last run.
    pub updated_since: Option<DateTime<Utc>>,
    /// 1 to 100 (default 50).
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Start a project in an organisation (any member); the caller becomes its first staff lead.
#[utoipa::path(
    tag = "projects",
    security(("bearer" = [])),
    params(("org_id" = Uuid, Path)),
    request_body = CreateProject,
    responses(
        (status = 201, description = "Created.", body = ProjectResponse,
            headers(("Location" = String, description = "The new project."), ("ETag" = String, description = "Its version."))),
        (status = 409, description = "`external_id_taken`: another project of the organisation has this `external_source` and `external_id`.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field breaks a rule.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/orgs/{org_id}/projects")]
async fn create_project(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    claim: RequestClaim,
    path: web::Path<Uuid>,
    ApiJson(body): ApiJson<CreateProject>,
) -> Result<HttpResponse, ApiError> {
    let new = NewProject::try_from(body)?;
    let project = projects::create(&state, &caller, path.into_inner(), new).await?;
    let created = project.value();
    let reply =
        Reply::created(format!("/api/v1/projects/{}", created.id)).with_etag(created.version);
    commit(project, &claim, reply, project_response).await
}

/// The projects the caller can see: those they take part in, and every project of the
/// organisations they administer.
#[utoipa::path(
    tag = "projects",
    security(("bearer" = [])),
    params(ProjectListQuery),
    responses((status = 200, description = "One page, oldest first.", body = Page<ProjectResponse>))
)]
#[get("/projects")]
async fn list_projects(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    query: web::Query<ProjectListQuery>,
) -> Result<web::Json<Page<ProjectResponse>>, ApiError> {
    let query = query.into_inner();
    let request = page("projects", query.limit, query.cursor.as_deref())?;
    let filter = ProjectFilter {
        org_id: query.org_id,
        status: query.status,
        external_source: text_param("external_source", query.external_source)?,
        external_id: text_param("external_id", query.external_id)?,
        updated_since: query.updated_since,
    };
    let rows = projects::list(&state, &caller, filter, request).await?;
    Ok(web::Json(envelope(
        "projects",
        rows,
        |p| p.id,
        project_response,
    )))
}

/// One project, with the caller's access to it.
#[utoipa::path(
    tag = "projects",
    security(("bearer" = [])),
    params(("project_id" = Uuid, Path)),
    responses((status = 200, description = "The project.", body = ProjectDetail,
        headers(("ETag" = String, description = "Its version, for `If-Match`."))))
)]
#[get("/projects/{project_id}")]
async fn get_project(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let access = projects::get(&state, &caller, path.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(access.project.version)))
        .json(detail(access)))
}

/// Edit a project (staff leads and organisation admins; `If-Match` required). Setting
/// `status: closed` ends every consultant's participation.
#[utoipa::path(
    tag = "projects",
    security(("bearer" = [])),
    params(("project_id" = Uuid, Path), ("If-Match" = String, Header, description = "The project's ETag.")),
    request_body = UpdateProject,
    responses(
        (status = 200, description = "Updated.", body = ProjectResponse, headers(("ETag" = String, description = "The new version."))),
        (status = 403, description = "Not a staff lead or organisation admin.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The change conflicts with the project's state (e.g. closing with milestones open), or `external_id_taken`.", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The project changed since you read it.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field breaks a rule.", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "`If-Match` is missing.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/projects/{project_id}")]
async fn update_project(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    path: web::Path<Uuid>,
    if_match: IfMatch,
    ApiJson(body): ApiJson<UpdateProject>,
) -> Result<HttpResponse, ApiError> {
    let patch = ProjectPatch::try_from(body)?;
    let project = projects::update(&state, &caller, path.into_inner(), &if_match, patch).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(project.version)))
        .json(project_response(project)))
}

/// Delete a project (organisation admins; `If-Match` required). Its events remain in the
/// organisation's log.
#[utoipa::path(
    tag = "projects",
    security(("bearer" = [])),
    params(("project_id" = Uuid, Path), ("If-Match" = String, Header, description = "The project's ETag.")),
    responses(
        (status = 204, description = "Deleted."),
        (status = 403, description = "Not an organisation admin.", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The project changed since you read it.", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "`If-Match` is missing.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/projects/{project_id}")]
async fn delete_project(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    path: web::Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    projects::delete(&state, &caller, path.into_inner(), &if_match).await?;
    Ok(HttpResponse::NoContent().finish())
}
