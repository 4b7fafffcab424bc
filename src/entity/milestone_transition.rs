use sea_orm::entity::prelude::*;

use crate::domain::Stage;

/// One step of a milestone's history on the ladder.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "milestone_transitions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub milestone_id: Uuid,
    pub action: String,
    pub from_stage: Stage,
    pub to_stage: Stage,
    pub note: Option<String>,
    pub actor_user_id: Option<Uuid>,
    pub occurred_at: DateTimeUtc,
    #[sea_orm(belongs_to, from = "milestone_id", to = "id")]
    pub milestone: BelongsTo<super::milestone::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
