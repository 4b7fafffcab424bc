//! What a client may ask of an organisation, once parsed.

use uuid::Uuid;

use super::OrgRole;

/// A new organisation; without a slug, one is made from the name.
#[derive(Debug, Clone)]
pub struct NewOrg {
    pub name: String,
    pub slug: Option<String>,
}

/// A partial update: `None` leaves a field alone.
#[derive(Debug, Clone, Default)]
pub struct OrgPatch {
    pub name: Option<String>,
    pub slug: Option<String>,
}

/// Whom an invitation is for: an email (canonical), or an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invitee {
    Email(String),
    User(Uuid),
}

#[derive(Debug, Clone)]
pub struct Invitation {
    pub invitee: Invitee,
    pub role: OrgRole,
}
