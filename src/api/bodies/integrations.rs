//! What clients send about webhooks and API keys, and how each becomes a command.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::domain::{
    Checks, FieldError, KeyScope,
    events::subscriptions,
    integration::{NewApiKey, NewWebhook, WEBHOOK_DESCRIPTION, WEBHOOK_URL_MAX, WebhookPatch},
    text::{self, optional_text},
};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhook {
    #[schema(example = "https://ams.example.org/hooks/buyin")]
    pub url: String,
    /// Event types to receive (see the `EventType` schema, e.g. `milestone.signed_off`), or
    /// `["*"]` for all. An unknown type is refused (422).
    #[schema(example = json!(["milestone.stage_changed", "milestone.signed_off"]))]
    pub event_types: Vec<String>,
    #[schema(example = "Sync to the NewAMS staging tenant")]
    pub description: Option<String>,
}

impl TryFrom<CreateWebhook> for NewWebhook {
    type Error = Vec<FieldError>;

    fn try_from(b: CreateWebhook) -> Result<Self, Self::Error> {
        let mut checks = Checks::default();
        let description = optional_text(WEBHOOK_DESCRIPTION, b.description.as_deref());
        checks.take(text::at_most("url", &b.url, WEBHOOK_URL_MAX));
        let new = NewWebhook {
            event_types: checks.take(subscriptions(&b.event_types)),
            description: checks.take(description),
            url: b.url,
        };
        checks.finish(new)
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateWebhook {
    #[schema(example = "https://ams.example.org/hooks/buyin-v2")]
    pub url: Option<String>,
    #[schema(example = json!(["*"]))]
    pub event_types: Option<Vec<String>>,
    #[schema(example = "Sync to the NewAMS production tenant")]
    pub description: Option<String>,
    /// Re-enabling also resets the failure count.
    #[schema(example = true)]
    pub enabled: Option<bool>,
}

impl TryFrom<UpdateWebhook> for WebhookPatch {
    type Error = Vec<FieldError>;

    fn try_from(b: UpdateWebhook) -> Result<Self, Self::Error> {
        let mut checks = Checks::default();
        let description = b
            .description
            .map(|d| optional_text(WEBHOOK_DESCRIPTION, Some(&d)));
        if let Some(url) = &b.url {
            checks.take(text::at_most("url", url, WEBHOOK_URL_MAX));
        }
        let patch = WebhookPatch {
            event_types: checks.patch(b.event_types.as_deref().map(subscriptions)),
            description: checks.patch(description),
            url: b.url,
            enabled: b.enabled,
        };
        checks.finish(patch)
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApiKey {
    #[schema(example = "NewAMS sync")]
    pub name: String,
    pub scope: KeyScope,
    /// When the key stops working (optional; must be in the future).
    #[schema(example = "2027-06-30T00:00:00Z")]
    pub expires_at: Option<DateTime<Utc>>,
}

impl TryFrom<CreateApiKey> for NewApiKey {
    type Error = Vec<FieldError>;

    fn try_from(b: CreateApiKey) -> Result<Self, Self::Error> {
        let name = text::name("name", &b.name).map_err(|e| vec![e])?;
        Ok(NewApiKey {
            name,
            scope: b.scope,
            expires_at: b.expires_at,
        })
    }
}
