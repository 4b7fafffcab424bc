use sea_orm::entity::prelude::*;

/// What a participation was from `valid_from` until its next version: lead flag, weekly
/// commitment and away periods (JSON text). Append-only.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "participation_versions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub participation_id: Uuid,
    pub project_id: Uuid,
    pub valid_from: DateTimeUtc,
    pub is_lead: bool,
    pub weekly_quarter_hours: i32,
    pub away: String,
}

impl ActiveModelBehavior for ActiveModel {}
