//! `GET /readiness/portfolio`: one row per project the caller can see — today's report and the
//! one 28 days earlier, cut to a row — computed for all of them in one span of the loader
//! ([`super::load::load_span`]: one set of queries for every project and both days), then
//! sorted and paged by a keyset on (sort value, id).

use std::cmp::Ordering;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{AppState, Components, Signals, compute, compute::days_before, load::load_span};
use crate::{
    domain::{FieldError, ProjectRole, ProjectStatus},
    error::ApiError,
    repo::{
        orgs,
        projects::{ProjectFilter, Visible, visible_all},
    },
    service::auth::Caller,
};

/// The most projects one portfolio reads; above it, filter by `org_id` or `status`.
pub const MAX_PROJECTS: u64 = 500;
/// How far back the earlier score is read.
pub const EARLIER_DAYS: u64 = 28;

/// The order of the rows; ties by project id.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PortfolioSort {
    /// The largest fall of `staff_hands_on_share` against the 28 days before first; projects
    /// without hands-on hours in those days last.
    Drift,
    /// The lowest score first.
    #[default]
    Score,
    /// The soonest consultant exit first (passed exits first of all); projects without one
    /// last.
    Exit,
    /// By project name (case-insensitive).
    Name,
}

/// How the caller sees a project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PortfolioRole {
    StaffLead,
    Staff,
    Consultant,
    /// An admin of its organisation who does not take part in it.
    OrgAdmin,
    /// An API key of its organisation.
    ApiKey,
}

/// One project of the portfolio, as its readiness report for today says.
#[derive(Debug, Serialize, ToSchema)]
pub struct PortfolioRow {
    pub org_id: Uuid,
    #[schema(example = "Acme Association")]
    pub org_name: String,
    pub project_id: Uuid,
    #[schema(example = "Move to the new AMS")]
    pub project_name: String,
    pub status: ProjectStatus,
    pub my_role: PortfolioRole,
    /// Today (UTC): the day the row is read for.
    pub as_of: NaiveDate,
    /// True when the project is closed (its figures are those of its closing day).
    pub frozen: bool,
    #[schema(example = 62)]
    pub score: u32,
    pub components: Components,
    pub signals: Signals,
    /// The score 28 days before `as_of`; null for a project created after that day.
    #[schema(example = 48)]
    pub score_28_days_ago: Option<u32>,
    /// `score` − `score_28_days_ago`; null with it.
    #[schema(example = 14)]
    pub score_change: Option<i32>,
    /// Milestones due before `as_of` and not handed off.
    pub overdue: u32,
    /// Every next action the report names, for anyone.
    pub next_actions: u32,
    /// The next actions addressed to you (0 for an API key).
    pub my_next_actions: u32,
}

/// Where a row stands in a sort: rows compare by `rank` (absent last), then `name`, then `id`.
#[derive(Debug, Clone, PartialEq)]
pub struct SortKey {
    pub rank: Option<f64>,
    pub name: String,
    pub id: Uuid,
}

impl SortKey {
    fn of(sort: PortfolioSort, row: &PortfolioRow) -> SortKey {
        let shares = &row.signals.shares;
        let (rank, name) = match sort {
            PortfolioSort::Drift => (
                shares
                    .staff_hands_on_share_previous
                    .map(|before| shares.staff_hands_on_share - before),
                String::new(),
            ),
            PortfolioSort::Score => (Some(f64::from(row.score)), String::new()),
            PortfolioSort::Exit => (
                row.signals.days_to_consultant_exit.map(|d| d as f64),
                String::new(),
            ),
            PortfolioSort::Name => (Some(0.0), row.project_name.to_lowercase()),
        };
        SortKey {
            rank,
            name,
            id: row.project_id,
        }
    }

    fn cmp(&self, other: &SortKey) -> Ordering {
        let rank = match (self.rank, other.rank) {
            (Some(a), Some(b)) => a.total_cmp(&b),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        };
        rank.then_with(|| self.name.cmp(&other.name))
            .then_with(|| self.id.cmp(&other.id))
    }
}

/// One page of the caller's portfolio in `sort` order after `after`, and the key of its last
/// row when more follow.
pub async fn portfolio(
    state: &AppState,
    caller: &Caller,
    filter: ProjectFilter,
    sort: PortfolioSort,
    (limit, after): (u64, Option<SortKey>),
) -> Result<(Vec<PortfolioRow>, Option<SortKey>), ApiError> {
    let visibility = crate::service::projects::visibility(caller);
    let (visible, more) = visible_all(&state.db, visibility, &filter, MAX_PROJECTS).await?;
    if more {
        return Err(ApiError::Unprocessable {
            code: "portfolio_too_large",
            error: FieldError::new(
                "org_id",
                format!(
                    "you can see more than {MAX_PROJECTS} projects: filter by `org_id` or `status`"
                ),
            ),
        });
    }
    let today = caller.today();
    let earlier = days_before(today, EARLIER_DAYS);
    let ids: Vec<Uuid> = visible.iter().map(|v| v.project.id).collect();
    let org_ids: Vec<Uuid> = visible.iter().map(|v| v.project.org_id).collect();
    let orgs = orgs::find_orgs(&state.db, &org_ids).await?;
    let span = load_span(&state.readers, &ids, &[earlier, today]).await?;
    let me = caller.user_id();
    let mut rows: Vec<(SortKey, PortfolioRow)> = visible
        .into_iter()
        .zip(span)
        .filter_map(|(v, days)| {
            let org = orgs.get(&v.project.org_id)?;
            let [before, now] = <[_; 2]>::try_from(days).ok()?;
            let (old, new) = (compute::compute(&before), compute::compute(&now));
            let earlier_score = (v.project.created_at.date_naive() <= earlier).then_some(old.score);
            let row = PortfolioRow {
                org_id: org.id,
                org_name: org.name.clone(),
                project_id: v.project.id,
                project_name: v.project.name.clone(),
                status: v.project.status,
                my_role: role(caller, &v),
                as_of: today,
                frozen: now.frozen,
                score: new.score,
                score_28_days_ago: earlier_score,
                score_change: earlier_score.map(|s| new.score as i32 - s as i32),
                overdue: new.milestones.overdue,
                next_actions: new.next_actions.len() as u32,
                my_next_actions: new
                    .next_actions
                    .iter()
                    .filter(|a| Some(a.user_id) == me)
                    .count() as u32,
                components: new.components,
                signals: new.signals,
            };
            Some((SortKey::of(sort, &row), row))
        })
        .collect();
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    let start = after.map_or(0, |after| {
        rows.partition_point(|(key, _)| key.cmp(&after) != Ordering::Greater)
    });
    let mut page: Vec<(SortKey, PortfolioRow)> = rows
        .into_iter()
        .skip(start)
        .take(limit as usize + 1)
        .collect();
    let next = if page.len() > limit as usize {
        page.truncate(limit as usize);
        page.last().map(|(key, _)| key.clone())
    } else {
        None
    };
    Ok((page.into_iter().map(|(_, row)| row).collect(), next))
}

fn role(caller: &Caller, v: &Visible) -> PortfolioRole {
    match (caller, v.participation) {
        (Caller::Key(_), _) => PortfolioRole::ApiKey,
        (_, Some((ProjectRole::Staff, true))) => PortfolioRole::StaffLead,
        (_, Some((ProjectRole::Staff, false))) => PortfolioRole::Staff,
        (_, Some((ProjectRole::Consultant, _))) => PortfolioRole::Consultant,
        (_, None) => PortfolioRole::OrgAdmin,
    }
}
