use sea_orm::entity::prelude::*;

use crate::domain::{ActivityKind, ProjectRole};

/// Time a member spent on the project. `party` is the member's side when it was logged, so
/// history stays true when people change roles.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "activities")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub project_id: Uuid,
    pub user_id: Uuid,
    pub party: ProjectRole,
    pub occurred_on: Date,
    /// Whole quarter hours (6 = 1.5 h).
    pub quarter_hours: i32,
    pub kind: ActivityKind,
    pub milestone_id: Option<Uuid>,
    pub note: Option<String>,
    /// Who wrote the entry (the member themselves today).
    pub logged_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    /// A vendor's id for the entry, unique with `external_source` within the project.
    pub external_id: Option<String>,
    pub external_source: Option<String>,
}

impl ActiveModelBehavior for ActiveModel {}
