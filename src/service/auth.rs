//! Accounts, login, token refresh and logout.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{SqlErr, TransactionTrait};
use uuid::Uuid;

use super::{AppState, tokens};
use crate::{
    domain::{DisplayName, Email, KeyScope, Password},
    entity::user,
    error::{ApiError, AuthFailure, FieldError},
    repo::{sessions, users},
};

/// Consecutive failures allowed before an account is throttled.
pub const FREE_FAILED_LOGINS: i32 = 5;
const FIRST_LOCKOUT: Duration = Duration::from_secs(30);
const MAX_LOCKOUT: Duration = Duration::from_secs(15 * 60);
/// Absolute lifetime of a session, however often it is refreshed.
const SESSION_LIFETIME: chrono::Duration = chrono::Duration::days(30);

/// The authenticated caller of a request, resolved from the database.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub created_at: DateTime<Utc>,
    pub session_id: Uuid,
}

/// An organisation API key acting for its organisation.
#[derive(Debug, Clone)]
pub struct KeyCaller {
    pub key_id: Uuid,
    pub org_id: Uuid,
    pub scope: KeyScope,
}

/// Whoever makes a request: a person, or an organisation's API key.
#[derive(Debug, Clone)]
pub enum Caller {
    User(CurrentUser),
    Key(KeyCaller),
}

impl Caller {
    pub fn user_id(&self) -> Option<Uuid> {
        match self {
            Caller::User(user) => Some(user.id),
            Caller::Key(_) => None,
        }
    }

    pub fn key(&self) -> Option<&KeyCaller> {
        match self {
            Caller::User(_) => None,
            Caller::Key(key) => Some(key),
        }
    }

    /// The person making the request; API keys get 403 for what only people do.
    pub fn person(&self) -> Result<&CurrentUser, ApiError> {
        match self {
            Caller::User(user) => Ok(user),
            Caller::Key(_) => Err(ApiError::Forbidden {
                code: "person_required",
                detail: "Only a person can do this, not an API key.".into(),
            }),
        }
    }

    /// A stable name for per-caller records (idempotency keys).
    pub fn principal(&self) -> String {
        match self {
            Caller::User(user) => format!("user:{}", user.id),
            Caller::Key(key) => format!("key:{}", key.key_id),
        }
    }
}

pub struct RegisterInput {
    pub email: String,
    pub password: String,
    pub display_name: String,
}

pub struct TokenPair {
    pub access_token: String,
    pub expires_in: u64,
    pub refresh_token: String,
}

pub async fn register(state: &AppState, input: RegisterInput) -> Result<user::Model, ApiError> {
    let email = Email::parse(&input.email);
    let display_name = DisplayName::parse(&input.display_name);
    let password = Password::parse(input.password);
    let (email, display_name, password) = match (email, display_name, password) {
        (Ok(e), Ok(d), Ok(p)) => (e, d, p),
        (e, d, p) => {
            let errors: Vec<FieldError> =
                [e.err(), d.err(), p.err()].into_iter().flatten().collect();
            return Err(ApiError::Validation(errors));
        }
    };
    let password_hash = state.passwords.hash(password.expose()).await?;
    let new = users::NewUser {
        email: email.into_inner(),
        display_name: display_name.into_inner(),
        password_hash,
    };
    users::insert_user(&state.db, new)
        .await
        .map_err(|err| match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => {
                ApiError::conflict("email_taken", "An account with this email already exists.")
            }
            _ => err.into(),
        })
}

/// How long an account stays throttled after `failures` consecutive failed logins.
pub fn lockout_after(failures: i32) -> Option<Duration> {
    let beyond = u32::try_from(failures.checked_sub(FREE_FAILED_LOGINS)?).ok()?;
    let doubling = 2u32.saturating_pow(beyond.min(16));
    Some(FIRST_LOCKOUT.saturating_mul(doubling).min(MAX_LOCKOUT))
}

pub async fn login(state: &AppState, email: &str, password: &str) -> Result<TokenPair, ApiError> {
    if password.len() > Password::MAX_BYTES {
        return Err(ApiError::invalid("password", "must be at most 1024 bytes"));
    }
    let account = users::find_by_email(&state.db, &Email::normalise(email)).await?;
    let now = Utc::now();
    if let Some(locked_until) = account.as_ref().and_then(|a| a.locked_until)
        && locked_until > now
    {
        let wait = (locked_until - now).num_milliseconds().max(0) as u64;
        return Err(ApiError::TooManyRequests {
            retry_after_secs: wait.div_ceil(1000),
        });
    }
    let hash = account.as_ref().map(|a| a.password_hash.as_str());
    let verified = state.passwords.verify(password, hash).await?;
    let account = match account {
        Some(account) if verified && account.disabled_at.is_none() => account,
        Some(account) => {
            let failures = users::record_failed_login(&state.db, account.id).await?;
            if let Some(lockout) = lockout_after(failures) {
                let until =
                    Utc::now() + chrono::Duration::from_std(lockout).map_err(ApiError::internal)?;
                users::update_locked_until(&state.db, account.id, until).await?;
            }
            return Err(ApiError::Unauthorized(AuthFailure::InvalidCredentials));
        }
        None => return Err(ApiError::Unauthorized(AuthFailure::InvalidCredentials)),
    };

    let txn = state.db.begin().await?;
    if account.failed_logins > 0 || account.locked_until.is_some() {
        users::reset_failed_logins(&txn, account.id).await?;
    }
    let session = sessions::insert_session(&txn, account.id, now + SESSION_LIFETIME).await?;
    let (refresh_token, refresh_hash) = tokens::new_refresh_token();
    sessions::insert_refresh_token(&txn, session.id, refresh_hash).await?;
    txn.commit().await?;
    token_pair(state, account.id, session.id, refresh_token)
}

fn token_pair(
    state: &AppState,
    user_id: Uuid,
    session_id: Uuid,
    refresh_token: String,
) -> Result<TokenPair, ApiError> {
    Ok(TokenPair {
        access_token: state.tokens.issue_access_token(user_id, session_id)?,
        expires_in: state.tokens.access_ttl().as_secs(),
        refresh_token,
    })
}

/// Rotates a refresh token. Presenting one that was already rotated means it leaked (or a
/// client replayed it): the whole session is revoked.
pub async fn refresh(state: &AppState, refresh_token: &str) -> Result<TokenPair, ApiError> {
    let invalid = ApiError::Unauthorized(AuthFailure::InvalidRefreshToken);
    let hash = tokens::hash_refresh_token(refresh_token);
    let txn = state.db.begin().await?;
    let Some((token, session, user)) = sessions::find_refresh_token(&txn, &hash).await? else {
        return Err(invalid);
    };
    if session.revoked_at.is_some()
        || session.expires_at <= Utc::now()
        || user.disabled_at.is_some()
    {
        return Err(invalid);
    }
    if token.used_at.is_some() || !sessions::mark_refresh_token_used(&txn, &hash).await? {
        sessions::revoke_session(&txn, session.id, "refresh_token_reuse").await?;
        txn.commit().await?;
        tracing::warn!(session_id = %session.id, "rotated refresh token presented again; session revoked");
        return Err(invalid);
    }
    let (new_token, new_hash) = tokens::new_refresh_token();
    sessions::insert_refresh_token(&txn, session.id, new_hash).await?;
    txn.commit().await?;
    token_pair(state, user.id, session.id, new_token)
}

/// Ends the session the refresh token belongs to. Logging out an already-ended session is not
/// an error; an unknown token is.
pub async fn logout(state: &AppState, refresh_token: &str) -> Result<(), ApiError> {
    let hash = tokens::hash_refresh_token(refresh_token);
    let Some((_, session, _)) = sessions::find_refresh_token(&state.db, &hash).await? else {
        return Err(ApiError::Unauthorized(AuthFailure::InvalidRefreshToken));
    };
    sessions::revoke_session(&state.db, session.id, "logout").await?;
    Ok(())
}

/// Resolves a bearer credential to the caller: an API key (`bik_…`) or an access token, each
/// checked in the database on every request, so revocation and logout take effect at once.
pub async fn authenticate(state: &AppState, bearer: &str) -> Result<Caller, ApiError> {
    if bearer.starts_with(super::api_keys::KEY_PREFIX) {
        return super::api_keys::authenticate(state, bearer)
            .await
            .map(Caller::Key);
    }
    authenticate_user(state, bearer).await.map(Caller::User)
}

async fn authenticate_user(state: &AppState, bearer: &str) -> Result<CurrentUser, ApiError> {
    let claims = state.tokens.verify_access_token(bearer)?;
    let user = sessions::find_live_session_user(&state.db, claims.sid, claims.sub, Utc::now())
        .await?
        .ok_or(ApiError::Unauthorized(AuthFailure::InvalidToken))?;
    Ok(CurrentUser {
        id: user.id,
        email: user.email,
        display_name: user.display_name,
        created_at: user.created_at,
        session_id: claims.sid,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_five_failures_are_free_then_the_wait_doubles_up_to_fifteen_minutes() {
        assert_eq!(lockout_after(4), None);
        assert_eq!(lockout_after(5), Some(Duration::from_secs(30)));
        assert_eq!(lockout_after(6), Some(Duration::from_secs(60)));
        assert_eq!(lockout_after(9), Some(Duration::from_secs(480)));
        assert_eq!(lockout_after(10), Some(Duration::from_secs(900)));
        assert_eq!(lockout_after(1000), Some(Duration::from_secs(900)));
    }
}
