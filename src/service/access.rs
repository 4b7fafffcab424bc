//! Who may do what, resolved from the database on every request.
//!
//! A lookup that the caller may not see returns 404 (`project_not_found`), exactly as a missing
//! row would, so ids leak nothing. A caller who can see the resource but lacks the right gets 403.

use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::auth::Caller;
use crate::{
    domain::{KeyScope, OrgRole, ProjectRole},
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
    /// An admin of the project's organisation (a person).
    pub org_admin: bool,
    /// Set when the caller is an API key of the project's organisation.
    pub key: Option<KeyScope>,
}

impl ProjectAccess {
    pub fn is_staff_lead(&self) -> bool {
        self.role == Some(ProjectRole::Staff) && self.is_lead
    }

    /// Manage members, delete milestones and criteria: staff leads and organisation admins.
    pub fn can_manage(&self) -> bool {
        self.is_staff_lead() || self.org_admin
    }

    /// Edit the project itself: staff leads, organisation admins and write keys.
    pub fn can_edit_project(&self) -> bool {
        self.can_manage() || self.key == Some(KeyScope::Write)
    }

    /// Create and edit milestones and criteria text: members and write keys.
    pub fn can_work(&self) -> bool {
        self.role.is_some() || self.key == Some(KeyScope::Write)
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
    caller: &Caller,
    project_id: Uuid,
) -> Result<ProjectAccess, ApiError> {
    match caller {
        Caller::User(user) => {
            let found = projects::find_project_for_user(db, project_id, user.id)
                .await?
                .ok_or_else(project_not_found)?;
            Ok(ProjectAccess {
                project: found.project,
                role: found.member_role,
                is_lead: found.member_is_lead,
                org_admin: found.org_role == Some(OrgRole::Admin),
                key: None,
            })
        }
        Caller::Key(key) => {
            let project = projects::find_in_org(db, project_id, key.org_id)
                .await?
                .ok_or_else(project_not_found)?;
            Ok(ProjectAccess {
                project,
                role: None,
                is_lead: false,
                org_admin: false,
                key: Some(key.scope),
            })
        }
    }
}

/// The caller's membership of one organisation.
#[derive(Debug, Clone)]
pub struct OrgAccess {
    pub org: org::Model,
    /// The caller's role, when the caller is a person.
    pub role: Option<OrgRole>,
    /// Set when the caller is one of the organisation's API keys.
    pub key: Option<KeyScope>,
}

impl OrgAccess {
    pub fn require_admin(&self) -> Result<(), ApiError> {
        if self.role == Some(OrgRole::Admin) {
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
    caller: &Caller,
    org_id: Uuid,
) -> Result<OrgAccess, ApiError> {
    match caller {
        Caller::User(user) => {
            let (org, role) = orgs::find_org_for_user(db, org_id, user.id)
                .await?
                .ok_or_else(org_not_found)?;
            Ok(OrgAccess {
                org,
                role: Some(role),
                key: None,
            })
        }
        Caller::Key(key) if key.org_id == org_id => {
            let org = orgs::find_org(db, org_id)
                .await?
                .ok_or_else(org_not_found)?;
            Ok(OrgAccess {
                org,
                role: None,
                key: Some(key.scope),
            })
        }
        Caller::Key(_) => Err(org_not_found()),
    }
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
