//! `/projects/{project_id}/activities`: the ledger.

use actix_web::{HttpResponse, delete, get, http::StatusCode, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{
    bodies::activities::{LogActivity, SyncActivities, synced_entry},
    common::{BatchResponse, Page, batch_items, envelope, page, text_param},
    common::{Reply, commit},
    extract::{ApiJson, Authenticated},
    idempotency::RequestClaim,
};
use crate::{
    domain::activity::Entry,
    domain::query::{ActivityFilter, Order, PageRequest},
    domain::{ActivityKind, ProjectRole},
    entity::activity,
    error::{ApiError, Problem},
    service::{AppState, activities},
};

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(log_activity)
        .service(sync_activities)
        .service(list_activities)
        .service(delete_activity);
}

#[derive(Serialize, ToSchema)]
pub struct ActivityResponse {
    pub id: Uuid,
    pub user_id: Uuid,
    /// The member's side when the time was logged.
    pub party: ProjectRole,
    pub occurred_on: NaiveDate,
    #[schema(example = 1.5)]
    pub hours: f64,
    pub kind: ActivityKind,
    pub milestone_id: Option<Uuid>,
    pub note: Option<String>,
    pub external_id: Option<String>,
    pub external_source: Option<String>,
    pub created_at: DateTime<Utc>,
}

fn activity_response(a: activity::Model) -> ActivityResponse {
    ActivityResponse {
        id: a.id,
        user_id: a.user_id,
        party: a.party,
        occurred_on: a.occurred_on,
        hours: f64::from(a.quarter_hours) / 4.0,
        kind: a.kind,
        milestone_id: a.milestone_id,
        note: a.note,
        external_id: a.external_id,
        external_source: a.external_source,
        created_at: a.created_at,
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ActivityListQuery {
    pub user_id: Option<Uuid>,
    pub milestone_id: Option<Uuid>,
    pub kind: Option<ActivityKind>,
    pub party: Option<ProjectRole>,
    /// On or after this day.
    #[serde(default, deserialize_with = "crate::domain::day::optional")]
    pub from: Option<NaiveDate>,
    /// On or before this day.
    #[serde(default, deserialize_with = "crate::domain::day::optional")]
    pub to: Option<NaiveDate>,
    /// `asc` (default: oldest first) or `desc` (newest first).
    pub order: Option<Order>,
    /// Only entries logged at or after this instant (RFC 3339; entries are never edited).
    pub updated_since: Option<DateTime<Utc>>,
    /// Entries a vendor synced, by its source and id (how to find one after a lost answer).
    pub external_source: Option<String>,
    pub external_id: Option<String>,
    /// 1 to 100 (default 50).
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Log time spent on the project, for yourself (project members).
#[utoipa::path(
    tag = "activities",
    security(("bearer" = [])),
    params(("project_id" = Uuid, Path)),
    request_body = LogActivity,
    responses(
        (status = 201, description = "Logged.", body = ActivityResponse, headers(("Location" = String, description = "The activity."))),
        (status = 403, description = "Not a member of the project.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`external_id_taken`: the project has an entry with this `external_source` and `external_id` already.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Hours out of range, a day more than one day after today (UTC) or before the start, or a milestone of another project.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/projects/{project_id}/activities")]
async fn log_activity(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    claim: RequestClaim,
    path: web::Path<Uuid>,
    ApiJson(body): ApiJson<LogActivity>,
) -> Result<HttpResponse, ApiError> {
    let project_id = path.into_inner();
    let entry = Entry::try_from(body)?;
    let logged = activities::log(&state, &caller, project_id, entry).await?;
    let reply = Reply::created(format!(
        "/api/v1/projects/{project_id}/activities/{}",
        logged.value().id
    ));
    commit(logged, &claim, reply, activity_response).await
}

/// Log many time entries by their external ids (a vendor's sync).
///
/// Each item is an entry as `POST …/activities` takes it, with `external_source` and
/// `external_id` required: logged (`created`) unless the project has an entry under that id;
/// `unchanged` when that entry has the same values; `failed` with 409 `external_id_taken` when
/// its values differ (entries are never edited: delete it and log the corrected one). Every
/// right and rule of the ledger applies to each item alone (the member it is for, the day's 24
/// hours, the milestone): an item that fails writes nothing, the others stand. An item that
/// breaks a field rule (hours out of range, no external id) refuses the whole batch with 422. Sending the same batch again changes nothing, and with the same
/// `Idempotency-Key` the first answer is replayed.
#[utoipa::path(
    tag = "activities",
    security(("bearer" = [])),
    params(("project_id" = Uuid, Path)),
    request_body = SyncActivities,
    responses(
        (status = 200, description = "One result per item, in the order sent.", body = BatchResponse<ActivityResponse>),
        (status = 403, description = "Not a member of the project, or a read-only key.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not 1 to 100 items, or an item breaks a field rule (`items[i].field`): nothing is written.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/projects/{project_id}/activities/batch")]
async fn sync_activities(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    claim: RequestClaim,
    path: web::Path<Uuid>,
    ApiJson(body): ApiJson<SyncActivities>,
) -> Result<HttpResponse, ApiError> {
    let items = batch_items(body.items, synced_entry)?;
    let synced = activities::sync(&state, &caller, path.into_inner(), items).await?;
    let answer = |results| BatchResponse::of(results, activity_response);
    commit(synced, &claim, Reply::new(StatusCode::OK), answer).await
}

/// The activity ledger, oldest first.
#[utoipa::path(
    tag = "activities",
    security(("bearer" = [])),
    params(("project_id" = Uuid, Path), ActivityListQuery),
    responses((status = 200, description = "One page.", body = Page<ActivityResponse>))
)]
#[get("/projects/{project_id}/activities")]
async fn list_activities(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    path: web::Path<Uuid>,
    query: web::Query<ActivityListQuery>,
) -> Result<web::Json<Page<ActivityResponse>>, ApiError> {
    let q = query.into_inner();
    let request = page("activities", q.limit, q.cursor.as_deref())?;
    let filter = ActivityFilter {
        user_id: q.user_id,
        milestone_id: q.milestone_id,
        kind: q.kind,
        party: q.party,
        from: q.from,
        to: q.to,
        external_source: text_param("external_source", q.external_source)?,
        external_id: text_param("external_id", q.external_id)?,
        updated_since: q.updated_since,
    };
    let request = PageRequest {
        order: q.order.unwrap_or_default(),
        ..request
    };
    let rows = activities::list(&state, &caller, path.into_inner(), filter, request).await?;
    Ok(web::Json(envelope(
        "activities",
        rows,
        |a| a.id,
        activity_response,
    )))
}

/// Delete an activity (its author, or a staff lead).
#[utoipa::path(
    tag = "activities",
    security(("bearer" = [])),
    params(("project_id" = Uuid, Path), ("activity_id" = Uuid, Path)),
    responses(
        (status = 204, description = "Deleted."),
        (status = 403, description = "Neither the author nor a staff lead.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/projects/{project_id}/activities/{activity_id}")]
async fn delete_activity(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (project_id, activity_id) = path.into_inner();
    activities::delete(&state, &caller, project_id, activity_id).await?;
    Ok(HttpResponse::NoContent().finish())
}
