use sea_orm::entity::prelude::*;

use crate::domain::ProjectStatus;

/// What a project's status and dates were from `valid_from` until its next version.
/// Append-only.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "project_versions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub project_id: Uuid,
    pub valid_from: DateTimeUtc,
    pub status: ProjectStatus,
    pub start_date: Option<Date>,
    pub go_live_date: Option<Date>,
    pub consultant_exit_date: Option<Date>,
}

impl ActiveModelBehavior for ActiveModel {}
