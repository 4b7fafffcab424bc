//! The stage ladder, transitions, criteria and milestone edits (DESIGN.md, "Stage").

use actix_web::http::Method;
use serde_json::{Value, json};

use crate::{
    helpers::{TestApp, TestResponse, TestUser, spawn_app},
    world::World,
};

pub fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

pub async fn act(
    app: &TestApp,
    w: &World,
    m: &str,
    by: &TestUser,
    action: &str,
    note: Option<&str>,
) -> TestResponse {
    let mut body = json!({"action": action});
    if let Some(note) = note {
        body["note"] = json!(note);
    }
    app.post(
        &format!(
            "/api/v1/projects/{}/milestones/{m}/transitions",
            w.project_id
        ),
        Some(&by.access_token),
        body,
    )
    .await
}

pub async fn milestone(app: &TestApp, w: &World, by: &TestUser, body: Value) -> String {
    let res = app
        .post(
            &format!("/api/v1/projects/{}/milestones", w.project_id),
            Some(&by.access_token),
            body,
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.body);
    res.body["id"].as_str().unwrap().to_owned()
}

pub async fn log(app: &TestApp, w: &World, by: &TestUser, body: Value) -> TestResponse {
    app.post(
        &format!("/api/v1/projects/{}/activities", w.project_id),
        Some(&by.access_token),
        body,
    )
    .await
}

pub async fn advance_to(app: &TestApp, w: &World, m: &str, by: &TestUser, times: usize) {
    for _ in 0..times {
        let res = act(app, w, m, by, "advance", None).await;
        assert_eq!(res.status, 200, "{}", res.body);
    }
}

async fn get(app: &TestApp, w: &World, m: &str, by: &TestUser) -> TestResponse {
    app.get(
        &format!("/api/v1/projects/{}/milestones/{m}", w.project_id),
        Some(&by.access_token),
    )
    .await
}

fn world_milestone(w: &World) -> String {
    w.milestone_id.to_string()
}

/// The world's milestone (owned by staff, one criterion, one hour of staff execution),
/// walked up to `reverse_shadowing` with its criterion done: one advance from ready.
pub async fn nearly_ready(app: &TestApp, w: &World) -> String {
    let m = world_milestone(w);
    advance_to(app, w, &m, &w.consultant, 3).await;
    let c = format!(
        "/api/v1/projects/{}/milestones/{m}/criteria/{}",
        w.project_id, w.criterion_id
    );
    let done = app
        .request(
            Method::PATCH,
            &c,
            Some(&w.staff.access_token),
            Some(json!({"done": true})),
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    m
}

#[actix_web::test]
async fn a_new_milestone_starts_planned_with_its_criteria_and_allowed_actions() {
    let app = spawn_app().await;
    let w = app.world().await;
    let res = get(&app, &w, &world_milestone(&w), &w.consultant).await;
    assert_eq!(res.status, 200);
    assert_eq!(res.body["stage"], "planned");
    assert_eq!(res.header("etag"), Some("\"1\""));
    assert_eq!(
        res.body["criteria"][0]["text"],
        "Invoices for one month sent without help"
    );
    assert_eq!(res.body["allowed_actions"], json!(["advance"]));
    let admin = get(&app, &w, &world_milestone(&w), &w.admin).await;
    assert_eq!(
        admin.body["allowed_actions"],
        json!([]),
        "an org admin who is not a member only reads"
    );
}

#[actix_web::test]
async fn any_member_advances_one_step_at_a_time() {
    let app = spawn_app().await;
    let w = app.world().await;
    let m = world_milestone(&w);
    let res = act(&app, &w, &m, &w.consultant, "advance", None).await;
    assert_eq!(res.body["stage"], "consultant_led");
    let res = act(&app, &w, &m, &w.staff, "advance", None).await;
    assert_eq!(res.body["stage"], "shadowing");
    let res = act(&app, &w, &m, &w.lead, "advance", None).await;
    assert_eq!(res.body["stage"], "reverse_shadowing");
}

#[actix_web::test]
async fn entering_reverse_shadowing_needs_a_staff_owner() {
    let app = spawn_app().await;
    let w = app.world().await;
    let m = milestone(
        &app,
        &w,
        &w.lead,
        json!({"title": "Reports", "knowledge_area": "reporting"}),
    )
    .await;
    advance_to(&app, &w, &m, &w.lead, 2).await;
    let res = act(&app, &w, &m, &w.lead, "advance", None).await;
    res.assert_problem(409, "milestone_illegal_transition");
    assert_eq!(res.body["unmet"], json!(["staff_owner"]));
    assert_eq!(res.body["allowed_actions"], json!([]));
}

#[actix_web::test]
async fn entering_ready_for_signoff_needs_every_criterion_done_and_an_hour_of_the_owners_hands_on_work()
 {
    let app = spawn_app().await;
    let w = app.world().await;
    // A milestone whose owner has logged nothing yet.
    let m = milestone(
        &app,
        &w,
        &w.lead,
        json!({"title": "Renewals", "knowledge_area": "renewals", "staff_owner_id": w.staff.id, "acceptance_criteria": ["Renewal run done"]}),
    )
    .await;
    advance_to(&app, &w, &m, &w.lead, 3).await;
    let res = act(&app, &w, &m, &w.staff, "advance", None).await;
    res.assert_problem(409, "milestone_illegal_transition");
    assert_eq!(
        res.body["unmet"],
        json!(["criteria_done", "staff_hands_on_hours"])
    );

    // Consultant hours or training do not count; only the owner's execution/testing does.
    let mid = m.parse::<uuid::Uuid>().unwrap();
    log(
        &app,
        &w,
        &w.consultant,
        json!({"occurred_on": today(), "hours": 4, "kind": "execution", "milestone_id": mid}),
    )
    .await;
    log(
        &app,
        &w,
        &w.staff,
        json!({"occurred_on": today(), "hours": 2, "kind": "training", "milestone_id": mid}),
    )
    .await;
    log(
        &app,
        &w,
        &w.staff,
        json!({"occurred_on": today(), "hours": 0.75, "kind": "testing", "milestone_id": mid}),
    )
    .await;
    let res = act(&app, &w, &m, &w.staff, "advance", None).await;
    assert_eq!(
        res.body["unmet"],
        json!(["criteria_done", "staff_hands_on_hours"]),
        "0.75 h is not an hour"
    );
    log(
        &app,
        &w,
        &w.staff,
        json!({"occurred_on": today(), "hours": 0.25, "kind": "execution", "milestone_id": mid}),
    )
    .await;
    let res = act(&app, &w, &m, &w.staff, "advance", None).await;
    assert_eq!(res.body["unmet"], json!(["criteria_done"]));

    let criterion = get(&app, &w, &m, &w.staff).await.body["criteria"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let c = format!(
        "/api/v1/projects/{}/milestones/{m}/criteria/{criterion}",
        w.project_id
    );
    app.request(
        Method::PATCH,
        &c,
        Some(&w.staff.access_token),
        Some(json!({"done": true})),
    )
    .await;
    let res = act(&app, &w, &m, &w.staff, "advance", None).await;
    assert_eq!(
        (res.status, res.body["stage"].as_str()),
        (200, Some("ready_for_signoff")),
        "{}",
        res.body
    );
}

#[actix_web::test]
async fn only_the_staff_owner_signs_off_nobody_signs_for_them() {
    let app = spawn_app().await;
    let w = app.world().await;
    let m = nearly_ready(&app, &w).await;
    advance_to(&app, &w, &m, &w.staff, 1).await;
    for (who, user) in [
        ("consultant", &w.consultant),
        ("lead", &w.lead),
        ("org admin", &w.admin),
    ] {
        let res = act(&app, &w, &m, user, "sign_off", None).await;
        assert_eq!(res.status, 403, "{who} cannot sign off: {}", res.body);
    }
    let owner = get(&app, &w, &m, &w.staff).await;
    assert_eq!(owner.body["allowed_actions"], json!(["sign_off", "reject"]));
    let res = act(&app, &w, &m, &w.staff, "sign_off", None).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.body["stage"], "handed_off");
    assert_eq!(res.body["signed_off_by"], w.staff.id.to_string());
    assert!(res.body["signed_off_at"].is_string());
}

#[actix_web::test]
async fn advancing_past_ready_for_signoff_is_409_listing_the_allowed_actions() {
    let app = spawn_app().await;
    let w = app.world().await;
    let m = nearly_ready(&app, &w).await;
    advance_to(&app, &w, &m, &w.staff, 1).await;
    let res = act(&app, &w, &m, &w.staff, "advance", None).await;
    res.assert_problem(409, "milestone_illegal_transition");
    assert_eq!(res.body["allowed_actions"], json!(["sign_off", "reject"]));
    let early = act(
        &app,
        &w,
        &world_milestone(&w),
        &w.lead,
        "reopen",
        Some("why"),
    )
    .await;
    early.assert_problem(409, "milestone_illegal_transition");
}

#[actix_web::test]
async fn reject_needs_a_note_and_the_owner_or_a_lead() {
    let app = spawn_app().await;
    let w = app.world().await;
    let m = nearly_ready(&app, &w).await;
    advance_to(&app, &w, &m, &w.staff, 1).await;
    act(&app, &w, &m, &w.consultant, "reject", Some("not yet"))
        .await
        .assert_problem(403, "transition_forbidden");
    let no_note = act(&app, &w, &m, &w.lead, "reject", None).await;
    no_note.assert_problem(422, "validation_failed");
    assert_eq!(no_note.error_fields(), ["note"]);
    let blank = act(&app, &w, &m, &w.lead, "reject", Some("   ")).await;
    blank.assert_problem(422, "validation_failed");
    let res = act(
        &app,
        &w,
        &m,
        &w.lead,
        "reject",
        Some("The bank reconciliation is missing"),
    )
    .await;
    assert_eq!(
        (res.status, res.body["stage"].as_str()),
        (200, Some("reverse_shadowing"))
    );
}

#[actix_web::test]
async fn reopen_is_for_a_staff_lead_with_a_note() {
    let app = spawn_app().await;
    let w = app.world().await;
    let m = nearly_ready(&app, &w).await;
    advance_to(&app, &w, &m, &w.staff, 1).await;
    act(&app, &w, &m, &w.staff, "sign_off", None).await;
    act(&app, &w, &m, &w.staff, "reopen", Some("x"))
        .await
        .assert_problem(403, "transition_forbidden");
    act(&app, &w, &m, &w.lead, "reopen", None)
        .await
        .assert_problem(422, "validation_failed");
    let res = act(&app, &w, &m, &w.lead, "reopen", Some("The process changed")).await;
    assert_eq!(
        (res.status, res.body["stage"].as_str()),
        (200, Some("reverse_shadowing"))
    );
    assert_eq!(res.body["signed_off_by"], Value::Null);
}

#[actix_web::test]
async fn every_transition_is_in_the_history_and_the_event_log() {
    let app = spawn_app().await;
    let w = app.world().await;
    let m = nearly_ready(&app, &w).await;
    advance_to(&app, &w, &m, &w.staff, 1).await;
    act(&app, &w, &m, &w.lead, "reject", Some("Needs the bank step")).await;
    let history = app
        .get(
            &format!("/api/v1/projects/{}/milestones/{m}/history", w.project_id),
            Some(&w.consultant.access_token),
        )
        .await;
    let steps: Vec<(String, String, String)> = history.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["action"].as_str().unwrap().into(),
                t["from"].as_str().unwrap().into(),
                t["to"].as_str().unwrap().into(),
            )
        })
        .collect();
    let expected = [
        ("advance", "planned", "consultant_led"),
        ("advance", "consultant_led", "shadowing"),
        ("advance", "shadowing", "reverse_shadowing"),
        ("advance", "reverse_shadowing", "ready_for_signoff"),
        ("reject", "ready_for_signoff", "reverse_shadowing"),
    ];
    assert_eq!(
        steps,
        expected.map(|(a, f, t)| (a.to_owned(), f.to_owned(), t.to_owned()))
    );
    let last = history.body["items"][4].clone();
    assert_eq!(last["note"], "Needs the bank step");
    assert_eq!(last["actor_user_id"], w.lead.id.to_string());

    let events = app
        .get(
            &format!("/api/v1/projects/{}/events?limit=100", w.project_id),
            Some(&w.lead.access_token),
        )
        .await;
    let changed: Vec<&Value> = events.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "milestone.stage_changed")
        .collect();
    assert_eq!(changed.len(), 5);
    assert_eq!(
        changed[4]["data"],
        json!({"from": "ready_for_signoff", "to": "reverse_shadowing", "action": "reject", "note": "Needs the bank step"})
    );
}

#[actix_web::test]
async fn two_concurrent_sign_offs_give_one_success_one_conflict_and_one_event() {
    let app = spawn_app().await;
    let w = app.world().await;
    let m = nearly_ready(&app, &w).await;
    advance_to(&app, &w, &m, &w.staff, 1).await;
    let (a, b) = futures_util::future::join(
        act(&app, &w, &m, &w.staff, "sign_off", None),
        act(&app, &w, &m, &w.staff, "sign_off", None),
    )
    .await;
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [200, 409], "{} / {}", a.body, b.body);
    assert_eq!(sign_off_events(&app, &w).await, 1);
}

/// How many `milestone.signed_off` events the project's feed holds.
pub async fn sign_off_events(app: &TestApp, w: &World) -> usize {
    let events = app
        .get(
            &format!("/api/v1/projects/{}/events?limit=100", w.project_id),
            Some(&w.lead.access_token),
        )
        .await;
    events.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "milestone.signed_off")
        .count()
}

#[actix_web::test]
async fn reassigning_the_owner_of_a_milestone_ready_for_signoff_sends_it_back() {
    let app = spawn_app().await;
    let w = app.world().await;
    let m = nearly_ready(&app, &w).await;
    advance_to(&app, &w, &m, &w.staff, 1).await;
    app.add_project_member(&w.lead, w.project_id, &w.spare_member, "staff")
        .await;
    let path = format!("/api/v1/projects/{}/milestones/{m}", w.project_id);
    let auth = format!("Bearer {}", w.lead.access_token);
    let body = json!({"staff_owner_id": w.spare_member.id}).to_string();
    let res = app.patch_any_version(&path, &auth, body).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.body["stage"], "reverse_shadowing");
    assert_eq!(res.body["staff_owner_id"], w.spare_member.id.to_string());
}

#[actix_web::test]
async fn owners_must_be_active_staff_and_consultants_active_consultants() {
    let app = spawn_app().await;
    let w = app.world().await;
    let path = format!("/api/v1/projects/{}/milestones", w.project_id);
    let t = Some(w.lead.access_token.as_str());
    for body in [
        json!({"title": "T", "knowledge_area": "a", "staff_owner_id": w.consultant.id}),
        json!({"title": "T", "knowledge_area": "a", "staff_owner_id": w.spare_member.id}),
        json!({"title": "T", "knowledge_area": "a", "staff_owner_id": w.other.id}),
    ] {
        let res = app.post(&path, t, body).await;
        res.assert_problem(422, "validation_failed");
        assert_eq!(res.error_fields(), ["staff_owner_id"]);
    }
    let res = app
        .post(
            &path,
            t,
            json!({"title": "T", "knowledge_area": "a", "consultant_id": w.staff.id}),
        )
        .await;
    assert_eq!(res.error_fields(), ["consultant_id"]);
}

#[actix_web::test]
async fn stage_and_sign_off_fields_are_never_writable() {
    let app = spawn_app().await;
    let w = app.world().await;
    let path = format!(
        "/api/v1/projects/{}/milestones/{}",
        w.project_id, w.milestone_id
    );
    let auth = format!("Bearer {}", w.lead.access_token);
    for field in [
        "stage",
        "signed_off_by",
        "signed_off_at",
        "version",
        "id",
        "project_id",
    ] {
        let body = json!({ field: "handed_off" }).to_string();
        let res = app.patch_any_version(&path, &auth, body).await;
        res.assert_problem(400, "invalid_body");
    }
    let create = app
        .post(
            &format!("/api/v1/projects/{}/milestones", w.project_id),
            Some(&w.lead.access_token),
            json!({"title": "T", "knowledge_area": "a", "stage": "handed_off"}),
        )
        .await;
    create.assert_problem(400, "invalid_body");
}

#[actix_web::test]
async fn milestone_edits_need_if_match() {
    let app = spawn_app().await;
    let w = app.world().await;
    let path = format!(
        "/api/v1/projects/{}/milestones/{}",
        w.project_id, w.milestone_id
    );
    app.request(
        Method::PATCH,
        &path,
        Some(&w.lead.access_token),
        Some(json!({"title": "X"})),
    )
    .await
    .assert_problem(428, "if_match_required");
    let auth = format!("Bearer {}", w.lead.access_token);
    let stale = app
        .raw(
            Method::PATCH,
            &path,
            &[
                ("if-match", "\"9\""),
                ("authorization", &auth),
                ("content-type", "application/json"),
            ],
            r#"{"title": "X"}"#,
        )
        .await;
    stale.assert_problem(412, "version_mismatch");
    app.request(Method::DELETE, &path, Some(&w.lead.access_token), None)
        .await
        .assert_problem(428, "if_match_required");
}

#[actix_web::test]
async fn only_staff_mark_criteria_done_and_who_and_when_is_recorded() {
    let app = spawn_app().await;
    let w = app.world().await;
    let c = format!(
        "/api/v1/projects/{}/milestones/{}/criteria/{}",
        w.project_id, w.milestone_id, w.criterion_id
    );
    app.request(
        Method::PATCH,
        &c,
        Some(&w.consultant.access_token),
        Some(json!({"done": true})),
    )
    .await
    .assert_problem(403, "forbidden");
    let text = app
        .request(
            Method::PATCH,
            &c,
            Some(&w.consultant.access_token),
            Some(json!({"text": "Invoices sent for a month"})),
        )
        .await;
    assert_eq!(
        (text.status, text.body["text"].as_str()),
        (200, Some("Invoices sent for a month"))
    );
    let done = app
        .request(
            Method::PATCH,
            &c,
            Some(&w.staff.access_token),
            Some(json!({"done": true})),
        )
        .await;
    assert_eq!(done.body["done"], true);
    assert_eq!(done.body["done_by"], w.staff.id.to_string());
    assert!(done.body["done_at"].is_string());
    let undone = app
        .request(
            Method::PATCH,
            &c,
            Some(&w.lead.access_token),
            Some(json!({"done": false})),
        )
        .await;
    assert_eq!(
        (
            undone.body["done"].as_bool(),
            undone.body["done_by"].is_null()
        ),
        (Some(false), true)
    );
}

#[actix_web::test]
async fn external_ids_are_unique_per_project_and_findable() {
    let app = spawn_app().await;
    let w = app.world().await;
    let body = json!({"title": "Synced", "knowledge_area": "a", "external_source": "ams", "external_id": "M-1"});
    let id = milestone(&app, &w, &w.lead, body.clone()).await;
    app.post(
        &format!("/api/v1/projects/{}/milestones", w.project_id),
        Some(&w.lead.access_token),
        body,
    )
    .await
    .assert_problem(409, "external_id_taken");
    let found = app
        .get(
            &format!(
                "/api/v1/projects/{}/milestones?external_source=ams&external_id=M-1",
                w.project_id
            ),
            Some(&w.lead.access_token),
        )
        .await;
    assert_eq!(found.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(found.body["items"][0]["id"], id);
}

#[actix_web::test]
async fn milestones_filter_by_stage_area_owner_and_overdue() {
    let app = spawn_app().await;
    let w = app.world().await;
    let late = milestone(
        &app,
        &w,
        &w.lead,
        json!({"title": "Late", "knowledge_area": "reporting", "due_date": "2020-01-01"}),
    )
    .await;
    let base = format!("/api/v1/projects/{}/milestones", w.project_id);
    let t = Some(w.lead.access_token.as_str());
    let ids = |r: TestResponse| {
        r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        ids(app.get(&format!("{base}?overdue=true"), t).await),
        [late.as_str()]
    );
    assert_eq!(
        ids(app
            .get(&format!("{base}?knowledge_area=reporting"), t)
            .await),
        [late.as_str()]
    );
    assert_eq!(
        ids(app
            .get(&format!("{base}?staff_owner_id={}", w.staff.id), t)
            .await),
        [w.milestone_id.to_string()]
    );
    assert_eq!(
        ids(app.get(&format!("{base}?stage=planned"), t).await).len(),
        2
    );
    assert_eq!(
        ids(app.get(&format!("{base}?stage=handed_off"), t).await).len(),
        0
    );
}

#[actix_web::test]
async fn a_project_closes_only_when_every_milestone_is_handed_off() {
    let app = spawn_app().await;
    let w = app.world().await;
    let path = format!("/api/v1/projects/{}", w.project_id);
    let auth = format!("Bearer {}", w.lead.access_token);
    let headers = [
        ("if-match", "*"),
        ("authorization", auth.as_str()),
        ("content-type", "application/json"),
    ];
    let close = || app.raw(Method::PATCH, &path, &headers, r#"{"status": "closed"}"#);
    let refused = close().await;
    refused.assert_problem(409, "project_not_closable");
    assert_eq!(
        refused.body["blockers"],
        json!([{"milestone_id": w.milestone_id, "title": "Run the dues invoicing", "stage": "planned"}])
    );
    let m = nearly_ready(&app, &w).await;
    advance_to(&app, &w, &m, &w.staff, 1).await;
    act(&app, &w, &m, &w.staff, "sign_off", None).await;
    let closed = close().await;
    assert_eq!(
        (closed.status, closed.body["status"].as_str()),
        (200, Some("closed")),
        "{}",
        closed.body
    );
}

#[actix_web::test]
async fn a_milestone_from_another_project_is_not_found() {
    let app = spawn_app().await;
    let w = app.world().await;
    let foreign = format!(
        "/api/v1/projects/{}/milestones/{}",
        w.other_project_id, w.milestone_id
    );
    app.get(&foreign, Some(&w.other.access_token))
        .await
        .assert_problem(404, "milestone_not_found");
    let res = app
        .post(
            &format!("{foreign}/transitions"),
            Some(&w.other.access_token),
            json!({"action": "advance"}),
        )
        .await;
    res.assert_problem(404, "milestone_not_found");
    let log = app
        .post(
            &format!("/api/v1/projects/{}/activities", w.other_project_id),
            Some(&w.other.access_token),
            json!({"occurred_on": today(), "hours": 1, "kind": "execution", "milestone_id": w.milestone_id}),
        )
        .await;
    log.assert_problem(422, "validation_failed");
    assert_eq!(log.error_fields(), ["milestone_id"]);
    assert_eq!(
        get(&app, &w, &w.milestone_id.to_string(), &w.lead)
            .await
            .body["stage"],
        "planned"
    );
}

#[actix_web::test]
async fn only_staff_or_a_write_key_set_change_or_clear_a_staff_owner() {
    let app = spawn_app().await;
    let w = app.world().await;
    let list = format!("/api/v1/projects/{}/milestones", w.project_id);
    let one = format!("{list}/{}", w.milestone_id);
    let consultant = format!("Bearer {}", w.consultant.access_token);
    // A consultant may create and edit milestones, but not decide who inside owns one.
    let res = app
        .post(
            &list,
            Some(&w.consultant.access_token),
            json!({"title": "T", "knowledge_area": "a", "staff_owner_id": w.staff.id}),
        )
        .await;
    res.assert_problem(403, "forbidden");
    for owner in [json!(null), json!(w.lead.id)] {
        let body = json!({"staff_owner_id": owner}).to_string();
        let res = app.patch_any_version(&one, &consultant, body).await;
        res.assert_problem(403, "forbidden");
    }
    // Sending the owner back unchanged is no decision; other fields stay theirs to edit.
    let body = json!({"staff_owner_id": w.staff.id, "title": "Renamed"}).to_string();
    let res = app.patch_any_version(&one, &consultant, body).await;
    assert_eq!(res.status, 200, "{}", res.body);
    let res = app
        .post(
            &list,
            Some(&w.consultant.access_token),
            json!({"title": "Unowned", "knowledge_area": "a"}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.body);
    // Staff and a write key may.
    let body = json!({"staff_owner_id": w.lead.id}).to_string();
    let staff = format!("Bearer {}", w.staff.access_token);
    assert_eq!(app.patch_any_version(&one, &staff, body).await.status, 200);
    let body = json!({"staff_owner_id": null}).to_string();
    let key = format!("Bearer {}", w.key_write);
    assert_eq!(app.patch_any_version(&one, &key, body).await.status, 200);
}

#[actix_web::test]
async fn a_deleted_milestone_is_gone_and_its_external_id_free_again() {
    let app = spawn_app().await;
    let w = app.world().await;
    let list = format!("/api/v1/projects/{}/milestones", w.project_id);
    let body = json!({"title": "Dues", "knowledge_area": "dues", "external_source": "ams", "external_id": "M-1"});
    let m = milestone(&app, &w, &w.lead, body.clone()).await;
    let one = format!("{list}/{m}");
    let lead = format!("Bearer {}", w.lead.access_token);
    let headers = [("if-match", "\"1\""), ("authorization", lead.as_str())];
    let res = app.raw(Method::DELETE, &one, &headers, "").await;
    assert_eq!(res.status, 204, "{}", res.body);
    app.get(&one, Some(&w.lead.access_token))
        .await
        .assert_problem(404, "milestone_not_found");
    let listed = app.get(&list, Some(&w.lead.access_token)).await;
    assert!(
        listed.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["id"] != json!(m))
    );
    let again = app.post(&list, Some(&w.lead.access_token), body).await;
    assert_eq!(again.status, 201, "{}", again.body);
}

#[actix_web::test]
async fn signing_off_checks_the_owners_hands_on_hours_again() {
    let app = spawn_app().await;
    let w = app.world().await;
    let m = nearly_ready(&app, &w).await;
    // The world's hour of execution by the owner lets the milestone ask for sign-off…
    advance_to(&app, &w, &m, &w.staff, 1).await;
    // …then that entry is corrected away: nobody inside has done it any more.
    let entry = format!(
        "/api/v1/projects/{}/activities/{}",
        w.project_id, w.activity_id
    );
    let deleted = app
        .request(Method::DELETE, &entry, Some(&w.staff.access_token), None)
        .await;
    assert_eq!(deleted.status, 204, "{}", deleted.body);
    let res = act(&app, &w, &m, &w.staff, "sign_off", None).await;
    res.assert_problem(409, "milestone_illegal_transition");
    assert_eq!(res.body["unmet"], json!(["staff_hands_on_hours"]));
    assert_eq!(res.body["allowed_actions"], json!(["reject"]));
}
