use sea_orm::entity::prelude::*;

use crate::domain::{ActivityKind, ProjectRole};

/// The quarter hours a project's ledger holds for one party and kind, over all time: kept with
/// every activity logged or deleted (`repo::activities`).
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ledger_totals")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub project_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub party: ProjectRole,
    #[sea_orm(primary_key, auto_increment = false)]
    pub kind: ActivityKind,
    pub quarter_hours: i64,
}

impl ActiveModelBehavior for ActiveModel {}
