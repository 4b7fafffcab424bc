//! Organisation API keys: service accounts that act for their organisation only.

use actix_web::http::Method;
use serde_json::json;

use crate::{helpers::spawn_app, milestones::today};

#[actix_web::test]
async fn a_key_is_shown_once_and_only_its_hash_is_kept() {
    let app = spawn_app().await;
    let w = app.world().await;
    let path = format!("/api/v1/orgs/{}/api-keys", w.org_id);
    let res = app
        .post(
            &path,
            Some(&w.admin.access_token),
            json!({"name": "NewAMS sync", "scope": "write"}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.body);
    let secret = res.body["secret"].as_str().unwrap();
    assert!(
        secret.starts_with("bik_") && secret.len() >= 4 + 43,
        "256 random bits: {secret}"
    );
    assert!(secret.starts_with(res.body["prefix"].as_str().unwrap()));
    let list = app.get(&path, Some(&w.admin.access_token)).await;
    let text = String::from_utf8_lossy(&list.raw);
    assert!(!text.contains(secret), "the list never shows a key");
    assert!(
        list.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k["name"] == "NewAMS sync")
    );
    use sea_orm::ConnectionTrait;
    let stored = app
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            format!("SELECT COUNT(*) AS n FROM api_keys WHERE key_hash = '{secret}'"),
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.try_get::<i64>("", "n").unwrap(),
        0,
        "the key itself is not stored"
    );
}

#[actix_web::test]
async fn a_revoked_key_stops_working_on_the_next_request() {
    let app = spawn_app().await;
    let w = app.world().await;
    let key = Some(w.key_read.as_str());
    assert_eq!(app.get("/api/v1/projects", key).await.status, 200);
    let list = app
        .get(
            &format!("/api/v1/orgs/{}/api-keys", w.org_id),
            Some(&w.admin.access_token),
        )
        .await;
    let id = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == "read")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let revoked = app
        .request(
            Method::DELETE,
            &format!("/api/v1/orgs/{}/api-keys/{id}", w.org_id),
            Some(&w.admin.access_token),
            None,
        )
        .await;
    assert_eq!(revoked.status, 204);
    app.get("/api/v1/projects", key)
        .await
        .assert_problem(401, "invalid_token");
}

#[actix_web::test]
async fn an_expired_key_is_refused() {
    let app = spawn_app().await;
    let w = app.world().await;
    use sea_orm::ConnectionTrait;
    app.db
        .execute_unprepared("UPDATE api_keys SET expires_at = created_at")
        .await
        .unwrap();
    app.get("/api/v1/projects", Some(&w.key_read))
        .await
        .assert_problem(401, "invalid_token");
    let past = app
        .post(
            &format!("/api/v1/orgs/{}/api-keys", w.org_id),
            Some(&w.admin.access_token),
            json!({"name": "old", "scope": "read", "expires_at": "2020-01-01T00:00:00Z"}),
        )
        .await;
    past.assert_problem(422, "validation_failed");
    assert_eq!(past.error_fields(), ["expires_at"]);
}

#[actix_web::test]
async fn a_key_sees_every_project_of_its_organisation_and_nothing_of_another() {
    let app = spawn_app().await;
    let w = app.world().await;
    let second = app
        .create_project(&w.staff, w.org_id, json!({"name": "Second"}))
        .await;
    let key = Some(w.key_read.as_str());
    let list = app.get("/api/v1/projects", key).await;
    let ids: Vec<&str> = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [w.project_id.to_string(), second.to_string()]);
    app.get(&format!("/api/v1/projects/{}", w.other_project_id), key)
        .await
        .assert_problem(404, "project_not_found");
    app.get(&format!("/api/v1/orgs/{}", w.other_org_id), key)
        .await
        .assert_problem(404, "org_not_found");
    let orgs = app.get("/api/v1/orgs", key).await;
    assert_eq!(orgs.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(orgs.body["items"][0]["id"], w.org_id.to_string());
}

#[actix_web::test]
async fn a_write_key_creates_a_project_naming_its_first_lead() {
    let app = spawn_app().await;
    let w = app.world().await;
    let path = format!("/api/v1/orgs/{}/projects", w.org_id);
    let key = Some(w.key_write.as_str());
    app.post(&path, key, json!({"name": "Synced"}))
        .await
        .assert_problem(422, "validation_failed");
    let outsider = app
        .post(
            &path,
            key,
            json!({"name": "Synced", "lead_user_id": w.consultant.id}),
        )
        .await;
    assert_eq!(outsider.error_fields(), ["lead_user_id"]);
    let res = app
        .post(&path, key, json!({"name": "Synced", "lead_user_id": w.staff.id, "external_source": "ams", "external_id": "P-9"}))
        .await;
    assert_eq!(res.status, 201, "{}", res.body);
    let members = app
        .get(
            &format!(
                "/api/v1/projects/{}/members",
                res.body["id"].as_str().unwrap()
            ),
            Some(&w.staff.access_token),
        )
        .await;
    let lead = &members.body["items"][0];
    assert_eq!(
        (lead["user_id"].as_str(), lead["is_lead"].as_bool()),
        (Some(w.staff.id.to_string().as_str()), Some(true))
    );
    app.post(
        &path,
        Some(&w.key_read),
        json!({"name": "x", "lead_user_id": w.staff.id}),
    )
    .await
    .assert_problem(403, "forbidden");
}

#[actix_web::test]
async fn a_write_key_logs_time_on_a_members_behalf_with_the_members_party() {
    let app = spawn_app().await;
    let w = app.world().await;
    let path = format!("/api/v1/projects/{}/activities", w.project_id);
    let key = Some(w.key_write.as_str());
    let body = |user: uuid::Uuid| json!({"occurred_on": today(), "hours": 2, "kind": "execution", "user_id": user});
    let res = app.post(&path, key, body(w.consultant.id)).await;
    assert_eq!(res.status, 201, "{}", res.body);
    assert_eq!(res.body["party"], "consultant");
    assert_eq!(res.body["user_id"], w.consultant.id.to_string());
    app.post(&path, key, body(w.spare_member.id))
        .await
        .assert_problem(422, "validation_failed");
    // People log only their own time.
    app.post(&path, Some(&w.staff.access_token), body(w.consultant.id))
        .await
        .assert_problem(422, "validation_failed");

    let events = app
        .get(
            &format!("/api/v1/projects/{}/events?limit=100", w.project_id),
            Some(&w.lead.access_token),
        )
        .await;
    let logged = events.body["items"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(logged["type"], "activity.logged");
    assert_eq!(
        logged["actor"]["type"], "api_key",
        "every event records which key acted"
    );
}

#[actix_web::test]
async fn a_key_can_never_do_what_only_a_person_may() {
    let app = spawn_app().await;
    let w = app.world().await;
    let m = format!(
        "/api/v1/projects/{}/milestones/{}",
        w.project_id, w.milestone_id
    );
    let key = Some(w.key_write.as_str());
    for action in ["advance", "sign_off", "reject", "reopen"] {
        let res = app
            .post(
                &format!("{m}/transitions"),
                key,
                json!({"action": action, "note": "n"}),
            )
            .await;
        res.assert_problem(403, "transition_forbidden");
    }
    let c = format!("{m}/criteria/{}", w.criterion_id);
    app.request(Method::PATCH, &c, key, Some(json!({"done": true})))
        .await
        .assert_problem(403, "forbidden");
    app.post(
        &format!("/api/v1/orgs/{}/api-keys", w.org_id),
        key,
        json!({"name": "k", "scope": "write"}),
    )
    .await
    .assert_problem(403, "person_required");
    // …but it may ask what it is.
    let me = app.get("/api/v1/me", key).await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.body["type"], "api_key");
}

#[actix_web::test]
async fn a_key_knows_its_organisation_scope_and_expiry() {
    let app = spawn_app().await;
    let w = app.world().await;
    let me = app.get("/api/v1/me", Some(&w.key_read)).await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.body["type"], "api_key");
    assert_eq!(me.body["org_id"], w.org_id.to_string());
    assert!(me.body["org_name"].is_string());
    assert_eq!(me.body["scope"], "read");
    assert_eq!(me.body["expires_at"], serde_json::Value::Null);
    assert!(me.body.get("email").is_none(), "a key has no account");
}

#[actix_web::test]
async fn last_used_at_is_recorded() {
    let app = spawn_app().await;
    let w = app.world().await;
    app.get("/api/v1/projects", Some(&w.key_read)).await;
    let list = app
        .get(
            &format!("/api/v1/orgs/{}/api-keys", w.org_id),
            Some(&w.admin.access_token),
        )
        .await;
    let read = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == "read")
        .unwrap()
        .clone();
    assert!(read["last_used_at"].is_string(), "{read}");
    let unused = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["last_used_at"].is_null())
        .count();
    assert_eq!(unused, 2, "the write key and the spare key were not used");
}
