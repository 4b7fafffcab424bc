//! The audit log: every change writes one event in its own transaction.

use sea_orm::ConnectionTrait;
use serde_json::{Map, Value};
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
        events::{self, EventScope, NewEvent},
    },
};

/// Records an event for `caller` inside the current transaction; if this fails, the caller's
/// `?` rolls the whole change back.
pub async fn record(
    db: &impl ConnectionTrait,
    caller: &Caller,
    org_id: Uuid,
    project_id: Option<Uuid>,
    event_type: &'static str,
    subject_id: Uuid,
    data: Value,
) -> Result<(), ApiError> {
    let event = events::insert_event(
        db,
        NewEvent {
            org_id,
            project_id,
            actor_user_id: caller.user_id(),
            actor_api_key_id: caller.key().map(|k| k.key_id),
            event_type,
            subject_id: Some(subject_id),
            data,
        },
    )
    .await?;
    // The outbox: deliveries are queued in the same transaction as the change.
    super::webhooks::fan_out(db, &event).await
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
        access.require_admin()?;
    }
    Ok(events::list_events(&state.db, EventScope::Org(org_id), page).await?)
}
