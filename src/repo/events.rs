use sea_orm::{
    ActiveModelTrait,
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter,
};
use uuid::Uuid;

use super::{PageRequest, into_page};
use crate::entity::event;

pub struct NewEvent {
    pub org_id: Uuid,
    pub project_id: Option<Uuid>,
    pub actor_user_id: Option<Uuid>,
    pub actor_api_key_id: Option<Uuid>,
    pub event_type: &'static str,
    pub subject_id: Option<Uuid>,
    pub data: serde_json::Value,
    pub occurred_at: chrono::DateTime<chrono::Utc>,
}

/// Lock key serialising event writers on PostgreSQL (see [`insert_event`]).
const EVENT_LOCK_KEY: i64 = 0x6275_7969_6e45; // "buyinE"

/// Appends an event inside the caller's transaction.
///
/// On PostgreSQL, sequence values are handed out at insert time but become visible at commit,
/// so a feed reader polling `?after=` could skip a slow transaction's lower id. Taking a
/// transaction-scoped advisory lock first makes ids follow commit order. (SQLite has a single
/// writer, so it needs nothing.)
pub async fn insert_event(db: &impl ConnectionTrait, new: NewEvent) -> Result<event::Model, DbErr> {
    if db.get_database_backend() == DbBackend::Postgres {
        db.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({EVENT_LOCK_KEY})"))
            .await?;
    }
    event::ActiveModel {
        id: NotSet,
        org_id: Set(new.org_id),
        project_id: Set(new.project_id),
        actor_user_id: Set(new.actor_user_id),
        actor_api_key_id: Set(new.actor_api_key_id),
        event_type: Set(new.event_type.to_owned()),
        subject_id: Set(new.subject_id),
        data: Set(new.data.to_string()),
        occurred_at: Set(new.occurred_at),
    }
    .insert(db)
    .await
}

pub enum EventScope {
    Org(Uuid),
    Project(Uuid),
}

pub async fn list_events(
    db: &impl ConnectionTrait,
    scope: EventScope,
    page: PageRequest<i64>,
) -> Result<(Vec<event::Model>, bool), DbErr> {
    let query = match scope {
        EventScope::Org(id) => event::Entity::find().filter(event::Column::OrgId.eq(id)),
        EventScope::Project(id) => event::Entity::find().filter(event::Column::ProjectId.eq(id)),
    };
    let query = super::keyset(query, event::Column::Id, &page);
    Ok(into_page(query.all(db).await?, page.limit))
}
