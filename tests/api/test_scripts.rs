//! Staff-run test scripts and the go-live gate (DESIGN.md, "Staff-run test scripts — the
//! go-live gate"): "either you test the system before you go live, or your members will".

use chrono::{Duration, Utc};
use futures_util::future::join;
use serde_json::{Value, json};

use crate::{
    helpers::{TestApp, TestResponse, TestUser, on_postgres, spawn_app, spawn_app_with},
    world::World,
};

fn script_path(w: &World) -> String {
    format!(
        "/api/v1/projects/{}/test-scripts/{}",
        w.project_id, w.script_id
    )
}

async fn run(app: &TestApp, w: &World, by: &str, body: Value) -> TestResponse {
    app.post(&format!("{}/runs", script_path(w)), Some(by), body)
        .await
}

async fn report(app: &TestApp, w: &World, by: &TestUser) -> Value {
    let res = app
        .get(
            &format!("/api/v1/projects/{}/readiness", w.project_id),
            Some(&by.access_token),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    res.body
}

fn kinds_for(report: &Value, kind: &str) -> Vec<Value> {
    report["next_actions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["kind"] == kind)
        .map(|a| json!([a["user_id"], a["script_id"]]))
        .collect()
}

async fn go_live(app: &TestApp, w: &World) -> TestResponse {
    app.patch_any_version(
        &format!("/api/v1/projects/{}", w.project_id),
        &format!("Bearer {}", w.lead.access_token),
        json!({"status": "hypercare"}).to_string(),
    )
    .await
}

#[actix_web::test]
async fn a_consultant_run_never_counts_as_staff_tested() {
    let app = spawn_app().await;
    let w = app.world().await;
    let res = run(
        &app,
        &w,
        &w.consultant.access_token,
        json!({"result": "passed"}),
    )
    .await;
    assert_eq!(res.status, 201, "{}", res.body);
    assert_eq!(res.body["party"], "consultant");
    assert_eq!(res.body["user_id"], json!(w.consultant.id));

    let r = report(&app, &w, &w.lead).await;
    assert_eq!(
        r["testing"],
        json!({"scripts": 1, "critical_scripts": 1, "critical_passed_by_staff": 0, "failing": 0,
               "go_live_gate": {"open": false, "blockers": [
                   {"script_id": w.script_id, "title": "Invoice one month of dues",
                    "reason": "never_run_by_staff"}]}})
    );
    // Its owner is asked to run it themself.
    assert_eq!(
        kinds_for(&r, "run_test_script"),
        [json!([w.staff.id, w.script_id])]
    );
    go_live(&app, &w)
        .await
        .assert_problem(409, "go_live_blocked");
}

#[actix_web::test]
async fn going_live_needs_every_critical_script_passed_by_staff() {
    let app = spawn_app().await;
    let w = app.world().await;
    let refused = go_live(&app, &w).await;
    refused.assert_problem(409, "go_live_blocked");
    assert_eq!(
        refused.body["blockers"],
        json!([{"script_id": w.script_id, "title": "Invoice one month of dues",
                "reason": "never_run_by_staff"}])
    );

    // A staff run that failed: still shut, and each lead is asked to get it fixed.
    let failed = run(
        &app,
        &w,
        &w.staff.access_token,
        json!({"result": "failed",
                     "notes": "Group members were invoiced twice."}),
    )
    .await;
    assert_eq!(failed.status, 201, "{}", failed.body);
    assert_eq!(failed.body["party"], "staff");
    let refused = go_live(&app, &w).await;
    assert_eq!(
        refused.body["blockers"][0]["reason"],
        "last_staff_run_failed"
    );
    let r = report(&app, &w, &w.lead).await;
    assert_eq!(r["testing"]["failing"], 1);
    assert_eq!(
        kinds_for(&r, "fix_failing_test"),
        [json!([w.lead.id, w.script_id])]
    );

    // Passed by staff (the lead is staff too): the gate opens, the failing item goes.
    let passed = run(&app, &w, &w.lead.access_token, json!({"result": "passed"})).await;
    assert_eq!(passed.status, 201, "{}", passed.body);
    let r = report(&app, &w, &w.lead).await;
    assert_eq!(
        r["testing"]["go_live_gate"],
        json!({"open": true, "blockers": []})
    );
    assert_eq!(r["testing"]["critical_passed_by_staff"], 1);
    assert!(kinds_for(&r, "fix_failing_test").is_empty());
    assert!(kinds_for(&r, "run_test_script").is_empty());

    // A consultant's later failing run shuts it again: members would meet that failure.
    let failed = run(
        &app,
        &w,
        &w.consultant.access_token,
        json!({"result": "failed"}),
    )
    .await;
    assert_eq!(failed.status, 201);
    let refused = go_live(&app, &w).await;
    refused.assert_problem(409, "go_live_blocked");
    assert_eq!(refused.body["blockers"][0]["reason"], "last_run_failed");
    let again = run(&app, &w, &w.staff.access_token, json!({"result": "passed"})).await;
    assert_eq!(again.status, 201);

    // A script that is not critical never blocks; a failing one is still reported.
    let minor = app
        .post(
            &format!("/api/v1/projects/{}/test-scripts", w.project_id),
            Some(&w.consultant.access_token),
            json!({"title": "Print a badge", "knowledge_area": "events", "steps": "Print one.",
                   "owner_id": w.staff.id}),
        )
        .await;
    assert_eq!(minor.status, 201, "{}", minor.body);
    assert_eq!(minor.body["critical"], false);
    let minor_runs = format!(
        "/api/v1/projects/{}/test-scripts/{}/runs",
        w.project_id,
        minor.body["id"].as_str().unwrap()
    );
    let res = app
        .post(
            &minor_runs,
            Some(&w.staff.access_token),
            json!({"result": "failed"}),
        )
        .await;
    assert_eq!(res.status, 201);
    let live = go_live(&app, &w).await;
    assert_eq!(live.status, 200, "{}", live.body);
    assert_eq!(live.body["status"], "hypercare");
}

#[actix_web::test]
async fn the_latest_run_is_the_latest_day_then_the_latest_recorded() {
    let app = spawn_app().await;
    let w = app.world().await;
    let today = Utc::now().date_naive();
    // Failed today, then a pass recorded afterwards for yesterday: today's failure is latest.
    let res = run(&app, &w, &w.staff.access_token, json!({"result": "failed"})).await;
    assert_eq!(res.status, 201);
    let res = run(
        &app,
        &w,
        &w.staff.access_token,
        json!({"result": "passed", "occurred_on": today - Duration::days(1)}),
    )
    .await;
    assert_eq!(res.status, 201);
    let r = report(&app, &w, &w.lead).await;
    assert_eq!(
        r["testing"]["go_live_gate"]["blockers"][0]["reason"],
        "last_staff_run_failed"
    );
    // Two runs on one day: the one recorded later wins.
    let res = run(&app, &w, &w.staff.access_token, json!({"result": "passed"})).await;
    assert_eq!(res.status, 201);
    let r = report(&app, &w, &w.lead).await;
    assert_eq!(
        r["testing"]["go_live_gate"]["open"], true,
        "{}",
        r["testing"]
    );
    // The runs are listed in the order recorded.
    let runs = app
        .get(
            &format!("{}/runs", script_path(&w)),
            Some(&w.consultant.access_token),
        )
        .await;
    let results: Vec<&str> = runs.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["result"].as_str().unwrap())
        .collect();
    assert_eq!(results, ["failed", "passed", "passed"]);
}

#[actix_web::test]
async fn a_run_is_a_persons_own_and_never_in_the_future() {
    let app = spawn_app().await;
    let w = app.world().await;
    run(&app, &w, &w.key_write, json!({"result": "passed"}))
        .await
        .assert_problem(403, "person_required");
    // An org admin who does not take part has not tested anything.
    run(&app, &w, &w.admin.access_token, json!({"result": "passed"}))
        .await
        .assert_problem(403, "forbidden");
    let tomorrow = Utc::now().date_naive() + Duration::days(1);
    let res = run(
        &app,
        &w,
        &w.staff.access_token,
        json!({"result": "passed", "occurred_on": tomorrow}),
    )
    .await;
    res.assert_problem(422, "validation_failed");
    assert_eq!(res.error_fields(), ["occurred_on"]);
    // Nothing was recorded.
    let runs = app
        .get(
            &format!("{}/runs", script_path(&w)),
            Some(&w.lead.access_token),
        )
        .await;
    assert_eq!(runs.body["items"], json!([]));
}

#[actix_web::test]
async fn a_script_is_owned_by_active_staff_and_edited_by_its_owner_or_a_lead() {
    let app = spawn_app().await;
    let w = app.world().await;
    let scripts = format!("/api/v1/projects/{}/test-scripts", w.project_id);
    let res = app
        .post(
            &scripts,
            Some(&w.lead.access_token),
            json!({"title": "Register for the conference", "knowledge_area": " Events ",
                     "steps": "Register one member.", "owner_id": w.consultant.id}),
        )
        .await;
    res.assert_problem(422, "validation_failed");
    assert_eq!(res.error_fields(), ["owner_id"]);
    // The owner edits; a consultant who is not the owner may not.
    let by = |token: &str| format!("Bearer {token}");
    let res = app
        .patch_any_version(
            &script_path(&w),
            &by(&w.consultant.access_token),
            json!({"steps": "Another way."}).to_string(),
        )
        .await;
    res.assert_problem(403, "forbidden");
    let res = app
        .patch_any_version(
            &script_path(&w),
            &by(&w.staff.access_token),
            json!({"knowledge_area": "  dues invoicing ", "critical": false}).to_string(),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.body["knowledge_area"], "dues invoicing");
    assert_eq!(res.body["critical"], false);
    // Not critical any more: the gate is open.
    let r = report(&app, &w, &w.lead).await;
    assert_eq!(r["testing"]["go_live_gate"]["open"], true);
    // Filters.
    let critical = app
        .get(
            &format!("{scripts}?critical=true"),
            Some(&w.lead.access_token),
        )
        .await;
    assert_eq!(critical.body["items"], json!([]));
    // This project's script under another project's path is not found.
    let replayed = format!(
        "/api/v1/projects/{}/test-scripts/{}/runs",
        w.other_project_id, w.script_id
    );
    app.post(
        &replayed,
        Some(&w.other.access_token),
        json!({"result": "passed"}),
    )
    .await
    .assert_problem(404, "test_script_not_found");
}

#[actix_web::test]
async fn the_changes_view_lists_scripts_newly_passed_by_staff() {
    let mut app = spawn_app_with(&[("BUYIN_CLOCK_OFFSET", "-2d")], |_| {}).await;
    let mut w = app.world().await;
    let created = (Utc::now() - Duration::days(2)).date_naive();
    app.restart_at("0s").await;
    app.log_in_again(&mut w).await;
    // A consultant's pass is not the staff's.
    let res = run(
        &app,
        &w,
        &w.consultant.access_token,
        json!({"result": "passed"}),
    )
    .await;
    assert_eq!(res.status, 201);
    let changes = format!(
        "/api/v1/projects/{}/readiness/changes?since={created}",
        w.project_id
    );
    let before = app.get(&changes, Some(&w.lead.access_token)).await;
    assert_eq!(before.status, 200, "{}", before.body);
    assert_eq!(before.body["scripts_passed_by_staff"], json!([]));

    let res = run(&app, &w, &w.staff.access_token, json!({"result": "passed"})).await;
    assert_eq!(res.status, 201);
    let after = app.get(&changes, Some(&w.lead.access_token)).await;
    assert_eq!(
        after.body["scripts_passed_by_staff"],
        json!([{"script_id": w.script_id, "title": "Invoice one month of dues"}])
    );
    assert!(
        after.body["got_better"]
            .as_array()
            .unwrap()
            .contains(&json!(
                "staff passed the test script \"Invoice one month of dues\""
            )),
        "{}",
        after.body
    );
    // The report for the creation day still reads the script as never run by staff.
    let then = app
        .get(
            &format!(
                "/api/v1/projects/{}/readiness?as_of={created}",
                w.project_id
            ),
            Some(&w.lead.access_token),
        )
        .await;
    assert_eq!(then.body["testing"]["go_live_gate"]["open"], false);
    let events = app.project_events(&w).await;
    let recorded: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "test_script.run_recorded")
        .collect();
    assert_eq!(recorded.len(), 2);
    assert_eq!(recorded[1]["data"]["party"], "staff");
    assert_eq!(recorded[1]["data"]["script_id"], json!(w.script_id));
}

/// Going live and a failing run released together, many times: the project never ends up live
/// with a failing critical script that was recorded before it went live.
#[actix_web::test]
async fn going_live_and_a_failing_run_released_together_never_go_live_on_a_failure() {
    let rounds = if on_postgres() { 12 } else { 4 };
    let app = spawn_app().await;
    let hash = app.password_hash().await;
    for round in 0..rounds {
        let w = app.world_with_hash(&hash).await;
        let passed = run(&app, &w, &w.staff.access_token, json!({"result": "passed"})).await;
        assert_eq!(passed.status, 201);
        let (live, failed) = join(
            go_live(&app, &w),
            run(&app, &w, &w.staff.access_token, json!({"result": "failed"})),
        )
        .await;
        assert_eq!(failed.status, 201, "round {round}: {}", failed.body);
        if live.status == 200 {
            // Then the failure came after: the event log shows it recorded after going live.
            let events = app.project_events(&w).await;
            let order: Vec<&str> = events
                .iter()
                .filter_map(|e| e["type"].as_str())
                .filter(|t| *t == "project.updated" || *t == "test_script.run_recorded")
                .collect();
            assert_eq!(
                order,
                [
                    "test_script.run_recorded",
                    "project.updated",
                    "test_script.run_recorded"
                ],
                "round {round}"
            );
        } else {
            live.assert_problem(409, "go_live_blocked");
        }
    }
}

#[actix_web::test]
async fn a_critical_script_no_staff_ran_in_28_days_asks_its_owner_to_run_it_again() {
    let mut app = spawn_app_with(&[("BUYIN_CLOCK_OFFSET", "-30d")], |_| {}).await;
    let mut w = app.world().await;
    let res = run(&app, &w, &w.staff.access_token, json!({"result": "passed"})).await;
    assert_eq!(res.status, 201);
    let r = report(&app, &w, &w.lead).await;
    assert!(kinds_for(&r, "run_test_script").is_empty(), "{r}");
    app.restart_at("0s").await;
    app.log_in_again(&mut w).await;
    // Thirty days on, the pass still holds the gate open, but its owner is asked to run it again.
    let r = report(&app, &w, &w.lead).await;
    assert_eq!(r["testing"]["go_live_gate"]["open"], true);
    assert_eq!(
        kinds_for(&r, "run_test_script"),
        [json!([w.staff.id, w.script_id])]
    );
}
