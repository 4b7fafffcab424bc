//! Every collection a caller can add to has a ceiling (and a closed project takes nothing new).

use serde_json::json;

use crate::{helpers::spawn_app, milestones::today};

#[actix_web::test]
async fn a_milestone_holds_at_most_100_acceptance_criteria() {
    let app = spawn_app().await;
    let w = app.world().await;
    let milestones = format!("/api/v1/projects/{}/milestones", w.project_id);
    let token = Some(w.lead.access_token.as_str());
    let lines = |n: usize| (0..n).map(|i| format!("Criterion {i}")).collect::<Vec<_>>();
    let too_many = app
        .post(
            &milestones,
            token,
            json!({"title": "Big", "knowledge_area": "x", "acceptance_criteria": lines(101)}),
        )
        .await;
    too_many.assert_problem(422, "validation_failed");
    assert_eq!(too_many.error_fields(), ["acceptance_criteria"]);
    let full = app
        .post(
            &milestones,
            token,
            json!({"title": "Full", "knowledge_area": "x", "acceptance_criteria": lines(100)}),
        )
        .await;
    assert_eq!(full.status, 201, "{}", full.body);
    let one_more = app
        .post(
            &format!(
                "{milestones}/{}/criteria",
                full.body["id"].as_str().unwrap()
            ),
            token,
            json!({"text": "One more"}),
        )
        .await;
    one_more.assert_problem(409, "limit_reached");
}

#[actix_web::test]
async fn a_member_logs_at_most_24_hours_a_day_on_a_project() {
    let app = spawn_app().await;
    let w = app.world().await;
    let activities = format!("/api/v1/projects/{}/activities", w.project_id);
    let token = Some(w.staff.access_token.as_str());
    // The world already has one hour of the staff member's today.
    let rest = app
        .post(
            &activities,
            token,
            json!({"occurred_on": today(), "hours": 23, "kind": "execution"}),
        )
        .await;
    assert_eq!(rest.status, 201, "{}", rest.body);
    let over = app
        .post(
            &activities,
            token,
            json!({"occurred_on": today(), "hours": 0.25, "kind": "execution"}),
        )
        .await;
    over.assert_problem(422, "validation_failed");
    assert_eq!(over.error_fields(), ["hours"]);
}

#[actix_web::test]
async fn an_organisation_holds_at_most_20_webhooks_and_50_live_api_keys() {
    let app = spawn_app().await;
    let w = app.world().await;
    let token = Some(w.admin.access_token.as_str());
    let hooks = format!("/api/v1/orgs/{}/webhooks", w.org_id);
    let body = json!({"url": "http://127.0.0.1:9/hook", "event_types": ["*"]});
    for _ in 1..20 {
        assert_eq!(app.post(&hooks, token, body.clone()).await.status, 201);
    }
    app.post(&hooks, token, body)
        .await
        .assert_problem(409, "limit_reached");
    let keys = format!("/api/v1/orgs/{}/api-keys", w.org_id);
    for i in 3..50 {
        let res = app
            .post(
                &keys,
                token,
                json!({"name": format!("k{i}"), "scope": "read"}),
            )
            .await;
        assert_eq!(res.status, 201, "{}", res.body);
    }
    app.post(&keys, token, json!({"name": "k50", "scope": "read"}))
        .await
        .assert_problem(409, "limit_reached");
}

#[actix_web::test]
async fn an_account_belongs_to_at_most_100_organisations() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    for i in 0..100 {
        let res = app
            .post(
                "/api/v1/orgs",
                Some(&ada.access_token),
                json!({"name": format!("Org {i}")}),
            )
            .await;
        assert_eq!(res.status, 201, "{}", res.body);
    }
    app.post(
        "/api/v1/orgs",
        Some(&ada.access_token),
        json!({"name": "Org 100"}),
    )
    .await
    .assert_problem(409, "limit_reached");
}

#[actix_web::test]
async fn a_closed_project_takes_no_new_milestones_or_consultants() {
    let app = spawn_app().await;
    let w = app.world().await;
    let project = app
        .create_project(&w.lead, w.org_id, json!({"name": "Finished"}))
        .await;
    let auth = format!("Bearer {}", w.lead.access_token);
    let closed = app
        .patch_any_version(
            &format!("/api/v1/projects/{project}"),
            &auth,
            json!({"status": "closed"}).to_string(),
        )
        .await;
    assert_eq!(closed.status, 200, "{}", closed.body);
    app.post(
        &format!("/api/v1/projects/{project}/milestones"),
        Some(&w.lead.access_token),
        json!({"title": "Late", "knowledge_area": "x"}),
    )
    .await
    .assert_problem(409, "project_closed");
    app.post(
        &format!("/api/v1/projects/{project}/members"),
        Some(&w.lead.access_token),
        json!({"user_id": w.consultant.id, "role": "consultant"}),
    )
    .await
    .assert_problem(409, "project_closed");
}

#[actix_web::test]
async fn an_account_keeps_at_most_1000_live_sessions_the_oldest_ending_first() {
    let app = spawn_app().await;
    let ada = app.user("ada").await; // session 1
    use buyin::entity::session::{Column, Entity};
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    // 999 more sessions, made directly (a hash per login would make this test slow)…
    for _ in 0..999 {
        buyin::repo::sessions::insert_session(
            &app.db,
            ada.id,
            chrono::Utc::now() + chrono::Duration::days(1),
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    }
    // …then one more login: the first session ends, the newest 1,000 live on.
    assert_eq!(
        app.login(&ada.email, crate::helpers::PASSWORD).await.status,
        200
    );
    let live = Entity::find()
        .filter(Column::UserId.eq(ada.id))
        .filter(Column::RevokedAt.is_null())
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(live, 1000);
    app.get("/api/v1/me", Some(&ada.access_token))
        .await
        .assert_problem(401, "invalid_token");
}
