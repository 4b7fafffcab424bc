//! The knowledge-transfer ladder and who may move a milestone along it (DESIGN.md, "Stage").
//!
//! Pure rules, no I/O: the service gathers the facts ([`Actor`], [`Evidence`]) and these
//! functions decide, so every rule here can be tested on its own.

use sea_orm::{DeriveActiveEnum, EnumIter, sea_query::StringLen};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `planned → consultant_led → shadowing → reverse_shadowing → ready_for_signoff → handed_off`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Nobody has started the transfer.
    #[sea_orm(string_value = "planned")]
    Planned,
    /// The consultant does it.
    #[sea_orm(string_value = "consultant_led")]
    ConsultantLed,
    /// Staff watch the consultant do it.
    #[sea_orm(string_value = "shadowing")]
    Shadowing,
    /// Staff do it while the consultant reviews.
    #[sea_orm(string_value = "reverse_shadowing")]
    ReverseShadowing,
    /// Staff ask for sign-off.
    #[sea_orm(string_value = "ready_for_signoff")]
    ReadyForSignoff,
    /// Staff own it.
    #[sea_orm(string_value = "handed_off")]
    HandedOff,
}

impl Stage {
    pub const ALL: [Stage; 6] = [
        Stage::Planned,
        Stage::ConsultantLed,
        Stage::Shadowing,
        Stage::ReverseShadowing,
        Stage::ReadyForSignoff,
        Stage::HandedOff,
    ];

    /// 0 for `planned` … 5 for `handed_off`.
    pub fn index(self) -> u8 {
        Stage::ALL.iter().position(|s| *s == self).unwrap_or(0) as u8
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Planned => "planned",
            Stage::ConsultantLed => "consultant_led",
            Stage::Shadowing => "shadowing",
            Stage::ReverseShadowing => "reverse_shadowing",
            Stage::ReadyForSignoff => "ready_for_signoff",
            Stage::HandedOff => "handed_off",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// One step forward, up to `ready_for_signoff`.
    Advance,
    /// `ready_for_signoff → handed_off`, by the staff owner only.
    SignOff,
    /// `ready_for_signoff → reverse_shadowing`, with a reason.
    Reject,
    /// `handed_off → reverse_shadowing`, with a reason.
    Reopen,
}

impl Action {
    pub const ALL: [Action; 4] = [
        Action::Advance,
        Action::SignOff,
        Action::Reject,
        Action::Reopen,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Advance => "advance",
            Action::SignOff => "sign_off",
            Action::Reject => "reject",
            Action::Reopen => "reopen",
        }
    }

    /// Where the action leads from `from`, if it applies there at all.
    pub fn target(self, from: Stage) -> Option<Stage> {
        match (self, from) {
            (Action::Advance, Stage::Planned) => Some(Stage::ConsultantLed),
            (Action::Advance, Stage::ConsultantLed) => Some(Stage::Shadowing),
            (Action::Advance, Stage::Shadowing) => Some(Stage::ReverseShadowing),
            (Action::Advance, Stage::ReverseShadowing) => Some(Stage::ReadyForSignoff),
            (Action::SignOff, Stage::ReadyForSignoff) => Some(Stage::HandedOff),
            (Action::Reject, Stage::ReadyForSignoff) => Some(Stage::ReverseShadowing),
            (Action::Reopen, Stage::HandedOff) => Some(Stage::ReverseShadowing),
            _ => None,
        }
    }

    /// Reject and reopen must say why.
    pub fn needs_note(self) -> bool {
        matches!(self, Action::Reject | Action::Reopen)
    }
}

/// What the rules need to know about the person asking.
#[derive(Debug, Clone, Copy, Default)]
pub struct Actor {
    /// An active participant of the project (staff or consultant).
    pub is_member: bool,
    pub is_staff: bool,
    pub is_staff_lead: bool,
    /// The milestone's staff owner (and still active staff).
    pub is_staff_owner: bool,
}

/// Whether `caller` may ever perform `action` on this milestone, whatever its stage.
/// Nobody signs for the staff owner: not a lead, not an org admin, never a consultant.
pub fn permits(action: Action, caller: Actor) -> bool {
    match action {
        Action::Advance => caller.is_member,
        Action::SignOff => caller.is_staff_owner,
        Action::Reject => caller.is_staff_owner || caller.is_staff_lead,
        Action::Reopen => caller.is_staff_lead,
    }
}

/// Facts the preconditions for entering `reverse_shadowing` and `ready_for_signoff` check.
#[derive(Debug, Clone, Copy, Default)]
pub struct Evidence {
    pub has_staff_owner: bool,
    pub all_criteria_done: bool,
    /// Quarter hours of `execution`/`testing` the staff owner logged on this milestone.
    pub owner_hands_on_quarter_hours: i64,
}

/// Preconditions for entering `to` that `evidence` does not meet, by stable name.
pub fn unmet(to: Stage, evidence: Evidence) -> Vec<&'static str> {
    let mut missing = Vec::new();
    if matches!(to, Stage::ReverseShadowing | Stage::ReadyForSignoff) && !evidence.has_staff_owner {
        missing.push("staff_owner");
    }
    if to == Stage::ReadyForSignoff && !evidence.all_criteria_done {
        missing.push("criteria_done");
    }
    // At least one hour: staff must have done it themselves. Signing off checks it again for
    // the owner of the day (hours may have been corrected since the request for sign-off).
    if matches!(to, Stage::ReadyForSignoff | Stage::HandedOff)
        && evidence.owner_hands_on_quarter_hours < 4
    {
        missing.push("staff_hands_on_hours");
    }
    missing
}

/// The actions `caller` can perform right now from `stage`.
pub fn allowed_actions(stage: Stage, caller: Actor, evidence: Evidence) -> Vec<Action> {
    Action::ALL
        .into_iter()
        .filter(|a| permits(*a, caller))
        .filter(|a| {
            a.target(stage).is_some_and(|to| {
                !matches!(a, Action::Advance | Action::SignOff) || unmet(to, evidence).is_empty()
            })
        })
        .collect()
}

/// A milestone that stops a project from closing: it is not handed off yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Blocker {
    pub milestone_id: uuid::Uuid,
    pub title: String,
    pub stage: Stage,
}

/// An activity's kind.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum ActivityKind {
    #[sea_orm(string_value = "execution")]
    Execution,
    #[sea_orm(string_value = "training")]
    Training,
    #[sea_orm(string_value = "shadowing")]
    Shadowing,
    #[sea_orm(string_value = "testing")]
    Testing,
    #[sea_orm(string_value = "planning")]
    Planning,
}

impl ActivityKind {
    /// Kinds that count as doing the work oneself.
    pub fn is_hands_on(self) -> bool {
        matches!(self, ActivityKind::Execution | ActivityKind::Testing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MEMBER: Actor = Actor {
        is_member: true,
        is_staff: false,
        is_staff_lead: false,
        is_staff_owner: false,
    };
    const OWNER: Actor = Actor {
        is_member: true,
        is_staff: true,
        is_staff_lead: false,
        is_staff_owner: true,
    };
    const LEAD: Actor = Actor {
        is_member: true,
        is_staff: true,
        is_staff_lead: true,
        is_staff_owner: false,
    };
    const ADMIN: Actor = Actor {
        is_member: false,
        is_staff: false,
        is_staff_lead: false,
        is_staff_owner: false,
    };
    const READY: Evidence = Evidence {
        has_staff_owner: true,
        all_criteria_done: true,
        owner_hands_on_quarter_hours: 4,
    };

    #[test]
    fn advance_moves_one_step_up_to_ready_for_signoff_and_no_further() {
        let mut stage = Stage::Planned;
        for expected in [
            Stage::ConsultantLed,
            Stage::Shadowing,
            Stage::ReverseShadowing,
            Stage::ReadyForSignoff,
        ] {
            stage = Action::Advance.target(stage).unwrap();
            assert_eq!(stage, expected);
        }
        assert_eq!(Action::Advance.target(Stage::ReadyForSignoff), None);
        assert_eq!(Action::Advance.target(Stage::HandedOff), None);
    }

    #[test]
    fn only_the_staff_owner_signs_off() {
        assert!(permits(Action::SignOff, OWNER));
        for other in [MEMBER, LEAD, ADMIN] {
            assert!(!permits(Action::SignOff, other));
        }
    }

    #[test]
    fn reject_is_for_the_owner_or_a_lead_and_reopen_for_a_lead() {
        assert!(permits(Action::Reject, OWNER) && permits(Action::Reject, LEAD));
        assert!(!permits(Action::Reject, MEMBER) && !permits(Action::Reject, ADMIN));
        assert!(permits(Action::Reopen, LEAD));
        assert!(!permits(Action::Reopen, OWNER) && !permits(Action::Reopen, MEMBER));
    }

    #[test]
    fn entering_reverse_shadowing_needs_a_staff_owner() {
        assert_eq!(
            unmet(Stage::ReverseShadowing, Evidence::default()),
            ["staff_owner"]
        );
        assert!(unmet(Stage::ReverseShadowing, READY).is_empty());
    }

    #[test]
    fn entering_ready_for_signoff_needs_owner_criteria_and_an_hour_of_hands_on_work() {
        assert_eq!(
            unmet(Stage::ReadyForSignoff, Evidence::default()),
            ["staff_owner", "criteria_done", "staff_hands_on_hours"]
        );
        let almost = Evidence {
            owner_hands_on_quarter_hours: 3,
            ..READY
        };
        assert_eq!(
            unmet(Stage::ReadyForSignoff, almost),
            ["staff_hands_on_hours"]
        );
        assert!(unmet(Stage::ReadyForSignoff, READY).is_empty());
    }

    #[test]
    fn allowed_actions_follow_stage_caller_and_preconditions() {
        assert_eq!(
            allowed_actions(Stage::Planned, MEMBER, READY),
            [Action::Advance]
        );
        assert!(allowed_actions(Stage::Planned, ADMIN, READY).is_empty());
        assert!(allowed_actions(Stage::ReverseShadowing, MEMBER, Evidence::default()).is_empty());
        assert_eq!(
            allowed_actions(Stage::ReadyForSignoff, OWNER, READY),
            [Action::SignOff, Action::Reject]
        );
        assert_eq!(
            allowed_actions(Stage::ReadyForSignoff, LEAD, READY),
            [Action::Reject]
        );
        assert_eq!(
            allowed_actions(Stage::HandedOff, LEAD, READY),
            [Action::Reopen]
        );
    }
}
