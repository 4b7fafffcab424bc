use sea_orm::entity::prelude::*;

use crate::domain::ProjectRole;

/// The quarter hours one person logged on one milestone for one party, over all time, and how
/// many of them were hands-on: kept with every activity logged or deleted (`repo::activities`).
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "milestone_ledger_totals")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub project_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub milestone_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub party: ProjectRole,
    pub quarter_hours: i64,
    pub hands_on_quarter_hours: i64,
}

impl ActiveModelBehavior for ActiveModel {}
