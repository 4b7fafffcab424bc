//! Organisations and their members.

use sea_orm::{ColumnTrait, Condition, SqlErr};
use uuid::Uuid;

use super::{
    AppState,
    access::{OrgAccess, org_access},
    auth::Caller,
    idempotency::Pending,
    within_limit,
};
use crate::{
    domain::{
        OrgRole, ProjectRole, limits,
        org::{Invitation, NewOrg, OrgPatch},
        text,
    },
    entity::{org, org_invitation, org_member, project, user},
    error::ApiError,
    events::{Event, Scope, record},
    repo::{
        PageRequest,
        invitations::{self},
        orgs, project_members, projects, users,
    },
};

fn slug_taken() -> ApiError {
    ApiError::conflict("slug_taken", "Another organisation already uses this slug.")
}

fn map_slug_conflict(err: sea_orm::DbErr) -> ApiError {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => slug_taken(),
        _ => err.into(),
    }
}

pub async fn create(
    state: &AppState,
    caller: &Caller,
    new: NewOrg,
) -> Result<Pending<org::Model>, ApiError> {
    let person = caller.person()?;
    let name = new.name;
    let txn = super::begin_write(&state.db).await?;
    within_limit::<org_member::Entity>(
        &txn,
        limits::ORGS_PER_USER,
        Condition::all().add(org_member::Column::UserId.eq(person.id)),
    )
    .await?;
    let slug = match new.slug {
        Some(slug) => {
            if orgs::slug_exists(&txn, &slug).await? {
                return Err(slug_taken());
            }
            slug
        }
        None => {
            // A name's slug, or the first free one with a random suffix.
            let base = text::slugify(&name);
            let mut candidate = base.clone();
            let mut attempts = 0;
            while orgs::slug_exists(&txn, &candidate).await? {
                attempts += 1;
                if attempts > 8 {
                    return Err(slug_taken());
                }
                let suffix = crate::secrets::hex(&crate::secrets::random_bytes::<4>());
                candidate = format!("{base}-{suffix}");
            }
            candidate
        }
    };
    let org = orgs::insert_org(&txn, name, slug, caller.now())
        .await
        .map_err(map_slug_conflict)?;
    orgs::insert_member(&txn, org.id, person.id, OrgRole::Admin, caller.now()).await?;
    record(&txn, caller.actor(), Event::org_created(&org)).await?;
    record(
        &txn,
        caller.actor(),
        Event::org_member_added(org.id, person.id, OrgRole::Admin, None),
    )
    .await?;
    Ok(Pending::new(txn, org))
}

/// The caller's organisations; an API key sees its own.
pub async fn list(
    state: &AppState,
    caller: &Caller,
    page: PageRequest,
) -> Result<(Vec<(org::Model, Option<OrgRole>)>, bool), ApiError> {
    match caller {
        Caller::User(user) => {
            let (rows, more) = orgs::list_orgs_for_user(&state.db, user.id, page).await?;
            Ok((rows.into_iter().map(|(o, r)| (o, Some(r))).collect(), more))
        }
        Caller::Key(key) => {
            let org = orgs::find_org(&state.db, key.org_id).await?;
            let visible = org.filter(|o| page.after.is_none_or(|after| o.id > after));
            Ok((visible.into_iter().map(|o| (o, None)).collect(), false))
        }
    }
}

/// The organisation, for its members and keys; and its name and slug for a person who takes
/// part in one of its projects without being a member (a consultant sees whom they work for:
/// `role` is `None`, and nothing else of the organisation opens to them).
pub async fn get(state: &AppState, caller: &Caller, org_id: Uuid) -> Result<OrgAccess, ApiError> {
    let denied = match org_access(&state.db, caller, org_id).await {
        Err(denied @ ApiError::NotFound { .. }) => denied,
        member_or_other => return member_or_other,
    };
    let Some(user_id) = caller.user_id() else {
        return Err(denied);
    };
    if !project_members::active_in_org(&state.db, org_id, user_id).await? {
        return Err(denied);
    }
    let org = orgs::find_org(&state.db, org_id).await?.ok_or(denied)?;
    Ok(OrgAccess {
        org,
        role: None,
        key: None,
    })
}

pub async fn update(
    state: &AppState,
    caller: &Caller,
    org_id: Uuid,
    patch: OrgPatch,
) -> Result<OrgAccess, ApiError> {
    let txn = super::begin_write(&state.db).await?;
    let access = org_access(&txn, caller, org_id)
        .await?
        .admin()?
        .into_inner();
    let name = patch.name.unwrap_or_else(|| access.org.name.clone());
    let slug = patch.slug.unwrap_or_else(|| access.org.slug.clone());
    if slug != access.org.slug && orgs::slug_exists(&txn, &slug).await? {
        return Err(slug_taken());
    }
    let before = access.org.clone();
    let org = orgs::update_org(&txn, access.org, name, slug, caller.now())
        .await
        .map_err(map_slug_conflict)?;
    record(&txn, caller.actor(), Event::org_updated(&before, &org)).await?;
    txn.commit().await?;
    Ok(OrgAccess { org, ..access })
}

pub async fn list_members(
    state: &AppState,
    caller: &Caller,
    org_id: Uuid,
    page: PageRequest,
) -> Result<(Vec<(org_member::Model, user::Model)>, bool), ApiError> {
    org_access(&state.db, caller, org_id).await?;
    Ok(orgs::list_members(&state.db, org_id, page).await?)
}

fn project_names(projects: &[project::Model]) -> String {
    projects
        .iter()
        .map(|p| format!("\"{}\"", p.name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Invites someone to the organisation (admins): by email, or by account id. Joining is theirs to
/// accept, so nobody becomes staff of an organisation without deciding to, and the answer is the
/// same whether or not an account has the email (it names no account). Inviting again returns
/// the pending invitation.
pub async fn invite(
    state: &AppState,
    caller: &Caller,
    org_id: Uuid,
    Invitation { invitee, role }: Invitation,
) -> Result<Pending<org_invitation::Model>, ApiError> {
    let txn = super::begin_write(&state.db).await?;
    org_access(&txn, caller, org_id).await?.admin()?;
    orgs::lock_for_update(&txn, org_id).await?;
    // Members are listed to admins already: saying so tells them nothing new.
    if orgs::is_member(&txn, org_id, &invitee).await? {
        return Err(already_member());
    }
    if let Some(pending) = invitations::find_for(&txn, org_id, &invitee).await? {
        return Ok(Pending::new(txn, pending));
    }
    within_limit::<org_invitation::Entity>(
        &txn,
        limits::INVITATIONS_PER_ORG,
        Condition::all().add(org_invitation::Column::OrgId.eq(org_id)),
    )
    .await?;
    let invitation =
        invitations::insert(&txn, org_id, invitee, role, caller.user_id(), caller.now())
            .await
            .map_err(|err| match err.sql_err() {
                Some(SqlErr::UniqueConstraintViolation(_)) => ApiError::conflict(
                    "idempotency_in_progress",
                    "This person is being invited concurrently; retry shortly.",
                ),
                _ => err.into(),
            })?;
    record(&txn, caller.actor(), Event::org_member_invited(&invitation)).await?;
    Ok(Pending::new(txn, invitation))
}

fn already_member() -> ApiError {
    ApiError::conflict(
        "already_member",
        "This user is already a member of the organisation.",
    )
}

fn invitation_not_found() -> ApiError {
    ApiError::not_found(
        "invitation_not_found",
        "There is no such invitation for you.",
    )
}

/// Accepts an invitation addressed to the caller (by their id or email): they become a member
/// with the invited role, under the same rules as ever (staff are exactly the members, so an
/// active consultant on the organisation's projects must leave those first).
pub async fn accept_invitation(
    state: &AppState,
    caller: &Caller,
    invitation_id: Uuid,
) -> Result<Pending<(org_member::Model, user::Model)>, ApiError> {
    let person = caller.person()?;
    let txn = super::begin_write(&state.db).await?;
    let invitation = invitations::find_addressed_to(&txn, invitation_id, person.id, &person.email)
        .await?
        .ok_or_else(invitation_not_found)?;
    let org_id = invitation.org_id;
    orgs::lock_for_update(&txn, org_id).await?;
    if orgs::find_member(&txn, org_id, person.id).await?.is_some() {
        return Err(already_member());
    }
    within_limit::<org_member::Entity>(
        &txn,
        limits::MEMBERS_PER_ORG,
        Condition::all().add(org_member::Column::OrgId.eq(org_id)),
    )
    .await?;
    within_limit::<org_member::Entity>(
        &txn,
        limits::ORGS_PER_USER,
        Condition::all().add(org_member::Column::UserId.eq(person.id)),
    )
    .await?;
    // Staff are exactly the organisation's members: someone consulting on its projects must
    // leave those participations before joining, or they would be counted on both sides.
    let consulting = projects::projects_consulted_by(&txn, org_id, person.id).await?;
    if !consulting.is_empty() {
        return Err(ApiError::conflict(
            "active_consultant",
            format!(
                "You are an active consultant on {}; leave those projects first.",
                project_names(&consulting)
            ),
        ));
    }
    let member =
        orgs::insert_member(&txn, org_id, person.id, invitation.role, caller.now()).await?;
    invitations::delete(&txn, invitation.id).await?;
    record(
        &txn,
        caller.actor(),
        Event::org_member_added(org_id, person.id, invitation.role, Some(invitation.id)),
    )
    .await?;
    let user = users::find_by_id(&txn, person.id)
        .await?
        .ok_or(ApiError::Unauthorized(
            crate::error::AuthFailure::InvalidToken,
        ))?;
    Ok(Pending::new(txn, (member, user)))
}

/// Declines an invitation addressed to the caller.
pub async fn decline_invitation(
    state: &AppState,
    caller: &Caller,
    invitation_id: Uuid,
) -> Result<(), ApiError> {
    let person = caller.person()?;
    let txn = super::begin_write(&state.db).await?;
    let invitation = invitations::find_addressed_to(&txn, invitation_id, person.id, &person.email)
        .await?
        .ok_or_else(invitation_not_found)?;
    invitations::delete(&txn, invitation.id).await?;
    record(
        &txn,
        caller.actor(),
        Event::org_invitation_declined(&invitation),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The invitations addressed to the caller, with their organisations.
pub async fn my_invitations(
    state: &AppState,
    caller: &Caller,
    page: PageRequest,
) -> Result<(Vec<(org_invitation::Model, org::Model)>, bool), ApiError> {
    let person = caller.person()?;
    Ok(invitations::list_for_user(&state.db, person.id, &person.email, page).await?)
}

/// The organisation's pending invitations (admins).
pub async fn list_invitations(
    state: &AppState,
    caller: &Caller,
    org_id: Uuid,
    page: PageRequest,
) -> Result<(Vec<org_invitation::Model>, bool), ApiError> {
    org_access(&state.db, caller, org_id).await?.admin()?;
    Ok(invitations::list_for_org(&state.db, org_id, page).await?)
}

/// Withdraws a pending invitation (admins).
pub async fn revoke_invitation(
    state: &AppState,
    caller: &Caller,
    org_id: Uuid,
    invitation_id: Uuid,
) -> Result<(), ApiError> {
    org_access(&state.db, caller, org_id).await?.admin()?;
    let txn = super::begin_write(&state.db).await?;
    let invitation = invitations::find_in_org(&txn, org_id, invitation_id)
        .await?
        .ok_or_else(|| {
            ApiError::not_found("invitation_not_found", "There is no such invitation.")
        })?;
    invitations::delete(&txn, invitation.id).await?;
    record(
        &txn,
        caller.actor(),
        Event::org_invitation_revoked(&invitation),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

fn last_admin() -> ApiError {
    ApiError::conflict(
        "last_admin",
        "An organisation must keep at least one admin.",
    )
}

fn member_not_found() -> ApiError {
    ApiError::not_found(
        "member_not_found",
        "This user is not a member of the organisation.",
    )
}

pub async fn update_member(
    state: &AppState,
    caller: &Caller,
    org_id: Uuid,
    user_id: Uuid,
    role: OrgRole,
) -> Result<(org_member::Model, user::Model), ApiError> {
    org_access(&state.db, caller, org_id).await?.admin()?;
    let txn = super::begin_write(&state.db).await?;
    orgs::lock_for_update(&txn, org_id).await?;
    let (member, user) = orgs::find_member(&txn, org_id, user_id)
        .await?
        .ok_or_else(member_not_found)?;
    if member.role == role {
        return Ok((member, user));
    }
    if !orgs::update_member_role(&txn, org_id, user_id, role).await? {
        return Err(last_admin());
    }
    record(
        &txn,
        caller.actor(),
        Event::org_member_updated(org_id, user_id, member.role, role),
    )
    .await?;
    txn.commit().await?;
    Ok((org_member::Model { role, ..member }, user))
}

/// Removes someone from the organisation, ending their staff participations. Refused when it
/// would leave the organisation without an admin or a project without a staff lead.
pub async fn remove_member(
    state: &AppState,
    caller: &Caller,
    org_id: Uuid,
    user_id: Uuid,
) -> Result<(), ApiError> {
    org_access(&state.db, caller, org_id).await?.admin()?;
    let txn = super::begin_write(&state.db).await?;
    orgs::lock_for_update(&txn, org_id).await?;
    orgs::find_member(&txn, org_id, user_id)
        .await?
        .ok_or_else(member_not_found)?;
    let orphaned = projects::projects_led_only_by(&txn, org_id, user_id).await?;
    if !orphaned.is_empty() {
        return Err(ApiError::conflict(
            "last_staff_lead",
            format!(
                "This user is the only staff lead of {}; name another lead first.",
                project_names(&orphaned)
            ),
        ));
    }
    if !orgs::delete_member(&txn, org_id, user_id).await? {
        return Err(last_admin());
    }
    let ended =
        project_members::end_in_org(&txn, org_id, user_id, ProjectRole::Staff, caller.now())
            .await?;
    for participation in &ended {
        record(
            &txn,
            caller.actor(),
            Event::member_removed(
                Scope::in_project(org_id, participation.project_id),
                user_id,
                participation.role,
                Some("left_organisation"),
            ),
        )
        .await?;
    }
    record(
        &txn,
        caller.actor(),
        Event::org_member_removed(org_id, user_id),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

pub async fn get_member(
    state: &AppState,
    caller: &Caller,
    org_id: Uuid,
    user_id: Uuid,
) -> Result<(org_member::Model, user::Model), ApiError> {
    org_access(&state.db, caller, org_id).await?;
    orgs::find_member(&state.db, org_id, user_id)
        .await?
        .ok_or_else(member_not_found)
}
