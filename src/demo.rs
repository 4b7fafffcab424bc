//! `buyin seed-demo`: a realistic demo — an association moving to a new AMS — loaded through
//! the same services the API uses, so every rule holds and the history and events are real.
//! Idempotent: when the demo organisation exists, it only prints the logins.

use chrono::{Days, NaiveDate};
use uuid::Uuid;

use crate::{
    domain::{
        Action, ActivityKind, NewAccount, OrgRole, ProjectRole, ProjectStatus,
        activity::Entry,
        member::{NewParticipant, Participant, ParticipantPatch},
        milestone::{CriterionPatch, Move, NewMilestone},
        org::{Invitation, Invitee, NewOrg},
        precondition::IfMatch,
        project::NewProject,
    },
    error::ApiError,
    repo::{orgs as org_repo, users},
    service::{
        AppState, activities,
        auth::{self, Caller, CurrentUser},
        criteria, members, milestones, orgs, projects,
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

/// Loads the demo (unless present) and returns the project id.
pub async fn seed(state: &AppState) -> Result<(Uuid, bool), ApiError> {
    let today = state.clock.today();
    let dana = person(state, LOGINS[0]).await?;
    if org_repo::slug_exists(&state.db, DEMO_SLUG).await? {
        let (rows, _) = projects::list(
            state,
            &dana,
            Default::default(),
            crate::repo::PageRequest {
                limit: 1,
                after: None,
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

    let org = orgs::create(
        state,
        &dana,
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
        &dana,
        org.id,
        Invitation {
            invitee: Invitee::User(uid(&sam)),
            role: OrgRole::Member,
        },
    )
    .await?
    .commit(None)
    .await?;
    orgs::accept_invitation(state, &sam, invitation.id)
        .await?
        .commit(None)
        .await?;

    let project = projects::create(
        state,
        &dana,
        org.id,
        NewProject {
            name: "Move to NewAMS".into(),
            description: Some(
                "Replace the legacy membership database with NewAMS, run by our own staff.".into(),
            ),
            system_name: Some("NewAMS".into()),
            status: ProjectStatus::InProgress,
            start_date: Some(ago(today, 70)),
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
    members::add(
        state,
        &dana,
        p,
        add(uid(&sam), ProjectRole::Staff, 8, "Membership and renewals"),
    )
    .await?
    .commit(None)
    .await?;
    members::add(
        state,
        &dana,
        p,
        add(
            uid(&chris),
            ProjectRole::Consultant,
            24,
            "NewAMS configuration",
        ),
    )
    .await?
    .commit(None)
    .await?;
    members::add(
        state,
        &dana,
        p,
        add(
            uid(&pat),
            ProjectRole::Consultant,
            16,
            "Events and finance modules",
        ),
    )
    .await?
    .commit(None)
    .await?;
    members::update(
        state,
        &dana,
        p,
        uid(&dana),
        &IfMatch::Any,
        ParticipantPatch {
            weekly_quarter_hours: Some(24),
            ..Default::default()
        },
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
            area: "membership renewals",
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
            due: Some(ahead(today, 80)),
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
            &dana,
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

    // Ten weeks of the ledger: consultants front-loaded, staff growing into it.
    let log = |user: &Caller, day: u64, hours: f64, kind, milestone: Option<usize>| {
        let input = Entry {
            occurred_on: ago(today, day),
            quarter_hours: (hours * 4.0) as i32,
            kind,
            milestone_id: milestone.map(|i| ids[i].0),
            note: None,
            user_id: None,
        };
        let user = user.clone();
        async move {
            activities::log(state, &user, p, input)
                .await?
                .commit(None)
                .await
        }
    };
    use ActivityKind::{Execution, Planning, Shadowing, Testing, Training};
    for week in 0..10u64 {
        let day = 68 - week * 7;
        log(
            &chris,
            day,
            8.0,
            Execution,
            Some(if week < 5 { 0 } else { 4 }),
        )
        .await?;
        log(&chris, day - 1, 6.0, Training, None).await?;
        log(&pat, day - 2, 6.0, Execution, Some(2)).await?;
        log(&pat, day - 3, 3.0, Planning, None).await?;
        if week >= 3 {
            log(&sam, day - 1, 3.0, Shadowing, Some(0)).await?;
            log(&dana, day - 2, 2.0, Shadowing, Some(2)).await?;
        }
    }
    log(&sam, 20, 3.0, Execution, Some(0)).await?;
    log(&sam, 13, 2.5, Testing, Some(0)).await?;
    log(&sam, 6, 2.0, Execution, Some(1)).await?;
    log(&sam, 2, 1.5, Execution, Some(1)).await?;
    log(&dana, 5, 2.0, Execution, Some(2)).await?;
    log(&dana, 1, 1.5, Testing, Some(5)).await?;

    // Walk each milestone up the ladder as the people involved would.
    let advance = |who: &Caller, i: usize, times: usize| {
        let who = who.clone();
        let id = ids[i].0;
        async move {
            for _ in 0..times {
                let req = Move {
                    action: Action::Advance,
                    note: None,
                    from: None,
                };
                let who = who.at(state.clock.now());
                milestones::transition(state, &who, p, id, req)
                    .await?
                    .commit(None)
                    .await?;
            }
            Ok::<(), ApiError>(())
        }
    };
    let tick = |who: &Caller, i: usize| {
        let who = who.clone();
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
    advance(&chris, 0, 3).await?;
    tick(&sam, 0).await?;
    advance(&sam, 0, 1).await?;
    milestones::transition(
        state,
        &sam.at(state.clock.now()),
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
    advance(&chris, 1, 3).await?;
    tick(&sam, 1).await?;
    advance(&sam, 1, 1).await?;
    advance(&pat, 2, 3).await?;
    advance(&pat, 3, 2).await?;
    advance(&chris, 4, 3).await?;
    advance(&chris, 5, 1).await?;
    Ok((p, true))
}
