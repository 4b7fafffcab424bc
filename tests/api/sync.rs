//! A vendor's sync: batch upsert by external id (`POST …/milestones/batch`), each item with the
//! rules, rights and events of its own request, all in one transaction.

use actix_web::http::Method;
use futures_util::future::join;
use serde_json::{Value, json};

use crate::{
    helpers::{TestApp, TestResponse, TestUser, spawn_app},
    world::World,
};

fn path(w: &World) -> String {
    format!("/api/v1/projects/{}/milestones/batch", w.project_id)
}

async fn sync(app: &TestApp, w: &World, by: &str, items: Value) -> TestResponse {
    let auth = format!("Bearer {by}");
    app.raw(
        Method::POST,
        &path(w),
        &[
            ("authorization", &auth),
            ("content-type", "application/json"),
        ],
        json!({ "items": items }).to_string(),
    )
    .await
}

fn statuses(res: &TestResponse) -> Vec<&str> {
    res.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["status"].as_str().unwrap())
        .collect()
}

fn item(id: &str, title: &str) -> Value {
    json!({"external_source": "acme-ams", "external_id": id, "title": title,
           "knowledge_area": "dues invoicing"})
}

/// The milestones the project holds under `acme-ams` + `id`.
async fn by_external_id(app: &TestApp, w: &World, by: &TestUser, id: &str) -> Vec<Value> {
    let res = app
        .get(
            &format!(
                "/api/v1/projects/{}/milestones?external_source=acme-ams&external_id={id}",
                w.project_id
            ),
            Some(&by.access_token),
        )
        .await;
    res.body["items"].as_array().unwrap().clone()
}

async fn event_types(app: &TestApp, w: &World, by: &TestUser) -> Vec<String> {
    let res = app
        .get(
            &format!("/api/v1/projects/{}/events?limit=100", w.project_id),
            Some(&by.access_token),
        )
        .await;
    res.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect()
}

#[actix_web::test]
async fn a_batch_creates_what_is_new_updates_what_changed_and_leaves_the_rest_unchanged() {
    let app = spawn_app().await;
    let w = app.world().await;
    let key = &w.key_write;
    let first = sync(
        &app,
        &w,
        key,
        json!([item("MS-1", "Invoices"), item("MS-2", "Renewals")]),
    )
    .await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(statuses(&first), ["created", "created"]);
    assert_eq!(first.body["created"], 2);
    assert_eq!(first.body["items"][1]["index"], 1);
    assert_eq!(first.body["items"][1]["resource"]["external_id"], "MS-2");
    assert_eq!(first.body["items"][1]["problem"], Value::Null);
    let ms1 = first.body["items"][0]["resource"]["id"].clone();

    let again = sync(
        &app,
        &w,
        key,
        json!([item("MS-1", "Invoices"), item("MS-2", "Renewals")]),
    )
    .await;
    assert_eq!(statuses(&again), ["unchanged", "unchanged"]);
    assert_eq!(again.body["items"][0]["resource"]["id"], ms1);

    let edited = json!([item("MS-1", "Invoices, monthly"), item("MS-2", "Renewals")]);
    let changed = sync(&app, &w, key, edited).await;
    assert_eq!(statuses(&changed), ["updated", "unchanged"]);
    assert_eq!(changed.body["items"][0]["resource"]["id"], ms1);
    assert_eq!(
        changed.body["items"][0]["resource"]["title"],
        "Invoices, monthly"
    );
    assert_eq!(changed.body["items"][0]["resource"]["version"], 2);

    for id in ["MS-1", "MS-2"] {
        assert_eq!(
            by_external_id(&app, &w, &w.lead, id).await.len(),
            1,
            "one {id}"
        );
    }
    let events = event_types(&app, &w, &w.lead).await;
    let count = |t: &str| events.iter().filter(|e| *e == t).count();
    // The world made one milestone before; the sync two, and one edit.
    assert_eq!(count("milestone.created"), 3, "{events:?}");
    assert_eq!(count("milestone.updated"), 1, "{events:?}");
}

#[actix_web::test]
async fn fields_an_item_leaves_out_stay_as_they_are_and_null_clears_them() {
    let app = spawn_app().await;
    let w = app.world().await;
    let key = &w.key_write;
    let mut full = item("MS-1", "Invoices");
    full["description"] = json!("Monthly run");
    full["due_date"] = json!("2027-03-31");
    full["staff_owner_id"] = json!(w.staff.id);
    assert_eq!(
        statuses(&sync(&app, &w, key, json!([full])).await),
        ["created"]
    );
    let bare = sync(&app, &w, key, json!([item("MS-1", "Invoices")])).await;
    assert_eq!(statuses(&bare), ["unchanged"], "{}", bare.body);
    assert_eq!(bare.body["items"][0]["resource"]["due_date"], "2027-03-31");
    let mut cleared = item("MS-1", "Invoices");
    cleared["due_date"] = Value::Null;
    let res = sync(&app, &w, key, json!([cleared])).await;
    assert_eq!(statuses(&res), ["updated"]);
    assert_eq!(res.body["items"][0]["resource"]["due_date"], Value::Null);
    assert_eq!(
        res.body["items"][0]["resource"]["description"],
        "Monthly run"
    );
}

#[actix_web::test]
async fn each_item_is_checked_alone_and_a_failed_item_writes_nothing() {
    let app = spawn_app().await;
    let w = app.world().await;
    let mut owned = item("MS-3", "Owned by staff");
    owned["staff_owner_id"] = json!(w.staff.id);
    let mut stranger = item("MS-4", "Owned by a stranger");
    stranger["consultant_id"] = json!(w.outsider.id);
    let items = json!([item("MS-1", "Fine"), owned, stranger]);
    // The consultant may create milestones, but not name their staff owner.
    let res = sync(&app, &w, &w.consultant.access_token, items).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(statuses(&res), ["created", "failed", "failed"]);
    let problem = |i: usize| &res.body["items"][i]["problem"];
    assert_eq!(problem(1)["status"], 403);
    assert_eq!(problem(2)["status"], 422);
    assert_eq!(problem(2)["errors"][0]["field"], "consultant_id");
    assert_eq!(res.body["items"][1]["resource"], Value::Null);
    assert_eq!(
        (res.body["created"].as_u64(), res.body["failed"].as_u64()),
        (Some(1), Some(2))
    );
    for (id, stored) in [("MS-1", 1), ("MS-3", 0), ("MS-4", 0)] {
        assert_eq!(
            by_external_id(&app, &w, &w.lead, id).await.len(),
            stored,
            "{id}"
        );
    }
    let events = event_types(&app, &w, &w.lead).await;
    assert_eq!(
        events.iter().filter(|e| *e == "milestone.created").count(),
        2
    );
}

#[actix_web::test]
async fn an_item_that_breaks_a_field_rule_refuses_the_whole_batch() {
    // Like any request that breaks its schema: 422 naming the item's field, nothing written.
    let app = spawn_app().await;
    let w = app.world().await;
    let long = "x".repeat(201);
    let items = json!([
        item("MS-1", "Fine"),
        item("MS-2", "   "),
        item("MS-3", &long)
    ]);
    let res = sync(&app, &w, &w.key_write, items).await;
    res.assert_problem(422, "validation_failed");
    assert_eq!(res.error_fields(), ["items[1].title", "items[2].title"]);
    assert_eq!(by_external_id(&app, &w, &w.lead, "MS-1").await.len(), 0);
    let mut keyless = entry(&w, "TE-1", 1.0);
    keyless.as_object_mut().unwrap().remove("external_id");
    let items = json!([keyless, entry(&w, "TE-2", 25.0)]);
    let res = sync_time(&app, &w, &w.key_write, items).await;
    res.assert_problem(422, "validation_failed");
    assert_eq!(
        res.error_fields(),
        ["items[0].external_id", "items[1].hours"]
    );
}

#[actix_web::test]
async fn a_batch_holds_1_to_100_items() {
    let app = spawn_app().await;
    let w = app.world().await;
    let none = sync(&app, &w, &w.key_write, json!([])).await;
    none.assert_problem(422, "validation_failed");
    assert_eq!(none.error_fields(), ["items"]);
    let many: Vec<Value> = (0..101).map(|i| item(&format!("M{i}"), "T")).collect();
    let res = sync(&app, &w, &w.key_write, json!(many)).await;
    res.assert_problem(422, "validation_failed");
    let hundred: Vec<Value> = (0..100).map(|i| item(&format!("M{i}"), "T")).collect();
    let res = sync(&app, &w, &w.key_write, json!(hundred)).await;
    assert_eq!(res.body["created"], 100, "{}", res.body);
}

#[actix_web::test]
async fn a_closed_project_takes_no_batch() {
    let app = spawn_app().await;
    let w = app.world().await;
    let auth = format!("Bearer {}", w.lead.access_token);
    let project = format!("/api/v1/projects/{}", w.project_id);
    // Only a project whose milestones are all handed off closes: remove the world's one.
    let milestone = format!("{project}/milestones/{}", w.milestone_id);
    let headers = [("authorization", auth.as_str()), ("if-match", "*")];
    let deleted = app
        .raw(Method::DELETE, &milestone, &headers, String::new())
        .await;
    assert_eq!(deleted.status, 204, "{}", deleted.body);
    let closed = app
        .patch_any_version(&project, &auth, json!({"status": "closed"}).to_string())
        .await;
    assert_eq!(closed.status, 200, "{}", closed.body);
    let res = sync(&app, &w, &w.key_write, json!([item("MS-1", "Late")])).await;
    res.assert_problem(409, "project_closed");
}

#[actix_web::test]
async fn a_retried_batch_with_its_idempotency_key_replays_the_first_answer() {
    let app = spawn_app().await;
    let w = app.world().await;
    let auth = format!("Bearer {}", w.key_write);
    let body = json!({"items": [item("MS-1", "Invoices")]}).to_string();
    let target = path(&w);
    let headers = [
        ("authorization", auth.as_str()),
        ("content-type", "application/json"),
        ("idempotency-key", "sync-1"),
    ];
    let first = app.raw(Method::POST, &target, &headers, body.clone()).await;
    let again = app.raw(Method::POST, &target, &headers, body).await;
    assert_eq!(statuses(&first), ["created"]);
    assert_eq!(
        again.body, first.body,
        "the replay says created, as the first answer did"
    );
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
}

#[actix_web::test]
async fn two_identical_batches_released_together_create_each_milestone_once() {
    let app = spawn_app().await;
    for round in 0..10 {
        let w = app.world().await;
        let items = json!([item("MS-1", "Invoices"), item("MS-2", "Renewals")]);
        let (a, b) = join(
            sync(&app, &w, &w.key_write, items.clone()),
            sync(&app, &w, &w.lead.access_token, items),
        )
        .await;
        assert_eq!(
            (a.status, b.status),
            (200, 200),
            "round {round}: {} {}",
            a.body,
            b.body
        );
        let mut both = [statuses(&a), statuses(&b)];
        both.sort();
        assert_eq!(
            both,
            [["created", "created"], ["unchanged", "unchanged"]],
            "round {round}"
        );
        for id in ["MS-1", "MS-2"] {
            assert_eq!(by_external_id(&app, &w, &w.lead, id).await.len(), 1);
        }
    }
}

fn entry(w: &World, id: &str, hours: f64) -> Value {
    json!({"external_source": "acme-ams", "external_id": id, "user_id": w.staff.id,
           "occurred_on": chrono::Utc::now().date_naive(), "hours": hours, "kind": "execution"})
}

async fn sync_time(app: &TestApp, w: &World, by: &str, items: Value) -> TestResponse {
    let auth = format!("Bearer {by}");
    app.raw(
        Method::POST,
        &format!("/api/v1/projects/{}/activities/batch", w.project_id),
        &[
            ("authorization", &auth),
            ("content-type", "application/json"),
        ],
        json!({ "items": items }).to_string(),
    )
    .await
}

#[actix_web::test]
async fn a_time_sync_logs_each_entry_once_and_never_edits_one() {
    let app = spawn_app().await;
    let w = app.world().await;
    let key = &w.key_write;
    let first = sync_time(
        &app,
        &w,
        key,
        json!([entry(&w, "TE-1", 1.5), entry(&w, "TE-2", 2.0)]),
    )
    .await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(statuses(&first), ["created", "created"]);
    assert_eq!(first.body["items"][0]["resource"]["party"], "staff");
    assert_eq!(
        first.body["items"][0]["resource"]["user_id"],
        json!(w.staff.id)
    );

    let again = sync_time(
        &app,
        &w,
        key,
        json!([entry(&w, "TE-1", 1.5), entry(&w, "TE-2", 2.0)]),
    )
    .await;
    assert_eq!(statuses(&again), ["unchanged", "unchanged"]);
    assert_eq!(
        again.body["items"][0]["resource"]["id"],
        first.body["items"][0]["resource"]["id"]
    );

    let changed = sync_time(
        &app,
        &w,
        key,
        json!([entry(&w, "TE-1", 3.0), entry(&w, "TE-2", 2.0)]),
    )
    .await;
    assert_eq!(statuses(&changed), ["failed", "unchanged"]);
    assert_eq!(
        changed.body["items"][0]["problem"]["code"],
        "external_id_taken"
    );

    let ledger = app
        .get(
            &format!(
                "/api/v1/projects/{}/activities?external_source=acme-ams&limit=100",
                w.project_id
            ),
            Some(&w.lead.access_token),
        )
        .await;
    let hours: Vec<f64> = ledger.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["hours"].as_f64().unwrap())
        .collect();
    assert_eq!(hours, [1.5, 2.0], "one entry each, as first logged");
    let events = event_types(&app, &w, &w.lead).await;
    // The world logged one hour; the sync two entries.
    assert_eq!(events.iter().filter(|e| *e == "activity.logged").count(), 3);
}

#[actix_web::test]
async fn a_time_entry_refused_for_whom_it_is_fails_alone() {
    let app = spawn_app().await;
    let w = app.world().await;
    let mut stranger = entry(&w, "TE-3", 1.0);
    stranger["user_id"] = json!(w.outsider.id);
    let items = json!([stranger, entry(&w, "TE-4", 1.0)]);
    let res = sync_time(&app, &w, &w.key_write, items).await;
    assert_eq!(statuses(&res), ["failed", "created"], "{}", res.body);
    assert_eq!(
        res.body["items"][0]["problem"]["errors"][0]["field"],
        "user_id"
    );
    // A person logs their own time only: naming another member fails that item.
    let res = sync_time(
        &app,
        &w,
        &w.consultant.access_token,
        json!([entry(&w, "TE-5", 1.0)]),
    )
    .await;
    assert_eq!(statuses(&res), ["failed"]);
    assert_eq!(
        res.body["items"][0]["problem"]["errors"][0]["field"],
        "user_id"
    );
}

#[actix_web::test]
async fn a_batch_path_takes_only_post() {
    // `…/milestones/batch` also fits `…/milestones/{milestone_id}`: it is the batch's path all
    // the same, so another method is 405, not a 400 about an id.
    let app = spawn_app().await;
    let w = app.world().await;
    for method in [Method::GET, Method::PATCH, Method::DELETE] {
        let auth = format!("Bearer {}", w.lead.access_token);
        let res = app
            .raw(
                method.clone(),
                &path(&w),
                &[("authorization", &auth), ("if-match", "*")],
                String::new(),
            )
            .await;
        res.assert_problem(405, "method_not_allowed");
        assert_eq!(res.header("allow"), Some("POST"), "{method}");
    }
}
