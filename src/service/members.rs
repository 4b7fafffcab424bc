//! Project participation: who works on a project, on which side, with what commitment.
//!
//! The rules (DESIGN.md): staff ⇔ member of the project's organisation, consultant ⇔ not; only
//! staff can lead; a project always keeps an active staff lead; one active participation per
//! user per project; weekly hours 0–80 in quarter hours.

use sea_orm::{ColumnTrait, Condition, ConnectionTrait, SqlErr};
use uuid::Uuid;

use super::{
    AppState,
    access::{Manage, ProjectManager, Right, Work, project_access, project_not_found},
    auth::Caller,
    idempotency::Pending,
    within_limit,
};
use crate::{
    domain::{
        Email, ProjectRole, ProjectStatus,
        away::Away,
        limits,
        member::{NewParticipant, Participant, ParticipantPatch},
        precondition::IfMatch,
        query::{MemberFilter, PageRequest},
    },
    entity::{project_member, user},
    error::ApiError,
    events::{Event, record},
    repo::{
        orgs,
        project_members::{self, NewParticipation},
        projects, users,
    },
};

const MANAGERS_ONLY: &str = "Only staff leads and organisation admins may manage members.";

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
    filter: MemberFilter,
    page: PageRequest,
) -> Result<(Vec<(project_member::Model, user::Model)>, bool), ApiError> {
    project_access(&state.db, caller, project_id).await?;
    Ok(project_members::list(&state.db, project_id, filter, page).await?)
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

/// 422 unless `role` is the side `user_id` must be on in this project: staff for members of
/// its organisation, consultant for everyone else.
async fn check_side(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    user_id: Uuid,
    role: ProjectRole,
) -> Result<(), ApiError> {
    let member_of_org = orgs::find_member(db, org_id, user_id).await?.is_some();
    match (member_of_org, role) {
        (true, ProjectRole::Consultant) => Err(ApiError::invalid(
            "role",
            "this user is a member of the project's organisation, so they join as staff",
        )),
        (false, ProjectRole::Staff) => Err(ApiError::invalid(
            "role",
            "this user is not a member of the project's organisation, so they can only join as a consultant",
        )),
        _ => Ok(()),
    }
}

pub async fn add(
    state: &AppState,
    caller: &Caller,
    project_id: Uuid,
    new: NewParticipant,
) -> Result<Pending<(project_member::Model, user::Model)>, ApiError> {
    let txn = super::begin_write(&state.db).await?;
    let access = project_access(&txn, caller, project_id).await?;
    let access = access.grant::<Manage>(MANAGERS_ONLY)?;
    let status = lock_participations(&txn, &access).await?;
    if status == ProjectStatus::Closed && new.role == ProjectRole::Consultant {
        return Err(ApiError::conflict(
            "project_closed",
            "The project is closed: its consultants have left, and none can join.",
        ));
    }
    let active = Condition::all()
        .add(project_member::Column::ProjectId.eq(project_id))
        .add(project_member::Column::LeftAt.is_null());
    within_limit::<project_member::Entity>(&txn, limits::MEMBERS_PER_PROJECT, active).await?;
    let org_id = access.project.org_id;
    let user = resolve_participant(&txn, org_id, &new.who).await?;
    check_side(&txn, org_id, user.id, new.role).await?;
    if project_members::find_active(&txn, project_id, user.id)
        .await?
        .is_some()
    {
        return Err(already_member());
    }
    let participation = NewParticipation {
        project_id,
        user_id: user.id,
        role: new.role,
        is_lead: new.is_lead,
        weekly_quarter_hours: new.weekly_quarter_hours,
        responsibility: new.responsibility,
        joined_at: caller.now(),
    };
    let member = project_members::insert(&txn, participation)
        .await
        .map_err(|err| match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => already_member(),
            _ => err.into(),
        })?;
    let event = Event::member_added(access.scope(), &member);
    record(&txn, caller.actor(), event).await?;
    Ok(Pending::new(txn, (member, user)))
}

/// Resolves whom to add: by account id, or by email among the people the organisation knows (its
/// members, and anyone who has taken part in one of its projects). An email nobody there knows
/// gets the same 422 whether or not an account has it, so adding by email tells nobody which
/// emails have accounts; newcomers are invited to the organisation, or added by account id.
async fn resolve_participant(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    who: &Participant,
) -> Result<user::Model, ApiError> {
    match who {
        Participant::Email(email) => {
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
        Participant::Id(id) => users::find_by_id(db, *id)
            .await?
            .ok_or_else(|| ApiError::invalid("user_id", "no account has this id")),
    }
}

/// Takes the organisation's membership lock, then the project's, and returns the project's
/// status under them: the role rule reads the organisation's members and the lead rule the
/// project's participations, so both must hold still until the commit.
async fn lock_participations(
    txn: &impl ConnectionTrait,
    access: &ProjectManager,
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
    if_match: &IfMatch,
    patch: ParticipantPatch,
) -> Result<(project_member::Model, user::Model), ApiError> {
    let txn = super::begin_write(&state.db).await?;
    let access = project_access(&txn, caller, project_id).await?;
    // A member may set their own away periods (and nothing else of their participation); the
    // lead rule and the role rule are not touched, so no lock is needed for it.
    let own_leave =
        caller.user_id() == Some(user_id) && patch.only_away() && !Manage::holds(&access);
    let scope = if own_leave {
        access.grant::<Work>(MANAGERS_ONLY)?.scope()
    } else {
        let manager = access.grant::<Manage>(MANAGERS_ONLY)?;
        lock_participations(&txn, &manager).await?;
        manager.scope()
    };
    let (before, user) = project_members::find_active(&txn, project_id, user_id)
        .await?
        .ok_or_else(member_not_found)?;
    if let Some(away) = patch.away.as_ref().filter(|_| own_leave) {
        let recorded = Away::from_stored(&before.away);
        let today = caller.today();
        let rewrites_the_past = away
            .added_since(&recorded)
            .chain(away.removed_since(&recorded))
            .any(|p| p.from < today);
        if rewrites_the_past {
            return Err(ApiError::Forbidden {
                code: "forbidden",
                detail: "No one excuses their own past: only a staff lead or an organisation admin may record an away period that starts before today.".into(),
            });
        }
    }
    // The body is checked before the version, so a client fixes its input first (422), then
    // learns whether its copy is current (412).
    if patch.is_lead == Some(true) && before.role != ProjectRole::Staff {
        return Err(ApiError::invalid("is_lead", "only staff can be leads"));
    }
    if_match.check(before.version)?;
    let after = project_member::Model {
        is_lead: patch.is_lead.unwrap_or(before.is_lead),
        weekly_quarter_hours: patch
            .weekly_quarter_hours
            .unwrap_or(before.weekly_quarter_hours),
        responsibility: patch
            .responsibility
            .unwrap_or(before.responsibility.clone()),
        away: patch.away.map_or(before.away.clone(), |a| a.to_stored()),
        ..before.clone()
    };
    if before.is_lead
        && !after.is_lead
        && project_members::count_active_leads(&txn, project_id).await? <= 1
    {
        return Err(last_lead());
    }
    let updated = project_members::update_if_version(&txn, after, before.version, caller.now())
        .await?
        .ok_or(ApiError::PreconditionFailed)?;
    let event = Event::member_updated(scope, &before, &updated);
    record(&txn, caller.actor(), event).await?;
    txn.commit().await?;
    Ok((updated, user))
}

/// Ends a participation; the row stays, with `left_at`, for history and metrics.
pub async fn remove(
    state: &AppState,
    caller: &Caller,
    project_id: Uuid,
    user_id: Uuid,
    if_match: &IfMatch,
) -> Result<(), ApiError> {
    let txn = super::begin_write(&state.db).await?;
    let access = project_access(&txn, caller, project_id).await?;
    let access = access.grant::<Manage>(MANAGERS_ONLY)?;
    lock_participations(&txn, &access).await?;
    let (before, _) = project_members::find_active(&txn, project_id, user_id)
        .await?
        .ok_or_else(member_not_found)?;
    if_match.check(before.version)?;
    if before.is_lead && project_members::count_active_leads(&txn, project_id).await? <= 1 {
        return Err(last_lead());
    }
    let ended = project_member::Model {
        left_at: Some(caller.now()),
        ..before.clone()
    };
    project_members::update_if_version(&txn, ended, before.version, caller.now())
        .await?
        .ok_or(ApiError::PreconditionFailed)?;
    record(
        &txn,
        caller.actor(),
        Event::member_removed(access.scope(), user_id, before.role, None),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
