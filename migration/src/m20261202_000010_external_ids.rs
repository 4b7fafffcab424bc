//! A vendor's ids are unique where it syncs them: a project's `external_source` +
//! `external_id` within its organisation (as a milestone's within its project already were),
//! and activities gain the same pair, unique within their project, so time entries can be
//! deduplicated after the `Idempotency-Key` window.
//!
//! Projects that already shared an external id keep it on the oldest; the others lose it
//! (`external_id` set to null) so the rule can hold from here on.
//!
//! Participations gain `updated_at` (backfilled from when they began or ended), so a vendor
//! can ask for the members changed since its last sync, as it can for projects and milestones.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(
            "UPDATE projects SET external_id = NULL WHERE external_id IS NOT NULL AND EXISTS ( \
               SELECT 1 FROM projects AS older WHERE older.org_id = projects.org_id \
                 AND older.external_source = projects.external_source \
                 AND older.external_id = projects.external_id AND older.id < projects.id)",
        )
        .await?;
        db.execute_unprepared(
            "CREATE UNIQUE INDEX uq_projects_external ON projects (org_id, external_source, external_id) \
             WHERE external_id IS NOT NULL",
        )
        .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("activities")
                    .add_column(string_len_null("external_id", 200))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("activities")
                    .add_column(string_len_null("external_source", 100))
                    .to_owned(),
            )
            .await?;
        db.execute_unprepared(
            "CREATE UNIQUE INDEX uq_activities_external ON activities (project_id, external_source, external_id) \
             WHERE external_id IS NOT NULL",
        )
        .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("project_members")
                    .add_column(
                        timestamp_with_time_zone("updated_at").default("1970-01-01T00:00:00Z"),
                    )
                    .to_owned(),
            )
            .await?;
        db.execute_unprepared(
            "UPDATE project_members SET updated_at = COALESCE(left_at, joined_at)",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        manager
            .alter_table(
                Table::alter()
                    .table("project_members")
                    .drop_column("updated_at")
                    .to_owned(),
            )
            .await?;
        db.execute_unprepared("DROP INDEX uq_activities_external")
            .await?;
        for column in ["external_source", "external_id"] {
            manager
                .alter_table(
                    Table::alter()
                        .table("activities")
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        db.execute_unprepared("DROP INDEX uq_projects_external")
            .await?;
        Ok(())
    }
}
