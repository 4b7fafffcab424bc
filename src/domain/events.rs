//! The event vocabulary: every type of event buyin records, its name on the wire, and what its
//! `subject_id` names. A new event type is one line here (and its constructor in
//! `crate::events`); webhook subscriptions, the feed's schema and the OpenAPI list follow.

use serde::{Deserialize, Serialize};
use utoipa::openapi::{ObjectBuilder, RefOr, Schema, schema::Type};

use super::FieldError;

/// What an event's `subject_id` is the id of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Organisation,
    Invitation,
    /// A person: an organisation member or a project participant.
    User,
    Project,
    Milestone,
    Criterion,
    Activity,
    Action,
    TestScript,
    TestRun,
    ApiKey,
    Webhook,
}

macro_rules! event_kinds {
    ($($(#[$doc:meta])* $variant:ident = $name:literal about $subject:ident,)*) => {
        /// The type of an event, as the feed and webhook payloads name it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum EventKind {
            $($(#[$doc])* #[serde(rename = $name)] $variant,)*
        }

        impl EventKind {
            /// Every event type, in the order they are documented.
            pub const ALL: &[EventKind] = &[$(EventKind::$variant,)*];

            pub const fn as_str(self) -> &'static str {
                match self { $(EventKind::$variant => $name,)* }
            }

            /// What the event's `subject_id` is the id of.
            pub const fn about(self) -> Subject {
                match self { $(EventKind::$variant => Subject::$subject,)* }
            }
        }
    };
}

event_kinds! {
    OrgCreated = "org.created" about Organisation,
    OrgUpdated = "org.updated" about Organisation,
    OrgMemberInvited = "org.member_invited" about Invitation,
    OrgInvitationDeclined = "org.invitation_declined" about Invitation,
    OrgInvitationRevoked = "org.invitation_revoked" about Invitation,
    OrgMemberAdded = "org.member_added" about User,
    OrgMemberUpdated = "org.member_updated" about User,
    OrgMemberRemoved = "org.member_removed" about User,
    ProjectCreated = "project.created" about Project,
    ProjectUpdated = "project.updated" about Project,
    ProjectClosed = "project.closed" about Project,
    ProjectDeleted = "project.deleted" about Project,
    MemberAdded = "member.added" about User,
    MemberUpdated = "member.updated" about User,
    MemberRemoved = "member.removed" about User,
    MilestoneCreated = "milestone.created" about Milestone,
    MilestoneUpdated = "milestone.updated" about Milestone,
    MilestoneDeleted = "milestone.deleted" about Milestone,
    MilestoneStageChanged = "milestone.stage_changed" about Milestone,
    MilestoneSignedOff = "milestone.signed_off" about Milestone,
    CriterionAdded = "criterion.added" about Criterion,
    CriterionUpdated = "criterion.updated" about Criterion,
    CriterionDeleted = "criterion.deleted" about Criterion,
    ActivityLogged = "activity.logged" about Activity,
    ActivityDeleted = "activity.deleted" about Activity,
    ActionCreated = "action.created" about Action,
    ActionUpdated = "action.updated" about Action,
    ActionClosed = "action.closed" about Action,
    ActionDeleted = "action.deleted" about Action,
    TestScriptCreated = "test_script.created" about TestScript,
    TestScriptUpdated = "test_script.updated" about TestScript,
    TestScriptDeleted = "test_script.deleted" about TestScript,
    TestRunRecorded = "test_script.run_recorded" about TestRun,
    ApiKeyCreated = "api_key.created" about ApiKey,
    ApiKeyRevoked = "api_key.revoked" about ApiKey,
    WebhookCreated = "webhook.created" about Webhook,
    WebhookUpdated = "webhook.updated" about Webhook,
    WebhookDeleted = "webhook.deleted" about Webhook,
    WebhookDisabled = "webhook.disabled" about Webhook,
}

/// Published as the `EventType` schema: the names, from the one list above.
impl utoipa::PartialSchema for EventKind {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some(
                "The type of an event, as the event feed and webhook payloads name it.",
            ))
            .enum_values(Some(Self::ALL.iter().map(|k| k.as_str())))
            .into()
    }
}

impl utoipa::ToSchema for EventKind {
    fn name() -> std::borrow::Cow<'static, str> {
        "EventType".into()
    }
}

impl std::str::FromStr for EventKind {
    type Err = ();

    fn from_str(name: &str) -> Result<Self, ()> {
        Self::ALL
            .iter()
            .copied()
            .find(|k| k.as_str() == name)
            .ok_or(())
    }
}

/// Subscribes to every event type.
pub const ALL_TYPES: &str = "*";

/// The event types a webhook receives: 1 to 50 known types, or `["*"]`. An unknown type is
/// refused by name, so a misspelt subscription cannot sit silent.
pub fn subscriptions(types: &[String]) -> Result<Vec<String>, FieldError> {
    const FIELD: &str = "event_types";
    if types.is_empty() || types.len() > 50 {
        return Err(FieldError::new(
            FIELD,
            "must list 1 to 50 event types like `milestone.signed_off`, or be [\"*\"]",
        ));
    }
    if let Some(unknown) = types
        .iter()
        .find(|t| *t != ALL_TYPES && t.parse::<EventKind>().is_err())
    {
        let shown: String = unknown.chars().take(64).collect();
        return Err(FieldError::new(
            FIELD,
            format!("`{shown}` is not an event type; see the EventType schema for the list"),
        ));
    }
    Ok(types.to_vec())
}

/// Whether a subscription list takes events of `kind`.
pub fn subscribes(types: &[String], kind: &str) -> bool {
    types.iter().any(|t| t == ALL_TYPES || t == kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_type_reads_back_from_its_name() {
        for kind in EventKind::ALL {
            assert_eq!(kind.as_str().parse::<EventKind>(), Ok(*kind));
            let json = serde_json::to_value(kind).unwrap_or_default();
            assert_eq!(json, kind.as_str());
        }
    }

    #[test]
    fn a_misspelt_subscription_is_refused_by_name() {
        let err = subscriptions(&["milestone.signedoff".into()]).err();
        assert!(err.is_some_and(|e| e.message.contains("`milestone.signedoff`")));
        assert!(subscriptions(&["*".into()]).is_ok());
        assert!(subscriptions(&["milestone.signed_off".into()]).is_ok());
        assert!(subscriptions(&[]).is_err());
    }
}
