//! What an organisation admin may ask of its integrations (webhooks, API keys), once parsed.

use chrono::{DateTime, Utc};

use super::KeyScope;

/// The most characters of a webhook's URL.
pub const WEBHOOK_URL_MAX: usize = 2048;

/// A webhook's description: `(field, most characters)`.
pub const WEBHOOK_DESCRIPTION: (&str, usize) = ("description", 500);

/// A new webhook. The URL is checked (and resolved) by the service, which knows whether
/// private addresses are allowed.
#[derive(Debug, Clone)]
pub struct NewWebhook {
    pub url: String,
    /// Known event types, or `["*"]`.
    pub event_types: Vec<String>,
    pub description: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct WebhookPatch {
    pub url: Option<String>,
    pub event_types: Option<Vec<String>>,
    pub description: Option<Option<String>>,
    pub enabled: Option<bool>,
}

#[derive(Debug, Clone)]
pub struct NewApiKey {
    pub name: String,
    pub scope: KeyScope,
    /// Checked against the clock by the service: must be in the future.
    pub expires_at: Option<DateTime<Utc>>,
}
