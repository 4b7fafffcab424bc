//! Project participation: who works on a project, on which side, with what commitment.
//!
//! The rules (DESIGN.md): staff ⇔ member of the project's organisation, consultant ⇔ not; only
//! staff can lead; a project always keeps an active staff lead; one active participation per
//! user per project; weekly hours 0–80 in quarter hours.

use sea_orm::{ColumnTrait, Condition, ConnectionTrait, SqlErr, TransactionTrait};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    AppState,
    access::{ProjectAccess, check_if_match, project_access, project_not_found},
    auth::Caller,
    idempotency::Pending,
    projects::nullable,
    within_limit,
};
use crate::{
    domain::{Email, ProjectRole, ProjectStatus, limits, text},
    entity::{project_member, user},
    error::{ApiError, FieldError},
    events::{Event, Scope, record},
    repo::{
        PageRequest, orgs,
        project_members::{self, NewParticipation},
        projects, users,
    },
};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddProjectMember {
    /// The account to add, by email…
    #[schema(example = "carol@consulting.example")]
    pub email: Option<String>,
    /// …or by id (exactly one of the two).
    pub user_id: Option<Uuid>,
    /// `staff` for members of the project's organisation, `consultant` for everyone else.
    pub role: ProjectRole,
    /// Only staff can lead.
    #[serde(default)]
    pub is_lead: bool,
    /// Committed hours per week, 0 to 80 in quarter hours.
    #[schema(example = 8.0, minimum = 0, maximum = 80, multiple_of = 0.25)]
    pub weekly_hours: Option<f64>,
    #[schema(example = "Membership renewals")]
    pub responsibility: Option<String>,
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct UpdateProjectMember {
    pub is_lead: Option<bool>,
    /// Committed hours per week, 0 to 80 in quarter hours.
    #[schema(example = 7.5, minimum = 0, maximum = 80, multiple_of = 0.25)]
    pub weekly_hours: Option<f64>,
    /// `null` clears it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub responsibility: Option<Option<String>>,
}

fn manage_rule(access: &ProjectAccess) -> Result<(), ApiError> {
    access.require(
        access.can_manage(),
        "Only staff leads and organisation admins may manage members.",
    )
}

fn last_lead() -> ApiError {
    ApiError::conflict(
        "last_staff_lead",
        "A project must keep at least one active staff lead.",
    )
}

fn member_not_found() -> ApiError {
    ApiError::not_found(
        "member_not_found",
        "This user is not an active member of the project.",
    )
}

pub async fn list(
    state: &AppState,
    caller: &Caller,
    project_id: Uuid,
    include_former: bool,
    page: PageRequest,
) -> Result<(Vec<(project_member::Model, user::Model)>, bool), ApiError> {
    project_access(&state.db, caller, project_id).await?;
    Ok(project_members::list(&state.db, project_id, include_former, page).await?)
}

pub async fn get(
    state: &AppState,
    caller: &Caller,
    project_id: Uuid,
    user_id: Uuid,
) -> Result<(project_member::Model, user::Model), ApiError> {
    project_access(&state.db, caller, project_id).await?;
    project_members::find_active(&state.db, project_id, user_id)
        .await?
        .ok_or_else(member_not_found)
}

/// The side a user must be on in this project, from their organisation membership.
async fn required_role(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    user_id: Uuid,
) -> Result<ProjectRole, ApiError> {
    Ok(match orgs::find_member(db, org_id, user_id).await? {
        Some(_) => ProjectRole::Staff,
        None => ProjectRole::Consultant,
    })
}

pub async fn add(
    state: &AppState,
    caller: &Caller,
    project_id: Uuid,
    input: AddProjectMember,
) -> Result<Pending<(project_member::Model, user::Model)>, ApiError> {
    let access = project_access(&state.db, caller, project_id).await?;
    manage_rule(&access)?;
    let mut errors = Vec::new();
    let weekly_quarter_hours = match input.weekly_hours.map(text::weekly_quarter_hours) {
        None => 0,
        Some(Ok(q)) => q,
        Some(Err(e)) => {
            errors.push(e);
            0
        }
    };
    let responsibility = text::optional("responsibility", input.responsibility.as_deref(), 500)
        .unwrap_or_else(|e| {
            errors.push(e);
            None
        });
    if input.is_lead && input.role != ProjectRole::Staff {
        errors.push(FieldError::new("is_lead", "only staff can be leads"));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }

    let txn = state.db.begin().await?;
    let status = lock_participations(&txn, &access).await?;
    if status == ProjectStatus::Closed && input.role == ProjectRole::Consultant {
        return Err(ApiError::conflict(
            "project_closed",
            "The project is closed: its consultants have left, and none can join.",
        ));
    }
    within_limit::<project_member::Entity>(
        &txn,
        limits::MEMBERS_PER_PROJECT,
        Condition::all()
            .add(project_member::Column::ProjectId.eq(project_id))
            .add(project_member::Column::LeftAt.is_null()),
    )
    .await?;
    let user = resolve_participant(
        &txn,
        access.project.org_id,
        input.email.as_deref(),
        input.user_id,
    )
    .await?;
    let required = required_role(&txn, access.project.org_id, user.id).await?;
    if input.role != required {
        let message = match required {
            ProjectRole::Staff => {
                "this user is a member of the project's organisation, so they join as staff"
            }
            ProjectRole::Consultant => {
                "this user is not a member of the project's organisation, so they can only join as a consultant"
            }
        };
        return Err(ApiError::invalid("role", message));
    }
    if project_members::find_active(&txn, project_id, user.id)
        .await?
        .is_some()
    {
        return Err(already_member());
    }
    let member = project_members::insert(
        &txn,
        NewParticipation {
            project_id,
            user_id: user.id,
            role: input.role,
            is_lead: input.is_lead,
            weekly_quarter_hours,
            responsibility,
        },
    )
    .await
    .map_err(|err| match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => already_member(),
        _ => err.into(),
    })?;
    record(
        &txn,
        caller.actor(),
        Event::member_added(Scope::project(&access.project), &member),
    )
    .await?;
    Ok(Pending::new(txn, (member, user)))
}

/// Resolves whom to add: by account id, or by email among the people the organisation knows (its
/// members, and anyone who has taken part in one of its projects). An email nobody there knows
/// gets the same 422 whether or not an account has it, so adding by email tells nobody which
/// emails have accounts; newcomers are invited to the organisation, or added by account id.
async fn resolve_participant(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    email: Option<&str>,
    user_id: Option<Uuid>,
) -> Result<user::Model, ApiError> {
    match (email, user_id) {
        (Some(email), None) => {
            let unknown = || {
                ApiError::invalid(
                    "email",
                    "nobody this organisation knows has this email: add them by account id, or invite them to the organisation",
                )
            };
            let user = users::find_by_email(db, &Email::normalise(email))
                .await?
                .ok_or_else(unknown)?;
            let known = orgs::find_member(db, org_id, user.id).await?.is_some()
                || project_members::ever_in_org(db, org_id, user.id).await?;
            known.then_some(user).ok_or_else(unknown)
        }
        (None, Some(id)) => users::find_by_id(db, id)
            .await?
            .ok_or_else(|| ApiError::invalid("user_id", "no account has this id")),
        _ => Err(ApiError::Validation(vec![FieldError::new(
            "email",
            "give exactly one of `email` and `user_id`",
        )])),
    }
}

/// Takes the organisation's membership lock, then the project's, and returns the project's
/// status under them: the role rule reads the organisation's members and the lead rule the
/// project's participations, so both must hold still until the commit.
async fn lock_participations(
    txn: &impl ConnectionTrait,
    access: &ProjectAccess,
) -> Result<ProjectStatus, ApiError> {
    orgs::lock_for_update(txn, access.project.org_id).await?;
    projects::lock_for_update(txn, access.project.id)
        .await?
        .ok_or_else(project_not_found)
}

fn already_member() -> ApiError {
    ApiError::conflict(
        "already_member",
        "This user already takes part in the project.",
    )
}

pub async fn update(
    state: &AppState,
    caller: &Caller,
    project_id: Uuid,
    user_id: Uuid,
    if_match: Option<&str>,
    input: UpdateProjectMember,
) -> Result<(project_member::Model, user::Model), ApiError> {
    let access = project_access(&state.db, caller, project_id).await?;
    manage_rule(&access)?;
    let txn = state.db.begin().await?;
    lock_participations(&txn, &access).await?;
    let (before, user) = project_members::find_active(&txn, project_id, user_id)
        .await?
        .ok_or_else(member_not_found)?;

    // The body is checked before the version, so a client fixes its input first (422), then
    // learns whether its copy is current (412).
    let mut errors = Vec::new();
    let mut after = before.clone();
    if let Some(hours) = input.weekly_hours {
        match text::weekly_quarter_hours(hours) {
            Ok(q) => after.weekly_quarter_hours = q,
            Err(e) => errors.push(e),
        }
    }
    if let Some(responsibility) = &input.responsibility {
        match text::optional("responsibility", responsibility.as_deref(), 500) {
            Ok(r) => after.responsibility = r,
            Err(e) => errors.push(e),
        }
    }
    if let Some(is_lead) = input.is_lead {
        if is_lead && before.role != ProjectRole::Staff {
            errors.push(FieldError::new("is_lead", "only staff can be leads"));
        }
        after.is_lead = is_lead;
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    check_if_match(if_match, before.version)?;
    if before.is_lead
        && !after.is_lead
        && project_members::count_active_leads(&txn, project_id).await? <= 1
    {
        return Err(last_lead());
    }
    let updated = project_members::update_if_version(&txn, after, before.version)
        .await?
        .ok_or(ApiError::PreconditionFailed)?;
    record(
        &txn,
        caller.actor(),
        Event::member_updated(Scope::project(&access.project), &before, &updated),
    )
    .await?;
    txn.commit().await?;
    Ok((updated, user))
}

/// Ends a participation; the row stays, with `left_at`, for history and metrics.
pub async fn remove(
    state: &AppState,
    caller: &Caller,
    project_id: Uuid,
    user_id: Uuid,
    if_match: Option<&str>,
) -> Result<(), ApiError> {
    let access = project_access(&state.db, caller, project_id).await?;
    manage_rule(&access)?;
    let txn = state.db.begin().await?;
    lock_participations(&txn, &access).await?;
    let (before, _) = project_members::find_active(&txn, project_id, user_id)
        .await?
        .ok_or_else(member_not_found)?;
    check_if_match(if_match, before.version)?;
    if before.is_lead && project_members::count_active_leads(&txn, project_id).await? <= 1 {
        return Err(last_lead());
    }
    let ended = project_member::Model {
        left_at: Some(chrono::Utc::now()),
        ..before.clone()
    };
    project_members::update_if_version(&txn, ended, before.version)
        .await?
        .ok_or(ApiError::PreconditionFailed)?;
    record(
        &txn,
        caller.actor(),
        Event::member_removed(Scope::project(&access.project), user_id, before.role, None),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
