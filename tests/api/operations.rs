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
