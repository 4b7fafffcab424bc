//! One error type for the whole API. Every variant has a stable machine-readable `code` and one
//! HTTP status, and every error renders as RFC 9457 `application/problem+json`. Server errors log
//! their cause and answer with a generic body, so no SQL, stack trace or secret reaches a client.

use actix_web::{
    HttpResponse, ResponseError,
    http::{StatusCode, header},
};
use sea_orm::DbErr;
use serde::Serialize;
use utoipa::ToSchema;

pub use crate::domain::FieldError;
use crate::domain::{Action, ladder::Blocker, test_script::ScriptBlocker};

/// Every `code` a problem can carry, in byte order: the error catalogue clients match on. A
/// test reads `src/` and fails when a code is used that is not listed here, or listed and unused.
pub const CODES: [&str; 58] = [
    "action_not_found",
    "active_consultant",
    "activity_not_found",
    "already_member",
    "api_key_not_found",
    "body_timeout",
    "criterion_not_found",
    "deadline_exceeded",
    "email_taken",
    "external_id_taken",
    "forbidden",
    "go_live_blocked",
    "idempotency_in_progress",
    "if_match_required",
    "internal_error",
    "invalid_as_of",
    "invalid_body",
    "invalid_credentials",
    "invalid_cursor",
    "invalid_idempotency_key",
    "invalid_if_match",
    "invalid_path_parameter",
    "invalid_query_parameter",
    "invalid_refresh_token",
    "invalid_token",
    "invitation_not_found",
    "last_admin",
    "last_staff_lead",
    "limit_reached",
    "malformed_body",
    "malformed_json",
    "member_not_found",
    "method_not_allowed",
    "milestone_illegal_transition",
    "milestone_moved",
    "milestone_not_found",
    "missing_credentials",
    "nul_byte",
    "org_not_found",
    "overloaded",
    "payload_too_large",
    "person_required",
    "portfolio_too_large",
    "project_closed",
    "project_not_closable",
    "project_not_found",
    "route_not_found",
    "service_unavailable",
    "shutting_down",
    "slug_taken",
    "test_script_not_found",
    "too_many_points",
    "too_many_requests",
    "transition_forbidden",
    "unsupported_media_type",
    "validation_failed",
    "version_mismatch",
    "webhook_not_found",
];

/// The catalogue as an OpenAPI schema (`ProblemCode`).
pub struct ProblemCode;

impl utoipa::PartialSchema for ProblemCode {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some(
                "A stable machine-readable error code. The same `code` always comes with the same \
                 status and `type`; match on it, not on `detail`.",
            ))
            .enum_values(Some(CODES))
            .into()
    }
}

impl ToSchema for ProblemCode {}

/// The body of every error response (RFC 9457 problem details).
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem; the same for every error with the same `code`.
    #[serde(rename = "type")]
    #[schema(example = "urn:buyin:problem:validation_failed")]
    pub problem_type: String,
    /// A short human-readable summary of the kind of problem.
    #[schema(example = "Unprocessable Content")]
    pub title: String,
    /// The HTTP status code.
    #[schema(example = 422)]
    pub status: u16,
    /// What went wrong with this request, for a human.
    pub detail: String,
    /// A stable machine-readable code (see `ProblemCode` for the catalogue).
    #[schema(value_type = ProblemCode, example = "validation_failed")]
    pub code: String,
    /// For validation problems: which field broke which rule.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(required = false)]
    pub errors: Vec<FieldError>,
    /// For `milestone_illegal_transition`: the transitions the caller may perform now.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false)]
    pub allowed_actions: Option<Vec<Action>>,
    /// For `milestone_illegal_transition`: unmet preconditions
    /// (`staff_owner`, `criteria_done`, `staff_hands_on_hours`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false)]
    pub unmet: Option<Vec<String>>,
    /// For `project_not_closable`: the milestones not handed off yet; for `go_live_blocked`:
    /// the critical test scripts not passed by staff, each with why.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false)]
    pub blockers: Option<Vec<ProblemBlocker>>,
}

/// What stands in the way: a milestone not handed off (closing) or a critical test script not
/// passed by staff (going live).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(untagged)]
pub enum ProblemBlocker {
    Milestone(Blocker),
    TestScript(ScriptBlocker),
}

/// Why a request could not be authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthFailure {
    /// No `Authorization` header at all.
    MissingCredentials,
    /// A bearer token that is malformed, expired, wrongly signed or revoked.
    InvalidToken,
    /// Login with an unknown email or a wrong password (indistinguishable on purpose).
    InvalidCredentials,
    /// A refresh token that is unknown, expired, revoked or already used.
    InvalidRefreshToken,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the request itself is malformed (bad JSON, unknown field, bad parameter).
    #[error("{detail}")]
    BadRequest {
        code: &'static str,
        detail: String,
        errors: Vec<FieldError>,
    },
    /// 401.
    #[error("unauthenticated: {0:?}")]
    Unauthorized(AuthFailure),
    /// 403: a member without the right.
    #[error("{detail}")]
    Forbidden { code: &'static str, detail: String },
    /// 404: missing, or not visible to the caller.
    #[error("{detail}")]
    NotFound { code: &'static str, detail: String },
    /// 405, with the methods the resource does allow.
    #[error("method not allowed")]
    MethodNotAllowed { allow: Vec<String> },
    /// 409: conflicts with current state or an invariant.
    #[error("{detail}")]
    Conflict { code: &'static str, detail: String },
    /// 409: a milestone transition that is not possible now.
    #[error("{detail}")]
    IllegalTransition {
        detail: String,
        allowed_actions: Vec<Action>,
        unmet: Vec<&'static str>,
    },
    /// 409: a project cannot close while milestones are not handed off.
    #[error("project not closable")]
    NotClosable { blockers: Vec<Blocker> },
    /// 409: a project cannot go live (enter `hypercare`) until staff passed every critical
    /// test script.
    #[error("go-live blocked")]
    GoLiveBlocked { blockers: Vec<ScriptBlocker> },
    /// 412: `If-Match` names an old version.
    #[error("the resource has changed")]
    PreconditionFailed,
    /// 413.
    #[error("payload too large")]
    PayloadTooLarge { limit: usize },
    /// 415.
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// 422: well-formed values that break a rule.
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// 422: one value that breaks a rule with a code of its own (e.g. `invalid_as_of`).
    #[error("{error:?}")]
    Unprocessable {
        code: &'static str,
        error: FieldError,
    },
    /// 428: `If-Match` missing where required.
    #[error("If-Match required")]
    PreconditionRequired,
    /// 429, with the number of seconds to wait.
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: u64 },
    /// 408: the request body did not arrive in time.
    #[error("request body timeout")]
    BodyTimeout { secs: u64 },
    /// 503: the server cannot answer right now; the client should retry.
    #[error("service unavailable: {0:?}")]
    Unavailable(Unavailable),
    /// 500: a bug or an unexpected failure; the cause is logged, never shown.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    /// A 4xx: the request (or one item of a batch) was refused; the server is fine.
    pub fn is_client_error(&self) -> bool {
        actix_web::ResponseError::status_code(self).is_client_error()
    }

    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        ApiError::BadRequest {
            code,
            detail: detail.into(),
            errors: Vec::new(),
        }
    }

    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::Validation(vec![FieldError::new(field, message)])
    }

    pub fn not_found(code: &'static str, detail: impl Into<String>) -> Self {
        ApiError::NotFound {
            code,
            detail: detail.into(),
        }
    }

    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        ApiError::Conflict {
            code,
            detail: detail.into(),
        }
    }

    pub fn internal(cause: impl std::fmt::Display) -> Self {
        ApiError::Internal(cause.to_string())
    }

    /// The stable code clients can match on.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest { code, .. }
            | ApiError::Forbidden { code, .. }
            | ApiError::NotFound { code, .. }
            | ApiError::Conflict { code, .. } => code,
            ApiError::Unauthorized(AuthFailure::MissingCredentials) => "missing_credentials",
            ApiError::Unauthorized(AuthFailure::InvalidToken) => "invalid_token",
            ApiError::Unauthorized(AuthFailure::InvalidCredentials) => "invalid_credentials",
            ApiError::Unauthorized(AuthFailure::InvalidRefreshToken) => "invalid_refresh_token",
            ApiError::MethodNotAllowed { .. } => "method_not_allowed",
            ApiError::IllegalTransition { .. } => "milestone_illegal_transition",
            ApiError::NotClosable { .. } => "project_not_closable",
            ApiError::GoLiveBlocked { .. } => "go_live_blocked",
            ApiError::PreconditionFailed => "version_mismatch",
            ApiError::PayloadTooLarge { .. } => "payload_too_large",
            ApiError::UnsupportedMediaType => "unsupported_media_type",
            ApiError::Validation(_) => "validation_failed",
            ApiError::Unprocessable { code, .. } => code,
            ApiError::PreconditionRequired => "if_match_required",
            ApiError::TooManyRequests { .. } => "too_many_requests",
            ApiError::BodyTimeout { .. } => "body_timeout",
            ApiError::Unavailable(Unavailable::Database) => "service_unavailable",
            ApiError::Unavailable(Unavailable::Deadline) => "deadline_exceeded",
            ApiError::Unavailable(Unavailable::ShuttingDown) => "shutting_down",
            ApiError::Unavailable(Unavailable::Overloaded) => "overloaded",
            ApiError::Internal(_) => "internal_error",
        }
    }

    fn detail(&self) -> String {
        match self {
            ApiError::BadRequest { detail, .. }
            | ApiError::Forbidden { detail, .. }
            | ApiError::NotFound { detail, .. }
            | ApiError::Conflict { detail, .. }
            | ApiError::IllegalTransition { detail, .. } => detail.clone(),
            ApiError::GoLiveBlocked { blockers } => format!(
                "The project can go live only when staff have passed every critical test script; {} not.",
                match blockers.len() {
                    1 => "1 is".to_owned(),
                    n => format!("{n} are"),
                }
            ),
            ApiError::NotClosable { blockers } => format!(
                "The project can close only when every milestone is handed off; {} is not.",
                match blockers.len() {
                    1 => "1 milestone".to_owned(),
                    n => format!("{n} milestones"),
                }
            ),
            ApiError::Unauthorized(AuthFailure::MissingCredentials) => {
                "This endpoint needs an `Authorization: Bearer <token>` header.".into()
            }
            ApiError::Unauthorized(AuthFailure::InvalidToken) => {
                "The bearer token is malformed, expired, revoked or not issued by this server.".into()
            }
            ApiError::Unauthorized(AuthFailure::InvalidCredentials) => {
                "The email or password is incorrect.".into()
            }
            ApiError::Unauthorized(AuthFailure::InvalidRefreshToken) => {
                "The refresh token is unknown, expired, revoked or already used; log in again.".into()
            }
            ApiError::MethodNotAllowed { allow } => {
                format!("This resource supports only {}.", allow.join(", "))
            }
            ApiError::PreconditionFailed => {
                "The resource has changed since you read it; fetch it again and retry with its new ETag.".into()
            }
            ApiError::PayloadTooLarge { limit } => {
                format!("The request body is larger than the limit of {limit} bytes.")
            }
            ApiError::UnsupportedMediaType => "The request body must be `application/json`.".into(),
            ApiError::Unprocessable { error, .. } => format!("{}: {}", error.field, error.message),
            ApiError::Validation(errors) => match errors.as_slice() {
                [one] => format!("{}: {}", one.field, one.message),
                _ => "Some fields are invalid; see `errors`.".into(),
            },
            ApiError::PreconditionRequired => {
                "This change needs an `If-Match` header with the resource's current ETag.".into()
            }
            ApiError::TooManyRequests { retry_after_secs } => {
                format!("Too many attempts; try again in {retry_after_secs} seconds.")
            }
            ApiError::BodyTimeout { secs } => {
                format!("The request body did not arrive within {secs} seconds.")
            }
            ApiError::Unavailable(Unavailable::Database) => {
                "The database is unavailable right now; retry shortly.".into()
            }
            ApiError::Unavailable(Unavailable::Deadline) => {
                "The request took longer than the server allows and was stopped; retry shortly."
                    .into()
            }
            ApiError::Unavailable(Unavailable::ShuttingDown) => {
                "This instance is shutting down; retry and another instance will answer.".into()
            }
            ApiError::Unavailable(Unavailable::Overloaded) => {
                "Too many requests of this kind are waiting; retry shortly.".into()
            }
            ApiError::Internal(_) => "An unexpected error occurred.".into(),
        }
    }

    pub fn to_problem(&self) -> Problem {
        let status = self.status_code();
        let code = self.code();
        Problem {
            problem_type: format!("urn:buyin:problem:{code}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: self.detail(),
            code: code.to_owned(),
            errors: match self {
                ApiError::Validation(errors) | ApiError::BadRequest { errors, .. } => {
                    errors.clone()
                }
                ApiError::Unprocessable { error, .. } => vec![error.clone()],
                _ => Vec::new(),
            },
            allowed_actions: match self {
                ApiError::IllegalTransition {
                    allowed_actions, ..
                } => Some(allowed_actions.clone()),
                _ => None,
            },
            unmet: match self {
                ApiError::IllegalTransition { unmet, .. } => {
                    Some(unmet.iter().map(|u| (*u).to_owned()).collect())
                }
                _ => None,
            },
            blockers: match self {
                ApiError::NotClosable { blockers } => Some(
                    blockers
                        .iter()
                        .cloned()
                        .map(ProblemBlocker::Milestone)
                        .collect(),
                ),
                ApiError::GoLiveBlocked { blockers } => Some(
                    blockers
                        .iter()
                        .cloned()
                        .map(ProblemBlocker::TestScript)
                        .collect(),
                ),
                _ => None,
            },
        }
    }
}

pub const PROBLEM_JSON: &str = "application/problem+json";

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden { .. } => StatusCode::FORBIDDEN,
            ApiError::NotFound { .. } => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict { .. }
            | ApiError::IllegalTransition { .. }
            | ApiError::NotClosable { .. }
            | ApiError::GoLiveBlocked { .. } => StatusCode::CONFLICT,
            ApiError::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Validation(_) | ApiError::Unprocessable { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::BodyTimeout { .. } => StatusCode::REQUEST_TIMEOUT,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Internal(cause) = self {
            tracing::error!(error.cause = %cause, "request failed with an internal error");
        }
        let mut response = HttpResponse::build(self.status_code());
        response.content_type(PROBLEM_JSON);
        match self {
            ApiError::Unauthorized(AuthFailure::MissingCredentials) => {
                response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            ApiError::Unauthorized(AuthFailure::InvalidToken) => {
                response
                    .insert_header((header::WWW_AUTHENTICATE, r#"Bearer error="invalid_token""#));
            }
            // Every 401 names the scheme to authenticate with (RFC 9110 §11.6.1): also a failed
            // login, refresh or logout, whose credentials travel in the body.
            ApiError::Unauthorized(_) => {
                response.insert_header((header::WWW_AUTHENTICATE, r#"Bearer realm="buyin""#));
            }
            ApiError::MethodNotAllowed { allow } => {
                response.insert_header((header::ALLOW, allow.join(", ")));
            }
            ApiError::TooManyRequests { retry_after_secs } => {
                response.insert_header((header::RETRY_AFTER, retry_after_secs.max(&1).to_string()));
            }
            ApiError::Unavailable(_) => {
                response.insert_header((header::RETRY_AFTER, "1"));
            }
            ApiError::BodyTimeout { .. } => {
                response.insert_header((header::CONNECTION, "close"));
            }
            _ => {}
        }
        response.json(self.to_problem())
    }
}

/// Why a request got 503.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unavailable {
    /// The database cannot be reached (pool timeout, refused, dropped or killed connection).
    Database,
    /// The request outran the handler deadline (`BUYIN_REQUEST_TIMEOUT`).
    Deadline,
    /// The instance has been told to stop (`/readyz` during the drain).
    ShuttingDown,
    /// Too much of one costly kind of work is waiting (password hashing): shed at once.
    Overloaded,
}

/// Every field error of a request: one 422.
impl From<Vec<FieldError>> for ApiError {
    fn from(errors: Vec<FieldError>) -> Self {
        ApiError::Validation(errors)
    }
}

impl From<crate::domain::precondition::Precondition> for ApiError {
    fn from(p: crate::domain::precondition::Precondition) -> Self {
        match p {
            crate::domain::precondition::Precondition::Required => ApiError::PreconditionRequired,
            crate::domain::precondition::Precondition::Failed => ApiError::PreconditionFailed,
        }
    }
}

impl From<DbErr> for ApiError {
    fn from(err: DbErr) -> Self {
        if is_unavailable(&err) {
            tracing::warn!(error = %err, "database unavailable");
            ApiError::Unavailable(Unavailable::Database)
        } else {
            ApiError::Internal(format!("database error: {err}"))
        }
    }
}

/// True when the database could not be reached (pool timeout, refused or dropped connection),
/// as opposed to a query that the database rejected.
pub fn is_unavailable(err: &DbErr) -> bool {
    use sea_orm::RuntimeErr;
    let sqlx_unavailable = |e: &sea_orm::sqlx::Error| match e {
        sea_orm::sqlx::Error::Io(_)
        | sea_orm::sqlx::Error::PoolTimedOut
        | sea_orm::sqlx::Error::PoolClosed
        | sea_orm::sqlx::Error::WorkerCrashed
        | sea_orm::sqlx::Error::Tls(_)
        // The wire broke mid-conversation (a connection cut during the TLS or startup exchange).
        | sea_orm::sqlx::Error::Protocol(_) => true,
        // PostgreSQL ending the session: connection exceptions (class 08), and an administrator
        // or crash shutdown (`pg_terminate_backend`, restarts: 57P01..57P03).
        sea_orm::sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|c| c.starts_with("08") || matches!(&*c, "57P01" | "57P02" | "57P03")),
        _ => false,
    };
    match err {
        // Failing to open a connection is the database being unreachable, whatever the cause.
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            sqlx_unavailable(e)
        }
        _ => false,
    }
}
