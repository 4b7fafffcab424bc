//! The event log: written with every change, in order, never editable, all-or-nothing.

use actix_web::http::Method;
use sea_orm::{ConnectionTrait, DbBackend};
use serde_json::json;

use crate::helpers::spawn_app;

#[actix_web::test]
async fn every_change_writes_an_event_with_actor_subject_and_before_after() {
    let app = spawn_app().await;
    let w = app.world().await;
    let path = format!("/api/v1/projects/{}", w.project_id);
    let auth = format!("Bearer {}", w.lead.access_token);
    app.patch_any_version(&path, &auth, r#"{"name": "AMS move"}"#)
        .await;
    let events = app
        .get(&format!("{path}/events"), Some(&w.lead.access_token))
        .await;
    let items = events.body["items"].as_array().unwrap();
    let types: Vec<&str> = items.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "project.created",
            "member.added",
            "member.added",
            "member.added",
            "milestone.created",
            "activity.logged",
            "project.updated"
        ]
    );
    let ids: Vec<i64> = items.iter().map(|e| e["id"].as_i64().unwrap()).collect();
    assert!(ids.windows(2).all(|p| p[0] < p[1]), "ids increase: {ids:?}");
    let updated = items.last().unwrap();
    assert_eq!(updated["actor"], json!({"type": "user", "id": w.lead.id}));
    assert_eq!(updated["subject_id"], w.project_id.to_string());
    assert_eq!(updated["org_id"], w.org_id.to_string());
    assert_eq!(
        updated["data"]["changes"]["name"],
        json!({"from": "Move to the new AMS", "to": "AMS move"})
    );
    assert!(updated["occurred_at"].is_string());
}

#[actix_web::test]
async fn polling_after_an_id_returns_only_newer_events() {
    let app = spawn_app().await;
    let w = app.world().await;
    let path = format!("/api/v1/orgs/{}/events", w.org_id);
    let t = Some(w.admin.access_token.as_str());
    let first = app.get(&format!("{path}?limit=2"), t).await;
    assert_eq!(first.body["items"].as_array().unwrap().len(), 2);
    let cursor = first.body["next_cursor"].as_str().unwrap().to_owned();
    assert_eq!(
        cursor,
        first.body["items"][1]["id"].as_i64().unwrap().to_string()
    );
    let rest = app
        .get(&format!("{path}?after={cursor}&limit=100"), t)
        .await;
    let all = app.get(&format!("{path}?limit=100"), t).await;
    assert_eq!(
        rest.body["items"].as_array().unwrap().len() + 2,
        all.body["items"].as_array().unwrap().len()
    );
    assert_eq!(rest.body["next_cursor"], serde_json::Value::Null);
    let last = all.body["items"].as_array().unwrap().last().unwrap()["id"]
        .as_i64()
        .unwrap();
    let none = app.get(&format!("{path}?after={last}"), t).await;
    assert_eq!(none.body["items"], json!([]));
}

#[actix_web::test]
async fn events_cannot_be_edited_or_deleted() {
    let app = spawn_app().await;
    let w = app.world().await;
    let path = format!("/api/v1/orgs/{}/events", w.org_id);
    for method in [Method::PATCH, Method::DELETE, Method::PUT, Method::POST] {
        let res = app
            .request(method, &path, Some(&w.admin.access_token), None)
            .await;
        res.assert_problem(405, "method_not_allowed");
        assert_eq!(res.header("allow"), Some("GET"));
    }
}

#[actix_web::test]
async fn a_change_whose_event_cannot_be_written_is_rolled_back() {
    let app = spawn_app().await;
    let w = app.world().await;
    // Make every event insert fail from now on.
    let sql: &[&str] = match app.db.get_database_backend() {
        DbBackend::Postgres => &[
            "CREATE FUNCTION refuse_events() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'events refused'; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER refuse_events BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION refuse_events()",
        ],
        _ => &[
            "CREATE TRIGGER refuse_events BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'events refused'); END",
        ],
    };
    for statement in sql {
        app.db.execute_unprepared(statement).await.unwrap();
    }
    let path = format!("/api/v1/projects/{}", w.project_id);
    let auth = format!("Bearer {}", w.lead.access_token);
    let res = app
        .patch_any_version(&path, &auth, r#"{"name": "Never saved"}"#)
        .await;
    res.assert_problem(500, "internal_error");
    assert!(
        !String::from_utf8_lossy(&res.raw).contains("events refused"),
        "no SQL detail in the body"
    );
    let added = app
        .post(
            &format!("{path}/members"),
            Some(&w.lead.access_token),
            json!({"user_id": w.spare_member.id, "role": "staff"}),
        )
        .await;
    assert_eq!(added.status, 500);

    let project = app.get(&path, Some(&w.lead.access_token)).await;
    assert_eq!(project.body["name"], "Move to the new AMS");
    assert_eq!(project.body["version"], 1);
    let members = app
        .get(&format!("{path}/members"), Some(&w.lead.access_token))
        .await;
    assert!(
        members.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["user_id"] != w.spare_member.id.to_string())
    );
}
