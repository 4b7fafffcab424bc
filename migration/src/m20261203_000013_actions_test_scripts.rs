//! Agreed actions ("every meeting ends with the next step") and staff-run test scripts with
//! their runs (the go-live gate).
//!
//! An action waits on a member (`waiting_user_id`) or an outside party (`waiting_party` +
//! `waiting_name`), never both; `waiting_since` is the day that was last set. Test scripts are
//! soft-deleted like milestones, so a readiness report for an earlier day still sees them; a
//! run stores the caller's side (`party`) when it was recorded, like an activity.

use sea_orm_migration::{prelude::*, schema::*};

use crate::{fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::{Cascade, SetNull};
        manager
            .create_table(
                Table::create()
                    .table("agreed_actions")
                    .col(pk_uuid("id"))
                    .col(uuid("project_id"))
                    .col(string_len("title", 200))
                    .col(uuid("owner_id"))
                    .col(date_null("due_date"))
                    .col(uuid_null("waiting_user_id"))
                    .col(string_len_null("waiting_party", 16))
                    .col(string_len_null("waiting_name", 200))
                    .col(date_null("waiting_since"))
                    .col(uuid_null("milestone_id"))
                    .col(date("agreed_on"))
                    .col(text_null("note"))
                    .col(string_len("status", 16))
                    .col(uuid_null("closed_by"))
                    .col(timestamp_with_time_zone_null("closed_at"))
                    .col(integer("version").default(1))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk(
                        "fk_actions_project",
                        ("agreed_actions", "project_id"),
                        ("projects", "id"),
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_actions_owner",
                        ("agreed_actions", "owner_id"),
                        ("users", "id"),
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_actions_waiting_user",
                        ("agreed_actions", "waiting_user_id"),
                        ("users", "id"),
                        SetNull,
                    ))
                    .foreign_key(&mut fk(
                        "fk_actions_milestone",
                        ("agreed_actions", "milestone_id"),
                        ("milestones", "id"),
                        SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_actions_project",
            "agreed_actions",
            &["project_id", "id"],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table("test_scripts")
                    .col(pk_uuid("id"))
                    .col(uuid("project_id"))
                    .col(string_len("title", 200))
                    .col(string_len("knowledge_area", 100))
                    .col(text("steps"))
                    .col(boolean("critical").default(false))
                    .col(uuid("owner_id"))
                    .col(uuid_null("milestone_id"))
                    .col(integer("version").default(1))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(timestamp_with_time_zone_null("deleted_at"))
                    .foreign_key(&mut fk(
                        "fk_test_scripts_project",
                        ("test_scripts", "project_id"),
                        ("projects", "id"),
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_test_scripts_owner",
                        ("test_scripts", "owner_id"),
                        ("users", "id"),
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_test_scripts_milestone",
                        ("test_scripts", "milestone_id"),
                        ("milestones", "id"),
                        SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_test_scripts_project",
            "test_scripts",
            &["project_id", "id"],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table("test_runs")
                    .col(pk_uuid("id"))
                    .col(uuid("script_id"))
                    .col(uuid("project_id"))
                    .col(uuid("user_id"))
                    .col(string_len("party", 16))
                    .col(string_len("result", 16))
                    .col(date("occurred_on"))
                    .col(text_null("notes"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk(
                        "fk_test_runs_script",
                        ("test_runs", "script_id"),
                        ("test_scripts", "id"),
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_test_runs_project",
                        ("test_runs", "project_id"),
                        ("projects", "id"),
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_test_runs_user",
                        ("test_runs", "user_id"),
                        ("users", "id"),
                        Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_test_runs_script",
            "test_runs",
            &["script_id", "id"],
        )
        .await?;
        index(
            manager,
            "idx_test_runs_project",
            "test_runs",
            &["project_id", "created_at"],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["test_runs", "test_scripts", "agreed_actions"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
