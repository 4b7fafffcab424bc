//! Baselines for `bench/run`, compiled in only with the `bench-baselines` feature (off by
//! default): the same requests as `GET /api/v1/projects/{id}` and its milestone list, answered
//! with the same SQL written by hand on the same pool (bearer token, session check, membership
//! check and row fetch included), and a static `hello` as the HTTP ceiling. They run behind the
//! same middleware as the API, so a ratio between the two isolates the ORM, service and handler
//! layers. PostgreSQL only, like the benchmark.

use actix_web::{HttpRequest, HttpResponse, http::header, web};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    DbBackend,
    sqlx::{self, Row, postgres::PgRow},
};
use serde::Serialize;
use uuid::Uuid;

use crate::{error::ApiError, service::AppState};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/bench/hello", web::get().to(hello))
        .route("/bench/raw/projects/{project_id}", web::get().to(project))
        .route(
            "/bench/raw/projects/{project_id}/milestones",
            web::get().to(milestones),
        );
}

async fn hello() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("hello")
}

fn pool(state: &AppState) -> Result<&sqlx::PgPool, ApiError> {
    if state.db.get_database_backend() != DbBackend::Postgres {
        return Err(ApiError::internal("the raw-SQL baselines need PostgreSQL"));
    }
    Ok(state.db.get_postgres_connection_pool())
}

/// The bearer token's user, after the same session check the API makes.
async fn user(state: &AppState, req: &HttpRequest) -> Result<Uuid, ApiError> {
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or(ApiError::Unauthorized(
            crate::error::AuthFailure::MissingCredentials,
        ))?;
    let claims = state.tokens.verify_access_token(token)?;
    let live = sqlx::query(
        "SELECT 1 FROM sessions s JOIN users u ON u.id = s.user_id \
         WHERE s.id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL AND s.expires_at > now() \
         AND u.disabled_at IS NULL",
    )
    .bind(claims.sid)
    .bind(claims.sub)
    .fetch_optional(pool(state)?)
    .await
    .map_err(db)?;
    live.map(|_| claims.sub).ok_or(ApiError::Unauthorized(
        crate::error::AuthFailure::InvalidToken,
    ))
}

fn db(err: sqlx::Error) -> ApiError {
    ApiError::from(sea_orm::DbErr::Query(sea_orm::RuntimeErr::SqlxError(
        err.into(),
    )))
}

#[derive(Serialize)]
struct Project {
    id: Uuid,
    org_id: Uuid,
    name: String,
    description: Option<String>,
    system_name: Option<String>,
    status: String,
    start_date: Option<NaiveDate>,
    go_live_date: Option<NaiveDate>,
    consultant_exit_date: Option<NaiveDate>,
    external_id: Option<String>,
    external_source: Option<String>,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    my_access: MyAccess,
}

#[derive(Serialize)]
struct MyAccess {
    role: Option<String>,
    is_lead: bool,
    org_admin: bool,
}

/// The project if the user may see it (a member, or an admin of its organisation).
async fn visible_project(
    state: &AppState,
    project_id: Uuid,
    user_id: Uuid,
) -> Result<PgRow, ApiError> {
    sqlx::query(
        "SELECT p.*, pm.role AS member_role, pm.is_lead AS member_is_lead, om.role AS org_role \
         FROM projects p \
         LEFT JOIN project_members pm \
           ON pm.project_id = p.id AND pm.user_id = $2 AND pm.left_at IS NULL \
         LEFT JOIN org_members om ON om.org_id = p.org_id AND om.user_id = $2 \
         WHERE p.id = $1 AND (pm.id IS NOT NULL OR om.role = 'admin')",
    )
    .bind(project_id)
    .bind(user_id)
    .fetch_optional(pool(state)?)
    .await
    .map_err(db)?
    .ok_or_else(|| ApiError::not_found("project_not_found", "No such project."))
}

async fn project(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let user_id = user(&state, &req).await?;
    let row = visible_project(&state, path.into_inner(), user_id).await?;
    let org_role: Option<String> = row.try_get("org_role").map_err(db)?;
    let project = Project {
        id: row.try_get("id").map_err(db)?,
        org_id: row.try_get("org_id").map_err(db)?,
        name: row.try_get("name").map_err(db)?,
        description: row.try_get("description").map_err(db)?,
        system_name: row.try_get("system_name").map_err(db)?,
        status: row.try_get("status").map_err(db)?,
        start_date: row.try_get("start_date").map_err(db)?,
        go_live_date: row.try_get("go_live_date").map_err(db)?,
        consultant_exit_date: row.try_get("consultant_exit_date").map_err(db)?,
        external_id: row.try_get("external_id").map_err(db)?,
        external_source: row.try_get("external_source").map_err(db)?,
        version: row.try_get("version").map_err(db)?,
        created_at: row.try_get("created_at").map_err(db)?,
        updated_at: row.try_get("updated_at").map_err(db)?,
        my_access: MyAccess {
            role: row.try_get("member_role").map_err(db)?,
            is_lead: row
                .try_get::<Option<bool>, _>("member_is_lead")
                .map_err(db)?
                .unwrap_or(false),
            org_admin: org_role.as_deref() == Some("admin"),
        },
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, format!("\"{}\"", project.version)))
        .json(project))
}

#[derive(Serialize)]
struct Milestone {
    id: Uuid,
    project_id: Uuid,
    title: String,
    knowledge_area: String,
    description: Option<String>,
    due_date: Option<NaiveDate>,
    staff_owner_id: Option<Uuid>,
    consultant_id: Option<Uuid>,
    stage: String,
    stage_entered_at: DateTime<Utc>,
    signed_off_by: Option<Uuid>,
    signed_off_at: Option<DateTime<Utc>>,
    external_id: Option<String>,
    external_source: Option<String>,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

#[derive(Serialize)]
struct Page {
    items: Vec<Milestone>,
    next_cursor: Option<String>,
}

#[derive(serde::Deserialize)]
struct Limit {
    limit: Option<i64>,
}

async fn milestones(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<Uuid>,
    query: web::Query<Limit>,
) -> Result<HttpResponse, ApiError> {
    let limit = query.limit.unwrap_or(50).clamp(1, 100);
    let user_id = user(&state, &req).await?;
    let project_id = path.into_inner();
    visible_project(&state, project_id, user_id).await?;
    let rows = sqlx::query("SELECT * FROM milestones WHERE project_id = $1 ORDER BY id LIMIT $2")
        .bind(project_id)
        .bind(limit + 1)
        .fetch_all(pool(&state)?)
        .await
        .map_err(db)?;
    let more = rows.len() as i64 > limit;
    let mut items = Vec::with_capacity(rows.len());
    for row in rows.iter().take(limit as usize) {
        items.push(Milestone {
            id: row.try_get("id").map_err(db)?,
            project_id: row.try_get("project_id").map_err(db)?,
            title: row.try_get("title").map_err(db)?,
            knowledge_area: row.try_get("knowledge_area").map_err(db)?,
            description: row.try_get("description").map_err(db)?,
            due_date: row.try_get("due_date").map_err(db)?,
            staff_owner_id: row.try_get("staff_owner_id").map_err(db)?,
            consultant_id: row.try_get("consultant_id").map_err(db)?,
            stage: row.try_get("stage").map_err(db)?,
            stage_entered_at: row.try_get("stage_entered_at").map_err(db)?,
            signed_off_by: row.try_get("signed_off_by").map_err(db)?,
            signed_off_at: row.try_get("signed_off_at").map_err(db)?,
            external_id: row.try_get("external_id").map_err(db)?,
            external_source: row.try_get("external_source").map_err(db)?,
            version: row.try_get("version").map_err(db)?,
            created_at: row.try_get("created_at").map_err(db)?,
            updated_at: row.try_get("updated_at").map_err(db)?,
        });
    }
    let next_cursor = more
        .then(|| {
            items
                .last()
                .map(|m| crate::api::common::encode_cursor("milestones", m.id))
        })
        .flatten();
    Ok(HttpResponse::Ok().json(Page { items, next_cursor }))
}
