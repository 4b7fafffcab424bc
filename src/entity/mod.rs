//! sea-orm entities: the tables as the code sees them. They never leave the repository and
//! service layers; handlers speak DTOs.

pub mod activity;
pub mod agreed_action;
pub mod api_key;
pub mod criterion;
pub mod event;
pub mod idempotency_key;
pub mod ledger_total;
pub mod milestone;
pub mod milestone_ledger_total;
pub mod milestone_transition;
pub mod milestone_version;
pub mod org;
pub mod org_invitation;
pub mod org_member;
pub mod participation_version;
pub mod project;
pub mod project_member;
pub mod project_version;
pub mod refresh_token;
pub mod session;
pub mod test_run;
pub mod test_script;
pub mod user;
pub mod webhook;
pub mod webhook_delivery;
pub mod webhook_delivery_attempt;
