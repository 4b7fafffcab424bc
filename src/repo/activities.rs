use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, ExprTrait, Iterable, QueryFilter,
    QuerySelect,
    sea_query::{Alias, Expr, Func, OnConflict},
};
use uuid::Uuid;

use crate::domain::activity::Entry;
pub use crate::domain::query::ActivityFilter;

use super::{PageRequest, into_page};
use crate::{
    domain::{ActivityKind, ProjectRole},
    entity::{activity, ledger_total, milestone_ledger_total},
};

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

/// Logs an entry, and adds it to the ledger's running totals (call it in a transaction).
pub async fn insert(
    db: &impl ConnectionTrait,
    whose: Attribution,
    entry: Entry,
    now: DateTime<Utc>,
) -> Result<activity::Model, DbErr> {
    let logged = activity::ActiveModel {
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
    .await?;
    add_to_totals(db, &logged, 1).await?;
    Ok(logged)
}

/// `SUM(quarter_hours)` of the activities grouped, 0 for none, as a 64-bit integer.
pub(super) fn sum_quarter_hours() -> Expr {
    sum_of(Expr::col((
        activity::Entity,
        activity::Column::QuarterHours,
    )))
}

/// The hands-on quarter hours of the activities grouped.
pub(super) fn sum_hands_on() -> Expr {
    let column = |c| Expr::col((activity::Entity, c));
    sum_hands_on_of(
        column(activity::Column::Kind),
        column(activity::Column::QuarterHours),
    )
}

/// `SUM(quarter_hours)` of any rows, 0 for none, as a 64-bit integer on both engines.
pub(super) fn sum_of(quarter_hours: impl Into<Expr>) -> Expr {
    Func::coalesce([quarter_hours.into().sum(), Expr::val(0)]).cast_as(Alias::new("bigint"))
}

/// The sum of `quarter_hours` of the rows whose `kind` is hands-on
/// ([`ActivityKind::is_hands_on`]).
pub(super) fn sum_hands_on_of(kind: Expr, quarter_hours: Expr) -> Expr {
    let hands_on = ActivityKind::iter()
        .filter(|k| k.is_hands_on())
        .map(Expr::val);
    sum_of(Expr::case(kind.is_in(hands_on), quarter_hours).finally(0))
}

/// The ledger's running totals of some projects, in key order.
#[derive(Debug, PartialEq, Eq)]
pub struct Totals {
    pub by_kind: Vec<ledger_total::Model>,
    pub by_milestone: Vec<milestone_ledger_total::Model>,
}

/// The running totals as stored.
pub async fn stored_totals(db: &impl ConnectionTrait, projects: &[Uuid]) -> Result<Totals, DbErr> {
    let mut by_kind = ledger_total::Entity::find()
        .filter(ledger_total::Column::ProjectId.is_in(projects.iter().copied()))
        .filter(ledger_total::Column::QuarterHours.ne(0))
        .all(db)
        .await?;
    let mut by_milestone = milestone_ledger_total::Entity::find()
        .filter(milestone_ledger_total::Column::ProjectId.is_in(projects.iter().copied()))
        .filter(milestone_ledger_total::Column::QuarterHours.ne(0))
        .all(db)
        .await?;
    sort_totals(&mut by_kind, &mut by_milestone);
    Ok(Totals {
        by_kind,
        by_milestone,
    })
}

/// The running totals summed afresh from the ledger: what [`stored_totals`] must read.
pub async fn summed_totals(db: &impl ConnectionTrait, projects: &[Uuid]) -> Result<Totals, DbErr> {
    type A = activity::Column;
    let ledger = || {
        activity::Entity::find()
            .select_only()
            .filter(A::ProjectId.is_in(projects.iter().copied()))
    };
    let mut by_kind = ledger()
        .columns([A::ProjectId, A::Party, A::Kind])
        .expr_as(sum_quarter_hours(), "quarter_hours")
        .group_by(A::ProjectId)
        .group_by(A::Party)
        .group_by(A::Kind)
        .into_model::<ledger_total::Model>()
        .all(db)
        .await?;
    let mut by_milestone = ledger()
        .columns([A::ProjectId, A::MilestoneId, A::UserId, A::Party])
        .expr_as(sum_quarter_hours(), "quarter_hours")
        .expr_as(sum_hands_on(), "hands_on_quarter_hours")
        .filter(A::MilestoneId.is_not_null())
        .group_by(A::ProjectId)
        .group_by(A::MilestoneId)
        .group_by(A::UserId)
        .group_by(A::Party)
        .into_model::<milestone_ledger_total::Model>()
        .all(db)
        .await?;
    sort_totals(&mut by_kind, &mut by_milestone);
    Ok(Totals {
        by_kind,
        by_milestone,
    })
}

fn sort_totals(
    by_kind: &mut [ledger_total::Model],
    by_milestone: &mut [milestone_ledger_total::Model],
) {
    by_kind.sort_by_key(|t| (t.project_id, t.party, t.kind));
    by_milestone.sort_by_key(|t| (t.project_id, t.milestone_id, t.user_id, t.party));
}

/// Replaces the projects' running totals with [`summed_totals`]: for a ledger written around
/// [`insert`] (the benchmarks seed activities in bulk).
pub async fn rebuild_totals(db: &impl ConnectionTrait, projects: &[Uuid]) -> Result<(), DbErr> {
    let summed = summed_totals(db, projects).await?;
    ledger_total::Entity::delete_many()
        .filter(ledger_total::Column::ProjectId.is_in(projects.iter().copied()))
        .exec(db)
        .await?;
    milestone_ledger_total::Entity::delete_many()
        .filter(milestone_ledger_total::Column::ProjectId.is_in(projects.iter().copied()))
        .exec(db)
        .await?;
    for chunk in summed.by_kind.chunks(1000) {
        let rows = chunk.iter().cloned().map(ledger_total::ActiveModel::from);
        ledger_total::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
    }
    for chunk in summed.by_milestone.chunks(1000) {
        let rows = chunk
            .iter()
            .cloned()
            .map(milestone_ledger_total::ActiveModel::from);
        milestone_ledger_total::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Adds `sign` × `entry` to the running totals it counts in (`ledger_totals` and, when it is
/// on a milestone, `milestone_ledger_totals`): an upsert, so entries written together add up.
/// Every write of the ledger goes through here, under the project's lock.
async fn add_to_totals(
    db: &impl ConnectionTrait,
    entry: &activity::Model,
    sign: i64,
) -> Result<(), DbErr> {
    let quarter_hours = sign * i64::from(entry.quarter_hours);
    ledger_total::Entity::insert(ledger_total::ActiveModel {
        project_id: Set(entry.project_id),
        party: Set(entry.party),
        kind: Set(entry.kind),
        quarter_hours: Set(quarter_hours),
    })
    .on_conflict(
        OnConflict::columns([
            ledger_total::Column::ProjectId,
            ledger_total::Column::Party,
            ledger_total::Column::Kind,
        ])
        .value(
            ledger_total::Column::QuarterHours,
            Expr::col((ledger_total::Entity, ledger_total::Column::QuarterHours))
                .add(quarter_hours),
        )
        .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    let Some(milestone_id) = entry.milestone_id else {
        return Ok(());
    };
    let hands_on = if entry.kind.is_hands_on() {
        quarter_hours
    } else {
        0
    };
    type Col = milestone_ledger_total::Column;
    // The stored row's value (`excluded` is the one proposed).
    let own = |column: Col| Expr::col((milestone_ledger_total::Entity, column));
    milestone_ledger_total::Entity::insert(milestone_ledger_total::ActiveModel {
        project_id: Set(entry.project_id),
        milestone_id: Set(milestone_id),
        user_id: Set(entry.user_id),
        party: Set(entry.party),
        quarter_hours: Set(quarter_hours),
        hands_on_quarter_hours: Set(hands_on),
    })
    .on_conflict(
        OnConflict::columns([Col::ProjectId, Col::MilestoneId, Col::UserId, Col::Party])
            .value(Col::QuarterHours, own(Col::QuarterHours).add(quarter_hours))
            .value(
                Col::HandsOnQuarterHours,
                own(Col::HandsOnQuarterHours).add(hands_on),
            )
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
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

/// Deletes an entry, and takes it out of the running totals (call it in a transaction).
pub async fn delete(db: &impl ConnectionTrait, entry: &activity::Model) -> Result<bool, DbErr> {
    let deleted = activity::Entity::delete_by_id(entry.id)
        .exec(db)
        .await?
        .rows_affected
        == 1;
    if deleted {
        add_to_totals(db, entry, -1).await?;
    }
    Ok(deleted)
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
