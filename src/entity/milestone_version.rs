use sea_orm::entity::prelude::*;

/// What a milestone was from `valid_from` until its next version (readiness model 2 reads the
/// state on a day from here). Append-only.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "milestone_versions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub milestone_id: Uuid,
    pub project_id: Uuid,
    pub valid_from: DateTimeUtc,
    pub title: String,
    pub knowledge_area: String,
    pub due_date: Option<Date>,
    pub staff_owner_id: Option<Uuid>,
}

impl ActiveModelBehavior for ActiveModel {}
