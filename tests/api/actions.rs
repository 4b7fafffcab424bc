//! Agreed actions (DESIGN.md, "Agreed actions"): what the team agreed, by whom, by when and
//! whom it waits on; closed by the owner or a staff lead; asked after by the readiness report.

use chrono::{Duration, Utc};
use serde_json::{Value, json};

use crate::{
    helpers::{TestApp, TestResponse, TestUser, spawn_app, spawn_app_with},
    world::World,
};

fn actions_of(w: &World) -> String {
    format!("/api/v1/projects/{}/actions", w.project_id)
}

async fn create(app: &TestApp, w: &World, by: &TestUser, body: Value) -> TestResponse {
    app.post(&actions_of(w), Some(&by.access_token), body).await
}

async fn patch(app: &TestApp, path: &str, by: &str, body: Value) -> TestResponse {
    app.patch_any_version(path, &format!("Bearer {by}"), body.to_string())
        .await
}

async fn report(app: &TestApp, w: &World, by: &TestUser, query: &str) -> Value {
    let res = app
        .get(
            &format!("/api/v1/projects/{}/readiness{query}", w.project_id),
            Some(&by.access_token),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    res.body
}

fn items<'a>(report: &'a Value, kind: &str) -> Vec<&'a Value> {
    report["next_actions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["kind"] == kind)
        .collect()
}

#[actix_web::test]
async fn an_agreed_action_is_recorded_edited_closed_and_deleted_with_an_event_for_each() {
    let app = spawn_app().await;
    let w = app.world().await;
    let today = Utc::now().date_naive();
    let res = create(
        &app,
        &w,
        &w.consultant,
        json!({"title": "Load last year's invoices", "owner_id": w.consultant.id,
               "due_date": today + Duration::days(7), "milestone_id": w.milestone_id,
               "waiting_on": {"user_id": w.staff.id}, "note": "Agreed on Thursday."}),
    )
    .await;
    assert_eq!(res.status, 201, "{}", res.body);
    let id = res.body["id"].as_str().unwrap().to_owned();
    let path = format!("{}/{id}", actions_of(&w));
    assert_eq!(res.header("location"), Some(path.as_str()));
    assert_eq!(res.body["status"], "open");
    assert_eq!(res.body["agreed_on"], json!(today));
    assert_eq!(res.body["waiting_on"], json!({"user_id": w.staff.id}));
    assert_eq!(res.body["waiting_since"], json!(today));

    // The consultant edits it (any member may); a new wait starts a new `waiting_since`.
    let edited = patch(
        &app,
        &path,
        &w.consultant.access_token,
        json!({"title": "Load the last two years' invoices",
               "waiting_on": {"party": "vendor", "name": "Acme AMS"}}),
    )
    .await;
    assert_eq!(edited.status, 200, "{}", edited.body);
    assert_eq!(
        edited.body["waiting_on"],
        json!({"party": "vendor", "name": "Acme AMS"})
    );
    assert_eq!(edited.body["version"], 2);

    // The owner closes it; who and when are recorded.
    let done = patch(
        &app,
        &path,
        &w.consultant.access_token,
        json!({"status": "done"}),
    )
    .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(done.body["status"], "done");
    assert_eq!(done.body["closed_by"], json!(w.consultant.id));
    assert!(done.body["closed_at"].is_string());

    // Filters: status and owner.
    let open = app
        .get(
            &format!("{}?status=open", actions_of(&w)),
            Some(&w.lead.access_token),
        )
        .await;
    let open_ids: Vec<&str> = open.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(open_ids, [w.action_id.to_string()]);
    let theirs = app
        .get(
            &format!("{}?owner_id={}", actions_of(&w), w.consultant.id),
            Some(&w.lead.access_token),
        )
        .await;
    assert_eq!(theirs.body["items"][0]["id"], json!(id));

    // A staff lead deletes it.
    let gone = app
        .raw(
            actix_web::http::Method::DELETE,
            &path,
            &[
                ("authorization", &format!("Bearer {}", w.lead.access_token)),
                ("if-match", "\"3\""),
            ],
            "",
        )
        .await;
    assert_eq!(gone.status, 204, "{}", gone.body);
    app.get(&path, Some(&w.lead.access_token))
        .await
        .assert_problem(404, "action_not_found");

    let types: Vec<String> = app
        .project_events(&w)
        .await
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect();
    for t in [
        "action.created",
        "action.updated",
        "action.closed",
        "action.deleted",
    ] {
        assert!(types.iter().any(|x| x == t), "{t} in {types:?}");
    }
}

#[actix_web::test]
async fn only_the_owner_or_a_staff_lead_closes_an_action() {
    let app = spawn_app().await;
    let w = app.world().await;
    // The world's action is owned by `staff`.
    let path = format!("{}/{}", actions_of(&w), w.action_id);
    for (who, token) in [
        ("consultant", &w.consultant.access_token),
        ("admin", &w.admin.access_token),
        ("write key", &w.key_write),
    ] {
        let res = patch(&app, &path, token, json!({"status": "dropped"})).await;
        assert_eq!(res.status, 403, "{who}: {}", res.body);
    }
    let lead = patch(
        &app,
        &path,
        &w.lead.access_token,
        json!({"status": "dropped"}),
    )
    .await;
    assert_eq!(lead.status, 200, "{}", lead.body);
    assert_eq!(lead.body["closed_by"], json!(w.lead.id));
    // Opened again by its owner: closing is undone.
    let reopened = patch(
        &app,
        &path,
        &w.staff.access_token,
        json!({"status": "open"}),
    )
    .await;
    assert_eq!(reopened.status, 200, "{}", reopened.body);
    assert_eq!(reopened.body["closed_by"], Value::Null);
    assert_eq!(reopened.body["closed_at"], Value::Null);
    // Sending the status it already has is no change, and needs no right.
    let same = patch(
        &app,
        &path,
        &w.consultant.access_token,
        json!({"status": "open", "title": "Send the template"}),
    )
    .await;
    assert_eq!(same.status, 200, "{}", same.body);
}

#[actix_web::test]
async fn an_action_names_only_active_members_and_milestones_of_its_own_project() {
    let app = spawn_app().await;
    let w = app.world().await;
    let other_milestone = app
        .post(
            &format!("/api/v1/projects/{}/milestones", w.other_project_id),
            Some(&w.other.access_token),
            json!({"title": "Theirs", "knowledge_area": "theirs"}),
        )
        .await;
    assert_eq!(other_milestone.status, 201);
    let res = create(
        &app,
        &w,
        &w.lead,
        json!({"title": "Anything", "owner_id": w.other.id,
               "waiting_on": {"user_id": w.outsider.id},
               "milestone_id": other_milestone.body["id"],
               "agreed_on": Utc::now().date_naive() + Duration::days(2)}),
    )
    .await;
    res.assert_problem(422, "validation_failed");
    let mut fields = res.error_fields();
    fields.sort();
    assert_eq!(
        fields,
        [
            "agreed_on",
            "milestone_id",
            "owner_id",
            "waiting_on.user_id"
        ]
    );
    // Both forms at once, or neither, is not a `waiting_on`.
    for waiting in [
        json!({"user_id": w.staff.id, "party": "vendor", "name": "Acme"}),
        json!({"party": "vendor"}),
        json!({}),
    ] {
        let res = create(
            &app,
            &w,
            &w.lead,
            json!({"title": "Anything", "owner_id": w.staff.id, "waiting_on": waiting}),
        )
        .await;
        assert_eq!(res.status, 422, "{waiting}: {}", res.body);
    }
    // This project's action under the other project's path is not found, for its own lead.
    let replayed = format!(
        "/api/v1/projects/{}/actions/{}",
        w.other_project_id, w.action_id
    );
    app.get(&replayed, Some(&w.other.access_token))
        .await
        .assert_problem(404, "action_not_found");
    let res = patch(
        &app,
        &replayed,
        &w.other.access_token,
        json!({"status": "done"}),
    )
    .await;
    res.assert_problem(404, "action_not_found");
}

#[actix_web::test]
async fn actions_page_newest_first_or_soonest_due_first_with_the_undated_last() {
    let app = spawn_app().await;
    let w = app.world().await;
    let today = Utc::now().date_naive();
    let mut made = vec![(None, w.action_id.to_string())];
    for due in [Some(5), None, Some(1), Some(5), Some(3)] {
        let due_date = due.map(|d| today + Duration::days(d));
        let res = create(
            &app,
            &w,
            &w.staff,
            json!({"title": "Something", "owner_id": w.staff.id, "due_date": due_date}),
        )
        .await;
        assert_eq!(res.status, 201, "{}", res.body);
        made.push((due_date, res.body["id"].as_str().unwrap().to_owned()));
    }
    let mut newest: Vec<String> = made.iter().map(|(_, id)| id.clone()).collect();
    newest.reverse();
    let mut due = made.clone();
    due.sort_by(|a, b| (a.0.is_none(), a.0, &a.1).cmp(&(b.0.is_none(), b.0, &b.1)));
    let due: Vec<String> = due.into_iter().map(|(_, id)| id).collect();
    for (order, expected) in [("newest", &newest), ("due", &due)] {
        for limit in [1, 2, 4, 100] {
            let first = format!("{}?order={order}&limit={limit}", actions_of(&w));
            let ids = app.ids_of_all_pages(&first, &w.lead.access_token).await;
            assert_eq!(&ids, expected, "{order} in pages of {limit}");
        }
    }
    // A cursor of one order is not a cursor of the other.
    let page = app
        .get(
            &format!("{}?order=due&limit=1", actions_of(&w)),
            Some(&w.lead.access_token),
        )
        .await;
    let cursor = page.body["next_cursor"].as_str().unwrap();
    app.get(
        &format!("{}?order=newest&cursor={cursor}", actions_of(&w)),
        Some(&w.lead.access_token),
    )
    .await
    .assert_problem(400, "invalid_cursor");
}

#[actix_web::test]
async fn an_action_waiting_more_than_two_weeks_asks_the_leads_to_chase() {
    let mut app = spawn_app_with(&[("BUYIN_CLOCK_OFFSET", "-20d")], |_| {}).await;
    let mut w = app.world().await;
    let created = (Utc::now() - Duration::days(20)).date_naive();
    app.restart_at("0s").await;
    app.log_in_again(&mut w).await;

    // Today: 20 days waiting on the vendor. The owner has the action; the lead chases.
    let today = report(&app, &w, &w.lead, "").await;
    let agreed = items(&today, "agreed");
    assert_eq!(agreed.len(), 1, "{today}");
    assert_eq!(agreed[0]["user_id"], json!(w.staff.id));
    assert_eq!(agreed[0]["action_id"], json!(w.action_id));
    assert_eq!(agreed[0]["age_days"], 20);
    assert_eq!(agreed[0]["days_waiting"], 20);
    assert_eq!(
        agreed[0]["waiting_on"],
        json!({"party": "vendor", "name": "Acme AMS"})
    );
    let chase = items(&today, "chase");
    assert_eq!(chase.len(), 1, "{today}");
    assert_eq!(chase[0]["user_id"], json!(w.lead.id));
    assert_eq!(chase[0]["days_waiting"], 20);
    assert!(
        chase[0]["detail"].as_str().unwrap().contains("Acme AMS"),
        "{}",
        chase[0]
    );

    // Fourteen days is not yet more than two weeks; fifteen is.
    let day14 = report(
        &app,
        &w,
        &w.lead,
        &format!("?as_of={}", created + Duration::days(14)),
    )
    .await;
    assert!(items(&day14, "chase").is_empty(), "{day14}");
    assert_eq!(items(&day14, "agreed").len(), 1);
    let day15 = report(
        &app,
        &w,
        &w.lead,
        &format!("?as_of={}", created + Duration::days(15)),
    )
    .await;
    assert_eq!(items(&day15, "chase").len(), 1, "{day15}");

    // Closed: nothing to do or chase from then on; the changes view lists it as closed.
    let path = format!("{}/{}", actions_of(&w), w.action_id);
    let done = patch(
        &app,
        &path,
        &w.staff.access_token,
        json!({"status": "done"}),
    )
    .await;
    assert_eq!(done.status, 200, "{}", done.body);
    let after = report(&app, &w, &w.lead, "").await;
    assert!(items(&after, "agreed").is_empty() && items(&after, "chase").is_empty());
    let changes = app
        .get(
            &format!(
                "/api/v1/projects/{}/readiness/changes?since={}",
                w.project_id,
                created + Duration::days(1)
            ),
            Some(&w.lead.access_token),
        )
        .await;
    assert_eq!(changes.status, 200, "{}", changes.body);
    assert_eq!(
        changes.body["actions_closed"][0]["action_id"],
        json!(w.action_id)
    );
    assert_eq!(changes.body["actions_closed"][0]["status"], "done");
    assert!(
        changes.body["got_better"]
            .as_array()
            .unwrap()
            .contains(&json!("\"Send the vendor the invoice template\" is done")),
        "{}",
        changes.body
    );
}

#[actix_web::test]
async fn actions_filter_by_whom_they_wait_on_by_overdue_and_by_milestone() {
    let app = spawn_app().await;
    let w = app.world().await;
    let yesterday = Utc::now().date_naive() - Duration::days(1);
    let mut made = Vec::new();
    for body in [
        json!({"title": "Waits on Sam", "owner_id": w.lead.id, "waiting_on": {"user_id": w.staff.id}}),
        json!({"title": "Waits on the auditors", "owner_id": w.lead.id,
               "waiting_on": {"party": "other", "name": "The auditors"}}),
        json!({"title": "Late", "owner_id": w.lead.id, "due_date": yesterday,
               "milestone_id": w.milestone_id}),
    ] {
        let res = create(&app, &w, &w.lead, body).await;
        assert_eq!(res.status, 201, "{}", res.body);
        made.push(res.body["id"].as_str().unwrap().to_owned());
    }
    let ids = |query: String| {
        let app = &app;
        let w = &w;
        async move {
            let res = app
                .get(
                    &format!("{}?{query}", actions_of(w)),
                    Some(&w.consultant.access_token),
                )
                .await;
            assert_eq!(res.status, 200, "{query}: {}", res.body);
            res.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    let staff = format!("waiting_on_user_id={}", w.staff.id);
    assert_eq!(ids(staff).await, [made[0].clone()]);
    // The world's own action waits on the vendor.
    let vendor = ids("waiting_on_party=vendor".into()).await;
    assert_eq!(vendor, [w.action_id.to_string()]);
    assert_eq!(
        ids("waiting_on_party=other".into()).await,
        [made[1].clone()]
    );
    assert_eq!(ids("overdue=true".into()).await, [made[2].clone()]);
    let milestone = format!("milestone_id={}", w.milestone_id);
    assert_eq!(ids(milestone).await, [made[2].clone()]);
    // Closed, it is no longer overdue.
    let path = format!("{}/{}", actions_of(&w), made[2]);
    let res = patch(&app, &path, &w.lead.access_token, json!({"status": "done"})).await;
    assert_eq!(res.status, 200);
    assert!(ids("overdue=true".into()).await.is_empty());
}
