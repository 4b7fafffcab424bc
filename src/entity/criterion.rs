use sea_orm::entity::prelude::*;

/// A checklist line of a milestone; only staff mark it done.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "criteria")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub milestone_id: Uuid,
    pub text: String,
    pub done: bool,
    pub done_by: Option<Uuid>,
    pub done_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    #[sea_orm(belongs_to, from = "milestone_id", to = "id")]
    pub milestone: BelongsTo<super::milestone::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
