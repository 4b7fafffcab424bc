//! The authorisation matrix (`authz_matrix.txt`): every operation × every kind of caller, each
//! cell on a fresh world, plus exactly-what-you-see list tests and cross-project replays.

use std::collections::BTreeSet;

use actix_web::http::Method;
use serde_json::{Value, json};

use crate::{
    helpers::{TestApp, spawn_app},
    world::World,
};

const CALLERS: [&str; 10] = [
    "anon",
    "bad",
    "outsider",
    "other",
    "consultant",
    "staff",
    "lead",
    "admin",
    "key_read",
    "key_write",
];

struct Row {
    line: usize,
    method: Method,
    path: String,
    expected: Vec<u16>,
    target: Option<String>,
    body: Option<String>,
}

fn rows() -> Vec<Row> {
    include_str!("authz_matrix.txt")
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(|(i, line)| {
            let mut parts = line.split_whitespace();
            let method: Method = parts.next().unwrap().parse().unwrap();
            let path = parts.next().unwrap().to_owned();
            let expected: Vec<u16> = (0..CALLERS.len())
                .map(|_| {
                    parts
                        .next()
                        .and_then(|s| s.parse().ok())
                        .unwrap_or_else(|| panic!("line {}: {} statuses", i + 1, CALLERS.len()))
                })
                .collect();
            let rest: Vec<&str> = parts.collect();
            let (target, body_words) = match rest.first() {
                Some(word) if word.starts_with("target=") => {
                    (Some(word["target=".len()..].to_owned()), &rest[1..])
                }
                _ => (None, &rest[..]),
            };
            let body = (!body_words.is_empty()).then(|| body_words.join(" "));
            Row {
                line: i + 1,
                method,
                path,
                expected,
                target,
                body,
            }
        })
        .collect()
}

fn fill(template: &str, world: &World, target_id: &str) -> String {
    template
        .replace("{org_id}", &world.org_id.to_string())
        .replace("{project_id}", &world.project_id.to_string())
        .replace("{milestone_id}", &world.milestone_id.to_string())
        .replace("{criterion_id}", &world.criterion_id.to_string())
        .replace("{activity_id}", &world.activity_id.to_string())
        .replace("{action_id}", &world.action_id.to_string())
        .replace("{script_id}", &world.script_id.to_string())
        .replace("{key_id}", &world.spare_key_id.to_string())
        .replace("{webhook_id}", &world.webhook_id.to_string())
        .replace("{invitation_id}", &world.invitation_id)
        .replace("{today}", &chrono::Utc::now().date_naive().to_string())
        .replace("{user_id}", target_id)
        .replace("{staff_id}", &world.staff.id.to_string())
        .replace("{spare_member_id}", &world.spare_member.id.to_string())
        .replace("{spare_outsider_id}", &world.spare_outsider.id.to_string())
        .replace(
            "{new_email}",
            &format!("new-{}@example.org", uuid::Uuid::new_v4().simple()),
        )
        .replace("{lead_email}", &world.lead.email)
        .replace("{lead_refresh}", &world.lead.refresh_token)
}

fn token<'a>(world: &'a World, caller: &str) -> Option<&'a str> {
    let user = match caller {
        "anon" => return None,
        "bad" => return Some("not-a-valid-token"),
        "outsider" => &world.outsider,
        "other" => &world.other,
        "consultant" => &world.consultant,
        "staff" => &world.staff,
        "lead" => &world.lead,
        "admin" => &world.admin,
        "key_read" => return Some(&world.key_read),
        "key_write" => return Some(&world.key_write),
        other => panic!("unknown caller {other}"),
    };
    Some(&user.access_token)
}

async fn run_cell(app: &TestApp, hash: &str, row: &Row, caller: &str) -> (u16, Value) {
    let world = app.world_with_hash(hash).await;
    let target = match row.target.as_deref() {
        None => String::new(),
        Some("staff") => world.staff.id.to_string(),
        Some("spare_member") => world.spare_member.id.to_string(),
        Some(other) => panic!("line {}: unknown target {other}", row.line),
    };
    let path = fill(&row.path, &world, &target);
    let mut req = app.client.request(row.method.clone(), app.url(&path));
    if let Some(token) = token(&world, caller) {
        req = req.bearer_auth(token);
    }
    if matches!(row.method, Method::PATCH | Method::DELETE) {
        req = req.insert_header(("if-match", "*"));
    }
    let res = match &row.body {
        Some(body) => {
            let filled = fill(body, &world, &target);
            let body: Value = serde_json::from_str(&filled)
                .unwrap_or_else(|e| panic!("line {}: body is not JSON ({e}): {filled}", row.line));
            req.send_json(&body).await
        }
        None => req.send().await,
    };
    let mut res = res.unwrap();
    let status = res.status().as_u16();
    if status >= 400 {
        assert_eq!(
            res.headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("application/problem+json"),
            "line {}: {caller} got a non-problem error",
            row.line
        );
    }
    let body = res.body().await.unwrap();
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

#[actix_web::test]
async fn every_operation_answers_every_kind_of_caller_as_the_matrix_says() {
    let app = spawn_app().await;
    let hash = app.password_hash().await;
    let mut failures = Vec::new();
    for row in rows() {
        for (caller, expected) in CALLERS.iter().zip(&row.expected) {
            let (status, body) = run_cell(&app, &hash, &row, caller).await;
            if status != *expected {
                failures.push(format!(
                    "line {}: {} {} as {caller}: expected {expected}, got {status} {body}",
                    row.line, row.method, row.path
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} cells differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_openapi_operation_has_a_row_in_the_matrix() {
    let doc = serde_json::to_value(buyin::openapi::document()).unwrap();
    let documented: BTreeSet<String> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(move |method| format!("{} {path}", method.to_uppercase()))
        })
        .collect();
    let covered: BTreeSet<String> = rows()
        .iter()
        // A row may carry the query its operation needs (`…/changes?since={today}`).
        .map(|r| {
            format!(
                "{} {}",
                r.method,
                r.path.split('?').next().unwrap_or_default()
            )
        })
        .collect();
    let missing: Vec<_> = documented.difference(&covered).collect();
    let stale: Vec<_> = covered.difference(&documented).collect();
    assert!(
        missing.is_empty(),
        "operations without a matrix row: {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "matrix rows for operations that do not exist: {stale:?}"
    );
}

fn ids(res: &crate::helpers::TestResponse) -> Vec<String> {
    res.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

#[actix_web::test]
async fn each_caller_lists_exactly_the_projects_they_may_see() {
    let app = spawn_app().await;
    let w = app.world().await;
    let mine = vec![w.project_id.to_string()];
    let theirs = vec![w.other_project_id.to_string()];
    for (user, expected) in [
        (&w.outsider, vec![]),
        (&w.spare_member, vec![]),
        (&w.other, theirs.clone()),
        (&w.consultant, mine.clone()),
        (&w.staff, mine.clone()),
        (&w.lead, mine.clone()),
        (&w.admin, mine.clone()),
    ] {
        let res = app.get("/api/v1/projects", Some(&user.access_token)).await;
        assert_eq!(ids(&res), expected, "{}", user.email);
    }
}

#[actix_web::test]
async fn each_caller_lists_exactly_the_organisations_they_belong_to() {
    let app = spawn_app().await;
    let w = app.world().await;
    let mine = vec![w.org_id.to_string()];
    for (user, expected) in [
        (&w.outsider, vec![]),
        (&w.consultant, vec![]),
        (&w.other, vec![w.other_org_id.to_string()]),
        (&w.staff, mine.clone()),
        (&w.lead, mine.clone()),
        (&w.admin, mine.clone()),
    ] {
        let res = app.get("/api/v1/orgs", Some(&user.access_token)).await;
        assert_eq!(ids(&res), expected, "{}", user.email);
    }
}

#[actix_web::test]
async fn ids_from_one_project_replayed_under_another_change_nothing_and_leak_nothing() {
    let app = spawn_app().await;
    let w = app.world().await;
    let other = Some(w.other.access_token.as_str());
    let events_before = app
        .get(
            &format!("/api/v1/orgs/{}/events?limit=100", w.org_id),
            Some(&w.admin.access_token),
        )
        .await
        .body["items"]
        .as_array()
        .unwrap()
        .len();

    // Project A's member under project B's path.
    let path = format!(
        "/api/v1/projects/{}/members/{}",
        w.other_project_id, w.staff.id
    );
    app.get(&path, other)
        .await
        .assert_problem(404, "member_not_found");
    let patch = app
        .client
        .patch(app.url(&path))
        .bearer_auth(&w.other.access_token)
        .insert_header(("if-match", "*"));
    assert_eq!(
        patch
            .send_json(&json!({"is_lead": true}))
            .await
            .unwrap()
            .status()
            .as_u16(),
        404
    );
    let delete = app
        .client
        .delete(app.url(&path))
        .bearer_auth(&w.other.access_token)
        .insert_header(("if-match", "*"));
    assert_eq!(delete.send().await.unwrap().status().as_u16(), 404);

    // Organisation A's member under organisation B's path.
    let org_path = format!("/api/v1/orgs/{}/members/{}", w.other_org_id, w.staff.id);
    app.get(&org_path, other)
        .await
        .assert_problem(404, "member_not_found");
    let delete = app
        .client
        .delete(app.url(&org_path))
        .bearer_auth(&w.other.access_token);
    assert_eq!(delete.send().await.unwrap().status().as_u16(), 404);

    // Organisation A's staff put into project B's body as staff: they are not B's staff.
    let res = app
        .post(
            &format!("/api/v1/projects/{}/members", w.other_project_id),
            other,
            json!({"user_id": w.staff.id, "role": "staff"}),
        )
        .await;
    res.assert_problem(422, "validation_failed");

    // Project A itself, by id, from organisation B's admin.
    app.get(&format!("/api/v1/projects/{}", w.project_id), other)
        .await
        .assert_problem(404, "project_not_found");
    app.get(&format!("/api/v1/projects/{}/events", w.project_id), other)
        .await
        .assert_problem(404, "project_not_found");
    app.get(&format!("/api/v1/projects?org_id={}", w.org_id), other)
        .await;

    // Nothing changed in organisation A.
    let member = app
        .get(
            &format!("/api/v1/projects/{}/members/{}", w.project_id, w.staff.id),
            Some(&w.lead.access_token),
        )
        .await;
    assert_eq!(
        (member.status, member.body["is_lead"].as_bool()),
        (200, Some(false))
    );
    let events_after = app
        .get(
            &format!("/api/v1/orgs/{}/events?limit=100", w.org_id),
            Some(&w.admin.access_token),
        )
        .await
        .body["items"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(events_before, events_after);
    let filtered = app
        .get(&format!("/api/v1/projects?org_id={}", w.org_id), other)
        .await;
    assert_eq!(
        ids(&filtered),
        Vec::<String>::new(),
        "filtering by a foreign org shows nothing"
    );
}
