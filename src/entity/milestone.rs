use sea_orm::entity::prelude::*;

use crate::domain::Stage;

/// The transfer of one piece of knowledge from consultants to staff.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "milestones")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub project_id: Uuid,
    pub title: String,
    pub knowledge_area: String,
    pub description: Option<String>,
    pub due_date: Option<Date>,
    pub staff_owner_id: Option<Uuid>,
    pub consultant_id: Option<Uuid>,
    pub stage: Stage,
    pub stage_entered_at: DateTimeUtc,
    pub signed_off_by: Option<Uuid>,
    pub signed_off_at: Option<DateTimeUtc>,
    pub external_id: Option<String>,
    pub external_source: Option<String>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Deleting a milestone hides it from that moment on, never from the past.
    pub deleted_at: Option<DateTimeUtc>,
    #[sea_orm(belongs_to, from = "project_id", to = "id")]
    pub project: BelongsTo<super::project::Entity>,
    #[sea_orm(has_many)]
    pub criteria: HasMany<super::criterion::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
