//! Running totals of the ledger, so a readiness report never sums a project's whole history:
//! it reads each total and takes away the (index-bounded) activities on or after the start of
//! its windows.
//!
//! - `ledger_totals`: quarter hours per project, party and kind (the shares to date).
//! - `milestone_ledger_totals`: quarter hours per milestone, person and party, and how many of
//!   them were hands-on (`execution` or `testing`): area hours, hands-on credit, bus factor.
//!
//! They are kept in the same transaction as every activity written or deleted
//! (`repo::activities`), and filled here from the ledger as it stands.

use sea_orm_migration::{prelude::*, schema::*};

use crate::{fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

const BACKFILL: [&str; 2] = [
    "INSERT INTO ledger_totals (project_id, party, kind, quarter_hours) \
     SELECT project_id, party, kind, SUM(quarter_hours) FROM activities \
     GROUP BY project_id, party, kind",
    "INSERT INTO milestone_ledger_totals \
     (project_id, milestone_id, user_id, party, quarter_hours, hands_on_quarter_hours) \
     SELECT project_id, milestone_id, user_id, party, SUM(quarter_hours), \
     SUM(CASE WHEN kind IN ('execution', 'testing') THEN quarter_hours ELSE 0 END) \
     FROM activities WHERE milestone_id IS NOT NULL \
     GROUP BY project_id, milestone_id, user_id, party",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::Cascade;
        manager
            .create_table(
                Table::create()
                    .table("ledger_totals")
                    .col(uuid("project_id"))
                    .col(string_len("party", 16))
                    .col(string_len("kind", 16))
                    .col(big_integer("quarter_hours"))
                    .primary_key(Index::create().col("project_id").col("party").col("kind"))
                    .foreign_key(&mut fk(
                        "fk_ledger_totals_project",
                        ("ledger_totals", "project_id"),
                        ("projects", "id"),
                        Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("milestone_ledger_totals")
                    .col(uuid("project_id"))
                    .col(uuid("milestone_id"))
                    .col(uuid("user_id"))
                    .col(string_len("party", 16))
                    .col(big_integer("quarter_hours"))
                    .col(big_integer("hands_on_quarter_hours"))
                    .primary_key(
                        Index::create()
                            .col("project_id")
                            .col("milestone_id")
                            .col("user_id")
                            .col("party"),
                    )
                    .foreign_key(&mut fk(
                        "fk_milestone_ledger_totals_project",
                        ("milestone_ledger_totals", "project_id"),
                        ("projects", "id"),
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_milestone_ledger_totals_milestone",
                        ("milestone_ledger_totals", "milestone_id"),
                        ("milestones", "id"),
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_milestone_ledger_totals_user",
                        ("milestone_ledger_totals", "user_id"),
                        ("users", "id"),
                        Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        // The foreign keys' own lookups (a milestone or a person removed).
        index(
            manager,
            "idx_milestone_ledger_totals_milestone",
            "milestone_ledger_totals",
            &["milestone_id"],
        )
        .await?;
        index(
            manager,
            "idx_milestone_ledger_totals_user",
            "milestone_ledger_totals",
            &["user_id"],
        )
        .await?;
        let db = manager.get_connection();
        for sql in BACKFILL {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["milestone_ledger_totals", "ledger_totals"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
