//! Organisations and their members.

use actix_web::http::Method;
use serde_json::json;

use crate::helpers::spawn_app;

#[actix_web::test]
async fn creating_an_organisation_makes_the_creator_its_admin() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let res = app
        .post(
            "/api/v1/orgs",
            Some(&ada.access_token),
            json!({"name": "Acme Association"}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.body);
    assert_eq!(res.body["slug"], "acme-association");
    assert_eq!(res.body["my_role"], "admin");
    let id = res.body["id"].as_str().unwrap();
    assert_eq!(
        res.header("location"),
        Some(format!("/api/v1/orgs/{id}").as_str())
    );
    let members = app
        .get(
            &format!("/api/v1/orgs/{id}/members"),
            Some(&ada.access_token),
        )
        .await;
    assert_eq!(members.body["items"][0]["role"], "admin");
    assert_eq!(members.body["items"][0]["user_id"], ada.id.to_string());
}

#[actix_web::test]
async fn slugs_are_unique_and_validated() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let t = Some(ada.access_token.as_str());
    assert_eq!(
        app.post("/api/v1/orgs", t, json!({"name": "A", "slug": "acme"}))
            .await
            .status,
        201
    );
    app.post("/api/v1/orgs", t, json!({"name": "B", "slug": "acme"}))
        .await
        .assert_problem(409, "slug_taken");
    let bad = app
        .post(
            "/api/v1/orgs",
            t,
            json!({"name": "C", "slug": "Not a slug!"}),
        )
        .await;
    bad.assert_problem(422, "validation_failed");
    assert_eq!(bad.error_fields(), ["slug"]);
    // A name whose slug is taken gets a suffixed slug rather than an error.
    let same = app.post("/api/v1/orgs", t, json!({"name": "Acme"})).await;
    assert_eq!(same.status, 201);
    assert!(same.body["slug"].as_str().unwrap().starts_with("acme-"));
}

#[actix_web::test]
async fn names_must_be_1_to_200_characters() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    for name in ["", "  ", &"n".repeat(201)] {
        let res = app
            .post(
                "/api/v1/orgs",
                Some(&ada.access_token),
                json!({"name": name}),
            )
            .await;
        res.assert_problem(422, "validation_failed");
        assert_eq!(res.error_fields(), ["name"]);
    }
}

#[actix_web::test]
async fn inviting_an_email_answers_the_same_whether_or_not_an_account_has_it() {
    let app = spawn_app().await;
    let w = app.world().await;
    let members = format!("/api/v1/orgs/{}/members", w.org_id);
    let token = Some(w.admin.access_token.as_str());
    let known = app
        .post(
            &members,
            token,
            json!({"email": w.spare_outsider.email, "role": "member"}),
        )
        .await;
    let unknown = app
        .post(
            &members,
            token,
            json!({"email": "nobody@example.org", "role": "member"}),
        )
        .await;
    assert_eq!((known.status, unknown.status), (202, 202));
    let shape = |body: &serde_json::Value| {
        let mut keys: Vec<String> = body.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        (keys, body["user_id"].clone())
    };
    assert_eq!(
        shape(&known.body),
        shape(&unknown.body),
        "{} / {}",
        known.body,
        unknown.body
    );
    assert_eq!(
        known.body["user_id"],
        serde_json::Value::Null,
        "no account is named"
    );
    // Neither is a member until they accept.
    let list = app.get(&format!("{members}?limit=100"), token).await;
    assert!(!list.raw.windows(6).any(|w| w == b"nobody"));
    assert!(
        !String::from_utf8_lossy(&list.raw).contains(&w.spare_outsider.id.to_string()),
        "not a member before accepting"
    );
    let neither = app.post(&members, token, json!({"role": "member"})).await;
    neither.assert_problem(422, "validation_failed");
}

#[actix_web::test]
async fn an_invitation_is_accepted_by_the_invitee_alone_and_makes_them_staff() {
    let app = spawn_app().await;
    let w = app.world().await;
    let invitation = app
        .invite(
            &w.admin,
            w.org_id,
            json!({"email": w.spare_outsider.email, "role": "member"}),
        )
        .await;
    let mine = app
        .get(
            "/api/v1/me/invitations",
            Some(&w.spare_outsider.access_token),
        )
        .await;
    assert_eq!(mine.body["items"][0]["id"], invitation.as_str());
    assert_eq!(mine.body["items"][0]["org_name"], "Acme Association");
    // Nobody else can accept it, not even the admin who sent it.
    for someone_else in [&w.admin, &w.outsider, &w.staff] {
        app.accept(someone_else, &invitation)
            .await
            .assert_problem(404, "invitation_not_found");
    }
    let joined = app.accept(&w.spare_outsider, &invitation).await;
    assert_eq!(joined.status, 201, "{}", joined.body);
    assert_eq!(joined.body["role"], "member");
    // Now staff: they join a project as staff, never as a consultant.
    let added = app
        .post(
            &format!("/api/v1/projects/{}/members", w.project_id),
            Some(&w.lead.access_token),
            json!({"user_id": w.spare_outsider.id, "role": "staff"}),
        )
        .await;
    assert_eq!(added.status, 201, "{}", added.body);
    app.accept(&w.spare_outsider, &invitation)
        .await
        .assert_problem(404, "invitation_not_found");
}

#[actix_web::test]
async fn invitations_can_be_declined_or_withdrawn() {
    let app = spawn_app().await;
    let w = app.world().await;
    let declined = app
        .invite(
            &w.admin,
            w.org_id,
            json!({"user_id": w.spare_outsider.id, "role": "admin"}),
        )
        .await;
    let res = app
        .request(
            Method::DELETE,
            &format!("/api/v1/me/invitations/{declined}"),
            Some(&w.spare_outsider.access_token),
            None,
        )
        .await;
    assert_eq!(res.status, 204);
    let withdrawn = app
        .invite(
            &w.admin,
            w.org_id,
            json!({"user_id": w.spare_outsider.id, "role": "member"}),
        )
        .await;
    let res = app
        .request(
            Method::DELETE,
            &format!("/api/v1/orgs/{}/invitations/{withdrawn}", w.org_id),
            Some(&w.admin.access_token),
            None,
        )
        .await;
    assert_eq!(res.status, 204);
    for gone in [&declined, &withdrawn] {
        app.accept(&w.spare_outsider, gone)
            .await
            .assert_problem(404, "invitation_not_found");
    }
}

#[actix_web::test]
async fn adding_an_existing_member_again_is_a_conflict() {
    let app = spawn_app().await;
    let w = app.world().await;
    app.post(
        &format!("/api/v1/orgs/{}/members", w.org_id),
        Some(&w.admin.access_token),
        json!({"user_id": w.staff.id, "role": "member"}),
    )
    .await
    .assert_problem(409, "already_member");
}

#[actix_web::test]
async fn an_active_consultant_cannot_join_the_organisation_as_staff() {
    let app = spawn_app().await;
    let w = app.world().await;
    let invitation = app
        .invite(
            &w.admin,
            w.org_id,
            json!({"user_id": w.consultant.id, "role": "member"}),
        )
        .await;
    let res = app.accept(&w.consultant, &invitation).await;
    res.assert_problem(409, "active_consultant");
    assert!(
        res.body["detail"]
            .as_str()
            .unwrap()
            .contains("Move to the new AMS")
    );
}

#[actix_web::test]
async fn the_last_admin_cannot_be_demoted_or_removed() {
    let app = spawn_app().await;
    let w = app.world().await;
    let me = format!("/api/v1/orgs/{}/members/{}", w.org_id, w.admin.id);
    app.request(
        Method::PATCH,
        &me,
        Some(&w.admin.access_token),
        Some(json!({"role": "member"})),
    )
    .await
    .assert_problem(409, "last_admin");
    app.request(Method::DELETE, &me, Some(&w.admin.access_token), None)
        .await
        .assert_problem(409, "last_admin");

    // With a second admin, the first may step down.
    let staff = format!("/api/v1/orgs/{}/members/{}", w.org_id, w.staff.id);
    let promoted = app
        .request(
            Method::PATCH,
            &staff,
            Some(&w.admin.access_token),
            Some(json!({"role": "admin"})),
        )
        .await;
    assert_eq!(
        (promoted.status, promoted.body["role"].as_str()),
        (200, Some("admin"))
    );
    let demoted = app
        .request(
            Method::PATCH,
            &me,
            Some(&w.admin.access_token),
            Some(json!({"role": "member"})),
        )
        .await;
    assert_eq!(demoted.status, 200);
}

#[actix_web::test]
async fn removing_someone_from_the_organisation_ends_their_staff_participations() {
    let app = spawn_app().await;
    let w = app.world().await;
    let res = app
        .request(
            Method::DELETE,
            &format!("/api/v1/orgs/{}/members/{}", w.org_id, w.staff.id),
            Some(&w.admin.access_token),
            None,
        )
        .await;
    assert_eq!(res.status, 204, "{}", res.body);
    let members = app
        .get(
            &format!(
                "/api/v1/projects/{}/members?include_former=true",
                w.project_id
            ),
            Some(&w.lead.access_token),
        )
        .await;
    let staff = members.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["user_id"] == w.staff.id.to_string())
        .unwrap();
    assert!(
        staff["left_at"].is_string(),
        "participation ended, history kept: {staff}"
    );
    // And they lose access on the very next request.
    app.get(
        &format!("/api/v1/projects/{}", w.project_id),
        Some(&w.staff.access_token),
    )
    .await
    .assert_problem(404, "project_not_found");
}

#[actix_web::test]
async fn removing_a_projects_only_staff_lead_from_the_organisation_is_refused_naming_the_project() {
    let app = spawn_app().await;
    let w = app.world().await;
    let res = app
        .request(
            Method::DELETE,
            &format!("/api/v1/orgs/{}/members/{}", w.org_id, w.lead.id),
            Some(&w.admin.access_token),
            None,
        )
        .await;
    res.assert_problem(409, "last_staff_lead");
    assert!(
        res.body["detail"]
            .as_str()
            .unwrap()
            .contains("Move to the new AMS"),
        "{}",
        res.body
    );
}

#[actix_web::test]
async fn an_admin_renames_the_organisation_and_the_change_is_logged() {
    let app = spawn_app().await;
    let w = app.world().await;
    let res = app
        .request(
            Method::PATCH,
            &format!("/api/v1/orgs/{}", w.org_id),
            Some(&w.admin.access_token),
            Some(json!({"name": "Acme Society", "slug": "acme-society"})),
        )
        .await;
    assert_eq!(
        (res.status, res.body["slug"].as_str()),
        (200, Some("acme-society"))
    );
    let events = app
        .get(
            &format!("/api/v1/orgs/{}/events?limit=100", w.org_id),
            Some(&w.admin.access_token),
        )
        .await;
    let last = events.body["items"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["type"], "org.updated");
    assert_eq!(
        last["data"]["changes"]["name"],
        json!({"from": "Acme Association", "to": "Acme Society"})
    );
}
