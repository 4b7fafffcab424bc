//! History for readiness model 2 (DESIGN.md, "The state on a day"): a report for a past day reads
//! the state as it stood at the end of that day, so what today's rows overwrite is kept.
//!
//! Each `*_versions` table is append-only: a row is the state of the fields the report reads,
//! valid from `valid_from` until the next row of the same subject (`id` orders them). Rows are
//! written in the transaction of each change; this migration seeds one per existing row.
//! Milestones are soft-deleted (`deleted_at`), so their transitions and the hours logged on them
//! stay; participations already end with `left_at`. Away periods live on the participation.

use sea_orm_migration::{prelude::*, schema::*};

use crate::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("milestones")
                    .add_column(timestamp_with_time_zone_null("deleted_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("project_members")
                    .add_column(text("away").default("[]"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("milestone_versions")
                    .col(big_pk_auto("id"))
                    .col(uuid("milestone_id"))
                    .col(uuid("project_id"))
                    .col(timestamp_with_time_zone("valid_from"))
                    .col(string_len("title", 200))
                    .col(string_len("knowledge_area", 100))
                    .col(date_null("due_date"))
                    .col(uuid_null("staff_owner_id"))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_milestone_versions_project",
            "milestone_versions",
            &["project_id", "valid_from"],
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table("participation_versions")
                    .col(big_pk_auto("id"))
                    .col(uuid("participation_id"))
                    .col(uuid("project_id"))
                    .col(timestamp_with_time_zone("valid_from"))
                    .col(boolean("is_lead"))
                    .col(integer("weekly_quarter_hours"))
                    .col(text("away"))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_participation_versions_project",
            "participation_versions",
            &["project_id", "valid_from"],
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table("project_versions")
                    .col(big_pk_auto("id"))
                    .col(uuid("project_id"))
                    .col(timestamp_with_time_zone("valid_from"))
                    .col(string_len("status", 32))
                    .col(date_null("start_date"))
                    .col(date_null("go_live_date"))
                    .col(date_null("consultant_exit_date"))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_project_versions_project",
            "project_versions",
            &["project_id", "valid_from"],
        )
        .await?;
        index(
            manager,
            "idx_transitions_at",
            "milestone_transitions",
            &["milestone_id", "occurred_at"],
        )
        .await?;
        let db = manager.get_connection();
        db.execute_unprepared(
            "INSERT INTO milestone_versions (milestone_id, project_id, valid_from, title, knowledge_area, due_date, staff_owner_id) \
             SELECT id, project_id, created_at, title, knowledge_area, due_date, staff_owner_id FROM milestones",
        )
        .await?;
        db.execute_unprepared(
            "INSERT INTO participation_versions (participation_id, project_id, valid_from, is_lead, weekly_quarter_hours, away) \
             SELECT id, project_id, joined_at, is_lead, weekly_quarter_hours, away FROM project_members",
        )
        .await?;
        db.execute_unprepared(
            "INSERT INTO project_versions (project_id, valid_from, status, start_date, go_live_date, consultant_exit_date) \
             SELECT id, created_at, status, start_date, go_live_date, consultant_exit_date FROM projects",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "project_versions",
            "participation_versions",
            "milestone_versions",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .drop_index(
                Index::drop()
                    .name("idx_transitions_at")
                    .table("milestone_transitions")
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("project_members")
                    .drop_column("away")
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("milestones")
                    .drop_column("deleted_at")
                    .to_owned(),
            )
            .await
    }
}
