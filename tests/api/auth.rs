//! Accounts and login: registration rules, credential checks, throttling.

use std::time::Instant;

use serde_json::json;

use crate::helpers::{PASSWORD, spawn_app};

#[actix_web::test]
async fn registering_returns_the_user_with_a_location_and_never_the_password_hash() {
    let app = spawn_app().await;
    let res = app
        .register("  Ada@Example.ORG ", PASSWORD, " Ada Lovelace ")
        .await;
    assert_eq!(res.status, 201, "{}", res.body);
    assert_eq!(res.header("location"), Some("/api/v1/me"));
    assert_eq!(
        res.body["email"], "ada@example.org",
        "email is trimmed and lower-cased"
    );
    assert_eq!(res.body["display_name"], "Ada Lovelace");
    assert!(res.body["id"].is_string() && res.body["created_at"].is_string());
    let text = String::from_utf8_lossy(&res.raw);
    assert!(
        !text.contains("argon2") && !text.contains("password"),
        "{text}"
    );
}

#[actix_web::test]
async fn an_email_registered_twice_in_any_case_is_a_conflict() {
    let app = spawn_app().await;
    assert_eq!(
        app.register("ada@example.org", PASSWORD, "Ada")
            .await
            .status,
        201
    );
    app.register("ADA@example.org", PASSWORD, "Ada again")
        .await
        .assert_problem(409, "email_taken");
}

#[actix_web::test]
async fn malformed_emails_are_refused_with_a_field_error() {
    let app = spawn_app().await;
    for email in [
        "",
        "ada",
        "ada@",
        "@example.org",
        "ada@example",
        "a da@example.org",
    ] {
        let res = app.register(email, PASSWORD, "Ada").await;
        res.assert_problem(422, "validation_failed");
        assert_eq!(res.error_fields(), ["email"], "{email:?}");
    }
}

#[actix_web::test]
async fn passwords_must_be_12_characters_to_1024_bytes() {
    let app = spawn_app().await;
    let short = app.register("a@example.org", "elevenchars", "A").await;
    short.assert_problem(422, "validation_failed");
    assert_eq!(short.error_fields(), ["password"]);

    let long = app.register("b@example.org", &"xy".repeat(513), "B").await;
    long.assert_problem(422, "validation_failed");
    assert_eq!(long.error_fields(), ["password"]);

    assert_eq!(
        app.register("c@example.org", &"xy".repeat(6), "C")
            .await
            .status,
        201
    );
    assert_eq!(
        app.register("d@example.org", &"xy".repeat(512), "D")
            .await
            .status,
        201
    );
}

#[actix_web::test]
async fn invisible_blank_repeated_and_common_passwords_are_refused() {
    let app = spawn_app().await;
    for (i, password) in [
        "\u{200B}".repeat(4),                   // 12 bytes, nothing visible
        format!("ab{}", "\u{200D}".repeat(10)), // 2 visible characters
        " ".repeat(16),
        "z".repeat(16),
        "Password1234".to_owned(),
        "qwertyuiop123".to_owned(),
    ]
    .into_iter()
    .enumerate()
    {
        let res = app
            .register(&format!("p{i}@example.org"), &password, "P")
            .await;
        res.assert_problem(422, "validation_failed");
        assert_eq!(res.error_fields(), ["password"], "{password:?}");
    }
}

#[actix_web::test]
async fn look_alike_and_invisible_character_emails_never_make_a_second_account() {
    let app = spawn_app().await;
    assert_eq!(
        app.register("ada@example.org", PASSWORD, "Ada")
            .await
            .status,
        201
    );
    for email in [
        "a\u{200B}da@example.org",
        "ada@exa\u{00AD}mple.org",
        "\u{0430}da@example.org",
        "ａｄａ@example.org",
    ] {
        let res = app.register(email, PASSWORD, "Not Ada").await;
        res.assert_problem(422, "validation_failed");
        assert_eq!(res.error_fields(), ["email"], "{email:?}");
    }
    app.register("ADA@Example.Org", PASSWORD, "Ada again")
        .await
        .assert_problem(409, "email_taken");
    let idn = app.register("ada@bücher.example", PASSWORD, "Ada B").await;
    assert_eq!(
        idn.body["email"], "ada@xn--bcher-kva.example",
        "{}",
        idn.body
    );
}

#[actix_web::test]
async fn display_names_must_be_1_to_200_characters() {
    let app = spawn_app().await;
    for name in ["", "   ", &"n".repeat(201)] {
        let res = app.register("a@example.org", PASSWORD, name).await;
        res.assert_problem(422, "validation_failed");
        assert_eq!(res.error_fields(), ["display_name"]);
    }
    assert_eq!(
        app.register("a@example.org", PASSWORD, &"n".repeat(200))
            .await
            .status,
        201
    );
}

#[actix_web::test]
async fn a_length_limit_counts_the_characters_as_sent_padding_included() {
    // So the document's `maxLength` is the rule exactly: what is longer is refused, even when
    // trimming would have made it fit.
    let app = spawn_app().await;
    let padded_name = format!(" {} ", "n".repeat(199));
    let res = app.register("a@example.org", PASSWORD, &padded_name).await;
    res.assert_problem(422, "validation_failed");
    assert_eq!(res.error_fields(), ["display_name"]);
    let padded_email = format!("{}a@example.org", " ".repeat(250));
    let res = app.register(&padded_email, PASSWORD, "Ada").await;
    assert_eq!(res.error_fields(), ["email"]);
    let exact = app
        .register(" a@example.org ", PASSWORD, &"n".repeat(200))
        .await;
    assert_eq!(exact.status, 201, "{}", exact.body);
}

#[actix_web::test]
async fn every_invalid_field_is_reported_at_once() {
    let app = spawn_app().await;
    let res = app.register("nope", "short", "").await;
    res.assert_problem(422, "validation_failed");
    assert_eq!(res.error_fields(), ["email", "display_name", "password"]);
}

#[actix_web::test]
async fn login_returns_a_bearer_token_pair() {
    let app = spawn_app().await;
    app.register("ada@example.org", PASSWORD, "Ada").await;
    let res = app.login(" ADA@example.org", PASSWORD).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.body["token_type"], "Bearer");
    assert_eq!(res.body["expires_in"], 900);
    assert!(
        res.body["access_token"]
            .as_str()
            .is_some_and(|t| t.split('.').count() == 3)
    );
    assert!(
        res.body["refresh_token"]
            .as_str()
            .is_some_and(|t| t.len() >= 43)
    );

    let me = app
        .get("/api/v1/me", res.body["access_token"].as_str())
        .await;
    assert_eq!(me.status, 200);
    assert_eq!(me.body["email"], "ada@example.org");
}

#[actix_web::test]
async fn unknown_email_and_wrong_password_get_the_same_401() {
    let app = spawn_app().await;
    app.register("ada@example.org", PASSWORD, "Ada").await;
    let wrong = app.login("ada@example.org", "not the password").await;
    let unknown = app.login("nobody@example.org", "not the password").await;
    wrong.assert_problem(401, "invalid_credentials");
    unknown.assert_problem(401, "invalid_credentials");
    assert_eq!(wrong.body, unknown.body);
}

#[actix_web::test]
async fn an_unknown_email_costs_a_password_hash_too() {
    // Timing must not reveal which accounts exist: an unknown email is verified against a dummy
    // hash. Generous bound: without the dummy hash it would be ~100x faster, not ~1x.
    let app = spawn_app().await;
    app.register("ada@example.org", PASSWORD, "Ada").await;
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    for i in 0..3 {
        let t = Instant::now();
        app.login("ada@example.org", &format!("wrong password {i}"))
            .await;
        known.push(t.elapsed());
        let t = Instant::now();
        app.login(&format!("nobody{i}@example.org"), "wrong password")
            .await;
        unknown.push(t.elapsed());
    }
    known.sort();
    unknown.sort();
    assert!(
        unknown[1] * 4 >= known[1],
        "unknown-email login took {:?}, wrong-password login {:?}",
        unknown[1],
        known[1]
    );
}

#[actix_web::test]
async fn login_refuses_a_password_over_1024_bytes_before_hashing() {
    let app = spawn_app().await;
    let res = app.login("ada@example.org", &"x".repeat(1025)).await;
    res.assert_problem(422, "validation_failed");
    assert_eq!(res.error_fields(), ["password"]);
}

#[actix_web::test]
async fn after_five_failures_an_account_is_throttled_with_retry_after() {
    let app = spawn_app().await;
    app.register("ada@example.org", PASSWORD, "Ada").await;
    for _ in 0..5 {
        app.login("ada@example.org", "wrong password!")
            .await
            .assert_problem(401, "invalid_credentials");
    }
    let throttled = app.login("ada@example.org", "wrong password!").await;
    throttled.assert_problem(429, "too_many_requests");
    let wait: u64 = throttled
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!(
        (1..=30).contains(&wait),
        "first lockout is 30 s, got {wait}"
    );

    // Even the right password waits from this address: the attempts are counted, not only the
    // wrong guesses (the owner elsewhere is not held back: see `throttling`).
    app.login("ada@example.org", PASSWORD)
        .await
        .assert_problem(429, "too_many_requests");
}

#[actix_web::test]
async fn one_accounts_lockout_does_not_affect_another() {
    let app = spawn_app().await;
    app.register("ada@example.org", PASSWORD, "Ada").await;
    app.register("bob@example.org", PASSWORD, "Bob").await;
    for _ in 0..6 {
        app.login("ada@example.org", "wrong password!").await;
    }
    app.login("ada@example.org", PASSWORD)
        .await
        .assert_problem(429, "too_many_requests");
    assert_eq!(app.login("bob@example.org", PASSWORD).await.status, 200);
}

#[actix_web::test]
async fn a_successful_login_resets_the_failure_count() {
    let app = spawn_app().await;
    app.register("ada@example.org", PASSWORD, "Ada").await;
    for _ in 0..4 {
        app.login("ada@example.org", "wrong password!").await;
    }
    assert_eq!(app.login("ada@example.org", PASSWORD).await.status, 200);
    for _ in 0..4 {
        app.login("ada@example.org", "wrong password!")
            .await
            .assert_problem(401, "invalid_credentials");
    }
    assert_eq!(
        app.login("ada@example.org", PASSWORD).await.status,
        200,
        "still under the limit"
    );
}

#[actix_web::test]
async fn the_lockout_doubles_with_each_further_failure() {
    let app = spawn_app().await;
    app.register("ada@example.org", PASSWORD, "Ada").await;
    for _ in 0..5 {
        app.login("ada@example.org", "wrong password!").await;
    }
    // Pretend the first lockout has passed, then fail once more: the wait is now 60 s.
    use sea_orm::ConnectionTrait;
    app.db
        .execute_unprepared("UPDATE login_throttles SET blocked_until_ms = NULL")
        .await
        .unwrap();
    app.login("ada@example.org", "wrong password!")
        .await
        .assert_problem(401, "invalid_credentials");
    let res = app.login("ada@example.org", "wrong password!").await;
    res.assert_problem(429, "too_many_requests");
    let wait: u64 = res
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .unwrap();
    assert!(
        (31..=60).contains(&wait),
        "second lockout is 60 s, got {wait}"
    );
}

#[actix_web::test]
async fn a_disabled_account_cannot_log_in_and_its_tokens_stop_working() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    use sea_orm::ConnectionTrait;
    app.db
        .execute_unprepared("UPDATE users SET disabled_at = created_at")
        .await
        .unwrap();
    app.get("/api/v1/me", Some(&ada.access_token))
        .await
        .assert_problem(401, "invalid_token");
    app.login(&ada.email, PASSWORD)
        .await
        .assert_problem(401, "invalid_credentials");
    let refreshed = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": ada.refresh_token}),
        )
        .await;
    refreshed.assert_problem(401, "invalid_refresh_token");
}

#[actix_web::test]
async fn every_401_names_the_scheme_to_authenticate_with() {
    let app = spawn_app().await;
    let wrong = app.login("nobody@example.org", "wrong password!").await;
    let refresh = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": "nope"}),
        )
        .await;
    let logout = app
        .post(
            "/api/v1/auth/logout",
            None,
            json!({"refresh_token": "nope"}),
        )
        .await;
    for res in [&wrong, &refresh, &logout] {
        assert_eq!(res.status, 401, "{}", res.body);
        assert!(
            res.header("www-authenticate")
                .is_some_and(|v| v.starts_with("Bearer")),
            "{:?}",
            res.headers
        );
    }
}

#[actix_web::test]
async fn me_lists_my_organisations_and_the_projects_i_take_part_in() {
    let app = spawn_app().await;
    let w = app.world().await;
    let me = app
        .get("/api/v1/me", Some(&w.consultant.access_token))
        .await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.body["type"], "user");
    assert_eq!(me.body["id"], w.consultant.id.to_string());
    assert_eq!(
        me.body["organisations"],
        json!([]),
        "a consultant is in no organisation"
    );
    assert_eq!(
        me.body["projects"],
        json!([{"project_id": w.project_id, "org_id": w.org_id, "name": me.body["projects"][0]["name"],
            "status": "planning", "role": "consultant", "is_lead": false}])
    );
    assert_eq!(me.body["more_projects"], false);
    let lead = app.get("/api/v1/me", Some(&w.lead.access_token)).await;
    let orgs = lead.body["organisations"].as_array().unwrap();
    assert_eq!(orgs.len(), 1);
    assert_eq!(orgs[0]["org_id"], w.org_id.to_string());
    assert_eq!(lead.body["projects"][0]["is_lead"], true);
    assert_eq!(lead.body["projects"][0]["role"], "staff");
}
