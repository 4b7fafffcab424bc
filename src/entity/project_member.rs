use sea_orm::entity::prelude::*;

use crate::domain::ProjectRole;

/// A user's participation in a project. Ending it sets `left_at`; the row stays for history.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "project_members")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub project_id: Uuid,
    pub user_id: Uuid,
    pub role: ProjectRole,
    pub is_lead: bool,
    /// The weekly commitment in quarter hours (30 = 7.5 h).
    pub weekly_quarter_hours: i32,
    pub responsibility: Option<String>,
    pub version: i32,
    pub joined_at: DateTimeUtc,
    pub left_at: Option<DateTimeUtc>,
    /// Periods of leave: a JSON array of `{from, until}` (see `domain::away`).
    pub away: String,
    /// The last change: joining, an edit or the end.
    pub updated_at: DateTimeUtc,
    #[sea_orm(belongs_to, from = "project_id", to = "id")]
    pub project: BelongsTo<super::project::Entity>,
    #[sea_orm(belongs_to, from = "user_id", to = "id")]
    pub user: BelongsTo<super::user::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
