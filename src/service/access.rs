//! Who may do what, resolved from the database on every request.
//!
//! A lookup that the caller may not see returns 404 (`project_not_found`), exactly as a missing
//! row would, so ids leak nothing. A caller who can see the resource but lacks the right gets 403.

use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::auth::CurrentUser;
use crate::{
    domain::{OrgRole, ProjectRole},
    entity::{org, project},
    error::ApiError,
    repo::{orgs, projects},
};

/// The caller's relationship to one project.
#[derive(Debug, Clone)]
pub struct ProjectAccess {
    pub project: project::Model,
    /// The caller's active participation, if any.
    pub role: Option<ProjectRole>,
    pub is_lead: bool,
    pub org_admin: bool,
}

impl ProjectAccess {
    pub fn is_staff_lead(&self) -> bool {
        self.role == Some(ProjectRole::Staff) && self.is_lead
    }

    /// Edit the project and its members: staff leads and organisation admins.
    pub fn can_manage(&self) -> bool {
        self.is_staff_lead() || self.org_admin
    }

    pub fn require(&self, allowed: bool, detail: &str) -> Result<(), ApiError> {
        if allowed {
            Ok(())
        } else {
            Err(ApiError::Forbidden {
                code: "forbidden",
                detail: detail.to_owned(),
            })
        }
    }
}

pub fn project_not_found() -> ApiError {
    ApiError::not_found(
        "project_not_found",
        "No such project, or it is not visible to you.",
    )
}

pub fn org_not_found() -> ApiError {
    ApiError::not_found(
        "org_not_found",
        "No such organisation, or you are not a member of it.",
    )
}

pub async fn project_access(
    db: &impl ConnectionTrait,
    caller: &CurrentUser,
    project_id: Uuid,
) -> Result<ProjectAccess, ApiError> {
    let found = projects::find_project_for_user(db, project_id, caller.id)
        .await?
        .ok_or_else(project_not_found)?;
    Ok(ProjectAccess {
        project: found.project,
        role: found.member_role,
        is_lead: found.member_is_lead,
        org_admin: found.org_role == Some(OrgRole::Admin),
    })
}

/// The caller's membership of one organisation.
#[derive(Debug, Clone)]
pub struct OrgAccess {
    pub org: org::Model,
    pub role: OrgRole,
}

impl OrgAccess {
    pub fn require_admin(&self) -> Result<(), ApiError> {
        if self.role == OrgRole::Admin {
            Ok(())
        } else {
            Err(ApiError::Forbidden {
                code: "forbidden",
                detail: "Only organisation admins may do this.".into(),
            })
        }
    }
}

pub async fn org_access(
    db: &impl ConnectionTrait,
    caller: &CurrentUser,
    org_id: Uuid,
) -> Result<OrgAccess, ApiError> {
    let (org, role) = orgs::find_org_for_user(db, org_id, caller.id)
        .await?
        .ok_or_else(org_not_found)?;
    Ok(OrgAccess { org, role })
}

/// `If-Match` against the current version: missing → 428, stale → 412. `*` matches any.
pub fn check_if_match(if_match: Option<&str>, version: i32) -> Result<(), ApiError> {
    let header = if_match.ok_or(ApiError::PreconditionRequired)?;
    let current = etag(version);
    let matches = header
        .split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag == current);
    if matches {
        Ok(())
    } else {
        Err(ApiError::PreconditionFailed)
    }
}

/// The strong ETag of a resource version.
pub fn etag(version: i32) -> String {
    format!("\"{version}\"")
}
