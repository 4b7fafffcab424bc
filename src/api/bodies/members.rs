//! What clients send about project participants, and how each becomes a command.

use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::nullable;
use crate::domain::{
    Checks, FieldError, ProjectRole,
    away::{Away, AwayPeriod},
    member::{NewParticipant, Participant, ParticipantPatch, RESPONSIBILITY},
    text::{self, optional_patch, optional_text},
};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddProjectMember {
    /// The account to add, by email…
    #[schema(example = "carol@consulting.example")]
    pub email: Option<String>,
    /// …or by id (exactly one of the two).
    #[schema(example = "0193a5b2-7c1e-7d2a-9f10-2b3c4d5e6f70")]
    pub user_id: Option<Uuid>,
    /// `staff` for members of the project's organisation, `consultant` for everyone else.
    pub role: ProjectRole,
    /// Only staff can lead.
    #[serde(default)]
    #[schema(example = false)]
    pub is_lead: bool,
    /// Committed hours per week, 0 to 80 in quarter hours.
    #[schema(example = 8.0, minimum = 0, maximum = 80, multiple_of = 0.25)]
    pub weekly_hours: Option<f64>,
    #[schema(example = "Membership renewals")]
    pub responsibility: Option<String>,
}

impl TryFrom<AddProjectMember> for NewParticipant {
    type Error = Vec<FieldError>;

    fn try_from(b: AddProjectMember) -> Result<Self, Self::Error> {
        let mut checks = Checks::default();
        let who = match (b.email, b.user_id) {
            (Some(email), None) => Participant::Email(email),
            (None, Some(id)) => Participant::Id(id),
            _ => {
                checks.add(FieldError::new(
                    "email",
                    "give exactly one of `email` and `user_id`",
                ));
                Participant::Id(Uuid::nil())
            }
        };
        let hours = b.weekly_hours.map(text::weekly_quarter_hours);
        let new = NewParticipant {
            who,
            role: b.role,
            is_lead: b.is_lead,
            weekly_quarter_hours: checks.patch(hours).unwrap_or(0),
            responsibility: checks.take(optional_text(RESPONSIBILITY, b.responsibility.as_deref())),
        };
        let leads_as_staff = !b.is_lead || b.role == ProjectRole::Staff;
        checks.require(leads_as_staff, "is_lead", "only staff can be leads");
        checks.finish(new)
    }
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct UpdateProjectMember {
    #[schema(example = true)]
    pub is_lead: Option<bool>,
    /// Committed hours per week, 0 to 80 in quarter hours.
    #[schema(example = 7.5, minimum = 0, maximum = 80, multiple_of = 0.25)]
    pub weekly_hours: Option<f64>,
    /// `null` clears it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(example = "Event registration", value_type = Option<String>)]
    pub responsibility: Option<Option<String>>,
    /// Replaces every away period (leave, illness): days inclusive, `until` null while the
    /// return is open; `from ≤ until`, no overlaps, at most 60. The member may send this field
    /// alone for themself, with periods from today on; a staff lead or an organisation admin
    /// may record any (no one excuses their own past: 403). Periods already recorded may be
    /// sent back unchanged. Away days are left out of commitment, and the member's next
    /// actions go to the staff leads meanwhile.
    #[schema(example = json!([{"from": "2026-12-21", "until": "2027-01-03"}]))]
    pub away: Option<Vec<AwayPeriod>>,
}

impl TryFrom<UpdateProjectMember> for ParticipantPatch {
    type Error = Vec<FieldError>;

    fn try_from(b: UpdateProjectMember) -> Result<Self, Self::Error> {
        let mut checks = Checks::default();
        let responsibility = optional_patch(RESPONSIBILITY, b.responsibility);
        let patch = ParticipantPatch {
            is_lead: b.is_lead,
            weekly_quarter_hours: checks.patch(b.weekly_hours.map(text::weekly_quarter_hours)),
            responsibility: checks.patch(responsibility),
            away: checks.patch(b.away.map(Away::parse)),
        };
        checks.finish(patch)
    }
}
