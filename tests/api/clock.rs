//! One clock (DESIGN.md, Conventions): every "now" and "today" comes from one clock, which
//! `BUYIN_CLOCK_OFFSET` shifts — token lifetimes included — so tests and demos can build real
//! history by starting the server in the past and restarting it later on the same database.

use chrono::{Duration, NaiveDate, Utc};
use serde_json::json;

use crate::helpers::{TestApp, spawn_app_with};

fn shifted_today(days: i64) -> NaiveDate {
    (Utc::now() + Duration::days(days)).date_naive()
}

async fn log(app: &TestApp, token: &str, project: uuid::Uuid, day: NaiveDate) -> u16 {
    app.post(
        &format!("/api/v1/projects/{project}/activities"),
        Some(token),
        json!({"occurred_on": day, "hours": 1, "kind": "planning"}),
    )
    .await
    .status
}

#[actix_web::test]
async fn a_server_started_in_the_past_stamps_and_checks_everything_with_its_own_clock() {
    let app = spawn_app_with(&[("BUYIN_CLOCK_OFFSET", "-35d")], |_| {}).await;
    let today = shifted_today(-35);
    // Logging in works: the token is issued and checked on the same (shifted) clock.
    let ada = app.user("ada").await;
    let me = app.get("/api/v1/me", Some(&ada.access_token)).await;
    assert_eq!(me.status, 200, "{}", me.body);
    let created = me.body["created_at"].as_str().unwrap();
    assert!(
        created.starts_with(&today.to_string()),
        "created {created}, today {today}"
    );

    let org = app.create_org(&ada, "Acme").await;
    let project = app.create_project(&ada, org, json!({"name": "AMS"})).await;
    // Up to one day after *its* today is accepted; two days after is in the future for it,
    // although that day is long past on the system clock.
    assert_eq!(log(&app, &ada.access_token, project, today).await, 201);
    assert_eq!(
        log(&app, &ada.access_token, project, today.succ_opt().unwrap()).await,
        201
    );
    let two_ahead = today + Duration::days(2);
    assert_eq!(log(&app, &ada.access_token, project, two_ahead).await, 422);

    // The readiness report defaults to the clock's today, and events carry its time.
    let report = app
        .get(
            &format!("/api/v1/projects/{project}/readiness"),
            Some(&ada.access_token),
        )
        .await;
    assert_eq!(report.body["as_of"], json!(today));
    let feed = app
        .get(
            &format!("/api/v1/projects/{project}/events"),
            Some(&ada.access_token),
        )
        .await;
    let first = feed.body["items"][0]["occurred_at"].as_str().unwrap();
    assert!(first.starts_with(&today.to_string()), "event at {first}");
}

#[actix_web::test]
async fn tokens_expire_on_the_clock_that_reads_them_not_the_system_clock() {
    let mut app = spawn_app_with(&[("BUYIN_CLOCK_OFFSET", "-35d")], |_| {}).await;
    let ada = app.user("ada").await;
    assert_eq!(
        app.get("/api/v1/me", Some(&ada.access_token)).await.status,
        200
    );

    // A day later on the clock, the 15-minute access token has expired (on the system clock it
    // would not even be valid yet, 34 days in the past)…
    app.restart_at("-34d").await;
    let stale = app.get("/api/v1/me", Some(&ada.access_token)).await;
    stale.assert_problem(401, "invalid_token");
    // …and a new login on the new clock works.
    let login = app.login(&ada.email, crate::helpers::PASSWORD).await;
    assert_eq!(login.status, 200, "{}", login.body);
    let token = login.body["access_token"].as_str().unwrap();
    assert_eq!(app.get("/api/v1/me", Some(token)).await.status, 200);
}

#[actix_web::test]
async fn a_bad_clock_offset_is_a_configuration_error_naming_the_variable() {
    for bad in ["yesterday", "--2h", "-20000d"] {
        let vars = [("BUYIN_CLOCK_OFFSET", bad)];
        let err = buyin::config::Config::from_lookup(|name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
                .or_else(|| (name == "BUYIN_JWT_SECRET").then(|| "x".repeat(40)))
        })
        .err()
        .expect("refused");
        assert_eq!(err.var, "BUYIN_CLOCK_OFFSET", "{bad}");
    }
}
