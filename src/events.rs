//! The event log and its outbox, below the services: a service builds a typed [`Event`] and
//! [`record`]s it inside its own transaction; the same transaction queues a delivery for every
//! webhook that subscribes to it. A feed item ([`FeedItem`]) and a webhook payload
//! ([`WebhookPayload`]) are rendered from the same stored row, so they cannot drift apart.
//!
//! Each event type has one constructor here, which decides its scope, its subject and its
//! `data`; services never spell an event's name or its JSON.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, DbErr};
use serde::Serialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    domain::{
        OrgRole, ProjectRole, Stage,
        events::{EventKind, subscribes},
    },
    entity::{
        activity, api_key, criterion, event, milestone, org, org_invitation, project,
        project_member, webhook,
    },
    repo::{
        events::{self as log, NewEvent},
        webhooks,
    },
};

/// Who made a change, and when: a person, an API key, or neither (the server itself).
#[derive(Debug, Clone, Copy)]
pub struct Actor {
    pub user_id: Option<Uuid>,
    pub api_key_id: Option<Uuid>,
    /// When, on the one clock.
    pub at: DateTime<Utc>,
}

impl Actor {
    /// The server itself, at `at`.
    pub fn server(at: DateTime<Utc>) -> Actor {
        Actor {
            user_id: None,
            api_key_id: None,
            at,
        }
    }
}

/// Where an event is listed: its organisation's feed, and its project's when it has one.
#[derive(Debug, Clone, Copy)]
pub struct Scope {
    pub org_id: Uuid,
    pub project_id: Option<Uuid>,
}

impl Scope {
    pub fn org(org_id: Uuid) -> Self {
        Scope {
            org_id,
            project_id: None,
        }
    }

    pub fn project(p: &project::Model) -> Self {
        Self::in_project(p.org_id, p.id)
    }

    pub fn in_project(org_id: Uuid, project_id: Uuid) -> Self {
        Scope {
            org_id,
            project_id: Some(project_id),
        }
    }
}

/// One change, typed: built by the constructors below, written by [`record`].
#[derive(Debug, Clone)]
pub struct Event {
    kind: EventKind,
    scope: Scope,
    subject_id: Uuid,
    data: Value,
}

/// Records `event` inside the caller's transaction and queues its webhook deliveries there too
/// (the outbox): if either fails, the caller's `?` rolls the whole change back.
pub async fn record(db: &impl ConnectionTrait, actor: Actor, event: Event) -> Result<(), DbErr> {
    let row = write(db, actor, event).await?;
    fan_out(db, &row).await
}

/// Records `event` without queueing deliveries (a webhook being disabled says so in the log
/// only; its own delivery could not go anywhere).
pub async fn record_quietly(
    db: &impl ConnectionTrait,
    actor: Actor,
    event: Event,
) -> Result<(), DbErr> {
    write(db, actor, event).await.map(drop)
}

async fn write(db: &impl ConnectionTrait, actor: Actor, e: Event) -> Result<event::Model, DbErr> {
    log::insert_event(
        db,
        NewEvent {
            org_id: e.scope.org_id,
            project_id: e.scope.project_id,
            actor_user_id: actor.user_id,
            actor_api_key_id: actor.api_key_id,
            event_type: e.kind.as_str(),
            subject_id: Some(e.subject_id),
            data: e.data,
            occurred_at: actor.at,
        },
    )
    .await
}

/// Queues `row` for every enabled webhook of its organisation that subscribes to its type.
async fn fan_out(db: &impl ConnectionTrait, row: &event::Model) -> Result<(), DbErr> {
    let subscribed: Vec<webhook::Model> = webhooks::enabled_for_org(db, row.org_id)
        .await?
        .into_iter()
        .filter(|w| subscribes(&subscriptions_of(w), &row.event_type))
        .collect();
    if subscribed.is_empty() {
        return Ok(());
    }
    let payload = WebhookPayload::of(row).to_json();
    for w in subscribed {
        let (event_id, due) = (Some(row.id), row.occurred_at);
        webhooks::enqueue(db, w.id, event_id, &row.event_type, payload.clone(), due).await?;
    }
    Ok(())
}

/// The event types a stored webhook subscribes to.
pub fn subscriptions_of(w: &webhook::Model) -> Vec<String> {
    serde_json::from_str(&w.event_types).unwrap_or_default()
}

/// Who made a change, as the feed shows it.
#[derive(Serialize, ToSchema)]
#[schema(as = Actor)]
pub struct FeedActor {
    /// `user` or `api_key`.
    #[serde(rename = "type")]
    #[schema(example = "user")]
    pub actor_type: String,
    pub id: Option<Uuid>,
}

/// One event as `GET …/events` lists it and as a webhook payload's `data` carries it.
#[derive(Serialize, ToSchema)]
#[schema(as = EventResponse)]
pub struct FeedItem {
    /// Increases with every event; pass the last one seen as `?after=` to poll for new ones.
    pub id: i64,
    pub org_id: Uuid,
    pub project_id: Option<Uuid>,
    pub actor: FeedActor,
    #[serde(rename = "type")]
    #[schema(value_type = EventKind)]
    pub event_type: String,
    /// The id of what changed (a project, a user…).
    pub subject_id: Option<Uuid>,
    /// What changed; for updates `{"changes": {field: {"from", "to"}}}`.
    #[schema(value_type = Object)]
    pub data: Value,
    pub occurred_at: DateTime<Utc>,
}

impl From<&event::Model> for FeedItem {
    fn from(e: &event::Model) -> Self {
        let actor = match (e.actor_user_id, e.actor_api_key_id) {
            (_, Some(key)) => FeedActor {
                actor_type: "api_key".into(),
                id: Some(key),
            },
            (user, None) => FeedActor {
                actor_type: "user".into(),
                id: user,
            },
        };
        FeedItem {
            id: e.id,
            org_id: e.org_id,
            project_id: e.project_id,
            actor,
            event_type: e.event_type.clone(),
            subject_id: e.subject_id,
            data: serde_json::from_str(&e.data).unwrap_or(Value::Null),
            occurred_at: e.occurred_at,
        }
    }
}

/// The body of every delivery (Standard Webhooks payload), signed in the `webhook-id`,
/// `webhook-timestamp` and `webhook-signature` headers.
#[derive(Serialize, ToSchema)]
pub struct WebhookPayload {
    /// The event type, e.g. `milestone.signed_off`, or `ping`.
    #[serde(rename = "type")]
    pub event_type: String,
    pub timestamp: DateTime<Utc>,
    /// The event, as `GET …/events` returns it.
    pub data: FeedItem,
}

impl WebhookPayload {
    pub fn of(row: &event::Model) -> Self {
        WebhookPayload {
            event_type: row.event_type.clone(),
            timestamp: row.occurred_at,
            data: FeedItem::from(row),
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

// ---- What each event records of its resource. ----

#[derive(Serialize)]
struct OrgFields<'a> {
    name: &'a str,
    slug: &'a str,
}

impl<'a> From<&'a org::Model> for OrgFields<'a> {
    fn from(o: &'a org::Model) -> Self {
        OrgFields {
            name: &o.name,
            slug: &o.slug,
        }
    }
}

#[derive(Serialize)]
struct ProjectFields<'a> {
    name: &'a str,
    description: &'a Option<String>,
    system_name: &'a Option<String>,
    status: crate::domain::ProjectStatus,
    start_date: Option<NaiveDate>,
    go_live_date: Option<NaiveDate>,
    consultant_exit_date: Option<NaiveDate>,
    external_id: &'a Option<String>,
    external_source: &'a Option<String>,
}

impl<'a> From<&'a project::Model> for ProjectFields<'a> {
    fn from(p: &'a project::Model) -> Self {
        ProjectFields {
            name: &p.name,
            description: &p.description,
            system_name: &p.system_name,
            status: p.status,
            start_date: p.start_date,
            go_live_date: p.go_live_date,
            consultant_exit_date: p.consultant_exit_date,
            external_id: &p.external_id,
            external_source: &p.external_source,
        }
    }
}

#[derive(Serialize)]
struct MemberFields<'a> {
    user_id: Uuid,
    role: ProjectRole,
    is_lead: bool,
    weekly_hours: f64,
    responsibility: &'a Option<String>,
    away: Vec<crate::domain::away::AwayPeriod>,
}

impl<'a> From<&'a project_member::Model> for MemberFields<'a> {
    fn from(m: &'a project_member::Model) -> Self {
        MemberFields {
            user_id: m.user_id,
            role: m.role,
            is_lead: m.is_lead,
            weekly_hours: f64::from(m.weekly_quarter_hours) / 4.0,
            responsibility: &m.responsibility,
            away: crate::domain::away::Away::from_stored(&m.away)
                .periods()
                .to_vec(),
        }
    }
}

#[derive(Serialize)]
struct MilestoneFields<'a> {
    title: &'a str,
    knowledge_area: &'a str,
    description: &'a Option<String>,
    due_date: Option<NaiveDate>,
    staff_owner_id: Option<Uuid>,
    consultant_id: Option<Uuid>,
    stage: Stage,
    external_id: &'a Option<String>,
    external_source: &'a Option<String>,
}

impl<'a> From<&'a milestone::Model> for MilestoneFields<'a> {
    fn from(m: &'a milestone::Model) -> Self {
        MilestoneFields {
            title: &m.title,
            knowledge_area: &m.knowledge_area,
            description: &m.description,
            due_date: m.due_date,
            staff_owner_id: m.staff_owner_id,
            consultant_id: m.consultant_id,
            stage: m.stage,
            external_id: &m.external_id,
            external_source: &m.external_source,
        }
    }
}

#[derive(Serialize)]
struct CriterionFields<'a> {
    milestone_id: Uuid,
    text: &'a str,
    done: bool,
}

impl<'a> From<&'a criterion::Model> for CriterionFields<'a> {
    fn from(c: &'a criterion::Model) -> Self {
        CriterionFields {
            milestone_id: c.milestone_id,
            text: &c.text,
            done: c.done,
        }
    }
}

fn to_value(fields: impl Serialize) -> Value {
    serde_json::to_value(fields).unwrap_or(Value::Null)
}

/// `{"changes": {field: {from, to}}}` for every field that differs between two renderings.
fn changes(before: impl Serialize, after: impl Serialize) -> Value {
    let (Value::Object(before), Value::Object(after)) = (to_value(before), to_value(after)) else {
        return json!({"changes": {}});
    };
    let mut out = Map::new();
    for (key, new) in after {
        let old = before.get(&key).cloned().unwrap_or(Value::Null);
        if old != new {
            out.insert(key, json!({"from": old, "to": new}));
        }
    }
    json!({"changes": out})
}

// ---- One constructor per event type. ----

impl Event {
    fn new(kind: EventKind, scope: Scope, subject_id: Uuid, data: Value) -> Self {
        Event {
            kind,
            scope,
            subject_id,
            data,
        }
    }

    pub fn kind(&self) -> EventKind {
        self.kind
    }

    pub fn org_created(o: &org::Model) -> Self {
        let data = to_value(OrgFields::from(o));
        Self::new(EventKind::OrgCreated, Scope::org(o.id), o.id, data)
    }

    pub fn org_updated(before: &org::Model, after: &org::Model) -> Self {
        let data = changes(OrgFields::from(before), OrgFields::from(after));
        Self::new(EventKind::OrgUpdated, Scope::org(after.id), after.id, data)
    }

    pub fn org_member_invited(i: &org_invitation::Model) -> Self {
        let data = json!({"email": i.email, "user_id": i.user_id, "role": i.role});
        Self::new(
            EventKind::OrgMemberInvited,
            Scope::org(i.org_id),
            i.id,
            data,
        )
    }

    pub fn org_invitation_declined(i: &org_invitation::Model) -> Self {
        Self::new(
            EventKind::OrgInvitationDeclined,
            Scope::org(i.org_id),
            i.id,
            json!({}),
        )
    }

    pub fn org_invitation_revoked(i: &org_invitation::Model) -> Self {
        Self::new(
            EventKind::OrgInvitationRevoked,
            Scope::org(i.org_id),
            i.id,
            json!({}),
        )
    }

    /// `invitation`: the invitation accepted, when the member joined through one.
    pub fn org_member_added(
        org_id: Uuid,
        user_id: Uuid,
        role: OrgRole,
        invitation: Option<Uuid>,
    ) -> Self {
        let mut data = json!({"user_id": user_id, "role": role});
        if let Some(id) = invitation {
            data["invitation_id"] = json!(id);
        }
        Self::new(EventKind::OrgMemberAdded, Scope::org(org_id), user_id, data)
    }

    pub fn org_member_updated(org_id: Uuid, user_id: Uuid, from: OrgRole, to: OrgRole) -> Self {
        let data = json!({"changes": {"role": {"from": from, "to": to}}});
        Self::new(
            EventKind::OrgMemberUpdated,
            Scope::org(org_id),
            user_id,
            data,
        )
    }

    pub fn org_member_removed(org_id: Uuid, user_id: Uuid) -> Self {
        let data = json!({"user_id": user_id});
        Self::new(
            EventKind::OrgMemberRemoved,
            Scope::org(org_id),
            user_id,
            data,
        )
    }

    pub fn project_created(p: &project::Model) -> Self {
        let data = to_value(ProjectFields::from(p));
        Self::new(EventKind::ProjectCreated, Scope::project(p), p.id, data)
    }

    pub fn project_updated(before: &project::Model, after: &project::Model) -> Self {
        let data = changes(ProjectFields::from(before), ProjectFields::from(after));
        Self::new(
            EventKind::ProjectUpdated,
            Scope::project(after),
            after.id,
            data,
        )
    }

    pub fn project_closed(p: &project::Model, consultants_ended: &[Uuid]) -> Self {
        let data = json!({"consultants_ended": consultants_ended});
        Self::new(EventKind::ProjectClosed, Scope::project(p), p.id, data)
    }

    pub fn project_deleted(p: &project::Model) -> Self {
        let data = to_value(ProjectFields::from(p));
        Self::new(EventKind::ProjectDeleted, Scope::project(p), p.id, data)
    }

    pub fn member_added(scope: Scope, m: &project_member::Model) -> Self {
        let data = to_value(MemberFields::from(m));
        Self::new(EventKind::MemberAdded, scope, m.user_id, data)
    }

    /// The lead a project is created with (recorded as `member.added`).
    pub fn lead_added(p: &project::Model, user_id: Uuid) -> Self {
        let data = json!({"user_id": user_id, "role": ProjectRole::Staff, "is_lead": true});
        Self::new(EventKind::MemberAdded, Scope::project(p), user_id, data)
    }

    pub fn member_updated(
        scope: Scope,
        before: &project_member::Model,
        after: &project_member::Model,
    ) -> Self {
        let data = changes(MemberFields::from(before), MemberFields::from(after));
        Self::new(EventKind::MemberUpdated, scope, after.user_id, data)
    }

    /// `reason`: why the participation ended when nobody removed it directly
    /// (`left_organisation`, `project_closed`).
    pub fn member_removed(
        scope: Scope,
        user_id: Uuid,
        role: ProjectRole,
        reason: Option<&str>,
    ) -> Self {
        let mut data = json!({"user_id": user_id, "role": role});
        if let Some(reason) = reason {
            data["reason"] = json!(reason);
        }
        Self::new(EventKind::MemberRemoved, scope, user_id, data)
    }

    pub fn milestone_created(
        scope: Scope,
        m: &milestone::Model,
        criteria: &[criterion::Model],
    ) -> Self {
        let mut data = to_value(MilestoneFields::from(m));
        data["acceptance_criteria"] = json!(criteria.iter().map(|c| &c.text).collect::<Vec<_>>());
        Self::new(EventKind::MilestoneCreated, scope, m.id, data)
    }

    pub fn milestone_updated(
        scope: Scope,
        before: &milestone::Model,
        after: &milestone::Model,
    ) -> Self {
        let data = changes(MilestoneFields::from(before), MilestoneFields::from(after));
        Self::new(EventKind::MilestoneUpdated, scope, after.id, data)
    }

    pub fn milestone_deleted(scope: Scope, m: &milestone::Model) -> Self {
        let data = to_value(MilestoneFields::from(m));
        Self::new(EventKind::MilestoneDeleted, scope, m.id, data)
    }

    pub fn milestone_stage_changed(
        scope: Scope,
        milestone_id: Uuid,
        action: &str,
        from: Stage,
        to: Stage,
        note: Option<&str>,
    ) -> Self {
        let data = json!({"from": from, "to": to, "action": action, "note": note});
        Self::new(EventKind::MilestoneStageChanged, scope, milestone_id, data)
    }

    pub fn milestone_signed_off(scope: Scope, milestone_id: Uuid, by: Option<Uuid>) -> Self {
        let data = json!({"signed_off_by": by});
        Self::new(EventKind::MilestoneSignedOff, scope, milestone_id, data)
    }

    pub fn criterion_added(scope: Scope, c: &criterion::Model) -> Self {
        let data = to_value(CriterionFields::from(c));
        Self::new(EventKind::CriterionAdded, scope, c.id, data)
    }

    pub fn criterion_updated(
        scope: Scope,
        before: &criterion::Model,
        after: &criterion::Model,
    ) -> Self {
        let data = changes(CriterionFields::from(before), CriterionFields::from(after));
        Self::new(EventKind::CriterionUpdated, scope, after.id, data)
    }

    pub fn criterion_deleted(scope: Scope, c: &criterion::Model) -> Self {
        let data = to_value(CriterionFields::from(c));
        Self::new(EventKind::CriterionDeleted, scope, c.id, data)
    }

    pub fn activity_logged(scope: Scope, a: &activity::Model) -> Self {
        let data = json!({
            "user_id": a.user_id, "party": a.party, "occurred_on": a.occurred_on,
            "hours": f64::from(a.quarter_hours) / 4.0, "kind": a.kind, "milestone_id": a.milestone_id,
            "external_source": a.external_source, "external_id": a.external_id,
        });
        Self::new(EventKind::ActivityLogged, scope, a.id, data)
    }

    pub fn activity_deleted(scope: Scope, a: &activity::Model) -> Self {
        let data = json!({
            "user_id": a.user_id, "occurred_on": a.occurred_on,
            "hours": f64::from(a.quarter_hours) / 4.0,
        });
        Self::new(EventKind::ActivityDeleted, scope, a.id, data)
    }

    pub fn api_key_created(k: &api_key::Model) -> Self {
        let data = json!({"name": k.name, "scope": k.scope});
        Self::new(EventKind::ApiKeyCreated, Scope::org(k.org_id), k.id, data)
    }

    pub fn api_key_revoked(org_id: Uuid, key_id: Uuid) -> Self {
        Self::new(
            EventKind::ApiKeyRevoked,
            Scope::org(org_id),
            key_id,
            json!({}),
        )
    }

    pub fn webhook_created(w: &webhook::Model) -> Self {
        let data = json!({"url": w.url, "event_types": subscriptions_of(w)});
        Self::new(EventKind::WebhookCreated, Scope::org(w.org_id), w.id, data)
    }

    pub fn webhook_updated(w: &webhook::Model) -> Self {
        let data = json!({"url": w.url, "enabled": w.enabled});
        Self::new(EventKind::WebhookUpdated, Scope::org(w.org_id), w.id, data)
    }

    pub fn webhook_deleted(w: &webhook::Model) -> Self {
        let data = json!({"url": w.url});
        Self::new(EventKind::WebhookDeleted, Scope::org(w.org_id), w.id, data)
    }

    pub fn webhook_disabled(w: &webhook::Model, failures: i32) -> Self {
        let data = json!({"reason": format!("{failures} consecutive failed deliveries")});
        Self::new(EventKind::WebhookDisabled, Scope::org(w.org_id), w.id, data)
    }
}
