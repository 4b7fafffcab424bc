//! Invitations to join an organisation. Joining is the invitee's decision, and the answer to
//! "add this email" no longer says whether an account has it.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("org_invitations")
                    .col(pk_uuid("id"))
                    .col(uuid("org_id"))
                    // Exactly one of the two: whom the admin named.
                    .col(string_len_null("email", 254))
                    .col(uuid_null("user_id"))
                    .col(string_len("role", 16))
                    .col(uuid_null("invited_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_org_invitations_org")
                            .from("org_invitations", "org_id")
                            .to("orgs", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("idx_org_invitations_org_email", "email"),
            ("idx_org_invitations_org_user", "user_id"),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table("org_invitations")
                        .col("org_id")
                        .col(column)
                        .unique()
                        .to_owned(),
                )
                .await?;
        }
        for (name, column) in [
            ("idx_org_invitations_email", "email"),
            ("idx_org_invitations_user", "user_id"),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table("org_invitations")
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("org_invitations").to_owned())
            .await
    }
}
