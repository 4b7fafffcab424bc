//! `/projects/{project_id}/actions`: agreed actions — what the team agreed to do, by whom, by
//! when, and whom it waits on.

use actix_web::{HttpResponse, delete, get, http::header, patch, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{
    bodies::actions::{CreateAction, UpdateAction},
    common::{IfMatch, Page, Reply, bad_query, commit, decode_keyset, encode_keyset, limit},
    extract::{ApiJson, Authenticated},
    idempotency::RequestClaim,
};
use crate::{
    domain::{
        action::{ActionPatch, ActionStatus, NewAction, OutsideParty, WaitingOn},
        precondition::etag,
        query::{ActionFilter, ActionOrder, NO_DUE_DATE},
    },
    entity::agreed_action,
    error::{ApiError, Problem},
    service::{AppState, actions, readiness::WaitingOnView},
};

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create_action)
        .service(list_actions)
        .service(get_action)
        .service(update_action)
        .service(delete_action);
}

#[derive(Serialize, ToSchema)]
pub struct ActionResponse {
    pub id: Uuid,
    pub project_id: Uuid,
    pub title: String,
    pub owner_id: Uuid,
    pub due_date: Option<NaiveDate>,
    /// Whom it waits on (null: nobody).
    pub waiting_on: Option<WaitingOnView>,
    /// The day `waiting_on` was last set to a new value (null while it waits on nobody).
    pub waiting_since: Option<NaiveDate>,
    pub milestone_id: Option<Uuid>,
    pub agreed_on: NaiveDate,
    pub note: Option<String>,
    pub status: ActionStatus,
    /// Who closed it (null for an open action).
    pub closed_by: Option<Uuid>,
    pub closed_at: Option<DateTime<Utc>>,
    /// Send as `If-Match: "<version>"` when changing or deleting the action.
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn action_response(a: agreed_action::Model) -> ActionResponse {
    let waiting = WaitingOn::from_columns(
        a.waiting_user_id,
        a.waiting_party,
        a.waiting_name.as_deref(),
    );
    ActionResponse {
        id: a.id,
        project_id: a.project_id,
        title: a.title,
        owner_id: a.owner_id,
        due_date: a.due_date,
        waiting_on: waiting.as_ref().map(WaitingOnView::from),
        waiting_since: a.waiting_since,
        milestone_id: a.milestone_id,
        agreed_on: a.agreed_on,
        note: a.note,
        status: a.status,
        closed_by: a.closed_by,
        closed_at: a.closed_at,
        version: a.version,
        created_at: a.created_at,
        updated_at: a.updated_at,
    }
}

fn with_etag(mut res: actix_web::HttpResponseBuilder, a: agreed_action::Model) -> HttpResponse {
    res.insert_header((header::ETAG, etag(a.version)))
        .json(action_response(a))
}

/// How the list runs.
#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActionListOrder {
    /// Newest first (by creation).
    #[default]
    Newest,
    /// Soonest due first; those without a due date last; ties by id.
    Due,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ActionListQuery {
    pub status: Option<ActionStatus>,
    pub owner_id: Option<Uuid>,
    /// Only actions waiting on this member.
    pub waiting_on_user_id: Option<Uuid>,
    /// Only actions waiting on an outside party of this kind.
    pub waiting_on_party: Option<OutsideParty>,
    /// Only open actions due before today (UTC).
    #[serde(default)]
    pub overdue: bool,
    pub milestone_id: Option<Uuid>,
    /// `newest` (default) or `due`.
    pub order: Option<ActionListOrder>,
    /// 1 to 100 (default 50).
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page (of the same `order`).
    pub cursor: Option<String>,
}

type ActionPath = web::Path<(Uuid, Uuid)>;

/// Record an agreed action (project members and write keys).
#[utoipa::path(
    tag = "actions",
    security(("bearer" = [])),
    params(("project_id" = Uuid, Path)),
    request_body = CreateAction,
    responses(
        (status = 201, description = "Created.", body = ActionResponse,
            headers(("Location" = String, description = "The new action."), ("ETag" = String, description = "Its version."))),
        (status = 403, description = "Not a member of the project (nor a write key).", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field breaks a rule (the owner or the member waited on is not an active member, the milestone is not the project's, `agreed_on` is in the future).", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/projects/{project_id}/actions")]
async fn create_action(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    claim: RequestClaim,
    path: web::Path<Uuid>,
    ApiJson(body): ApiJson<CreateAction>,
) -> Result<HttpResponse, ApiError> {
    let project_id = path.into_inner();
    let new = NewAction::try_from(body)?;
    let created = actions::create(&state, &caller, project_id, new).await?;
    let a = created.value();
    let reply = Reply::created(format!("/api/v1/projects/{project_id}/actions/{}", a.id))
        .with_etag(a.version);
    commit(created, &claim, reply, action_response).await
}

/// The project's agreed actions, newest first or soonest due first.
#[utoipa::path(
    tag = "actions",
    security(("bearer" = [])),
    params(("project_id" = Uuid, Path), ActionListQuery),
    responses((status = 200, description = "One page.", body = Page<ActionResponse>))
)]
#[get("/projects/{project_id}/actions")]
async fn list_actions(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    path: web::Path<Uuid>,
    query: web::Query<ActionListQuery>,
) -> Result<web::Json<Page<ActionResponse>>, ApiError> {
    let q = query.into_inner();
    let limit = limit(q.limit)?;
    let order = q.order.unwrap_or_default();
    let kind = match order {
        ActionListOrder::Newest => "actions-newest",
        ActionListOrder::Due => "actions-due",
    };
    let bad_cursor = || {
        bad_query(
            "invalid_cursor",
            "`cursor` is not a cursor this list handed out.",
        )
    };
    let key = match q.cursor.as_deref() {
        None | Some("") => None,
        Some(cursor) => Some(decode_keyset(kind, cursor).ok_or_else(bad_cursor)?),
    };
    let order = match order {
        ActionListOrder::Newest => ActionOrder::Newest(
            key.map(|k| k.parse().map_err(|_| bad_cursor()))
                .transpose()?,
        ),
        ActionListOrder::Due => ActionOrder::Due(
            key.map(|k| {
                let (due, id) = k.split_once('|').ok_or_else(bad_cursor)?;
                Ok::<_, ApiError>((
                    due.parse().map_err(|_| bad_cursor())?,
                    id.parse().map_err(|_| bad_cursor())?,
                ))
            })
            .transpose()?,
        ),
    };
    let filter = ActionFilter {
        status: q.status,
        owner_id: q.owner_id,
        waiting_user_id: q.waiting_on_user_id,
        waiting_party: q.waiting_on_party,
        overdue_on: q.overdue.then(|| caller.today()),
        milestone_id: q.milestone_id,
    };
    let (rows, more) =
        actions::list(&state, &caller, path.into_inner(), filter, limit, order).await?;
    let next_cursor = rows.last().filter(|_| more).map(|a| match order {
        ActionOrder::Newest(_) => encode_keyset(kind, &a.id.to_string()),
        ActionOrder::Due(_) => {
            let due = a.due_date.unwrap_or(NO_DUE_DATE);
            encode_keyset(kind, &format!("{due}|{}", a.id))
        }
    });
    Ok(web::Json(Page {
        items: rows.into_iter().map(action_response).collect(),
        next_cursor,
    }))
}

/// One agreed action.
#[utoipa::path(
    tag = "actions",
    security(("bearer" = [])),
    params(("project_id" = Uuid, Path), ("action_id" = Uuid, Path)),
    responses((status = 200, description = "The action.", body = ActionResponse,
        headers(("ETag" = String, description = "Its version, for `If-Match`."))))
)]
#[get("/projects/{project_id}/actions/{action_id}")]
async fn get_action(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    path: ActionPath,
) -> Result<HttpResponse, ApiError> {
    let (project_id, action_id) = path.into_inner();
    let a = actions::get(&state, &caller, project_id, action_id).await?;
    Ok(with_etag(HttpResponse::Ok(), a))
}

/// Edit an agreed action (members and write keys), or close it as `done` / `dropped` or open it
/// again with `status` (its owner or a staff lead); `If-Match` required.
#[utoipa::path(
    tag = "actions",
    security(("bearer" = [])),
    params(("project_id" = Uuid, Path), ("action_id" = Uuid, Path), ("If-Match" = String, Header, description = "The action's ETag.")),
    request_body = UpdateAction,
    responses(
        (status = 200, description = "Updated.", body = ActionResponse, headers(("ETag" = String, description = "The new version."))),
        (status = 403, description = "Not a member (nor a write key), or changing `status` without being the owner or a staff lead.", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The action changed since you read it.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field breaks a rule.", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "`If-Match` is missing.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/projects/{project_id}/actions/{action_id}")]
async fn update_action(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    path: ActionPath,
    if_match: IfMatch,
    ApiJson(body): ApiJson<UpdateAction>,
) -> Result<HttpResponse, ApiError> {
    let patch = ActionPatch::try_from(body)?;
    let a = actions::update(&state, &caller, path.into_inner(), &if_match, patch).await?;
    Ok(with_etag(HttpResponse::Ok(), a))
}

/// Delete an agreed action (staff leads and organisation admins; `If-Match` required).
#[utoipa::path(
    tag = "actions",
    security(("bearer" = [])),
    params(("project_id" = Uuid, Path), ("action_id" = Uuid, Path), ("If-Match" = String, Header, description = "The action's ETag.")),
    responses(
        (status = 204, description = "Deleted."),
        (status = 403, description = "Not a staff lead or organisation admin.", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The action changed since you read it.", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "`If-Match` is missing.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/projects/{project_id}/actions/{action_id}")]
async fn delete_action(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    path: ActionPath,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    actions::delete(&state, &caller, path.into_inner(), &if_match).await?;
    Ok(HttpResponse::NoContent().finish())
}
