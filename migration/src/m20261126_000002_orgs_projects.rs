//! Organisations and their members, projects, project participation, and the event log.

use sea_orm_migration::{prelude::*, schema::*};

use crate::fk;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("orgs")
                    .col(pk_uuid("id"))
                    .col(string_len("name", 200))
                    .col(string_len_uniq("slug", 64))
                    .col(integer("version").default(1))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("org_members")
                    .col(uuid("org_id"))
                    .col(uuid("user_id"))
                    .col(string_len("role", 16))
                    .col(timestamp_with_time_zone("created_at"))
                    .primary_key(Index::create().col("org_id").col("user_id"))
                    .foreign_key(&mut fk(
                        "fk_org_members_org",
                        ("org_members", "org_id"),
                        ("orgs", "id"),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_org_members_user",
                        ("org_members", "user_id"),
                        ("users", "id"),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_org_members_user")
                    .table("org_members")
                    .col("user_id")
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("projects")
                    .col(pk_uuid("id"))
                    .col(uuid("org_id"))
                    .col(string_len("name", 200))
                    .col(text_null("description"))
                    .col(string_len_null("system_name", 200))
                    .col(string_len("status", 16))
                    .col(date_null("start_date"))
                    .col(date_null("go_live_date"))
                    .col(date_null("consultant_exit_date"))
                    .col(string_len_null("external_id", 200))
                    .col(string_len_null("external_source", 100))
                    .col(integer("version").default(1))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk(
                        "fk_projects_org",
                        ("projects", "org_id"),
                        ("orgs", "id"),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_projects_org")
                    .table("projects")
                    .col("org_id")
                    .col("id")
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_projects_external")
                    .table("projects")
                    .col("external_source")
                    .col("external_id")
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("project_members")
                    .col(pk_uuid("id"))
                    .col(uuid("project_id"))
                    .col(uuid("user_id"))
                    .col(string_len("role", 16))
                    .col(boolean("is_lead").default(false))
                    .col(integer("weekly_quarter_hours").default(0))
                    .col(string_len_null("responsibility", 500))
                    .col(integer("version").default(1))
                    .col(timestamp_with_time_zone("joined_at"))
                    .col(timestamp_with_time_zone_null("left_at"))
                    .foreign_key(&mut fk(
                        "fk_project_members_project",
                        ("project_members", "project_id"),
                        ("projects", "id"),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_project_members_user",
                        ("project_members", "user_id"),
                        ("users", "id"),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_project_members_user")
                    .table("project_members")
                    .col("user_id")
                    .col("project_id")
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_project_members_project")
                    .table("project_members")
                    .col("project_id")
                    .col("id")
                    .to_owned(),
            )
            .await?;
        // One active participation per user per project, enforced by the database itself
        // (a partial unique index; both SQLite and PostgreSQL support the same syntax).
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX uq_project_members_active \
                 ON project_members (project_id, user_id) WHERE left_at IS NULL",
            )
            .await?;

        // The append-only audit log and integration feed. `id` increases with commit order
        // (writers serialise on the insert; see repo::events), so `?after=` polling never skips.
        manager
            .create_table(
                Table::create()
                    .table("events")
                    .col(big_pk_auto("id"))
                    .col(uuid("org_id"))
                    .col(uuid_null("project_id"))
                    .col(uuid_null("actor_user_id"))
                    .col(uuid_null("actor_api_key_id"))
                    .col(string_len("type", 64))
                    .col(uuid_null("subject_id"))
                    .col(text("data"))
                    .col(timestamp_with_time_zone("occurred_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_events_org")
                    .table("events")
                    .col("org_id")
                    .col("id")
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_events_project")
                    .table("events")
                    .col("project_id")
                    .col("id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "events",
            "project_members",
            "projects",
            "org_members",
            "orgs",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
