//! Organisation API keys: service accounts for integrations (AMS vendors, scripts).
//!
//! A key is `bik_` followed by 256 random bits (base64url), shown once at creation; only its
//! SHA-256 is stored. Keys act for their organisation only, with a `read` or `write` scope, and
//! can never do what only a person may (sign off, mark criteria done, manage members).

use sea_orm::{ColumnTrait, Condition};
use uuid::Uuid;

use super::{
    AppState,
    access::org_admin_person,
    auth::{Caller, KEY_PREFIX},
    within_limit,
};
use crate::{
    domain::integration::NewApiKey,
    domain::limits,
    entity::api_key,
    error::ApiError,
    events::{Event, record},
    repo::{PageRequest, api_keys, orgs},
    secrets::{random_token, sha256_hex},
};

/// Creates a key and returns it with its secret, which is never shown again.
pub async fn create(
    state: &AppState,
    caller: &Caller,
    org_id: Uuid,
    new: NewApiKey,
) -> Result<(api_key::Model, String), ApiError> {
    let person = caller.person()?;
    org_admin_person(&state.db, caller, org_id).await?;
    if new.expires_at.is_some_and(|t| t <= caller.now()) {
        return Err(ApiError::invalid("expires_at", "must be in the future"));
    }
    let secret = random_token(KEY_PREFIX);
    let txn = super::begin_write(&state.db).await?;
    orgs::lock_for_update(&txn, org_id).await?;
    within_limit::<api_key::Entity>(
        &txn,
        limits::API_KEYS_PER_ORG,
        Condition::all()
            .add(api_key::Column::OrgId.eq(org_id))
            .add(api_key::Column::RevokedAt.is_null()),
    )
    .await?;
    let key = api_keys::insert(
        &txn,
        api_keys::NewKey {
            org_id,
            name: new.name,
            scope: new.scope,
            prefix: secret.chars().take(12).collect(),
            created_at: caller.now(),
            key_hash: sha256_hex(&[secret.as_bytes()]),
            created_by: person.id,
            expires_at: new.expires_at,
        },
    )
    .await?;
    record(&txn, caller.actor(), Event::api_key_created(&key)).await?;
    txn.commit().await?;
    Ok((key, secret))
}

pub async fn list(
    state: &AppState,
    caller: &Caller,
    org_id: Uuid,
    page: PageRequest,
) -> Result<(Vec<api_key::Model>, bool), ApiError> {
    org_admin_person(&state.db, caller, org_id).await?;
    Ok(api_keys::list(&state.db, org_id, page).await?)
}

/// Revokes a key; it stops working on the very next request.
pub async fn revoke(
    state: &AppState,
    caller: &Caller,
    org_id: Uuid,
    key_id: Uuid,
) -> Result<(), ApiError> {
    org_admin_person(&state.db, caller, org_id).await?;
    let txn = super::begin_write(&state.db).await?;
    if !api_keys::revoke(&txn, org_id, key_id, caller.now()).await? {
        return Err(ApiError::not_found(
            "api_key_not_found",
            "No such API key in this organisation.",
        ));
    }
    record(&txn, caller.actor(), Event::api_key_revoked(org_id, key_id)).await?;
    txn.commit().await?;
    Ok(())
}
