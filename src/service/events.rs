//! The audit log: every change writes one event in its own transaction.

use sea_orm::ConnectionTrait;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::{
    AppState,
    access::{org_access, project_access},
    auth::CurrentUser,
};
use crate::{
    entity::event,
    error::ApiError,
    repo::{
        PageRequest,
        events::{self, EventScope, NewEvent},
    },
};

/// Records an event for `caller` inside the current transaction; if this fails, the caller's
/// `?` rolls the whole change back.
pub async fn record(
    db: &impl ConnectionTrait,
    caller: &CurrentUser,
    org_id: Uuid,
    project_id: Option<Uuid>,
    event_type: &'static str,
    subject_id: Uuid,
    data: Value,
) -> Result<(), ApiError> {
    events::insert_event(
        db,
        NewEvent {
            org_id,
            project_id,
            actor_user_id: Some(caller.id),
            event_type,
            subject_id: Some(subject_id),
            data,
        },
    )
    .await?;
    Ok(())
}

/// `{field: {from, to}}` for every top-level field that differs between two snapshots.
pub fn changes(before: &Value, after: &Value) -> Value {
    let (Value::Object(before), Value::Object(after)) = (before, after) else {
        return Value::Null;
    };
    let mut out = Map::new();
    for (key, new) in after {
        let old = before.get(key).unwrap_or(&Value::Null);
        if old != new {
            out.insert(key.clone(), serde_json::json!({"from": old, "to": new}));
        }
    }
    Value::Object(out)
}

pub async fn list_for_project(
    state: &AppState,
    caller: &CurrentUser,
    project_id: Uuid,
    page: PageRequest<i64>,
) -> Result<(Vec<event::Model>, bool), ApiError> {
    project_access(&state.db, caller, project_id).await?;
    Ok(events::list_events(&state.db, EventScope::Project(project_id), page).await?)
}

pub async fn list_for_org(
    state: &AppState,
    caller: &CurrentUser,
    org_id: Uuid,
    page: PageRequest<i64>,
) -> Result<(Vec<event::Model>, bool), ApiError> {
    org_access(&state.db, caller, org_id)
        .await?
        .require_admin()?;
    Ok(events::list_events(&state.db, EventScope::Org(org_id), page).await?)
}
