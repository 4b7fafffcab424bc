//! `/projects/{project_id}/members`: who takes part, on which side.

use actix_web::{HttpResponse, delete, get, http::header, patch, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{
    bodies::members::{AddProjectMember, UpdateProjectMember},
    common::{IfMatch, Page, envelope, page},
    common::{Reply, commit},
    extract::{ApiJson, Authenticated},
    idempotency::RequestClaim,
};
use crate::{
    domain::precondition::etag,
    domain::{
        ProjectRole,
        away::{Away, AwayPeriod},
        member::{NewParticipant, ParticipantPatch},
        query::MemberFilter,
    },
    entity::{project_member, user},
    error::{ApiError, Problem},
    service::{AppState, members},
};

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_members)
        .service(add_member)
        .service(get_member)
        .service(update_member)
        .service(remove_member);
}

#[derive(Serialize, ToSchema)]
pub struct ProjectMemberResponse {
    pub user_id: Uuid,
    pub display_name: String,
    pub email: String,
    pub role: ProjectRole,
    pub is_lead: bool,
    /// Committed hours per week.
    #[schema(example = 7.5)]
    pub weekly_hours: f64,
    pub responsibility: Option<String>,
    /// Periods of leave, in date order (see the update body).
    pub away: Vec<AwayPeriod>,
    pub joined_at: DateTime<Utc>,
    /// Set when the participation ended.
    pub left_at: Option<DateTime<Utc>>,
    /// The last change: joining, an edit or the end.
    pub updated_at: DateTime<Utc>,
    /// Send as `If-Match: "<version>"` when changing or removing the member.
    pub version: i32,
}

fn member_response((m, u): (project_member::Model, user::Model)) -> ProjectMemberResponse {
    ProjectMemberResponse {
        user_id: u.id,
        display_name: u.display_name,
        email: u.email,
        role: m.role,
        is_lead: m.is_lead,
        weekly_hours: f64::from(m.weekly_quarter_hours) / 4.0,
        responsibility: m.responsibility,
        away: Away::from_stored(&m.away).periods().to_vec(),
        joined_at: m.joined_at,
        left_at: m.left_at,
        updated_at: m.updated_at,
        version: m.version,
    }
}

fn with_etag(
    mut res: actix_web::HttpResponseBuilder,
    member: (project_member::Model, user::Model),
) -> HttpResponse {
    res.insert_header((header::ETAG, etag(member.0.version)))
        .json(member_response(member))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MemberListQuery {
    /// Also list those whose participation ended.
    #[serde(default)]
    pub include_former: bool,
    /// Only rows changed at or after this instant (RFC 3339, e.g. `2026-12-01T00:00:00Z`): what
    /// a vendor syncs since its last run.
    pub updated_since: Option<DateTime<Utc>>,
    /// 1 to 100 (default 50).
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The project's members (active ones unless `include_former=true`).
#[utoipa::path(
    operation_id = "list_project_members",
    tag = "project members",
    security(("bearer" = [])),
    params(("project_id" = Uuid, Path), MemberListQuery),
    responses((status = 200, description = "One page.", body = Page<ProjectMemberResponse>))
)]
#[get("/projects/{project_id}/members")]
async fn list_members(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    path: web::Path<Uuid>,
    query: web::Query<MemberListQuery>,
) -> Result<web::Json<Page<ProjectMemberResponse>>, ApiError> {
    let request = page("project_members", query.limit, query.cursor.as_deref())?;
    let rows = members::list(
        &state,
        &caller,
        path.into_inner(),
        MemberFilter {
            include_former: query.include_former,
            updated_since: query.updated_since,
        },
        request,
    )
    .await?;
    Ok(web::Json(envelope(
        "project_members",
        rows,
        |(m, _)| m.id,
        member_response,
    )))
}

/// Add someone to the project (staff leads and organisation admins): members of the
/// organisation as `staff`, anyone else as `consultant`.
#[utoipa::path(
    operation_id = "add_project_member",
    tag = "project members",
    security(("bearer" = [])),
    params(("project_id" = Uuid, Path)),
    request_body = AddProjectMember,
    responses(
        (status = 201, description = "Added.", body = ProjectMemberResponse,
            headers(("Location" = String, description = "The participation."), ("ETag" = String, description = "Its version."))),
        (status = 403, description = "Not a staff lead or organisation admin.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already an active member.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No such account, the wrong side, a consultant as lead, or hours out of range.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/projects/{project_id}/members")]
async fn add_member(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    claim: RequestClaim,
    path: web::Path<Uuid>,
    ApiJson(body): ApiJson<AddProjectMember>,
) -> Result<HttpResponse, ApiError> {
    let project_id = path.into_inner();
    let new = NewParticipant::try_from(body)?;
    let added = members::add(&state, &caller, project_id, new).await?;
    let (member, user) = added.value();
    let reply = Reply::created(format!("/api/v1/projects/{project_id}/members/{}", user.id))
        .with_etag(member.version);
    commit(added, &claim, reply, member_response).await
}

/// One active member.
#[utoipa::path(
    operation_id = "get_project_member",
    tag = "project members",
    security(("bearer" = [])),
    params(("project_id" = Uuid, Path), ("user_id" = Uuid, Path)),
    responses((status = 200, description = "The participation.", body = ProjectMemberResponse,
        headers(("ETag" = String, description = "Its version, for `If-Match`."))))
)]
#[get("/projects/{project_id}/members/{user_id}")]
async fn get_member(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (project_id, user_id) = path.into_inner();
    let member = members::get(&state, &caller, project_id, user_id).await?;
    Ok(with_etag(HttpResponse::Ok(), member))
}

/// Change a member's lead flag, weekly hours or responsibility (staff leads and organisation
/// admins; `If-Match` required). The last active staff lead cannot be demoted.
#[utoipa::path(
    operation_id = "update_project_member",
    tag = "project members",
    security(("bearer" = [])),
    params(("project_id" = Uuid, Path), ("user_id" = Uuid, Path), ("If-Match" = String, Header, description = "The member's ETag.")),
    request_body = UpdateProjectMember,
    responses(
        (status = 200, description = "Updated.", body = ProjectMemberResponse, headers(("ETag" = String, description = "The new version."))),
        (status = 403, description = "Not a staff lead or organisation admin.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "It would leave the project without a staff lead.", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The member changed since you read it.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field breaks a rule.", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "`If-Match` is missing.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/projects/{project_id}/members/{user_id}")]
async fn update_member(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    path: web::Path<(Uuid, Uuid)>,
    if_match: IfMatch,
    ApiJson(body): ApiJson<UpdateProjectMember>,
) -> Result<HttpResponse, ApiError> {
    let (project_id, user_id) = path.into_inner();
    let patch = ParticipantPatch::try_from(body)?;
    let updated = members::update(&state, &caller, project_id, user_id, &if_match, patch).await?;
    Ok(with_etag(HttpResponse::Ok(), updated))
}

/// End a participation (staff leads and organisation admins; `If-Match` required). History is
/// kept. The last active staff lead cannot leave.
#[utoipa::path(
    operation_id = "remove_project_member",
    tag = "project members",
    security(("bearer" = [])),
    params(("project_id" = Uuid, Path), ("user_id" = Uuid, Path), ("If-Match" = String, Header, description = "The member's ETag.")),
    responses(
        (status = 204, description = "The participation ended."),
        (status = 403, description = "Not a staff lead or organisation admin.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "It would leave the project without a staff lead.", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The member changed since you read it.", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "`If-Match` is missing.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/projects/{project_id}/members/{user_id}")]
async fn remove_member(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    path: web::Path<(Uuid, Uuid)>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let (project_id, user_id) = path.into_inner();
    members::remove(&state, &caller, project_id, user_id, &if_match).await?;
    Ok(HttpResponse::NoContent().finish())
}
