//! `/auth/*` and `/me`: accounts and tokens.

use actix_web::{HttpResponse, get, http::header, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    extract::{ApiJson, Authenticated, ClientAddr},
    idempotency::holds_secret,
};
use crate::{
    domain::{KeyScope, NewAccount, OrgRole, ProjectRole, ProjectStatus},
    error::{ApiError, Problem},
    service::{
        AppState,
        auth::{self, Caller, Identity},
    },
};

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(register)
        .service(login)
        .service(refresh)
        .service(logout)
        .service(logout_all)
        .service(change_password)
        .service(me);
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    /// Compared case-insensitively; stored trimmed and lower-cased, an international domain in its
    /// `xn--` form. The part before `@` must be ASCII; invisible characters are refused.
    #[schema(example = "ada@example.org")]
    pub email: String,
    /// At least 12 visible characters, at most 1024 bytes; not blank, not one character
    /// repeated, not one of the most common passwords.
    #[schema(example = "correct horse battery staple")]
    pub password: String,
    /// 1 to 200 characters.
    #[schema(example = "Ada Lovelace")]
    pub display_name: String,
}

#[derive(Serialize, ToSchema)]
pub struct UserResponse {
    pub id: Uuid,
    #[schema(example = "ada@example.org")]
    pub email: String,
    #[schema(example = "Ada Lovelace")]
    pub display_name: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[schema(example = "ada@example.org")]
    pub email: String,
    #[schema(example = "correct horse battery staple")]
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct TokenResponse {
    /// A JWT to send as `Authorization: Bearer <access_token>`.
    pub access_token: String,
    #[schema(example = "Bearer")]
    pub token_type: String,
    /// Seconds until the access token expires.
    #[schema(example = 900)]
    pub expires_in: u64,
    /// Opaque; exchange it at `/auth/refresh` for a new pair. Single use.
    pub refresh_token: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    #[schema(example = "bir_3q2-7wEvx8Ypc0n1M1x4cXJ0aWNsZS1pZC0wMDAwMDAwMQ")]
    pub refresh_token: String,
}

impl From<auth::TokenPair> for TokenResponse {
    fn from(pair: auth::TokenPair) -> Self {
        TokenResponse {
            access_token: pair.access_token,
            token_type: "Bearer".into(),
            expires_in: pair.expires_in,
            refresh_token: pair.refresh_token,
        }
    }
}

/// A token pair, never stored to be replayed.
fn tokens(pair: auth::TokenPair) -> HttpResponse {
    holds_secret(HttpResponse::Ok().json(TokenResponse::from(pair)))
}

/// Create an account.
#[utoipa::path(
    tag = "auth",
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "The account was created.", body = UserResponse,
            headers(("Location" = String, description = "Where to read the new user."))),
        (status = 409, description = "The email is already registered.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field breaks a rule.", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many accounts created from this address.", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait."))),
        (status = 503, description = "Too many passwords are being hashed at once.", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait."))),
    )
)]
#[post("/auth/register")]
async fn register(
    state: web::Data<AppState>,
    ClientAddr(source): ClientAddr,
    body: ApiJson<RegisterRequest>,
) -> Result<HttpResponse, ApiError> {
    let ApiJson(body) = body;
    let account = NewAccount::parse(&body.email, &body.display_name, body.password)?;
    let user = auth::register(&state, Some(source), account).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, "/api/v1/me"))
        .json(UserResponse {
            id: user.id,
            email: user.email,
            display_name: user.display_name,
            created_at: user.created_at,
        }))
}

/// Log in with email and password.
///
/// Attempts are throttled per source address and per account from that source, known and
/// unknown emails alike: after five attempts on one email from one address, or twenty failed
/// logins from one address, further attempts from there get 429 with `Retry-After`, the wait
/// doubling with each attempt up to 15 minutes. The owner signing in from another address is
/// not held back. When the password-hashing queue is full the answer is 503 with `Retry-After`.
#[utoipa::path(
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in.", body = TokenResponse),
        (status = 401, description = "Unknown email or wrong password.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The password is longer than 1024 bytes.", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts from this address.", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait."))),
        (status = 503, description = "Too many logins are being checked at once.", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait."))),
    )
)]
#[post("/auth/login")]
async fn login(
    state: web::Data<AppState>,
    ClientAddr(source): ClientAddr,
    body: ApiJson<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let pair = auth::login(&state, source, &body.0.email, &body.0.password).await?;
    Ok(tokens(pair))
}

/// Exchange a refresh token for a new token pair.
///
/// Refresh tokens are single use. Presenting one that was already exchanged revokes the whole
/// session.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "A new token pair.", body = TokenResponse),
        (status = 401, description = "The refresh token is unknown, expired, revoked or reused.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/refresh")]
async fn refresh(
    state: web::Data<AppState>,
    body: ApiJson<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    let pair = auth::refresh(&state, &body.0.refresh_token).await?;
    Ok(tokens(pair))
}

/// End the session of a refresh token; its access tokens stop working at once.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 204, description = "Logged out."),
        (status = 401, description = "The refresh token is unknown.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/logout")]
async fn logout(
    state: web::Data<AppState>,
    body: ApiJson<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    auth::logout(&state, &body.0.refresh_token).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    #[schema(example = "correct horse battery staple")]
    pub current_password: String,
    /// At least 12 visible characters, at most 1024 bytes; not blank, not one character
    /// repeated, not one of the most common passwords, not the current one.
    #[schema(example = "a brand new passphrase 42")]
    pub new_password: String,
}

/// Change your password.
///
/// Every session of the account ends at once, this one included: every access and refresh token
/// issued before stops working. The answer is the token pair of a new session. Wrong guesses at
/// the current password are throttled like logins.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    request_body = ChangePasswordRequest,
    responses(
        (status = 200, description = "Changed; a new session's tokens.", body = TokenResponse),
        (status = 403, description = "An API key has no password.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The current password is wrong, or the new one breaks a rule.", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many wrong current passwords from this address.", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait."))),
    )
)]
#[post("/me/password")]
async fn change_password(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    ClientAddr(source): ClientAddr,
    ApiJson(body): ApiJson<ChangePasswordRequest>,
) -> Result<HttpResponse, ApiError> {
    let user = caller.person()?;
    let pair = auth::change_password(
        &state,
        user,
        source,
        &body.current_password,
        body.new_password,
    )
    .await?;
    Ok(tokens(pair))
}

/// Sign out everywhere: every session of the account ends, this one included.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Every session has ended."),
        (status = 403, description = "An API key has no sessions.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/logout-all")]
async fn logout_all(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
) -> Result<HttpResponse, ApiError> {
    auth::logout_all(&state, caller.person()?).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// An organisation the caller belongs to, and their role in it.
#[derive(Serialize, ToSchema)]
pub struct MyOrganisation {
    pub org_id: Uuid,
    #[schema(example = "Demo Association")]
    pub name: String,
    #[schema(example = "demo-association")]
    pub slug: String,
    pub role: OrgRole,
}

/// A project the caller takes part in (an active participation).
#[derive(Serialize, ToSchema)]
pub struct MyProject {
    pub project_id: Uuid,
    pub org_id: Uuid,
    #[schema(example = "Move to NewAMS")]
    pub name: String,
    pub status: ProjectStatus,
    pub role: ProjectRole,
    pub is_lead: bool,
}

/// `type` of a person's `/me`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PersonType {
    User,
}

/// `type` of an API key's `/me`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum KeyType {
    ApiKey,
}

/// A person: their account, organisations and active participations.
#[derive(Serialize, ToSchema)]
pub struct PersonIdentity {
    #[serde(rename = "type")]
    #[schema(inline)]
    pub kind: PersonType,
    #[serde(flatten)]
    pub account: UserResponse,
    pub organisations: Vec<MyOrganisation>,
    /// At most 100, by project id; `GET /api/v1/projects` pages through all of them.
    pub projects: Vec<MyProject>,
    /// More participations than `projects` lists.
    pub more_projects: bool,
}

/// An organisation's API key: what it is and what it may do.
#[derive(Serialize, ToSchema)]
pub struct KeyIdentity {
    #[serde(rename = "type")]
    #[schema(inline)]
    pub kind: KeyType,
    pub key_id: Uuid,
    #[schema(example = "NewAMS sync")]
    pub name: String,
    pub org_id: Uuid,
    #[schema(example = "Demo Association")]
    pub org_name: String,
    pub scope: KeyScope,
    /// When the key stops working; null if it does not expire.
    pub expires_at: Option<DateTime<Utc>>,
}

/// Who the caller is: `type` (`user` or `api_key`) says which.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum MeResponse {
    User(PersonIdentity),
    ApiKey(KeyIdentity),
}

/// Who the caller is: a person (with their organisations and projects) or an API key (with its
/// organisation, scope and expiry).
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller.", body = MeResponse),
    )
)]
#[get("/me")]
async fn me(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
) -> Result<web::Json<MeResponse>, ApiError> {
    let identity = auth::identity(&state, &caller).await?;
    Ok(web::Json(match (&caller, identity) {
        (
            Caller::User(user),
            Identity::Person {
                organisations,
                projects,
                more_projects,
            },
        ) => MeResponse::User(PersonIdentity {
            kind: PersonType::User,
            account: UserResponse {
                id: user.id,
                email: user.email.clone(),
                display_name: user.display_name.clone(),
                created_at: user.created_at,
            },
            organisations: organisations
                .into_iter()
                .map(|(o, role)| MyOrganisation {
                    org_id: o.id,
                    name: o.name,
                    slug: o.slug,
                    role,
                })
                .collect(),
            projects: projects
                .into_iter()
                .map(|(m, p)| MyProject {
                    project_id: p.id,
                    org_id: p.org_id,
                    name: p.name,
                    status: p.status,
                    role: m.role,
                    is_lead: m.is_lead,
                })
                .collect(),
            more_projects,
        }),
        (Caller::Key(key), Identity::Key { org }) => MeResponse::ApiKey(KeyIdentity {
            kind: KeyType::ApiKey,
            key_id: key.key_id,
            name: key.name.clone(),
            org_id: org.id,
            org_name: org.name,
            scope: key.scope,
            expires_at: key.expires_at,
        }),
        _ => {
            return Err(ApiError::internal(
                "identity of another kind than the caller",
            ));
        }
    }))
}
