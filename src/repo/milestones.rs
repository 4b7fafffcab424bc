use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    ExprTrait, QueryFilter, QueryOrder, QuerySelect, sea_query::Expr,
};
use uuid::Uuid;

use crate::domain::milestone::NewMilestone;
pub use crate::domain::query::MilestoneFilter;

use super::{PageRequest, into_page};
use crate::{
    domain::{ActivityKind, Stage},
    entity::{activity, criterion, milestone, milestone_transition},
};

pub async fn insert(
    db: &impl ConnectionTrait,
    project_id: Uuid,
    new: &NewMilestone,
    now: DateTime<Utc>,
) -> Result<milestone::Model, DbErr> {
    let created = milestone::ActiveModel {
        id: Set(Uuid::now_v7()),
        project_id: Set(project_id),
        title: Set(new.title.clone()),
        knowledge_area: Set(new.knowledge_area.clone()),
        description: Set(new.description.clone()),
        due_date: Set(new.due_date),
        staff_owner_id: Set(new.staff_owner_id),
        consultant_id: Set(new.consultant_id),
        stage: Set(Stage::Planned),
        stage_entered_at: Set(now),
        signed_off_by: Set(None),
        signed_off_at: Set(None),
        external_id: Set(new.external_id.clone()),
        external_source: Set(new.external_source.clone()),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        deleted_at: Set(None),
    }
    .insert(db)
    .await?;
    super::history::milestone(db, &created, now).await?;
    Ok(created)
}

/// A milestone of `project_id` (scoped: an id from another project is simply not found).
pub async fn find_in_project(
    db: &impl ConnectionTrait,
    project_id: Uuid,
    milestone_id: Uuid,
) -> Result<Option<milestone::Model>, DbErr> {
    milestone::Entity::find_by_id(milestone_id)
        .filter(milestone::Column::ProjectId.eq(project_id))
        .filter(milestone::Column::DeletedAt.is_null())
        .one(db)
        .await
}

/// The milestone of `project_id` a vendor keeps under `(source, id)`, if any.
pub async fn find_by_external(
    db: &impl ConnectionTrait,
    project_id: Uuid,
    (source, id): (&str, &str),
) -> Result<Option<milestone::Model>, DbErr> {
    milestone::Entity::find()
        .filter(in_project(project_id))
        .filter(milestone::Column::ExternalSource.eq(source))
        .filter(milestone::Column::ExternalId.eq(id))
        .one(db)
        .await
}

pub async fn list(
    db: &impl ConnectionTrait,
    project_id: Uuid,
    filter: MilestoneFilter,
    page: PageRequest,
) -> Result<(Vec<milestone::Model>, bool), DbErr> {
    let mut query = milestone::Entity::find()
        .filter(in_project(project_id))
        .order_by_asc(milestone::Column::Id)
        .limit(page.limit + 1);
    if let Some(after) = page.after {
        query = query.filter(milestone::Column::Id.gt(after));
    }
    if let Some(stage) = filter.stage {
        query = query.filter(milestone::Column::Stage.eq(stage));
    }
    if let Some(area) = filter.knowledge_area {
        query = query.filter(milestone::Column::KnowledgeArea.eq(area));
    }
    if let Some(owner) = filter.staff_owner_id {
        query = query.filter(milestone::Column::StaffOwnerId.eq(owner));
    }
    if let Some(day) = filter.overdue_on {
        query = query
            .filter(milestone::Column::DueDate.lt(day))
            .filter(milestone::Column::Stage.ne(Stage::HandedOff));
    }
    if let Some(source) = filter.external_source {
        query = query.filter(milestone::Column::ExternalSource.eq(source));
    }
    if let Some(id) = filter.external_id {
        query = query.filter(milestone::Column::ExternalId.eq(id));
    }
    if let Some(since) = filter.updated_since {
        query = query.filter(milestone::Column::UpdatedAt.gte(since));
    }
    Ok(into_page(query.all(db).await?, page.limit))
}

/// Writes the editable fields (and `stage` when an edit moves it back) only if the row is still
/// at `expected_version`.
pub async fn update_if_version(
    db: &impl ConnectionTrait,
    changed: milestone::Model,
    expected_version: i32,
) -> Result<Option<milestone::Model>, DbErr> {
    let row = sea_orm::Condition::all()
        .add(milestone::Column::Id.eq(changed.id))
        .add(milestone::Column::DeletedAt.is_null());
    let version = milestone::Column::Version;
    let updated =
        super::update_if_version::<milestone::Entity>(db, changed, version, row, expected_version)
            .await?;
    if let Some(m) = &updated {
        super::history::milestone(db, m, m.updated_at).await?;
    }
    Ok(updated)
}

/// The milestones of `project_id` that are not deleted.
pub fn in_project(project_id: Uuid) -> sea_orm::Condition {
    sea_orm::Condition::all()
        .add(milestone::Column::ProjectId.eq(project_id))
        .add(milestone::Column::DeletedAt.is_null())
}

/// Moves a milestone from `from` to `to` only if it is still at `from`: of two concurrent
/// sign-offs exactly one matches a row. `signed_off` is set on sign-off and cleared otherwise.
pub async fn move_stage_if_at(
    db: &impl ConnectionTrait,
    milestone_id: Uuid,
    from: Stage,
    to: Stage,
    at: DateTime<Utc>,
    signed_off_by: Option<Uuid>,
) -> Result<bool, DbErr> {
    let signed_at = signed_off_by.map(|_| at);
    let result = milestone::Entity::update_many()
        .col_expr(milestone::Column::Stage, Expr::value(to))
        .col_expr(milestone::Column::StageEnteredAt, Expr::value(at))
        .col_expr(milestone::Column::SignedOffBy, Expr::value(signed_off_by))
        .col_expr(milestone::Column::SignedOffAt, Expr::value(signed_at))
        .col_expr(
            milestone::Column::Version,
            Expr::col(milestone::Column::Version).add(1),
        )
        .col_expr(milestone::Column::UpdatedAt, Expr::value(at))
        .filter(milestone::Column::Id.eq(milestone_id))
        .filter(milestone::Column::Stage.eq(from))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Soft-deletes a milestone: it disappears from `now` on, but a report for an earlier day still
/// sees it, with its transitions and the hours logged on it. Its external id is released, so a
/// vendor may create the same one again.
pub async fn delete_if_version(
    db: &impl ConnectionTrait,
    milestone_id: Uuid,
    expected_version: i32,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = milestone::Entity::update_many()
        .col_expr(milestone::Column::DeletedAt, Expr::value(Some(now)))
        .col_expr(
            milestone::Column::ExternalId,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            milestone::Column::ExternalSource,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            milestone::Column::Version,
            Expr::value(expected_version + 1),
        )
        .filter(milestone::Column::Id.eq(milestone_id))
        .filter(milestone::Column::Version.eq(expected_version))
        .filter(milestone::Column::DeletedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

pub async fn insert_transition(
    db: &impl ConnectionTrait,
    transition: milestone_transition::Model,
) -> Result<milestone_transition::Model, DbErr> {
    milestone_transition::ActiveModel {
        id: Set(transition.id),
        milestone_id: Set(transition.milestone_id),
        action: Set(transition.action),
        from_stage: Set(transition.from_stage),
        to_stage: Set(transition.to_stage),
        note: Set(transition.note),
        actor_user_id: Set(transition.actor_user_id),
        occurred_at: Set(transition.occurred_at),
    }
    .insert(db)
    .await
}

/// The moves of `project_id`'s milestones at or after `from` and before `until`, oldest first.
pub async fn transitions_between(
    db: &impl ConnectionTrait,
    project_id: Uuid,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<milestone_transition::Model>, DbErr> {
    milestone_transition::Entity::find()
        .inner_join(milestone::Entity)
        .filter(milestone::Column::ProjectId.eq(project_id))
        .filter(milestone_transition::Column::OccurredAt.gte(from))
        .filter(milestone_transition::Column::OccurredAt.lt(until))
        .order_by_asc(milestone_transition::Column::OccurredAt)
        .order_by_asc(milestone_transition::Column::Id)
        .all(db)
        .await
}

pub async fn list_transitions(
    db: &impl ConnectionTrait,
    milestone_id: Uuid,
    page: PageRequest,
) -> Result<(Vec<milestone_transition::Model>, bool), DbErr> {
    let mut query = milestone_transition::Entity::find()
        .filter(milestone_transition::Column::MilestoneId.eq(milestone_id))
        .order_by_asc(milestone_transition::Column::Id)
        .limit(page.limit + 1);
    if let Some(after) = page.after {
        query = query.filter(milestone_transition::Column::Id.gt(after));
    }
    Ok(into_page(query.all(db).await?, page.limit))
}

// Criteria.

pub async fn list_criteria(
    db: &impl ConnectionTrait,
    milestone_id: Uuid,
) -> Result<Vec<criterion::Model>, DbErr> {
    criterion::Entity::find()
        .filter(criterion::Column::MilestoneId.eq(milestone_id))
        .order_by_asc(criterion::Column::Id)
        .all(db)
        .await
}

pub async fn insert_criterion(
    db: &impl ConnectionTrait,
    milestone_id: Uuid,
    text: String,
    now: DateTime<Utc>,
) -> Result<criterion::Model, DbErr> {
    criterion::ActiveModel {
        id: Set(Uuid::now_v7()),
        milestone_id: Set(milestone_id),
        text: Set(text),
        done: Set(false),
        done_by: Set(None),
        done_at: Set(None),
        created_at: Set(now),
    }
    .insert(db)
    .await
}

pub async fn find_criterion(
    db: &impl ConnectionTrait,
    milestone_id: Uuid,
    criterion_id: Uuid,
) -> Result<Option<criterion::Model>, DbErr> {
    criterion::Entity::find_by_id(criterion_id)
        .filter(criterion::Column::MilestoneId.eq(milestone_id))
        .one(db)
        .await
}

pub async fn update_criterion(
    db: &impl ConnectionTrait,
    changed: criterion::Model,
) -> Result<criterion::Model, DbErr> {
    criterion::ActiveModel {
        id: Set(changed.id),
        text: Set(changed.text),
        done: Set(changed.done),
        done_by: Set(changed.done_by),
        done_at: Set(changed.done_at),
        ..Default::default()
    }
    .update(db)
    .await
}

pub async fn delete_criterion(db: &impl ConnectionTrait, criterion_id: Uuid) -> Result<(), DbErr> {
    criterion::Entity::delete_by_id(criterion_id)
        .exec(db)
        .await?;
    Ok(())
}

/// Quarter hours of hands-on work (`execution`, `testing`) `user_id` logged on a milestone.
pub async fn hands_on_quarter_hours(
    db: &impl ConnectionTrait,
    milestone_id: Uuid,
    user_id: Uuid,
) -> Result<i64, DbErr> {
    let total: Option<Option<i64>> = activity::Entity::find()
        .select_only()
        .expr(
            Expr::col(activity::Column::QuarterHours)
                .sum()
                .cast_as("bigint"),
        )
        .filter(activity::Column::MilestoneId.eq(milestone_id))
        .filter(activity::Column::UserId.eq(user_id))
        .filter(activity::Column::Kind.is_in([ActivityKind::Execution, ActivityKind::Testing]))
        .into_tuple()
        .one(db)
        .await?;
    Ok(total.flatten().unwrap_or(0))
}

/// Milestones not handed off yet: what stops the project from closing.
pub async fn blockers(
    db: &impl ConnectionTrait,
    project_id: Uuid,
) -> Result<Vec<crate::domain::ladder::Blocker>, DbErr> {
    let rows: Vec<(Uuid, String, Stage)> = milestone::Entity::find()
        .select_only()
        .columns([
            milestone::Column::Id,
            milestone::Column::Title,
            milestone::Column::Stage,
        ])
        .filter(in_project(project_id))
        .filter(milestone::Column::Stage.ne(Stage::HandedOff))
        .order_by_asc(milestone::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(
            |(milestone_id, title, stage)| crate::domain::ladder::Blocker {
                milestone_id,
                title,
                stage,
            },
        )
        .collect())
}
