//! Webhooks and their durable delivery outbox.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("webhooks")
                    .col(pk_uuid("id"))
                    .col(uuid("org_id"))
                    .col(text("url"))
                    // JSON array of event types, or ["*"].
                    .col(text("event_types"))
                    .col(string_len_null("description", 500))
                    // The signing secret must be readable to sign; it is never returned after creation.
                    .col(string_len("secret", 128))
                    .col(boolean("enabled").default(true))
                    .col(integer("consecutive_failures").default(0))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_webhooks_org")
                            .from("webhooks", "org_id")
                            .to("orgs", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_webhooks_org")
                    .table("webhooks")
                    .col("org_id")
                    .col("id")
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("webhook_deliveries")
                    .col(pk_uuid("id"))
                    .col(uuid("webhook_id"))
                    .col(big_integer_null("event_id"))
                    .col(string_len("event_type", 64))
                    // `webhook-id`: the same on every retry, so receivers can deduplicate.
                    .col(string_len("message_id", 64))
                    // The exact bytes sent (and re-sent), so signatures stay valid.
                    .col(text("payload"))
                    // pending | delivered | failed
                    .col(string_len("status", 16))
                    .col(integer("attempts").default(0))
                    .col(timestamp_with_time_zone("next_attempt_at"))
                    .col(timestamp_with_time_zone_null("locked_until"))
                    .col(integer_null("last_status_code"))
                    .col(text_null("last_error"))
                    .col(integer_null("last_duration_ms"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("delivered_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_deliveries_webhook")
                            .from("webhook_deliveries", "webhook_id")
                            .to("webhooks", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_deliveries_due")
                    .table("webhook_deliveries")
                    .col("status")
                    .col("next_attempt_at")
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_deliveries_webhook")
                    .table("webhook_deliveries")
                    .col("webhook_id")
                    .col("id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["webhook_deliveries", "webhooks"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
