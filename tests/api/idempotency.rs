//! `Idempotency-Key`: a retried create replays the first response and creates nothing new.

use actix_web::http::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestResponse, TestUser, spawn_app};

async fn create_org(app: &TestApp, user: &TestUser, key: &str, body: Value) -> TestResponse {
    let auth = format!("Bearer {}", user.access_token);
    app.raw(
        Method::POST,
        "/api/v1/orgs",
        &[
            ("authorization", &auth),
            ("idempotency-key", key),
            ("content-type", "application/json"),
        ],
        body.to_string(),
    )
    .await
}

async fn org_count(app: &TestApp, user: &TestUser) -> usize {
    app.get("/api/v1/orgs?limit=100", Some(&user.access_token))
        .await
        .body["items"]
        .as_array()
        .unwrap()
        .len()
}

#[actix_web::test]
async fn a_retry_with_the_same_key_and_body_replays_the_first_response() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let first = create_org(&app, &ada, "create-acme-1", json!({"name": "Acme"})).await;
    assert_eq!(first.status, 201);
    let again = create_org(&app, &ada, "create-acme-1", json!({"name": "Acme"})).await;
    assert_eq!(again.status, 201);
    assert_eq!(again.body, first.body);
    assert_eq!(again.header("location"), first.header("location"));
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(org_count(&app, &ada).await, 1, "nothing new was created");
}

#[actix_web::test]
async fn a_replayed_create_carries_the_etag_of_the_first_answer() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let org = app.create_org(&ada, "Acme").await;
    let project = app.create_project(&ada, org, json!({"name": "AMS"})).await;
    let path = format!("/api/v1/projects/{project}/milestones");
    let auth = format!("Bearer {}", ada.access_token);
    let body = json!({"title": "Run dues invoicing", "knowledge_area": "dues"}).to_string();
    let headers = [
        ("authorization", auth.as_str()),
        ("idempotency-key", "milestone-1"),
        ("content-type", "application/json"),
    ];
    let first = app.raw(Method::POST, &path, &headers, body.clone()).await;
    assert_eq!(first.status, 201, "{}", first.body);
    assert_eq!(first.header("etag"), Some("\"1\""));
    let again = app.raw(Method::POST, &path, &headers, body).await;
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.header("etag"), first.header("etag"));
    assert_eq!(again.header("location"), first.header("location"));
}

#[actix_web::test]
async fn the_same_key_with_another_body_is_422() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    create_org(&app, &ada, "k1", json!({"name": "Acme"})).await;
    let other = create_org(&app, &ada, "k1", json!({"name": "Other"})).await;
    other.assert_problem(422, "validation_failed");
    assert_eq!(org_count(&app, &ada).await, 1);
}

#[actix_web::test]
async fn keys_are_private_to_their_caller() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let bob = app.user("bob").await;
    assert_eq!(
        create_org(&app, &ada, "same", json!({"name": "Acme"}))
            .await
            .status,
        201
    );
    let bobs = create_org(&app, &bob, "same", json!({"name": "Acme"})).await;
    assert_eq!(bobs.status, 201);
    assert!(bobs.header("idempotent-replayed").is_none());
    assert_eq!(org_count(&app, &bob).await, 1);
}

#[actix_web::test]
async fn twenty_parallel_identical_posts_create_exactly_one_row() {
    let app = spawn_app().await;
    let w = app.world().await;
    let auth = format!("Bearer {}", w.lead.access_token);
    let body = json!({"title": "Once", "knowledge_area": "renewals"}).to_string();
    let path = format!("/api/v1/projects/{}/milestones", w.project_id);
    let headers = [
        ("authorization", auth.as_str()),
        ("idempotency-key", "one-milestone"),
        ("content-type", "application/json"),
    ];
    let requests = (0..20).map(|_| app.raw(Method::POST, &path, &headers, body.clone()));
    let responses = futures_util::future::join_all(requests).await;
    let created: Vec<&TestResponse> = responses.iter().filter(|r| r.status == 201).collect();
    assert!(!created.is_empty(), "at least the first succeeds");
    assert!(
        responses.iter().all(|r| r.status == 201 || r.status == 409),
        "{:?}",
        responses.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    let ids: std::collections::BTreeSet<&str> = created
        .iter()
        .map(|r| r.body["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 1, "every 201 is the same milestone");
    let list = app
        .get(&format!("{path}?limit=100"), Some(&w.lead.access_token))
        .await;
    let onces = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["title"] == "Once")
        .count();
    assert_eq!(onces, 1);
}

#[actix_web::test]
async fn a_malformed_key_is_400() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    create_org(&app, &ada, &"k".repeat(256), json!({"name": "Acme"}))
        .await
        .assert_problem(400, "invalid_idempotency_key");
    assert_eq!(org_count(&app, &ada).await, 0);
}

#[actix_web::test]
async fn keys_are_forgotten_after_24_hours() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    create_org(&app, &ada, "daily", json!({"name": "Acme"})).await;
    use sea_orm::ConnectionTrait;
    let old = match app.db.get_database_backend() {
        sea_orm::DbBackend::Postgres => {
            "UPDATE idempotency_keys SET created_at = created_at - INTERVAL '25 hours'"
        }
        _ => "UPDATE idempotency_keys SET created_at = '2000-01-01 00:00:00+00:00'",
    };
    app.db.execute_unprepared(old).await.unwrap();
    let later = create_org(&app, &ada, "daily", json!({"name": "Acme"})).await;
    assert_eq!(later.status, 201);
    assert!(later.header("idempotent-replayed").is_none());
    assert_eq!(org_count(&app, &ada).await, 2);
}

#[actix_web::test]
async fn a_key_whose_request_died_unfinished_is_released_after_the_request_deadline() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    // A request that claimed the key and then died (a crash, a stop) before it finished.
    let principal = format!("user:{}", ada.id);
    let hash = buyin::service::idempotency::request_hash(
        "POST",
        "/api/v1/orgs",
        json!({"name": "Acme"}).to_string().as_bytes(),
    );
    buyin::repo::idempotency::claim(&app.db, &principal, "died-1", &hash, app.state.clock.now())
        .await
        .unwrap();
    let in_progress = create_org(&app, &ada, "died-1", json!({"name": "Acme"})).await;
    in_progress.assert_problem(409, "idempotency_in_progress");

    // Every request ends by the request deadline (30 s here); an hour later the key is free.
    use buyin::entity::idempotency_key::{Column, Entity};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
    Entity::update_many()
        .col_expr(
            Column::CreatedAt,
            Expr::value(chrono::Utc::now() - chrono::Duration::hours(1)),
        )
        .filter(Column::Key.eq("died-1"))
        .exec(&app.db)
        .await
        .unwrap();
    let retried = create_org(&app, &ada, "died-1", json!({"name": "Acme"})).await;
    assert_eq!(
        retried.status, 201,
        "the retry runs afresh: {}",
        retried.body
    );
    assert_eq!(org_count(&app, &ada).await, 1);
}

/// A POST with an `Idempotency-Key` to a raw (possibly percent-encoded) path.
async fn post_with_key(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
    key: &str,
    body: Value,
) -> TestResponse {
    let auth = token.map(|t| format!("Bearer {t}"));
    let mut headers = vec![
        ("idempotency-key", key),
        ("content-type", "application/json"),
    ];
    if let Some(auth) = &auth {
        headers.push(("authorization", auth));
    }
    app.raw(Method::POST, path, &headers, body.to_string())
        .await
}

#[actix_web::test]
async fn secrets_are_never_stored_for_replay_however_the_path_is_spelt() {
    let app = spawn_app().await;
    let w = app.world().await;
    let keys = format!("/api/v1/orgs/{}/api%2Dkeys", w.org_id);
    let body = json!({"name": "sync", "scope": "read"});
    let first = post_with_key(&app, &keys, Some(&w.admin.access_token), "k", body.clone()).await;
    assert_eq!(first.status, 201, "{}", first.body);
    let again = post_with_key(&app, &keys, Some(&w.admin.access_token), "k", body).await;
    assert_eq!(again.status, 201);
    assert!(again.header("idempotent-replayed").is_none());
    assert_ne!(
        again.body["secret"], first.body["secret"],
        "a new key, not a replayed secret"
    );

    let login = json!({"email": w.admin.email, "password": crate::helpers::PASSWORD});
    let first = post_with_key(&app, "/api/v1/auth/log%69n", None, "l", login.clone()).await;
    assert_eq!(first.status, 200, "{}", first.body);
    let again = post_with_key(&app, "/api/v1/auth/log%69n", None, "l", login).await;
    assert!(again.header("idempotent-replayed").is_none());
    assert_ne!(again.body["refresh_token"], first.body["refresh_token"]);

    use sea_orm::{ConnectionTrait, Statement};
    let stored = app
        .db
        .query_all_raw(Statement::from_string(
            app.db.get_database_backend(),
            "SELECT body FROM idempotency_keys".to_owned(),
        ))
        .await
        .unwrap();
    for row in stored {
        let body: Option<String> = row.try_get("", "body").unwrap();
        let body = body.unwrap_or_default();
        assert!(
            !body.contains("bik_") && !body.contains("refresh_token"),
            "no secret is stored: {body}"
        );
    }
}

#[actix_web::test]
async fn a_spent_refresh_token_sent_again_revokes_the_session_whatever_the_key() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let path = "/api/v1/auth/re%66resh";
    let body = json!({"refresh_token": ada.refresh_token});
    let first = post_with_key(&app, path, Some(&ada.access_token), "r", body.clone()).await;
    assert_eq!(first.status, 200, "{}", first.body);
    let again = post_with_key(&app, path, Some(&ada.access_token), "r", body).await;
    again.assert_problem(401, "invalid_refresh_token");
    let new_access = first.body["access_token"].as_str().unwrap();
    app.get("/api/v1/me", Some(new_access))
        .await
        .assert_problem(401, "invalid_token");
}

#[actix_web::test]
async fn anonymous_requests_claim_no_idempotency_keys() {
    let app = spawn_app().await;
    for i in 0..30 {
        let key = format!("anon-{i}");
        post_with_key(&app, "/api/v1/orgs", None, &key, json!({"name": "Acme"}))
            .await
            .assert_problem(401, "missing_credentials");
        post_with_key(
            &app,
            "/api/v1/orgs",
            Some("not-a-token"),
            &key,
            json!({"name": "Acme"}),
        )
        .await
        .assert_problem(401, "invalid_token");
    }
    let register = json!({"email": "ada@example.org", "password": crate::helpers::PASSWORD, "display_name": "Ada"});
    post_with_key(&app, "/api/v1/auth/register", None, "r", register).await;
    use buyin::entity::idempotency_key::Entity;
    use sea_orm::{EntityTrait, PaginatorTrait};
    assert_eq!(Entity::find().count(&app.db).await.unwrap(), 0);
}
