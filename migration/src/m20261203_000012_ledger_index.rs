//! The readiness reads sum the ledger by project and day range (one project's report, a
//! history, a portfolio of many projects). An index holding every column those sums read lets
//! each be answered from the index alone, without visiting the table row of each activity; it
//! also serves every lookup the (project, day) index served, which it replaces.

use sea_orm_migration::prelude::*;

use crate::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

const LEDGER: [&str; 7] = [
    "project_id",
    "occurred_on",
    "party",
    "kind",
    "user_id",
    "milestone_id",
    "quarter_hours",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        index(manager, "idx_activities_ledger", "activities", &LEDGER).await?;
        drop_index(manager, "idx_activities_project_day").await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        index(
            manager,
            "idx_activities_project_day",
            "activities",
            &["project_id", "occurred_on"],
        )
        .await?;
        drop_index(manager, "idx_activities_ledger").await
    }
}

async fn drop_index(manager: &SchemaManager<'_>, name: &str) -> Result<(), DbErr> {
    manager
        .drop_index(Index::drop().name(name).table("activities").to_owned())
        .await
}
