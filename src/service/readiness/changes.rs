//! What changed in a project between the end of one day and the end of a later one
//! (DESIGN.md, "Across projects and over time"): the two reports' deltas, the moves on the
//! ladder, owners named or lost, members who joined, left or went away, and `got_better` — the
//! improvements in plain words, because teams forget what got better. A pure function of the
//! two days' inputs and reports and the transitions between them.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    ReadinessReport,
    compute::{Inputs, MilestoneAt, Participant, Tested},
};
use crate::{
    domain::{ProjectRole, Stage, action::ActionStatus},
    entity::{agreed_action, milestone_transition},
};

/// A figure on both days.
#[derive(Debug, Serialize, ToSchema)]
pub struct Delta<T> {
    pub from: T,
    pub to: T,
}

/// The score's components on both days.
#[derive(Debug, Serialize, ToSchema)]
pub struct ComponentDeltas {
    pub handoff_progress: Delta<f64>,
    pub ownership_coverage: Delta<f64>,
    pub staff_hands_on_share: Delta<f64>,
    pub commitment_adherence: Delta<f64>,
    pub on_schedule: Delta<f64>,
}

/// One move on the ladder between the two days.
#[derive(Debug, Serialize, ToSchema)]
pub struct StageMove {
    pub milestone_id: Uuid,
    pub title: String,
    /// `advance`, `sign_off`, `reject`, `reopen` or `owner_reassigned`.
    pub action: String,
    pub from: Stage,
    pub to: Stage,
    /// Who moved it (null for an API key).
    pub by: Option<Uuid>,
    pub by_name: Option<String>,
    pub at: DateTime<Utc>,
}

/// A milestone, by id and title.
#[derive(Debug, Serialize, ToSchema)]
pub struct MilestoneRef {
    pub milestone_id: Uuid,
    pub title: String,
}

/// A milestone whose active staff owner was named or lost.
#[derive(Debug, Serialize, ToSchema)]
pub struct OwnerChange {
    pub milestone_id: Uuid,
    pub title: String,
    pub knowledge_area: String,
    pub owner_id: Uuid,
    pub owner_name: String,
}

/// A member, by id, name and side.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberRef {
    pub user_id: Uuid,
    pub display_name: String,
    pub role: ProjectRole,
}

/// An agreed action closed between the two days.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClosedAction {
    pub action_id: Uuid,
    pub title: String,
    /// `done` or `dropped`.
    pub status: ActionStatus,
    pub closed_by: Option<Uuid>,
    pub closed_at: DateTime<Utc>,
}

/// A test script whose latest staff run passed on `as_of` and had not on `since`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScriptRef {
    pub script_id: Uuid,
    pub title: String,
}

/// What changed between the end of `since` and the end of `as_of`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReadinessChanges {
    pub project_id: Uuid,
    pub since: NaiveDate,
    pub as_of: NaiveDate,
    pub score: Delta<u32>,
    pub components: ComponentDeltas,
    /// Every move on the ladder after the end of `since` up to the end of `as_of`, oldest
    /// first.
    pub moved: Vec<StageMove>,
    /// Milestones handed off on `as_of` that were not on `since`.
    pub handed_off: Vec<MilestoneRef>,
    /// Milestones with an active staff owner on `as_of` whom they did not have on `since`.
    pub owners_named: Vec<OwnerChange>,
    /// Milestones whose active staff owner on `since` no longer owns them (or has left) on
    /// `as_of`.
    pub owners_lost: Vec<OwnerChange>,
    pub joined: Vec<MemberRef>,
    pub left: Vec<MemberRef>,
    /// Active members away on `as_of` who were not away on `since`.
    pub went_away: Vec<MemberRef>,
    /// Test scripts whose latest staff run passed on `as_of` and had not on `since`.
    pub scripts_passed_by_staff: Vec<ScriptRef>,
    /// Agreed actions closed (and still closed) after the end of `since` up to the end of
    /// `as_of`, in the order closed.
    pub actions_closed: Vec<ClosedAction>,
    /// The improvements, in plain words (empty when nothing got better): milestones handed
    /// off, owners named, test scripts passed by staff, actions done, a higher score, each
    /// component that rose.
    #[schema(example = json!(["Sam Staff now owns dues invoicing", "staff hands-on share 0.31 → 0.52"]))]
    pub got_better: Vec<String>,
}

/// The changes between `before` (the end of `since`) and `after` (the end of `as_of`).
pub fn changes(
    before: (&Inputs, &ReadinessReport),
    after: (&Inputs, &ReadinessReport),
    transitions: Vec<milestone_transition::Model>,
    closed: Vec<agreed_action::Model>,
) -> ReadinessChanges {
    let ((was, old), (now, new)) = (before, after);
    let people: HashMap<Uuid, &Participant> =
        now.participants.iter().map(|p| (p.user_id, p)).collect();
    let name_of = |id: Uuid| people.get(&id).map(|p| p.display_name.clone());
    let earlier: HashMap<Uuid, &MilestoneAt> = was.milestones.iter().map(|m| (m.id, m)).collect();
    let titles: HashMap<Uuid, &str> = was
        .milestones
        .iter()
        .chain(&now.milestones)
        .map(|m| (m.id, m.title.as_str()))
        .collect();

    let moved: Vec<StageMove> = transitions
        .into_iter()
        .filter_map(|t| {
            Some(StageMove {
                milestone_id: t.milestone_id,
                title: titles.get(&t.milestone_id)?.to_string(),
                action: t.action,
                from: t.from_stage,
                to: t.to_stage,
                by: t.actor_user_id,
                by_name: t.actor_user_id.and_then(name_of),
                at: t.occurred_at,
            })
        })
        .collect();
    let handed_off: Vec<MilestoneRef> = now
        .milestones
        .iter()
        .filter(|m| m.stage == Stage::HandedOff)
        .filter(|m| {
            earlier
                .get(&m.id)
                .is_none_or(|e| e.stage != Stage::HandedOff)
        })
        .map(|m| MilestoneRef {
            milestone_id: m.id,
            title: m.title.clone(),
        })
        .collect();

    let owner_on = |inputs: &Inputs, m: &MilestoneAt| {
        let day = inputs.as_of;
        m.staff_owner_id.filter(|owner| {
            inputs
                .participants
                .iter()
                .any(|p| p.user_id == *owner && p.role == ProjectRole::Staff && p.active_on(day))
        })
    };
    let change = |inputs: &Inputs, m: &MilestoneAt, owner: Uuid| OwnerChange {
        milestone_id: m.id,
        title: m.title.clone(),
        knowledge_area: m.knowledge_area.clone(),
        owner_id: owner,
        owner_name: inputs
            .participants
            .iter()
            .find(|p| p.user_id == owner)
            .map(|p| p.display_name.clone())
            .unwrap_or_default(),
    };
    let mut owners_named = Vec::new();
    for m in &now.milestones {
        let before = earlier.get(&m.id).and_then(|e| owner_on(was, e));
        if let Some(owner) = owner_on(now, m)
            && before != Some(owner)
        {
            owners_named.push(change(now, m, owner));
        }
    }
    let later: HashMap<Uuid, &MilestoneAt> = now.milestones.iter().map(|m| (m.id, m)).collect();
    let mut owners_lost = Vec::new();
    for m in &was.milestones {
        let after = later.get(&m.id).and_then(|l| owner_on(now, l));
        if let Some(owner) = owner_on(was, m)
            && after != Some(owner)
        {
            owners_lost.push(change(was, m, owner));
        }
    }

    let member = |p: &Participant| MemberRef {
        user_id: p.user_id,
        display_name: p.display_name.clone(),
        role: p.role,
    };
    let (since, as_of) = (was.as_of, now.as_of);
    let active_since = |id: Uuid| {
        was.participants
            .iter()
            .any(|p| p.user_id == id && p.active_on(since))
    };
    let joined = now
        .participants
        .iter()
        .filter(|p| p.active_on(as_of) && !active_since(p.user_id))
        .map(member)
        .collect();
    let left = was
        .participants
        .iter()
        .filter(|p| p.active_on(since))
        .filter(|p| {
            !now.participants
                .iter()
                .any(|q| q.user_id == p.user_id && q.active_on(as_of))
        })
        .map(member)
        .collect();
    let away_on = |p: &Participant, day: NaiveDate| p.terms_on(day).away.covers(day);
    let went_away = now
        .participants
        .iter()
        .filter(|p| p.active_on(as_of) && away_on(p, as_of))
        .filter(|p| {
            !was.participants
                .iter()
                .any(|q| q.user_id == p.user_id && q.active_on(since) && away_on(q, since))
        })
        .map(member)
        .collect();

    let (tested_then, tested_now) = (
        Tested::of(&was.scripts, &was.runs),
        Tested::of(&now.scripts, &now.runs),
    );
    let scripts_passed_by_staff: Vec<ScriptRef> = now
        .scripts
        .iter()
        .filter(|s| tested_now.passed_by_staff(s.id) && !tested_then.passed_by_staff(s.id))
        .map(|s| ScriptRef {
            script_id: s.id,
            title: s.title.clone(),
        })
        .collect();
    let actions_closed: Vec<ClosedAction> = closed
        .into_iter()
        .filter_map(|a| {
            Some(ClosedAction {
                closed_at: a.closed_at?,
                action_id: a.id,
                title: a.title,
                status: a.status,
                closed_by: a.closed_by,
            })
        })
        .collect();

    let (c0, c1) = (&old.components, &new.components);
    let components = ComponentDeltas {
        handoff_progress: Delta {
            from: c0.handoff_progress,
            to: c1.handoff_progress,
        },
        ownership_coverage: Delta {
            from: c0.ownership_coverage,
            to: c1.ownership_coverage,
        },
        staff_hands_on_share: Delta {
            from: c0.staff_hands_on_share,
            to: c1.staff_hands_on_share,
        },
        commitment_adherence: Delta {
            from: c0.commitment_adherence,
            to: c1.commitment_adherence,
        },
        on_schedule: Delta {
            from: c0.on_schedule,
            to: c1.on_schedule,
        },
    };

    let mut got_better = Vec::new();
    for m in &handed_off {
        got_better.push(format!("{} is handed off to the staff", m.title));
    }
    for o in &owners_named {
        got_better.push(format!("{} now owns {}", o.owner_name, o.knowledge_area));
    }
    for s in &scripts_passed_by_staff {
        got_better.push(format!("staff passed the test script \"{}\"", s.title));
    }
    for a in actions_closed
        .iter()
        .filter(|a| a.status == ActionStatus::Done)
    {
        got_better.push(format!("\"{}\" is done", a.title));
    }
    if new.score > old.score {
        got_better.push(format!("readiness score {} → {}", old.score, new.score));
    }
    for (name, d) in [
        ("handoff progress", &components.handoff_progress),
        ("ownership coverage", &components.ownership_coverage),
        ("staff hands-on share", &components.staff_hands_on_share),
        ("commitment adherence", &components.commitment_adherence),
        ("on schedule", &components.on_schedule),
    ] {
        if d.to > d.from {
            got_better.push(format!("{name} {:.2} → {:.2}", d.from, d.to));
        }
    }

    ReadinessChanges {
        project_id: now.project_id,
        since,
        as_of,
        score: Delta {
            from: old.score,
            to: new.score,
        },
        components,
        moved,
        handed_off,
        owners_named,
        owners_lost,
        joined,
        left,
        went_away,
        scripts_passed_by_staff,
        actions_closed,
        got_better,
    }
}
