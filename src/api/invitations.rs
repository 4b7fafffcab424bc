//! Invitations to join an organisation: an admin's list (`/orgs/{org_id}/invitations`) and the
//! invitee's (`/me/invitations`), where they are accepted or declined.

use actix_web::{HttpResponse, delete, get, post, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    common::{Page, Reply, commit, envelope, page},
    extract::Authenticated,
    idempotency::RequestClaim,
    orgs::{ListQuery, OrgMemberResponse, member_response},
};
use crate::{
    domain::OrgRole,
    entity::{org, org_invitation},
    error::{ApiError, Problem},
    service::{AppState, orgs},
};

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_org_invitations)
        .service(revoke_invitation)
        .service(my_invitations)
        .service(accept_invitation)
        .service(decline_invitation);
}

/// An invitation to join an organisation. It names whom the admin named (an email or an account
/// id), never an account the admin did not name.
#[derive(Serialize, ToSchema)]
pub struct InvitationResponse {
    pub id: Uuid,
    pub org_id: Uuid,
    /// The email invited, when invited by email.
    pub email: Option<String>,
    /// The account invited, when invited by id.
    pub user_id: Option<Uuid>,
    pub role: OrgRole,
    pub invited_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

pub fn invitation_response(i: org_invitation::Model) -> InvitationResponse {
    InvitationResponse {
        id: i.id,
        org_id: i.org_id,
        email: i.email,
        user_id: i.user_id,
        role: i.role,
        invited_by: i.invited_by,
        created_at: i.created_at,
    }
}

/// An invitation addressed to you, with the organisation it is to.
#[derive(Serialize, ToSchema)]
pub struct MyInvitationResponse {
    #[serde(flatten)]
    pub invitation: InvitationResponse,
    pub org_name: String,
    pub org_slug: String,
}

fn my_invitation_response((i, o): (org_invitation::Model, org::Model)) -> MyInvitationResponse {
    MyInvitationResponse {
        invitation: invitation_response(i),
        org_name: o.name,
        org_slug: o.slug,
    }
}

type InvitationPath = web::Path<(Uuid, Uuid)>;

/// The organisation's pending invitations (admins).
#[utoipa::path(
    tag = "organisations",
    security(("bearer" = [])),
    params(("org_id" = Uuid, Path), ListQuery),
    responses(
        (status = 200, description = "One page, oldest first.", body = Page<InvitationResponse>),
        (status = 403, description = "Not an admin.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/orgs/{org_id}/invitations")]
async fn list_org_invitations(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    path: web::Path<Uuid>,
    query: web::Query<ListQuery>,
) -> Result<web::Json<Page<InvitationResponse>>, ApiError> {
    let request = page("org_invitations", query.limit, query.cursor.as_deref())?;
    let rows = orgs::list_invitations(&state, &caller, path.into_inner(), request).await?;
    Ok(web::Json(envelope(
        "org_invitations",
        rows,
        |i| i.id,
        invitation_response,
    )))
}

/// Withdraw a pending invitation (admins).
#[utoipa::path(
    tag = "organisations",
    security(("bearer" = [])),
    params(("org_id" = Uuid, Path), ("invitation_id" = Uuid, Path)),
    responses(
        (status = 204, description = "Withdrawn."),
        (status = 403, description = "Not an admin.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/orgs/{org_id}/invitations/{invitation_id}")]
async fn revoke_invitation(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    path: InvitationPath,
) -> Result<HttpResponse, ApiError> {
    let (org_id, invitation_id) = path.into_inner();
    orgs::revoke_invitation(&state, &caller, org_id, invitation_id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The invitations addressed to you (by your account or your email).
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    params(ListQuery),
    responses(
        (status = 200, description = "One page, oldest first.", body = Page<MyInvitationResponse>),
        (status = 403, description = "An API key has no invitations.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/me/invitations")]
async fn my_invitations(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    query: web::Query<ListQuery>,
) -> Result<web::Json<Page<MyInvitationResponse>>, ApiError> {
    let request = page("my_invitations", query.limit, query.cursor.as_deref())?;
    let rows = orgs::my_invitations(&state, &caller, request).await?;
    Ok(web::Json(envelope(
        "my_invitations",
        rows,
        |(i, _)| i.id,
        my_invitation_response,
    )))
}

/// Accept an invitation: you become a member of the organisation, with the invited role.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    params(("invitation_id" = Uuid, Path)),
    responses(
        (status = 201, description = "You are a member.", body = OrgMemberResponse,
            headers(("Location" = String, description = "Your membership."))),
        (status = 403, description = "An API key cannot accept.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already a member, an active consultant on the organisation's projects, or a limit is reached.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/me/invitations/{invitation_id}/accept")]
async fn accept_invitation(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    claim: RequestClaim,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let joined = orgs::accept_invitation(&state, &caller, path.into_inner()).await?;
    let (member, user) = joined.value();
    let reply = Reply::created(format!(
        "/api/v1/orgs/{}/members/{}",
        member.org_id, user.id
    ));
    commit(joined, &claim, reply, member_response).await
}

/// Decline an invitation.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    params(("invitation_id" = Uuid, Path)),
    responses(
        (status = 204, description = "Declined."),
        (status = 403, description = "An API key has no invitations.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/me/invitations/{invitation_id}")]
async fn decline_invitation(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    orgs::decline_invitation(&state, &caller, path.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}
