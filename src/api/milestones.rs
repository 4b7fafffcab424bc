//! `/projects/{project_id}/milestones`: handoff milestones, their transitions and criteria.

use actix_web::{HttpResponse, delete, get, http::StatusCode, http::header, patch, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{
    bodies::milestones::{
        CreateCriterion, CreateMilestone, SyncMilestones, TransitionRequest, UpdateCriterion,
        UpdateMilestone,
    },
    common::{BatchResponse, IfMatch, Page, batch_items, envelope, page, text_param},
    common::{Reply, commit},
    extract::{ApiJson, Authenticated},
    idempotency::RequestClaim,
};
use crate::{
    domain::precondition::etag,
    domain::query::MilestoneFilter,
    domain::{
        Action, Stage,
        milestone::{CriterionPatch, MilestonePatch, Move, NewMilestone, Upsert},
    },
    entity::{criterion, milestone, milestone_transition},
    error::{ApiError, Problem},
    service::{
        AppState, criteria,
        milestones::{self, MilestoneView},
    },
};

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create_milestone)
        .service(sync_milestones)
        .service(list_milestones)
        .service(get_milestone)
        .service(update_milestone)
        .service(delete_milestone)
        .service(transition)
        .service(history)
        .service(create_criterion)
        .service(get_criterion)
        .service(update_criterion)
        .service(delete_criterion);
}

#[derive(Serialize, ToSchema)]
pub struct CriterionResponse {
    pub id: Uuid,
    pub text: String,
    pub done: bool,
    pub done_by: Option<Uuid>,
    pub done_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

fn criterion_response(c: criterion::Model) -> CriterionResponse {
    CriterionResponse {
        id: c.id,
        text: c.text,
        done: c.done,
        done_by: c.done_by,
        done_at: c.done_at,
        created_at: c.created_at,
    }
}

#[derive(Serialize, ToSchema)]
pub struct MilestoneResponse {
    pub id: Uuid,
    pub project_id: Uuid,
    pub title: String,
    pub knowledge_area: String,
    pub description: Option<String>,
    pub due_date: Option<NaiveDate>,
    pub staff_owner_id: Option<Uuid>,
    pub consultant_id: Option<Uuid>,
    pub stage: Stage,
    pub stage_entered_at: DateTime<Utc>,
    pub signed_off_by: Option<Uuid>,
    pub signed_off_at: Option<DateTime<Utc>>,
    pub external_id: Option<String>,
    pub external_source: Option<String>,
    /// Send as `If-Match: "<version>"` when changing or deleting the milestone.
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn milestone_response(m: milestone::Model) -> MilestoneResponse {
    MilestoneResponse {
        id: m.id,
        project_id: m.project_id,
        title: m.title,
        knowledge_area: m.knowledge_area,
        description: m.description,
        due_date: m.due_date,
        staff_owner_id: m.staff_owner_id,
        consultant_id: m.consultant_id,
        stage: m.stage,
        stage_entered_at: m.stage_entered_at,
        signed_off_by: m.signed_off_by,
        signed_off_at: m.signed_off_at,
        external_id: m.external_id,
        external_source: m.external_source,
        version: m.version,
        created_at: m.created_at,
        updated_at: m.updated_at,
    }
}

/// A milestone with its acceptance criteria and what the caller can do with it now.
#[derive(Serialize, ToSchema)]
pub struct MilestoneDetail {
    #[serde(flatten)]
    pub milestone: MilestoneResponse,
    pub criteria: Vec<CriterionResponse>,
    /// The transitions the caller may perform right now.
    pub allowed_actions: Vec<Action>,
}

fn detail(view: MilestoneView) -> MilestoneDetail {
    MilestoneDetail {
        milestone: milestone_response(view.milestone),
        criteria: view.criteria.into_iter().map(criterion_response).collect(),
        allowed_actions: view.allowed_actions,
    }
}

fn detail_with_etag(mut res: actix_web::HttpResponseBuilder, view: MilestoneView) -> HttpResponse {
    res.insert_header((header::ETAG, etag(view.milestone.version)))
        .json(detail(view))
}

#[derive(Serialize, ToSchema)]
pub struct TransitionResponse {
    pub id: Uuid,
    /// `advance`, `sign_off`, `reject`, `reopen`, or `owner_reassigned` (an owner change that
    /// sent the milestone back).
    pub action: String,
    pub from: Stage,
    pub to: Stage,
    pub note: Option<String>,
    pub actor_user_id: Option<Uuid>,
    pub occurred_at: DateTime<Utc>,
}

fn transition_response(t: milestone_transition::Model) -> TransitionResponse {
    TransitionResponse {
        id: t.id,
        action: t.action,
        from: t.from_stage,
        to: t.to_stage,
        note: t.note,
        actor_user_id: t.actor_user_id,
        occurred_at: t.occurred_at,
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MilestoneListQuery {
    pub stage: Option<Stage>,
    pub knowledge_area: Option<String>,
    pub staff_owner_id: Option<Uuid>,
    /// Only milestones due before today (UTC) and not handed off.
    #[serde(default)]
    pub overdue: bool,
    /// Only milestones changed (edited or moved on the ladder) at or after this instant (RFC
    /// 3339): what a vendor syncs since its last run.
    pub updated_since: Option<DateTime<Utc>>,
    /// With `external_id`: find a milestone by a vendor's id.
    pub external_source: Option<String>,
    pub external_id: Option<String>,
    /// 1 to 100 (default 50).
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct HistoryQuery {
    /// 1 to 100 (default 50).
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

type MilestonePath = web::Path<(Uuid, Uuid)>;

/// Create a handoff milestone (project members), at stage `planned`.
#[utoipa::path(
    tag = "milestones",
    security(("bearer" = [])),
    params(("project_id" = Uuid, Path)),
    request_body = CreateMilestone,
    responses(
        (status = 201, description = "Created.", body = MilestoneDetail,
            headers(("Location" = String, description = "The new milestone."), ("ETag" = String, description = "Its version."))),
        (status = 403, description = "Not a member of the project, or a consultant deciding the staff owner (only staff or a write key set, change or clear `staff_owner_id`).", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Another milestone has this external id.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field breaks a rule (e.g. the owner is not active staff).", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/projects/{project_id}/milestones")]
async fn create_milestone(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    claim: RequestClaim,
    path: web::Path<Uuid>,
    ApiJson(body): ApiJson<CreateMilestone>,
) -> Result<HttpResponse, ApiError> {
    let project_id = path.into_inner();
    let new = NewMilestone::try_from(body)?;
    let view = milestones::create(&state, &caller, project_id, new).await?;
    let created = &view.value().milestone;
    let reply = Reply::created(format!(
        "/api/v1/projects/{project_id}/milestones/{}",
        created.id
    ))
    .with_etag(created.version);
    commit(view, &claim, reply, detail).await
}

/// Create or update many milestones by their external ids (a vendor's sync).
///
/// Each item is the milestone the vendor keeps under `external_source` + `external_id`: created
/// when the project has none under that id, otherwise brought up to date (fields the item
/// leaves out stay as they are; `null` clears). Every rule, right and event of a create or an
/// edit applies to each item alone: an item refused for a right or the project's state (a
/// consultant naming a staff owner, an owner who is not active staff, an external id taken)
/// fails with its problem and writes nothing, and the others stand. An item that breaks a field
/// rule (an empty title, a text too long) refuses the whole batch with 422, like any request
/// that breaks its schema. Edits need no `If-Match` (the vendor's record wins). Sending
/// the same batch again changes nothing (`unchanged`), and with the same `Idempotency-Key` the
/// first answer is replayed. The body is limited to 64 KiB like every other: 100 items with
/// short descriptions fit.
#[utoipa::path(
    tag = "milestones",
    security(("bearer" = [])),
    params(("project_id" = Uuid, Path)),
    request_body = SyncMilestones,
    responses(
        (status = 200, description = "One result per item, in the order sent.", body = BatchResponse<MilestoneResponse>),
        (status = 403, description = "Not a member of the project (nor a write key).", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The project is closed.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not 1 to 100 items, or an item breaks a field rule (`items[i].field`): nothing is written.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/projects/{project_id}/milestones/batch")]
async fn sync_milestones(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    claim: RequestClaim,
    path: web::Path<Uuid>,
    ApiJson(body): ApiJson<SyncMilestones>,
) -> Result<HttpResponse, ApiError> {
    let items = batch_items(body.items, Upsert::try_from)?;
    let synced = milestones::sync(&state, &caller, path.into_inner(), items).await?;
    let answer = |results| {
        BatchResponse::of(results, |view: MilestoneView| {
            milestone_response(view.milestone)
        })
    };
    commit(synced, &claim, Reply::new(StatusCode::OK), answer).await
}

/// The project's milestones, oldest first.
#[utoipa::path(
    tag = "milestones",
    security(("bearer" = [])),
    params(("project_id" = Uuid, Path), MilestoneListQuery),
    responses((status = 200, description = "One page.", body = Page<MilestoneResponse>))
)]
#[get("/projects/{project_id}/milestones")]
async fn list_milestones(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    path: web::Path<Uuid>,
    query: web::Query<MilestoneListQuery>,
) -> Result<web::Json<Page<MilestoneResponse>>, ApiError> {
    let q = query.into_inner();
    let request = page("milestones", q.limit, q.cursor.as_deref())?;
    let filter = MilestoneFilter {
        stage: q.stage,
        knowledge_area: text_param("knowledge_area", q.knowledge_area)?,
        staff_owner_id: q.staff_owner_id,
        overdue_on: q.overdue.then(|| caller.today()),
        external_source: text_param("external_source", q.external_source)?,
        external_id: text_param("external_id", q.external_id)?,
        updated_since: q.updated_since,
    };
    let rows = milestones::list(&state, &caller, path.into_inner(), filter, request).await?;
    Ok(web::Json(envelope(
        "milestones",
        rows,
        |m| m.id,
        milestone_response,
    )))
}

/// One milestone with its criteria and the caller's `allowed_actions`.
#[utoipa::path(
    tag = "milestones",
    security(("bearer" = [])),
    params(("project_id" = Uuid, Path), ("milestone_id" = Uuid, Path)),
    responses((status = 200, description = "The milestone.", body = MilestoneDetail,
        headers(("ETag" = String, description = "Its version, for `If-Match`."))))
)]
#[get("/projects/{project_id}/milestones/{milestone_id}")]
async fn get_milestone(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    path: MilestonePath,
) -> Result<HttpResponse, ApiError> {
    let (project_id, milestone_id) = path.into_inner();
    let view = milestones::get(&state, &caller, project_id, milestone_id).await?;
    Ok(detail_with_etag(HttpResponse::Ok(), view))
}

/// Edit a milestone (project members; `If-Match` required). `stage` and the sign-off fields
/// are not writable: use transitions.
#[utoipa::path(
    tag = "milestones",
    security(("bearer" = [])),
    params(("project_id" = Uuid, Path), ("milestone_id" = Uuid, Path), ("If-Match" = String, Header, description = "The milestone's ETag.")),
    request_body = UpdateMilestone,
    responses(
        (status = 200, description = "Updated.", body = MilestoneDetail, headers(("ETag" = String, description = "The new version."))),
        (status = 403, description = "Not a member of the project, or a consultant deciding the staff owner (only staff or a write key set, change or clear `staff_owner_id`).", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Another milestone has this external id.", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The milestone changed since you read it.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field breaks a rule.", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "`If-Match` is missing.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/projects/{project_id}/milestones/{milestone_id}")]
async fn update_milestone(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    path: MilestonePath,
    if_match: IfMatch,
    ApiJson(body): ApiJson<UpdateMilestone>,
) -> Result<HttpResponse, ApiError> {
    let (project_id, milestone_id) = path.into_inner();
    let patch = MilestonePatch::try_from(body)?;
    let view =
        milestones::update(&state, &caller, project_id, milestone_id, &if_match, patch).await?;
    Ok(detail_with_etag(HttpResponse::Ok(), view))
}

/// Delete a milestone (staff leads and organisation admins; `If-Match` required). It is gone
/// from then on (404, not listed, its external id free again), but readiness reports for
/// earlier days still see it with its stages and hours.
#[utoipa::path(
    tag = "milestones",
    security(("bearer" = [])),
    params(("project_id" = Uuid, Path), ("milestone_id" = Uuid, Path), ("If-Match" = String, Header, description = "The milestone's ETag.")),
    responses(
        (status = 204, description = "Deleted."),
        (status = 403, description = "Not a staff lead or organisation admin.", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The milestone changed since you read it.", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "`If-Match` is missing.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/projects/{project_id}/milestones/{milestone_id}")]
async fn delete_milestone(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    path: MilestonePath,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let (project_id, milestone_id) = path.into_inner();
    milestones::delete(&state, &caller, project_id, milestone_id, &if_match).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Move a milestone along the ladder: `advance` (any member), `sign_off` (the staff owner
/// only), `reject` (staff owner or staff lead, with a note), `reopen` (staff lead, with a note).
#[utoipa::path(
    tag = "milestones",
    security(("bearer" = [])),
    params(("project_id" = Uuid, Path), ("milestone_id" = Uuid, Path)),
    request_body = TransitionRequest,
    responses(
        (status = 200, description = "Moved.", body = MilestoneDetail, headers(("ETag" = String, description = "The new version."))),
        (status = 403, description = "The caller may not perform this action.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not possible from the current stage, or a precondition is unmet: the problem lists `allowed_actions` and `unmet`.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`reject` and `reopen` need a note.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/projects/{project_id}/milestones/{milestone_id}/transitions")]
async fn transition(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    claim: RequestClaim,
    path: MilestonePath,
    ApiJson(body): ApiJson<TransitionRequest>,
) -> Result<HttpResponse, ApiError> {
    let (project_id, milestone_id) = path.into_inner();
    let mv = Move::try_from(body)?;
    let view = milestones::transition(&state, &caller, project_id, milestone_id, mv).await?;
    let reply = Reply::new(StatusCode::OK).with_etag(view.value().milestone.version);
    commit(view, &claim, reply, detail).await
}

/// The milestone's transitions, oldest first.
#[utoipa::path(
    tag = "milestones",
    security(("bearer" = [])),
    params(("project_id" = Uuid, Path), ("milestone_id" = Uuid, Path), HistoryQuery),
    responses((status = 200, description = "One page.", body = Page<TransitionResponse>))
)]
#[get("/projects/{project_id}/milestones/{milestone_id}/history")]
async fn history(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    path: MilestonePath,
    query: web::Query<HistoryQuery>,
) -> Result<web::Json<Page<TransitionResponse>>, ApiError> {
    let (project_id, milestone_id) = path.into_inner();
    let request = page("transitions", query.limit, query.cursor.as_deref())?;
    let rows = milestones::history(&state, &caller, project_id, milestone_id, request).await?;
    Ok(web::Json(envelope(
        "transitions",
        rows,
        |t| t.id,
        transition_response,
    )))
}

/// Add an acceptance criterion (project members).
#[utoipa::path(
    tag = "milestones",
    security(("bearer" = [])),
    params(("project_id" = Uuid, Path), ("milestone_id" = Uuid, Path)),
    request_body = CreateCriterion,
    responses(
        (status = 201, description = "Added.", body = CriterionResponse, headers(("Location" = String, description = "The criterion."))),
        (status = 403, description = "Not a member of the project.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Empty or longer than 500 characters.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/projects/{project_id}/milestones/{milestone_id}/criteria")]
async fn create_criterion(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    claim: RequestClaim,
    path: MilestonePath,
    ApiJson(body): ApiJson<CreateCriterion>,
) -> Result<HttpResponse, ApiError> {
    let (project_id, milestone_id) = path.into_inner();
    let text = body.parse()?;
    let created = criteria::create(&state, &caller, project_id, milestone_id, text).await?;
    let reply = Reply::created(format!(
        "/api/v1/projects/{project_id}/milestones/{milestone_id}/criteria/{}",
        created.value().id
    ));
    commit(created, &claim, reply, criterion_response).await
}

/// One acceptance criterion.
#[utoipa::path(
    tag = "milestones",
    security(("bearer" = [])),
    params(("project_id" = Uuid, Path), ("milestone_id" = Uuid, Path), ("criterion_id" = Uuid, Path)),
    responses((status = 200, description = "The criterion.", body = CriterionResponse))
)]
#[get("/projects/{project_id}/milestones/{milestone_id}/criteria/{criterion_id}")]
async fn get_criterion(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    path: web::Path<(Uuid, Uuid, Uuid)>,
) -> Result<web::Json<CriterionResponse>, ApiError> {
    let (project_id, milestone_id, criterion_id) = path.into_inner();
    let found = criteria::get(&state, &caller, project_id, milestone_id, criterion_id).await?;
    Ok(web::Json(criterion_response(found)))
}

/// Edit a criterion's text (project members) or mark it done (staff only).
#[utoipa::path(
    tag = "milestones",
    security(("bearer" = [])),
    params(("project_id" = Uuid, Path), ("milestone_id" = Uuid, Path), ("criterion_id" = Uuid, Path)),
    request_body = UpdateCriterion,
    responses(
        (status = 200, description = "Updated.", body = CriterionResponse),
        (status = 403, description = "Not a member, or a consultant setting `done`.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Empty or longer than 500 characters.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/projects/{project_id}/milestones/{milestone_id}/criteria/{criterion_id}")]
async fn update_criterion(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    path: web::Path<(Uuid, Uuid, Uuid)>,
    ApiJson(body): ApiJson<UpdateCriterion>,
) -> Result<web::Json<CriterionResponse>, ApiError> {
    let (project_id, milestone_id, criterion_id) = path.into_inner();
    let patch = CriterionPatch::try_from(body)?;
    let updated = criteria::update(
        &state,
        &caller,
        project_id,
        milestone_id,
        criterion_id,
        patch,
    )
    .await?;
    Ok(web::Json(criterion_response(updated)))
}

/// Delete a criterion (staff leads and organisation admins).
#[utoipa::path(
    tag = "milestones",
    security(("bearer" = [])),
    params(("project_id" = Uuid, Path), ("milestone_id" = Uuid, Path), ("criterion_id" = Uuid, Path)),
    responses(
        (status = 204, description = "Deleted."),
        (status = 403, description = "Not a staff lead or organisation admin.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/projects/{project_id}/milestones/{milestone_id}/criteria/{criterion_id}")]
async fn delete_criterion(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    path: web::Path<(Uuid, Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (project_id, milestone_id, criterion_id) = path.into_inner();
    criteria::delete(&state, &caller, project_id, milestone_id, criterion_id).await?;
    Ok(HttpResponse::NoContent().finish())
}
