//! The readiness report, against figures computed by hand (DESIGN.md, "Readiness report").

use chrono::{Days, NaiveDate};
use serde_json::{Value, json};

use crate::{
    helpers::{TestApp, TestUser, spawn_app},
    milestones::today,
    world::World,
};

fn ago(days: u64) -> NaiveDate {
    today().checked_sub_days(Days::new(days)).unwrap()
}

fn ahead(days: u64) -> NaiveDate {
    today().checked_add_days(Days::new(days)).unwrap()
}

#[track_caller]
fn close(actual: &Value, expected: f64) {
    let actual = actual
        .as_f64()
        .unwrap_or_else(|| panic!("not a number: {actual}"));
    assert!(
        (actual - expected).abs() < 1e-9,
        "expected {expected}, got {actual}"
    );
}

struct Scenario {
    project: uuid::Uuid,
    a: String,
    b: String,
    c: String,
    e: String,
}

async fn post(app: &TestApp, path: String, by: &TestUser, body: Value) -> Value {
    let res = app.post(&path, Some(&by.access_token), body).await;
    assert!(res.status < 300, "{path}: {}", res.body);
    res.body
}

async fn advance(app: &TestApp, project: uuid::Uuid, m: &str, by: &TestUser, times: usize) {
    for _ in 0..times {
        post(
            app,
            format!("/api/v1/projects/{project}/milestones/{m}/transitions"),
            by,
            json!({"action": "advance"}),
        )
        .await;
    }
}

/// A project whose every figure is worked out by hand in the test below.
///
/// Members: lead (staff lead, no commitment), staff (10 h/week), consultant (20 h/week),
/// spare (staff lead too, 4 h/week). Consultant exit in 30 days; start 60 days ago.
/// Milestones, oldest first:
///   A finance, owner staff, due 10 days ago, reverse_shadowing (stage 3)
///   B reporting, no owner, due 5 days ago, planned (0)
///   C finance, owner spare, due in 60 days, reverse_shadowing (3), no hands-on by spare
///   D events, owner staff, handed_off (5)
///   E reporting, owner staff, ready_for_signoff (4)
/// Hours: staff 2 h execution on A (2 days ago), 1 h testing on D (yesterday), 1 h execution
/// on E (today); spare 1 h testing on D (yesterday), 1 h planning (40 days ago); consultant
/// 6 h execution on A (3 days ago), 2 h training (20 days ago).
async fn scenario(app: &TestApp, w: &World) -> Scenario {
    let base = format!("/api/v1/orgs/{}/projects", w.org_id);
    let project: uuid::Uuid = post(
        app,
        base,
        &w.lead,
        json!({"name": "Readiness", "start_date": ago(60), "consultant_exit_date": ahead(30)}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let p = format!("/api/v1/projects/{project}");
    post(
        app,
        format!("{p}/members"),
        &w.lead,
        json!({"user_id": w.staff.id, "role": "staff", "weekly_hours": 10}),
    )
    .await;
    post(
        app,
        format!("{p}/members"),
        &w.lead,
        json!({"user_id": w.consultant.id, "role": "consultant", "weekly_hours": 20}),
    )
    .await;
    post(
        app,
        format!("{p}/members"),
        &w.lead,
        json!({"user_id": w.spare_member.id, "role": "staff", "is_lead": true, "weekly_hours": 4}),
    )
    .await;

    let new = |title: &str, area: &str, owner: Option<uuid::Uuid>, due: Option<NaiveDate>| json!({"title": title, "knowledge_area": area, "staff_owner_id": owner, "due_date": due});
    let id = |v: Value| v["id"].as_str().unwrap().to_owned();
    let a = id(post(
        app,
        format!("{p}/milestones"),
        &w.lead,
        new("A", "finance", Some(w.staff.id), Some(ago(10))),
    )
    .await);
    let b = id(post(
        app,
        format!("{p}/milestones"),
        &w.lead,
        new("B", "reporting", None, Some(ago(5))),
    )
    .await);
    let c = id(post(
        app,
        format!("{p}/milestones"),
        &w.lead,
        new("C", "finance", Some(w.spare_member.id), Some(ahead(60))),
    )
    .await);
    let d = id(post(
        app,
        format!("{p}/milestones"),
        &w.lead,
        new("D", "events", Some(w.staff.id), None),
    )
    .await);
    let e = id(post(
        app,
        format!("{p}/milestones"),
        &w.lead,
        new("E", "reporting", Some(w.staff.id), None),
    )
    .await);

    let hours = |day: NaiveDate, h: f64, kind: &str, m: Option<&str>| json!({"occurred_on": day, "hours": h, "kind": kind, "milestone_id": m});
    let acts = format!("{p}/activities");
    post(
        app,
        acts.clone(),
        &w.staff,
        hours(ago(2), 2.0, "execution", Some(&a)),
    )
    .await;
    post(
        app,
        acts.clone(),
        &w.staff,
        hours(ago(1), 1.0, "testing", Some(&d)),
    )
    .await;
    post(
        app,
        acts.clone(),
        &w.staff,
        hours(today(), 1.0, "execution", Some(&e)),
    )
    .await;
    post(
        app,
        acts.clone(),
        &w.spare_member,
        hours(ago(1), 1.0, "testing", Some(&d)),
    )
    .await;
    post(
        app,
        acts.clone(),
        &w.spare_member,
        hours(ago(40), 1.0, "planning", None),
    )
    .await;
    post(
        app,
        acts.clone(),
        &w.consultant,
        hours(ago(3), 6.0, "execution", Some(&a)),
    )
    .await;
    post(
        app,
        acts.clone(),
        &w.consultant,
        hours(ago(20), 2.0, "training", None),
    )
    .await;

    advance(app, project, &a, &w.staff, 3).await;
    advance(app, project, &c, &w.lead, 3).await;
    advance(app, project, &d, &w.staff, 4).await;
    post(
        app,
        format!("{p}/milestones/{d}/transitions"),
        &w.staff,
        json!({"action": "sign_off"}),
    )
    .await;
    advance(app, project, &e, &w.staff, 4).await;
    Scenario {
        project,
        a,
        b,
        c,
        e,
    }
}

async fn report(
    app: &TestApp,
    project: uuid::Uuid,
    by: &TestUser,
    as_of: Option<NaiveDate>,
) -> Value {
    let path = match as_of {
        Some(day) => format!("/api/v1/projects/{project}/readiness?as_of={day}"),
        None => format!("/api/v1/projects/{project}/readiness"),
    };
    let res = app.get(&path, Some(&by.access_token)).await;
    assert_eq!(res.status, 200, "{}", res.body);
    res.body
}

#[actix_web::test]
async fn every_figure_matches_the_hand_computed_values() {
    let app = spawn_app().await;
    let w = app.world().await;
    let s = scenario(&app, &w).await;
    let r = report(&app, s.project, &w.admin, None).await;

    assert_eq!(r["model"], 2);
    assert_eq!(r["as_of"], today().to_string(), "as_of defaults to today");
    assert_eq!(r["frozen"], false);
    // Credits: A 3 (staff did 2 h on it), B 0, C 2 (spare never did it), D 5, E 4 = 14 of 25.
    close(&r["components"]["handoff_progress"], 14.0 / 25.0);
    // 4 of 5 milestones have an active staff owner.
    close(&r["components"]["ownership_coverage"], 0.8);
    // Hands-on in W: staff 2 + 1 + 1, spare 1 = 5 h; consultant 6 h.
    close(&r["components"]["staff_hands_on_share"], 5.0 / 11.0);
    // Everyone joined today: staff owed 10/7 h and logged 4 h this week, spare 4/7 h and
    // logged 1 h; each bucket credits at most what it expected.
    close(&r["components"]["commitment_adherence"], 1.0);
    // C is due later, D is handed off; A and B are overdue, E has no due date.
    close(&r["components"]["on_schedule"], 0.4);
    // 35 × 0.56 + 10 × 0.8 + 25 × 10/11 + 20 × 1 + 10 × 0.4 = 74.33…
    assert_eq!(r["score"], 74);

    let signals = &r["signals"];
    close(&signals["shares"]["staff_share_to_date"], 6.0 / 14.0);
    close(&signals["shares"]["staff_share_recent"], 5.0 / 13.0);
    close(
        &signals["shares"]["staff_hands_on_share_to_date"],
        5.0 / 11.0,
    );
    close(&signals["shares"]["staff_hands_on_share"], 5.0 / 11.0);
    assert_eq!(
        signals["shares"]["staff_hands_on_share_previous"],
        Value::Null
    );
    assert_eq!(signals["drifting"], false);
    assert_eq!(signals["stalled"], false);
    assert_eq!(signals["days_to_go_live"], Value::Null);
    assert_eq!(signals["days_to_consultant_exit"], 30);
    assert_eq!(
        signals["committed_hours_per_week"],
        json!({"staff": 14.0, "consultant": 20.0})
    );

    assert_eq!(
        r["milestones"],
        json!({"total": 5, "overdue": 2, "unowned": 1, "by_stage": {
            "planned": 1, "consultant_led": 0, "shadowing": 0, "reverse_shadowing": 2,
            "ready_for_signoff": 1, "handed_off": 1}})
    );
    close(&r["hours"]["staff_hours"], 6.0);
    close(&r["hours"]["consultant_hours"], 8.0);
    let windows = r["hours"]["windows"].as_array().unwrap();
    assert_eq!(windows.len(), 8);
    assert_eq!(windows[7]["window_end"], today().to_string());
    assert_eq!(windows[7]["window_start"], ago(6).to_string());
    assert_eq!(windows[0]["window_start"], ago(55).to_string());
    let column =
        |name: &str| -> Vec<f64> { windows.iter().map(|w| w[name].as_f64().unwrap()).collect() };
    assert_eq!(
        column("staff_hours"),
        [0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 5.0]
    );
    assert_eq!(
        column("consultant_hours"),
        [0.0, 0.0, 0.0, 0.0, 0.0, 2.0, 0.0, 6.0]
    );
    assert_eq!(
        column("staff_hands_on_hours"),
        [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 5.0]
    );
    assert_eq!(
        column("consultant_hands_on_hours"),
        [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 6.0]
    );

    let members = r["members"].as_array().unwrap();
    let member = |id: uuid::Uuid| {
        members
            .iter()
            .find(|m| m["user_id"] == id.to_string())
            .unwrap()
            .clone()
    };
    let staff = member(w.staff.id);
    close(&staff["hours_in_window"], 4.0);
    close(&staff["expected_hours"], 10.0 / 7.0);
    close(&staff["credited_hours"], 10.0 / 7.0);
    close(&staff["adherence"], 1.0);
    assert_eq!(staff["away"], false);
    let consultant = member(w.consultant.id);
    close(&consultant["hours_in_window"], 8.0);
    assert_eq!(
        consultant["adherence"],
        Value::Null,
        "adherence is a staff figure"
    );
    assert_eq!(
        member(w.lead.id)["adherence"],
        Value::Null,
        "nothing expected, no adherence"
    );
    close(&member(w.spare_member.id)["adherence"], 1.0);

    assert_eq!(
        r["knowledge_areas"],
        json!([
            {"knowledge_area": "events", "milestones": 1, "handed_off": 1, "staff_hours": 2.0, "consultant_hours": 0.0, "bus_factor": 2},
            {"knowledge_area": "finance", "milestones": 2, "handed_off": 0, "staff_hours": 2.0, "consultant_hours": 6.0, "bus_factor": 1},
            {"knowledge_area": "reporting", "milestones": 2, "handed_off": 0, "staff_hours": 1.0, "consultant_hours": 0.0, "bus_factor": 1},
        ])
    );
    let blockers: Vec<&str> = r["blockers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["title"].as_str().unwrap())
        .collect();
    assert_eq!(blockers, ["A", "B", "C", "E"]);

    let (lead, spare, staff_id) = (
        w.lead.id.to_string(),
        w.spare_member.id.to_string(),
        w.staff.id.to_string(),
    );
    let expect = |kind: &str, user: &str, target: &str| {
        (kind.to_owned(), user.to_owned(), target.to_owned())
    };
    assert_eq!(
        actions(&r),
        [
            expect("assign_staff_owner", &lead, &s.b),
            expect("assign_staff_owner", &spare, &s.b),
            expect("sign_off", &staff_id, &s.e),
            expect("overdue", &staff_id, &s.a),
            expect("overdue", &lead, &s.b),
            expect("overdue", &spare, &s.b),
            expect("hands_on_needed", &spare, &s.c),
            expect("reschedule_before_exit", &lead, &s.c),
            expect("reschedule_before_exit", &spare, &s.c),
            expect("reschedule_before_exit", &lead, &s.e),
            expect("reschedule_before_exit", &spare, &s.e),
            expect("knowledge_at_risk", &lead, "finance,reporting"),
            expect("knowledge_at_risk", &spare, "finance,reporting"),
        ]
    );
    let sign_off = r["next_actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "sign_off")
        .unwrap();
    assert_eq!(sign_off["days_waiting"], 0);
}

/// (kind, user, milestone or the areas at risk joined by commas) of each next action.
fn actions(r: &Value) -> Vec<(String, String, String)> {
    r["next_actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let target = match a["knowledge_areas"].as_array() {
                Some(areas) => areas
                    .iter()
                    .map(|v| v.as_str().unwrap())
                    .collect::<Vec<_>>()
                    .join(","),
                None => a["milestone_id"].as_str().unwrap_or("").to_owned(),
            };
            (
                a["kind"].as_str().unwrap().to_owned(),
                a["user_id"].as_str().unwrap().to_owned(),
                target,
            )
        })
        .collect()
}

#[actix_web::test]
async fn as_of_after_today_or_before_the_project_was_created_is_422() {
    let app = spawn_app().await;
    let w = app.world().await;
    for day in [ago(1), ahead(1)] {
        app.get(
            &format!("/api/v1/projects/{}/readiness?as_of={day}", w.project_id),
            Some(&w.lead.access_token),
        )
        .await
        .assert_problem(422, "invalid_as_of");
    }
}

#[actix_web::test]
async fn an_empty_project_scores_zero_without_dividing_by_zero() {
    let app = spawn_app().await;
    let w = app.world().await;
    let project = app
        .create_project(&w.lead, w.org_id, json!({"name": "Empty"}))
        .await;
    let r = report(&app, project, &w.lead, None).await;
    assert_eq!(r["score"], 0);
    for component in [
        "handoff_progress",
        "ownership_coverage",
        "staff_hands_on_share",
        "commitment_adherence",
        "on_schedule",
    ] {
        close(&r["components"][component], 0.0);
    }
    assert_eq!(r["milestones"]["total"], 0);
    assert_eq!(r["blockers"], json!([]));
    assert_eq!(r["knowledge_areas"], json!([]));
    assert_eq!(
        r["next_actions"],
        json!([]),
        "no milestones, no commitments: nothing to do"
    );
}

#[actix_web::test]
async fn hours_without_commitments_give_zero_adherence_and_no_log_time_action() {
    let app = spawn_app().await;
    let w = app.world().await;
    // The world's project: staff and consultant have no weekly commitment.
    let r = report(&app, w.project_id, &w.lead, None).await;
    close(&r["components"]["commitment_adherence"], 0.0);
    close(&r["components"]["staff_hands_on_share"], 1.0);
    assert!(
        r["next_actions"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["kind"] != "log_time")
    );
}

#[actix_web::test]
async fn a_bad_as_of_is_400() {
    let app = spawn_app().await;
    let w = app.world().await;
    app.get(
        &format!(
            "/api/v1/projects/{}/readiness?as_of=yesterday",
            w.project_id
        ),
        Some(&w.lead.access_token),
    )
    .await
    .assert_problem(400, "invalid_query_parameter");
}

#[actix_web::test]
async fn the_demo_loads_once_and_gives_a_meaningful_report() {
    let app = spawn_app().await;
    let (project, created) = buyin::demo::seed(&app.state).await.unwrap();
    assert!(created);
    let (again, created_again) = buyin::demo::seed(&app.state).await.unwrap();
    assert_eq!(
        (again, created_again),
        (project, false),
        "seeding twice changes nothing"
    );

    let login = app
        .login(buyin::demo::LOGINS[0].0, buyin::demo::DEMO_PASSWORD)
        .await;
    let token = login.body["access_token"].as_str().unwrap().to_owned();
    let projects = app.get("/api/v1/projects", Some(&token)).await;
    assert_eq!(projects.body["items"].as_array().unwrap().len(), 1);
    let viewer = TestUser {
        id: uuid::Uuid::nil(),
        email: String::new(),
        access_token: token,
        refresh_token: String::new(),
    };
    let r = report(&app, project, &viewer, None).await;
    assert_eq!(r["milestones"]["total"], 8);
    assert_eq!(r["milestones"]["by_stage"]["handed_off"], 1);
    assert!(r["score"].as_u64().unwrap() > 0);
    let kinds: std::collections::BTreeSet<&str> = r["next_actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.len() >= 5,
        "the demo shows several kinds of next action: {kinds:?}"
    );
    // The meetings' actions: one has waited three weeks on the vendor; the test scripts keep
    // the go-live gate shut (a consultant's pass does not count, a staff run failed).
    for kind in ["agreed", "chase", "fix_failing_test", "run_test_script"] {
        assert!(kinds.contains(kind), "{kind} in {kinds:?}");
    }
    assert_eq!(r["testing"]["critical_scripts"], 3);
    assert_eq!(r["testing"]["critical_passed_by_staff"], 1);
    assert_eq!(r["testing"]["failing"], 1);
    let reasons: Vec<&str> = r["testing"]["go_live_gate"]["blockers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["reason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons, ["never_run_by_staff", "last_staff_run_failed"]);

    // The story is true on the days seed-demo prints.
    let [(strong, _), (taken_over, _), (now, _)] = buyin::demo::dates_worth_looking_at(today());
    let at = |day| report(&app, project, &viewer, Some(day));
    let (strong, taken_over, now) = (at(strong).await, at(taken_over).await, at(now).await);
    let score = |r: &Value| r["score"].as_u64().unwrap();
    assert!(
        score(&taken_over) < score(&strong),
        "the takeover lowers the score"
    );
    assert_eq!(taken_over["signals"]["drifting"], true);
    assert!(score(&now) > score(&taken_over), "the recovery raises it");
    assert_eq!(now["signals"]["drifting"], false);
}

/// SQLite reads the readiness figures through a pool of reading connections beside the one that
/// writes; an in-memory database exists only in its one connection, so there the report is
/// read through it (a second pool would open an empty database and fail).
#[actix_web::test]
async fn an_in_memory_database_reads_the_report_through_its_one_connection() {
    let app = crate::helpers::spawn_app_via(&[], |_| {}, |_| "sqlite::memory:".into()).await;
    let lead = app.user("lead").await;
    let org_id = app.create_org(&lead, "Acme Association").await;
    let project_id = app
        .create_project(&lead, org_id, json!({"name": "Move to the new AMS"}))
        .await;
    let activity = app
        .post(
            &format!("/api/v1/projects/{project_id}/activities"),
            Some(&lead.access_token),
            json!({"occurred_on": today(), "hours": 2, "kind": "execution"}),
        )
        .await;
    assert_eq!(activity.status, 201, "{}", activity.body);
    for path in [
        "/readiness",
        "/readiness/history",
        "/readiness/changes?since=",
    ] {
        let since = if path.ends_with('=') {
            ago(0).to_string()
        } else {
            String::new()
        };
        let url = format!("/api/v1/projects/{project_id}{path}{since}");
        let res = app.get(&url, Some(&lead.access_token)).await;
        assert_eq!(res.status, 200, "{path}: {}", res.body);
    }
    let report = app
        .get(
            &format!("/api/v1/projects/{project_id}/readiness"),
            Some(&lead.access_token),
        )
        .await;
    close(&report.body["hours"]["staff_hours"], 2.0);
}
