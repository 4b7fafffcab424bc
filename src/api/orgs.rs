//! `/orgs`: organisations, their members and their event log.

use actix_web::{HttpResponse, delete, get, http::StatusCode, patch, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{
    bodies::orgs::{AddOrgMember, CreateOrg, UpdateOrg, UpdateOrgMember},
    common::{Page, envelope, page},
    common::{Reply, commit},
    extract::{ApiJson, Authenticated},
    idempotency::RequestClaim,
    invitations::{InvitationResponse, invitation_response},
};
use crate::{
    domain::OrgRole,
    domain::org::{Invitation, NewOrg, OrgPatch},
    entity::{org, org_member, user},
    error::{ApiError, Problem},
    service::{AppState, orgs},
};

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create_org)
        .service(list_orgs)
        .service(get_org)
        .service(update_org)
        .service(list_members)
        .service(add_member)
        .service(get_member)
        .service(update_member)
        .service(remove_member);
}

#[derive(Serialize, ToSchema)]
pub struct OrgResponse {
    pub id: Uuid,
    pub name: String,
    pub slug: String,
    /// The caller's role in this organisation (null for an API key, and for someone who takes
    /// part in one of its projects without being a member).
    pub my_role: Option<OrgRole>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn org_response(org: org::Model, my_role: Option<OrgRole>) -> OrgResponse {
    OrgResponse {
        id: org.id,
        name: org.name,
        slug: org.slug,
        my_role,
        version: org.version,
        created_at: org.created_at,
        updated_at: org.updated_at,
    }
}

#[derive(Serialize, ToSchema)]
pub struct OrgMemberResponse {
    pub user_id: Uuid,
    pub display_name: String,
    pub email: String,
    pub role: OrgRole,
    pub joined_at: DateTime<Utc>,
}

pub fn member_response((member, user): (org_member::Model, user::Model)) -> OrgMemberResponse {
    OrgMemberResponse {
        user_id: user.id,
        display_name: user.display_name,
        email: user.email,
        role: member.role,
        joined_at: member.created_at,
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// 1 to 100 (default 50).
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Create an organisation; the caller becomes its admin.
#[utoipa::path(
    tag = "organisations",
    security(("bearer" = [])),
    request_body = CreateOrg,
    responses(
        (status = 201, description = "Created.", body = OrgResponse,
            headers(("Location" = String, description = "The new organisation."))),
        (status = 409, description = "The slug is taken.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field breaks a rule.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/orgs")]
async fn create_org(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    claim: RequestClaim,
    ApiJson(body): ApiJson<CreateOrg>,
) -> Result<HttpResponse, ApiError> {
    let org = orgs::create(&state, &caller, NewOrg::try_from(body)?).await?;
    let reply = Reply::created(format!("/api/v1/orgs/{}", org.value().id));
    commit(org, &claim, reply, |org| {
        org_response(org, Some(OrgRole::Admin))
    })
    .await
}

/// The organisations the caller is a member of.
#[utoipa::path(
    tag = "organisations",
    security(("bearer" = [])),
    params(ListQuery),
    responses((status = 200, description = "One page.", body = Page<OrgResponse>))
)]
#[get("/orgs")]
async fn list_orgs(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    query: web::Query<ListQuery>,
) -> Result<web::Json<Page<OrgResponse>>, ApiError> {
    let request = page("orgs", query.limit, query.cursor.as_deref())?;
    let rows = orgs::list(&state, &caller, request).await?;
    Ok(web::Json(envelope(
        "orgs",
        rows,
        |(o, _)| o.id,
        |(o, r)| org_response(o, r),
    )))
}

/// One organisation: for its members and API keys, and — its name and slug, with `my_role`
/// null — for anyone taking part in one of its projects (a consultant sees whom they work
/// for; its members, invitations, keys, webhooks and events stay closed to them).
#[utoipa::path(
    tag = "organisations",
    security(("bearer" = [])),
    params(("org_id" = Uuid, Path)),
    responses((status = 200, description = "The organisation.", body = OrgResponse))
)]
#[get("/orgs/{org_id}")]
async fn get_org(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    path: web::Path<Uuid>,
) -> Result<web::Json<OrgResponse>, ApiError> {
    let access = orgs::get(&state, &caller, path.into_inner()).await?;
    Ok(web::Json(org_response(access.org, access.role)))
}

/// Rename an organisation or change its slug (admins).
#[utoipa::path(
    tag = "organisations",
    security(("bearer" = [])),
    params(("org_id" = Uuid, Path)),
    request_body = UpdateOrg,
    responses(
        (status = 200, description = "Updated.", body = OrgResponse),
        (status = 403, description = "Not an admin.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The slug is taken.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field breaks a rule.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/orgs/{org_id}")]
async fn update_org(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    path: web::Path<Uuid>,
    ApiJson(body): ApiJson<UpdateOrg>,
) -> Result<web::Json<OrgResponse>, ApiError> {
    let patch = OrgPatch::try_from(body)?;
    let access = orgs::update(&state, &caller, path.into_inner(), patch).await?;
    Ok(web::Json(org_response(access.org, access.role)))
}

/// The organisation's members: its staff (members only).
#[utoipa::path(
    operation_id = "list_org_members",
    tag = "organisations",
    security(("bearer" = [])),
    params(("org_id" = Uuid, Path), ListQuery),
    responses((status = 200, description = "One page.", body = Page<OrgMemberResponse>))
)]
#[get("/orgs/{org_id}/members")]
async fn list_members(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    path: web::Path<Uuid>,
    query: web::Query<ListQuery>,
) -> Result<web::Json<Page<OrgMemberResponse>>, ApiError> {
    let request = page("org_members", query.limit, query.cursor.as_deref())?;
    let rows = orgs::list_members(&state, &caller, path.into_inner(), request).await?;
    Ok(web::Json(envelope(
        "org_members",
        rows,
        |(m, _)| m.user_id,
        member_response,
    )))
}

/// Invite someone to the organisation (admins), by email or by account id.
///
/// They join when they accept (`POST /me/invitations/{invitation_id}/accept`): nobody becomes
/// an organisation's staff without deciding to. The answer is the same whether or not an account
/// has the email, so it tells nobody who has an account. Inviting again returns the pending
/// invitation.
#[utoipa::path(
    operation_id = "add_org_member",
    tag = "organisations",
    security(("bearer" = [])),
    params(("org_id" = Uuid, Path)),
    request_body = AddOrgMember,
    responses(
        (status = 202, description = "Invited; they join when they accept.", body = InvitationResponse,
            headers(("Location" = String, description = "The invitation."))),
        (status = 403, description = "Not an admin.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already a member, or the organisation's invitation limit is reached.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not exactly one of `email` and `user_id`, or a malformed email.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/orgs/{org_id}/members")]
async fn add_member(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    claim: RequestClaim,
    path: web::Path<Uuid>,
    ApiJson(body): ApiJson<AddOrgMember>,
) -> Result<HttpResponse, ApiError> {
    let org_id = path.into_inner();
    let invited = orgs::invite(&state, &caller, org_id, Invitation::try_from(body)?).await?;
    let reply = Reply {
        location: Some(format!(
            "/api/v1/orgs/{org_id}/invitations/{}",
            invited.value().id
        )),
        ..Reply::new(StatusCode::ACCEPTED)
    };
    commit(invited, &claim, reply, invitation_response).await
}

/// One member of the organisation (members only).
#[utoipa::path(
    operation_id = "get_org_member",
    tag = "organisations",
    security(("bearer" = [])),
    params(("org_id" = Uuid, Path), ("user_id" = Uuid, Path)),
    responses((status = 200, description = "The membership.", body = OrgMemberResponse))
)]
#[get("/orgs/{org_id}/members/{user_id}")]
async fn get_member(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<web::Json<OrgMemberResponse>, ApiError> {
    let (org_id, user_id) = path.into_inner();
    Ok(web::Json(member_response(
        orgs::get_member(&state, &caller, org_id, user_id).await?,
    )))
}

/// Change a member's role (admins). The last admin cannot be demoted.
#[utoipa::path(
    operation_id = "update_org_member",
    tag = "organisations",
    security(("bearer" = [])),
    params(("org_id" = Uuid, Path), ("user_id" = Uuid, Path)),
    request_body = UpdateOrgMember,
    responses(
        (status = 200, description = "Updated.", body = OrgMemberResponse),
        (status = 403, description = "Not an admin.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "It would leave the organisation without an admin.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/orgs/{org_id}/members/{user_id}")]
async fn update_member(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    path: web::Path<(Uuid, Uuid)>,
    ApiJson(body): ApiJson<UpdateOrgMember>,
) -> Result<web::Json<OrgMemberResponse>, ApiError> {
    let (org_id, user_id) = path.into_inner();
    let updated = orgs::update_member(&state, &caller, org_id, user_id, body.role).await?;
    Ok(web::Json(member_response(updated)))
}

/// Remove someone from the organisation (admins). Ends their staff participations.
#[utoipa::path(
    operation_id = "remove_org_member",
    tag = "organisations",
    security(("bearer" = [])),
    params(("org_id" = Uuid, Path), ("user_id" = Uuid, Path)),
    responses(
        (status = 204, description = "Removed."),
        (status = 403, description = "Not an admin.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The last admin, or the only staff lead of a project (named in `detail`).", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/orgs/{org_id}/members/{user_id}")]
async fn remove_member(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (org_id, user_id) = path.into_inner();
    orgs::remove_member(&state, &caller, org_id, user_id).await?;
    Ok(HttpResponse::NoContent().finish())
}
