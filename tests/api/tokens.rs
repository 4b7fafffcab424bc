//! Access tokens, refresh-token rotation with reuse detection, logout.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TEST_JWT_SECRET, TestApp, spawn_app};

fn claims(app_user: uuid::Uuid, sid: uuid::Uuid) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({
        "iss": "buyin", "aud": "buyin-api", "sub": app_user, "sid": sid,
        "iat": now, "nbf": now, "exp": now + 600, "jti": uuid::Uuid::new_v4(),
    })
}

fn sign(claims: &Value, secret: &str) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

/// The session id inside a token the server issued.
fn session_of(token: &str) -> uuid::Uuid {
    let payload = token.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    claims["sid"].as_str().unwrap().parse().unwrap()
}

#[track_caller]
fn assert_invalid_token(res: &crate::helpers::TestResponse) {
    res.assert_problem(401, "invalid_token");
    assert_eq!(
        res.header("www-authenticate"),
        Some(r#"Bearer error="invalid_token""#)
    );
}

async fn me(app: &TestApp, token: &str) -> crate::helpers::TestResponse {
    app.get("/api/v1/me", Some(token)).await
}

#[actix_web::test]
async fn no_credentials_get_401_with_a_bearer_challenge() {
    let app = spawn_app().await;
    let res = app.get("/api/v1/me", None).await;
    res.assert_problem(401, "missing_credentials");
    assert_eq!(res.header("www-authenticate"), Some("Bearer"));
}

#[actix_web::test]
async fn malformed_and_foreign_tokens_are_refused() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let sid = session_of(&ada.access_token);
    let good = claims(ada.id, sid);

    assert_invalid_token(&me(&app, "not-a-jwt").await);
    assert_invalid_token(
        &me(
            &app,
            &sign(&good, "another-secret-that-is-long-enough-000000"),
        )
        .await,
    );

    let mut wrong_audience = good.clone();
    wrong_audience["aud"] = json!("someone-else");
    assert_invalid_token(&me(&app, &sign(&wrong_audience, TEST_JWT_SECRET)).await);

    let mut wrong_issuer = good.clone();
    wrong_issuer["iss"] = json!("someone-else");
    assert_invalid_token(&me(&app, &sign(&wrong_issuer, TEST_JWT_SECRET)).await);

    let mut expired = good.clone();
    let past = chrono::Utc::now().timestamp() - 3600;
    expired["exp"] = json!(past);
    expired["iat"] = json!(past - 600);
    expired["nbf"] = json!(past - 600);
    assert_invalid_token(&me(&app, &sign(&expired, TEST_JWT_SECRET)).await);

    let mut not_yet = good.clone();
    not_yet["nbf"] = json!(chrono::Utc::now().timestamp() + 3600);
    assert_invalid_token(&me(&app, &sign(&not_yet, TEST_JWT_SECRET)).await);

    // `alg: none`: an unsigned token with valid claims.
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(good.to_string());
    assert_invalid_token(&me(&app, &format!("{header}.{payload}.")).await);

    // Another algorithm with the same secret is refused too.
    let hs512 = jsonwebtoken::encode(
        &Header::new(Algorithm::HS512),
        &good,
        &EncodingKey::from_secret(TEST_JWT_SECRET.as_bytes()),
    )
    .unwrap();
    assert_invalid_token(&me(&app, &hs512).await);

    // A correctly signed token for a session that does not exist.
    assert_invalid_token(
        &me(
            &app,
            &sign(&claims(ada.id, uuid::Uuid::new_v4()), TEST_JWT_SECRET),
        )
        .await,
    );

    // And the genuine token still works.
    assert_eq!(me(&app, &ada.access_token).await.status, 200);
    assert_eq!(me(&app, &sign(&good, TEST_JWT_SECRET)).await.status, 200);
}

#[actix_web::test]
async fn a_non_bearer_authorization_scheme_is_an_invalid_token() {
    let app = spawn_app().await;
    let res = app
        .raw(
            actix_web::http::Method::GET,
            "/api/v1/me",
            &[("authorization", "Basic YWRhOnB3")],
            "",
        )
        .await;
    assert_invalid_token(&res);
}

#[actix_web::test]
async fn refreshing_rotates_the_refresh_token() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let res = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": ada.refresh_token}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    let new_refresh = res.body["refresh_token"].as_str().unwrap();
    let new_access = res.body["access_token"].as_str().unwrap();
    assert_ne!(new_refresh, ada.refresh_token);
    assert_eq!(
        session_of(new_access),
        session_of(&ada.access_token),
        "same session"
    );
    assert_eq!(me(&app, new_access).await.status, 200);

    let again = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": new_refresh}),
        )
        .await;
    assert_eq!(again.status, 200, "the new token works once");
}

#[actix_web::test]
async fn reusing_a_rotated_refresh_token_revokes_the_whole_session() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let first = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": ada.refresh_token}),
        )
        .await;
    let stolen_successor = first.body["refresh_token"].as_str().unwrap().to_owned();
    let access = first.body["access_token"].as_str().unwrap().to_owned();

    let replay = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": ada.refresh_token}),
        )
        .await;
    replay.assert_problem(401, "invalid_refresh_token");

    app.post(
        "/api/v1/auth/refresh",
        None,
        json!({"refresh_token": stolen_successor}),
    )
    .await
    .assert_problem(401, "invalid_refresh_token");
    assert_invalid_token(&me(&app, &access).await);
    assert_invalid_token(&me(&app, &ada.access_token).await);
}

#[actix_web::test]
async fn other_sessions_survive_when_one_is_revoked() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let second = app.login(&ada.email, crate::helpers::PASSWORD).await;
    app.post(
        "/api/v1/auth/logout",
        None,
        json!({"refresh_token": ada.refresh_token}),
    )
    .await;
    assert_invalid_token(&me(&app, &ada.access_token).await);
    assert_eq!(
        me(&app, second.body["access_token"].as_str().unwrap())
            .await
            .status,
        200
    );
}

#[actix_web::test]
async fn an_unknown_refresh_token_is_refused() {
    let app = spawn_app().await;
    app.post(
        "/api/v1/auth/refresh",
        None,
        json!({"refresh_token": "bir_nothing"}),
    )
    .await
    .assert_problem(401, "invalid_refresh_token");
    app.post(
        "/api/v1/auth/logout",
        None,
        json!({"refresh_token": "bir_nothing"}),
    )
    .await
    .assert_problem(401, "invalid_refresh_token");
}

#[actix_web::test]
async fn logout_ends_the_session_and_its_access_tokens_at_once() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let res = app
        .post(
            "/api/v1/auth/logout",
            None,
            json!({"refresh_token": ada.refresh_token}),
        )
        .await;
    assert_eq!(res.status, 204);
    assert!(res.raw.is_empty());
    assert_invalid_token(&me(&app, &ada.access_token).await);
    app.post(
        "/api/v1/auth/refresh",
        None,
        json!({"refresh_token": ada.refresh_token}),
    )
    .await
    .assert_problem(401, "invalid_refresh_token");
    // Logging out twice is harmless.
    let again = app
        .post(
            "/api/v1/auth/logout",
            None,
            json!({"refresh_token": ada.refresh_token}),
        )
        .await;
    assert_eq!(again.status, 204);
}

#[actix_web::test]
async fn a_session_past_its_absolute_lifetime_cannot_be_refreshed() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    use sea_orm::ConnectionTrait;
    app.db
        .execute_unprepared("UPDATE sessions SET expires_at = created_at")
        .await
        .unwrap();
    app.post(
        "/api/v1/auth/refresh",
        None,
        json!({"refresh_token": ada.refresh_token}),
    )
    .await
    .assert_problem(401, "invalid_refresh_token");
    assert_invalid_token(&me(&app, &ada.access_token).await);
}

#[actix_web::test]
async fn changing_the_password_ends_every_session_and_every_earlier_token() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let phone = app.login(&ada.email, PASSWORD).await;
    let phone_token = phone.body["access_token"].as_str().unwrap().to_owned();
    let new_password = "a brand new passphrase 42";
    let changed = app
        .post(
            "/api/v1/me/password",
            Some(&ada.access_token),
            json!({"current_password": PASSWORD, "new_password": new_password}),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    for token in [&ada.access_token, &phone_token] {
        app.get("/api/v1/me", Some(token))
            .await
            .assert_problem(401, "invalid_token");
    }
    app.post(
        "/api/v1/auth/refresh",
        None,
        json!({"refresh_token": ada.refresh_token}),
    )
    .await
    .assert_problem(401, "invalid_refresh_token");
    let fresh = changed.body["access_token"].as_str().unwrap();
    assert_eq!(app.get("/api/v1/me", Some(fresh)).await.status, 200);
    app.login(&ada.email, PASSWORD)
        .await
        .assert_problem(401, "invalid_credentials");
    assert_eq!(app.login(&ada.email, new_password).await.status, 200);
}

#[actix_web::test]
async fn a_wrong_current_password_changes_nothing_and_guesses_are_throttled() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let attempt = || {
        app.post(
            "/api/v1/me/password",
            Some(&ada.access_token),
            json!({"current_password": "not my password", "new_password": "a brand new passphrase 42"}),
        )
    };
    for _ in 0..5 {
        let res = attempt().await;
        res.assert_problem(422, "validation_failed");
        assert_eq!(res.error_fields(), ["current_password"]);
    }
    attempt().await.assert_problem(429, "too_many_requests");
    assert_eq!(
        app.get("/api/v1/me", Some(&ada.access_token)).await.status,
        200
    );
    assert_eq!(app.login(&ada.email, PASSWORD).await.status, 200);
}

#[actix_web::test]
async fn signing_out_everywhere_ends_every_session() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let phone = app.login(&ada.email, PASSWORD).await;
    let res = app
        .post(
            "/api/v1/auth/logout-all",
            Some(&ada.access_token),
            json!({}),
        )
        .await;
    assert_eq!(res.status, 204, "{}", res.body);
    for token in [
        &ada.access_token,
        phone.body["access_token"].as_str().unwrap(),
    ] {
        app.get("/api/v1/me", Some(token))
            .await
            .assert_problem(401, "invalid_token");
    }
    app.post(
        "/api/v1/auth/refresh",
        None,
        json!({"refresh_token": phone.body["refresh_token"]}),
    )
    .await
    .assert_problem(401, "invalid_refresh_token");
}
