//! Participation rules, each in its own test.

use actix_web::http::Method;
use serde_json::{Value, json};

use crate::{
    helpers::{TestApp, TestResponse, TestUser, spawn_app},
    world::World,
};

async fn add(app: &TestApp, w: &World, body: Value) -> TestResponse {
    app.post(
        &format!("/api/v1/projects/{}/members", w.project_id),
        Some(&w.lead.access_token),
        body,
    )
    .await
}

async fn change(
    app: &TestApp,
    by: &TestUser,
    w: &World,
    user: &TestUser,
    method: Method,
    body: Option<Value>,
) -> TestResponse {
    let path = format!("/api/v1/projects/{}/members/{}", w.project_id, user.id);
    let auth = format!("Bearer {}", by.access_token);
    let headers = [
        ("if-match", "*"),
        ("authorization", auth.as_str()),
        ("content-type", "application/json"),
    ];
    app.raw(
        method,
        &path,
        &headers,
        body.map(|b| b.to_string()).unwrap_or_default(),
    )
    .await
}

#[actix_web::test]
async fn an_organisation_member_joins_as_staff_with_commitment_and_responsibility() {
    let app = spawn_app().await;
    let w = app.world().await;
    let res = add(
        &app,
        &w,
        json!({"email": w.spare_member.email, "role": "staff", "weekly_hours": 7.5, "responsibility": "Dues invoicing"}),
    )
    .await;
    assert_eq!(res.status, 201, "{}", res.body);
    for field in [
        "user_id",
        "display_name",
        "email",
        "role",
        "is_lead",
        "weekly_hours",
        "responsibility",
        "joined_at",
        "left_at",
    ] {
        assert!(
            res.body.get(field).is_some(),
            "member responses carry {field}"
        );
    }
    assert_eq!(res.body["weekly_hours"], 7.5);
    assert_eq!(res.body["responsibility"], "Dues invoicing");
    assert!(
        res.header("location")
            .unwrap()
            .ends_with(&w.spare_member.id.to_string())
    );
}

#[actix_web::test]
async fn an_organisation_member_cannot_be_added_as_a_consultant() {
    let app = spawn_app().await;
    let w = app.world().await;
    let res = add(
        &app,
        &w,
        json!({"user_id": w.spare_member.id, "role": "consultant"}),
    )
    .await;
    res.assert_problem(422, "validation_failed");
    assert!(
        res.body["detail"]
            .as_str()
            .unwrap()
            .contains("join as staff"),
        "{}",
        res.body
    );
}

#[actix_web::test]
async fn an_outsider_cannot_be_added_as_staff() {
    let app = spawn_app().await;
    let w = app.world().await;
    let res = add(
        &app,
        &w,
        json!({"user_id": w.spare_outsider.id, "role": "staff"}),
    )
    .await;
    res.assert_problem(422, "validation_failed");
    assert!(
        res.body["detail"]
            .as_str()
            .unwrap()
            .contains("only join as a consultant"),
        "{}",
        res.body
    );
}

#[actix_web::test]
async fn only_staff_can_be_leads() {
    let app = spawn_app().await;
    let w = app.world().await;
    let res = add(
        &app,
        &w,
        json!({"user_id": w.spare_outsider.id, "role": "consultant", "is_lead": true}),
    )
    .await;
    res.assert_problem(422, "validation_failed");
    assert_eq!(res.error_fields(), ["is_lead"]);
    let promote = change(
        &app,
        &w.lead,
        &w,
        &w.consultant,
        Method::PATCH,
        Some(json!({"is_lead": true})),
    )
    .await;
    promote.assert_problem(422, "validation_failed");
    assert_eq!(promote.error_fields(), ["is_lead"]);
}

#[actix_web::test]
async fn a_user_has_one_active_participation_per_project() {
    let app = spawn_app().await;
    let w = app.world().await;
    add(&app, &w, json!({"user_id": w.staff.id, "role": "staff"}))
        .await
        .assert_problem(409, "already_member");
    // After leaving, they can be added again; the old participation stays in the history.
    assert_eq!(
        change(&app, &w.lead, &w, &w.staff, Method::DELETE, None)
            .await
            .status,
        204
    );
    assert_eq!(
        add(&app, &w, json!({"user_id": w.staff.id, "role": "staff"}))
            .await
            .status,
        201
    );
    let all = app
        .get(
            &format!(
                "/api/v1/projects/{}/members?include_former=true",
                w.project_id
            ),
            Some(&w.lead.access_token),
        )
        .await;
    let rows = all.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["user_id"] == w.staff.id.to_string())
        .count();
    assert_eq!(rows, 2);
}

#[actix_web::test]
async fn weekly_hours_are_0_to_80_in_quarter_hours() {
    let app = spawn_app().await;
    let w = app.world().await;
    for hours in [-0.25, 80.25, 1.1] {
        let res = change(
            &app,
            &w.lead,
            &w,
            &w.staff,
            Method::PATCH,
            Some(json!({"weekly_hours": hours})),
        )
        .await;
        res.assert_problem(422, "validation_failed");
        assert_eq!(res.error_fields(), ["weekly_hours"]);
    }
    for hours in [0.0, 0.25, 80.0] {
        let res = change(
            &app,
            &w.lead,
            &w,
            &w.staff,
            Method::PATCH,
            Some(json!({"weekly_hours": hours})),
        )
        .await;
        assert_eq!(
            (res.status, res.body["weekly_hours"].as_f64()),
            (200, Some(hours))
        );
    }
    let res = add(
        &app,
        &w,
        json!({"user_id": w.spare_member.id, "role": "staff", "weekly_hours": 81}),
    )
    .await;
    res.assert_problem(422, "validation_failed");
}

#[actix_web::test]
async fn the_last_active_staff_lead_cannot_leave_or_be_demoted() {
    let app = spawn_app().await;
    let w = app.world().await;
    change(
        &app,
        &w.admin,
        &w,
        &w.lead,
        Method::PATCH,
        Some(json!({"is_lead": false})),
    )
    .await
    .assert_problem(409, "last_staff_lead");
    change(&app, &w.admin, &w, &w.lead, Method::DELETE, None)
        .await
        .assert_problem(409, "last_staff_lead");
    // Once another staff member leads, the first may step down.
    let promoted = change(
        &app,
        &w.lead,
        &w,
        &w.staff,
        Method::PATCH,
        Some(json!({"is_lead": true})),
    )
    .await;
    assert_eq!(promoted.status, 200);
    assert_eq!(
        change(&app, &w.staff, &w, &w.lead, Method::DELETE, None)
            .await
            .status,
        204
    );
}

#[actix_web::test]
async fn member_changes_need_if_match_and_refuse_a_stale_version() {
    let app = spawn_app().await;
    let w = app.world().await;
    let path = format!("/api/v1/projects/{}/members/{}", w.project_id, w.staff.id);
    let current = app.get(&path, Some(&w.lead.access_token)).await;
    assert_eq!(current.header("etag"), Some("\"1\""));
    app.request(
        Method::PATCH,
        &path,
        Some(&w.lead.access_token),
        Some(json!({"weekly_hours": 2})),
    )
    .await
    .assert_problem(428, "if_match_required");
    let auth = format!("Bearer {}", w.lead.access_token);
    let ok = app
        .raw(
            Method::PATCH,
            &path,
            &[
                ("if-match", "\"1\""),
                ("authorization", &auth),
                ("content-type", "application/json"),
            ],
            r#"{"weekly_hours": 2}"#,
        )
        .await;
    assert_eq!((ok.status, ok.header("etag")), (200, Some("\"2\"")));
    let stale = app
        .raw(
            Method::DELETE,
            &path,
            &[("if-match", "\"1\""), ("authorization", &auth)],
            "",
        )
        .await;
    stale.assert_problem(412, "version_mismatch");
}

#[actix_web::test]
async fn removing_a_member_ends_the_participation_and_keeps_the_history() {
    let app = spawn_app().await;
    let w = app.world().await;
    assert_eq!(
        change(&app, &w.lead, &w, &w.consultant, Method::DELETE, None)
            .await
            .status,
        204
    );
    let path = format!("/api/v1/projects/{}/members", w.project_id);
    let active = app.get(&path, Some(&w.lead.access_token)).await;
    assert!(
        active.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["user_id"] != w.consultant.id.to_string())
    );
    let all = app
        .get(
            &format!("{path}?include_former=true"),
            Some(&w.lead.access_token),
        )
        .await;
    let former = all.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["user_id"] == w.consultant.id.to_string())
        .unwrap();
    assert!(former["left_at"].is_string());
    // Access ends on the very next request.
    app.get(
        &format!("/api/v1/projects/{}", w.project_id),
        Some(&w.consultant.access_token),
    )
    .await
    .assert_problem(404, "project_not_found");
}

#[actix_web::test]
async fn an_unknown_account_cannot_be_added() {
    let app = spawn_app().await;
    let w = app.world().await;
    let res = add(
        &app,
        &w,
        json!({"email": "nobody@example.org", "role": "consultant"}),
    )
    .await;
    res.assert_problem(422, "validation_failed");
    assert_eq!(res.error_fields(), ["email"]);
    let res = add(
        &app,
        &w,
        json!({"user_id": uuid::Uuid::new_v4(), "role": "consultant"}),
    )
    .await;
    assert_eq!(res.error_fields(), ["user_id"]);
}

#[actix_web::test]
async fn adding_by_email_says_nothing_about_accounts_the_organisation_does_not_know() {
    let app = spawn_app().await;
    let w = app.world().await;
    let members = format!("/api/v1/projects/{}/members", w.project_id);
    let token = Some(w.lead.access_token.as_str());
    // One email has an account (in no organisation), the other none: the same answer.
    let registered = app
        .post(
            &members,
            token,
            json!({"email": w.spare_outsider.email, "role": "consultant"}),
        )
        .await;
    let unregistered = app
        .post(
            &members,
            token,
            json!({"email": "nobody@example.org", "role": "consultant"}),
        )
        .await;
    registered.assert_problem(422, "validation_failed");
    unregistered.assert_problem(422, "validation_failed");
    assert_eq!(registered.body["errors"], unregistered.body["errors"]);
    // By account id, or by the email of someone the organisation knows, it works.
    let by_id = app
        .post(
            &members,
            token,
            json!({"user_id": w.spare_outsider.id, "role": "consultant"}),
        )
        .await;
    assert_eq!(by_id.status, 201, "{}", by_id.body);
    let known = app
        .post(
            &members,
            token,
            json!({"email": w.spare_member.email, "role": "staff"}),
        )
        .await;
    assert_eq!(known.status, 201, "{}", known.body);
}
