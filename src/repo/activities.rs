use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QuerySelect,
};
use uuid::Uuid;

use crate::domain::activity::Entry;
pub use crate::domain::query::ActivityFilter;

use super::{PageRequest, into_page};
use crate::{domain::ProjectRole, entity::activity};

/// Whose time an entry is, and who wrote it.
pub struct Attribution {
    pub project_id: Uuid,
    pub user_id: Uuid,
    pub party: ProjectRole,
    pub logged_by: Option<Uuid>,
}

/// The quarter hours `user_id` has logged on the project for `day`.
pub async fn quarter_hours_on(
    db: &impl ConnectionTrait,
    project_id: Uuid,
    user_id: Uuid,
    day: NaiveDate,
) -> Result<i64, DbErr> {
    // At most 96 entries (a day's quarter hours), so they are summed here, alike on both engines.
    let entries: Vec<i32> = activity::Entity::find()
        .select_only()
        .column(activity::Column::QuarterHours)
        .filter(activity::Column::ProjectId.eq(project_id))
        .filter(activity::Column::UserId.eq(user_id))
        .filter(activity::Column::OccurredOn.eq(day))
        .into_tuple()
        .all(db)
        .await?;
    Ok(entries.into_iter().map(i64::from).sum())
}

pub async fn insert(
    db: &impl ConnectionTrait,
    whose: Attribution,
    entry: Entry,
    now: DateTime<Utc>,
) -> Result<activity::Model, DbErr> {
    activity::ActiveModel {
        id: Set(Uuid::now_v7()),
        project_id: Set(whose.project_id),
        user_id: Set(whose.user_id),
        party: Set(whose.party),
        occurred_on: Set(entry.occurred_on),
        quarter_hours: Set(entry.quarter_hours),
        kind: Set(entry.kind),
        milestone_id: Set(entry.milestone_id),
        note: Set(entry.note),
        logged_by: Set(whose.logged_by),
        created_at: Set(now),
        external_id: Set(entry.external_id),
        external_source: Set(entry.external_source),
    }
    .insert(db)
    .await
}

/// The entry of `project_id` a vendor keeps under `(source, id)`, if any.
pub async fn find_by_external(
    db: &impl ConnectionTrait,
    project_id: Uuid,
    (source, id): (&str, &str),
) -> Result<Option<activity::Model>, DbErr> {
    activity::Entity::find()
        .filter(activity::Column::ProjectId.eq(project_id))
        .filter(activity::Column::ExternalSource.eq(source))
        .filter(activity::Column::ExternalId.eq(id))
        .one(db)
        .await
}

pub async fn find_in_project(
    db: &impl ConnectionTrait,
    project_id: Uuid,
    id: Uuid,
) -> Result<Option<activity::Model>, DbErr> {
    activity::Entity::find_by_id(id)
        .filter(activity::Column::ProjectId.eq(project_id))
        .one(db)
        .await
}

pub async fn delete(db: &impl ConnectionTrait, id: Uuid) -> Result<bool, DbErr> {
    Ok(activity::Entity::delete_by_id(id)
        .exec(db)
        .await?
        .rows_affected
        == 1)
}

pub async fn list(
    db: &impl ConnectionTrait,
    project_id: Uuid,
    filter: ActivityFilter,
    page: PageRequest,
) -> Result<(Vec<activity::Model>, bool), DbErr> {
    let query = activity::Entity::find().filter(activity::Column::ProjectId.eq(project_id));
    let mut query = super::keyset(query, activity::Column::Id, &page);
    if let Some(user) = filter.user_id {
        query = query.filter(activity::Column::UserId.eq(user));
    }
    if let Some(milestone) = filter.milestone_id {
        query = query.filter(activity::Column::MilestoneId.eq(milestone));
    }
    if let Some(kind) = filter.kind {
        query = query.filter(activity::Column::Kind.eq(kind));
    }
    if let Some(party) = filter.party {
        query = query.filter(activity::Column::Party.eq(party));
    }
    if let Some(from) = filter.from {
        query = query.filter(activity::Column::OccurredOn.gte(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(activity::Column::OccurredOn.lte(to));
    }
    if let Some(source) = filter.external_source {
        query = query.filter(activity::Column::ExternalSource.eq(source));
    }
    if let Some(id) = filter.external_id {
        query = query.filter(activity::Column::ExternalId.eq(id));
    }
    if let Some(since) = filter.updated_since {
        query = query.filter(activity::Column::CreatedAt.gte(since));
    }
    Ok(into_page(query.all(db).await?, page.limit))
}
