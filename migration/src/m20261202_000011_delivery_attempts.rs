//! The webhook delivery log lists every attempt, not only a delivery's latest: each send is a
//! row (its number, time, status code or error, and duration), written with the delivery's
//! outcome. A delivery has at most as many as its retry schedule allows.

use sea_orm_migration::{prelude::*, schema::*};

use crate::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("webhook_delivery_attempts")
                    .col(big_pk_auto("id"))
                    .col(uuid("delivery_id"))
                    .col(integer("attempt"))
                    .col(timestamp_with_time_zone("attempted_at"))
                    .col(integer_null("status_code"))
                    .col(text_null("error"))
                    .col(integer("duration_ms"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_attempts_delivery")
                            .from("webhook_delivery_attempts", "delivery_id")
                            .to("webhook_deliveries", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_attempts_delivery",
            "webhook_delivery_attempts",
            &["delivery_id", "attempt"],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("webhook_delivery_attempts").to_owned())
            .await
    }
}
