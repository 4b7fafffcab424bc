//! Login and registration throttles keyed by source address and by account-from-source, in the
//! database so that every instance counts the same attempts. They replace the per-account lockout
//! columns, which let anyone who knew an email keep its owner out.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("login_throttles")
                    // What is counted: a source address, or an account (hashed email) from one.
                    .col(string_len("key", 160).primary_key())
                    .col(integer("attempts"))
                    // Milliseconds since the Unix epoch: compared in SQL the same way on both engines.
                    .col(big_integer_null("blocked_until_ms"))
                    .col(big_integer("last_attempt_ms"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_login_throttles_last_attempt")
                    .table("login_throttles")
                    .col("last_attempt_ms")
                    .to_owned(),
            )
            .await?;
        for column in ["failed_logins", "locked_until"] {
            manager
                .alter_table(Table::alter().table("users").drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("users")
                    .add_column(integer("failed_logins").default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("users")
                    .add_column(timestamp_with_time_zone_null("locked_until"))
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table("login_throttles").to_owned())
            .await
    }
}
