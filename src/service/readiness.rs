//! The readiness report (DESIGN.md, "Readiness report"): how close the staff are to running
//! the system alone, and the next action for each person. Every figure comes from aggregate
//! queries (`repo::readiness`), so the cost does not grow with the number of activities.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{Days, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{AppState, access::project_access, auth::Caller};
use crate::{
    domain::{ProjectRole, Stage, ladder::Blocker},
    error::ApiError,
    repo::{project_members, readiness as agg},
};

#[derive(Debug, Serialize, ToSchema)]
pub struct ReadinessReport {
    pub project_id: Uuid,
    pub as_of: NaiveDate,
    /// round(100 × (0.40 × handoff_progress + 0.15 × ownership_coverage
    /// + 0.25 × min(1, staff_share / 0.5) + 0.20 × commitment_adherence)), halves up.
    #[schema(example = 62)]
    pub score: u32,
    pub components: Components,
    pub milestones: MilestoneCounts,
    pub hours: Hours,
    pub members: Vec<MemberCommitment>,
    pub knowledge_areas: Vec<AreaFigures>,
    /// What stops the project from closing: every milestone not handed off.
    pub blockers: Vec<Blocker>,
    pub next_actions: Vec<NextAction>,
}

/// The four components of the score, unrounded, each 0 to 1.
#[derive(Debug, Serialize, ToSchema)]
pub struct Components {
    /// Mean over milestones of stage index / 5 (0 without milestones).
    pub handoff_progress: f64,
    /// Share of milestones with a staff owner (0 without milestones).
    pub ownership_coverage: f64,
    /// Staff hours / all hours logged up to `as_of` (0 without hours).
    pub staff_share: f64,
    /// Mean over active staff with a weekly commitment of min(1, hours in the 28 days ending
    /// `as_of` / (4 × weekly hours)); 0 when nobody has a commitment.
    pub commitment_adherence: f64,
}

#[derive(Debug, Default, Serialize, ToSchema)]
pub struct StageCounts {
    pub planned: u32,
    pub consultant_led: u32,
    pub shadowing: u32,
    pub reverse_shadowing: u32,
    pub ready_for_signoff: u32,
    pub handed_off: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MilestoneCounts {
    pub total: u32,
    pub by_stage: StageCounts,
    /// Due before `as_of` and not handed off.
    pub overdue: u32,
    /// Without a staff owner.
    pub unowned: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WeekHours {
    pub week_start: NaiveDate,
    pub week_end: NaiveDate,
    pub staff_hours: f64,
    pub consultant_hours: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Hours {
    /// Up to and including `as_of`.
    pub staff_hours: f64,
    pub consultant_hours: f64,
    /// The 8 weeks ending on `as_of`, oldest first.
    pub weekly: Vec<WeekHours>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberCommitment {
    pub user_id: Uuid,
    pub display_name: String,
    pub role: ProjectRole,
    pub is_lead: bool,
    pub weekly_hours: f64,
    /// Hours logged in the 28 days ending on `as_of`.
    pub hours_last_28_days: f64,
    /// 4 × weekly hours.
    pub committed_hours_28_days: f64,
    /// min(1, logged / committed) for staff with a commitment; null otherwise.
    pub adherence: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AreaFigures {
    pub knowledge_area: String,
    pub milestones: u32,
    pub handed_off: u32,
    pub staff_hours: f64,
    pub consultant_hours: f64,
    /// Distinct active staff who own a handed-off milestone here or logged execution/testing
    /// hours on one of its milestones.
    pub bus_factor: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NextActionKind {
    AssignStaffOwner,
    SignOff,
    Overdue,
    HandsOnNeeded,
    RescheduleBeforeExit,
    KnowledgeAtRisk,
    LogTime,
}

/// "What's our next action?" — one item per person it is for.
#[derive(Debug, Serialize, ToSchema)]
pub struct NextAction {
    pub kind: NextActionKind,
    pub user_id: Uuid,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false)]
    pub milestone_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false)]
    pub knowledge_area: Option<String>,
    pub detail: String,
    /// For `sign_off`: days since the milestone entered `ready_for_signoff`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false)]
    pub days_waiting: Option<i64>,
}

fn hours(quarter_hours: i64) -> f64 {
    quarter_hours as f64 / 4.0
}

fn ratio(part: f64, whole: f64) -> f64 {
    if whole > 0.0 { part / whole } else { 0.0 }
}

/// `round(100 × weighted sum)` with halves rounded up (a tiny epsilon absorbs binary error, so
/// 62.5 computed as 62.49999… still rounds to 63).
pub fn score(c: &Components) -> u32 {
    let weighted = 0.40 * c.handoff_progress
        + 0.15 * c.ownership_coverage
        + 0.25 * (c.staff_share / 0.5).min(1.0)
        + 0.20 * c.commitment_adherence;
    (100.0 * weighted + 0.5 + 1e-9).floor().clamp(0.0, 100.0) as u32
}

fn days_before(day: NaiveDate, n: u64) -> NaiveDate {
    day.checked_sub_days(Days::new(n)).unwrap_or(NaiveDate::MIN)
}

pub async fn report(
    state: &AppState,
    caller: &Caller,
    project_id: Uuid,
    as_of: Option<NaiveDate>,
) -> Result<ReadinessReport, ApiError> {
    let access = project_access(&state.db, caller, project_id).await?;
    let project = access.project;
    let as_of = as_of.unwrap_or_else(|| Utc::now().date_naive());
    let db = &state.db;

    let milestones = agg::milestones(db, project_id).await?;
    let members = project_members::list_active(db, project_id).await?;
    let by_party = agg::hours_by_party(db, project_id, as_of).await?;
    let window_start = days_before(as_of, 27);
    let by_user = agg::hours_by_user(db, project_id, window_start, as_of).await?;
    let by_day = agg::hours_by_day(db, project_id, days_before(as_of, 55), as_of).await?;
    let work = agg::milestone_work(db, project_id, as_of).await?;

    // Milestones.
    let n = milestones.len() as f64;
    let mut by_stage = StageCounts::default();
    for m in &milestones {
        *match m.stage {
            Stage::Planned => &mut by_stage.planned,
            Stage::ConsultantLed => &mut by_stage.consultant_led,
            Stage::Shadowing => &mut by_stage.shadowing,
            Stage::ReverseShadowing => &mut by_stage.reverse_shadowing,
            Stage::ReadyForSignoff => &mut by_stage.ready_for_signoff,
            Stage::HandedOff => &mut by_stage.handed_off,
        } += 1;
    }
    let is_overdue = |m: &agg::MilestoneRow| {
        m.stage != Stage::HandedOff && m.due_date.is_some_and(|d| d < as_of)
    };
    let owned = milestones
        .iter()
        .filter(|m| m.staff_owner_id.is_some())
        .count();
    let stage_sum: f64 = milestones.iter().map(|m| f64::from(m.stage.index())).sum();

    // Hours.
    let party_total = |role| {
        by_party
            .iter()
            .filter(|p| p.party == role)
            .map(|p| p.quarter_hours)
            .sum::<i64>()
    };
    let staff_qh = party_total(ProjectRole::Staff);
    let consultant_qh = party_total(ProjectRole::Consultant);
    let weekly = (0..8u64)
        .rev()
        .map(|w| {
            let week_end = days_before(as_of, 7 * w);
            let week_start = days_before(week_end, 6);
            let sum = |role| {
                by_day
                    .iter()
                    .filter(|d| {
                        d.party == role && d.occurred_on >= week_start && d.occurred_on <= week_end
                    })
                    .map(|d| d.quarter_hours)
                    .sum::<i64>()
            };
            WeekHours {
                week_start,
                week_end,
                staff_hours: hours(sum(ProjectRole::Staff)),
                consultant_hours: hours(sum(ProjectRole::Consultant)),
            }
        })
        .collect();

    // Commitment.
    let logged: HashMap<Uuid, i64> = by_user
        .iter()
        .map(|u| (u.user_id, u.quarter_hours))
        .collect();
    let member_rows: Vec<MemberCommitment> = members
        .iter()
        .map(|(m, u)| {
            let logged_qh = logged.get(&u.id).copied().unwrap_or(0);
            let committed_qh = 4 * i64::from(m.weekly_quarter_hours);
            let adherence = (m.role == ProjectRole::Staff && committed_qh > 0)
                .then(|| (logged_qh as f64 / committed_qh as f64).min(1.0));
            MemberCommitment {
                user_id: u.id,
                display_name: u.display_name.clone(),
                role: m.role,
                is_lead: m.is_lead,
                weekly_hours: f64::from(m.weekly_quarter_hours) / 4.0,
                hours_last_28_days: hours(logged_qh),
                committed_hours_28_days: hours(committed_qh),
                adherence,
            }
        })
        .collect();
    let adherences: Vec<f64> = member_rows.iter().filter_map(|m| m.adherence).collect();

    let components = Components {
        handoff_progress: ratio(stage_sum, 5.0 * n),
        ownership_coverage: ratio(owned as f64, n),
        staff_share: ratio(staff_qh as f64, (staff_qh + consultant_qh) as f64),
        commitment_adherence: ratio(adherences.iter().sum(), adherences.len() as f64),
    };

    // Knowledge areas.
    let active_staff: HashSet<Uuid> = members
        .iter()
        .filter(|(m, _)| m.role == ProjectRole::Staff)
        .map(|(_, u)| u.id)
        .collect();
    let area_of: HashMap<Uuid, &str> = milestones
        .iter()
        .map(|m| (m.id, m.knowledge_area.as_str()))
        .collect();
    #[derive(Default)]
    struct Area {
        milestones: u32,
        handed_off: u32,
        staff_qh: i64,
        consultant_qh: i64,
        people: BTreeSet<Uuid>,
    }
    let mut areas: BTreeMap<&str, Area> = BTreeMap::new();
    for m in &milestones {
        let a = areas.entry(m.knowledge_area.as_str()).or_default();
        a.milestones += 1;
        if m.stage == Stage::HandedOff {
            a.handed_off += 1;
            if let Some(owner) = m.staff_owner_id.filter(|o| active_staff.contains(o)) {
                a.people.insert(owner);
            }
        }
    }
    let mut hands_on: HashMap<(Uuid, Uuid), i64> = HashMap::new();
    for w in &work {
        let Some(area) = area_of.get(&w.milestone_id) else {
            continue;
        };
        let a = areas.entry(area).or_default();
        match w.party {
            ProjectRole::Staff => a.staff_qh += w.quarter_hours,
            ProjectRole::Consultant => a.consultant_qh += w.quarter_hours,
        }
        if w.kind.is_hands_on() && w.quarter_hours > 0 {
            *hands_on.entry((w.milestone_id, w.user_id)).or_default() += w.quarter_hours;
            if active_staff.contains(&w.user_id) {
                a.people.insert(w.user_id);
            }
        }
    }
    let knowledge_areas: Vec<AreaFigures> = areas
        .iter()
        .map(|(name, a)| AreaFigures {
            knowledge_area: (*name).to_owned(),
            milestones: a.milestones,
            handed_off: a.handed_off,
            staff_hours: hours(a.staff_qh),
            consultant_hours: hours(a.consultant_qh),
            bus_factor: a.people.len() as u32,
        })
        .collect();

    // Next actions, grouped by kind in DESIGN.md's order.
    let leads: Vec<Uuid> = members
        .iter()
        .filter(|(m, _)| m.role == ProjectRole::Staff && m.is_lead)
        .map(|(_, u)| u.id)
        .collect();
    let mut actions = Vec::new();
    let mut push = |kind,
                    user_id,
                    milestone_id,
                    knowledge_area: Option<String>,
                    detail: String,
                    days_waiting| {
        actions.push(NextAction {
            kind,
            user_id,
            milestone_id,
            knowledge_area,
            detail,
            days_waiting,
        });
    };
    for m in milestones.iter().filter(|m| m.staff_owner_id.is_none()) {
        for lead in &leads {
            push(
                NextActionKind::AssignStaffOwner,
                *lead,
                Some(m.id),
                None,
                format!("Name a staff owner for \"{}\".", m.title),
                None,
            );
        }
    }
    for m in milestones
        .iter()
        .filter(|m| m.stage == Stage::ReadyForSignoff)
    {
        if let Some(owner) = m.staff_owner_id {
            let days = (as_of - m.stage_entered_at.date_naive()).num_days().max(0);
            push(
                NextActionKind::SignOff,
                owner,
                Some(m.id),
                None,
                format!("\"{}\" has waited {days} days for your sign-off.", m.title),
                Some(days),
            );
        }
    }
    for m in milestones.iter().filter(|m| is_overdue(m)) {
        let due = m.due_date.map(|d| d.to_string()).unwrap_or_default();
        let detail = format!("\"{}\" was due on {due} and is not handed off.", m.title);
        match m.staff_owner_id {
            Some(owner) => push(
                NextActionKind::Overdue,
                owner,
                Some(m.id),
                None,
                detail,
                None,
            ),
            None => {
                for lead in &leads {
                    push(
                        NextActionKind::Overdue,
                        *lead,
                        Some(m.id),
                        None,
                        detail.clone(),
                        None,
                    );
                }
            }
        }
    }
    for m in milestones
        .iter()
        .filter(|m| m.stage == Stage::ReverseShadowing)
    {
        if let Some(owner) = m.staff_owner_id
            && hands_on.get(&(m.id, owner)).copied().unwrap_or(0) == 0
        {
            push(
                NextActionKind::HandsOnNeeded,
                owner,
                Some(m.id),
                None,
                format!(
                    "Do \"{}\" yourself and log execution or testing hours on it.",
                    m.title
                ),
                None,
            );
        }
    }
    if let Some(exit) = project.consultant_exit_date {
        for m in milestones
            .iter()
            .filter(|m| m.stage != Stage::HandedOff && m.due_date.is_some_and(|d| d > exit))
        {
            for lead in &leads {
                push(
                    NextActionKind::RescheduleBeforeExit,
                    *lead,
                    Some(m.id),
                    None,
                    format!(
                        "\"{}\" is due after the consultants leave on {exit}.",
                        m.title
                    ),
                    None,
                );
            }
        }
    }
    for area in knowledge_areas.iter().filter(|a| a.bus_factor <= 1) {
        for lead in &leads {
            push(
                NextActionKind::KnowledgeAtRisk,
                *lead,
                None,
                Some(area.knowledge_area.clone()),
                format!(
                    "Only {} staff member(s) can run \"{}\".",
                    area.bus_factor, area.knowledge_area
                ),
                None,
            );
        }
    }
    for m in member_rows
        .iter()
        .filter(|m| m.adherence.is_some_and(|a| a < 0.5))
    {
        push(
            NextActionKind::LogTime,
            m.user_id,
            None,
            None,
            format!(
                "{} of {} committed hours logged in the last 28 days.",
                m.hours_last_28_days, m.committed_hours_28_days
            ),
            None,
        );
    }

    let blockers = milestones
        .iter()
        .filter(|m| m.stage != Stage::HandedOff)
        .map(|m| Blocker {
            milestone_id: m.id,
            title: m.title.clone(),
            stage: m.stage,
        })
        .collect();
    Ok(ReadinessReport {
        project_id,
        as_of,
        score: score(&components),
        milestones: MilestoneCounts {
            total: milestones.len() as u32,
            by_stage,
            overdue: milestones.iter().filter(|m| is_overdue(m)).count() as u32,
            unowned: (milestones.len() - owned) as u32,
        },
        hours: Hours {
            staff_hours: hours(staff_qh),
            consultant_hours: hours(consultant_qh),
            weekly,
        },
        members: member_rows,
        knowledge_areas,
        blockers,
        next_actions: actions,
        components,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_score_weighs_the_components_and_rounds_halves_up() {
        let c = |hp, oc, ss, ca| Components {
            handoff_progress: hp,
            ownership_coverage: oc,
            staff_share: ss,
            commitment_adherence: ca,
        };
        assert_eq!(score(&c(0.0, 0.0, 0.0, 0.0)), 0);
        assert_eq!(score(&c(1.0, 1.0, 1.0, 1.0)), 100);
        // Staff share counts in full from one half of all hours.
        assert_eq!(score(&c(0.0, 0.0, 0.5, 0.0)), 25);
        assert_eq!(score(&c(0.0, 0.0, 0.25, 0.0)), 13); // 12.5 rounds up
        // 40 × 0.5 + 15 × 0.5 + 25 × 0.4 + 20 × 0.5 = 47.5 → 48
        assert_eq!(score(&c(0.5, 0.5, 0.2, 0.5)), 48);
    }
}
