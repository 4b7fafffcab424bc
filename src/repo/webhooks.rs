use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, ExprTrait, FromQueryResult,
    QueryFilter, QueryOrder, QuerySelect, Statement,
    sea_query::Expr,
};
use uuid::Uuid;

use super::{PageRequest, into_page};
use crate::domain::DeliveryStatus;
use crate::entity::{webhook, webhook_delivery, webhook_delivery_attempt};

pub async fn insert(db: &impl ConnectionTrait, w: webhook::Model) -> Result<webhook::Model, DbErr> {
    webhook::ActiveModel {
        id: Set(w.id),
        org_id: Set(w.org_id),
        url: Set(w.url),
        event_types: Set(w.event_types),
        description: Set(w.description),
        secret: Set(w.secret),
        enabled: Set(w.enabled),
        consecutive_failures: Set(w.consecutive_failures),
        created_at: Set(w.created_at),
        updated_at: Set(w.updated_at),
    }
    .insert(db)
    .await
}

pub async fn find_in_org(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    id: Uuid,
) -> Result<Option<webhook::Model>, DbErr> {
    webhook::Entity::find_by_id(id)
        .filter(webhook::Column::OrgId.eq(org_id))
        .one(db)
        .await
}

pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<webhook::Model>, DbErr> {
    webhook::Entity::find_by_id(id).one(db).await
}

pub async fn list(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    page: PageRequest,
) -> Result<(Vec<webhook::Model>, bool), DbErr> {
    let mut query = webhook::Entity::find()
        .filter(webhook::Column::OrgId.eq(org_id))
        .order_by_asc(webhook::Column::Id)
        .limit(page.limit + 1);
    if let Some(after) = page.after {
        query = query.filter(webhook::Column::Id.gt(after));
    }
    Ok(into_page(query.all(db).await?, page.limit))
}

pub async fn update(
    db: &impl ConnectionTrait,
    w: webhook::Model,
    now: DateTime<Utc>,
) -> Result<webhook::Model, DbErr> {
    webhook::ActiveModel {
        id: Set(w.id),
        url: Set(w.url),
        event_types: Set(w.event_types),
        description: Set(w.description),
        enabled: Set(w.enabled),
        consecutive_failures: Set(w.consecutive_failures),
        updated_at: Set(now),
        ..Default::default()
    }
    .update(db)
    .await
}

pub async fn delete(db: &impl ConnectionTrait, id: Uuid) -> Result<(), DbErr> {
    webhook::Entity::delete_by_id(id).exec(db).await?;
    Ok(())
}

/// Queues `payload` for one webhook, due now.
pub async fn enqueue(
    db: &impl ConnectionTrait,
    webhook_id: Uuid,
    event_id: Option<i64>,
    event_type: &str,
    payload: String,
    now: DateTime<Utc>,
) -> Result<webhook_delivery::Model, DbErr> {
    let id = Uuid::now_v7();
    webhook_delivery::ActiveModel {
        id: Set(id),
        webhook_id: Set(webhook_id),
        event_id: Set(event_id),
        event_type: Set(event_type.to_owned()),
        message_id: Set(format!("msg_{}", id.simple())),
        payload: Set(payload),
        status: Set(DeliveryStatus::Pending),
        attempts: Set(0),
        next_attempt_at: Set(now),
        locked_until: Set(None),
        last_status_code: Set(None),
        last_error: Set(None),
        last_duration_ms: Set(None),
        created_at: Set(now),
        delivered_at: Set(None),
    }
    .insert(db)
    .await
}

/// Enabled webhooks of an organisation (to fan an event out to).
pub async fn enabled_for_org(
    db: &impl ConnectionTrait,
    org_id: Uuid,
) -> Result<Vec<webhook::Model>, DbErr> {
    webhook::Entity::find()
        .filter(webhook::Column::OrgId.eq(org_id))
        .filter(webhook::Column::Enabled.eq(true))
        .all(db)
        .await
}

/// Claims up to `limit` due deliveries for `lease_until` so no other worker sends them
/// meanwhile, oldest first, leaving any organisation at most `per_org` deliveries in flight (its
/// unexpired claims, on any instance, included). On PostgreSQL rows locked by another instance's
/// claim are skipped (`FOR UPDATE SKIP LOCKED`); SQLite has one writer, so the update itself is
/// the claim.
pub async fn claim_due(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: u64,
    per_org: u64,
) -> Result<Vec<webhook_delivery::Model>, DbErr> {
    let backend = db.get_database_backend();
    let lock = match backend {
        DbBackend::Postgres => "FOR UPDATE SKIP LOCKED",
        _ => "",
    };
    let sql = format!(
        "WITH in_flight AS (
           SELECT w.org_id, COUNT(*) AS n FROM webhook_deliveries d
           JOIN webhooks w ON w.id = d.webhook_id
           WHERE d.status = 'pending' AND d.locked_until >= $2 GROUP BY w.org_id),
         due AS (
           SELECT d.id, d.next_attempt_at, w.org_id,
                  ROW_NUMBER() OVER (PARTITION BY w.org_id ORDER BY d.next_attempt_at, d.id) AS rn
           FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
           WHERE d.status = 'pending' AND d.next_attempt_at <= $2
             AND (d.locked_until IS NULL OR d.locked_until < $2))
         UPDATE webhook_deliveries SET locked_until = $1 WHERE id IN (
           SELECT c.id FROM webhook_deliveries c WHERE c.id IN (
             SELECT due.id FROM due LEFT JOIN in_flight f ON f.org_id = due.org_id
             WHERE due.rn + COALESCE(f.n, 0) <= {per_org}
             ORDER BY due.next_attempt_at, due.id LIMIT {limit})
           AND (c.locked_until IS NULL OR c.locked_until < $2) {lock})
         RETURNING *"
    );
    let sql = match backend {
        DbBackend::Postgres => sql,
        _ => sql.replace('$', "?"),
    };
    let stmt = Statement::from_sql_and_values(backend, sql, [lease_until.into(), now.into()]);
    let rows = db.query_all_raw(stmt).await?;
    rows.iter()
        .map(|r| webhook_delivery::Model::from_query_result(r, ""))
        .collect()
}

/// Records one attempt's outcome.
/// Stores the outcome of one attempt on the delivery, and the attempt itself in the log.
pub async fn record_attempt(
    db: &impl ConnectionTrait,
    d: webhook_delivery::Model,
    attempted_at: DateTime<Utc>,
) -> Result<(), DbErr> {
    webhook_delivery_attempt::ActiveModel {
        id: NotSet,
        delivery_id: Set(d.id),
        attempt: Set(d.attempts),
        attempted_at: Set(attempted_at),
        status_code: Set(d.last_status_code),
        error: Set(d.last_error.clone()),
        duration_ms: Set(d.last_duration_ms.unwrap_or(0)),
    }
    .insert(db)
    .await?;
    webhook_delivery::ActiveModel {
        id: Set(d.id),
        status: Set(d.status),
        attempts: Set(d.attempts),
        next_attempt_at: Set(d.next_attempt_at),
        locked_until: Set(None),
        last_status_code: Set(d.last_status_code),
        last_error: Set(d.last_error),
        last_duration_ms: Set(d.last_duration_ms),
        delivered_at: Set(d.delivered_at),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

/// Adds one to the webhook's consecutive failures (or resets them) and returns the count.
pub async fn count_failure(
    db: &impl ConnectionTrait,
    webhook_id: Uuid,
    failed: bool,
) -> Result<i32, DbErr> {
    let value = if failed {
        Expr::col(webhook::Column::ConsecutiveFailures).add(1)
    } else {
        Expr::value(0)
    };
    webhook::Entity::update_many()
        .col_expr(webhook::Column::ConsecutiveFailures, value)
        .filter(webhook::Column::Id.eq(webhook_id))
        .exec(db)
        .await?;
    Ok(find(db, webhook_id)
        .await?
        .map_or(0, |w| w.consecutive_failures))
}

pub async fn disable(db: &impl ConnectionTrait, webhook_id: Uuid) -> Result<bool, DbErr> {
    let result = webhook::Entity::update_many()
        .col_expr(webhook::Column::Enabled, Expr::value(false))
        .filter(webhook::Column::Id.eq(webhook_id))
        .filter(webhook::Column::Enabled.eq(true))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

pub async fn list_deliveries(
    db: &impl ConnectionTrait,
    webhook_id: Uuid,
    page: PageRequest,
) -> Result<(Vec<webhook_delivery::Model>, bool), DbErr> {
    let query =
        webhook_delivery::Entity::find().filter(webhook_delivery::Column::WebhookId.eq(webhook_id));
    let query = super::keyset(query, webhook_delivery::Column::Id, &page);
    Ok(into_page(query.all(db).await?, page.limit))
}

/// The attempts of `deliveries`, oldest first, by delivery.
pub async fn attempts_of(
    db: &impl ConnectionTrait,
    deliveries: &[Uuid],
) -> Result<std::collections::HashMap<Uuid, Vec<webhook_delivery_attempt::Model>>, DbErr> {
    let mut by_delivery: std::collections::HashMap<_, Vec<_>> = Default::default();
    if deliveries.is_empty() {
        return Ok(by_delivery);
    }
    let rows = webhook_delivery_attempt::Entity::find()
        .filter(webhook_delivery_attempt::Column::DeliveryId.is_in(deliveries.iter().copied()))
        .order_by_asc(webhook_delivery_attempt::Column::Id)
        .all(db)
        .await?;
    for row in rows {
        by_delivery.entry(row.delivery_id).or_default().push(row);
    }
    Ok(by_delivery)
}

/// Deliveries waiting to be sent (the queue depth).
pub async fn count_pending(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    use sea_orm::PaginatorTrait;
    webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::Status.eq(DeliveryStatus::Pending))
        .count(db)
        .await
}
