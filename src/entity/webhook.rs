use sea_orm::entity::prelude::*;

/// An organisation's webhook: where to send which events, signed with `secret`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhooks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    pub url: String,
    /// JSON array of event types, or `["*"]`.
    pub event_types: String,
    pub description: Option<String>,
    pub secret: String,
    pub enabled: bool,
    pub consecutive_failures: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
