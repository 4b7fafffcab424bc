//! What a client may ask of a project participation, once parsed.

use uuid::Uuid;

use super::ProjectRole;

/// The responsibility a participant carries: `(field, most characters)`.
pub const RESPONSIBILITY: (&str, usize) = ("responsibility", 500);

/// Whom to add: an account the organisation knows, by email, or any account by id.
#[derive(Debug, Clone)]
pub enum Participant {
    Email(String),
    Id(Uuid),
}

#[derive(Debug, Clone)]
pub struct NewParticipant {
    pub who: Participant,
    pub role: ProjectRole,
    /// Only staff can lead (checked at parsing).
    pub is_lead: bool,
    pub weekly_quarter_hours: i32,
    pub responsibility: Option<String>,
}

/// A partial update: `None` leaves a field alone; `Some(None)` clears the responsibility.
#[derive(Debug, Clone, Default)]
pub struct ParticipantPatch {
    pub is_lead: Option<bool>,
    pub weekly_quarter_hours: Option<i32>,
    pub responsibility: Option<Option<String>>,
    /// Replaces every away period.
    pub away: Option<super::away::Away>,
}

impl ParticipantPatch {
    /// Only the away periods change: what a member may do for themself.
    pub fn only_away(&self) -> bool {
        self.is_lead.is_none()
            && self.weekly_quarter_hours.is_none()
            && self.responsibility.is_none()
    }
}
