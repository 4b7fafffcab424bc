//! The loader behind every readiness read: the state of some projects at the end of some days
//! ([`Inputs`], one per project and day), read in one set of aggregate queries for them all —
//! a report is a span of one project and one day, a history one project and many days, the
//! portfolio many projects and two days. The queries' rows are bounded by milestones, people,
//! versions, transitions and periods (`repo::readiness::Periods`), never by activities; each
//! day's inputs are then cut from them in memory.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use futures_util::future::try_join;
use sea_orm::{ConnectionTrait, DbErr};
use uuid::Uuid;

use super::{
    compute::{
        ActionAt, HISTORY_DAYS, Inputs, MilestoneAt, Participant, RECENT_DAYS, RunAt, ScriptAt,
        Terms, WINDOW_DAYS, days_before,
    },
    end_of,
};
use crate::{
    domain::{ProjectStatus, Stage, action::WaitingOn, away::Away},
    entity::{
        agreed_action, milestone_version, participation_version, project_version, test_run,
        test_script,
    },
    error::ApiError,
    repo::{
        actions, history,
        readiness::{
            self as agg, DayHours, MilestonePeriodWork, MilestoneWork, PartyKindHours, Periods,
            UserDayHours,
        },
        test_scripts,
    },
};

/// Each of `projects` read at the end of each of `days` (in that order): `result[p][d]`. A
/// project closed by a day is read on the day it closed (`frozen`; the caller reports it for
/// the day asked about). Give it the readers' pool (`AppState::readers`): its queries run in
/// two lanes side by side.
pub async fn load_span(
    db: &impl ConnectionTrait,
    projects: &[Uuid],
    days: &[NaiveDate],
) -> Result<Vec<Vec<Inputs>>, ApiError> {
    let Some(&last) = days.iter().max() else {
        return Ok(vec![Vec::new(); projects.len()]);
    };
    let mut versions = by_project(
        history::projects_until(db, projects, end_of(last)).await?,
        |v| v.project_id,
    );
    // The day each report is read on, and whether it is frozen there.
    let read_on: Vec<Vec<(NaiveDate, bool)>> = projects
        .iter()
        .map(|id| {
            let theirs = versions.get(id).map_or(&[][..], Vec::as_slice);
            days.iter()
                .map(|&d| {
                    let until: Vec<_> = theirs
                        .iter()
                        .filter(|v| v.valid_from < end_of(d))
                        .cloned()
                        .collect();
                    closing_day(&until).map_or((d, false), |closed| (closed, true))
                })
                .collect()
        })
        .collect();
    // Projects whose reading days fall on one weekday are read together (in periods of a week
    // or more), the others apart from them. Usually one group: everything open is read on
    // `days`.
    let mut groups: BTreeMap<Option<i64>, Vec<usize>> = BTreeMap::new();
    for (i, on) in read_on.iter().enumerate() {
        let weekday = |d: &NaiveDate| i64::from(d.num_days_from_ce()).rem_euclid(7);
        let first = on.first().map(|(d, _)| weekday(d));
        let key = first.filter(|&w| on.iter().all(|(d, _)| weekday(d) == w));
        groups.entry(key).or_default().push(i);
    }
    let mut out: Vec<Vec<Inputs>> = vec![Vec::new(); projects.len()];
    for members in groups.into_values() {
        let ids: Vec<Uuid> = members.iter().map(|&i| projects[i]).collect();
        let on: Vec<NaiveDate> = members
            .iter()
            .flat_map(|&i| read_on[i].iter().map(|(d, _)| *d))
            .collect();
        let (Some(&first), Some(&last)) = (on.iter().min(), on.iter().max()) else {
            continue;
        };
        // Every reading day is the earliest plus a multiple of `apart` (0 for a single day).
        let apart = on.iter().fold(0, |g, d| {
            gcd(g, d.signed_duration_since(first).num_days().unsigned_abs())
        });
        let mut ledger = Ledger::read(db, &ids, (first, last), apart).await?;
        for &i in &members {
            let id = projects[i];
            let theirs = versions.remove(&id).unwrap_or_default();
            let part = ledger.take(id, theirs);
            out[i] = read_on[i]
                .iter()
                .map(|&(d, frozen)| {
                    let mut inputs = part.on(d);
                    inputs.frozen = frozen;
                    inputs
                })
                .collect();
        }
    }
    Ok(out)
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// The day the project entered `closed`, when it is closed at the end of the versions.
fn closing_day(versions: &[project_version::Model]) -> Option<NaiveDate> {
    let open = versions
        .iter()
        .rposition(|v| v.status != ProjectStatus::Closed);
    match versions.last() {
        Some(last) if last.status == ProjectStatus::Closed => {
            let first_closed = open.map_or(0, |i| i + 1);
            Some(versions[first_closed].valid_from.date_naive())
        }
        _ => None,
    }
}

fn by_project<T>(rows: Vec<T>, project: impl Fn(&T) -> Uuid) -> HashMap<Uuid, Vec<T>> {
    let mut out: HashMap<Uuid, Vec<T>> = HashMap::new();
    for row in rows {
        out.entry(project(&row)).or_default().push(row);
    }
    out
}

/// Everything a group of projects' reports read, from the state at the start of the windows of
/// the group's earliest day to the end of its last day.
struct Ledger {
    /// The periods of the hours by party and kind (P and W of the earliest day on), of the
    /// hours by person (W on) and of the work on milestones (R on): each read only as far back
    /// as its windows, everything earlier summed as one period.
    hours_periods: Periods,
    user_periods: Periods,
    work_periods: Periods,
    lives: HashMap<Uuid, Vec<agg::MilestoneLife>>,
    steps: HashMap<Uuid, Vec<agg::StageStep>>,
    milestones: HashMap<Uuid, Vec<milestone_version::Model>>,
    participations: HashMap<Uuid, Vec<agg::ParticipationRow>>,
    terms: HashMap<Uuid, Vec<participation_version::Model>>,
    hours: HashMap<Uuid, Vec<agg::PeriodHours>>,
    user_hours: HashMap<Uuid, Vec<agg::UserPeriodHours>>,
    work: HashMap<Uuid, Vec<MilestonePeriodWork>>,
    actions: HashMap<Uuid, Vec<agreed_action::Model>>,
    scripts: HashMap<Uuid, Vec<test_script::Model>>,
    runs: HashMap<Uuid, Vec<test_run::Model>>,
}

impl Ledger {
    async fn read(
        db: &impl ConnectionTrait,
        ids: &[Uuid],
        (earliest, last): (NaiveDate, NaiveDate),
        apart: u64,
    ) -> Result<Ledger, ApiError> {
        let end = end_of(last);
        // Each read's periods are as long as its windows and the days between the readings
        // allow (`unit` divides every window it reads): the fewer rows, the faster the read.
        let periods = |from: u64, unit: u64| Periods {
            first: days_before(earliest, from - 1),
            last,
            step: u32::try_from(gcd(unit, apart)).unwrap_or(1),
        };
        let (hours_periods, user_periods, work_periods) = (
            // P and W, and the report's eight 7-day windows of hours.
            periods(HISTORY_DAYS, 7),
            // W, and commitment counted by 7 days.
            periods(WINDOW_DAYS, 7),
            // R only (all time is the running totals).
            periods(RECENT_DAYS, RECENT_DAYS),
        );
        // Milestones as they stood at the end of the earliest day on; terms from the start of
        // its window W on (commitment reads each day's weekly hours).
        let milestones_from = end_of(earliest);
        let terms_from = end_of(days_before(earliest, WINDOW_DAYS));
        // Two lanes of about equal cost, each query on a connection of its own (the readers'
        // pool), so the database works on both at once.
        let ledger = async {
            let hours = agg::hours_by_period(db, ids, &hours_periods).await?;
            let user_hours = agg::hours_by_user_and_period(db, ids, &user_periods).await?;
            let milestones = history::milestones_between(db, ids, (milestones_from, end)).await?;
            let actions = actions::open_between(db, ids, (milestones_from, end)).await?;
            let scripts = test_scripts::scripts_between(db, ids, (milestones_from, end)).await?;
            let runs = test_scripts::runs_until(db, ids, Some(end)).await?;
            Ok::<_, DbErr>((hours, user_hours, milestones, actions, scripts, runs))
        };
        let structure = async {
            let work = agg::milestone_work_by_period(db, ids, &work_periods).await?;
            let lives = agg::milestone_lives(db, ids, end).await?;
            let steps = agg::stage_steps(db, ids, end).await?;
            let participations = agg::participations(db, ids, end).await?;
            let terms = history::participations_between(db, ids, (terms_from, end)).await?;
            Ok::<_, DbErr>((work, lives, steps, participations, terms))
        };
        let (
            (hours, user_hours, milestones, actions, scripts, runs),
            (work, lives, steps, participations, terms),
        ) = try_join(ledger, structure).await?;
        Ok(Ledger {
            hours_periods,
            user_periods,
            work_periods,
            lives: by_project(lives, |r| r.project_id),
            steps: by_project(steps, |r| r.project_id),
            milestones: by_project(milestones, |r| r.project_id),
            participations: by_project(participations, |r| r.project_id),
            terms: by_project(terms, |r| r.project_id),
            hours: by_project(hours, |r| r.project_id),
            user_hours: by_project(user_hours, |r| r.project_id),
            work: by_project(work, |r| r.project_id),
            actions: by_project(actions, |r| r.project_id),
            scripts: by_project(scripts, |r| r.project_id),
            runs: by_project(runs, |r| r.project_id),
        })
    }

    /// One project's rows, with the periods turned into their last days.
    fn take(&mut self, id: Uuid, versions: Vec<project_version::Model>) -> Project {
        let hours = self.hours.remove(&id).unwrap_or_default();
        let user_hours = self.user_hours.remove(&id).unwrap_or_default();
        let work = self.work.remove(&id).unwrap_or_default();
        Project {
            project_id: id,
            versions,
            lives: self.lives.remove(&id).unwrap_or_default(),
            steps: self.steps.remove(&id).unwrap_or_default(),
            milestones: self.milestones.remove(&id).unwrap_or_default(),
            participations: self.participations.remove(&id).unwrap_or_default(),
            terms: self
                .terms
                .remove(&id)
                .unwrap_or_default()
                .into_iter()
                .map(|v| {
                    let terms = Terms {
                        from: v.valid_from.date_naive(),
                        is_lead: v.is_lead,
                        weekly_quarter_hours: v.weekly_quarter_hours,
                        away: Away::from_stored(&v.away),
                    };
                    (v.participation_id, v.valid_from, terms)
                })
                .collect(),
            hours: hours
                .into_iter()
                .map(|r| DayHours {
                    occurred_on: self.hours_periods.end(r.period),
                    party: r.party,
                    kind: r.kind,
                    quarter_hours: r.quarter_hours,
                })
                .collect(),
            user_hours: user_hours
                .into_iter()
                .map(|r| UserDayHours {
                    user_id: r.user_id,
                    occurred_on: self.user_periods.end(r.period),
                    quarter_hours: r.quarter_hours,
                })
                .collect(),
            work: work
                .into_iter()
                .map(|r| {
                    let on = self.work_periods.end(r.period);
                    let w = MilestoneWork {
                        milestone_id: r.milestone_id,
                        user_id: r.user_id,
                        party: r.party,
                        quarter_hours: r.quarter_hours,
                        hands_on_quarter_hours: r.hands_on_quarter_hours,
                    };
                    (on, w)
                })
                .collect(),
            actions: self.actions.remove(&id).unwrap_or_default(),
            scripts: self.scripts.remove(&id).unwrap_or_default(),
            runs: self.runs.remove(&id).unwrap_or_default(),
        }
    }
}

/// One project's rows, ready to be cut into any day's inputs. Ledger rows carry their period's
/// last day as `occurred_on`: every window a report reads is a run of whole periods.
struct Project {
    project_id: Uuid,
    versions: Vec<project_version::Model>,
    lives: Vec<agg::MilestoneLife>,
    steps: Vec<agg::StageStep>,
    milestones: Vec<milestone_version::Model>,
    participations: Vec<agg::ParticipationRow>,
    /// Each participation's terms, with when they began.
    terms: Vec<(Uuid, DateTime<Utc>, Terms)>,
    hours: Vec<DayHours>,
    user_hours: Vec<UserDayHours>,
    work: Vec<(NaiveDate, MilestoneWork)>,
    actions: Vec<agreed_action::Model>,
    scripts: Vec<test_script::Model>,
    runs: Vec<test_run::Model>,
}

impl Project {
    /// The inputs of the report read at the end of `d` (not frozen).
    fn on(&self, d: NaiveDate) -> Inputs {
        let end = end_of(d);
        let state = self.versions.iter().rfind(|v| v.valid_from < end);
        let since = |n: u64| days_before(d, n - 1);
        let mut to_date: HashMap<_, i64> = HashMap::new();
        for r in self.hours.iter().filter(|r| r.occurred_on <= d) {
            *to_date.entry((r.party, r.kind)).or_default() += r.quarter_hours;
        }
        Inputs {
            project_id: self.project_id,
            as_of: d,
            frozen: false,
            start_date: state.and_then(|s| s.start_date),
            go_live_date: state.and_then(|s| s.go_live_date),
            consultant_exit_date: state.and_then(|s| s.consultant_exit_date),
            milestones: self.milestones_at(end),
            participants: self.participants_at(end),
            to_date: to_date
                .into_iter()
                .map(|((party, kind), quarter_hours)| PartyKindHours {
                    party,
                    kind,
                    quarter_hours,
                })
                .collect(),
            by_day: self
                .hours
                .iter()
                .filter(|r| (since(HISTORY_DAYS)..=d).contains(&r.occurred_on))
                .cloned()
                .collect(),
            by_user_day: self
                .user_hours
                .iter()
                .filter(|r| (since(WINDOW_DAYS)..=d).contains(&r.occurred_on))
                .cloned()
                .collect(),
            work: work_between(&self.work, NaiveDate::MIN, d),
            recent_work: work_between(&self.work, since(RECENT_DAYS), d),
            actions: self
                .actions
                .iter()
                .filter(|a| a.created_at < end && a.closed_at.is_none_or(|at| at >= end))
                .map(|a| action_on(a, d))
                .collect(),
            scripts: self
                .scripts
                .iter()
                .filter(|s| s.created_at < end && s.deleted_at.is_none_or(|at| at >= end))
                .map(script_at)
                .collect(),
            runs: self
                .runs
                .iter()
                .filter(|r| r.created_at < end)
                .map(run_at)
                .collect(),
        }
    }

    /// The milestones that existed at `end`, with their fields and stage then.
    fn milestones_at(&self, end: DateTime<Utc>) -> Vec<MilestoneAt> {
        let existing: HashMap<Uuid, bool> = self
            .lives
            .iter()
            .filter(|m| m.created_at < end)
            .map(|m| (m.id, m.deleted_at.is_none_or(|at| at >= end)))
            .collect();
        let mut stages: HashMap<Uuid, (Stage, NaiveDate)> = HashMap::new();
        for step in self.steps.iter().filter(|s| s.occurred_at < end) {
            stages.insert(
                step.milestone_id,
                (step.to_stage, step.occurred_at.date_naive()),
            );
        }
        let mut latest: BTreeMap<Uuid, &milestone_version::Model> = BTreeMap::new();
        for v in self.milestones.iter().filter(|v| v.valid_from < end) {
            latest.insert(v.milestone_id, v);
        }
        latest
            .into_values()
            .filter(|v| existing.get(&v.milestone_id).copied().unwrap_or(false))
            .map(|v| {
                let stage = stages.get(&v.milestone_id).copied();
                MilestoneAt {
                    id: v.milestone_id,
                    title: v.title.clone(),
                    knowledge_area: v.knowledge_area.clone(),
                    stage: stage.map_or(Stage::Planned, |(s, _)| s),
                    stage_since: stage.map(|(_, since)| since),
                    due_date: v.due_date,
                    staff_owner_id: v.staff_owner_id,
                }
            })
            .collect()
    }

    /// Every participation joined before `end`, with its terms over time.
    fn participants_at(&self, end: DateTime<Utc>) -> Vec<Participant> {
        let mut terms: HashMap<Uuid, Vec<Terms>> = HashMap::new();
        for (participation, _, t) in self.terms.iter().filter(|(_, from, _)| *from < end) {
            terms.entry(*participation).or_default().push(t.clone());
        }
        self.participations
            .iter()
            .filter(|p| p.joined_at < end)
            .filter_map(|p| {
                Some(Participant {
                    terms: terms.remove(&p.id)?,
                    user_id: p.user_id,
                    display_name: p.display_name.clone(),
                    role: p.role,
                    joined_on: p.joined_at.date_naive(),
                    left_on: p.left_at.map(|at| at.date_naive()),
                })
            })
            .collect()
    }
}

/// The work on milestones in the periods ending from `from` to `to`, summed.
fn work_between(
    work: &[(NaiveDate, MilestoneWork)],
    from: NaiveDate,
    to: NaiveDate,
) -> Vec<MilestoneWork> {
    let mut sums: HashMap<(Uuid, Uuid, _), [i64; 2]> = HashMap::new();
    for (_, w) in work.iter().filter(|(on, _)| (from..=to).contains(on)) {
        let sum = sums
            .entry((w.milestone_id, w.user_id, w.party))
            .or_default();
        sum[0] += w.quarter_hours;
        sum[1] += w.hands_on_quarter_hours;
    }
    sums.into_iter()
        .map(
            |((milestone_id, user_id, party), [quarter_hours, hands_on_quarter_hours])| {
                MilestoneWork {
                    milestone_id,
                    user_id,
                    party,
                    quarter_hours,
                    hands_on_quarter_hours,
                }
            },
        )
        .collect()
}

/// An open action as the report for `d` reads it: whom it waits on only from the day that began.
fn action_on(a: &agreed_action::Model, d: NaiveDate) -> ActionAt {
    let waiting = WaitingOn::from_columns(
        a.waiting_user_id,
        a.waiting_party,
        a.waiting_name.as_deref(),
    );
    ActionAt {
        id: a.id,
        title: a.title.clone(),
        owner_id: a.owner_id,
        agreed_on: a.agreed_on,
        due_date: a.due_date,
        waiting: waiting
            .zip(a.waiting_since)
            .filter(|(_, since)| *since <= d),
    }
}

pub fn script_at(s: &test_script::Model) -> ScriptAt {
    ScriptAt {
        id: s.id,
        title: s.title.clone(),
        critical: s.critical,
        owner_id: s.owner_id,
    }
}

pub fn run_at(r: &test_run::Model) -> RunAt {
    RunAt {
        script_id: r.script_id,
        party: r.party,
        result: r.result,
        occurred_on: r.occurred_on,
    }
}
