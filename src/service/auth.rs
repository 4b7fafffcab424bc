//! Accounts, login, token refresh and logout.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, SqlErr};
use uuid::Uuid;

use super::{AppState, tokens};
use crate::{
    domain::{
        Email, KeyScope, NewAccount, OrgRole, Password,
        limits::ORGS_PER_USER,
        query::PageRequest,
        throttle::{Policy, source_key},
    },
    entity::{org, project, project_member, user},
    error::{ApiError, AuthFailure},
    repo::{orgs, project_members, sessions, throttles, users},
};

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
    /// The request's instant on the one clock.
    pub at: DateTime<Utc>,
}

/// An organisation API key acting for its organisation.
#[derive(Debug, Clone)]
pub struct KeyCaller {
    pub key_id: Uuid,
    pub org_id: Uuid,
    pub scope: KeyScope,
    pub name: String,
    pub expires_at: Option<DateTime<Utc>>,
    /// The request's instant on the one clock.
    pub at: DateTime<Utc>,
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

    /// The instant of the request, read once from the one clock when the caller was resolved:
    /// every row and event one request writes carries the same time.
    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Caller::User(user) => user.at,
            Caller::Key(key) => key.at,
        }
    }

    /// The same caller acting at another instant (seed-demo replays a story step by step).
    pub fn at(&self, at: DateTime<Utc>) -> Caller {
        let mut caller = self.clone();
        match &mut caller {
            Caller::User(user) => user.at = at,
            Caller::Key(key) => key.at = at,
        }
        caller
    }

    /// Today (UTC) for this request.
    pub fn today(&self) -> chrono::NaiveDate {
        self.now().date_naive()
    }

    /// The caller as an event records it.
    pub fn actor(&self) -> crate::events::Actor {
        crate::events::Actor {
            user_id: self.user_id(),
            api_key_id: self.key().map(|k| k.key_id),
            at: self.now(),
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

pub struct TokenPair {
    pub access_token: String,
    pub expires_in: u64,
    pub refresh_token: String,
}

/// Creates an account. `source` is the address it was asked from (`None` from inside: seed-demo),
/// and each source creates only so many: every account costs a password hash and a row.
pub async fn register(
    state: &AppState,
    source: Option<IpAddr>,
    NewAccount {
        email,
        display_name,
        password,
    }: NewAccount,
) -> Result<user::Model, ApiError> {
    let attempt = match source {
        Some(source) => {
            let key = format!("register:{}", source_key(source));
            Some(Attempt::count(state, key, Policy::REGISTRATION).await?)
        }
        None => None,
    };
    let password_hash = match state.passwords.hash(password.expose()).await {
        Ok(hash) => hash,
        Err(err) => {
            if let Some(attempt) = attempt {
                attempt.uncount(state).await;
            }
            return Err(err);
        }
    };
    let new = users::NewUser {
        email: email.into_inner(),
        display_name: display_name.into_inner(),
        password_hash,
    };
    users::insert_user(&state.db, new, state.clock.now())
        .await
        .map_err(|err| match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => {
                ApiError::conflict("email_taken", "An account with this email already exists.")
            }
            _ => err.into(),
        })
}

/// One counted attempt on a throttle key, taken back when it did not really happen.
struct Attempt {
    key: String,
}

impl Attempt {
    /// Counts an attempt on `key` and decides, in one transaction, whether it may run: the
    /// counter row stays locked until the block this attempt earns is stored, so a burst of
    /// concurrent attempts gets exactly the free ones and 429 for the rest.
    async fn count(state: &AppState, key: String, policy: Policy) -> Result<Attempt, ApiError> {
        let now = state.clock.now().timestamp_millis();
        let forget_before = now - millis(policy.forget_after);
        let txn = super::begin_write(&state.db).await?;
        let Some(attempts) = throttles::count_attempt(&txn, &key, now, forget_before).await? else {
            txn.rollback().await?;
            let until = throttles::blocked_until(&state.db, &key)
                .await?
                .unwrap_or(now);
            let wait_ms = u64::try_from(until - now).unwrap_or(0);
            return Err(ApiError::TooManyRequests {
                retry_after_secs: wait_ms.div_ceil(1000),
            });
        };
        if let Some(wait) = policy.wait_after(attempts) {
            throttles::block_until(&txn, &key, now + millis(wait)).await?;
        }
        txn.commit().await?;
        Ok(Attempt { key })
    }

    /// Takes the attempt back: it succeeded where only failures count, or it never ran (the
    /// hashing queue was full). Best effort: a failure here only leaves one attempt counted.
    async fn uncount(self, state: &AppState) {
        if let Err(err) = throttles::uncount(&state.db, &self.key).await {
            tracing::warn!(error = %err, "could not take back a counted attempt");
        }
    }

    /// Forgets every attempt on the key (the right password from this source).
    async fn forget(self, state: &AppState) {
        if let Err(err) = throttles::forget(&state.db, &self.key).await {
            tracing::warn!(error = %err, "could not reset a login counter");
        }
    }
}

fn millis(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Checks email and password. Attempts are counted before the hash runs, per source address and
/// per account from that source (unknown emails included), so neither concurrency nor a stream
/// of dropped requests gets more guesses than the policy gives, and the owner signing in from
/// elsewhere is not held back by them.
pub async fn login(
    state: &AppState,
    source: IpAddr,
    email: &str,
    password: &str,
) -> Result<TokenPair, ApiError> {
    if password.len() > Password::MAX_BYTES {
        return Err(ApiError::invalid("password", "must be at most 1024 bytes"));
    }
    let email = Email::normalise(email);
    let source = source_key(source);
    let from_source = Attempt::count(state, format!("login:{source}"), Policy::SOURCE).await?;
    let account_key = format!(
        "login:{source}:{}",
        crate::secrets::sha256_hex(&[email.as_bytes()])
    );
    let for_account = match Attempt::count(state, account_key, Policy::ACCOUNT_FROM_SOURCE).await {
        Ok(attempt) => attempt,
        Err(err) => {
            from_source.uncount(state).await;
            return Err(err);
        }
    };
    let account = users::find_by_email(&state.db, &email).await?;
    let hash = account.as_ref().map(|a| a.password_hash.as_str());
    let verified = match state.passwords.verify(password, hash).await {
        Ok(verified) => verified,
        Err(err) => {
            from_source.uncount(state).await;
            for_account.uncount(state).await;
            return Err(err);
        }
    };
    let account = match account {
        Some(account) if verified && account.disabled_at.is_none() => account,
        _ => return Err(ApiError::Unauthorized(AuthFailure::InvalidCredentials)),
    };
    from_source.uncount(state).await;
    for_account.forget(state).await;

    let txn = super::begin_write(&state.db).await?;
    let pair = new_session(state, &txn, account.id).await?;
    txn.commit().await?;
    Ok(pair)
}

/// Opens a session for `user_id` in `txn` and issues its first token pair.
async fn new_session(
    state: &AppState,
    txn: &impl ConnectionTrait,
    user_id: Uuid,
) -> Result<TokenPair, ApiError> {
    let now = state.clock.now();
    let session = sessions::insert_session(txn, user_id, now + SESSION_LIFETIME, now).await?;
    sessions::revoke_all_but_newest(
        txn,
        user_id,
        crate::domain::limits::SESSIONS_PER_USER,
        "session_limit",
        now,
    )
    .await?;
    let (refresh_token, refresh_hash) = tokens::new_refresh_token();
    sessions::insert_refresh_token(txn, session.id, refresh_hash, now).await?;
    token_pair(state, user_id, session.id, refresh_token)
}

/// Changes the caller's password, given the current one. Every session, this one included, ends
/// at once (so does every token issued before); the answer is a new session's token pair.
/// Guesses at the current password count like login attempts from the caller's address.
pub async fn change_password(
    state: &AppState,
    user: &CurrentUser,
    source: IpAddr,
    current: &str,
    new: String,
) -> Result<TokenPair, ApiError> {
    let new = Password::parse(new).map_err(|e| ApiError::Validation(vec![e]))?;
    if current.len() > Password::MAX_BYTES {
        return Err(wrong_current_password());
    }
    let key = format!("password:{}:{}", source_key(source), user.id);
    let attempt = Attempt::count(state, key, Policy::ACCOUNT_FROM_SOURCE).await?;
    let account = users::find_by_id(&state.db, user.id)
        .await?
        .ok_or(ApiError::Unauthorized(AuthFailure::InvalidToken))?;
    if !state
        .passwords
        .verify(current, Some(&account.password_hash))
        .await?
    {
        return Err(wrong_current_password());
    }
    attempt.forget(state).await;
    if current == new.expose() {
        return Err(ApiError::invalid(
            "new_password",
            "must differ from the current password",
        ));
    }
    let hash = state.passwords.hash(new.expose()).await?;
    let txn = super::begin_write(&state.db).await?;
    users::update_password_hash(&txn, user.id, hash, user.at).await?;
    sessions::revoke_all_for_user(&txn, user.id, "password_changed", user.at).await?;
    let pair = new_session(state, &txn, user.id).await?;
    txn.commit().await?;
    tracing::info!(user_id = %user.id, "password changed; every other session revoked");
    Ok(pair)
}

fn wrong_current_password() -> ApiError {
    ApiError::invalid("current_password", "is not your current password")
}

/// Ends every session of the caller, on every device: all their access and refresh tokens stop
/// working at once.
pub async fn logout_all(state: &AppState, user: &CurrentUser) -> Result<(), ApiError> {
    let ended = sessions::revoke_all_for_user(&state.db, user.id, "logout_all", user.at).await?;
    tracing::info!(user_id = %user.id, sessions = ended, "signed out everywhere");
    Ok(())
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
    let now = state.clock.now();
    let txn = super::begin_write(&state.db).await?;
    let Some((token, session, user)) = sessions::find_refresh_token(&txn, &hash).await? else {
        return Err(invalid);
    };
    if session.revoked_at.is_some() || session.expires_at <= now || user.disabled_at.is_some() {
        return Err(invalid);
    }
    if token.used_at.is_some() || !sessions::mark_refresh_token_used(&txn, &hash, now).await? {
        sessions::revoke_session(&txn, session.id, "refresh_token_reuse", now).await?;
        txn.commit().await?;
        tracing::warn!(session_id = %session.id, "rotated refresh token presented again; session revoked");
        return Err(invalid);
    }
    let (new_token, new_hash) = tokens::new_refresh_token();
    sessions::insert_refresh_token(&txn, session.id, new_hash, now).await?;
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
    sessions::revoke_session(&state.db, session.id, "logout", state.clock.now()).await?;
    Ok(())
}

/// Resolves a bearer credential to the caller: an API key (`bik_…`) or an access token, each
/// checked in the database on every request, so revocation and logout take effect at once.
pub async fn authenticate(state: &AppState, bearer: &str) -> Result<Caller, ApiError> {
    if bearer.starts_with(KEY_PREFIX) {
        return authenticate_key(state, bearer).await.map(Caller::Key);
    }
    authenticate_user(state, bearer).await.map(Caller::User)
}

async fn authenticate_user(state: &AppState, bearer: &str) -> Result<CurrentUser, ApiError> {
    let claims = state.tokens.verify_access_token(bearer)?;
    let at = state.clock.now();
    let user = sessions::find_live_session_user(&state.db, claims.sid, claims.sub, at)
        .await?
        .ok_or(ApiError::Unauthorized(AuthFailure::InvalidToken))?;
    Ok(CurrentUser {
        id: user.id,
        email: user.email,
        display_name: user.display_name,
        created_at: user.created_at,
        session_id: claims.sid,
        at,
    })
}

/// Where the caller stands: a person's organisations and active participations (at most
/// [`IDENTITY_PROJECTS`]; `GET /projects` pages through the rest), or a key's organisation.
pub enum Identity {
    Person {
        organisations: Vec<(org::Model, OrgRole)>,
        projects: Vec<(project_member::Model, project::Model)>,
        more_projects: bool,
    },
    Key {
        org: org::Model,
    },
}

pub const IDENTITY_PROJECTS: u64 = 100;

pub async fn identity(state: &AppState, caller: &Caller) -> Result<Identity, ApiError> {
    match caller {
        Caller::User(user) => {
            let all = PageRequest {
                limit: ORGS_PER_USER.max,
                after: None,
                order: Default::default(),
            };
            let (organisations, _) = orgs::list_orgs_for_user(&state.db, user.id, all).await?;
            let (projects, more_projects) =
                project_members::active_for_user(&state.db, user.id, IDENTITY_PROJECTS).await?;
            Ok(Identity::Person {
                organisations,
                projects,
                more_projects,
            })
        }
        Caller::Key(key) => {
            let org = orgs::find_org(&state.db, key.org_id)
                .await?
                .ok_or(ApiError::Unauthorized(AuthFailure::InvalidToken))?;
            Ok(Identity::Key { org })
        }
    }
}

/// Every API key starts with this, so a bearer credential says which kind it is.
pub const KEY_PREFIX: &str = "bik_";

/// An API key: live (not revoked or expired); its last use is recorded.
async fn authenticate_key(state: &AppState, key: &str) -> Result<KeyCaller, ApiError> {
    let now = state.clock.now();
    let found = crate::repo::api_keys::find_live(
        &state.db,
        &crate::secrets::sha256_hex(&[key.as_bytes()]),
        now,
    )
    .await?
    .ok_or(ApiError::Unauthorized(AuthFailure::InvalidToken))?;
    crate::repo::api_keys::touch(&state.db, found.id, now).await?;
    Ok(KeyCaller {
        key_id: found.id,
        org_id: found.org_id,
        scope: found.scope,
        name: found.name,
        expires_at: found.expires_at,
        at: now,
    })
}
