//! `GET /projects/{project_id}/readiness/history`: the score, components and signals at each
//! point of a span of days, each exactly the report for that day, read in one span of the
//! loader ([`super::load::load_span`]), not one report per point.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    AppState, Components, MODEL, Signals, compute, compute::days_before, load::load_span,
    project_on,
};
use crate::{domain::FieldError, error::ApiError, service::auth::Caller};

/// The most points one history answers.
pub const MAX_POINTS: usize = 366;

/// How far apart the points are.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Every {
    /// Every 7 days, ending on `to`.
    #[default]
    Week,
    /// Every day.
    Day,
}

impl Every {
    fn days(self) -> u64 {
        match self {
            Every::Week => 7,
            Every::Day => 1,
        }
    }

    /// The span asked for when `from` is not given: 12 weeks, or 4 weeks day by day.
    fn default_span(self) -> u64 {
        match self {
            Every::Week => 84,
            Every::Day => 27,
        }
    }
}

/// The report's headline figures on one day.
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryPoint {
    pub as_of: NaiveDate,
    /// True when the project was closed on `as_of` (the figures are those of its closing day).
    pub frozen: bool,
    #[schema(example = 62)]
    pub score: u32,
    pub components: Components,
    pub signals: Signals,
}

/// The readiness of a project over time: one point per `every`, ending on `to`, oldest first;
/// each point is what `GET …/readiness?as_of=` answers for its day.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReadinessHistory {
    #[schema(example = 2)]
    pub model: u8,
    pub project_id: Uuid,
    pub every: Every,
    /// The first point's day.
    pub from: NaiveDate,
    /// The last point's day.
    pub to: NaiveDate,
    pub points: Vec<HistoryPoint>,
}

/// The points from `from` (default: 12 weeks, or 27 days, before `to`) to `to` (default today),
/// `every` apart and ending on `to`; none before the project's creation day.
pub async fn history(
    state: &AppState,
    caller: &Caller,
    project_id: Uuid,
    (from, to): (Option<NaiveDate>, Option<NaiveDate>),
    every: Every,
) -> Result<ReadinessHistory, ApiError> {
    let (access, to) = project_on(state, caller, project_id, to, "to").await?;
    let from = from.unwrap_or_else(|| days_before(to, every.default_span()));
    if from > to {
        return Err(ApiError::Unprocessable {
            code: "invalid_as_of",
            error: FieldError::new("from", format!("must be on or before `to` ({to})")),
        });
    }
    let first = from.max(access.project.created_at.date_naive());
    let mut days = Vec::new();
    let mut day = to;
    while day >= first {
        if days.len() == MAX_POINTS {
            return Err(ApiError::Unprocessable {
                code: "too_many_points",
                error: FieldError::new(
                    "from",
                    format!(
                        "asks for more than {MAX_POINTS} points; shorten the span or ask for `every=week`"
                    ),
                ),
            });
        }
        days.push(day);
        day = days_before(day, every.days());
    }
    days.reverse();
    let span = load_span(&state.readers, &[project_id], &days).await?;
    let points: Vec<HistoryPoint> = span
        .into_iter()
        .flatten()
        .zip(&days)
        .map(|(inputs, &as_of)| {
            let report = compute::compute(&inputs);
            HistoryPoint {
                as_of,
                frozen: inputs.frozen,
                score: report.score,
                components: report.components,
                signals: report.signals,
            }
        })
        .collect();
    Ok(ReadinessHistory {
        model: MODEL,
        project_id,
        every,
        from: days.first().copied().unwrap_or(to),
        to,
        points,
    })
}
