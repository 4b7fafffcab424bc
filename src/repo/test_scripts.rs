//! Test scripts and their runs.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr,
    EntityTrait, QueryFilter, QueryOrder, sea_query::Expr,
};
use uuid::Uuid;

use super::{PageRequest, into_page, keyset};
pub use crate::domain::query::ScriptFilter;
use crate::{
    domain::{ProjectRole, test_script::NewScript},
    entity::{test_run, test_script},
};

pub async fn insert(
    db: &impl ConnectionTrait,
    project_id: Uuid,
    new: NewScript,
    now: DateTime<Utc>,
) -> Result<test_script::Model, DbErr> {
    test_script::ActiveModel {
        id: Set(Uuid::now_v7()),
        project_id: Set(project_id),
        title: Set(new.title),
        knowledge_area: Set(new.knowledge_area),
        steps: Set(new.steps),
        critical: Set(new.critical),
        owner_id: Set(new.owner_id),
        milestone_id: Set(new.milestone_id),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        deleted_at: Set(None),
    }
    .insert(db)
    .await
}

/// The scripts of `project_id` that are not deleted.
pub fn in_project(project_id: Uuid) -> Condition {
    Condition::all()
        .add(test_script::Column::ProjectId.eq(project_id))
        .add(test_script::Column::DeletedAt.is_null())
}

/// A script of `project_id` (an id from another project is simply not found).
pub async fn find_in_project(
    db: &impl ConnectionTrait,
    project_id: Uuid,
    script_id: Uuid,
) -> Result<Option<test_script::Model>, DbErr> {
    test_script::Entity::find_by_id(script_id)
        .filter(in_project(project_id))
        .one(db)
        .await
}

pub async fn list(
    db: &impl ConnectionTrait,
    project_id: Uuid,
    filter: ScriptFilter,
    page: PageRequest,
) -> Result<(Vec<test_script::Model>, bool), DbErr> {
    let mut query = test_script::Entity::find().filter(in_project(project_id));
    if let Some(critical) = filter.critical {
        query = query.filter(test_script::Column::Critical.eq(critical));
    }
    if let Some(owner) = filter.owner_id {
        query = query.filter(test_script::Column::OwnerId.eq(owner));
    }
    if let Some(area) = filter.knowledge_area {
        query = query.filter(test_script::Column::KnowledgeArea.eq(area));
    }
    if let Some(milestone) = filter.milestone_id {
        query = query.filter(test_script::Column::MilestoneId.eq(milestone));
    }
    let query = keyset(query, test_script::Column::Id, &page);
    Ok(into_page(query.all(db).await?, page.limit))
}

pub async fn update_if_version(
    db: &impl ConnectionTrait,
    changed: test_script::Model,
    expected_version: i32,
) -> Result<Option<test_script::Model>, DbErr> {
    let row = Condition::all()
        .add(test_script::Column::Id.eq(changed.id))
        .add(test_script::Column::DeletedAt.is_null());
    let version = test_script::Column::Version;
    super::update_if_version::<test_script::Entity>(db, changed, version, row, expected_version)
        .await
}

/// Soft-deletes a script: gone from `now` on, still seen by reports for earlier days.
pub async fn delete_if_version(
    db: &impl ConnectionTrait,
    script_id: Uuid,
    expected_version: i32,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = test_script::Entity::update_many()
        .col_expr(test_script::Column::DeletedAt, Expr::value(Some(now)))
        .col_expr(
            test_script::Column::Version,
            Expr::value(expected_version + 1),
        )
        .filter(test_script::Column::Id.eq(script_id))
        .filter(test_script::Column::Version.eq(expected_version))
        .filter(test_script::Column::DeletedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// A run as the service has checked it.
pub struct RunRow {
    pub script_id: Uuid,
    pub project_id: Uuid,
    pub user_id: Uuid,
    pub party: ProjectRole,
    pub run: crate::domain::test_script::NewRun,
    pub occurred_on: chrono::NaiveDate,
}

pub async fn insert_run(
    db: &impl ConnectionTrait,
    row: RunRow,
    now: DateTime<Utc>,
) -> Result<test_run::Model, DbErr> {
    test_run::ActiveModel {
        id: Set(Uuid::now_v7()),
        script_id: Set(row.script_id),
        project_id: Set(row.project_id),
        user_id: Set(row.user_id),
        party: Set(row.party),
        result: Set(row.run.result),
        occurred_on: Set(row.occurred_on),
        notes: Set(row.run.notes),
        created_at: Set(now),
    }
    .insert(db)
    .await
}

pub fn runs_of(script_id: Uuid) -> Condition {
    Condition::all().add(test_run::Column::ScriptId.eq(script_id))
}

/// A script's runs in the order recorded.
pub async fn list_runs(
    db: &impl ConnectionTrait,
    script_id: Uuid,
    page: PageRequest,
) -> Result<(Vec<test_run::Model>, bool), DbErr> {
    let query = test_run::Entity::find().filter(runs_of(script_id));
    let query = keyset(query, test_run::Column::Id, &page);
    Ok(into_page(query.all(db).await?, page.limit))
}

/// The scripts of `projects` that existed at some instant before `until` and were not deleted
/// before `from`.
pub async fn scripts_between(
    db: &impl ConnectionTrait,
    projects: &[Uuid],
    (from, until): (DateTime<Utc>, DateTime<Utc>),
) -> Result<Vec<test_script::Model>, DbErr> {
    test_script::Entity::find()
        .filter(test_script::Column::ProjectId.is_in(projects.iter().copied()))
        .filter(test_script::Column::CreatedAt.lt(until))
        .filter(
            Condition::any()
                .add(test_script::Column::DeletedAt.is_null())
                .add(test_script::Column::DeletedAt.gte(from)),
        )
        .order_by_asc(test_script::Column::Id)
        .all(db)
        .await
}

/// The scripts of `project_id` that are not deleted.
pub async fn current(
    db: &impl ConnectionTrait,
    project_id: Uuid,
) -> Result<Vec<test_script::Model>, DbErr> {
    test_script::Entity::find()
        .filter(in_project(project_id))
        .order_by_asc(test_script::Column::Id)
        .all(db)
        .await
}

/// Every run of `projects` recorded before `until` (or ever, without it), in the order recorded.
pub async fn runs_until(
    db: &impl ConnectionTrait,
    projects: &[Uuid],
    until: Option<DateTime<Utc>>,
) -> Result<Vec<test_run::Model>, DbErr> {
    let mut query = test_run::Entity::find()
        .filter(test_run::Column::ProjectId.is_in(projects.iter().copied()));
    if let Some(until) = until {
        query = query.filter(test_run::Column::CreatedAt.lt(until));
    }
    query
        .order_by_asc(test_run::Column::CreatedAt)
        .order_by_asc(test_run::Column::Id)
        .all(db)
        .await
}
