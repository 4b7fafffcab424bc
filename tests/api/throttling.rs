//! Login and registration throttling under attack: concurrent guesses, floods of dropped
//! requests, unknown emails, and an owner who must still get in.

use std::time::{Duration, Instant};

use futures_util::future::join_all;
use serde_json::json;

use crate::helpers::{PASSWORD, spawn_app, spawn_app_with};

#[actix_web::test]
async fn concurrent_wrong_passwords_get_only_the_free_attempts_checked() {
    let app = spawn_app().await;
    app.register("ada@example.org", PASSWORD, "Ada").await;
    let burst = (0..40).map(|_| app.login("ada@example.org", "wrong password!"));
    let answers = join_all(burst).await;
    let checked = answers.iter().filter(|r| r.status == 401).count();
    let throttled = answers.iter().filter(|r| r.status == 429).count();
    assert_eq!(
        (checked, throttled),
        (5, 35),
        "five attempts are checked, the rest refused before hashing: {:?}",
        answers.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    // The right password from the same address waits like any other attempt.
    app.login("ada@example.org", PASSWORD)
        .await
        .assert_problem(429, "too_many_requests");
}

#[actix_web::test]
async fn a_correct_password_in_a_burst_of_guesses_counts_as_one_attempt() {
    let app = spawn_app().await;
    app.register("ada@example.org", PASSWORD, "Ada").await;
    let mut attempts: Vec<_> = (0..30)
        .map(|_| app.login("ada@example.org", "wrong password!"))
        .collect();
    attempts.push(app.login("ada@example.org", PASSWORD));
    let answers = join_all(attempts).await;
    let through = answers.iter().filter(|r| r.status != 429).count();
    assert_eq!(
        through, 5,
        "only the free attempts ran, the right one included or not"
    );
}

#[actix_web::test]
async fn the_owner_with_the_right_password_still_gets_in_from_another_address() {
    let app = spawn_app().await;
    app.register("ada@example.org", PASSWORD, "Ada").await;
    for _ in 0..8 {
        app.login("ada@example.org", "wrong password!").await;
    }
    app.login("ada@example.org", PASSWORD)
        .await
        .assert_problem(429, "too_many_requests");
    let owner = app
        .login_from("127.0.0.2", "ada@example.org", PASSWORD)
        .await;
    assert_eq!(owner.status, 200, "{}", owner.body);
}

#[actix_web::test]
async fn unknown_emails_are_throttled_exactly_like_registered_ones() {
    let app = spawn_app().await;
    app.register("ada@example.org", PASSWORD, "Ada").await;
    let mut statuses = Vec::new();
    for email in ["ada@example.org", "nobody@example.org"] {
        let mut seen = Vec::new();
        for _ in 0..7 {
            let res = app.login(email, "wrong password!").await;
            seen.push((
                res.status,
                res.body["code"].clone(),
                res.header("retry-after").map(str::to_owned),
            ));
        }
        statuses.push(seen);
    }
    assert_eq!(
        statuses[0], statuses[1],
        "an outsider cannot tell which email has an account"
    );
    assert_eq!(statuses[0][5].0, 429);
}

#[actix_web::test]
async fn failed_logins_from_one_address_are_limited_whatever_the_emails() {
    let app = spawn_app().await;
    app.register("ada@example.org", PASSWORD, "Ada").await;
    for i in 0..20 {
        app.login(&format!("guess{i}@example.org"), "wrong password!")
            .await
            .assert_problem(401, "invalid_credentials");
    }
    let res = app.login("guess20@example.org", "wrong password!").await;
    res.assert_problem(429, "too_many_requests");
    assert!(res.header("retry-after").is_some());
    // Another address is another source.
    let elsewhere = app
        .login_from("127.0.0.3", "ada@example.org", PASSWORD)
        .await;
    assert_eq!(elsewhere.status, 200, "{}", elsewhere.body);
}

#[actix_web::test]
async fn successful_logins_do_not_use_up_an_address() {
    let app = spawn_app().await;
    app.register("ada@example.org", PASSWORD, "Ada").await;
    for _ in 0..30 {
        assert_eq!(app.login("ada@example.org", PASSWORD).await.status, 200);
    }
}

#[actix_web::test]
async fn dropped_login_requests_do_not_starve_a_later_login() {
    let app = spawn_app().await;
    app.register("ada@example.org", PASSWORD, "Ada").await;
    // 300 logins sent and abandoned by one client before any answer.
    let hasty = awc::Client::builder()
        .timeout(Duration::from_millis(1))
        .finish();
    let flood = (0..300).map(|i| {
        hasty.post(app.url("/api/v1/auth/login")).send_json(
            &json!({"email": format!("x{i}@example.org"), "password": "wrong password!"}),
        )
    });
    join_all(flood).await;
    let started = Instant::now();
    let res = app
        .login_from("127.0.0.2", "ada@example.org", PASSWORD)
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the login was not queued behind the flood: {:?}",
        started.elapsed()
    );
}

#[actix_web::test]
async fn one_address_creates_only_so_many_accounts() {
    let app = spawn_app().await;
    for i in 0..20 {
        let res = app
            .register(&format!("user{i}@example.org"), PASSWORD, "Someone")
            .await;
        assert_eq!(res.status, 201, "{}", res.body);
    }
    let res = app
        .register("user20@example.org", PASSWORD, "Someone")
        .await;
    res.assert_problem(429, "too_many_requests");
    assert!(res.header("retry-after").is_some());
}

async fn login_forwarded(
    app: &crate::helpers::TestApp,
    forwarded_for: &str,
    password: &str,
) -> crate::helpers::TestResponse {
    let body = json!({"email": "ada@example.org", "password": password}).to_string();
    let headers = [
        ("content-type", "application/json"),
        ("x-forwarded-for", forwarded_for),
    ];
    app.raw(
        awc::http::Method::POST,
        "/api/v1/auth/login",
        &headers,
        body,
    )
    .await
}

#[actix_web::test]
async fn behind_a_trusted_proxy_the_forwarded_address_is_the_source() {
    let app = spawn_app_with(&[("BUYIN_TRUSTED_PROXIES", "127.0.0.1")], |_| {}).await;
    app.register("ada@example.org", PASSWORD, "Ada").await;
    // A client-supplied entry first; the proxy appends the address it saw.
    for _ in 0..6 {
        login_forwarded(&app, "6.6.6.6, 198.51.100.1", "wrong password!").await;
    }
    login_forwarded(&app, "6.6.6.6, 198.51.100.1", PASSWORD)
        .await
        .assert_problem(429, "too_many_requests");
    let other = login_forwarded(&app, "6.6.6.6, 198.51.100.2", PASSWORD).await;
    assert_eq!(other.status, 200, "{}", other.body);
}

#[actix_web::test]
async fn a_forwarded_address_from_an_untrusted_peer_is_ignored() {
    let app = spawn_app().await;
    app.register("ada@example.org", PASSWORD, "Ada").await;
    for i in 0..6 {
        login_forwarded(&app, &format!("198.51.100.{i}"), "wrong password!").await;
    }
    login_forwarded(&app, "198.51.100.99", PASSWORD)
        .await
        .assert_problem(429, "too_many_requests");
}
