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
use utoipa::{
    PartialSchema, ToSchema,
    openapi::{
        ContentBuilder, ObjectBuilder, OpenApi, Ref, RefOr, Required, ResponseBuilder, Schema,
        path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn, PathItem},
        request_body::RequestBodyBuilder,
        schema::{Discriminator, KnownFormat, OneOfBuilder, SchemaFormat, Type},
    },
};
use uuid::Uuid;

use crate::{
    domain::{
        OrgRole, ProjectRole, Stage,
        events::{EventKind, subscribes},
    },
    entity::{
        activity, agreed_action, api_key, criterion, event, milestone, org, org_invitation,
        project, project_member, test_run, test_script, webhook,
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
/// `webhook-timestamp` and `webhook-signature` headers: an event, or a `ping`. Published as the
/// `EventWebhookPayload` and `PingWebhookPayload` schemas by [`describe`].
#[derive(Serialize)]
pub struct WebhookPayload<T> {
    /// The event type, e.g. `milestone.signed_off`, or `ping`.
    #[serde(rename = "type")]
    pub event_type: String,
    pub timestamp: DateTime<Utc>,
    /// The event, as `GET …/events` returns it; for a ping, the webhook's id.
    pub data: T,
}

/// `data` of a `ping` delivery.
#[derive(Serialize, ToSchema)]
pub struct PingData {
    /// The webhook pinged.
    pub webhook_id: Uuid,
}

impl WebhookPayload<FeedItem> {
    pub fn of(row: &event::Model) -> Self {
        WebhookPayload {
            event_type: row.event_type.clone(),
            timestamp: row.occurred_at,
            data: FeedItem::from(row),
        }
    }
}

impl WebhookPayload<PingData> {
    /// What `POST …/webhooks/{webhook_id}/ping` sends.
    pub fn ping(webhook_id: Uuid, at: DateTime<Utc>) -> Self {
        WebhookPayload {
            event_type: PING.to_owned(),
            timestamp: at,
            data: PingData { webhook_id },
        }
    }
}

impl<T: Serialize> WebhookPayload<T> {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// The `type` of a ping delivery (never an event type: pings are not recorded).
pub const PING: &str = "ping";

// ---- What each event records: one type per `data` shape, published in the OpenAPI document. ----

/// `data` of `org.created`; its fields are also what `org.updated` reports changes of.
#[derive(Serialize, ToSchema)]
#[schema(as = OrgEventData)]
struct OrgFields<'a> {
    #[schema(value_type = String)]
    name: &'a str,
    #[schema(value_type = String)]
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

/// `data` of `project.created` and `project.deleted`; what `project.updated` reports changes of.
#[derive(Serialize, ToSchema)]
#[schema(as = ProjectEventData)]
struct ProjectFields<'a> {
    #[schema(value_type = String)]
    name: &'a str,
    #[schema(value_type = Option<String>)]
    description: &'a Option<String>,
    #[schema(value_type = Option<String>)]
    system_name: &'a Option<String>,
    status: crate::domain::ProjectStatus,
    start_date: Option<NaiveDate>,
    go_live_date: Option<NaiveDate>,
    consultant_exit_date: Option<NaiveDate>,
    #[schema(value_type = Option<String>)]
    external_id: &'a Option<String>,
    #[schema(value_type = Option<String>)]
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

/// `data` of `member.added`; what `member.updated` reports changes of.
#[derive(Serialize, ToSchema)]
#[schema(as = MemberEventData)]
struct MemberFields<'a> {
    user_id: Uuid,
    role: ProjectRole,
    is_lead: bool,
    weekly_hours: f64,
    #[schema(value_type = Option<String>)]
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

/// `data` of `milestone.deleted`; what `milestone.updated` reports changes of.
#[derive(Serialize, ToSchema)]
#[schema(as = MilestoneEventData)]
struct MilestoneFields<'a> {
    #[schema(value_type = String)]
    title: &'a str,
    #[schema(value_type = String)]
    knowledge_area: &'a str,
    #[schema(value_type = Option<String>)]
    description: &'a Option<String>,
    due_date: Option<NaiveDate>,
    staff_owner_id: Option<Uuid>,
    consultant_id: Option<Uuid>,
    stage: Stage,
    #[schema(value_type = Option<String>)]
    external_id: &'a Option<String>,
    #[schema(value_type = Option<String>)]
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

/// `data` of `milestone.created`: the milestone and the texts of its acceptance criteria.
#[derive(Serialize, ToSchema)]
#[schema(as = MilestoneCreatedEventData)]
struct MilestoneCreated<'a> {
    #[serde(flatten)]
    milestone: MilestoneFields<'a>,
    #[schema(value_type = Vec<String>)]
    acceptance_criteria: Vec<&'a str>,
}

/// `data` of `criterion.added` and `criterion.deleted`; what `criterion.updated` reports
/// changes of.
#[derive(Serialize, ToSchema)]
#[schema(as = CriterionEventData)]
struct CriterionFields<'a> {
    milestone_id: Uuid,
    #[schema(value_type = String)]
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

/// What `org.member_updated` reports changes of.
#[derive(Serialize, ToSchema)]
#[schema(as = OrgMemberEventData)]
struct OrgMemberFields {
    role: OrgRole,
}

/// `data` of `org.member_invited`.
#[derive(Serialize, ToSchema)]
#[schema(as = InvitationEventData)]
struct InvitationFields<'a> {
    /// The address invited (null when an existing account was invited by id).
    #[schema(value_type = Option<String>)]
    email: &'a Option<String>,
    user_id: Option<Uuid>,
    role: OrgRole,
}

/// `data` of `org.member_added`.
#[derive(Serialize, ToSchema)]
#[schema(as = OrgMemberAddedEventData)]
struct OrgMemberAdded {
    user_id: Uuid,
    role: OrgRole,
    /// The invitation accepted, when the member joined through one.
    #[serde(skip_serializing_if = "Option::is_none")]
    invitation_id: Option<Uuid>,
}

/// `data` of `org.member_removed`.
#[derive(Serialize, ToSchema)]
#[schema(as = OrgMemberRemovedEventData)]
struct OrgMemberRemoved {
    user_id: Uuid,
}

/// `data` of events that carry nothing beyond their subject (`org.invitation_declined`,
/// `org.invitation_revoked`, `api_key.revoked`).
#[derive(Serialize, ToSchema)]
#[schema(as = EmptyEventData)]
struct Nothing {}

/// `data` of `project.closed`.
#[derive(Serialize, ToSchema)]
#[schema(as = ProjectClosedEventData)]
struct ProjectClosed<'a> {
    /// The consultants whose participation the closing ended.
    #[schema(value_type = Vec<Uuid>)]
    consultants_ended: &'a [Uuid],
}

/// `data` of `member.removed`.
#[derive(Serialize, ToSchema)]
#[schema(as = MemberRemovedEventData)]
struct MemberRemoved<'a> {
    user_id: Uuid,
    role: ProjectRole,
    /// Why the participation ended when nobody removed it directly: `left_organisation` or
    /// `project_closed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    reason: Option<&'a str>,
}

/// `data` of `milestone.stage_changed`.
#[derive(Serialize, ToSchema)]
#[schema(as = StageChangedEventData)]
struct StageChanged<'a> {
    from: Stage,
    to: Stage,
    /// The transition taken: `advance`, `reject` or `reopen`.
    #[schema(value_type = String)]
    action: &'a str,
    #[schema(value_type = Option<String>)]
    note: Option<&'a str>,
}

/// `data` of `milestone.signed_off`.
#[derive(Serialize, ToSchema)]
#[schema(as = SignedOffEventData)]
struct SignedOff {
    /// The staff owner who signed off (null when a write API key recorded it).
    signed_off_by: Option<Uuid>,
}

/// `data` of `activity.logged`.
#[derive(Serialize, ToSchema)]
#[schema(as = ActivityEventData)]
struct ActivityFields<'a> {
    user_id: Uuid,
    party: ProjectRole,
    occurred_on: NaiveDate,
    hours: f64,
    kind: crate::domain::ActivityKind,
    milestone_id: Option<Uuid>,
    #[schema(value_type = Option<String>)]
    external_source: &'a Option<String>,
    #[schema(value_type = Option<String>)]
    external_id: &'a Option<String>,
}

/// `data` of `activity.deleted`.
#[derive(Serialize, ToSchema)]
#[schema(as = ActivityDeletedEventData)]
struct ActivityDeleted {
    user_id: Uuid,
    occurred_on: NaiveDate,
    hours: f64,
}

/// `data` of `action.created`, `action.closed` and `action.deleted`; what `action.updated`
/// reports changes of.
#[derive(Serialize, ToSchema)]
#[schema(as = ActionEventData)]
struct ActionFields<'a> {
    #[schema(value_type = String)]
    title: &'a str,
    owner_id: Uuid,
    due_date: Option<NaiveDate>,
    waiting_user_id: Option<Uuid>,
    waiting_party: Option<crate::domain::action::OutsideParty>,
    #[schema(value_type = Option<String>)]
    waiting_name: &'a Option<String>,
    waiting_since: Option<NaiveDate>,
    milestone_id: Option<Uuid>,
    agreed_on: NaiveDate,
    status: crate::domain::action::ActionStatus,
    closed_by: Option<Uuid>,
}

impl<'a> From<&'a agreed_action::Model> for ActionFields<'a> {
    fn from(a: &'a agreed_action::Model) -> Self {
        ActionFields {
            title: &a.title,
            owner_id: a.owner_id,
            due_date: a.due_date,
            waiting_user_id: a.waiting_user_id,
            waiting_party: a.waiting_party,
            waiting_name: &a.waiting_name,
            waiting_since: a.waiting_since,
            milestone_id: a.milestone_id,
            agreed_on: a.agreed_on,
            status: a.status,
            closed_by: a.closed_by,
        }
    }
}

/// `data` of `test_script.created` and `test_script.deleted`; what `test_script.updated`
/// reports changes of.
#[derive(Serialize, ToSchema)]
#[schema(as = TestScriptEventData)]
struct TestScriptFields<'a> {
    #[schema(value_type = String)]
    title: &'a str,
    #[schema(value_type = String)]
    knowledge_area: &'a str,
    critical: bool,
    owner_id: Uuid,
    milestone_id: Option<Uuid>,
}

impl<'a> From<&'a test_script::Model> for TestScriptFields<'a> {
    fn from(t: &'a test_script::Model) -> Self {
        TestScriptFields {
            title: &t.title,
            knowledge_area: &t.knowledge_area,
            critical: t.critical,
            owner_id: t.owner_id,
            milestone_id: t.milestone_id,
        }
    }
}

/// `data` of `test_script.run_recorded` (its subject is the run).
#[derive(Serialize, ToSchema)]
#[schema(as = TestRunEventData)]
struct TestRunFields {
    script_id: Uuid,
    user_id: Uuid,
    party: ProjectRole,
    result: crate::domain::test_script::TestResult,
    occurred_on: NaiveDate,
}

/// `data` of `api_key.created`.
#[derive(Serialize, ToSchema)]
#[schema(as = ApiKeyEventData)]
struct ApiKeyFields<'a> {
    #[schema(value_type = String)]
    name: &'a str,
    scope: crate::domain::KeyScope,
}

/// `data` of `webhook.created`.
#[derive(Serialize, ToSchema)]
#[schema(as = WebhookCreatedEventData)]
struct WebhookCreated<'a> {
    #[schema(value_type = String)]
    url: &'a str,
    event_types: Vec<String>,
}

/// `data` of `webhook.updated`.
#[derive(Serialize, ToSchema)]
#[schema(as = WebhookUpdatedEventData)]
struct WebhookUpdated<'a> {
    #[schema(value_type = String)]
    url: &'a str,
    enabled: bool,
}

/// `data` of `webhook.deleted`.
#[derive(Serialize, ToSchema)]
#[schema(as = WebhookDeletedEventData)]
struct WebhookDeleted<'a> {
    #[schema(value_type = String)]
    url: &'a str,
}

/// `data` of `webhook.disabled`.
#[derive(Serialize, ToSchema)]
#[schema(as = WebhookDisabledEventData)]
struct WebhookDisabled {
    /// E.g. `8 consecutive failed deliveries`.
    reason: String,
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
        let data = to_value(InvitationFields {
            email: &i.email,
            user_id: i.user_id,
            role: i.role,
        });
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
            to_value(Nothing {}),
        )
    }

    pub fn org_invitation_revoked(i: &org_invitation::Model) -> Self {
        Self::new(
            EventKind::OrgInvitationRevoked,
            Scope::org(i.org_id),
            i.id,
            to_value(Nothing {}),
        )
    }

    /// `invitation`: the invitation accepted, when the member joined through one.
    pub fn org_member_added(
        org_id: Uuid,
        user_id: Uuid,
        role: OrgRole,
        invitation: Option<Uuid>,
    ) -> Self {
        let data = to_value(OrgMemberAdded {
            user_id,
            role,
            invitation_id: invitation,
        });
        Self::new(EventKind::OrgMemberAdded, Scope::org(org_id), user_id, data)
    }

    pub fn org_member_updated(org_id: Uuid, user_id: Uuid, from: OrgRole, to: OrgRole) -> Self {
        let data = changes(OrgMemberFields { role: from }, OrgMemberFields { role: to });
        Self::new(
            EventKind::OrgMemberUpdated,
            Scope::org(org_id),
            user_id,
            data,
        )
    }

    pub fn org_member_removed(org_id: Uuid, user_id: Uuid) -> Self {
        let data = to_value(OrgMemberRemoved { user_id });
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
        let data = to_value(ProjectClosed { consultants_ended });
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
        let data = to_value(MemberRemoved {
            user_id,
            role,
            reason,
        });
        Self::new(EventKind::MemberRemoved, scope, user_id, data)
    }

    pub fn milestone_created(
        scope: Scope,
        m: &milestone::Model,
        criteria: &[criterion::Model],
    ) -> Self {
        let data = to_value(MilestoneCreated {
            milestone: MilestoneFields::from(m),
            acceptance_criteria: criteria.iter().map(|c| c.text.as_str()).collect(),
        });
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
        let data = to_value(StageChanged {
            from,
            to,
            action,
            note,
        });
        Self::new(EventKind::MilestoneStageChanged, scope, milestone_id, data)
    }

    pub fn milestone_signed_off(scope: Scope, milestone_id: Uuid, by: Option<Uuid>) -> Self {
        let data = to_value(SignedOff { signed_off_by: by });
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
        let data = to_value(ActivityFields {
            user_id: a.user_id,
            party: a.party,
            occurred_on: a.occurred_on,
            hours: f64::from(a.quarter_hours) / 4.0,
            kind: a.kind,
            milestone_id: a.milestone_id,
            external_source: &a.external_source,
            external_id: &a.external_id,
        });
        Self::new(EventKind::ActivityLogged, scope, a.id, data)
    }

    pub fn activity_deleted(scope: Scope, a: &activity::Model) -> Self {
        let data = to_value(ActivityDeleted {
            user_id: a.user_id,
            occurred_on: a.occurred_on,
            hours: f64::from(a.quarter_hours) / 4.0,
        });
        Self::new(EventKind::ActivityDeleted, scope, a.id, data)
    }

    pub fn action_created(scope: Scope, a: &agreed_action::Model) -> Self {
        let data = to_value(ActionFields::from(a));
        Self::new(EventKind::ActionCreated, scope, a.id, data)
    }

    pub fn action_updated(
        scope: Scope,
        before: &agreed_action::Model,
        after: &agreed_action::Model,
    ) -> Self {
        let data = changes(ActionFields::from(before), ActionFields::from(after));
        Self::new(EventKind::ActionUpdated, scope, after.id, data)
    }

    pub fn action_closed(scope: Scope, a: &agreed_action::Model) -> Self {
        let data = to_value(ActionFields::from(a));
        Self::new(EventKind::ActionClosed, scope, a.id, data)
    }

    pub fn action_deleted(scope: Scope, a: &agreed_action::Model) -> Self {
        let data = to_value(ActionFields::from(a));
        Self::new(EventKind::ActionDeleted, scope, a.id, data)
    }

    pub fn test_script_created(scope: Scope, t: &test_script::Model) -> Self {
        let data = to_value(TestScriptFields::from(t));
        Self::new(EventKind::TestScriptCreated, scope, t.id, data)
    }

    pub fn test_script_updated(
        scope: Scope,
        before: &test_script::Model,
        after: &test_script::Model,
    ) -> Self {
        let data = changes(
            TestScriptFields::from(before),
            TestScriptFields::from(after),
        );
        Self::new(EventKind::TestScriptUpdated, scope, after.id, data)
    }

    pub fn test_script_deleted(scope: Scope, t: &test_script::Model) -> Self {
        let data = to_value(TestScriptFields::from(t));
        Self::new(EventKind::TestScriptDeleted, scope, t.id, data)
    }

    pub fn test_run_recorded(scope: Scope, r: &test_run::Model) -> Self {
        let data = to_value(TestRunFields {
            script_id: r.script_id,
            user_id: r.user_id,
            party: r.party,
            result: r.result,
            occurred_on: r.occurred_on,
        });
        Self::new(EventKind::TestRunRecorded, scope, r.id, data)
    }

    pub fn api_key_created(k: &api_key::Model) -> Self {
        let data = to_value(ApiKeyFields {
            name: &k.name,
            scope: k.scope,
        });
        Self::new(EventKind::ApiKeyCreated, Scope::org(k.org_id), k.id, data)
    }

    pub fn api_key_revoked(org_id: Uuid, key_id: Uuid) -> Self {
        Self::new(
            EventKind::ApiKeyRevoked,
            Scope::org(org_id),
            key_id,
            to_value(Nothing {}),
        )
    }

    pub fn webhook_created(w: &webhook::Model) -> Self {
        let data = to_value(WebhookCreated {
            url: &w.url,
            event_types: subscriptions_of(w),
        });
        Self::new(EventKind::WebhookCreated, Scope::org(w.org_id), w.id, data)
    }

    pub fn webhook_updated(w: &webhook::Model) -> Self {
        let data = to_value(WebhookUpdated {
            url: &w.url,
            enabled: w.enabled,
        });
        Self::new(EventKind::WebhookUpdated, Scope::org(w.org_id), w.id, data)
    }

    pub fn webhook_deleted(w: &webhook::Model) -> Self {
        let data = to_value(WebhookDeleted { url: &w.url });
        Self::new(EventKind::WebhookDeleted, Scope::org(w.org_id), w.id, data)
    }

    pub fn webhook_disabled(w: &webhook::Model, failures: i32) -> Self {
        let reason = format!("{failures} consecutive failed deliveries");
        let data = to_value(WebhookDisabled { reason });
        Self::new(EventKind::WebhookDisabled, Scope::org(w.org_id), w.id, data)
    }
}

// ---- The contract: each event type's schema, the feed's union, the webhook payloads. ----

type Schemas = Vec<(String, RefOr<Schema>)>;

/// A data type's schema, registered under its name with those it refers to.
fn named<T: ToSchema>(schemas: &mut Schemas) -> RefOr<Schema> {
    schemas.push((T::name().into_owned(), T::schema()));
    T::schemas(schemas);
    Ref::from_schema_name(T::name()).into()
}

/// `{"changes": {field: {"from", "to"}}}` where each field is one of `T`'s, with its schema.
fn changes_of<T: ToSchema>(name: &str, schemas: &mut Schemas) -> RefOr<Schema> {
    T::schemas(schemas);
    let mut fields = ObjectBuilder::new().description(Some(
        "Only the fields that changed, each with its value before and after.",
    ));
    if let RefOr::T(Schema::Object(object)) = T::schema() {
        for (field, schema) in object.properties {
            let change = ObjectBuilder::new()
                .property("from", schema.clone())
                .property("to", schema)
                .required("from")
                .required("to");
            fields = fields.property(field, change);
        }
    }
    let schema = ObjectBuilder::new()
        .description(Some(format!(
            "What changed, of the fields of `{}`.",
            T::name()
        )))
        .property("changes", fields)
        .required("changes")
        .build();
    schemas.push((name.to_owned(), schema.into()));
    Ref::from_schema_name(name).into()
}

/// The schema of `data` for events of `kind` (exhaustive: a new kind must say its shape).
fn data_schema(kind: EventKind, s: &mut Schemas) -> RefOr<Schema> {
    use EventKind as K;
    match kind {
        K::OrgCreated => named::<OrgFields>(s),
        K::OrgUpdated => changes_of::<OrgFields>("OrgChangesEventData", s),
        K::OrgMemberInvited => named::<InvitationFields>(s),
        K::OrgInvitationDeclined | K::OrgInvitationRevoked | K::ApiKeyRevoked => {
            named::<Nothing>(s)
        }
        K::OrgMemberAdded => named::<OrgMemberAdded>(s),
        K::OrgMemberUpdated => changes_of::<OrgMemberFields>("OrgMemberChangesEventData", s),
        K::OrgMemberRemoved => named::<OrgMemberRemoved>(s),
        K::ProjectCreated | K::ProjectDeleted => named::<ProjectFields>(s),
        K::ProjectUpdated => changes_of::<ProjectFields>("ProjectChangesEventData", s),
        K::ProjectClosed => named::<ProjectClosed>(s),
        K::MemberAdded => named::<MemberFields>(s),
        K::MemberUpdated => changes_of::<MemberFields>("MemberChangesEventData", s),
        K::MemberRemoved => named::<MemberRemoved>(s),
        K::MilestoneCreated => named::<MilestoneCreated>(s),
        K::MilestoneUpdated => changes_of::<MilestoneFields>("MilestoneChangesEventData", s),
        K::MilestoneDeleted => named::<MilestoneFields>(s),
        K::MilestoneStageChanged => named::<StageChanged>(s),
        K::MilestoneSignedOff => named::<SignedOff>(s),
        K::CriterionAdded | K::CriterionDeleted => named::<CriterionFields>(s),
        K::CriterionUpdated => changes_of::<CriterionFields>("CriterionChangesEventData", s),
        K::ActivityLogged => named::<ActivityFields>(s),
        K::ActivityDeleted => named::<ActivityDeleted>(s),
        K::ActionCreated | K::ActionClosed | K::ActionDeleted => named::<ActionFields>(s),
        K::ActionUpdated => changes_of::<ActionFields>("ActionChangesEventData", s),
        K::TestScriptCreated | K::TestScriptDeleted => named::<TestScriptFields>(s),
        K::TestScriptUpdated => changes_of::<TestScriptFields>("TestScriptChangesEventData", s),
        K::TestRunRecorded => named::<TestRunFields>(s),
        K::ApiKeyCreated => named::<ApiKeyFields>(s),
        K::WebhookCreated => named::<WebhookCreated>(s),
        K::WebhookUpdated => named::<WebhookUpdated>(s),
        K::WebhookDeleted => named::<WebhookDeleted>(s),
        K::WebhookDisabled => named::<WebhookDisabled>(s),
    }
}

/// `milestone.signed_off` → `MilestoneSignedOffEvent`.
fn event_schema_name(kind: EventKind) -> String {
    let mut name = String::new();
    for word in kind.as_str().split(['.', '_']) {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            name.extend(first.to_uppercase());
            name.push_str(chars.as_str());
        }
    }
    name + "Event"
}

/// A string that can only be `value`.
fn constant(value: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some([value]))
}

/// Publishes the event contract in `doc`: a schema per event type (the feed item with its `type`
/// fixed and its `data` typed), `EventResponse` as their union discriminated by `type`, the two
/// delivery bodies (`EventWebhookPayload`, `PingWebhookPayload`), and the OpenAPI 3.1 `webhooks`
/// a receiver implements.
pub fn describe(doc: &mut OpenApi) {
    let mut schemas = Schemas::new();
    let mut variants = OneOfBuilder::new();
    let mut mapping = Vec::new();
    for &kind in EventKind::ALL {
        let data = data_schema(kind, &mut schemas);
        let mut item = match FeedItem::schema() {
            RefOr::T(Schema::Object(item)) => item,
            _ => continue,
        };
        item.description = Some(format!("A `{}` event.", kind.as_str()));
        item.properties
            .insert("type".into(), constant(kind.as_str()).build().into());
        item.properties.insert("data".into(), data);
        let name = event_schema_name(kind);
        let reference = Ref::from_schema_name(&name);
        mapping.push((kind.as_str(), reference.ref_location.clone()));
        variants = variants.item(reference);
        schemas.push((name, Schema::Object(item).into()));
    }
    let union = variants
        .description(Some(
            "One event as `GET …/events` lists it and as a webhook delivery's `data` carries \
             it; `type` says which, and the shape of `data` follows from it.",
        ))
        .discriminator(Some(Discriminator::with_mapping("type", mapping)));
    schemas.push(("EventResponse".into(), union.into()));

    let envelope = |kind: RefOr<Schema>, data: RefOr<Schema>, about: &str| {
        ObjectBuilder::new()
            .description(Some(about))
            .property("type", kind)
            .property(
                "timestamp",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime))),
            )
            .property("data", data)
            .required("type")
            .required("timestamp")
            .required("data")
            .build()
    };
    let event_payload = envelope(
        Ref::from_schema_name("EventType").into(),
        Ref::from_schema_name("EventResponse").into(),
        "The delivery of one event.",
    );
    let ping_data = named::<PingData>(&mut schemas);
    let ping_payload = envelope(
        constant(PING).build().into(),
        ping_data,
        "A ping: sent only by `POST …/webhooks/{webhook_id}/ping`, never recorded as an event.",
    );
    schemas.push(("EventWebhookPayload".into(), event_payload.into()));
    schemas.push(("PingWebhookPayload".into(), ping_payload.into()));

    let components = doc.components.get_or_insert_with(Default::default);
    components.schemas.extend(schemas);
    let mut webhooks = doc.webhooks.take().unwrap_or_default();
    webhooks.paths.insert(
        "event".into(),
        receiver(
            "receive_event",
            "EventWebhookPayload",
            "An event your webhook subscribes to",
        ),
    );
    webhooks.paths.insert(
        "ping".into(),
        receiver(
            "receive_ping",
            "PingWebhookPayload",
            "A ping sent with `POST …/webhooks/{webhook_id}/ping`",
        ),
    );
    doc.webhooks = Some(webhooks);
}

/// The request buyin sends a receiver, with its Standard Webhooks headers.
fn receiver(operation_id: &str, body: &str, summary: &str) -> PathItem {
    let header = |name: &str, about: &str| {
        ParameterBuilder::new()
            .name(name)
            .parameter_in(ParameterIn::Header)
            .required(Required::True)
            .description(Some(about))
            .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
            .build()
    };
    let mut operation = OperationBuilder::new()
        .operation_id(Some(operation_id))
        .tag("webhooks")
        .summary(Some(summary))
        .description(Some(
            "Sent to the webhook's `url` as `POST` with a JSON body. Verify the signature with \
             any Standard Webhooks library and the webhook's `secret` before trusting the body; \
             deliveries are at least once (deduplicate by `webhook-id`, the same on every \
             retry).",
        ))
        .parameter(header(
            "webhook-id",
            "The delivery's id: the same on every retry of it.",
        ))
        .parameter(header(
            "webhook-timestamp",
            "When this attempt was signed, in Unix seconds (real time).",
        ))
        .parameter(header(
            "webhook-signature",
            "`v1,<base64 HMAC-SHA256 of id.timestamp.body>` with the webhook's secret.",
        ))
        .request_body(Some(
            RequestBodyBuilder::new()
                .required(Some(Required::True))
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name(body)))
                        .build(),
                )
                .build(),
        ))
        .response(
            "2XX",
            ResponseBuilder::new().description(
                "Accepted. Any other status, a redirect or no answer within \
                 `BUYIN_WEBHOOK_TIMEOUT` is a failure, retried after about 5 s, 30 s, 2 min, \
                 10 min, 1 h and 6 h.",
            ),
        )
        .build();
    // buyin signs the request; it sends no credential of the receiver's API.
    operation.security = Some(Vec::new());
    PathItem::new(HttpMethod::Post, operation)
}
