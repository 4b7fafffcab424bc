//! The event log: `/projects/{project_id}/events` and `/orgs/{org_id}/events`.

use actix_web::{get, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{common::limit, extract::Authenticated};
use crate::{
    domain::query::PageRequest,
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
pub struct EventQuery {
    /// Only events with a larger id (exclusive); omit to start at the beginning.
    pub after: Option<i64>,
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
    Ok(PageRequest {
        limit: limit(query.limit)?,
        after: query.after,
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
