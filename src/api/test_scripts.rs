//! `/projects/{project_id}/test-scripts`: the processes staff test themselves before go-live,
//! and their runs.

use actix_web::{HttpResponse, delete, get, http::header, patch, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{
    bodies::test_scripts::{CreateTestRun, CreateTestScript, UpdateTestScript},
    common::{IfMatch, Page, Reply, commit, envelope, page, text_param},
    extract::{ApiJson, Authenticated},
    idempotency::RequestClaim,
};
use crate::{
    domain::{
        ProjectRole,
        precondition::etag,
        query::ScriptFilter,
        test_script::{NewRun, NewScript, ScriptPatch, TestResult},
    },
    entity::{test_run, test_script},
    error::{ApiError, Problem},
    service::{AppState, test_scripts},
};

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create_test_script)
        .service(list_test_scripts)
        .service(get_test_script)
        .service(update_test_script)
        .service(delete_test_script)
        .service(record_test_run)
        .service(list_test_runs);
}

#[derive(Serialize, ToSchema)]
pub struct TestScriptResponse {
    pub id: Uuid,
    pub project_id: Uuid,
    pub title: String,
    pub knowledge_area: String,
    pub steps: String,
    /// Going live needs every critical script passed by staff.
    pub critical: bool,
    pub owner_id: Uuid,
    pub milestone_id: Option<Uuid>,
    /// Send as `If-Match: "<version>"` when changing or deleting the script.
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn script_response(s: test_script::Model) -> TestScriptResponse {
    TestScriptResponse {
        id: s.id,
        project_id: s.project_id,
        title: s.title,
        knowledge_area: s.knowledge_area,
        steps: s.steps,
        critical: s.critical,
        owner_id: s.owner_id,
        milestone_id: s.milestone_id,
        version: s.version,
        created_at: s.created_at,
        updated_at: s.updated_at,
    }
}

fn with_etag(mut res: actix_web::HttpResponseBuilder, s: test_script::Model) -> HttpResponse {
    res.insert_header((header::ETAG, etag(s.version)))
        .json(script_response(s))
}

/// One run of a test script.
#[derive(Serialize, ToSchema)]
pub struct TestRunResponse {
    pub id: Uuid,
    pub script_id: Uuid,
    /// Who ran it (the person who recorded it).
    pub user_id: Uuid,
    /// Their side when they recorded it: only `staff` runs count as staff-tested.
    pub party: ProjectRole,
    pub result: TestResult,
    pub occurred_on: NaiveDate,
    pub notes: Option<String>,
    pub created_at: DateTime<Utc>,
}

fn run_response(r: test_run::Model) -> TestRunResponse {
    TestRunResponse {
        id: r.id,
        script_id: r.script_id,
        user_id: r.user_id,
        party: r.party,
        result: r.result,
        occurred_on: r.occurred_on,
        notes: r.notes,
        created_at: r.created_at,
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TestScriptListQuery {
    pub critical: Option<bool>,
    pub owner_id: Option<Uuid>,
    pub knowledge_area: Option<String>,
    pub milestone_id: Option<Uuid>,
    /// 1 to 100 (default 50).
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TestRunListQuery {
    /// 1 to 100 (default 50).
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

type ScriptPath = web::Path<(Uuid, Uuid)>;

/// Write a test script (project members and write keys). Its owner must be active staff.
#[utoipa::path(
    tag = "test scripts",
    security(("bearer" = [])),
    params(("project_id" = Uuid, Path)),
    request_body = CreateTestScript,
    responses(
        (status = 201, description = "Created.", body = TestScriptResponse,
            headers(("Location" = String, description = "The new script."), ("ETag" = String, description = "Its version."))),
        (status = 403, description = "Not a member of the project (nor a write key).", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field breaks a rule (the owner is not active staff, the milestone is not the project's).", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/projects/{project_id}/test-scripts")]
async fn create_test_script(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    claim: RequestClaim,
    path: web::Path<Uuid>,
    ApiJson(body): ApiJson<CreateTestScript>,
) -> Result<HttpResponse, ApiError> {
    let project_id = path.into_inner();
    let new = NewScript::try_from(body)?;
    let created = test_scripts::create(&state, &caller, project_id, new).await?;
    let s = created.value();
    let reply = Reply::created(format!(
        "/api/v1/projects/{project_id}/test-scripts/{}",
        s.id
    ))
    .with_etag(s.version);
    commit(created, &claim, reply, script_response).await
}

/// The project's test scripts, oldest first.
#[utoipa::path(
    tag = "test scripts",
    security(("bearer" = [])),
    params(("project_id" = Uuid, Path), TestScriptListQuery),
    responses((status = 200, description = "One page.", body = Page<TestScriptResponse>))
)]
#[get("/projects/{project_id}/test-scripts")]
async fn list_test_scripts(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    path: web::Path<Uuid>,
    query: web::Query<TestScriptListQuery>,
) -> Result<web::Json<Page<TestScriptResponse>>, ApiError> {
    let q = query.into_inner();
    let request = page("test-scripts", q.limit, q.cursor.as_deref())?;
    let filter = ScriptFilter {
        critical: q.critical,
        owner_id: q.owner_id,
        knowledge_area: text_param("knowledge_area", q.knowledge_area)?,
        milestone_id: q.milestone_id,
    };
    let rows = test_scripts::list(&state, &caller, path.into_inner(), filter, request).await?;
    Ok(web::Json(envelope(
        "test-scripts",
        rows,
        |s| s.id,
        script_response,
    )))
}

/// One test script.
#[utoipa::path(
    tag = "test scripts",
    security(("bearer" = [])),
    params(("project_id" = Uuid, Path), ("script_id" = Uuid, Path)),
    responses((status = 200, description = "The script.", body = TestScriptResponse,
        headers(("ETag" = String, description = "Its version, for `If-Match`."))))
)]
#[get("/projects/{project_id}/test-scripts/{script_id}")]
async fn get_test_script(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    path: ScriptPath,
) -> Result<HttpResponse, ApiError> {
    let (project_id, script_id) = path.into_inner();
    let s = test_scripts::get(&state, &caller, project_id, script_id).await?;
    Ok(with_etag(HttpResponse::Ok(), s))
}

/// Edit a test script (its owner, a staff lead or a write key; `If-Match` required).
#[utoipa::path(
    tag = "test scripts",
    security(("bearer" = [])),
    params(("project_id" = Uuid, Path), ("script_id" = Uuid, Path), ("If-Match" = String, Header, description = "The script's ETag.")),
    request_body = UpdateTestScript,
    responses(
        (status = 200, description = "Updated.", body = TestScriptResponse, headers(("ETag" = String, description = "The new version."))),
        (status = 403, description = "Not the script's owner, a staff lead or a write key.", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The script changed since you read it.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field breaks a rule.", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "`If-Match` is missing.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/projects/{project_id}/test-scripts/{script_id}")]
async fn update_test_script(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    path: ScriptPath,
    if_match: IfMatch,
    ApiJson(body): ApiJson<UpdateTestScript>,
) -> Result<HttpResponse, ApiError> {
    let patch = ScriptPatch::try_from(body)?;
    let s = test_scripts::update(&state, &caller, path.into_inner(), &if_match, patch).await?;
    Ok(with_etag(HttpResponse::Ok(), s))
}

/// Delete a test script (staff leads and organisation admins; `If-Match` required). Reports for
/// earlier days still see it.
#[utoipa::path(
    tag = "test scripts",
    security(("bearer" = [])),
    params(("project_id" = Uuid, Path), ("script_id" = Uuid, Path), ("If-Match" = String, Header, description = "The script's ETag.")),
    responses(
        (status = 204, description = "Deleted."),
        (status = 403, description = "Not a staff lead or organisation admin.", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The script changed since you read it.", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "`If-Match` is missing.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/projects/{project_id}/test-scripts/{script_id}")]
async fn delete_test_script(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    path: ScriptPath,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    test_scripts::delete(&state, &caller, path.into_inner(), &if_match).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Record a run of the script by yourself (a person who takes part in the project; API keys
/// never record runs). Your side is stored with it: only runs by staff count as staff-tested.
#[utoipa::path(
    tag = "test scripts",
    security(("bearer" = [])),
    params(("project_id" = Uuid, Path), ("script_id" = Uuid, Path)),
    request_body = CreateTestRun,
    responses(
        (status = 201, description = "Recorded.", body = TestRunResponse,
            headers(("Location" = String, description = "The script's runs."))),
        (status = 403, description = "An API key (`person_required`), or not a member of the project.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`occurred_on` is in the future, or a field breaks a rule.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/projects/{project_id}/test-scripts/{script_id}/runs")]
async fn record_test_run(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    claim: RequestClaim,
    path: ScriptPath,
    ApiJson(body): ApiJson<CreateTestRun>,
) -> Result<HttpResponse, ApiError> {
    let (project_id, script_id) = path.into_inner();
    let run = NewRun::try_from(body)?;
    let recorded = test_scripts::record_run(&state, &caller, (project_id, script_id), run).await?;
    let reply = Reply::created(format!(
        "/api/v1/projects/{project_id}/test-scripts/{script_id}/runs"
    ));
    commit(recorded, &claim, reply, run_response).await
}

/// The script's runs, in the order recorded.
#[utoipa::path(
    tag = "test scripts",
    security(("bearer" = [])),
    params(("project_id" = Uuid, Path), ("script_id" = Uuid, Path), TestRunListQuery),
    responses((status = 200, description = "One page.", body = Page<TestRunResponse>))
)]
#[get("/projects/{project_id}/test-scripts/{script_id}/runs")]
async fn list_test_runs(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    path: ScriptPath,
    query: web::Query<TestRunListQuery>,
) -> Result<web::Json<Page<TestRunResponse>>, ApiError> {
    let q = query.into_inner();
    let request = page("test-runs", q.limit, q.cursor.as_deref())?;
    let rows = test_scripts::list_runs(&state, &caller, path.into_inner(), request).await?;
    Ok(web::Json(envelope(
        "test-runs",
        rows,
        |r| r.id,
        run_response,
    )))
}
