//! `/projects/{project_id}/activities` (the ledger) and `/projects/{project_id}/readiness`.

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
    service::{
        AppState, activities,
        readiness::{self, NextAction, ReadinessReport, changes::ReadinessChanges},
    },
};

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(log_activity)
        .service(sync_activities)
        .service(list_activities)
        .service(delete_activity)
        .service(get_readiness)
        .service(readiness_changes)
        .service(my_next_actions);
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

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReadinessQuery {
    /// The day the report is for (default: today, UTC): milestones, stages, owners, members,
    /// commitments, away periods and project dates as they stood at the end of it, and the
    /// activities on or before it. From the project's creation day to today.
    #[serde(default, deserialize_with = "crate::domain::day::optional")]
    pub as_of: Option<NaiveDate>,
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

/// The readiness report (model 2): a 0–100 score from five components, the signals beside it
/// (shares, drifting, stalled, countdowns), milestone and hour figures, each member's
/// commitment, knowledge areas with their bus factor, blockers, and the next action for each
/// person — all read as the project stood at the end of `as_of` (UTC).
#[utoipa::path(
    tag = "readiness",
    security(("bearer" = [])),
    params(("project_id" = Uuid, Path), ReadinessQuery),
    responses(
        (status = 200, description = "The report.", body = ReadinessReport),
        (status = 422, description = "`invalid_as_of`: after today, or before the project was created.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/projects/{project_id}/readiness")]
async fn get_readiness(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    path: web::Path<Uuid>,
    query: web::Query<ReadinessQuery>,
) -> Result<web::Json<ReadinessReport>, ApiError> {
    Ok(web::Json(
        readiness::report(&state, &caller, path.into_inner(), query.as_of).await?,
    ))
}

/// One of your next actions, with the project and organisation it belongs to.
#[derive(Serialize, ToSchema)]
pub struct MyNextActionResponse {
    pub org_id: Uuid,
    #[schema(example = "Acme Association")]
    pub org_name: String,
    pub project_id: Uuid,
    #[schema(example = "Move to the new AMS")]
    pub project_name: String,
    #[serde(flatten)]
    pub action: NextAction,
}

/// Your next actions across every open project you take part in.
#[derive(Serialize, ToSchema)]
pub struct MyNextActionsResponse {
    /// Today (UTC): every project's report is read for it.
    pub as_of: NaiveDate,
    /// Most urgent first: `overdue`, `sign_off`, `owner_away`, `reschedule_before_exit`,
    /// `hands_on_needed`, `assign_staff_owner`, `project_stalled`, `knowledge_at_risk`,
    /// `step_back`, `log_time`; within a kind, the longest waiting first, then by project name.
    pub items: Vec<MyNextActionResponse>,
    /// True when you take part in more than 100 projects: only the first 100 (by id) were read.
    pub more_projects: bool,
}

/// Your next actions: the items addressed to you in the readiness report of every open project
/// you take part in, each with its project and organisation, most urgent first (people only).
#[utoipa::path(
    tag = "readiness",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Your items, most urgent first.", body = MyNextActionsResponse),
        (status = 403, description = "`person_required`: an API key has no next actions of its own.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/me/next-actions")]
async fn my_next_actions(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
) -> Result<web::Json<MyNextActionsResponse>, ApiError> {
    let (items, more_projects) = readiness::my_next_actions(&state, &caller).await?;
    Ok(web::Json(MyNextActionsResponse {
        as_of: caller.today(),
        items: items
            .into_iter()
            .map(|mine| MyNextActionResponse {
                org_id: mine.org.id,
                org_name: mine.org.name,
                project_id: mine.project.id,
                project_name: mine.project.name,
                action: mine.action,
            })
            .collect(),
        more_projects,
    }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ChangesQuery {
    /// The earlier day: changes after the end of it are listed. From the project's creation day
    /// to `as_of`.
    #[serde(deserialize_with = "crate::domain::day::required")]
    #[param(example = "2026-11-23")]
    pub since: NaiveDate,
    /// The later day (default today, UTC): the state at the end of it.
    #[serde(default, deserialize_with = "crate::domain::day::optional")]
    #[param(example = "2026-11-30")]
    pub as_of: Option<NaiveDate>,
}

/// What changed between two days: the score and its components on both, the moves on the
/// ladder (from, to, who, when), milestones newly handed off, owners named or lost, members who
/// joined, left or went away, and `got_better` — the improvements in plain words.
#[utoipa::path(
    tag = "readiness",
    security(("bearer" = [])),
    params(("project_id" = Uuid, Path), ChangesQuery),
    responses(
        (status = 200, description = "The changes.", body = ReadinessChanges),
        (status = 422, description = "`invalid_as_of`: `as_of` after today or before the project was created, or `since` after `as_of` or before the project was created.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/projects/{project_id}/readiness/changes")]
async fn readiness_changes(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    path: web::Path<Uuid>,
    query: web::Query<ChangesQuery>,
) -> Result<web::Json<ReadinessChanges>, ApiError> {
    let q = query.into_inner();
    let changes = readiness::changes(&state, &caller, path.into_inner(), q.since, q.as_of).await?;
    Ok(web::Json(changes))
}
