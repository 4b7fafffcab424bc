use sea_orm::entity::prelude::*;

use crate::domain::{ProjectRole, test_script::TestResult};

/// One run of a test script, by the person who recorded it. `party` is their side then: only
/// staff runs count as staff-tested.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "test_runs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub script_id: Uuid,
    pub project_id: Uuid,
    pub user_id: Uuid,
    pub party: ProjectRole,
    pub result: TestResult,
    pub occurred_on: Date,
    pub notes: Option<String>,
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
