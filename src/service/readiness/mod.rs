//! The readiness report (DESIGN.md, "Readiness report"): how close the staff are to running
//! the system alone, and the next action for each person. [`load`] reads the inputs with
//! aggregate queries (`repo::readiness`), so the cost does not grow with the number of
//! activities; [`compute::compute`] turns them into the report without touching the database.

pub mod compute;
mod model;

use chrono::{NaiveDate, Utc};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use self::compute::{CHART_DAYS, Inputs, Member, WINDOW_DAYS, days_before};
pub use self::model::*;
use super::{AppState, access::project_access, auth::Caller};
use crate::{
    entity::project,
    error::ApiError,
    repo::{project_members, readiness as agg},
};

pub async fn report(
    state: &AppState,
    caller: &Caller,
    project_id: Uuid,
    as_of: Option<NaiveDate>,
) -> Result<ReadinessReport, ApiError> {
    let access = project_access(&state.db, caller, project_id).await?;
    let as_of = as_of.unwrap_or_else(|| Utc::now().date_naive());
    let inputs = load(&state.db, &access.project, as_of).await?;
    Ok(compute::compute(&inputs))
}

/// Everything the report reads for `project` on `as_of`, on one connection.
pub async fn load(
    db: &impl ConnectionTrait,
    project: &project::Model,
    as_of: NaiveDate,
) -> Result<Inputs, ApiError> {
    let id = project.id;
    let members = project_members::list_active(db, id)
        .await?
        .into_iter()
        .map(|(m, u)| Member {
            user_id: u.id,
            display_name: u.display_name,
            role: m.role,
            is_lead: m.is_lead,
            weekly_quarter_hours: m.weekly_quarter_hours,
        })
        .collect();
    Ok(Inputs {
        project_id: id,
        as_of,
        consultant_exit_date: project.consultant_exit_date,
        milestones: agg::milestones(db, id).await?,
        members,
        by_party: agg::hours_by_party(db, id, as_of).await?,
        by_day: agg::hours_by_day(db, id, days_before(as_of, CHART_DAYS - 1), as_of).await?,
        by_user: agg::hours_by_user(db, id, days_before(as_of, WINDOW_DAYS - 1), as_of).await?,
        work: agg::milestone_work(db, id, as_of).await?,
    })
}
