//! Agreed actions.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, ExprTrait, QueryFilter,
    QueryOrder, QuerySelect,
    sea_query::{Expr, Func, SimpleExpr},
};
use uuid::Uuid;

use super::{PageRequest, into_page, keyset};
pub use crate::domain::query::{ActionFilter, ActionOrder, NO_DUE_DATE};
use crate::{
    domain::action::{ActionStatus, WaitingOn},
    entity::agreed_action::{self, Column},
};

/// An action as the service has checked it, ready to store.
pub struct ActionRow {
    pub title: String,
    pub owner_id: Uuid,
    pub due_date: Option<NaiveDate>,
    pub waiting_on: Option<WaitingOn>,
    pub waiting_since: Option<NaiveDate>,
    pub milestone_id: Option<Uuid>,
    pub agreed_on: NaiveDate,
    pub note: Option<String>,
}

pub async fn insert(
    db: &impl ConnectionTrait,
    project_id: Uuid,
    row: ActionRow,
    now: DateTime<Utc>,
) -> Result<agreed_action::Model, DbErr> {
    let (waiting_user_id, waiting_party, waiting_name) =
        WaitingOn::columns(row.waiting_on.as_ref());
    agreed_action::ActiveModel {
        id: Set(Uuid::now_v7()),
        project_id: Set(project_id),
        title: Set(row.title),
        owner_id: Set(row.owner_id),
        due_date: Set(row.due_date),
        waiting_user_id: Set(waiting_user_id),
        waiting_party: Set(waiting_party),
        waiting_name: Set(waiting_name),
        waiting_since: Set(row.waiting_since),
        milestone_id: Set(row.milestone_id),
        agreed_on: Set(row.agreed_on),
        note: Set(row.note),
        status: Set(ActionStatus::Open),
        closed_by: Set(None),
        closed_at: Set(None),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await
}

/// The actions of `project_id`.
pub fn in_project(project_id: Uuid) -> Condition {
    Condition::all().add(Column::ProjectId.eq(project_id))
}

/// An action of `project_id` (an id from another project is simply not found).
pub async fn find_in_project(
    db: &impl ConnectionTrait,
    project_id: Uuid,
    action_id: Uuid,
) -> Result<Option<agreed_action::Model>, DbErr> {
    agreed_action::Entity::find_by_id(action_id)
        .filter(in_project(project_id))
        .one(db)
        .await
}

fn due_key() -> SimpleExpr {
    Func::coalesce([Expr::col(Column::DueDate), Expr::value(NO_DUE_DATE)]).into()
}

pub async fn list(
    db: &impl ConnectionTrait,
    project_id: Uuid,
    filter: ActionFilter,
    limit: u64,
    order: ActionOrder,
) -> Result<(Vec<agreed_action::Model>, bool), DbErr> {
    let mut query = agreed_action::Entity::find().filter(in_project(project_id));
    if let Some(status) = filter.status {
        query = query.filter(Column::Status.eq(status));
    }
    if let Some(owner) = filter.owner_id {
        query = query.filter(Column::OwnerId.eq(owner));
    }
    if let Some(user) = filter.waiting_user_id {
        query = query.filter(Column::WaitingUserId.eq(user));
    }
    if let Some(party) = filter.waiting_party {
        query = query.filter(Column::WaitingParty.eq(party));
    }
    if let Some(day) = filter.overdue_on {
        query = query
            .filter(Column::Status.eq(ActionStatus::Open))
            .filter(Column::DueDate.lt(day));
    }
    if let Some(milestone) = filter.milestone_id {
        query = query.filter(Column::MilestoneId.eq(milestone));
    }
    let query = match order {
        ActionOrder::Newest(after) => keyset(
            query,
            Column::Id,
            &PageRequest {
                limit,
                after,
                order: crate::domain::query::Order::Desc,
            },
        ),
        ActionOrder::Due(after) => {
            let mut query = query
                .order_by(due_key(), sea_orm::Order::Asc)
                .order_by_asc(Column::Id)
                .limit(limit + 1);
            if let Some((due, id)) = after {
                query = query.filter(
                    Condition::any().add(due_key().gt(due)).add(
                        Condition::all()
                            .add(due_key().eq(due))
                            .add(Column::Id.gt(id)),
                    ),
                );
            }
            query
        }
    };
    Ok(into_page(query.all(db).await?, limit))
}

/// Writes every field of `changed` only if the row is still at `expected_version`.
pub async fn update_if_version(
    db: &impl ConnectionTrait,
    changed: agreed_action::Model,
    expected_version: i32,
) -> Result<Option<agreed_action::Model>, DbErr> {
    let row = Condition::all().add(Column::Id.eq(changed.id));
    super::update_if_version::<agreed_action::Entity>(
        db,
        changed,
        Column::Version,
        row,
        expected_version,
    )
    .await
}

pub async fn delete_if_version(
    db: &impl ConnectionTrait,
    action_id: Uuid,
    expected_version: i32,
) -> Result<bool, DbErr> {
    let result = agreed_action::Entity::delete_many()
        .filter(Column::Id.eq(action_id))
        .filter(Column::Version.eq(expected_version))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// The actions of `projects` that a report for a day up to `until` can see open: created
/// before `until` and not closed before `open_at` (the start of the earliest day read).
pub async fn open_between(
    db: &impl ConnectionTrait,
    projects: &[Uuid],
    (open_at, until): (DateTime<Utc>, DateTime<Utc>),
) -> Result<Vec<agreed_action::Model>, DbErr> {
    agreed_action::Entity::find()
        .filter(Column::ProjectId.is_in(projects.iter().copied()))
        .filter(Column::CreatedAt.lt(until))
        .filter(
            Condition::any()
                .add(Column::ClosedAt.is_null())
                .add(Column::ClosedAt.gte(open_at)),
        )
        .order_by_asc(Column::Id)
        .all(db)
        .await
}

/// The actions of `project_id` closed from `from` until before `until`, in the order closed.
pub async fn closed_between(
    db: &impl ConnectionTrait,
    project_id: Uuid,
    (from, until): (DateTime<Utc>, DateTime<Utc>),
) -> Result<Vec<agreed_action::Model>, DbErr> {
    agreed_action::Entity::find()
        .filter(in_project(project_id))
        .filter(Column::ClosedAt.gte(from))
        .filter(Column::ClosedAt.lt(until))
        .order_by_asc(Column::ClosedAt)
        .order_by_asc(Column::Id)
        .all(db)
        .await
}
