//! The event log: written with every change, in order, never editable, all-or-nothing.

use actix_web::http::Method;
use sea_orm::{ConnectionTrait, DbBackend};
use serde_json::{Value, json};

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
            "action.created",
            "test_script.created",
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
    // `after` is a cursor like any other (a string of digits); anything else is refused.
    for bad in ["", "abc", "-1", "1.5", "99999999999999999999"] {
        let res = app.get(&format!("{path}?after={bad}"), t).await;
        res.assert_problem(400, "invalid_cursor");
    }
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

/// The properties a schema declares (following `$ref` and `allOf`), and which are required.
fn declared(doc: &Value, schema: &Value) -> (Vec<String>, Vec<String>) {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.trim_start_matches("#/components/schemas/");
        return declared(doc, &doc["components"]["schemas"][name]);
    }
    let mut properties: Vec<String> = schema["properties"]
        .as_object()
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default();
    let mut required: Vec<String> = schema["required"]
        .as_array()
        .map(|r| {
            r.iter()
                .filter_map(|k| k.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    for part in schema["allOf"].as_array().into_iter().flatten() {
        let (p, r) = declared(doc, part);
        properties.extend(p);
        required.extend(r);
    }
    (properties, required)
}

#[actix_web::test]
async fn every_event_in_the_feed_has_the_data_its_type_publishes() {
    let app = spawn_app().await;
    let w = app.world().await;
    let (org, project) = (
        format!("/api/v1/orgs/{}", w.org_id),
        format!("/api/v1/projects/{}", w.project_id),
    );
    let milestone = format!("{project}/milestones/{}", w.milestone_id);
    let (admin, lead) = (
        format!("Bearer {}", w.admin.access_token),
        format!("Bearer {}", w.lead.access_token),
    );
    for (path, auth, body) in [
        (org.clone(), &admin, r#"{"name": "Acme Assoc."}"#),
        (project.clone(), &lead, r#"{"go_live_date": "2031-01-05"}"#),
        (
            milestone.clone(),
            &lead,
            r#"{"title": "Run dues invoicing"}"#,
        ),
        (
            format!("{milestone}/criteria/{}", w.criterion_id),
            &lead,
            r#"{"done": true}"#,
        ),
        (
            format!("{project}/members/{}", w.staff.id),
            &lead,
            r#"{"weekly_hours": 6}"#,
        ),
        (
            format!("{org}/members/{}", w.spare_member.id),
            &admin,
            r#"{"role": "admin"}"#,
        ),
        (
            format!("{project}/actions/{}", w.action_id),
            &lead,
            r#"{"due_date": "2031-01-02"}"#,
        ),
        (
            format!("{project}/actions/{}", w.action_id),
            &lead,
            r#"{"status": "done"}"#,
        ),
        (
            format!("{project}/test-scripts/{}", w.script_id),
            &lead,
            r#"{"critical": false}"#,
        ),
    ] {
        let res = app.patch_any_version(&path, auth, body).await;
        assert_eq!(res.status, 200, "PATCH {path}: {}", res.body);
    }
    let t = |u: &crate::helpers::TestUser| Some(u.access_token.clone());
    for (method, path, token, body) in [
        (
            Method::POST,
            format!("{milestone}/transitions"),
            t(&w.consultant),
            Some(json!({"action": "advance"})),
        ),
        (
            Method::POST,
            format!("{project}/test-scripts/{}/runs", w.script_id),
            t(&w.staff),
            Some(json!({"result": "passed"})),
        ),
        (
            Method::DELETE,
            format!("{project}/actions/{}", w.action_id),
            t(&w.lead),
            None,
        ),
        (
            Method::DELETE,
            format!("{project}/test-scripts/{}", w.script_id),
            t(&w.lead),
            None,
        ),
        (
            Method::DELETE,
            format!("{project}/activities/{}", w.activity_id),
            t(&w.lead),
            None,
        ),
        (
            Method::DELETE,
            format!("{org}/api-keys/{}", w.spare_key_id),
            t(&w.admin),
            None,
        ),
        (
            Method::DELETE,
            format!("{org}/invitations/{}", w.invitation_id),
            t(&w.admin),
            None,
        ),
        (
            Method::DELETE,
            format!("{project}/members/{}", w.consultant.id),
            t(&w.lead),
            None,
        ),
        (
            Method::DELETE,
            format!("{org}/webhooks/{}", w.webhook_id),
            t(&w.admin),
            None,
        ),
        (
            Method::DELETE,
            format!("{org}/members/{}", w.spare_member.id),
            t(&w.admin),
            None,
        ),
    ] {
        let auth = format!("Bearer {}", token.unwrap_or_default());
        let headers = [
            ("if-match", "*"),
            ("authorization", auth.as_str()),
            ("content-type", "application/json"),
        ];
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let res = app.raw(method.clone(), &path, &headers, body).await;
        assert!(res.status < 300, "{method} {path}: {}", res.body);
    }

    let doc = serde_json::to_value(buyin::openapi::document()).unwrap();
    let union = &doc["components"]["schemas"]["EventResponse"];
    let mapping = &union["discriminator"]["mapping"];
    assert_eq!(union["discriminator"]["propertyName"], "type");
    let feed = app
        .get(
            &format!("{org}/events?limit=100"),
            Some(&w.admin.access_token),
        )
        .await;
    let mut seen = std::collections::BTreeSet::new();
    for item in feed.body["items"].as_array().unwrap() {
        let kind = item["type"].as_str().unwrap();
        let variant = &mapping[kind];
        assert!(variant.is_string(), "`{kind}` is in the published mapping");
        let variant = &doc["components"]["schemas"][variant
            .as_str()
            .unwrap()
            .trim_start_matches("#/components/schemas/")];
        assert_eq!(variant["properties"]["type"]["enum"], json!([kind]));
        let (properties, required) = declared(&doc, &variant["properties"]["data"]);
        let data = item["data"].as_object().unwrap();
        for key in data.keys() {
            assert!(
                properties.contains(key),
                "`{kind}` sends `{key}`, not in its schema"
            );
        }
        for key in &required {
            assert!(
                data.contains_key(key),
                "`{kind}` lacks required `{key}`: {data:?}"
            );
        }
        if let Some(changes) = data.get("changes").and_then(Value::as_object) {
            let (fields, _) = declared(&doc, &variant["properties"]["data"]);
            assert_eq!(fields, ["changes"]);
            let schema = &doc["components"]["schemas"][variant["properties"]["data"]["$ref"]
                .as_str()
                .unwrap()
                .trim_start_matches("#/components/schemas/")];
            let (changeable, _) = declared(&doc, &schema["properties"]["changes"]);
            for key in changes.keys() {
                assert!(
                    changeable.contains(key),
                    "`{kind}` changes `{key}`, not published"
                );
            }
        }
        seen.insert(kind.to_owned());
    }
    assert_eq!(seen.len(), 30, "event types checked: {seen:?}");
}

#[test]
fn the_spec_names_every_event_type_and_what_a_receiver_gets() {
    let doc = serde_json::to_value(buyin::openapi::document()).unwrap();
    let types = doc["components"]["schemas"]["EventType"]["enum"]
        .as_array()
        .unwrap()
        .clone();
    let mapping = doc["components"]["schemas"]["EventResponse"]["discriminator"]["mapping"]
        .as_object()
        .unwrap();
    let mapped: Vec<Value> = mapping.keys().map(|k| json!(k)).collect();
    let mut sorted = types.clone();
    sorted.sort_by_key(|t| t.as_str().unwrap_or_default().to_owned());
    assert_eq!(mapped, sorted, "one typed event schema per event type");
    assert_eq!(
        doc["components"]["schemas"]["EventResponse"]["oneOf"]
            .as_array()
            .unwrap()
            .len(),
        types.len()
    );
    for (hook, body) in [
        ("event", "EventWebhookPayload"),
        ("ping", "PingWebhookPayload"),
    ] {
        let post = &doc["webhooks"][hook]["post"];
        assert_eq!(
            post["requestBody"]["content"]["application/json"]["schema"]["$ref"],
            format!("#/components/schemas/{body}")
        );
        let headers: Vec<&str> = post["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            headers,
            ["webhook-id", "webhook-timestamp", "webhook-signature"]
        );
    }
    assert_eq!(
        doc["components"]["schemas"]["PingWebhookPayload"]["properties"]["type"]["enum"],
        json!(["ping"])
    );
}
