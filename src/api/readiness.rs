//! The readiness reads: one project's report on a day, its history and its changes between two
//! days, the caller's portfolio across projects, and the caller's own next actions.

use actix_web::{get, web};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{
    common::{Page, bad_query, decode_keyset, encode_keyset, limit},
    extract::Authenticated,
};
use crate::{
    domain::{ProjectStatus, query::ProjectFilter},
    error::{ApiError, Problem},
    service::{
        AppState,
        readiness::{
            self, NextAction, ReadinessReport,
            changes::ReadinessChanges,
            history::{Every, ReadinessHistory},
            portfolio::{PortfolioRow, PortfolioSort, SortKey},
        },
    },
};

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(get_readiness)
        .service(readiness_history)
        .service(readiness_changes)
        .service(portfolio)
        .service(my_next_actions);
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

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct HistoryQuery {
    /// The earliest day wanted (default: 12 weeks before `to`, or 27 days with `every=day`).
    /// Points before the project's creation day are left out.
    #[serde(default, deserialize_with = "crate::domain::day::optional")]
    #[param(example = "2026-09-10")]
    pub from: Option<NaiveDate>,
    /// The last point's day (default today, UTC); from the project's creation day to today.
    #[serde(default, deserialize_with = "crate::domain::day::optional")]
    #[param(example = "2026-12-03")]
    pub to: Option<NaiveDate>,
    /// `week` (default): a point every 7 days ending on `to`; `day`: every day.
    #[serde(default)]
    pub every: Every,
}

/// The readiness over time: the score, components and signals at each point from `from` to
/// `to` (at most 366 points), each exactly what the report for that day says, oldest first.
#[utoipa::path(
    tag = "readiness",
    security(("bearer" = [])),
    params(("project_id" = Uuid, Path), HistoryQuery),
    responses(
        (status = 200, description = "The points, oldest first.", body = ReadinessHistory),
        (status = 422, description = "`invalid_as_of`: `to` after today or before the project was created, or `from` after `to`; `too_many_points`: more than 366 points.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/projects/{project_id}/readiness/history")]
async fn readiness_history(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    path: web::Path<Uuid>,
    query: web::Query<HistoryQuery>,
) -> Result<web::Json<ReadinessHistory>, ApiError> {
    let q = query.into_inner();
    let span = (q.from, q.to);
    let history =
        readiness::history::history(&state, &caller, path.into_inner(), span, q.every).await?;
    Ok(web::Json(history))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PortfolioQuery {
    /// `score` (default): lowest first; `drift`: the largest fall of the staff hands-on share
    /// first; `exit`: the soonest consultant exit first; `name`. Ties by project id; projects
    /// without the value last.
    #[serde(default)]
    pub sort: PortfolioSort,
    /// Only projects in this status.
    pub status: Option<ProjectStatus>,
    /// Only projects of this organisation.
    pub org_id: Option<Uuid>,
    /// 1 to 100 (default 50).
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page (of the same `sort`).
    pub cursor: Option<String>,
}

/// Your portfolio: one row per project you can see (taking part in it, in any organisation, or
/// administering its organisation; for an API key, its organisation's), with today's score,
/// components and signals, the score 28 days earlier, and the overdue and next-action counts.
#[utoipa::path(
    tag = "readiness",
    security(("bearer" = [])),
    params(PortfolioQuery),
    responses(
        (status = 200, description = "One page of rows, in `sort` order.", body = Page<PortfolioRow>),
        (status = 400, description = "`invalid_cursor`: not a cursor of this sort.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`portfolio_too_large`: you can see more than 500 projects; filter by `org_id` or `status`.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/readiness/portfolio")]
async fn portfolio(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    query: web::Query<PortfolioQuery>,
) -> Result<web::Json<Page<PortfolioRow>>, ApiError> {
    let q = query.into_inner();
    let kind = portfolio_cursor_kind(q.sort);
    let after = match q.cursor.as_deref() {
        None | Some("") => None,
        Some(cursor) => Some(
            decode_keyset(&kind, cursor)
                .and_then(|key| sort_key(&key))
                .ok_or_else(|| {
                    bad_query(
                        "invalid_cursor",
                        "`cursor` is not a cursor this list handed out for this `sort`.",
                    )
                })?,
        ),
    };
    let filter = ProjectFilter {
        org_id: q.org_id,
        status: q.status,
        ..ProjectFilter::default()
    };
    let (items, next) =
        readiness::portfolio::portfolio(&state, &caller, filter, q.sort, (limit(q.limit)?, after))
            .await?;
    Ok(web::Json(Page {
        items,
        next_cursor: next.map(|key| encode_keyset(&kind, &sort_key_text(&key))),
    }))
}

fn portfolio_cursor_kind(sort: PortfolioSort) -> String {
    let sort = serde_json::to_value(sort)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    format!("portfolio-{sort}")
}

/// A portfolio position as text: the rank's bits (or `-` when absent), the id, the name.
fn sort_key_text(key: &SortKey) -> String {
    let rank = key
        .rank
        .map_or_else(|| "-".to_owned(), |r| format!("{:x}", r.to_bits()));
    format!("{rank}:{}:{}", key.id, key.name)
}

fn sort_key(text: &str) -> Option<SortKey> {
    let mut parts = text.splitn(3, ':');
    let rank = match parts.next()? {
        "-" => None,
        bits => Some(f64::from_bits(u64::from_str_radix(bits, 16).ok()?)),
    };
    let id = parts.next()?.parse().ok()?;
    let name = parts.next()?.to_owned();
    Some(SortKey { rank, name, id })
}
