//! The schema's single source of truth: every table buyin uses is created here, and the same
//! migrations run on SQLite and PostgreSQL at start-up (or with `buyin migrate`).

pub use sea_orm_migration::prelude::*;

mod m20261126_000001_accounts;
mod m20261126_000002_orgs_projects;
mod m20261126_000003_milestones_activities;
mod m20261126_000004_api_keys;
mod m20261126_000005_webhooks;
mod m20261202_000006_login_throttles;
mod m20261202_000007_org_invitations;
mod m20261202_000008_idempotency_etag;
mod m20261202_000009_history;
mod m20261202_000010_external_ids;
mod m20261202_000011_delivery_attempts;
mod m20261203_000012_ledger_index;
mod m20261203_000013_actions_test_scripts;
mod m20261203_000014_ledger_totals;

pub struct Migrator;

/// A plain index on `cols` of `table` (the migrations' one way to make one).
pub(crate) async fn index(
    manager: &SchemaManager<'_>,
    name: &str,
    table: &'static str,
    cols: &[&'static str],
) -> Result<(), DbErr> {
    let mut index = Index::create().name(name).table(table).to_owned();
    for col in cols {
        index.col(*col);
    }
    manager.create_index(index).await
}

/// A foreign key from `from` (table, column) to `to`, doing `on_delete` (the migrations' one
/// way to make one).
pub(crate) fn fk(
    name: &str,
    from: (&'static str, &'static str),
    to: (&'static str, &'static str),
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(on_delete)
        .to_owned()
}

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261126_000001_accounts::Migration),
            Box::new(m20261126_000002_orgs_projects::Migration),
            Box::new(m20261126_000003_milestones_activities::Migration),
            Box::new(m20261126_000004_api_keys::Migration),
            Box::new(m20261126_000005_webhooks::Migration),
            Box::new(m20261202_000006_login_throttles::Migration),
            Box::new(m20261202_000007_org_invitations::Migration),
            Box::new(m20261202_000008_idempotency_etag::Migration),
            Box::new(m20261202_000009_history::Migration),
            Box::new(m20261202_000010_external_ids::Migration),
            Box::new(m20261202_000011_delivery_attempts::Migration),
            Box::new(m20261203_000012_ledger_index::Migration),
            Box::new(m20261203_000013_actions_test_scripts::Migration),
            Box::new(m20261203_000014_ledger_totals::Migration),
        ]
    }
}
