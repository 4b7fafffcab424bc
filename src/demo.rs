//! `buyin seed-demo`: a realistic demo — an association moving to a new AMS — loaded through
//! the same services the API uses, so every rule holds and the history and events are real.
//! Idempotent: when the demo organisation exists, it only prints the logins.

use chrono::{Days, NaiveDate};
use uuid::Uuid;

use crate::{
    domain::{
        Action, ActivityKind, NewAccount, OrgRole, ProjectRole, ProjectStatus,
        action::{ActionPatch, ActionStatus, NewAction, OutsideParty, WaitingOn},
        activity::Entry,
        member::{NewParticipant, Participant, ParticipantPatch},
        milestone::{CriterionPatch, Move, NewMilestone},
        org::{Invitation, Invitee, NewOrg},
        precondition::IfMatch,
        project::NewProject,
        test_script::{NewRun, NewScript, TestResult},
    },
    error::ApiError,
    repo::{orgs as org_repo, users},
    service::{
        AppState, actions, activities,
        auth::{self, Caller, CurrentUser},
        criteria, members, milestones, orgs, projects, test_scripts,
    },
};

pub const DEMO_PASSWORD: &str = "buyin demo password";
const DEMO_SLUG: &str = "demo-association";

/// The demo accounts: (email, name, what they are).
pub const LOGINS: [(&str, &str, &str); 4] = [
    (
        "dana@demo-association.example",
        "Dana Director",
        "staff lead, organisation admin",
    ),
    (
        "sam@demo-association.example",
        "Sam Staff",
        "staff, owns the renewals and invoicing handoffs",
    ),
    (
        "chris@ams-partners.example",
        "Chris Consultant",
        "consultant",
    ),
    ("pat@ams-partners.example", "Pat Partner", "consultant"),
];

async fn person(
    state: &AppState,
    (email, name, _): (&str, &str, &str),
) -> Result<Caller, ApiError> {
    let user = match users::find_by_email(&state.db, email).await? {
        Some(user) => user,
        None => {
            let account = NewAccount::parse(email, name, DEMO_PASSWORD.into())?;
            auth::register(state, None, account).await?
        }
    };
    Ok(Caller::User(CurrentUser {
        id: user.id,
        email: user.email,
        display_name: user.display_name,
        created_at: user.created_at,
        session_id: Uuid::nil(),
        at: state.clock.now(),
    }))
}

fn uid(caller: &Caller) -> Uuid {
    caller.user_id().unwrap_or_default()
}

fn ago(today: NaiveDate, days: u64) -> NaiveDate {
    today
        .checked_sub_days(Days::new(days))
        .unwrap_or(NaiveDate::MIN)
}

fn ahead(today: NaiveDate, days: u64) -> NaiveDate {
    today
        .checked_add_days(Days::new(days))
        .unwrap_or(NaiveDate::MAX)
}

/// The story's length: ten weeks, ending today.
const STORY_DAYS: i64 = 70;

/// Days of the story worth reading the report on, with why.
pub fn dates_worth_looking_at(today: NaiveDate) -> [(NaiveDate, &'static str); 3] {
    let day = |d: i64| ago(today, (STORY_DAYS - d) as u64);
    [
        (day(20), "week 3: the staff start strong"),
        (
            day(55),
            "week 8: the consultants have taken over (drifting)",
        ),
        (today, "today: the staff have recovered"),
    ]
}

/// Loads the demo (unless present) and returns the project id. The story is played through
/// the clock: every step happens on its own day of the last ten weeks (each caller acts at
/// that day's instant), so the history and every past report are real.
pub async fn seed(state: &AppState) -> Result<(Uuid, bool), ApiError> {
    let now = state.clock.now();
    let today = now.date_naive();
    let dana = person(state, LOGINS[0]).await?;
    if org_repo::slug_exists(&state.db, DEMO_SLUG).await? {
        let (rows, _) = projects::list(
            state,
            &dana,
            Default::default(),
            crate::repo::PageRequest {
                limit: 1,
                after: None,
                order: Default::default(),
            },
        )
        .await?;
        let project = rows
            .first()
            .map(|p| p.id)
            .ok_or_else(|| ApiError::internal("demo organisation without a project"))?;
        return Ok((project, false));
    }
    let sam = person(state, LOGINS[1]).await?;
    let chris = person(state, LOGINS[2]).await?;
    let pat = person(state, LOGINS[3]).await?;
    // Day `d` of the story (0 = ten weeks ago, STORY_DAYS = now), and who acts on it.
    let on = |d: i64| now - chrono::Duration::days(STORY_DAYS - d);
    let date = |d: i64| on(d).date_naive();
    let at = |who: &Caller, d: i64| who.at(on(d));

    let org = orgs::create(
        state,
        &at(&dana, 0),
        NewOrg {
            name: "Demo Association".into(),
            slug: Some(DEMO_SLUG.into()),
        },
    )
    .await?
    .commit(None)
    .await?;
    // Sam joins as staff: Dana invites him, and he accepts.
    let invitation = orgs::invite(
        state,
        &at(&dana, 0),
        org.id,
        Invitation {
            invitee: Invitee::User(uid(&sam)),
            role: OrgRole::Member,
        },
    )
    .await?
    .commit(None)
    .await?;
    orgs::accept_invitation(state, &at(&sam, 0), invitation.id)
        .await?
        .commit(None)
        .await?;

    let project = projects::create(
        state,
        &at(&dana, 0),
        org.id,
        NewProject {
            name: "Move to NewAMS".into(),
            description: Some(
                "Replace the legacy membership database with NewAMS, run by our own staff.".into(),
            ),
            system_name: Some("NewAMS".into()),
            status: ProjectStatus::InProgress,
            start_date: Some(date(0)),
            go_live_date: Some(ahead(today, 40)),
            consultant_exit_date: Some(ahead(today, 70)),
            ..NewProject::default()
        },
    )
    .await?
    .commit(None)
    .await?;
    let p = project.id;
    let add = |user: Uuid, role, hours: u16, responsibility: &str| NewParticipant {
        who: Participant::Id(user),
        role,
        is_lead: false,
        weekly_quarter_hours: 4 * i32::from(hours),
        responsibility: Some(responsibility.into()),
    };
    let joins = [
        (uid(&sam), ProjectRole::Staff, 8, "Membership and renewals"),
        (
            uid(&chris),
            ProjectRole::Consultant,
            24,
            "NewAMS configuration",
        ),
        (
            uid(&pat),
            ProjectRole::Consultant,
            16,
            "Events and finance modules",
        ),
    ];
    for (user, role, hours, responsibility) in joins {
        members::add(
            state,
            &at(&dana, 0),
            p,
            add(user, role, hours, responsibility),
        )
        .await?
        .commit(None)
        .await?;
    }
    let commit_hours = |who: Uuid, patch: ParticipantPatch, d: i64| {
        let dana = at(&dana, d);
        async move { members::update(state, &dana, p, who, &IfMatch::Any, patch).await }
    };
    commit_hours(
        uid(&dana),
        ParticipantPatch {
            weekly_quarter_hours: Some(24),
            ..Default::default()
        },
        0,
    )
    .await?;

    struct Plan<'a> {
        title: &'a str,
        area: &'a str,
        owner: Option<&'a Caller>,
        consultant: Option<&'a Caller>,
        due: Option<NaiveDate>,
        criteria: &'a [&'a str],
    }
    let plans = [
        Plan {
            title: "Run the monthly membership renewal cycle",
            area: "membership renewals",
            owner: Some(&sam),
            consultant: Some(&chris),
            due: Some(ago(today, 7)),
            criteria: &[
                "Renewal batch for one month run without help",
                "Lapsed members report checked",
            ],
        },
        Plan {
            title: "Configure renewal reminder emails",
            area: "Membership Renewals",
            owner: Some(&sam),
            consultant: Some(&chris),
            due: Some(ahead(today, 10)),
            criteria: &["Three reminder templates approved"],
        },
        Plan {
            title: "Set up registration for the annual conference",
            area: "event registration",
            owner: Some(&dana),
            consultant: Some(&pat),
            due: Some(ahead(today, 21)),
            criteria: &["Early-bird and member pricing configured"],
        },
        Plan {
            title: "Run on-site check-in",
            area: "event registration",
            owner: None,
            consultant: Some(&pat),
            due: Some(ahead(today, 35)),
            criteria: &["Badge printing tested"],
        },
        Plan {
            title: "Generate and send dues invoices",
            area: "dues invoicing",
            owner: Some(&sam),
            consultant: Some(&chris),
            due: Some(ahead(today, 14)),
            criteria: &["Invoices for one cycle sent", "Credit notes handled"],
        },
        Plan {
            title: "Build the board's monthly membership report",
            area: "reporting",
            owner: Some(&dana),
            consultant: Some(&chris),
            due: Some(ago(today, 3)),
            criteria: &["Report matches the legacy numbers"],
        },
        Plan {
            title: "Validate the legacy data conversion",
            area: "data conversion",
            owner: None,
            consultant: Some(&chris),
            due: None,
            criteria: &["Member counts reconcile", "Payment history spot-checked"],
        },
        Plan {
            title: "Reconcile payments with the finance system",
            area: "dues invoicing",
            owner: Some(&dana),
            consultant: Some(&pat),
            due: Some(ahead(today, 50)),
            criteria: &["A month reconciled"],
        },
    ];
    let mut ids = Vec::new();
    for plan in &plans {
        let view = milestones::create(
            state,
            &at(&dana, 0),
            p,
            NewMilestone {
                title: plan.title.into(),
                knowledge_area: plan.area.into(),
                due_date: plan.due,
                staff_owner_id: plan.owner.and_then(Caller::user_id),
                consultant_id: plan.consultant.and_then(Caller::user_id),
                criteria: plan.criteria.iter().map(|c| (*c).to_owned()).collect(),
                ..NewMilestone::default()
            },
        )
        .await?
        .commit(None)
        .await?;
        ids.push((
            view.milestone.id,
            view.criteria.iter().map(|c| c.id).collect::<Vec<_>>(),
        ));
    }

    // Each entry is logged on the day it happened.
    let log = |user: &Caller, d: i64, hours: f64, kind, milestone: Option<usize>| {
        let input = Entry {
            occurred_on: date(d),
            quarter_hours: (hours * 4.0) as i32,
            kind,
            milestone_id: milestone.map(|i| ids[i].0),
            note: None,
            user_id: None,
            external_id: None,
            external_source: None,
        };
        let user = at(user, d);
        async move {
            activities::log(state, &user, p, input)
                .await?
                .commit(None)
                .await
        }
    };
    // Walk a milestone up the ladder as the people involved would, on day `d`.
    let advance = |who: &Caller, i: usize, times: usize, d: i64| {
        let who = at(who, d);
        let id = ids[i].0;
        async move {
            for step in 0..times {
                let req = Move {
                    action: Action::Advance,
                    note: None,
                    from: None,
                };
                // A second apart: one step after the other, even within one day.
                let who = who.at(who.now() + chrono::Duration::seconds(step as i64));
                milestones::transition(state, &who, p, id, req)
                    .await?
                    .commit(None)
                    .await?;
            }
            Ok::<(), ApiError>(())
        }
    };
    let tick = |who: &Caller, i: usize, d: i64| {
        let who = at(who, d);
        let (id, criteria_ids) = ids[i].clone();
        async move {
            for c in criteria_ids {
                let req = CriterionPatch {
                    text: None,
                    done: Some(true),
                };
                criteria::update(state, &who, p, id, c, req).await?;
            }
            Ok::<(), ApiError>(())
        }
    };
    use ActivityKind::{Execution, Planning, Shadowing, Testing, Training};

    // Ten weeks: the staff start strong (weeks 1–3), slacken (4–6), the consultants take over
    // all hands-on work while Sam is on leave (7–8), and the staff recover (9–10).
    for week in 0..10i64 {
        let d = 7 * week;
        // The consultants, every week.
        log(
            &chris,
            d + 2,
            8.0,
            Execution,
            Some(if week < 5 { 0 } else { 4 }),
        )
        .await?;
        log(&chris, d + 3, 6.0, Training, None).await?;
        log(&pat, d + 4, 6.0, Execution, Some(2)).await?;
        log(&pat, d + 5, 3.0, Planning, None).await?;
        match week {
            0..=2 => {
                log(&sam, d + 1, 6.0, Shadowing, Some(0)).await?;
                log(&sam, d + 2, 3.0, Execution, Some(0)).await?;
                log(&dana, d + 3, 4.0, Shadowing, Some(2)).await?;
                log(&dana, d + 4, 2.0, Execution, Some(2)).await?;
            }
            3..=5 => {
                log(&sam, d + 1, 2.0, Shadowing, Some(0)).await?;
                log(&dana, d + 3, 1.0, Planning, None).await?;
            }
            6 | 7 => {
                log(&chris, d + 1, 12.0, Execution, Some(1)).await?;
                log(&pat, d + 2, 10.0, Testing, Some(5)).await?;
                log(&dana, d + 3, 1.0, Planning, None).await?;
            }
            _ => {
                log(&sam, d + 1, 4.0, Execution, Some(1)).await?;
                log(&sam, d + 2, 3.0, Testing, Some(4)).await?;
                log(&dana, d + 3, 3.0, Execution, Some(5)).await?;
                log(&dana, d + 4, 2.0, Testing, Some(2)).await?;
            }
        }
    }

    // The ladder, as the weeks went.
    advance(&chris, 0, 2, 7).await?;
    advance(&pat, 2, 2, 8).await?;
    advance(&chris, 6, 1, 10).await?;
    advance(&chris, 1, 2, 14).await?;
    advance(&chris, 4, 2, 15).await?;
    advance(&chris, 5, 2, 16).await?;
    tick(&sam, 0, 20).await?;
    advance(&chris, 0, 1, 21).await?;
    advance(&pat, 2, 1, 22).await?;
    advance(&pat, 3, 2, 30).await?;
    // While the consultants do the work, they also click it up the ladder: no credit.
    advance(&chris, 1, 1, 44).await?;
    advance(&chris, 5, 1, 45).await?;
    // Sam is away for week 8; Dana records it the day it starts.
    commit_hours(
        uid(&sam),
        ParticipantPatch {
            away: Some(
                crate::domain::away::Away::parse(vec![crate::domain::away::AwayPeriod {
                    from: date(49),
                    until: Some(date(55)),
                }])
                .map_err(|e| ApiError::Validation(vec![e]))?,
            ),
            ..Default::default()
        },
        49,
    )
    .await?;
    // The staff take it back.
    advance(&sam, 0, 1, 60).await?;
    milestones::transition(
        state,
        &at(&sam, 62),
        p,
        ids[0].0,
        Move {
            action: Action::SignOff,
            note: None,
            from: None,
        },
    )
    .await?
    .commit(None)
    .await?;
    tick(&sam, 1, 66).await?;
    advance(&sam, 1, 1, 66).await?;
    meeting_and_tests(state, p, [&dana, &sam, &chris], at).await?;
    Ok((p, true))
}

/// What the last weeks' meetings agreed (one action waiting on the vendor for three weeks, one
/// done), and the staff's test scripts for the core processes, some run by staff.
async fn meeting_and_tests(
    state: &AppState,
    p: Uuid,
    [dana, sam, chris]: [&Caller; 3],
    at: impl Fn(&Caller, i64) -> Caller,
) -> Result<(), ApiError> {
    let agree = |who: &Caller, d: i64, title: &str, owner: &Caller, waiting, due| {
        let who = at(who, d);
        let new = NewAction {
            title: title.into(),
            owner_id: uid(owner),
            due_date: due,
            waiting_on: waiting,
            milestone_id: None,
            agreed_on: None,
            note: None,
        };
        async move {
            actions::create(state, &who, p, new)
                .await?
                .commit(None)
                .await
        }
    };
    let today = state.clock.now().date_naive();
    agree(
        dana,
        STORY_DAYS - 21,
        "Get the corrected renewal-letter template from NewAMS",
        dana,
        Some(WaitingOn::Outside {
            party: OutsideParty::Vendor,
            name: "NewAMS support".into(),
        }),
        Some(ago(today, 7)),
    )
    .await?;
    agree(
        sam,
        STORY_DAYS - 5,
        "Book the dues-invoicing dry run with finance",
        sam,
        None,
        Some(ahead(today, 7)),
    )
    .await?;
    let checklist = agree(
        chris,
        STORY_DAYS - 6,
        "Draft the go-live checklist",
        chris,
        None,
        None,
    )
    .await?;
    let done = ActionPatch {
        status: Some(ActionStatus::Done),
        ..Default::default()
    };
    actions::update(
        state,
        &at(chris, STORY_DAYS - 2),
        (p, checklist.id),
        &IfMatch::Any,
        done,
    )
    .await?;

    let script = |title: &str, area: &str, steps: &str, owner: &Caller| NewScript {
        title: title.into(),
        knowledge_area: area.into(),
        steps: steps.into(),
        critical: true,
        owner_id: uid(owner),
        milestone_id: None,
    };
    let mut ids = Vec::new();
    for new in [
        script(
            "Join as a new member, then renew",
            "join/renew",
            "Join online as a new member; pay by card; renew a year later (clock moved); check both invoices.",
            sam,
        ),
        script(
            "Register a member and a guest for the conference",
            "event registration",
            "Register member 10422 and a guest; apply the early-bird rate; check the badge list.",
            dana,
        ),
        script(
            "Invoice one month of dues",
            "dues invoicing",
            "Run the monthly invoices; check three by hand, one of them a group member.",
            sam,
        ),
    ] {
        let created = test_scripts::create(state, &at(dana, STORY_DAYS - 14), p, new)
            .await?
            .commit(None)
            .await?;
        ids.push(created.id);
    }
    let run = |who: &Caller, d: i64, script: Uuid, result, notes: &str| {
        let who = at(who, d);
        let run = NewRun {
            result,
            occurred_on: None,
            notes: Some(notes.into()),
        };
        async move {
            test_scripts::record_run(state, &who, (p, script), run)
                .await?
                .commit(None)
                .await
        }
    };
    run(
        sam,
        STORY_DAYS - 6,
        ids[0],
        TestResult::Passed,
        "Joined and renewed; both invoices right.",
    )
    .await?;
    // A consultant's pass: kept, but not staff-tested.
    run(
        chris,
        STORY_DAYS - 5,
        ids[1],
        TestResult::Passed,
        "Works in the sandbox.",
    )
    .await?;
    run(
        sam,
        STORY_DAYS - 3,
        ids[2],
        TestResult::Failed,
        "Group members were invoiced twice.",
    )
    .await?;
    Ok(())
}
