//! The readiness report as a pure function of its inputs: no database, no clock. Whatever the
//! loader read for a project and a day goes in; the report comes out. Unit-tested here.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{Days, NaiveDate};
use uuid::Uuid;

use super::model::*;
use crate::{
    domain::{ProjectRole, Stage, ladder::Blocker},
    repo::readiness::{DayPartyHours, MilestoneRow, MilestoneWork, PartyHours, UserHours},
};

/// An active participant as the report needs them.
#[derive(Debug, Clone)]
pub struct Member {
    pub user_id: Uuid,
    pub display_name: String,
    pub role: ProjectRole,
    pub is_lead: bool,
    pub weekly_quarter_hours: i32,
}

/// Everything the report reads for one project on one day.
#[derive(Debug)]
pub struct Inputs {
    pub project_id: Uuid,
    pub as_of: NaiveDate,
    pub consultant_exit_date: Option<NaiveDate>,
    pub milestones: Vec<MilestoneRow>,
    pub members: Vec<Member>,
    /// Every activity on or before `as_of`, by party.
    pub by_party: Vec<PartyHours>,
    /// The [`CHART_DAYS`] days ending on `as_of`, by day and party.
    pub by_day: Vec<DayPartyHours>,
    /// The [`WINDOW_DAYS`] days ending on `as_of`, by person.
    pub by_user: Vec<UserHours>,
    /// Hours on milestones up to `as_of`, by milestone, person, party and kind.
    pub work: Vec<MilestoneWork>,
}

/// The commitment window (4 weeks) and the weekly chart (8 weeks), in days ending on `as_of`.
pub const WINDOW_DAYS: u64 = 28;
pub const CHART_DAYS: u64 = 56;

pub fn days_before(day: NaiveDate, n: u64) -> NaiveDate {
    day.checked_sub_days(Days::new(n)).unwrap_or(NaiveDate::MIN)
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

pub fn compute(inputs: &Inputs) -> ReadinessReport {
    let members = commitments(inputs);
    let components = components(inputs, &members);
    let knowledge_areas = knowledge_areas(inputs);
    let next_actions = next_actions(inputs, &members, &knowledge_areas);
    ReadinessReport {
        project_id: inputs.project_id,
        as_of: inputs.as_of,
        score: score(&components),
        milestones: milestone_counts(inputs),
        hours: hours_figures(inputs),
        members,
        knowledge_areas,
        blockers: blockers(inputs),
        next_actions,
        components,
    }
}

fn party_total(rows: &[PartyHours], role: ProjectRole) -> i64 {
    rows.iter()
        .filter(|p| p.party == role)
        .map(|p| p.quarter_hours)
        .sum()
}

fn components(inputs: &Inputs, members: &[MemberCommitment]) -> Components {
    let milestones = &inputs.milestones;
    let n = milestones.len() as f64;
    let owned = milestones.iter().filter(|m| m.staff_owner_id.is_some());
    let stage_sum: f64 = milestones.iter().map(|m| f64::from(m.stage.index())).sum();
    let staff = party_total(&inputs.by_party, ProjectRole::Staff) as f64;
    let consultant = party_total(&inputs.by_party, ProjectRole::Consultant) as f64;
    let adherences: Vec<f64> = members.iter().filter_map(|m| m.adherence).collect();
    Components {
        handoff_progress: ratio(stage_sum, 5.0 * n),
        ownership_coverage: ratio(owned.count() as f64, n),
        staff_share: ratio(staff, staff + consultant),
        commitment_adherence: ratio(adherences.iter().sum(), adherences.len() as f64),
    }
}

fn is_overdue(m: &MilestoneRow, as_of: NaiveDate) -> bool {
    m.stage != Stage::HandedOff && m.due_date.is_some_and(|d| d < as_of)
}

fn milestone_counts(inputs: &Inputs) -> MilestoneCounts {
    let milestones = &inputs.milestones;
    let mut by_stage = StageCounts::default();
    for m in milestones {
        *match m.stage {
            Stage::Planned => &mut by_stage.planned,
            Stage::ConsultantLed => &mut by_stage.consultant_led,
            Stage::Shadowing => &mut by_stage.shadowing,
            Stage::ReverseShadowing => &mut by_stage.reverse_shadowing,
            Stage::ReadyForSignoff => &mut by_stage.ready_for_signoff,
            Stage::HandedOff => &mut by_stage.handed_off,
        } += 1;
    }
    let count =
        |keep: &dyn Fn(&MilestoneRow) -> bool| milestones.iter().filter(|m| keep(m)).count();
    MilestoneCounts {
        total: milestones.len() as u32,
        by_stage,
        overdue: count(&|m| is_overdue(m, inputs.as_of)) as u32,
        unowned: count(&|m| m.staff_owner_id.is_none()) as u32,
    }
}

fn hours_figures(inputs: &Inputs) -> Hours {
    let weekly = (0..8u64)
        .rev()
        .map(|w| {
            let week_end = days_before(inputs.as_of, 7 * w);
            let week_start = days_before(week_end, 6);
            let sum = |role| {
                inputs
                    .by_day
                    .iter()
                    .filter(|d| d.party == role && (week_start..=week_end).contains(&d.occurred_on))
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
    Hours {
        staff_hours: hours(party_total(&inputs.by_party, ProjectRole::Staff)),
        consultant_hours: hours(party_total(&inputs.by_party, ProjectRole::Consultant)),
        weekly,
    }
}

fn commitments(inputs: &Inputs) -> Vec<MemberCommitment> {
    let logged: HashMap<Uuid, i64> = inputs
        .by_user
        .iter()
        .map(|u| (u.user_id, u.quarter_hours))
        .collect();
    inputs
        .members
        .iter()
        .map(|m| {
            let logged_qh = logged.get(&m.user_id).copied().unwrap_or(0);
            let committed_qh = 4 * i64::from(m.weekly_quarter_hours);
            let adherence = (m.role == ProjectRole::Staff && committed_qh > 0)
                .then(|| (logged_qh as f64 / committed_qh as f64).min(1.0));
            MemberCommitment {
                user_id: m.user_id,
                display_name: m.display_name.clone(),
                role: m.role,
                is_lead: m.is_lead,
                weekly_hours: f64::from(m.weekly_quarter_hours) / 4.0,
                hours_last_28_days: hours(logged_qh),
                committed_hours_28_days: hours(committed_qh),
                adherence,
            }
        })
        .collect()
}

fn active_staff(inputs: &Inputs) -> HashSet<Uuid> {
    inputs
        .members
        .iter()
        .filter(|m| m.role == ProjectRole::Staff)
        .map(|m| m.user_id)
        .collect()
}

#[derive(Default)]
struct Area {
    milestones: u32,
    handed_off: u32,
    staff_qh: i64,
    consultant_qh: i64,
    people: BTreeSet<Uuid>,
}

fn knowledge_areas(inputs: &Inputs) -> Vec<AreaFigures> {
    let staff = active_staff(inputs);
    let mut areas: BTreeMap<&str, Area> = BTreeMap::new();
    for m in &inputs.milestones {
        let a = areas.entry(m.knowledge_area.as_str()).or_default();
        a.milestones += 1;
        if m.stage == Stage::HandedOff {
            a.handed_off += 1;
            if let Some(owner) = m.staff_owner_id.filter(|o| staff.contains(o)) {
                a.people.insert(owner);
            }
        }
    }
    let area_of: HashMap<Uuid, &str> = inputs
        .milestones
        .iter()
        .map(|m| (m.id, m.knowledge_area.as_str()))
        .collect();
    for w in &inputs.work {
        let Some(area) = area_of.get(&w.milestone_id) else {
            continue;
        };
        let a = areas.entry(area).or_default();
        match w.party {
            ProjectRole::Staff => a.staff_qh += w.quarter_hours,
            ProjectRole::Consultant => a.consultant_qh += w.quarter_hours,
        }
        if w.kind.is_hands_on() && w.quarter_hours > 0 && staff.contains(&w.user_id) {
            a.people.insert(w.user_id);
        }
    }
    areas
        .into_iter()
        .map(|(name, a)| AreaFigures {
            knowledge_area: name.to_owned(),
            milestones: a.milestones,
            handed_off: a.handed_off,
            staff_hours: hours(a.staff_qh),
            consultant_hours: hours(a.consultant_qh),
            bus_factor: a.people.len() as u32,
        })
        .collect()
}

fn blockers(inputs: &Inputs) -> Vec<Blocker> {
    inputs
        .milestones
        .iter()
        .filter(|m| m.stage != Stage::HandedOff)
        .map(|m| Blocker {
            milestone_id: m.id,
            title: m.title.clone(),
            stage: m.stage,
        })
        .collect()
}

/// Collects next actions; each rule below adds its kind, in DESIGN.md's order.
struct Actions {
    leads: Vec<Uuid>,
    items: Vec<NextAction>,
}

impl Actions {
    fn add(&mut self, kind: NextActionKind, user_id: Uuid, detail: String) -> &mut NextAction {
        self.items.push(NextAction {
            kind,
            user_id,
            milestone_id: None,
            knowledge_area: None,
            detail,
            days_waiting: None,
        });
        let last = self.items.len() - 1;
        &mut self.items[last]
    }

    fn on_milestone(
        &mut self,
        kind: NextActionKind,
        user_id: Uuid,
        m: &MilestoneRow,
        detail: String,
    ) {
        self.add(kind, user_id, detail).milestone_id = Some(m.id);
    }

    fn for_leads(&mut self, kind: NextActionKind, m: &MilestoneRow, detail: &str) {
        for lead in self.leads.clone() {
            self.on_milestone(kind, lead, m, detail.to_owned());
        }
    }
}

fn next_actions(
    inputs: &Inputs,
    members: &[MemberCommitment],
    areas: &[AreaFigures],
) -> Vec<NextAction> {
    let leads = inputs
        .members
        .iter()
        .filter(|m| m.role == ProjectRole::Staff && m.is_lead)
        .map(|m| m.user_id)
        .collect();
    let mut actions = Actions {
        leads,
        items: Vec::new(),
    };
    assign_owners(inputs, &mut actions);
    sign_offs(inputs, &mut actions);
    overdue(inputs, &mut actions);
    hands_on_needed(inputs, &mut actions);
    reschedule_before_exit(inputs, &mut actions);
    knowledge_at_risk(areas, &mut actions);
    log_time(members, &mut actions);
    actions.items
}

fn assign_owners(inputs: &Inputs, actions: &mut Actions) {
    for m in inputs
        .milestones
        .iter()
        .filter(|m| m.staff_owner_id.is_none())
    {
        let detail = format!("Name a staff owner for \"{}\".", m.title);
        actions.for_leads(NextActionKind::AssignStaffOwner, m, &detail);
    }
}

fn sign_offs(inputs: &Inputs, actions: &mut Actions) {
    for m in inputs
        .milestones
        .iter()
        .filter(|m| m.stage == Stage::ReadyForSignoff)
    {
        if let Some(owner) = m.staff_owner_id {
            let days = (inputs.as_of - m.stage_entered_at.date_naive())
                .num_days()
                .max(0);
            let detail = format!("\"{}\" has waited {days} days for your sign-off.", m.title);
            let action = actions.add(NextActionKind::SignOff, owner, detail);
            action.milestone_id = Some(m.id);
            action.days_waiting = Some(days);
        }
    }
}

fn overdue(inputs: &Inputs, actions: &mut Actions) {
    for m in inputs
        .milestones
        .iter()
        .filter(|m| is_overdue(m, inputs.as_of))
    {
        let due = m.due_date.map(|d| d.to_string()).unwrap_or_default();
        let detail = format!("\"{}\" was due on {due} and is not handed off.", m.title);
        match m.staff_owner_id {
            Some(owner) => actions.on_milestone(NextActionKind::Overdue, owner, m, detail),
            None => actions.for_leads(NextActionKind::Overdue, m, &detail),
        }
    }
}

fn hands_on_needed(inputs: &Inputs, actions: &mut Actions) {
    let mut hands_on: HashMap<(Uuid, Uuid), i64> = HashMap::new();
    for w in inputs.work.iter().filter(|w| w.kind.is_hands_on()) {
        *hands_on.entry((w.milestone_id, w.user_id)).or_default() += w.quarter_hours;
    }
    for m in inputs
        .milestones
        .iter()
        .filter(|m| m.stage == Stage::ReverseShadowing)
    {
        if let Some(owner) = m.staff_owner_id
            && hands_on.get(&(m.id, owner)).copied().unwrap_or(0) <= 0
        {
            let detail = format!(
                "Do \"{}\" yourself and log execution or testing hours on it.",
                m.title
            );
            actions.on_milestone(NextActionKind::HandsOnNeeded, owner, m, detail);
        }
    }
}

fn reschedule_before_exit(inputs: &Inputs, actions: &mut Actions) {
    let Some(exit) = inputs.consultant_exit_date else {
        return;
    };
    let late =
        |m: &&MilestoneRow| m.stage != Stage::HandedOff && m.due_date.is_some_and(|d| d > exit);
    for m in inputs.milestones.iter().filter(late) {
        let detail = format!(
            "\"{}\" is due after the consultants leave on {exit}.",
            m.title
        );
        actions.for_leads(NextActionKind::RescheduleBeforeExit, m, &detail);
    }
}

fn knowledge_at_risk(areas: &[AreaFigures], actions: &mut Actions) {
    for area in areas.iter().filter(|a| a.bus_factor <= 1) {
        let detail = format!(
            "Only {} staff member(s) can run \"{}\".",
            area.bus_factor, area.knowledge_area
        );
        for lead in actions.leads.clone() {
            let action = actions.add(NextActionKind::KnowledgeAtRisk, lead, detail.clone());
            action.knowledge_area = Some(area.knowledge_area.clone());
        }
    }
}

fn log_time(members: &[MemberCommitment], actions: &mut Actions) {
    for m in members
        .iter()
        .filter(|m| m.adherence.is_some_and(|a| a < 0.5))
    {
        let detail = format!(
            "{} of {} committed hours logged in the last 28 days.",
            m.hours_last_28_days, m.committed_hours_28_days
        );
        actions.add(NextActionKind::LogTime, m.user_id, detail);
    }
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, TimeZone, Utc};

    use super::*;
    use crate::domain::ActivityKind;

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

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, d).unwrap_or_default()
    }

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn milestone(n: u128, area: &str, stage: Stage, owner: Option<Uuid>) -> MilestoneRow {
        MilestoneRow {
            id: id(100 + n),
            title: format!("M{n}"),
            knowledge_area: area.into(),
            stage,
            due_date: None,
            staff_owner_id: owner,
            stage_entered_at: Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap(),
        }
    }

    fn member(n: u128, role: ProjectRole, lead: bool, weekly_hours: i32) -> Member {
        Member {
            user_id: id(n),
            display_name: format!("P{n}"),
            role,
            is_lead: lead,
            weekly_quarter_hours: weekly_hours * 4,
        }
    }

    /// A lead (1) and a staff owner (2) committed 10 h a week, a consultant (3); three
    /// milestones, 30 h staff and 10 h consultant in all, 20 h by the owner in the window.
    fn project() -> Inputs {
        let (lead, owner) = (id(1), id(2));
        let mut late = milestone(3, "events", Stage::Planned, None);
        late.due_date = Some(day(1));
        Inputs {
            project_id: id(9),
            as_of: day(20),
            consultant_exit_date: None,
            milestones: vec![
                milestone(1, "dues", Stage::HandedOff, Some(owner)),
                milestone(2, "dues", Stage::ReadyForSignoff, Some(owner)),
                late,
            ],
            members: vec![
                member(1, ProjectRole::Staff, true, 0),
                member(2, ProjectRole::Staff, false, 10),
                member(3, ProjectRole::Consultant, false, 0),
            ],
            by_party: vec![
                PartyHours {
                    party: ProjectRole::Staff,
                    quarter_hours: 120,
                },
                PartyHours {
                    party: ProjectRole::Consultant,
                    quarter_hours: 40,
                },
            ],
            by_day: vec![],
            by_user: vec![UserHours {
                user_id: owner,
                quarter_hours: 80,
            }],
            work: vec![MilestoneWork {
                milestone_id: id(102),
                user_id: lead,
                party: ProjectRole::Staff,
                kind: ActivityKind::Execution,
                quarter_hours: 8,
            }],
        }
    }

    #[test]
    fn the_report_is_computed_from_its_inputs_alone() {
        let report = compute(&project());
        // handoff (5 + 4 + 0) / 15 = 0.6; owned 2/3; staff share 0.75; adherence 20/40 = 0.5.
        assert!((report.components.handoff_progress - 0.6).abs() < 1e-9);
        assert!((report.components.ownership_coverage - 2.0 / 3.0).abs() < 1e-9);
        assert!((report.components.staff_share - 0.75).abs() < 1e-9);
        assert!((report.components.commitment_adherence - 0.5).abs() < 1e-9);
        // 24 + 10 + 25 + 10 = 69
        assert_eq!(report.score, 69);
        assert_eq!(report.milestones.overdue, 1);
        assert_eq!(report.milestones.unowned, 1);
        assert_eq!(report.blockers.len(), 2);
        // dues: the owner of the handed-off milestone and the lead who did hands-on work.
        let dues = &report.knowledge_areas[0];
        assert_eq!((dues.knowledge_area.as_str(), dues.bus_factor), ("dues", 2));
    }

    #[test]
    fn next_actions_come_in_the_documented_order_each_to_its_person() {
        let report = compute(&project());
        let got: Vec<(NextActionKind, Uuid)> = report
            .next_actions
            .iter()
            .map(|a| (a.kind, a.user_id))
            .collect();
        assert_eq!(
            got,
            [
                (NextActionKind::AssignStaffOwner, id(1)),
                (NextActionKind::SignOff, id(2)),
                (NextActionKind::Overdue, id(1)),
                (NextActionKind::KnowledgeAtRisk, id(1)),
            ]
        );
        assert_eq!(report.next_actions[1].days_waiting, Some(19));
    }
}
