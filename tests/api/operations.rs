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
