//! Reading the event log (writing it is `crate::events`).

use uuid::Uuid;

use super::{
    AppState,
    access::{org_access, project_access},
    auth::Caller,
};
use crate::{
    entity::event,
    error::ApiError,
    repo::{
        PageRequest,
        events::{self, EventScope},
    },
};

pub async fn list_for_project(
    state: &AppState,
    caller: &Caller,
    project_id: Uuid,
    page: PageRequest<i64>,
) -> Result<(Vec<event::Model>, bool), ApiError> {
    project_access(&state.db, caller, project_id).await?;
    Ok(events::list_events(&state.db, EventScope::Project(project_id), page).await?)
}

pub async fn list_for_org(
    state: &AppState,
    caller: &Caller,
    org_id: Uuid,
    page: PageRequest<i64>,
) -> Result<(Vec<event::Model>, bool), ApiError> {
    // Admins read the organisation's log, and so do its API keys: it is the integration feed.
    let access = org_access(&state.db, caller, org_id).await?;
    if access.key.is_none() {
        access.admin()?;
    }
    Ok(events::list_events(&state.db, EventScope::Org(org_id), page).await?)
}
