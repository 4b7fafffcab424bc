//! Liveness and readiness.

use crate::helpers::spawn_app;

#[actix_web::test]
async fn healthz_and_readyz_answer_200_when_all_is_well() {
    let app = spawn_app().await;
    let health = app.get("/healthz", None).await;
    assert_eq!(
        (health.status, health.body["status"].as_str()),
        (200, Some("ok"))
    );
    let ready = app.get("/readyz", None).await;
    assert_eq!(
        (ready.status, ready.body["status"].as_str()),
        (200, Some("ready"))
    );
}

#[actix_web::test]
async fn swagger_ui_is_served() {
    let app = spawn_app().await;
    let res = app.get("/swagger-ui/", None).await;
    assert_eq!(res.status, 200);
    assert!(String::from_utf8_lossy(&res.raw).contains("swagger"));
}

#[actix_web::test]
async fn metrics_count_requests_by_route_pattern_and_report_the_pool_and_the_webhook_queue() {
    let app = spawn_app().await;
    let w = app.world().await;
    app.get(
        &format!("/api/v1/projects/{}", w.project_id),
        Some(&w.lead.access_token),
    )
    .await;
    let res = app.get("/metrics", None).await;
    assert_eq!(res.status, 200);
    let text = String::from_utf8_lossy(&res.raw);
    assert!(
        text.lines()
            .any(|l| l.starts_with("buyin_http_requests_total")
                && l.contains(r#"endpoint="/api/v1/projects/{project_id}""#)
                && l.contains(r#"status="200""#)),
        "requests are counted by route pattern and status:\n{text}"
    );
    assert!(
        text.contains("buyin_http_requests_duration_seconds_bucket"),
        "latency histograms"
    );
    assert!(
        text.contains(r#"buyin_db_connections{state="idle"}"#),
        "pool gauges"
    );
    assert!(
        text.contains("buyin_webhook_queue_depth"),
        "webhook queue depth"
    );
    assert!(
        !text.contains(&w.project_id.to_string()),
        "ids never become labels"
    );
}

#[actix_web::test]
async fn metrics_labels_stay_bounded_under_unknown_methods() {
    let app = spawn_app().await;
    let made_up = |i: usize| awc::http::Method::from_bytes(format!("JUNK{i}X").as_bytes()).unwrap();
    let series = |text: &str| text.lines().filter(|l| !l.starts_with('#')).count();

    for i in 0..3 {
        let res = app
            .request(made_up(i), "/api/v1/projects", None, None)
            .await;
        res.assert_problem(405, "method_not_allowed");
        app.request(made_up(i), &format!("/nowhere/{i}"), None, None)
            .await
            .assert_problem(404, "route_not_found");
    }
    app.get("/metrics", None).await; // the scrape's own series exist from here on
    let before = app.get("/metrics", None).await;
    for i in 3..60 {
        app.request(made_up(i), "/api/v1/projects", None, None)
            .await;
        app.request(made_up(i), &format!("/nowhere/{i}"), None, None)
            .await;
    }
    let after = app.get("/metrics", None).await;
    let (before, after) = (
        String::from_utf8_lossy(&before.raw),
        String::from_utf8_lossy(&after.raw),
    );
    assert!(!after.contains("JUNK"), "no made-up method becomes a label");
    assert!(
        after.contains(r#"method="OTHER""#),
        "they are counted as OTHER"
    );
    assert_eq!(
        series(&before),
        series(&after),
        "57 more made-up methods add no series"
    );
}

#[actix_web::test]
async fn head_works_wherever_get_does_and_unknown_swagger_files_are_problems() {
    let app = spawn_app().await;
    for path in ["/healthz", "/swagger-ui/", "/openapi.json"] {
        let res = app.request(awc::http::Method::HEAD, path, None, None).await;
        assert_eq!(res.status, 200, "HEAD {path}");
        assert!(res.raw.is_empty(), "no body for HEAD {path}");
    }
    let missing = app.get("/swagger-ui/no-such-file.js", None).await;
    missing.assert_problem(404, "route_not_found");
}
