//! Value types parsed at the edge and shared by every layer: once a request has become one of
//! these, the rule it encodes holds everywhere behind it.

pub mod action;
pub mod activity;
pub mod away;
pub mod batch;
pub mod day;
pub mod events;
mod field_error;
pub mod integration;
pub mod ladder;
pub mod limits;
pub mod member;
pub mod milestone;
pub mod org;
pub mod precondition;
pub mod project;
pub mod query;
mod roles;
pub mod test_script;
pub mod text;
pub mod throttle;
mod user;

pub use batch::ItemStatus;
pub use field_error::{Checks, FieldError};
pub use ladder::{Action, ActivityKind, Stage};
pub use roles::{DeliveryStatus, KeyScope, OrgRole, ProjectRole, ProjectStatus};
pub use user::{DisplayName, Email, NewAccount, Password};

/// NUL bytes are refused in every string: PostgreSQL cannot store them, and no legitimate
/// client sends one.
pub fn has_nul(value: &str) -> bool {
    value.contains('\0')
}
