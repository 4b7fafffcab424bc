//! Who may do what, resolved from the database on every request.
//!
//! A lookup that the caller may not see returns 404 (`project_not_found`), exactly as a missing
//! row would, so ids leak nothing. A caller who can see the resource but lacks the right gets 403.

use std::marker::PhantomData;

use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::auth::Caller;
use crate::{
    domain::{KeyScope, OrgRole, ProjectRole},
    entity::{org, project},
    error::ApiError,
    events::Scope,
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

    /// Turns this access into proof of `R`, or 403 with `detail`. Service steps that need a
    /// right take the proof, so a forgotten check does not compile.
    pub fn grant<R: Right>(self, detail: &str) -> Result<Granted<R>, ApiError> {
        if R::holds(&self) {
            Ok(Granted {
                access: self,
                right: PhantomData,
            })
        } else {
            Err(forbidden(detail))
        }
    }

    /// The same test as [`Self::grant`], for a right needed only on some paths (the access is
    /// kept for what follows).
    pub fn check<R: Right>(&self, detail: &str) -> Result<(), ApiError> {
        self.require(R::holds(self), detail)
    }

    /// A rule that depends on the row acted on (e.g. "the author or a staff lead"), not on a
    /// right over the project.
    pub fn require(&self, allowed: bool, detail: &str) -> Result<(), ApiError> {
        if allowed {
            Ok(())
        } else {
            Err(forbidden(detail))
        }
    }

    /// Where this project's events are listed.
    pub fn scope(&self) -> Scope {
        Scope::project(&self.project)
    }
}

fn forbidden(detail: &str) -> ApiError {
    ApiError::Forbidden {
        code: "forbidden",
        detail: detail.to_owned(),
    }
}

/// A right over one project (DESIGN.md, "Who may do what").
pub trait Right {
    fn holds(access: &ProjectAccess) -> bool;
}

/// Create and edit milestones, criteria text and time: members and write keys.
pub struct Work;
/// Manage members, delete milestones and criteria: staff leads and organisation admins.
pub struct Manage;
/// Edit the project itself: staff leads, organisation admins and write keys.
pub struct EditProject;
/// Delete the project: organisation admins.
pub struct DeleteProject;
/// Decide for the organisation (mark criteria done): its staff on the project.
pub struct Staff;
/// Decide who inside will own a piece of knowledge (set, change or clear a milestone's
/// `staff_owner_id`): the organisation's staff on the project, or a write key (vendor sync).
pub struct NameOwners;

impl Right for Work {
    fn holds(a: &ProjectAccess) -> bool {
        a.role.is_some() || a.key == Some(KeyScope::Write)
    }
}

impl Right for Manage {
    fn holds(a: &ProjectAccess) -> bool {
        a.is_staff_lead() || a.org_admin
    }
}

impl Right for EditProject {
    fn holds(a: &ProjectAccess) -> bool {
        Manage::holds(a) || a.key == Some(KeyScope::Write)
    }
}

impl Right for DeleteProject {
    fn holds(a: &ProjectAccess) -> bool {
        a.org_admin
    }
}

impl Right for NameOwners {
    fn holds(a: &ProjectAccess) -> bool {
        Staff::holds(a) || a.key == Some(KeyScope::Write)
    }
}

impl Right for Staff {
    fn holds(a: &ProjectAccess) -> bool {
        a.role == Some(ProjectRole::Staff)
    }
}

/// Proof that the caller holds right `R` over [`ProjectAccess::project`]; only
/// [`ProjectAccess::grant`] makes one.
pub struct Granted<R: Right> {
    access: ProjectAccess,
    right: PhantomData<R>,
}

impl<R: Right> std::ops::Deref for Granted<R> {
    type Target = ProjectAccess;
    fn deref(&self) -> &ProjectAccess {
        &self.access
    }
}

impl<R: Right> Granted<R> {
    pub fn into_inner(self) -> ProjectAccess {
        self.access
    }
}

pub type Worker = Granted<Work>;
pub type ProjectManager = Granted<Manage>;
pub type ProjectEditor = Granted<EditProject>;
pub type StaffMember = Granted<Staff>;

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
    /// Proof that the caller administers the organisation (403 otherwise).
    pub fn admin(self) -> Result<OrgAdmin, ApiError> {
        if self.role == Some(OrgRole::Admin) {
            Ok(OrgAdmin(self))
        } else {
            Err(forbidden("Only organisation admins may do this."))
        }
    }
}

/// Proof that the caller is an admin of [`OrgAccess::org`]; only [`OrgAccess::admin`] makes
/// one.
pub struct OrgAdmin(OrgAccess);

impl std::ops::Deref for OrgAdmin {
    type Target = OrgAccess;
    fn deref(&self) -> &OrgAccess {
        &self.0
    }
}

impl OrgAdmin {
    pub fn into_inner(self) -> OrgAccess {
        self.0
    }

    /// Where the organisation's own events are listed.
    pub fn scope(&self) -> Scope {
        Scope::org(self.org.id)
    }
}

/// What only an admin *person* may do (API keys: 403 `person_required`).
pub async fn org_admin_person(
    db: &impl ConnectionTrait,
    caller: &Caller,
    org_id: Uuid,
) -> Result<OrgAdmin, ApiError> {
    caller.person()?;
    org_access(db, caller, org_id).await?.admin()
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
