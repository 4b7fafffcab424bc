//! Readiness report benchmark (model 2): `GET /api/v1/projects/{id}/readiness` for a project
//! with 200 milestones, 20,000 activities, 40 members and a year of history (stage changes,
//! owner and due-date changes, commitment changes and away periods) must answer in under 50 ms
//! (median), today and for a day six months back; `…/readiness/changes` over the last week
//! under 50 ms; `…/readiness/history` of 52 weekly points under 250 ms. The cost must come from
//! aggregation in the database, not from loading activities.
//!
//! Two projects are seeded side by side — 2,000 and 20,000 activities, the same milestones,
//! members and history — and requested in interleaved rounds; the response is the same size
//! for both (memory is flat in the number of activities). Then `GET /readiness/portfolio` for
//! someone on 100 projects (20 milestones, 2,000 activities, 10 members and a year of history
//! each) must answer in under 150 ms (median).
//!
//!     cargo bench --bench readiness                       # SQLite
//!     cargo bench --bench readiness -- portfolio          # only the portfolio
//!     BUYIN_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
//!         cargo bench --bench readiness                   # PostgreSQL (a scratch database)

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use buyin::{
    domain::{
        ActivityKind, ProjectRole, ProjectStatus, Stage,
        away::{Away, AwayPeriod},
    },
    entity::{
        activity, milestone, milestone_transition, milestone_version, project, project_member,
    },
    repo::{activities, history, orgs, sessions, users},
};
use chrono::{Days, Utc};
use common::{analyze, backend_name, median, percentile};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    Database, DatabaseConnection, EntityTrait,
};
use uuid::Uuid;

const MILESTONES: usize = 200;
const ROUNDS: usize = 100;
const PORTFOLIO_PROJECTS: usize = 100;
const PORTFOLIO_ROUNDS: usize = 30;
const AREAS: [&str; 8] = [
    "renewals",
    "events",
    "dues",
    "reporting",
    "conversion",
    "finance",
    "web",
    "email",
];

fn main() {
    actix_web::rt::System::new().block_on(run());
}

/// A project a year old: 40 members, 200 milestones and `activities` activities spread over the
/// year, with its history — every milestone climbs the ladder and changes owner and due date
/// every two months, every member's commitment and away periods change every month.
async fn seed_project(
    db: &DatabaseConnection,
    org_id: Uuid,
    people: &[(Uuid, ProjectRole, bool)],
    (milestones, activities): (usize, usize),
) -> Uuid {
    let now = Utc::now();
    let today = now.date_naive();
    let year_ago = now - chrono::Duration::days(365);
    let at = |days_after: i64| year_ago + chrono::Duration::days(days_after);
    let project_id = Uuid::now_v7();
    let project = project::ActiveModel {
        id: Set(project_id),
        org_id: Set(org_id),
        name: Set(format!("{activities} activities")),
        description: Set(None),
        system_name: Set(None),
        status: Set(ProjectStatus::InProgress),
        start_date: Set(year_ago.date_naive().checked_add_days(Days::new(7))),
        go_live_date: Set(today.checked_add_days(Days::new(20))),
        consultant_exit_date: Set(today.checked_add_days(Days::new(30))),
        external_id: Set(None),
        external_source: Set(None),
        version: Set(1),
        created_at: Set(year_ago),
        updated_at: Set(year_ago),
    };
    let model = project::Entity::insert(project)
        .exec_with_returning(db)
        .await
        .unwrap();
    for month in 0..12 {
        let mut version = model.clone();
        version.consultant_exit_date = today.checked_add_days(Days::new(30 + 5 * (11 - month)));
        history::project(db, &version, at(30 * month as i64))
            .await
            .unwrap();
    }

    let members: Vec<project_member::ActiveModel> = people
        .iter()
        .map(|(user, role, lead)| project_member::ActiveModel {
            id: Set(Uuid::now_v7()),
            project_id: Set(project_id),
            user_id: Set(*user),
            role: Set(*role),
            is_lead: Set(*lead),
            weekly_quarter_hours: Set(if *role == ProjectRole::Staff { 32 } else { 80 }),
            responsibility: Set(None),
            version: Set(1),
            joined_at: Set(year_ago),
            left_at: Set(None),
            away: Set("[]".into()),
            updated_at: Set(year_ago),
        })
        .collect();
    let mut participations = Vec::new();
    for m in members {
        participations.push(
            project_member::Entity::insert(m)
                .exec_with_returning(db)
                .await
                .unwrap(),
        );
    }
    for (i, p) in participations.iter().enumerate() {
        let mut away = Vec::new();
        for month in 0..12i64 {
            // A week of leave every few months, recorded when it starts.
            if (month + i as i64) % 4 == 0 {
                let from = at(30 * month).date_naive();
                away.push(AwayPeriod {
                    from,
                    until: from.checked_add_days(Days::new(6)),
                });
            }
            let mut version = p.clone();
            version.weekly_quarter_hours = p.weekly_quarter_hours + (month as i32 % 3) * 4;
            version.away = Away::parse(away.clone()).unwrap().to_stored();
            history::participation(db, &version, at(30 * month))
                .await
                .unwrap();
        }
    }

    let staff: Vec<Uuid> = people
        .iter()
        .filter(|p| p.1 == ProjectRole::Staff)
        .map(|p| p.0)
        .collect();
    let consultant = people
        .iter()
        .find(|p| p.1 == ProjectRole::Consultant)
        .unwrap()
        .0;
    let mut milestone_ids = Vec::new();
    let ms: Vec<milestone::ActiveModel> = (0..milestones)
        .map(|i| {
            let id = Uuid::now_v7();
            milestone_ids.push(id);
            milestone::ActiveModel {
                id: Set(id),
                project_id: Set(project_id),
                title: Set(format!("Milestone {i}")),
                knowledge_area: Set(AREAS[i % AREAS.len()].into()),
                description: Set(None),
                due_date: Set(today
                    .checked_sub_days(Days::new(30))
                    .map(|d| d + Days::new((i % 90) as u64))),
                staff_owner_id: Set((i % 5 != 0).then(|| staff[i % staff.len()])),
                consultant_id: Set(None),
                stage: Set(Stage::ALL[i % 6]),
                stage_entered_at: Set(now),
                signed_off_by: Set(None),
                signed_off_at: Set(None),
                external_id: Set(None),
                external_source: Set(None),
                version: Set(1),
                created_at: Set(year_ago),
                updated_at: Set(year_ago),
                deleted_at: Set(None),
            }
        })
        .collect();
    for chunk in ms.chunks(100) {
        milestone::Entity::insert_many(chunk.to_vec())
            .exec(db)
            .await
            .unwrap();
    }
    let mut versions = Vec::new();
    let mut steps = Vec::new();
    for (i, m) in ms.iter().enumerate() {
        let id = milestone_ids[i];
        // Six versions: a new owner and due date every two months.
        for k in 0..6usize {
            versions.push(milestone_version::ActiveModel {
                id: NotSet,
                milestone_id: Set(id),
                project_id: Set(project_id),
                valid_from: Set(at(60 * k as i64)),
                title: m.title.clone(),
                knowledge_area: m.knowledge_area.clone(),
                due_date: Set(today.checked_sub_days(Days::new((300 - 50 * k + i % 40) as u64))),
                staff_owner_id: Set((i % 5 != k % 5).then(|| staff[(i + k) % staff.len()])),
            });
        }
        // Up the ladder to its stage, one step every few weeks.
        let target = Stage::ALL[i % 6];
        for s in 1..=target.index() as usize {
            let from = Stage::ALL[s - 1];
            steps.push(milestone_transition::ActiveModel {
                id: Set(Uuid::now_v7()),
                milestone_id: Set(id),
                action: Set(if s == 5 { "sign_off" } else { "advance" }.into()),
                from_stage: Set(from),
                to_stage: Set(Stage::ALL[s]),
                note: Set(None),
                actor_user_id: Set(Some(consultant)),
                occurred_at: Set(at((s * 60 + i % 30) as i64)),
            });
        }
    }
    for chunk in versions.chunks(100) {
        milestone_version::Entity::insert_many(chunk.to_vec())
            .exec(db)
            .await
            .unwrap();
    }
    for chunk in steps.chunks(100) {
        milestone_transition::Entity::insert_many(chunk.to_vec())
            .exec(db)
            .await
            .unwrap();
    }
    let kinds = [
        ActivityKind::Execution,
        ActivityKind::Training,
        ActivityKind::Shadowing,
        ActivityKind::Testing,
        ActivityKind::Planning,
    ];
    let rows: Vec<activity::ActiveModel> = (0..activities)
        .map(|i| {
            let (user, role, _) = people[i % people.len()];
            activity::ActiveModel {
                id: Set(Uuid::now_v7()),
                project_id: Set(project_id),
                user_id: Set(user),
                party: Set(role),
                occurred_on: Set(today.checked_sub_days(Days::new((i % 365) as u64)).unwrap()),
                quarter_hours: Set((i % 16 + 1) as i32),
                kind: Set(kinds[i % kinds.len()]),
                milestone_id: Set((i % 4 != 0).then(|| milestone_ids[i % milestones])),
                note: Set(None),
                logged_by: Set(Some(user)),
                created_at: Set(now),
                external_id: Set(None),
                external_source: Set(None),
            }
        })
        .collect();
    for chunk in rows.chunks(500) {
        activity::Entity::insert_many(chunk.to_vec())
            .exec(db)
            .await
            .unwrap();
    }
    // Written in bulk, around `repo::activities::insert`: the running totals are summed once.
    activities::rebuild_totals(db, &[project_id]).await.unwrap();
    project_id
}

async fn run() {
    let (port, state, url, cleanup) = common::server().await;
    let db = Database::connect(&url).await.unwrap();
    let mut people = Vec::new();
    // 40 members: 3 staff leads, 27 staff, 10 consultants; and 10 for the portfolio's projects:
    // 2 staff leads, 5 staff, 3 consultants.
    let roles = (0..50).map(|i| match i {
        0..3 | 40..42 => (ProjectRole::Staff, true),
        3..30 | 42..47 => (ProjectRole::Staff, false),
        _ => (ProjectRole::Consultant, false),
    });
    for (i, (role, lead)) in roles.enumerate() {
        let user = users::insert_user(
            &db,
            users::NewUser {
                email: format!("p{i}@example.org"),
                display_name: format!("Person {i}"),
                password_hash: "unused".into(),
            },
            Utc::now(),
        )
        .await
        .unwrap();
        people.push((user.id, role, lead));
    }
    let (team, people) = (people[40..].to_vec(), people[..40].to_vec());
    let mut tokens = Vec::new();
    for viewer in [people[0].0, team[0].0] {
        let session = sessions::insert_session(
            &db,
            viewer,
            Utc::now() + chrono::Duration::days(1),
            Utc::now(),
        )
        .await
        .unwrap();
        tokens.push(state.tokens.issue_access_token(viewer, session.id).unwrap());
    }
    let (token, portfolio_token) = (&tokens[0], &tokens[1]);
    let org = orgs::insert_org(&db, "Bench".into(), "bench".into(), Utc::now())
        .await
        .unwrap();

    let client = awc::Client::builder()
        .timeout(Duration::from_secs(30))
        .finish();
    // `cargo bench --bench readiness -- portfolio` measures only the portfolio.
    if !std::env::args().any(|a| a == "portfolio") {
        one_project(&db, (&url, port), &client, token, (org.id, &people)).await;
    }

    // The portfolio of someone on 100 projects: today's and 28 days earlier's reports of each.
    // Seeded after the rounds above, so those read the database they were specified on.
    let started = Instant::now();
    for _ in 0..PORTFOLIO_PROJECTS {
        seed_project(&db, org.id, &team, (20, 2_000)).await;
    }
    analyze(&url).await;
    println!(
        "\nseeded {PORTFOLIO_PROJECTS} projects × 20 milestones, 2,000 activities, 10 members in {:.1?}",
        started.elapsed()
    );
    let url = format!("http://127.0.0.1:{port}/api/v1/readiness/portfolio?limit=100");
    let mut times = Vec::new();
    let mut size = 0;
    for round in 0..PORTFOLIO_ROUNDS + 3 {
        let t = Instant::now();
        let mut res = client
            .get(&url)
            .bearer_auth(portfolio_token)
            .send()
            .await
            .unwrap();
        let body = res.body().limit(1 << 24).await.unwrap();
        let elapsed = t.elapsed();
        assert_eq!(res.status(), 200, "{}", String::from_utf8_lossy(&body));
        let rows: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(rows["items"].as_array().unwrap().len(), PORTFOLIO_PROJECTS);
        size = body.len();
        if round >= 3 {
            times.push(elapsed);
        }
    }
    let med = median(&mut times);
    println!(
        "\n{:<20} {:>8.1}ms {:>8.1}ms {:>12} {:>10}",
        "portfolio, 100",
        med.as_secs_f64() * 1e3,
        percentile(&mut times, 90).as_secs_f64() * 1e3,
        size,
        verdict(med, 150)
    );
    println!("({PORTFOLIO_ROUNDS} rounds after 3 warm-up rounds)");
    drop(db);
    cleanup().await;
}

/// The report of one project (2,000 and 20,000 activities), six months back, the changes over
/// the last week and the history of 52 weeks, in interleaved rounds.
async fn one_project(
    db: &DatabaseConnection,
    (url, port): (&str, u16),
    client: &awc::Client,
    token: &str,
    (org_id, people): (Uuid, &[(Uuid, ProjectRole, bool)]),
) {
    let started = Instant::now();
    let small = seed_project(db, org_id, people, (MILESTONES, 2_000)).await;
    let large = seed_project(db, org_id, people, (MILESTONES, 20_000)).await;
    analyze(url).await;
    println!(
        "seeded 2 projects × {MILESTONES} milestones, 2,000 and 20,000 activities in {:.1?} ({})",
        started.elapsed(),
        backend_name(url)
    );

    let half_year_ago = (Utc::now() - chrono::Duration::days(182)).date_naive();
    let week_ago = (Utc::now() - chrono::Duration::days(7)).date_naive();
    let year_of_weeks = (Utc::now() - chrono::Duration::days(7 * 51)).date_naive();
    let targets = [
        ("2,000 activities", small, "".to_owned()),
        ("20,000 activities", large, "".to_owned()),
        (
            "20,000, 182 days back",
            large,
            format!("?as_of={half_year_ago}"),
        ),
        // What changed in the last week: two days' reports and the moves between them.
        (
            "changes, last 7 days",
            large,
            format!("/changes?since={week_ago}"),
        ),
        // 52 weekly points, ending today.
        (
            "history, 52 weeks",
            large,
            format!("/history?from={year_of_weeks}&every=week"),
        ),
    ];
    // Every target's median limit: the report, changes, history; the portfolio below.
    let limit_ms = |name: &str| if name.starts_with("history") { 250 } else { 50 };
    let mut timings: Vec<Vec<Duration>> = vec![Vec::new(); targets.len()];
    let mut sizes = vec![0usize; targets.len()];
    for round in 0..ROUNDS + 10 {
        for (i, (_, project, rest)) in targets.iter().enumerate() {
            let url = format!("http://127.0.0.1:{port}/api/v1/projects/{project}/readiness{rest}");
            let t = Instant::now();
            let mut res = client.get(&url).bearer_auth(token).send().await.unwrap();
            let body = res.body().limit(1 << 22).await.unwrap();
            let elapsed = t.elapsed();
            assert_eq!(res.status(), 200, "{}", String::from_utf8_lossy(&body));
            sizes[i] = body.len();
            if round >= 10 {
                timings[i].push(elapsed);
            }
        }
    }
    println!(
        "\n{:<20} {:>10} {:>10} {:>12} {:>10}",
        "GET readiness", "median", "p90", "body bytes", "target"
    );
    for (i, (name, _, _)) in targets.iter().enumerate() {
        let med = median(&mut timings[i]);
        let p90 = percentile(&mut timings[i], 90);
        println!(
            "{:<20} {:>8.1}ms {:>8.1}ms {:>12} {:>10}",
            name,
            med.as_secs_f64() * 1e3,
            p90.as_secs_f64() * 1e3,
            sizes[i],
            if i >= 1 {
                verdict(med, limit_ms(name))
            } else {
                String::new()
            }
        );
    }
    println!("({ROUNDS} interleaved rounds after 10 warm-up rounds)");
}

fn verdict(median: Duration, limit_ms: u64) -> String {
    let met = if median < Duration::from_millis(limit_ms) {
        "✓"
    } else {
        "✗"
    };
    format!("< {limit_ms} ms {met}")
}
