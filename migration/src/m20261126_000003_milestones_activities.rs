//! Handoff milestones with their acceptance criteria and stage history, and the activity ledger.

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
                    .table("milestones")
                    .col(pk_uuid("id"))
                    .col(uuid("project_id"))
                    .col(string_len("title", 200))
                    .col(string_len("knowledge_area", 100))
                    .col(text_null("description"))
                    .col(date_null("due_date"))
                    .col(uuid_null("staff_owner_id"))
                    .col(uuid_null("consultant_id"))
                    .col(string_len("stage", 32))
                    .col(timestamp_with_time_zone("stage_entered_at"))
                    .col(uuid_null("signed_off_by"))
                    .col(timestamp_with_time_zone_null("signed_off_at"))
                    .col(string_len_null("external_id", 200))
                    .col(string_len_null("external_source", 100))
                    .col(integer("version").default(1))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk(
                        "fk_milestones_project",
                        ("milestones", "project_id"),
                        ("projects", "id"),
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_milestones_owner",
                        ("milestones", "staff_owner_id"),
                        ("users", "id"),
                        SetNull,
                    ))
                    .foreign_key(&mut fk(
                        "fk_milestones_consultant",
                        ("milestones", "consultant_id"),
                        ("users", "id"),
                        SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_milestones_project",
            "milestones",
            &["project_id", "id"],
        )
        .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX uq_milestones_external ON milestones (project_id, external_source, external_id) \
                 WHERE external_id IS NOT NULL",
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("criteria")
                    .col(pk_uuid("id"))
                    .col(uuid("milestone_id"))
                    .col(string_len("text", 500))
                    .col(boolean("done").default(false))
                    .col(uuid_null("done_by"))
                    .col(timestamp_with_time_zone_null("done_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk(
                        "fk_criteria_milestone",
                        ("criteria", "milestone_id"),
                        ("milestones", "id"),
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_criteria_done_by",
                        ("criteria", "done_by"),
                        ("users", "id"),
                        SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_criteria_milestone",
            "criteria",
            &["milestone_id", "id"],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table("milestone_transitions")
                    .col(pk_uuid("id"))
                    .col(uuid("milestone_id"))
                    .col(string_len("action", 32))
                    .col(string_len("from_stage", 32))
                    .col(string_len("to_stage", 32))
                    .col(text_null("note"))
                    .col(uuid_null("actor_user_id"))
                    .col(timestamp_with_time_zone("occurred_at"))
                    .foreign_key(&mut fk(
                        "fk_transitions_milestone",
                        ("milestone_transitions", "milestone_id"),
                        ("milestones", "id"),
                        Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_transitions_milestone",
            "milestone_transitions",
            &["milestone_id", "id"],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table("activities")
                    .col(pk_uuid("id"))
                    .col(uuid("project_id"))
                    .col(uuid("user_id"))
                    .col(string_len("party", 16))
                    .col(date("occurred_on"))
                    // Hours in whole quarter hours (1 = 0.25 h), so sums are exact.
                    .col(integer("quarter_hours"))
                    .col(string_len("kind", 16))
                    .col(uuid_null("milestone_id"))
                    .col(text_null("note"))
                    .col(uuid_null("logged_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk(
                        "fk_activities_project",
                        ("activities", "project_id"),
                        ("projects", "id"),
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_activities_user",
                        ("activities", "user_id"),
                        ("users", "id"),
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_activities_milestone",
                        ("activities", "milestone_id"),
                        ("milestones", "id"),
                        SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_activities_project",
            "activities",
            &["project_id", "id"],
        )
        .await?;
        index(
            manager,
            "idx_activities_project_day",
            "activities",
            &["project_id", "occurred_on"],
        )
        .await?;
        index(
            manager,
            "idx_activities_milestone",
            "activities",
            &["milestone_id", "user_id"],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "activities",
            "milestone_transitions",
            "criteria",
            "milestones",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
