use sea_orm::entity::prelude::*;

use crate::domain::action::{ActionStatus, OutsideParty};

/// What a team agreed to do, by whom and by when, and whom it waits on.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "agreed_actions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub project_id: Uuid,
    pub title: String,
    pub owner_id: Uuid,
    pub due_date: Option<Date>,
    /// Waits on this member, or on `waiting_party` named `waiting_name`, or on nobody.
    pub waiting_user_id: Option<Uuid>,
    pub waiting_party: Option<OutsideParty>,
    pub waiting_name: Option<String>,
    /// The day `waiting_*` was last set to a new value (null while it waits on nobody).
    pub waiting_since: Option<Date>,
    pub milestone_id: Option<Uuid>,
    pub agreed_on: Date,
    pub note: Option<String>,
    pub status: ActionStatus,
    pub closed_by: Option<Uuid>,
    pub closed_at: Option<DateTimeUtc>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    #[sea_orm(belongs_to, from = "project_id", to = "id")]
    pub project: BelongsTo<super::project::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
