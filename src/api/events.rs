//! The event log: `/projects/{project_id}/events` and `/orgs/{org_id}/events`.

use actix_web::{get, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{
    common::{bad_query, limit},
    extract::Authenticated,
};
use crate::{
    domain::query::{Order, PageRequest},
    entity::event,
    error::ApiError,
    events::FeedItem,
    service::{AppState, events},
};

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(project_events).service(org_events);
}

#[derive(Serialize, ToSchema)]
pub struct EventPage {
    pub items: Vec<FeedItem>,
    /// The id of the last event when more may follow (use it as `after`); null at the end.
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct EventQuery {
    /// The `next_cursor` of the previous page, or the `id` of the last event seen: only events
    /// after it in `order` (exclusive); omit to start at the beginning (the oldest, or with
    /// `order=desc` the newest). A string, like every cursor, though it holds digits.
    #[param(pattern = "^[0-9]{1,18}$", example = "1042")]
    pub after: Option<String>,
    /// `asc` (default: oldest first, for polling) or `desc` (newest first, for a panel).
    pub order: Option<Order>,
    /// 1 to 100 (default 50).
    pub limit: Option<u64>,
}

fn event_page((rows, more): (Vec<event::Model>, bool)) -> EventPage {
    let next_cursor = if more {
        rows.last().map(|e| e.id.to_string())
    } else {
        None
    };
    EventPage {
        items: rows.iter().map(FeedItem::from).collect(),
        next_cursor,
    }
}

fn request(query: &EventQuery) -> Result<PageRequest<i64>, ApiError> {
    let after = match query.after.as_deref() {
        None => None,
        Some(digits) => Some(
            digits
                .parse::<i64>()
                .ok()
                .filter(|id| *id >= 0 && digits.bytes().all(|b| b.is_ascii_digit()))
                .ok_or_else(|| {
                    bad_query(
                        "invalid_cursor",
                        "`after` is not an event id: pass a `next_cursor` or an event's `id`.",
                    )
                })?,
        ),
    };
    Ok(PageRequest {
        limit: limit(query.limit)?,
        after,
        order: query.order.unwrap_or_default(),
    })
}

/// The project's events in order (anyone who can see the project).
#[utoipa::path(
    tag = "events",
    security(("bearer" = [])),
    params(("project_id" = Uuid, Path), EventQuery),
    responses((status = 200, description = "Events, oldest first.", body = EventPage))
)]
#[get("/projects/{project_id}/events")]
async fn project_events(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    path: web::Path<Uuid>,
    query: web::Query<EventQuery>,
) -> Result<web::Json<EventPage>, ApiError> {
    let rows =
        events::list_for_project(&state, &caller, path.into_inner(), request(&query)?).await?;
    Ok(web::Json(event_page(rows)))
}

/// Every event of the organisation and its projects, in order (admins).
#[utoipa::path(
    tag = "events",
    security(("bearer" = [])),
    params(("org_id" = Uuid, Path), EventQuery),
    responses(
        (status = 200, description = "Events, oldest first.", body = EventPage),
        (status = 403, description = "Not an admin.", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/orgs/{org_id}/events")]
async fn org_events(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    path: web::Path<Uuid>,
    query: web::Query<EventQuery>,
) -> Result<web::Json<EventPage>, ApiError> {
    let rows = events::list_for_org(&state, &caller, path.into_inner(), request(&query)?).await?;
    Ok(web::Json(event_page(rows)))
}
