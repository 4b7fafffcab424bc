//! `GET /readiness/portfolio`: one row per project the caller can see, each equal to that
//! project's report, in the order asked for, in keyset pages that stay correct under every sort.

use chrono::{Duration, Utc};
use serde_json::{Value, json};

use crate::{
    helpers::{TestApp, TestUser, spawn_app},
    world::World,
};

fn today_plus(days: i64) -> String {
    (Utc::now() + Duration::days(days)).date_naive().to_string()
}

async fn portfolio(app: &TestApp, token: &str, query: &str) -> Value {
    let res = app
        .get(&format!("/api/v1/readiness/portfolio{query}"), Some(token))
        .await;
    assert_eq!(res.status, 200, "{query}: {}", res.body);
    res.body
}

/// Every row of every page, walking `next_cursor` with pages of `limit`.
async fn every_page(app: &TestApp, token: &str, sort: &str, limit: usize) -> Vec<Value> {
    let mut rows = Vec::new();
    let mut cursor = String::new();
    loop {
        let body = portfolio(
            app,
            token,
            &format!("?sort={sort}&limit={limit}&cursor={cursor}"),
        )
        .await;
        let page = body["items"].as_array().unwrap();
        assert!(page.len() <= limit);
        rows.extend(page.iter().cloned());
        match body["next_cursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => return rows,
        }
    }
}

fn names(rows: &[Value]) -> Vec<&str> {
    rows.iter()
        .map(|r| r["project_name"].as_str().unwrap())
        .collect()
}

/// A project of the world's organisation, led by `lead`, with the given fields.
async fn project(app: &TestApp, w: &World, lead: &TestUser, body: Value) -> String {
    app.create_project(lead, w.org_id, body).await.to_string()
}

#[actix_web::test]
async fn portfolio_rows_equal_each_projects_report() {
    let app = spawn_app().await;
    let w = app.world().await;
    let extra = project(
        &app,
        &w,
        &w.lead,
        json!({"name": "Website", "consultant_exit_date": today_plus(30)}),
    )
    .await;
    let body = portfolio(&app, &w.lead.access_token, "").await;
    let rows = body["items"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{body}");
    for row in rows {
        let id = row["project_id"].as_str().unwrap();
        let report = app
            .get(
                &format!("/api/v1/projects/{id}/readiness"),
                Some(&w.lead.access_token),
            )
            .await
            .body;
        for field in ["score", "components", "signals", "as_of", "frozen"] {
            assert_eq!(row[field], report[field], "{field} of {id}");
        }
        assert_eq!(row["overdue"], report["milestones"]["overdue"]);
        let actions = report["next_actions"].as_array().unwrap();
        assert_eq!(row["next_actions"], json!(actions.len()));
        let mine = actions
            .iter()
            .filter(|a| a["user_id"] == json!(w.lead.id))
            .count();
        assert_eq!(row["my_next_actions"], json!(mine));
        assert_eq!(row["org_id"], json!(w.org_id));
        assert_eq!(row["org_name"], "Acme Association");
        assert_eq!(row["my_role"], "staff_lead");
        assert_eq!(row["status"], "planning");
        // Created today: there is no score 28 days earlier.
        assert_eq!(row["score_28_days_ago"], Value::Null);
        assert_eq!(row["score_change"], Value::Null);
    }
    let website = rows
        .iter()
        .find(|r| r["project_id"] == json!(extra))
        .unwrap();
    assert_eq!(website["signals"]["days_to_consultant_exit"], 30);
}

#[actix_web::test]
async fn who_sees_which_rows_and_as_what() {
    let app = spawn_app().await;
    let w = app.world().await;
    // The consultant also works for the other organisation.
    app.add_project_member(&w.other, w.other_project_id, &w.consultant, "consultant")
        .await;
    let rows = |body: Value| -> Vec<(String, String, String)> {
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["org_name"].as_str().unwrap().to_owned(),
                    r["project_name"].as_str().unwrap().to_owned(),
                    r["my_role"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let sorted = "?sort=name";
    let consultant = portfolio(&app, &w.consultant.access_token, sorted).await;
    assert_eq!(
        rows(consultant),
        [
            (
                "Acme Association".into(),
                "Move to the new AMS".into(),
                "consultant".into()
            ),
            (
                "Other Association".into(),
                "Their project".into(),
                "consultant".into()
            ),
        ]
    );
    let staff = portfolio(&app, &w.staff.access_token, sorted).await;
    assert_eq!(
        rows(staff),
        [(
            "Acme Association".into(),
            "Move to the new AMS".into(),
            "staff".into()
        )]
    );
    let admin = portfolio(&app, &w.admin.access_token, sorted).await;
    assert_eq!(
        rows(admin),
        [(
            "Acme Association".into(),
            "Move to the new AMS".into(),
            "org_admin".into()
        )]
    );
    let key = portfolio(&app, &w.key_read, sorted).await;
    assert_eq!(
        rows(key),
        [(
            "Acme Association".into(),
            "Move to the new AMS".into(),
            "api_key".into()
        )]
    );
    for nobody in [&w.outsider, &w.spare_member] {
        let body = portfolio(&app, &nobody.access_token, "").await;
        assert_eq!(body, json!({"items": [], "next_cursor": null}));
    }
    // Filters: by organisation and by status.
    let filtered = portfolio(
        &app,
        &w.consultant.access_token,
        &format!("?org_id={}", w.other_org_id),
    )
    .await;
    assert_eq!(rows(filtered).len(), 1);
    let active = portfolio(&app, &w.consultant.access_token, "?status=in_progress").await;
    assert_eq!(rows(active).len(), 0);
}

#[actix_web::test]
async fn sort_orders_and_pages_under_each_sort() {
    let app = spawn_app().await;
    let w = app.world().await;
    // Five more projects of the lead's: names out of order, exits soon, late, passed and none.
    let exits = [
        ("delta", Some(20)),
        ("Alpha", Some(5)),
        ("charlie", None),
        ("Bravo", Some(60)),
        ("echo", Some(5)),
    ];
    for (name, exit) in exits {
        let mut body = json!({"name": name});
        if let Some(days) = exit {
            body["consultant_exit_date"] = json!(today_plus(days));
        }
        project(&app, &w, &w.lead, body).await;
    }
    // Staff hands-on work on one project, so scores differ.
    let token = &w.lead.access_token;
    let all = every_page(&app, token, "name", 100).await;
    assert_eq!(
        names(&all),
        [
            "Alpha",
            "Bravo",
            "charlie",
            "delta",
            "echo",
            "Move to the new AMS"
        ]
    );
    for sort in ["drift", "score", "exit", "name"] {
        let full = every_page(&app, token, sort, 100).await;
        for limit in [1, 2, 4] {
            let paged = every_page(&app, token, sort, limit).await;
            assert_eq!(names(&paged), names(&full), "{sort} in pages of {limit}");
        }
    }
    // Exit: soonest first, ties by project id (creation order), none last.
    let by_exit = every_page(&app, token, "exit", 2).await;
    assert_eq!(
        names(&by_exit),
        [
            "Alpha",
            "echo",
            "delta",
            "Bravo",
            "Move to the new AMS",
            "charlie"
        ]
    );
    // Score: lowest first, ties by project id.
    let by_score = every_page(&app, token, "score", 2).await;
    let mut expected: Vec<(u64, String, String)> = by_score
        .iter()
        .map(|r| {
            (
                r["score"].as_u64().unwrap(),
                r["project_id"].as_str().unwrap().to_owned(),
                r["project_name"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    expected.sort();
    assert_eq!(
        names(&by_score),
        expected.iter().map(|e| e.2.as_str()).collect::<Vec<_>>()
    );
    // The world's project has staff hands-on hours and an owner: it scores highest, so last.
    assert_eq!(names(&by_score).last(), Some(&"Move to the new AMS"));
    // A cursor from one sort is refused by another.
    let first = portfolio(&app, token, "?sort=name&limit=1").await;
    let cursor = first["next_cursor"].as_str().unwrap();
    let res = app
        .get(
            &format!("/api/v1/readiness/portfolio?sort=score&cursor={cursor}"),
            Some(token),
        )
        .await;
    assert_eq!(res.status, 400, "{}", res.body);
    assert_eq!(res.body["code"], "invalid_cursor");
}
