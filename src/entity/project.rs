use sea_orm::entity::prelude::*;

use crate::domain::ProjectStatus;

/// An implementation inside one organisation.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "projects")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub system_name: Option<String>,
    pub status: ProjectStatus,
    pub start_date: Option<Date>,
    pub go_live_date: Option<Date>,
    pub consultant_exit_date: Option<Date>,
    pub external_id: Option<String>,
    pub external_source: Option<String>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    #[sea_orm(belongs_to, from = "org_id", to = "id")]
    pub org: BelongsTo<super::org::Entity>,
    #[sea_orm(has_many)]
    pub members: HasMany<super::project_member::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
