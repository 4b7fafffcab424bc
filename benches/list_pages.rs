//! Keyset pagination benchmark: the last page of 10,000 projects must cost what the first does.
//!
//! Seeds 10,000 projects (and their lead's participations) for one user, starts the real server,
//! then times `GET /api/v1/projects?limit=50` for the first, the middle and the last page, in
//! interleaved rounds so all three see the same machine conditions. Reports medians and the
//! ratio to the first page.
//!
//!     cargo bench --bench list_pages                       # SQLite
//!     BUYIN_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
//!         cargo bench --bench list_pages                   # PostgreSQL (a scratch database)

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use buyin::{
    api::common::encode_cursor,
    domain::{ProjectRole, ProjectStatus},
    entity::{project, project_member},
    repo::{orgs, sessions, users},
};
use chrono::Utc;
use common::{analyze, backend_name, median, percentile};
use sea_orm::{ActiveValue::Set, Database, EntityTrait};
use uuid::Uuid;

const PROJECTS: usize = 10_000;
const PAGE: usize = 50;
const ROUNDS: usize = 300;

fn main() {
    actix_web::rt::System::new().block_on(run());
}

async fn run() {
    let (port, state, url, cleanup) = common::server().await;

    let db = Database::connect(&url).await.unwrap();
    let user = users::insert_user(
        &db,
        users::NewUser {
            email: "bench@example.org".into(),
            display_name: "Bench".into(),
            password_hash: "unused".into(),
        },
        Utc::now(),
    )
    .await
    .unwrap();
    let session = sessions::insert_session(
        &db,
        user.id,
        Utc::now() + chrono::Duration::days(1),
        Utc::now(),
    )
    .await
    .unwrap();
    let token = state
        .tokens
        .issue_access_token(user.id, session.id)
        .unwrap();
    let org = orgs::insert_org(&db, "Bench org".into(), "bench".into(), Utc::now())
        .await
        .unwrap();

    let started = Instant::now();
    let mut ids = Vec::with_capacity(PROJECTS);
    for chunk in 0..PROJECTS / 500 {
        let now = Utc::now();
        let mut projects = Vec::new();
        let mut members = Vec::new();
        for i in 0..500 {
            let id = Uuid::now_v7();
            ids.push(id);
            projects.push(project::ActiveModel {
                id: Set(id),
                org_id: Set(org.id),
                name: Set(format!("Project {}", chunk * 500 + i)),
                description: Set(None),
                system_name: Set(None),
                status: Set(ProjectStatus::InProgress),
                start_date: Set(None),
                go_live_date: Set(None),
                consultant_exit_date: Set(None),
                external_id: Set(None),
                external_source: Set(None),
                version: Set(1),
                created_at: Set(now),
                updated_at: Set(now),
            });
            members.push(project_member::ActiveModel {
                id: Set(Uuid::now_v7()),
                project_id: Set(id),
                user_id: Set(user.id),
                role: Set(ProjectRole::Staff),
                is_lead: Set(true),
                weekly_quarter_hours: Set(0),
                responsibility: Set(None),
                version: Set(1),
                joined_at: Set(now),
                left_at: Set(None),
                away: Set("[]".into()),
                updated_at: Set(now),
            });
        }
        project::Entity::insert_many(projects)
            .exec(&db)
            .await
            .unwrap();
        project_member::Entity::insert_many(members)
            .exec(&db)
            .await
            .unwrap();
    }
    analyze(&url).await;
    ids.sort();
    println!(
        "seeded {PROJECTS} projects in {:.1?} ({})",
        started.elapsed(),
        backend_name(&url)
    );

    let client = awc::Client::builder()
        .timeout(Duration::from_secs(30))
        .finish();
    let base = format!("http://127.0.0.1:{port}/api/v1/projects?limit={PAGE}");
    let pages = [
        ("first page (1)", base.clone()),
        (
            "middle page (100)",
            format!(
                "{base}&cursor={}",
                encode_cursor("projects", ids[PROJECTS / 2 - 1])
            ),
        ),
        (
            "last page (200)",
            format!(
                "{base}&cursor={}",
                encode_cursor("projects", ids[PROJECTS - PAGE - 1])
            ),
        ),
    ];
    let mut timings: Vec<Vec<Duration>> = vec![Vec::new(); pages.len()];
    for round in 0..ROUNDS + 20 {
        for (i, (_, url)) in pages.iter().enumerate() {
            let t = Instant::now();
            let mut res = client.get(url).bearer_auth(&token).send().await.unwrap();
            let body = res.body().limit(1 << 20).await.unwrap();
            let elapsed = t.elapsed();
            assert_eq!(res.status(), 200);
            let items = serde_json::from_slice::<serde_json::Value>(&body).unwrap()["items"]
                .as_array()
                .unwrap()
                .len();
            assert_eq!(items, PAGE);
            if round >= 20 {
                timings[i].push(elapsed); // the first 20 rounds warm up
            }
        }
    }
    let medians: Vec<Duration> = timings.iter_mut().map(|t| median(t)).collect();
    println!(
        "\n{:<20} {:>12} {:>12} {:>10}",
        "page of 50", "median", "p90", "vs first"
    );
    for (i, (name, _)) in pages.iter().enumerate() {
        let p90 = percentile(&mut timings[i], 90);
        println!(
            "{:<20} {:>10.0}µs {:>10.0}µs {:>9.2}×",
            name,
            medians[i].as_secs_f64() * 1e6,
            p90.as_secs_f64() * 1e6,
            medians[i].as_secs_f64() / medians[0].as_secs_f64()
        );
    }
    println!("({ROUNDS} interleaved rounds after 20 warm-up rounds)");
    drop(db);
    cleanup().await;
}
