//! The readiness report, model 2 (DESIGN.md), as a pure function of its inputs: no database, no
//! clock. The loader reads the state of a project at the end of one day; the report comes out.
//! Every figure is an exact fraction of quarter hours or counts ([`Q`]); only the score is
//! rounded, and the thresholds compare exactly.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{Days, NaiveDate};
use num_rational::Ratio;
use uuid::Uuid;

use super::model::*;
use crate::{
    domain::{
        ProjectRole, Stage,
        action::{CHASE_AFTER_DAYS, OutsideParty, WaitingOn},
        away::Away,
        ladder::Blocker,
        test_script::{GateReason, ScriptBlocker, TestResult},
    },
    repo::readiness::{DayHours, MilestoneWork, PartyKindHours, UserDayHours},
};

/// An exact fraction.
pub type Q = Ratio<i128>;

/// W, the commitment and hands-on window; P is the same length before it; R the recent half.
pub const WINDOW_DAYS: u64 = 28;
pub const RECENT_DAYS: u64 = 14;
/// The hours the loader reads day by day: P and W (also the eight 7-day windows).
pub const HISTORY_DAYS: u64 = 56;
/// One hour, in quarter hours: the hands-on threshold.
const ONE_HOUR: i64 = 4;

/// A milestone as it stood at the end of the day.
#[derive(Debug, Clone)]
pub struct MilestoneAt {
    pub id: Uuid,
    pub title: String,
    pub knowledge_area: String,
    pub stage: Stage,
    /// The day it entered `stage` (none while `planned` since creation).
    pub stage_since: Option<NaiveDate>,
    pub due_date: Option<NaiveDate>,
    pub staff_owner_id: Option<Uuid>,
}

/// A participation's lead flag, commitment and away periods from the end of day `from` on.
#[derive(Debug, Clone)]
pub struct Terms {
    pub from: NaiveDate,
    pub is_lead: bool,
    pub weekly_quarter_hours: i32,
    pub away: Away,
}

/// A participation: active from the day it was joined until the day it was left (not active at
/// the end of that day), its terms over time (oldest first, never empty).
#[derive(Debug, Clone)]
pub struct Participant {
    pub user_id: Uuid,
    pub display_name: String,
    pub role: ProjectRole,
    pub joined_on: NaiveDate,
    pub left_on: Option<NaiveDate>,
    pub terms: Vec<Terms>,
}

impl Participant {
    pub fn active_on(&self, day: NaiveDate) -> bool {
        self.joined_on <= day && self.left_on.is_none_or(|left| left > day)
    }

    /// The terms in force at the end of `day`.
    pub fn terms_on(&self, day: NaiveDate) -> &Terms {
        self.terms
            .iter()
            .rev()
            .find(|t| t.from <= day)
            .unwrap_or(&self.terms[0])
    }
}

/// An agreed action open at the end of the day.
#[derive(Debug, Clone)]
pub struct ActionAt {
    pub id: Uuid,
    pub title: String,
    pub owner_id: Uuid,
    pub agreed_on: NaiveDate,
    pub due_date: Option<NaiveDate>,
    /// Whom it waits on, and since when (only when it already did on the day).
    pub waiting: Option<(WaitingOn, NaiveDate)>,
}

/// A test script that existed at the end of the day.
#[derive(Debug, Clone)]
pub struct ScriptAt {
    pub id: Uuid,
    pub title: String,
    pub critical: bool,
    pub owner_id: Uuid,
}

/// A run of a test script recorded by the end of the day, in the order recorded.
#[derive(Debug, Clone)]
pub struct RunAt {
    pub script_id: Uuid,
    pub party: ProjectRole,
    pub result: TestResult,
    pub occurred_on: NaiveDate,
}

/// Everything the report reads for one project at the end of one day.
#[derive(Debug, Clone)]
pub struct Inputs {
    pub project_id: Uuid,
    pub as_of: NaiveDate,
    pub frozen: bool,
    pub start_date: Option<NaiveDate>,
    pub go_live_date: Option<NaiveDate>,
    pub consultant_exit_date: Option<NaiveDate>,
    pub milestones: Vec<MilestoneAt>,
    /// Every participation joined by the end of `as_of`.
    pub participants: Vec<Participant>,
    /// Hours on or before `as_of`, by party and kind.
    pub to_date: Vec<PartyKindHours>,
    /// The [`HISTORY_DAYS`] days ending on `as_of`, by day, party and kind.
    pub by_day: Vec<DayHours>,
    /// W, by person and day.
    pub by_user_day: Vec<UserDayHours>,
    /// Hours on milestones on or before `as_of`.
    pub work: Vec<MilestoneWork>,
    /// Hours on milestones in R.
    pub recent_work: Vec<MilestoneWork>,
    /// Agreed actions open at the end of `as_of`.
    pub actions: Vec<ActionAt>,
    pub scripts: Vec<ScriptAt>,
    /// The runs of `scripts` recorded by the end of `as_of`, in the order recorded.
    pub runs: Vec<RunAt>,
}

pub fn days_before(day: NaiveDate, n: u64) -> NaiveDate {
    day.checked_sub_days(Days::new(n)).unwrap_or(NaiveDate::MIN)
}

fn q(part: i64, whole: i64) -> Q {
    if whole == 0 {
        Q::from_integer(0)
    } else {
        Q::new(i128::from(part), i128::from(whole))
    }
}

fn float(value: Q) -> f64 {
    *value.numer() as f64 / *value.denom() as f64
}

fn hours(quarter_hours: i64) -> f64 {
    quarter_hours as f64 / 4.0
}

/// The exact components, before they are reported as numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exact {
    pub handoff_progress: Q,
    pub ownership_coverage: Q,
    pub staff_hands_on_share: Q,
    pub commitment_adherence: Q,
    pub on_schedule: Q,
}

/// round(100 × (0.35 hp + 0.10 oc + 0.25 min(1, hs / 0.5) + 0.20 ca + 0.10 os)), halves up,
/// from the exact value.
pub fn score(c: &Exact) -> u32 {
    let n = |v: i128| Q::from_integer(v);
    let hands_on = (c.staff_hands_on_share * n(2)).min(n(1));
    let hundredfold = n(35) * c.handoff_progress
        + n(10) * c.ownership_coverage
        + n(25) * hands_on
        + n(20) * c.commitment_adherence
        + n(10) * c.on_schedule;
    (hundredfold + Q::new(1, 2))
        .floor()
        .to_integer()
        .clamp(0, 100) as u32
}

/// What the rules below share: who is where on the day, and the hands-on hours per milestone.
struct Day<'a> {
    inputs: &'a Inputs,
    /// Participations active at the end of the day.
    active: Vec<&'a Participant>,
    staff: HashSet<Uuid>,
    away: HashSet<Uuid>,
    /// Staff leads active and not away (every active staff lead when all are away).
    leads: Vec<Uuid>,
    /// Hands-on quarter hours up to the day, by (milestone, person).
    hands_on: HashMap<(Uuid, Uuid), i64>,
    /// Hands-on quarter hours in R, by (milestone, person).
    recent_hands_on: HashMap<(Uuid, Uuid), i64>,
}

fn hands_on_by_milestone(work: &[MilestoneWork]) -> HashMap<(Uuid, Uuid), i64> {
    let mut sums = HashMap::new();
    for w in work.iter().filter(|w| w.hands_on_quarter_hours != 0) {
        *sums.entry((w.milestone_id, w.user_id)).or_default() += w.hands_on_quarter_hours;
    }
    sums
}

impl<'a> Day<'a> {
    fn new(inputs: &'a Inputs) -> Day<'a> {
        let d = inputs.as_of;
        let active: Vec<&Participant> = inputs
            .participants
            .iter()
            .filter(|p| p.active_on(d))
            .collect();
        let staff = active
            .iter()
            .filter(|p| p.role == ProjectRole::Staff)
            .map(|p| p.user_id)
            .collect();
        let away: HashSet<Uuid> = active
            .iter()
            .filter(|p| p.terms_on(d).away.covers(d))
            .map(|p| p.user_id)
            .collect();
        let all_leads: Vec<Uuid> = active
            .iter()
            .filter(|p| p.role == ProjectRole::Staff && p.terms_on(d).is_lead)
            .map(|p| p.user_id)
            .collect();
        let present: Vec<Uuid> = all_leads
            .iter()
            .copied()
            .filter(|l| !away.contains(l))
            .collect();
        Day {
            inputs,
            staff,
            leads: if present.is_empty() {
                all_leads
            } else {
                present
            },
            away,
            active,
            hands_on: hands_on_by_milestone(&inputs.work),
            recent_hands_on: hands_on_by_milestone(&inputs.recent_work),
        }
    }

    fn owner(&self, m: &MilestoneAt) -> Option<Uuid> {
        m.staff_owner_id.filter(|o| self.staff.contains(o))
    }

    fn hands_on(&self, m: &MilestoneAt, user: Uuid) -> i64 {
        self.hands_on.get(&(m.id, user)).copied().unwrap_or(0)
    }

    fn recent_hands_on(&self, m: &MilestoneAt, user: Uuid) -> i64 {
        self.recent_hands_on
            .get(&(m.id, user))
            .copied()
            .unwrap_or(0)
    }

    /// The stage index, except: at most 2 without an active staff owner, and 2 from
    /// `reverse_shadowing` on while that owner has under one hands-on hour on it.
    fn credit(&self, m: &MilestoneAt) -> i64 {
        let index = i64::from(m.stage.index());
        match self.owner(m) {
            None => index.min(2),
            Some(owner) if index >= 3 && self.hands_on(m, owner) < ONE_HOUR => 2,
            Some(_) => index,
        }
    }

    fn on_schedule(&self, m: &MilestoneAt) -> bool {
        m.stage == Stage::HandedOff || m.due_date.is_some_and(|due| due >= self.inputs.as_of)
    }

    fn overdue(&self, m: &MilestoneAt) -> bool {
        m.stage != Stage::HandedOff && m.due_date.is_some_and(|due| due < self.inputs.as_of)
    }

    fn available(&self, user: Uuid) -> bool {
        self.active.iter().any(|p| p.user_id == user) && !self.away.contains(&user)
    }
}

/// Hours of a party and kind filter over some rows.
fn sum<'r, R: 'r>(
    rows: impl IntoIterator<Item = &'r R>,
    keep: impl Fn(&R) -> bool,
    qh: impl Fn(&R) -> i64,
) -> i64 {
    rows.into_iter().filter(|r| keep(r)).map(qh).sum()
}

/// Staff and all hours among `rows` (hands-on only when asked).
fn split<'r>(rows: impl IntoIterator<Item = &'r DayHours> + Clone, hands_on: bool) -> (i64, i64) {
    let keep = |r: &DayHours| !hands_on || r.kind.is_hands_on();
    let staff = sum(
        rows.clone(),
        |r| keep(r) && r.party == ProjectRole::Staff,
        |r| r.quarter_hours,
    );
    (staff, sum(rows, keep, |r| r.quarter_hours))
}

fn in_days(rows: &[DayHours], from: NaiveDate, to: NaiveDate) -> Vec<&DayHours> {
    rows.iter()
        .filter(|r| (from..=to).contains(&r.occurred_on))
        .collect()
}

/// One staff member's commitment over W, times 7 (so that weekly hours / 7 per day stays whole).
#[derive(Debug, Default, Clone, Copy)]
struct Commitment {
    expected7: i64,
    credited7: i64,
    counted_days: u32,
}

/// Commitment by person, for everyone who was active staff on some day of W.
fn commitments(inputs: &Inputs) -> BTreeMap<Uuid, Commitment> {
    let d = inputs.as_of;
    let mut logged: HashMap<(Uuid, NaiveDate), i64> = HashMap::new();
    for r in &inputs.by_user_day {
        *logged.entry((r.user_id, r.occurred_on)).or_default() += r.quarter_hours;
    }
    let staff: BTreeSet<Uuid> = inputs
        .participants
        .iter()
        .filter(|p| p.role == ProjectRole::Staff)
        .map(|p| p.user_id)
        .collect();
    let mut out = BTreeMap::new();
    for user in staff {
        let theirs: Vec<&Participant> = inputs
            .participants
            .iter()
            .filter(|p| p.user_id == user && p.role == ProjectRole::Staff)
            .collect();
        let mut c = Commitment::default();
        let mut active_in_window = false;
        for bucket in 0..4u64 {
            let end = days_before(d, 7 * (3 - bucket));
            let (mut expected7, mut logged_qh) = (0, 0);
            for offset in (0..7u64).rev() {
                let day = days_before(end, offset);
                logged_qh += logged.get(&(user, day)).copied().unwrap_or(0);
                let Some(p) = theirs.iter().find(|p| p.active_on(day)) else {
                    continue;
                };
                active_in_window = true;
                // Away periods as they stood at the end of D: leave recorded later excuses.
                let away = p.terms_on(d).away.covers(day);
                let started = inputs.start_date.is_none_or(|start| day >= start);
                if !away && started {
                    c.counted_days += 1;
                    expected7 += i64::from(p.terms_on(day).weekly_quarter_hours);
                }
            }
            c.expected7 += expected7;
            c.credited7 += (7 * logged_qh).min(expected7);
        }
        if active_in_window {
            out.insert(user, c);
        }
    }
    out
}

pub fn compute(inputs: &Inputs) -> ReadinessReport {
    let day = Day::new(inputs);
    let commitments = commitments(inputs);
    let exact = components(&day, &commitments);
    let members = members(&day, &commitments);
    let knowledge_areas = knowledge_areas(&day);
    let signals = signals(&day);
    let tested = Tested::of(&inputs.scripts, &inputs.runs);
    let next_actions = next_actions(
        &day,
        &commitments,
        &knowledge_areas,
        signals.stalled,
        &tested,
    );
    ReadinessReport {
        model: MODEL,
        project_id: inputs.project_id,
        as_of: inputs.as_of,
        frozen: inputs.frozen,
        score: score(&exact),
        components: Components {
            handoff_progress: float(exact.handoff_progress),
            ownership_coverage: float(exact.ownership_coverage),
            staff_hands_on_share: float(exact.staff_hands_on_share),
            commitment_adherence: float(exact.commitment_adherence),
            on_schedule: float(exact.on_schedule),
        },
        signals,
        milestones: milestone_counts(&day),
        hours: hours_figures(inputs),
        members,
        knowledge_areas,
        blockers: blockers(inputs),
        testing: tested.figures(&inputs.scripts),
        next_actions,
    }
}

/// Each script's latest run by anyone and latest run by staff ("latest": by `occurred_on`,
/// then by the order recorded).
pub struct Tested {
    latest: HashMap<Uuid, RunAt>,
    latest_staff: HashMap<Uuid, RunAt>,
}

impl Tested {
    pub fn of(scripts: &[ScriptAt], runs: &[RunAt]) -> Tested {
        let known: HashSet<Uuid> = scripts.iter().map(|s| s.id).collect();
        let mut tested = Tested {
            latest: HashMap::new(),
            latest_staff: HashMap::new(),
        };
        // Runs come in the order recorded, so a later one on the same day replaces.
        for run in runs.iter().filter(|r| known.contains(&r.script_id)) {
            let keep = |map: &mut HashMap<Uuid, RunAt>| {
                let newer = map
                    .get(&run.script_id)
                    .is_none_or(|seen| seen.occurred_on <= run.occurred_on);
                if newer {
                    map.insert(run.script_id, run.clone());
                }
            };
            keep(&mut tested.latest);
            if run.party == ProjectRole::Staff {
                keep(&mut tested.latest_staff);
            }
        }
        tested
    }

    /// Whether `script`'s latest staff run passed.
    pub fn passed_by_staff(&self, script: Uuid) -> bool {
        self.latest_staff
            .get(&script)
            .is_some_and(|r| r.result == TestResult::Passed)
    }

    fn failing(&self, script: Uuid) -> bool {
        self.latest
            .get(&script)
            .is_some_and(|r| r.result == TestResult::Failed)
    }

    /// Why `script` (critical) keeps the go-live gate shut, if it does.
    fn gate_reason(&self, script: Uuid) -> Option<GateReason> {
        match self.latest_staff.get(&script) {
            None => Some(GateReason::NeverRunByStaff),
            Some(r) if r.result == TestResult::Failed => Some(GateReason::LastStaffRunFailed),
            Some(_) if self.failing(script) => Some(GateReason::LastRunFailed),
            Some(_) => None,
        }
    }

    /// The go-live gate over `scripts`.
    pub fn gate(&self, scripts: &[ScriptAt]) -> GoLiveGate {
        let blockers: Vec<ScriptBlocker> = scripts
            .iter()
            .filter(|s| s.critical)
            .filter_map(|s| {
                self.gate_reason(s.id).map(|reason| ScriptBlocker {
                    script_id: s.id,
                    title: s.title.clone(),
                    reason,
                })
            })
            .collect();
        GoLiveGate {
            open: blockers.is_empty(),
            blockers,
        }
    }

    fn figures(&self, scripts: &[ScriptAt]) -> Testing {
        let count = |keep: &dyn Fn(&ScriptAt) -> bool| scripts.iter().filter(|s| keep(s)).count();
        Testing {
            scripts: scripts.len() as u32,
            critical_scripts: count(&|s| s.critical) as u32,
            critical_passed_by_staff: count(&|s| s.critical && self.passed_by_staff(s.id)) as u32,
            failing: count(&|s| self.failing(s.id)) as u32,
            go_live_gate: self.gate(scripts),
        }
    }
}

fn components(day: &Day<'_>, commitments: &BTreeMap<Uuid, Commitment>) -> Exact {
    let inputs = day.inputs;
    let milestones = &inputs.milestones;
    let n = milestones.len() as i64;
    let count =
        |keep: &dyn Fn(&MilestoneAt) -> bool| milestones.iter().filter(|m| keep(m)).count() as i64;
    let credits: i64 = milestones.iter().map(|m| day.credit(m)).sum();
    let window = in_days(
        &inputs.by_day,
        days_before(inputs.as_of, WINDOW_DAYS - 1),
        inputs.as_of,
    );
    let (staff_hands_on, all_hands_on) = split(window.iter().copied(), true);
    let expected: i64 = commitments.values().map(|c| c.expected7).sum();
    let credited: i64 = commitments.values().map(|c| c.credited7).sum();
    Exact {
        handoff_progress: q(credits, 5 * n),
        ownership_coverage: q(count(&|m| day.owner(m).is_some()), n),
        staff_hands_on_share: q(staff_hands_on, all_hands_on),
        commitment_adherence: q(credited, expected),
        on_schedule: q(count(&|m| day.on_schedule(m)), n),
    }
}

fn signals(day: &Day<'_>) -> Signals {
    let inputs = day.inputs;
    let d = inputs.as_of;
    let window = in_days(&inputs.by_day, days_before(d, WINDOW_DAYS - 1), d);
    let previous = in_days(
        &inputs.by_day,
        days_before(d, HISTORY_DAYS - 1),
        days_before(d, WINDOW_DAYS),
    );
    let recent = in_days(&inputs.by_day, days_before(d, RECENT_DAYS - 1), d);
    let to_date = |hands_on: bool| {
        let keep = |r: &PartyKindHours| !hands_on || r.kind.is_hands_on();
        let staff = sum(
            &inputs.to_date,
            |r| keep(r) && r.party == ProjectRole::Staff,
            |r| r.quarter_hours,
        );
        (staff, sum(&inputs.to_date, keep, |r| r.quarter_hours))
    };
    let share = |(staff, all): (i64, i64)| q(staff, all);
    let hands_on_now = share(split(window.iter().copied(), true));
    let (prev_staff, prev_all) = split(previous.iter().copied(), true);
    let hands_on_before = (prev_all > 0).then(|| q(prev_staff, prev_all));
    let drifting = hands_on_before.is_some_and(|before| hands_on_now < before - Q::new(3, 20));
    let (_, all_recent) = split(recent.iter().copied(), false);
    let (_, all_to_date) = to_date(false);
    let committed = |role| {
        let qh: i64 = day
            .active
            .iter()
            .filter(|p| p.role == role)
            .map(|p| i64::from(p.terms_on(d).weekly_quarter_hours))
            .sum();
        hours(qh)
    };
    Signals {
        shares: Shares {
            staff_share_to_date: float(share(to_date(false))),
            staff_share_recent: float(share(split(window.iter().copied(), false))),
            staff_hands_on_share_to_date: float(share(to_date(true))),
            staff_hands_on_share: float(hands_on_now),
            staff_hands_on_share_previous: hands_on_before.map(float),
        },
        drifting,
        stalled: all_recent == 0 && all_to_date > 0,
        days_to_go_live: inputs.go_live_date.map(|g| (g - d).num_days()),
        days_to_consultant_exit: inputs.consultant_exit_date.map(|e| (e - d).num_days()),
        committed_hours_per_week: CommittedHours {
            staff: committed(ProjectRole::Staff),
            consultant: committed(ProjectRole::Consultant),
        },
    }
}

fn milestone_counts(day: &Day<'_>) -> MilestoneCounts {
    let milestones = &day.inputs.milestones;
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
    MilestoneCounts {
        total: milestones.len() as u32,
        by_stage,
        overdue: milestones.iter().filter(|m| day.overdue(m)).count() as u32,
        unowned: milestones.iter().filter(|m| day.owner(m).is_none()).count() as u32,
    }
}

fn hours_figures(inputs: &Inputs) -> Hours {
    let windows = (0..8u64)
        .rev()
        .map(|k| {
            let window_end = days_before(inputs.as_of, 7 * k);
            let window_start = days_before(window_end, 6);
            let rows = in_days(&inputs.by_day, window_start, window_end);
            let of = |role: ProjectRole, hands_on: bool| {
                hours(sum(
                    rows.iter().copied(),
                    |r| r.party == role && (!hands_on || r.kind.is_hands_on()),
                    |r| r.quarter_hours,
                ))
            };
            WindowHours {
                window_start,
                window_end,
                staff_hours: of(ProjectRole::Staff, false),
                consultant_hours: of(ProjectRole::Consultant, false),
                staff_hands_on_hours: of(ProjectRole::Staff, true),
                consultant_hands_on_hours: of(ProjectRole::Consultant, true),
            }
        })
        .collect();
    let party = |role| {
        hours(sum(
            &inputs.to_date,
            |r| r.party == role,
            |r| r.quarter_hours,
        ))
    };
    Hours {
        staff_hours: party(ProjectRole::Staff),
        consultant_hours: party(ProjectRole::Consultant),
        windows,
    }
}

fn members(day: &Day<'_>, commitments: &BTreeMap<Uuid, Commitment>) -> Vec<MemberCommitment> {
    let d = day.inputs.as_of;
    let mut in_window: HashMap<Uuid, i64> = HashMap::new();
    for r in &day.inputs.by_user_day {
        *in_window.entry(r.user_id).or_default() += r.quarter_hours;
    }
    day.active
        .iter()
        .map(|p| {
            let terms = p.terms_on(d);
            let c = commitments
                .get(&p.user_id)
                .filter(|_| p.role == ProjectRole::Staff)
                .copied()
                .unwrap_or_default();
            MemberCommitment {
                user_id: p.user_id,
                display_name: p.display_name.clone(),
                role: p.role,
                is_lead: terms.is_lead,
                weekly_hours: hours(i64::from(terms.weekly_quarter_hours)),
                away: day.away.contains(&p.user_id),
                hours_in_window: hours(in_window.get(&p.user_id).copied().unwrap_or(0)),
                expected_hours: c.expected7 as f64 / 28.0,
                credited_hours: c.credited7 as f64 / 28.0,
                adherence: (c.expected7 > 0).then(|| float(q(c.credited7, c.expected7))),
            }
        })
        .collect()
}

/// A knowledge area's key: trimmed, inner whitespace collapsed, case ignored.
pub fn area_key(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

#[derive(Default)]
struct Area<'a> {
    spellings: BTreeMap<&'a str, u32>,
    milestones: u32,
    handed_off: u32,
    staff_qh: i64,
    consultant_qh: i64,
    people: BTreeSet<Uuid>,
    hands_on: HashMap<Uuid, i64>,
}

fn knowledge_areas(day: &Day<'_>) -> Vec<AreaFigures> {
    let inputs = day.inputs;
    let mut areas: BTreeMap<String, Area> = BTreeMap::new();
    let mut area_of: HashMap<Uuid, String> = HashMap::new();
    for m in &inputs.milestones {
        let key = area_key(&m.knowledge_area);
        let a = areas.entry(key.clone()).or_default();
        *a.spellings.entry(m.knowledge_area.trim()).or_default() += 1;
        a.milestones += 1;
        if m.stage == Stage::HandedOff {
            a.handed_off += 1;
            if let Some(owner) = day.owner(m) {
                a.people.insert(owner);
            }
        }
        area_of.insert(m.id, key);
    }
    for w in &inputs.work {
        let Some(a) = area_of.get(&w.milestone_id).and_then(|k| areas.get_mut(k)) else {
            continue;
        };
        match w.party {
            ProjectRole::Staff => a.staff_qh += w.quarter_hours,
            ProjectRole::Consultant => a.consultant_qh += w.quarter_hours,
        }
        if w.hands_on_quarter_hours != 0 {
            *a.hands_on.entry(w.user_id).or_default() += w.hands_on_quarter_hours;
        }
    }
    areas
        .into_values()
        .map(|mut a| {
            let doers = a
                .hands_on
                .iter()
                .filter(|(user, qh)| **qh >= ONE_HOUR && day.staff.contains(user))
                .map(|(user, _)| *user);
            a.people.extend(doers);
            // The most frequent spelling; ties go to the smallest (the map is in byte order).
            let most = a.spellings.values().copied().max().unwrap_or(0);
            let name = a
                .spellings
                .iter()
                .find(|(_, n)| **n == most)
                .map(|(s, _)| (*s).to_owned())
                .unwrap_or_default();
            AreaFigures {
                knowledge_area: name,
                milestones: a.milestones,
                handed_off: a.handed_off,
                staff_hours: hours(a.staff_qh),
                consultant_hours: hours(a.consultant_qh),
                bus_factor: a.people.len() as u32,
            }
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
struct Actions<'d, 'a> {
    day: &'d Day<'a>,
    items: Vec<NextAction>,
}

impl Actions<'_, '_> {
    fn push(&mut self, kind: NextActionKind, user_id: Uuid, detail: String) -> &mut NextAction {
        self.items.push(NextAction {
            kind,
            user_id,
            milestone_id: None,
            knowledge_areas: None,
            on_behalf_of: None,
            detail,
            days_waiting: None,
            action_id: None,
            age_days: None,
            waiting_on: None,
            script_id: None,
        });
        let last = self.items.len() - 1;
        &mut self.items[last]
    }

    fn for_leads(&mut self, kind: NextActionKind, milestone: Option<Uuid>, detail: &str) {
        for lead in self.day.leads.clone() {
            self.push(kind, lead, detail.to_owned()).milestone_id = milestone;
        }
    }

    /// To `person`, or, when they are away or no longer an active member, to each staff lead
    /// on their behalf.
    fn for_person(
        &mut self,
        kind: NextActionKind,
        person: Uuid,
        milestone: Option<Uuid>,
        detail: String,
    ) {
        if self.day.available(person) {
            self.push(kind, person, detail).milestone_id = milestone;
            return;
        }
        for lead in self.day.leads.clone() {
            let item = self.push(kind, lead, detail.clone());
            item.milestone_id = milestone;
            item.on_behalf_of = Some(person);
        }
    }
}

fn next_actions(
    day: &Day<'_>,
    commitments: &BTreeMap<Uuid, Commitment>,
    areas: &[AreaFigures],
    stalled: bool,
    tested: &Tested,
) -> Vec<NextAction> {
    let mut actions = Actions {
        day,
        items: Vec::new(),
    };
    assign_owners(day, &mut actions);
    sign_offs(day, &mut actions);
    overdue(day, &mut actions);
    hands_on_needed(day, &mut actions);
    reschedule_before_exit(day, &mut actions);
    knowledge_at_risk(areas, &mut actions);
    log_time(day, commitments, &mut actions);
    step_back(day, &mut actions);
    if stalled {
        let detail =
            "Nothing was logged in the last 14 days: restart the work or record why it paused.";
        actions.for_leads(NextActionKind::ProjectStalled, None, detail);
    }
    agreed(day, &mut actions);
    chase(day, &mut actions);
    run_test_scripts(day, tested, &mut actions);
    fix_failing_tests(day, tested, &mut actions);
    owner_away(day, &mut actions);
    actions.items
}

fn assign_owners(day: &Day<'_>, actions: &mut Actions<'_, '_>) {
    for m in day
        .inputs
        .milestones
        .iter()
        .filter(|m| day.owner(m).is_none())
    {
        let why = match m.staff_owner_id {
            None => String::new(),
            Some(named) => {
                let left = day
                    .inputs
                    .participants
                    .iter()
                    .filter(|p| p.user_id == named)
                    .filter_map(|p| p.left_on.map(|l| (l, p.display_name.as_str())))
                    .max();
                match left {
                    Some((on, name)) => format!(" {name}, its owner, left the project on {on}."),
                    None => " Its owner is no longer an active staff member.".to_owned(),
                }
            }
        };
        let detail = format!("Name a staff owner for \"{}\".{why}", m.title);
        actions.for_leads(NextActionKind::AssignStaffOwner, Some(m.id), &detail);
    }
}

fn sign_offs(day: &Day<'_>, actions: &mut Actions<'_, '_>) {
    let d = day.inputs.as_of;
    for m in day
        .inputs
        .milestones
        .iter()
        .filter(|m| m.stage == Stage::ReadyForSignoff)
    {
        // Only the owner can sign; an owner away is reported to the leads as `owner_away`.
        if let Some(owner) = day.owner(m).filter(|o| !day.away.contains(o)) {
            let days = m
                .stage_since
                .map_or(0, |since| (d - since).num_days().max(0));
            let detail = format!("\"{}\" has waited {days} days for your sign-off.", m.title);
            let item = actions.push(NextActionKind::SignOff, owner, detail);
            item.milestone_id = Some(m.id);
            item.days_waiting = Some(days);
        }
    }
}

fn overdue(day: &Day<'_>, actions: &mut Actions<'_, '_>) {
    for m in day.inputs.milestones.iter().filter(|m| day.overdue(m)) {
        let due = m.due_date.map(|d| d.to_string()).unwrap_or_default();
        let detail = format!("\"{}\" was due on {due} and is not handed off.", m.title);
        match day.owner(m) {
            Some(owner) => actions.for_person(NextActionKind::Overdue, owner, Some(m.id), detail),
            None => actions.for_leads(NextActionKind::Overdue, Some(m.id), &detail),
        }
    }
}

fn hands_on_needed(day: &Day<'_>, actions: &mut Actions<'_, '_>) {
    for m in day
        .inputs
        .milestones
        .iter()
        .filter(|m| m.stage == Stage::ReverseShadowing)
    {
        if let Some(owner) = day.owner(m).filter(|o| !day.away.contains(o))
            && day.hands_on(m, owner) < ONE_HOUR
        {
            let detail = format!(
                "Do \"{}\" yourself and log at least an hour of execution or testing on it.",
                m.title
            );
            actions
                .push(NextActionKind::HandsOnNeeded, owner, detail)
                .milestone_id = Some(m.id);
        }
    }
}

fn reschedule_before_exit(day: &Day<'_>, actions: &mut Actions<'_, '_>) {
    let Some(exit) = day.inputs.consultant_exit_date else {
        return;
    };
    if day.inputs.as_of > exit {
        return;
    }
    let late =
        |m: &&MilestoneAt| m.stage != Stage::HandedOff && m.due_date.is_none_or(|d| d > exit);
    for m in day.inputs.milestones.iter().filter(late) {
        let detail = match m.due_date {
            Some(due) => format!(
                "\"{}\" is due on {due}, after the consultants leave on {exit}.",
                m.title
            ),
            None => format!(
                "\"{}\" has no due date; the consultants leave on {exit}.",
                m.title
            ),
        };
        actions.for_leads(NextActionKind::RescheduleBeforeExit, Some(m.id), &detail);
    }
}

fn knowledge_at_risk(areas: &[AreaFigures], actions: &mut Actions<'_, '_>) {
    let at_risk: Vec<String> = areas
        .iter()
        .filter(|a| a.bus_factor <= 1)
        .map(|a| a.knowledge_area.clone())
        .collect();
    if at_risk.is_empty() {
        return;
    }
    let detail = format!(
        "At most one staff member can run: {}. Pair someone up.",
        at_risk.join(", ")
    );
    for lead in actions.day.leads.clone() {
        actions
            .push(NextActionKind::KnowledgeAtRisk, lead, detail.clone())
            .knowledge_areas = Some(at_risk.clone());
    }
}

fn log_time(
    day: &Day<'_>,
    commitments: &BTreeMap<Uuid, Commitment>,
    actions: &mut Actions<'_, '_>,
) {
    for p in day
        .active
        .iter()
        .filter(|p| p.role == ProjectRole::Staff && !day.away.contains(&p.user_id))
    {
        let Some(c) = commitments.get(&p.user_id) else {
            continue;
        };
        // Nothing expected, nothing owed: adherence is defined only against a commitment.
        if c.counted_days >= 7 && c.expected7 > 0 && q(c.credited7, c.expected7) < Q::new(1, 2) {
            let detail = format!(
                "{} of the {} hours you committed in the last 28 days are logged.",
                c.credited7 as f64 / 28.0,
                c.expected7 as f64 / 28.0
            );
            actions.push(NextActionKind::LogTime, p.user_id, detail);
        }
    }
}

fn step_back(day: &Day<'_>, actions: &mut Actions<'_, '_>) {
    let consultants: Vec<Uuid> = day
        .active
        .iter()
        .filter(|p| p.role == ProjectRole::Consultant)
        .map(|p| p.user_id)
        .collect();
    for m in day
        .inputs
        .milestones
        .iter()
        .filter(|m| matches!(m.stage, Stage::ReverseShadowing | Stage::ReadyForSignoff))
    {
        let owner_did = day.owner(m).is_some_and(|o| day.recent_hands_on(m, o) > 0);
        if owner_did {
            continue;
        }
        for &c in consultants
            .iter()
            .filter(|c| day.recent_hands_on(m, **c) > 0)
        {
            let detail = format!(
                "You did hands-on work on \"{}\" in the last 14 days and its staff owner did none: let the staff do it.",
                m.title
            );
            actions.for_person(NextActionKind::StepBack, c, Some(m.id), detail);
        }
    }
}

/// Whom an action waits on, in words.
fn whom(day: &Day<'_>, waiting: &WaitingOn) -> String {
    match waiting {
        WaitingOn::Member(user) => day
            .inputs
            .participants
            .iter()
            .find(|p| p.user_id == *user)
            .map_or_else(|| "a former member".to_owned(), |p| p.display_name.clone()),
        WaitingOn::Outside { party, name } => match party {
            OutsideParty::Vendor => format!("{name} (vendor)"),
            OutsideParty::Other => name.clone(),
        },
    }
}

/// Sets the action's fields on every item pushed since `from`.
fn about_action(actions: &mut Actions<'_, '_>, from: usize, a: &ActionAt, d: NaiveDate) {
    for item in &mut actions.items[from..] {
        item.action_id = Some(a.id);
        if let Some((waiting, since)) = &a.waiting {
            item.waiting_on = Some(WaitingOnView::from(waiting));
            item.days_waiting = Some((d - *since).num_days().max(0));
        }
    }
}

fn agreed(day: &Day<'_>, actions: &mut Actions<'_, '_>) {
    let d = day.inputs.as_of;
    for a in &day.inputs.actions {
        let age = (d - a.agreed_on).num_days().max(0);
        let waits = a.waiting.as_ref().map_or(String::new(), |(w, since)| {
            format!(" It waits on {} since {since}.", whom(day, w))
        });
        let due = a
            .due_date
            .map_or(String::new(), |due| format!(" Due {due}."));
        let detail = format!("\"{}\", agreed {age} days ago.{waits}{due}", a.title);
        let from = actions.items.len();
        actions.for_person(NextActionKind::Agreed, a.owner_id, None, detail);
        about_action(actions, from, a, d);
        for item in &mut actions.items[from..] {
            item.age_days = Some(age);
        }
    }
}

fn chase(day: &Day<'_>, actions: &mut Actions<'_, '_>) {
    let d = day.inputs.as_of;
    for a in &day.inputs.actions {
        let Some((waiting, since)) = &a.waiting else {
            continue;
        };
        let days = (d - *since).num_days();
        if days <= CHASE_AFTER_DAYS {
            continue;
        }
        let detail = format!(
            "\"{}\" has waited {days} days on {}: chase it.",
            a.title,
            whom(day, waiting)
        );
        let from = actions.items.len();
        actions.for_leads(NextActionKind::Chase, None, &detail);
        about_action(actions, from, a, d);
    }
}

fn run_test_scripts(day: &Day<'_>, tested: &Tested, actions: &mut Actions<'_, '_>) {
    let d = day.inputs.as_of;
    let w = days_before(d, WINDOW_DAYS - 1);
    let run_in_w: HashSet<Uuid> = day
        .inputs
        .runs
        .iter()
        .filter(|r| r.party == ProjectRole::Staff && (w..=d).contains(&r.occurred_on))
        .map(|r| r.script_id)
        .collect();
    for s in day
        .inputs
        .scripts
        .iter()
        .filter(|s| s.critical && !run_in_w.contains(&s.id))
    {
        let last = tested
            .latest_staff
            .get(&s.id)
            .map_or(" No staff member has run it yet.".to_owned(), |r| {
                format!(" Staff last ran it on {}.", r.occurred_on)
            });
        let detail = format!(
            "Run the critical test script \"{}\" yourself before go-live.{last}",
            s.title
        );
        let from = actions.items.len();
        actions.for_person(NextActionKind::RunTestScript, s.owner_id, None, detail);
        for item in &mut actions.items[from..] {
            item.script_id = Some(s.id);
        }
    }
}

fn fix_failing_tests(day: &Day<'_>, tested: &Tested, actions: &mut Actions<'_, '_>) {
    for s in day.inputs.scripts.iter().filter(|s| tested.failing(s.id)) {
        let on = tested
            .latest
            .get(&s.id)
            .map(|r| r.occurred_on.to_string())
            .unwrap_or_default();
        let detail = format!(
            "The test script \"{}\" failed on {on}: get it fixed and run it again.",
            s.title
        );
        let from = actions.items.len();
        actions.for_leads(NextActionKind::FixFailingTest, None, &detail);
        for item in &mut actions.items[from..] {
            item.script_id = Some(s.id);
        }
    }
}

fn owner_away(day: &Day<'_>, actions: &mut Actions<'_, '_>) {
    for m in day
        .inputs
        .milestones
        .iter()
        .filter(|m| matches!(m.stage, Stage::ReverseShadowing | Stage::ReadyForSignoff))
    {
        if day.owner(m).is_some_and(|o| day.away.contains(&o)) {
            let detail = format!(
                "The staff owner of \"{}\" is away: wait for them, or name another owner.",
                m.title
            );
            actions.for_leads(NextActionKind::OwnerAway, Some(m.id), &detail);
        }
    }
}

#[cfg(test)]
mod tests {
    //! One project, computed by hand (DESIGN.md, model 2). D = 2026-03-28, so W = March 1–28
    //! (buckets 1–7, 8–14, 15–21, 22–28), R = March 15–28 and P = February 1–28.
    //!
    //! People: lead L (staff, 7 h/week), owner S (staff, 14 h/week), consultant C; all joined
    //! on 1 February. Milestones:
    //! - M1 "Dues invoicing": handed off, owner S (2 h execution on it in February) → credit 5;
    //! - M2 " dues  INVOICING": reverse_shadowing, owner S without hands-on on it, C did 3 h
    //!   execution on it on 20 March → credit 2 (clicks are not work), due 10 April;
    //! - M3 "Events": shadowing, no owner, no due date → credit 2;
    //! - M4 "Reports": ready_for_signoff since 20 March, owner S (1 h testing on it on 20
    //!   March) → credit 4, due 25 March (overdue).
    //!
    //! Other hours: C 2 h execution on 12 February; S 14 h planning on 3 March; L one 24 h
    //! planning entry on 27 March (a catch-up). Consultants leave on 30 April.

    use chrono::NaiveDate;

    use super::*;
    use crate::domain::{
        ActivityKind::{self, Execution, Planning, Testing},
        away::AwayPeriod,
    };

    fn day(month: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, month, d).unwrap_or_default()
    }

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    const L: u128 = 1;
    const S: u128 = 2;
    const C: u128 = 3;

    fn person(n: u128, role: ProjectRole, lead: bool, weekly_hours: i32) -> Participant {
        Participant {
            user_id: id(n),
            display_name: format!("P{n}"),
            role,
            joined_on: day(2, 1),
            left_on: None,
            terms: vec![Terms {
                from: day(2, 1),
                is_lead: lead,
                weekly_quarter_hours: weekly_hours * 4,
                away: Away::default(),
            }],
        }
    }

    fn milestone(
        n: u128,
        area: &str,
        stage: Stage,
        owner: Option<u128>,
        due: Option<NaiveDate>,
    ) -> MilestoneAt {
        MilestoneAt {
            id: id(100 + n),
            title: format!("M{n}"),
            knowledge_area: area.into(),
            stage,
            stage_since: Some(day(3, 20)),
            due_date: due,
            staff_owner_id: owner.map(id),
        }
    }

    /// One activity: (day, person, party, kind, hours, milestone).
    type Entry = (
        NaiveDate,
        u128,
        ProjectRole,
        ActivityKind,
        i64,
        Option<u128>,
    );

    fn ledger() -> Vec<Entry> {
        use ProjectRole::{Consultant, Staff};
        vec![
            (day(2, 10), S, Staff, Execution, 2, Some(1)),
            (day(2, 12), C, Consultant, Execution, 2, None),
            (day(3, 3), S, Staff, Planning, 14, None),
            (day(3, 20), C, Consultant, Execution, 3, Some(2)),
            (day(3, 20), S, Staff, Testing, 1, Some(4)),
            (day(3, 27), L, Staff, Planning, 24, None),
        ]
    }

    /// The inputs the loader would aggregate from `entries` at the end of `as_of`.
    fn inputs(as_of: NaiveDate, entries: &[Entry]) -> Inputs {
        let upto: Vec<&Entry> = entries.iter().filter(|e| e.0 <= as_of).collect();
        let qh = |e: &Entry| e.4 * 4;
        let from = |n: u64| days_before(as_of, n - 1);
        let work = |since: NaiveDate| {
            upto.iter()
                .filter(|e| e.5.is_some() && e.0 >= since)
                .map(|e| MilestoneWork {
                    milestone_id: id(100 + e.5.unwrap_or_default()),
                    user_id: id(e.1),
                    party: e.2,
                    quarter_hours: qh(e),
                    hands_on_quarter_hours: if e.3.is_hands_on() { qh(e) } else { 0 },
                })
                .collect()
        };
        Inputs {
            project_id: id(9),
            as_of,
            frozen: false,
            start_date: None,
            go_live_date: Some(day(5, 1)),
            consultant_exit_date: Some(day(4, 30)),
            milestones: vec![
                milestone(
                    1,
                    "Dues invoicing",
                    Stage::HandedOff,
                    Some(S),
                    Some(day(3, 20)),
                ),
                milestone(
                    2,
                    " dues  INVOICING",
                    Stage::ReverseShadowing,
                    Some(S),
                    Some(day(4, 10)),
                ),
                milestone(3, "Events", Stage::Shadowing, None, None),
                milestone(
                    4,
                    "Reports",
                    Stage::ReadyForSignoff,
                    Some(S),
                    Some(day(3, 25)),
                ),
            ],
            participants: vec![
                person(L, ProjectRole::Staff, true, 7),
                person(S, ProjectRole::Staff, false, 14),
                person(C, ProjectRole::Consultant, false, 0),
            ],
            to_date: upto
                .iter()
                .map(|e| PartyKindHours {
                    party: e.2,
                    kind: e.3,
                    quarter_hours: qh(e),
                })
                .collect(),
            by_day: upto
                .iter()
                .filter(|e| e.0 >= from(HISTORY_DAYS))
                .map(|e| DayHours {
                    occurred_on: e.0,
                    party: e.2,
                    kind: e.3,
                    quarter_hours: qh(e),
                })
                .collect(),
            by_user_day: upto
                .iter()
                .filter(|e| e.0 >= from(WINDOW_DAYS))
                .map(|e| UserDayHours {
                    user_id: id(e.1),
                    occurred_on: e.0,
                    quarter_hours: qh(e),
                })
                .collect(),
            work: work(NaiveDate::MIN),
            recent_work: work(from(RECENT_DAYS)),
            actions: Vec::new(),
            scripts: Vec::new(),
            runs: Vec::new(),
        }
    }

    fn project() -> Inputs {
        inputs(day(3, 28), &ledger())
    }

    fn exact(i: &Inputs) -> Exact {
        let day = Day::new(i);
        components(&day, &commitments(i))
    }

    fn r(n: i128, d: i128) -> Q {
        Q::new(n, d)
    }

    #[test]
    fn every_component_is_exact_and_the_score_rounds_once() {
        let c = exact(&project());
        // Credits 5 + 2 + 2 + 4 over 4 milestones.
        assert_eq!(c.handoff_progress, r(13, 20));
        // S owns M1, M2, M4.
        assert_eq!(c.ownership_coverage, r(3, 4));
        // Hands-on in W: S 1 h, C 3 h.
        assert_eq!(c.staff_hands_on_share, r(1, 4));
        // S expects 14 h a week: 14 + 0 + 1 + 0 credited of 56; L expects 7: the 24 h entry
        // fills its own week only, 7 of 28. (14 + 1 + 7) / (56 + 28) = 22 / 84.
        assert_eq!(c.commitment_adherence, r(11, 42));
        // M1 handed off, M2 due after D; M3 has no due date, M4 is overdue.
        assert_eq!(c.on_schedule, r(1, 2));
        // 35 × 13/20 + 10 × 3/4 + 25 × 1/2 + 20 × 11/42 + 10 × 1/2 = 52.988… → 53
        assert_eq!(score(&c), 53);
    }

    #[test]
    fn the_score_rounds_halves_up_from_the_exact_value() {
        let zero = Q::from_integer(0);
        let mut c = Exact {
            handoff_progress: zero,
            ownership_coverage: zero,
            staff_hands_on_share: r(1, 8),
            commitment_adherence: zero,
            on_schedule: zero,
        };
        // 25 × min(1, 1/4) = 6.25 → 6; 25 × 1/4 + 10 × 1/40 = 6.5 exactly → 7.
        assert_eq!(score(&c), 6);
        c.on_schedule = r(1, 40);
        assert_eq!(score(&c), 7);
        // Staff hands-on share counts in full from one half.
        c.staff_hands_on_share = r(1, 2);
        c.on_schedule = zero;
        assert_eq!(score(&c), 25);
    }

    #[test]
    fn signals_read_the_windows_by_hand() {
        let report = compute(&project());
        let s = &report.signals;
        // Staff 41 h of 46; in W 39 of 42; hands-on 3 of 8 to date, 1 of 4 in W, 2 of 4 in P.
        assert!((s.shares.staff_share_to_date - 41.0 / 46.0).abs() < 1e-12);
        assert!((s.shares.staff_share_recent - 13.0 / 14.0).abs() < 1e-12);
        assert!((s.shares.staff_hands_on_share_to_date - 3.0 / 8.0).abs() < 1e-12);
        assert_eq!(s.shares.staff_hands_on_share, 0.25);
        assert_eq!(s.shares.staff_hands_on_share_previous, Some(0.5));
        // 1/4 < 1/2 − 0.15: the staff are handing the work back.
        assert!(s.drifting);
        assert!(!s.stalled);
        assert_eq!(s.days_to_go_live, Some(34));
        assert_eq!(s.days_to_consultant_exit, Some(33));
        assert_eq!(s.committed_hours_per_week.staff, 21.0);
        assert_eq!(report.milestones.overdue, 1);
        assert_eq!(report.milestones.unowned, 1);
        assert_eq!(report.hours.windows.len(), 8);
        let last = &report.hours.windows[7];
        assert_eq!(
            (last.window_start, last.window_end),
            (day(3, 22), day(3, 28))
        );
        assert_eq!(last.staff_hours, 24.0);
        let third = &report.hours.windows[6];
        assert_eq!(
            (third.staff_hands_on_hours, third.consultant_hands_on_hours),
            (1.0, 3.0)
        );
    }

    #[test]
    fn one_catch_up_entry_fills_one_week_only() {
        let report = compute(&project());
        let lead = &report.members[0];
        assert_eq!(
            (
                lead.hours_in_window,
                lead.expected_hours,
                lead.credited_hours
            ),
            (24.0, 28.0, 7.0)
        );
        assert_eq!(lead.adherence, Some(0.25));
        let owner = &report.members[1];
        assert_eq!((owner.expected_hours, owner.credited_hours), (56.0, 15.0));
        assert_eq!(report.members[2].adherence, None, "consultants have none");
    }

    #[test]
    fn areas_are_one_whatever_the_spelling_and_the_bus_factor_counts_doers() {
        let report = compute(&project());
        let areas: Vec<(&str, u32, u32, u32)> = report
            .knowledge_areas
            .iter()
            .map(|a| {
                (
                    a.knowledge_area.as_str(),
                    a.milestones,
                    a.handed_off,
                    a.bus_factor,
                )
            })
            .collect();
        assert_eq!(
            areas,
            [
                ("Dues invoicing", 2, 1, 1),
                ("Events", 1, 0, 0),
                ("Reports", 1, 0, 1)
            ]
        );
        let dues = &report.knowledge_areas[0];
        assert_eq!((dues.staff_hours, dues.consultant_hours), (2.0, 3.0));
    }

    fn actions(i: &Inputs) -> Vec<(NextActionKind, Uuid, Option<Uuid>, Option<Uuid>)> {
        compute(i)
            .next_actions
            .iter()
            .map(|a| (a.kind, a.user_id, a.milestone_id, a.on_behalf_of))
            .collect()
    }

    use NextActionKind::*;

    #[test]
    fn every_next_action_goes_to_its_person_in_the_documented_order() {
        let m = |n: u128| Some(id(100 + n));
        assert_eq!(
            actions(&project()),
            [
                (AssignStaffOwner, id(L), m(3), None),
                (SignOff, id(S), m(4), None),
                (Overdue, id(S), m(4), None),
                (HandsOnNeeded, id(S), m(2), None),
                (RescheduleBeforeExit, id(L), m(3), None),
                (KnowledgeAtRisk, id(L), None, None),
                (LogTime, id(L), None, None),
                (LogTime, id(S), None, None),
                (StepBack, id(C), m(2), None),
            ]
        );
        let report = compute(&project());
        assert_eq!(report.next_actions[1].days_waiting, Some(8));
        assert_eq!(
            report.next_actions[5].knowledge_areas.as_deref(),
            Some(
                &[
                    "Dues invoicing".to_owned(),
                    "Events".into(),
                    "Reports".into()
                ][..]
            ),
            "one item listing every area at risk"
        );
    }

    #[test]
    fn an_owner_away_hands_their_items_to_the_leads_and_is_excused_those_days() {
        let mut i = project();
        let away = Away::parse(vec![AwayPeriod {
            from: day(3, 26),
            until: Some(day(4, 5)),
        }])
        .unwrap();
        i.participants[1].terms[0].away = away;
        let m = |n: u128| Some(id(100 + n));
        let got = actions(&i);
        // No sign-off or hands-on item for S (only S can); overdue goes to L on S's behalf;
        // `owner_away` tells L about M2 and M4.
        assert!(!got.iter().any(|a| a.1 == id(S)), "{got:?}");
        assert!(got.contains(&(Overdue, id(L), m(4), Some(id(S)))));
        assert!(got.contains(&(OwnerAway, id(L), m(2), None)));
        assert!(got.contains(&(OwnerAway, id(L), m(4), None)));
        // Away days are left out of what S owes: 26–28 March, 3 days of 2 h.
        let c = exact(&i);
        assert_eq!(c.commitment_adherence, r(420 + 196, 1400 + 784));
        assert!(compute(&i).members[1].away);
    }

    #[test]
    fn a_departed_owner_no_longer_counts_as_ownership() {
        let mut i = project();
        i.participants[1].left_on = Some(day(3, 27));
        let c = exact(&i);
        // Nobody inside holds M1, M2, M4 any more: every credit is at most 2.
        assert_eq!(c.handoff_progress, r(8, 20));
        assert_eq!(c.ownership_coverage, r(0, 1));
        // S still owed the weeks before leaving (active 1–26 March).
        assert_eq!(c.commitment_adherence, r(420 + 196, 1456 + 784));
        let report = compute(&i);
        let assign: Vec<_> = report
            .next_actions
            .iter()
            .filter(|a| a.kind == AssignStaffOwner)
            .collect();
        assert_eq!(assign.len(), 4, "M1 (handed off), M2, M3 and M4");
        assert!(assign[0].detail.contains("left the project on 2026-03-27"));
        assert!(score(&c) < score(&exact(&project())));
    }

    #[test]
    fn a_month_of_consultant_hands_on_work_lowers_the_score() {
        let before = exact(&project());
        let mut entries = ledger();
        for d in 1..=28 {
            entries.push((day(3, d), C, ProjectRole::Consultant, Execution, 4, None));
        }
        let after = exact(&inputs(day(3, 28), &entries));
        assert_eq!(after.staff_hands_on_share, r(4, 4 + 12 + 28 * 16));
        assert!(score(&after) < score(&before));
    }

    #[test]
    fn clicks_up_the_ladder_earn_no_credit_without_the_owners_hands_on_hours() {
        let mut i = project();
        // M3 clicked to reverse_shadowing with an owner who has never done it: credit 2.
        i.milestones[2].stage = Stage::ReverseShadowing;
        i.milestones[2].staff_owner_id = Some(id(L));
        assert_eq!(exact(&i).handoff_progress, r(13, 20));
    }

    #[test]
    fn nobody_is_asked_to_log_time_they_never_committed() {
        let mut i = project();
        i.participants[0].terms[0].weekly_quarter_hours = 0;
        let report = compute(&i);
        assert!(
            !report
                .next_actions
                .iter()
                .any(|a| a.kind == LogTime && a.user_id == id(L))
        );
        assert_eq!(report.members[0].adherence, None);
    }

    #[test]
    fn nothing_logged_for_fourteen_days_is_a_stalled_project() {
        let i = inputs(day(4, 20), &ledger());
        let report = compute(&i);
        assert!(report.signals.stalled);
        assert!(
            report
                .next_actions
                .iter()
                .any(|a| a.kind == ProjectStalled && a.user_id == id(L))
        );
    }

    #[test]
    fn a_project_without_milestones_or_hours_scores_zero_not_nan() {
        let mut i = inputs(day(3, 28), &[]);
        i.milestones.clear();
        let c = exact(&i);
        assert_eq!(score(&c), 0);
        assert_eq!(compute(&i).components.handoff_progress, 0.0);
    }
}
