//! The state on a day (DESIGN.md, "The state on a day", "One clock"): a report for an earlier
//! day is what was answered on that day, however stages, owners, memberships, away periods and
//! due dates changed since. The history is real: the server starts in the past and is restarted
//! later on the same database (`BUYIN_CLOCK_OFFSET`).

use chrono::{Duration, NaiveDate, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{PASSWORD, TestApp, TestUser, spawn_app_with};

fn day(offset_days: i64) -> NaiveDate {
    (Utc::now() + Duration::days(offset_days)).date_naive()
}

/// A new access token on the restarted server's clock.
async fn relogin(app: &TestApp, user: &mut TestUser) {
    let login = app.login(&user.email, PASSWORD).await;
    assert_eq!(login.status, 200, "{}", login.body);
    user.access_token = login.body["access_token"].as_str().unwrap().to_owned();
}

async fn send(app: &TestApp, method: &str, path: &str, by: &TestUser, body: Value) -> Value {
    let res = match method {
        "POST" => app.post(path, Some(&by.access_token), body).await,
        "PATCH" => {
            let auth = format!("Bearer {}", by.access_token);
            app.patch_any_version(path, &auth, body.to_string()).await
        }
        "DELETE" => {
            let auth = format!("Bearer {}", by.access_token);
            let headers = [("if-match", "*"), ("authorization", auth.as_str())];
            app.raw(actix_web::http::Method::DELETE, path, &headers, "")
                .await
        }
        _ => unreachable!(),
    };
    assert!(res.status < 300, "{method} {path}: {}", res.body);
    res.body
}

async fn report(app: &TestApp, project: Uuid, by: &TestUser, as_of: Option<NaiveDate>) -> Value {
    let path = match as_of {
        Some(d) => format!("/api/v1/projects/{project}/readiness?as_of={d}"),
        None => format!("/api/v1/projects/{project}/readiness"),
    };
    let res = app.get(&path, Some(&by.access_token)).await;
    assert_eq!(res.status, 200, "{}", res.body);
    res.body
}

#[actix_web::test]
async fn a_report_for_an_earlier_day_is_what_was_answered_on_that_day() {
    // Day 1: forty days ago.
    let mut app = spawn_app_with(&[("BUYIN_CLOCK_OFFSET", "-40d")], |_| {}).await;
    let mut lead = app.user("lead").await;
    let mut staff = app.user("staff").await;
    let mut consultant = app.user("consultant").await;
    let org = app.create_org(&lead, "Association").await;
    app.add_org_member(&lead, org, &staff, "member").await;
    let project = app
        .create_project(
            &lead,
            org,
            json!({"name": "AMS", "consultant_exit_date": day(-10)}),
        )
        .await;
    let p = format!("/api/v1/projects/{project}");
    send(
        &app,
        "POST",
        &format!("{p}/members"),
        &lead,
        json!({"user_id": staff.id, "role": "staff", "weekly_hours": 10}),
    )
    .await;
    send(
        &app,
        "POST",
        &format!("{p}/members"),
        &lead,
        json!({"user_id": consultant.id, "role": "consultant", "weekly_hours": 20}),
    )
    .await;
    let dues = send(&app, "POST", &format!("{p}/milestones"), &lead,
        json!({"title": "Dues", "knowledge_area": "Dues", "staff_owner_id": staff.id, "due_date": day(-20)})).await["id"]
        .as_str().unwrap().to_owned();
    let events = send(
        &app,
        "POST",
        &format!("{p}/milestones"),
        &lead,
        json!({"title": "Events", "knowledge_area": "Events", "due_date": day(-25)}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for _ in 0..3 {
        send(
            &app,
            "POST",
            &format!("{p}/milestones/{dues}/transitions"),
            &consultant,
            json!({"action": "advance"}),
        )
        .await;
    }
    send(
        &app,
        "POST",
        &format!("{p}/activities"),
        &staff,
        json!({"occurred_on": day(-40), "hours": 3, "kind": "execution", "milestone_id": dues}),
    )
    .await;
    send(
        &app,
        "POST",
        &format!("{p}/activities"),
        &consultant,
        json!({"occurred_on": day(-40), "hours": 2, "kind": "execution", "milestone_id": events}),
    )
    .await;
    let day1 = report(&app, project, &lead, None).await;
    assert_eq!(day1["as_of"], json!(day(-40)));
    assert_eq!(day1["milestones"]["by_stage"]["reverse_shadowing"], 1);

    // Day 2, ten days later: the owner moves, a due date moves, the staff member goes on leave
    // and cuts their commitment, the consultant leaves, a milestone is deleted, another added.
    app.restart_at("-30d").await;
    for user in [&mut lead, &mut staff, &mut consultant] {
        relogin(&app, user).await;
    }
    send(
        &app,
        "PATCH",
        &format!("{p}/milestones/{dues}"),
        &lead,
        json!({"staff_owner_id": lead.id, "due_date": day(-5)}),
    )
    .await;
    send(
        &app,
        "PATCH",
        &format!("{p}/members/{}", staff.id),
        &lead,
        json!({"weekly_hours": 4, "away": [{"from": day(-31), "until": day(-25)}]}),
    )
    .await;
    send(
        &app,
        "DELETE",
        &format!("{p}/members/{}", consultant.id),
        &lead,
        json!(null),
    )
    .await;
    send(
        &app,
        "DELETE",
        &format!("{p}/milestones/{events}"),
        &lead,
        json!(null),
    )
    .await;
    send(
        &app,
        "POST",
        &format!("{p}/milestones"),
        &lead,
        json!({"title": "Reports", "knowledge_area": "reports ", "staff_owner_id": staff.id}),
    )
    .await;
    send(
        &app,
        "PATCH",
        &p,
        &lead,
        json!({"consultant_exit_date": day(30), "go_live_date": day(20)}),
    )
    .await;
    let day2 = report(&app, project, &lead, None).await;
    assert_ne!(day2, day1);
    assert_eq!(
        day2["milestones"]["total"], 2,
        "Events is gone, Reports is new"
    );

    // Today: more changes still, then both days read back exactly as they were answered.
    app.restart_at("0").await;
    relogin(&app, &mut lead).await;
    send(
        &app,
        "PATCH",
        &format!("{p}/milestones/{dues}"),
        &lead,
        json!({"staff_owner_id": null, "due_date": day(40), "knowledge_area": "Finance"}),
    )
    .await;
    send(
        &app,
        "PATCH",
        &format!("{p}/members/{}", staff.id),
        &lead,
        json!({"weekly_hours": 20, "is_lead": true, "away": []}),
    )
    .await;
    send(
        &app,
        "PATCH",
        &p,
        &lead,
        json!({"consultant_exit_date": null}),
    )
    .await;
    assert_eq!(report(&app, project, &lead, Some(day(-40))).await, day1);
    assert_eq!(report(&app, project, &lead, Some(day(-30))).await, day2);
    assert_ne!(report(&app, project, &lead, None).await, day2);
}

#[actix_web::test]
async fn leave_a_lead_records_afterwards_excuses_the_days_it_covers_from_then_on() {
    let mut app = spawn_app_with(&[("BUYIN_CLOCK_OFFSET", "-14d")], |_| {}).await;
    let mut lead = app.user("lead").await;
    let mut staff = app.user("staff").await;
    let org = app.create_org(&lead, "Association").await;
    app.add_org_member(&lead, org, &staff, "member").await;
    let project = app.create_project(&lead, org, json!({"name": "AMS"})).await;
    let p = format!("/api/v1/projects/{project}");
    send(
        &app,
        "POST",
        &format!("{p}/members"),
        &lead,
        json!({"user_id": staff.id, "role": "staff", "weekly_hours": 7}),
    )
    .await;
    app.restart_at("0").await;
    for user in [&mut lead, &mut staff] {
        relogin(&app, user).await;
    }
    // Nothing logged for two weeks: 14 days of 1 h expected, nothing credited.
    let before = report(&app, project, &lead, Some(day(-1))).await;
    assert_eq!(before["components"]["commitment_adherence"], 0.0);
    let owed = |r: &Value| {
        r["members"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["user_id"] == json!(staff.id))
            .unwrap()["expected_hours"]
            .as_f64()
            .unwrap()
    };
    assert_eq!(owed(&before), 14.0);
    // A member cannot excuse their own past…
    let own = format!("Bearer {}", staff.access_token);
    let res = app
        .patch_any_version(
            &format!("{p}/members/{}", staff.id),
            &own,
            json!({"away": [{"from": day(-14), "until": day(-8)}]}).to_string(),
        )
        .await;
    res.assert_problem(403, "forbidden");
    // …but may announce leave from today on, and nothing else of their participation.
    let res = app
        .patch_any_version(
            &format!("{p}/members/{}", staff.id),
            &own,
            json!({"away": [{"from": day(0), "until": null}]}).to_string(),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.body["away"], json!([{"from": day(0), "until": null}]));
    let res = app
        .patch_any_version(
            &format!("{p}/members/{}", staff.id),
            &own,
            json!({"weekly_hours": 1}).to_string(),
        )
        .await;
    res.assert_problem(403, "forbidden");
    // Overlapping or backwards periods are refused.
    let res = app
        .patch_any_version(
            &format!("{p}/members/{}", staff.id),
            &own,
            json!({"away": [{"from": day(2), "until": day(1)}]}).to_string(),
        )
        .await;
    res.assert_problem(422, "validation_failed");
    assert_eq!(res.error_fields(), ["away[0].until"]);
    // The lead records the first week as leave. Reports from today on excuse the days it
    // covers (today's also excuses today: the open period); yesterday's report, read now, is
    // still what it was (the past is not rewritten).
    send(
        &app,
        "PATCH",
        &format!("{p}/members/{}", staff.id),
        &lead,
        json!({"away": [{"from": day(-14), "until": day(-8)}, {"from": day(0), "until": null}]}),
    )
    .await;
    assert_eq!(report(&app, project, &lead, Some(day(-1))).await, before);
    let today = report(&app, project, &lead, None).await;
    assert_eq!(owed(&today), 7.0);
    let member = today["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["user_id"] == json!(staff.id))
        .unwrap()
        .clone();
    assert_eq!(member["away"], true);
}

#[actix_web::test]
async fn a_closed_project_keeps_the_report_of_the_day_it_closed() {
    let mut app = spawn_app_with(&[("BUYIN_CLOCK_OFFSET", "-20d")], |_| {}).await;
    let mut lead = app.user("lead").await;
    let org = app.create_org(&lead, "Association").await;
    let project = app
        .create_project(&lead, org, json!({"name": "AMS", "go_live_date": day(-5)}))
        .await;
    let p = format!("/api/v1/projects/{project}");
    send(
        &app,
        "PATCH",
        &format!("{p}/members/{}", lead.id),
        &lead,
        json!({"weekly_hours": 7}),
    )
    .await;
    let m = send(
        &app,
        "POST",
        &format!("{p}/milestones"),
        &lead,
        json!({"title": "Dues", "knowledge_area": "Dues", "staff_owner_id": lead.id}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    send(
        &app,
        "POST",
        &format!("{p}/activities"),
        &lead,
        json!({"occurred_on": day(-20), "hours": 2, "kind": "execution", "milestone_id": m}),
    )
    .await;
    for _ in 0..4 {
        send(
            &app,
            "POST",
            &format!("{p}/milestones/{m}/transitions"),
            &lead,
            json!({"action": "advance"}),
        )
        .await;
    }
    send(
        &app,
        "POST",
        &format!("{p}/milestones/{m}/transitions"),
        &lead,
        json!({"action": "sign_off"}),
    )
    .await;
    send(&app, "PATCH", &p, &lead, json!({"status": "closed"})).await;
    let closing_day = report(&app, project, &lead, None).await;
    assert_eq!(closing_day["frozen"], true);

    // Twenty days later nobody logs time any more, yet the closed project does not decay.
    app.restart_at("0").await;
    relogin(&app, &mut lead).await;
    let later = report(&app, project, &lead, None).await;
    assert_eq!(later["as_of"], json!(day(0)));
    assert_eq!(later["frozen"], true);
    let without_day = |mut r: Value| {
        r.as_object_mut().unwrap().remove("as_of");
        r
    };
    assert_eq!(without_day(later), without_day(closing_day));
}

/// (kind, user, on behalf of) of each next action.
fn actions(r: &Value) -> Vec<(String, Uuid, Option<Uuid>)> {
    r["next_actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["kind"].as_str().unwrap().to_owned(),
                a["user_id"].as_str().unwrap().parse().unwrap(),
                a["on_behalf_of"].as_str().map(|id| id.parse().unwrap()),
            )
        })
        .collect()
}

#[actix_web::test]
async fn away_owners_consultants_doing_the_work_and_a_stalled_project_each_get_their_action() {
    // Thirty days ago: Sam (staff, 14 h/week) owns "Dues", does two hours of it himself, and
    // the consultant clicks it up to reverse_shadowing; the lead committed 7 h/week.
    let mut app = spawn_app_with(&[("BUYIN_CLOCK_OFFSET", "-30d")], |_| {}).await;
    let mut lead = app.user("lead").await;
    let mut sam = app.user("sam").await;
    let mut consultant = app.user("consultant").await;
    let org = app.create_org(&lead, "Association").await;
    app.add_org_member(&lead, org, &sam, "member").await;
    let project = app.create_project(&lead, org, json!({"name": "AMS"})).await;
    let p = format!("/api/v1/projects/{project}");
    send(
        &app,
        "PATCH",
        &format!("{p}/members/{}", lead.id),
        &lead,
        json!({"weekly_hours": 7}),
    )
    .await;
    send(
        &app,
        "POST",
        &format!("{p}/members"),
        &lead,
        json!({"user_id": sam.id, "role": "staff", "weekly_hours": 14}),
    )
    .await;
    send(
        &app,
        "POST",
        &format!("{p}/members"),
        &lead,
        json!({"user_id": consultant.id, "role": "consultant"}),
    )
    .await;
    let dues = send(&app, "POST", &format!("{p}/milestones"), &lead,
        json!({"title": "Dues", "knowledge_area": "Dues", "staff_owner_id": sam.id, "due_date": day(-2)})).await["id"]
        .as_str().unwrap().to_owned();
    send(
        &app,
        "POST",
        &format!("{p}/activities"),
        &sam,
        json!({"occurred_on": day(-30), "hours": 2, "kind": "execution", "milestone_id": dues}),
    )
    .await;
    for _ in 0..3 {
        send(
            &app,
            "POST",
            &format!("{p}/milestones/{dues}/transitions"),
            &consultant,
            json!({"action": "advance"}),
        )
        .await;
    }
    // Ten days ago the consultant did three hours of it; Sam did nothing since.
    app.restart_at("-10d").await;
    relogin(&app, &mut consultant).await;
    send(
        &app,
        "POST",
        &format!("{p}/activities"),
        &consultant,
        json!({"occurred_on": day(-10), "hours": 3, "kind": "execution", "milestone_id": dues}),
    )
    .await;
    // Today the lead records that Sam has been away since yesterday.
    app.restart_at("0").await;
    for user in [&mut lead, &mut sam] {
        relogin(&app, user).await;
    }
    send(
        &app,
        "PATCH",
        &format!("{p}/members/{}", sam.id),
        &lead,
        json!({"away": [{"from": day(-1), "until": day(3)}]}),
    )
    .await;

    let a = |kind: &str, user: &TestUser, behalf: Option<&TestUser>| {
        (kind.to_owned(), user.id, behalf.map(|u| u.id))
    };
    // Today: "Dues" is overdue and Sam is away, so the lead gets it on his behalf; nobody but
    // Sam could be one in "Dues" (bus factor 1); the lead logged nothing of 28 h; the
    // consultant did hands-on work Sam should be doing; Sam's milestone waits while he is away.
    let today = report(&app, project, &lead, None).await;
    assert_eq!(
        actions(&today),
        [
            a("overdue", &lead, Some(&sam)),
            a("knowledge_at_risk", &lead, None),
            a("log_time", &lead, None),
            a("step_back", &consultant, None),
            a("owner_away", &lead, None),
        ]
    );
    // Eleven days ago: nothing logged for the fourteen days before, Sam was not away yet and
    // owed 40 h with 2 h logged (0.05), the lead 20 days of 1 h with none.
    let then = report(&app, project, &lead, Some(day(-11))).await;
    assert_eq!(then["signals"]["stalled"], true);
    assert_eq!(
        actions(&then),
        [
            a("knowledge_at_risk", &lead, None),
            a("log_time", &lead, None),
            a("log_time", &sam, None),
            a("project_stalled", &lead, None),
        ]
    );
    let sam_then = then["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["user_id"] == json!(sam.id))
        .unwrap()
        .clone();
    assert_eq!(
        (
            sam_then["expected_hours"].as_f64(),
            sam_then["credited_hours"].as_f64()
        ),
        (Some(40.0), Some(2.0))
    );
}
