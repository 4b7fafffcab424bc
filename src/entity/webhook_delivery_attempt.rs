use sea_orm::entity::prelude::*;

/// One send of a webhook delivery: when, and what came back.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_delivery_attempts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub delivery_id: Uuid,
    /// 1 for the first send.
    pub attempt: i32,
    pub attempted_at: DateTimeUtc,
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub duration_ms: i32,
}

impl ActiveModelBehavior for ActiveModel {}
