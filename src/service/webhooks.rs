//! Webhooks: signed (Standard Webhooks), at-least-once delivery from a durable outbox.
//!
//! Every event is fanned out, in the transaction that writes it, to the organisation's enabled
//! webhooks that subscribe to its type. A worker in each server instance claims due deliveries
//! one attempt at a time under a lease longer than the attempt may take (on PostgreSQL with
//! `FOR UPDATE SKIP LOCKED`, so two instances never send the same attempt), sends them
//! concurrently with at most four in flight per organisation, a timeout
//! (`BUYIN_WEBHOOK_TIMEOUT`, 10 s) and no redirects, and retries failures with backoff (5 s,
//! 30 s, 2 min, 10 min, 1 h, 6 h) under the same `webhook-id`. Twenty consecutive failures disable
//! the webhook. Only `http`/`https` URLs to public addresses are accepted, at registration and
//! again at delivery, on the addresses actually connected to ([`outbound`]), unless
//! `BUYIN_WEBHOOK_ALLOW_PRIVATE=true`.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use base64::{Engine, engine::general_purpose::STANDARD};
use chrono::Utc;
use sea_orm::ColumnTrait;
use uuid::Uuid;

use super::{AppState, access::org_admin_person, auth::Caller, idempotency::Pending, outbound};
use crate::{
    domain::DeliveryStatus,
    domain::integration::{NewWebhook, WebhookPatch},
    entity::{webhook, webhook_delivery, webhook_delivery_attempt},
    error::ApiError,
    events::{self, Actor, Event, PING, WebhookPayload, record},
    repo::{PageRequest, webhooks},
};

/// Retry delays after the 1st, 2nd, … failed attempt; after the last, the delivery fails.
const BACKOFF: [Duration; 6] = [
    Duration::from_secs(5),
    Duration::from_secs(30),
    Duration::from_secs(120),
    Duration::from_secs(600),
    Duration::from_secs(3600),
    Duration::from_secs(6 * 3600),
];
pub const DISABLE_AFTER: i32 = 20;
/// Deliveries one instance sends at once, and per organisation across every instance, so one
/// organisation's slow receiver cannot hold back another's.
const IN_FLIGHT: usize = 32;
const PER_ORG: u64 = 4;

fn not_found() -> ApiError {
    ApiError::not_found("webhook_not_found", "No such webhook in this organisation.")
}

/// The subscription list as stored.
fn stored(types: &[String]) -> String {
    serde_json::to_string(types).unwrap_or_default()
}

/// 422 on `url` unless it is an http(s) URL this server may deliver to.
async fn check_url_field(raw: &str, allow_private: bool) -> Result<String, ApiError> {
    check_url(raw, allow_private)
        .await
        .map(|_| raw.trim().to_owned())
        .map_err(|message| ApiError::invalid("url", message))
}

const NOT_PUBLIC: &str =
    "must not point at a loopback, private, link-local or other non-public address";

/// Parses and resolves a webhook URL, refusing what it must not reach.
pub async fn check_url(raw: &str, allow_private: bool) -> Result<url::Url, String> {
    let url = url::Url::parse(raw.trim())
        .map_err(|_| "must be an absolute http or https URL".to_owned())?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("must use http or https".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not contain credentials".into());
    }
    let port = url.port_or_known_default().unwrap_or(443);
    match url.host() {
        None => return Err("must have a host".into()),
        Some(url::Host::Ipv4(ip)) if !allow_private && !outbound::is_global(ip.into()) => {
            return Err(NOT_PUBLIC.into());
        }
        Some(url::Host::Ipv6(ip)) if !allow_private && !outbound::is_global(ip.into()) => {
            return Err(NOT_PUBLIC.into());
        }
        Some(url::Host::Domain(name)) => {
            outbound::resolve_public(name, port, allow_private).await?;
        }
        Some(_) => {}
    }
    Ok(url)
}

fn new_secret() -> String {
    format!(
        "whsec_{}",
        STANDARD.encode(crate::secrets::random_bytes::<24>())
    )
}

pub async fn create(
    state: &AppState,
    caller: &Caller,
    org_id: Uuid,
    new: NewWebhook,
) -> Result<webhook::Model, ApiError> {
    org_admin_person(&state.db, caller, org_id).await?;
    let url = check_url_field(&new.url, state.webhooks.allow_private).await?;
    let now = caller.now();
    let txn = super::begin_write(&state.db).await?;
    crate::repo::orgs::lock_for_update(&txn, org_id).await?;
    super::within_limit::<webhook::Entity>(
        &txn,
        crate::domain::limits::WEBHOOKS_PER_ORG,
        sea_orm::Condition::all().add(webhook::Column::OrgId.eq(org_id)),
    )
    .await?;
    let created = webhooks::insert(
        &txn,
        webhook::Model {
            id: Uuid::now_v7(),
            org_id,
            url,
            event_types: stored(&new.event_types),
            description: new.description,
            secret: new_secret(),
            enabled: true,
            consecutive_failures: 0,
            created_at: now,
            updated_at: now,
        },
    )
    .await?;
    record(&txn, caller.actor(), Event::webhook_created(&created)).await?;
    txn.commit().await?;
    Ok(created)
}

async fn load(
    state: &AppState,
    caller: &Caller,
    org_id: Uuid,
    webhook_id: Uuid,
) -> Result<webhook::Model, ApiError> {
    org_admin_person(&state.db, caller, org_id).await?;
    webhooks::find_in_org(&state.db, org_id, webhook_id)
        .await?
        .ok_or_else(not_found)
}

pub async fn list(
    state: &AppState,
    caller: &Caller,
    org_id: Uuid,
    page: PageRequest,
) -> Result<(Vec<webhook::Model>, bool), ApiError> {
    org_admin_person(&state.db, caller, org_id).await?;
    Ok(webhooks::list(&state.db, org_id, page).await?)
}

pub async fn get(
    state: &AppState,
    caller: &Caller,
    org_id: Uuid,
    webhook_id: Uuid,
) -> Result<webhook::Model, ApiError> {
    load(state, caller, org_id, webhook_id).await
}

pub async fn update(
    state: &AppState,
    caller: &Caller,
    org_id: Uuid,
    webhook_id: Uuid,
    patch: WebhookPatch,
) -> Result<webhook::Model, ApiError> {
    let mut w = load(state, caller, org_id, webhook_id).await?;
    if let Some(url) = &patch.url {
        w.url = check_url_field(url, state.webhooks.allow_private).await?;
    }
    if let Some(types) = &patch.event_types {
        w.event_types = stored(types);
    }
    if let Some(description) = patch.description {
        w.description = description;
    }
    if let Some(enabled) = patch.enabled {
        if enabled && !w.enabled {
            w.consecutive_failures = 0;
        }
        w.enabled = enabled;
    }
    let txn = super::begin_write(&state.db).await?;
    let updated = webhooks::update(&txn, w, caller.now()).await?;
    record(&txn, caller.actor(), Event::webhook_updated(&updated)).await?;
    txn.commit().await?;
    Ok(updated)
}

pub async fn delete(
    state: &AppState,
    caller: &Caller,
    org_id: Uuid,
    webhook_id: Uuid,
) -> Result<(), ApiError> {
    let w = load(state, caller, org_id, webhook_id).await?;
    let txn = super::begin_write(&state.db).await?;
    webhooks::delete(&txn, w.id).await?;
    record(&txn, caller.actor(), Event::webhook_deleted(&w)).await?;
    txn.commit().await?;
    Ok(())
}

/// Queues a `ping` for one webhook (whatever its event types).
pub async fn ping(
    state: &AppState,
    caller: &Caller,
    org_id: Uuid,
    webhook_id: Uuid,
) -> Result<Pending<webhook_delivery::Model>, ApiError> {
    let w = load(state, caller, org_id, webhook_id).await?;
    let now = caller.now();
    let payload = WebhookPayload::ping(w.id, now).to_json();
    let txn = super::begin_write(&state.db).await?;
    let queued = webhooks::enqueue(&txn, w.id, None, PING, payload, now).await?;
    Ok(Pending::new(txn, queued))
}

pub async fn deliveries(
    state: &AppState,
    caller: &Caller,
    org_id: Uuid,
    webhook_id: Uuid,
    page: PageRequest,
) -> Result<(Vec<DeliveryLog>, bool), ApiError> {
    let w = load(state, caller, org_id, webhook_id).await?;
    let (deliveries, more) = webhooks::list_deliveries(&state.db, w.id, page).await?;
    let ids: Vec<Uuid> = deliveries.iter().map(|d| d.id).collect();
    let mut attempts = webhooks::attempts_of(&state.db, &ids).await?;
    let logs = deliveries
        .into_iter()
        .map(|delivery| DeliveryLog {
            attempts: attempts.remove(&delivery.id).unwrap_or_default(),
            delivery,
        })
        .collect();
    Ok((logs, more))
}

/// A delivery with every attempt made so far, oldest first.
pub struct DeliveryLog {
    pub delivery: webhook_delivery::Model,
    pub attempts: Vec<webhook_delivery_attempt::Model>,
}

/// Starts this instance's delivery worker: every poll it claims as many due deliveries as it
/// has free slots (at most [`PER_ORG`] in flight per organisation across instances) and sends
/// each on its own task, so a slow receiver holds only its own slot.
pub fn spawn_worker(state: AppState) {
    tokio::task::spawn_local(async move {
        let settings = &state.webhooks;
        let client = outbound::client(settings.timeout, settings.allow_private);
        let slots = Arc::new(tokio::sync::Semaphore::new(IN_FLIGHT));
        let mut tick = tokio::time::interval(settings.poll_interval);
        loop {
            tick.tick().await;
            let free = slots.available_permits();
            if free == 0 {
                continue;
            }
            let claimed = match claim_due(&state, free).await {
                Ok(claimed) => claimed,
                Err(err) => {
                    tracing::warn!(error = %err, "could not claim webhook deliveries");
                    continue;
                }
            };
            for delivery in claimed {
                let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
                    break; // cannot happen: no more were claimed than slots were free
                };
                let (state, client) = (state.clone(), client.clone());
                tokio::task::spawn_local(async move {
                    let _slot = slot;
                    deliver(&state, &client, delivery).await;
                });
            }
        }
    });
}

/// How long one claimed attempt may take: the HTTP timeout plus time to record the outcome.
/// The claim's lease is longer, so no other instance can take the delivery while it runs.
fn attempt_budget(settings: &crate::config::WebhookSettings) -> Duration {
    settings.timeout + Duration::from_secs(5)
}

async fn claim_due(
    state: &AppState,
    limit: usize,
) -> Result<Vec<webhook_delivery::Model>, ApiError> {
    let now = state.clock.now();
    let lease = attempt_budget(&state.webhooks) * 2;
    let lease_until = now + chrono::Duration::from_std(lease).map_err(ApiError::internal)?;
    Ok(webhooks::claim_due(&state.db, now, lease_until, limit as u64, PER_ORG).await?)
}

/// Sends one claimed delivery and records the outcome, within [`attempt_budget`]; past it the
/// attempt is dropped unrecorded and the delivery is retried once its lease ends.
async fn deliver(state: &AppState, client: &awc::Client, delivery: webhook_delivery::Model) {
    let id = delivery.id;
    let sent = async {
        let w = webhooks::find(&state.db, delivery.webhook_id)
            .await?
            .ok_or_else(|| ApiError::internal("the delivery's webhook is gone"))?;
        attempt(state, client, &w, delivery).await
    };
    match tokio::time::timeout(attempt_budget(&state.webhooks), sent).await {
        Ok(Ok(())) => {}
        Ok(Err(err)) => tracing::warn!(error = %err, delivery = %id, "webhook attempt failed"),
        Err(_) => tracing::warn!(delivery = %id, "webhook attempt overran its budget"),
    }
}

async fn attempt(
    state: &AppState,
    client: &awc::Client,
    w: &webhook::Model,
    mut d: webhook_delivery::Model,
) -> Result<(), ApiError> {
    let (started, attempted_at) = (Instant::now(), state.clock.now());
    let outcome = send(state, client, w, &d).await;
    d.attempts += 1;
    d.last_duration_ms = Some(started.elapsed().as_millis().min(i32::MAX as u128) as i32);
    let failed = match outcome {
        Ok(status) => {
            d.last_status_code = Some(i32::from(status));
            d.last_error = None;
            !(200..300).contains(&status)
        }
        Err(error) => {
            d.last_status_code = None;
            d.last_error = Some(error);
            true
        }
    };
    if !failed {
        d.status = DeliveryStatus::Delivered;
        d.delivered_at = Some(state.clock.now());
    } else if !w.enabled {
        d.status = DeliveryStatus::Failed;
        d.last_error
            .get_or_insert_with(|| "webhook disabled".into());
    } else if let Some(delay) = BACKOFF.get(d.attempts as usize - 1) {
        let scaled = delay.mul_f64(state.webhooks.backoff_scale);
        d.next_attempt_at =
            state.clock.now() + chrono::Duration::from_std(scaled).unwrap_or_default();
    } else {
        d.status = DeliveryStatus::Failed;
    }
    let txn = super::begin_write(&state.db).await?;
    webhooks::record_attempt(&txn, d, attempted_at).await?;
    let failures = webhooks::count_failure(&txn, w.id, failed).await?;
    if failed && failures >= DISABLE_AFTER && webhooks::disable(&txn, w.id).await? {
        let event = Event::webhook_disabled(w, failures);
        events::record_quietly(&txn, Actor::server(state.clock.now()), event).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// One HTTP attempt; the status code, or why there was none.
async fn send(
    state: &AppState,
    client: &awc::Client,
    w: &webhook::Model,
    d: &webhook_delivery::Model,
) -> Result<u16, String> {
    if !w.enabled {
        return Err("webhook disabled".into());
    }
    // Checked again at delivery; the client's resolver then connects only to what it checks.
    check_url(&w.url, state.webhooks.allow_private).await?;
    let signer = standardwebhooks::Webhook::new(&w.secret)
        .map_err(|e| format!("bad signing secret: {e}"))?;
    // The signature's timestamp is for the receiver, who checks it against its own clock (the
    // Standard Webhooks replay window): it is the real time of sending, never the shifted clock.
    let timestamp = Utc::now().timestamp();
    let signature = signer
        .sign(&d.message_id, timestamp, d.payload.as_bytes())
        .map_err(|e| format!("cannot sign: {e}"))?;
    let response = client
        .post(&w.url)
        .insert_header(("content-type", "application/json"))
        .insert_header(("webhook-id", d.message_id.as_str()))
        .insert_header(("webhook-timestamp", timestamp.to_string()))
        .insert_header(("webhook-signature", signature))
        .insert_header(("user-agent", "buyin-webhooks/1"))
        .send_body(d.payload.clone())
        .await
        .map_err(|e| format!("request failed: {e}"))?;
    Ok(response.status().as_u16())
}
