//! The activity ledger.

use actix_web::http::Method;
use serde_json::json;

use crate::{
    helpers::spawn_app,
    milestones::{log, today},
};

#[actix_web::test]
async fn members_log_their_own_time_and_party_is_their_side_at_the_time() {
    let app = spawn_app().await;
    let w = app.world().await;
    let res = log(
        &app,
        &w,
        &w.consultant,
        json!({"occurred_on": today(), "hours": 2.5, "kind": "training", "note": "Walkthrough"}),
    )
    .await;
    assert_eq!(res.status, 201, "{}", res.body);
    assert_eq!(res.body["party"], "consultant");
    assert_eq!(res.body["user_id"], w.consultant.id.to_string());
    assert_eq!(res.body["hours"], 2.5);
    assert!(res.header("location").is_some());
}

#[actix_web::test]
async fn hours_are_a_quarter_to_24_in_quarter_hours() {
    let app = spawn_app().await;
    let w = app.world().await;
    for hours in [0.0, 24.25, 0.1, -1.0] {
        let res = log(
            &app,
            &w,
            &w.staff,
            json!({"occurred_on": today(), "hours": hours, "kind": "execution"}),
        )
        .await;
        res.assert_problem(422, "validation_failed");
        assert_eq!(res.error_fields(), ["hours"], "{hours}");
    }
    // Each on a day of its own: a day holds 24 hours (and the world logged one today).
    let yesterday = today() - chrono::Duration::days(1);
    for (day, hours) in [(today(), 0.25), (yesterday, 24.0)] {
        assert_eq!(
            log(
                &app,
                &w,
                &w.staff,
                json!({"occurred_on": day, "hours": hours, "kind": "execution"})
            )
            .await
            .status,
            201
        );
    }
}

#[actix_web::test]
async fn activities_may_be_one_day_ahead_in_utc_but_not_more_nor_before_the_project_starts() {
    let app = spawn_app().await;
    let w = app.world().await;
    // Tomorrow in UTC is already today somewhere: every time zone can log its own today.
    let tomorrow = today().succ_opt().unwrap();
    let res = log(
        &app,
        &w,
        &w.staff,
        json!({"occurred_on": tomorrow, "hours": 1, "kind": "execution"}),
    )
    .await;
    assert_eq!(res.status, 201, "{}", res.body);
    let res = log(
        &app,
        &w,
        &w.staff,
        json!({"occurred_on": tomorrow.succ_opt().unwrap(), "hours": 1, "kind": "execution"}),
    )
    .await;
    assert_eq!(res.error_fields(), ["occurred_on"]);
    let path = format!("/api/v1/projects/{}", w.project_id);
    let auth = format!("Bearer {}", w.lead.access_token);
    let start = today().pred_opt().unwrap();
    app.patch_any_version(&path, &auth, json!({"start_date": start}).to_string())
        .await;
    let before = start.pred_opt().unwrap();
    let res = log(
        &app,
        &w,
        &w.staff,
        json!({"occurred_on": before, "hours": 1, "kind": "execution"}),
    )
    .await;
    res.assert_problem(422, "validation_failed");
    assert_eq!(res.error_fields(), ["occurred_on"]);
    assert_eq!(
        log(
            &app,
            &w,
            &w.staff,
            json!({"occurred_on": start, "hours": 1, "kind": "execution"})
        )
        .await
        .status,
        201
    );
}

#[actix_web::test]
async fn party_and_user_cannot_be_set_by_the_caller() {
    let app = spawn_app().await;
    let w = app.world().await;
    for field in ["party", "user_id", "id", "created_at"] {
        let res = log(
            &app,
            &w,
            &w.consultant,
            json!({"occurred_on": today(), "hours": 1, "kind": "execution", field: "staff"}),
        )
        .await;
        res.assert_problem(400, "invalid_body");
    }
}

#[actix_web::test]
async fn an_activity_is_deleted_by_its_author_or_a_lead_only() {
    let app = spawn_app().await;
    let w = app.world().await;
    let path = format!(
        "/api/v1/projects/{}/activities/{}",
        w.project_id, w.activity_id
    );
    app.request(
        Method::DELETE,
        &path,
        Some(&w.consultant.access_token),
        None,
    )
    .await
    .assert_problem(403, "forbidden");
    assert_eq!(
        app.request(Method::DELETE, &path, Some(&w.staff.access_token), None)
            .await
            .status,
        204
    );
    app.request(Method::DELETE, &path, Some(&w.staff.access_token), None)
        .await
        .assert_problem(404, "activity_not_found");
}

#[actix_web::test]
async fn the_ledger_filters_by_user_kind_party_milestone_and_dates() {
    let app = spawn_app().await;
    let w = app.world().await;
    let yesterday = today().pred_opt().unwrap();
    log(
        &app,
        &w,
        &w.consultant,
        json!({"occurred_on": yesterday, "hours": 3, "kind": "training"}),
    )
    .await;
    let base = format!("/api/v1/projects/{}/activities", w.project_id);
    let t = Some(w.admin.access_token.as_str());
    let count = |r: crate::helpers::TestResponse| r.body["items"].as_array().unwrap().len();
    assert_eq!(count(app.get(&base, t).await), 2);
    assert_eq!(
        count(app.get(&format!("{base}?party=consultant"), t).await),
        1
    );
    assert_eq!(
        count(app.get(&format!("{base}?user_id={}", w.staff.id), t).await),
        1
    );
    assert_eq!(count(app.get(&format!("{base}?kind=training"), t).await), 1);
    assert_eq!(
        count(
            app.get(&format!("{base}?milestone_id={}", w.milestone_id), t)
                .await
        ),
        1
    );
    assert_eq!(
        count(app.get(&format!("{base}?from={}", today()), t).await),
        1
    );
    assert_eq!(
        count(app.get(&format!("{base}?to={yesterday}"), t).await),
        1
    );
    app.get(&format!("{base}?kind=napping"), t)
        .await
        .assert_problem(400, "invalid_query_parameter");
}

#[actix_web::test]
async fn a_vendors_time_entry_is_counted_once_by_its_external_id() {
    let app = spawn_app().await;
    let w = app.world().await;
    let entry = json!({"occurred_on": today(), "hours": 1, "kind": "execution", "user_id": w.staff.id,
        "external_source": "ams", "external_id": "TE-1"});
    let path = format!("/api/v1/projects/{}/activities", w.project_id);
    let key = Some(w.key_write.as_str());
    let first = app.post(&path, key, entry.clone()).await;
    assert_eq!(first.status, 201, "{}", first.body);
    assert_eq!(first.body["external_id"], "TE-1");
    // A retry after the Idempotency-Key window, or from another sync run: refused, not doubled.
    app.post(&path, key, entry.clone())
        .await
        .assert_problem(409, "external_id_taken");
    // Found again by its ids.
    let found = app
        .get(&format!("{path}?external_source=ams&external_id=TE-1"), key)
        .await;
    let items = found.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], first.body["id"]);
    // The same ids in another project are another entry.
    let other = format!("/api/v1/projects/{}/activities", w.other_project_id);
    let mut theirs = entry;
    theirs.as_object_mut().unwrap().remove("user_id");
    let res = app.post(&other, Some(&w.other.access_token), theirs).await;
    assert_eq!(res.status, 201, "{}", res.body);
}

#[actix_web::test]
async fn the_ledger_and_the_event_feed_read_newest_first_on_request() {
    let app = spawn_app().await;
    let w = app.world().await;
    for hours in [1, 2, 3, 4, 5] {
        let entry = json!({"occurred_on": today(), "hours": hours, "kind": "planning"});
        assert_eq!(log(&app, &w, &w.staff, entry).await.status, 201);
    }
    let t = w.lead.access_token.as_str();
    let ledger = format!("/api/v1/projects/{}/activities?limit=2", w.project_id);
    let oldest_first = app.ids_of_all_pages(&ledger, t).await;
    let newest_first = app
        .ids_of_all_pages(&format!("{ledger}&order=desc"), t)
        .await;
    assert_eq!(oldest_first.len(), 6, "the world's entry and five more");
    let mut reversed = oldest_first.clone();
    reversed.reverse();
    assert_eq!(
        newest_first, reversed,
        "every page, newest first, none lost"
    );

    // The event feed pages the same way with `after`.
    let feed = format!("/api/v1/projects/{}/events?limit=3", w.project_id);
    let ids = |body: &serde_json::Value| -> Vec<i64> {
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_i64().unwrap())
            .collect()
    };
    let first = app.get(&format!("{feed}&order=desc"), Some(t)).await;
    let newest = ids(&first.body);
    assert!(newest.windows(2).all(|p| p[0] > p[1]), "{newest:?}");
    let cursor = first.body["next_cursor"].as_str().unwrap();
    let second = app
        .get(&format!("{feed}&order=desc&after={cursor}"), Some(t))
        .await;
    let older = ids(&second.body);
    assert!(
        older.iter().all(|id| *id < *newest.last().unwrap()),
        "{older:?}"
    );
    app.get(&format!("{feed}&order=sideways"), Some(t))
        .await
        .assert_problem(400, "invalid_query_parameter");

    // And a webhook's delivery log.
    let hook = format!("/api/v1/orgs/{}/webhooks/{}", w.org_id, w.webhook_id);
    let admin = w.admin.access_token.as_str();
    for _ in 0..3 {
        let ping = app
            .post(&format!("{hook}/ping"), Some(admin), json!({}))
            .await;
        assert_eq!(ping.status, 202, "{}", ping.body);
    }
    let log = format!("{hook}/deliveries?limit=2");
    let mut oldest_first = app.ids_of_all_pages(&log, admin).await;
    oldest_first.reverse();
    let newest_first = app
        .ids_of_all_pages(&format!("{log}&order=desc"), admin)
        .await;
    assert_eq!(newest_first, oldest_first);
}
