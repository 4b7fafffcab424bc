//! The activity ledger.

use actix_web::http::Method;
use buyin::repo::activities;
use migration::{Migrator, MigratorTrait};
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

/// The ledger's running totals — what every readiness report reads instead of summing a
/// project's whole history — equal a fresh sum of the ledger after every kind of write:
/// entries by each side, on and off milestones, backdated and a day ahead; a vendor's batch
/// with an item that fails; deletions, one sent twice at once. Then the migration that made the
/// totals fills them from the ledger as it stands.
#[actix_web::test]
async fn the_ledgers_running_totals_equal_a_fresh_sum_after_every_write() {
    let app = spawn_app().await;
    let w = app.world().await;
    let projects = [w.project_id];
    let totals_hold = async |after: &str| {
        let stored = activities::stored_totals(&app.db, &projects).await.unwrap();
        let summed = activities::summed_totals(&app.db, &projects).await.unwrap();
        assert!(!summed.by_kind.is_empty(), "{after}");
        assert_eq!(stored, summed, "after {after}");
    };
    let second = app
        .post(
            &format!("/api/v1/projects/{}/milestones", w.project_id),
            Some(&w.lead.access_token),
            json!({"title": "Run the renewals", "knowledge_area": "renewals"}),
        )
        .await;
    assert_eq!(second.status, 201, "{}", second.body);
    let milestones = [
        json!(null),
        json!(w.milestone_id),
        second.body["id"].clone(),
    ];
    let people = [&w.staff, &w.consultant, &w.lead];
    let kinds = ["execution", "training", "shadowing", "testing", "planning"];
    // A fixed pseudo-random sequence (an LCG): the same writes on every run.
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = |n: usize| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as usize % n
    };
    let mut logged = vec![w.activity_id.to_string()];
    for round in 0..6 {
        for _ in 0..8 {
            let day = today() + chrono::Duration::days(1 - next(200) as i64);
            let body = json!({"occurred_on": day, "hours": (next(16) + 1) as f64 / 4.0,
                              "kind": kinds[next(5)], "milestone_id": milestones[next(3)]});
            let res = log(&app, &w, people[next(3)], body).await;
            assert_eq!(res.status, 201, "{}", res.body);
            logged.push(res.body["id"].as_str().unwrap().to_owned());
        }
        totals_hold(&format!("round {round}'s entries")).await;
        // A vendor's batch: two entries, and one that fails on its own (a day has 24 hours).
        let entry = |i: usize, hours: f64| {
            json!({"external_source": "acme-ams", "external_id": format!("TE-{round}-{i}"),
                   "user_id": w.staff.id, "occurred_on": today(), "hours": hours,
                   "kind": kinds[i], "milestone_id": milestones[i % 3]})
        };
        let batch = app
            .raw(
                Method::POST,
                &format!("/api/v1/projects/{}/activities/batch", w.project_id),
                &[
                    ("authorization", &format!("Bearer {}", w.key_write)),
                    ("content-type", "application/json"),
                ],
                json!({"items": [entry(1, 0.5), entry(2, 24.0), entry(3, 1.0)]}).to_string(),
            )
            .await;
        assert_eq!(batch.status, 200, "{}", batch.body);
        assert_eq!(batch.body["items"][1]["status"], "failed", "{}", batch.body);
        totals_hold(&format!("round {round}'s batch")).await;
        for _ in 0..3 {
            let id = logged.swap_remove(next(logged.len()));
            let path = format!("/api/v1/projects/{}/activities/{id}", w.project_id);
            let res = app
                .request(Method::DELETE, &path, Some(&w.lead.access_token), None)
                .await;
            assert_eq!(res.status, 204, "{}", res.body);
        }
        totals_hold(&format!("round {round}'s deletions")).await;
    }
    // One entry deleted twice at once is taken out of the totals once.
    let path = format!(
        "/api/v1/projects/{}/activities/{}",
        w.project_id,
        logged.pop().unwrap()
    );
    let (a, b) = futures_util::future::join(
        app.request(Method::DELETE, &path, Some(&w.lead.access_token), None),
        app.request(Method::DELETE, &path, Some(&w.lead.access_token), None),
    )
    .await;
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [204, 404]);
    totals_hold("a deletion sent twice at once").await;

    // The migration that made the totals (the latest) fills them from the ledger it finds.
    Migrator::down(&app.db, Some(1)).await.unwrap();
    Migrator::up(&app.db, None).await.unwrap();
    totals_hold("the migration's backfill").await;
}
