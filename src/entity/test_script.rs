use sea_orm::entity::prelude::*;

/// A process the staff test themselves before go-live.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "test_scripts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub project_id: Uuid,
    pub title: String,
    pub knowledge_area: String,
    pub steps: String,
    pub critical: bool,
    pub owner_id: Uuid,
    pub milestone_id: Option<Uuid>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Deleting a script hides it from that moment on, never from the past.
    pub deleted_at: Option<DateTimeUtc>,
    #[sea_orm(belongs_to, from = "project_id", to = "id")]
    pub project: BelongsTo<super::project::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
