//! `GET /me/next-actions`: the caller's items across every project they take part in, with the
//! names of the project and of its organisation.

use serde_json::{Value, json};

use crate::{
    helpers::{TestApp, TestUser, spawn_app},
    world::World,
};

/// `(project_id, kind, milestone_id)` of each item for `user` in `project`'s own report.
async fn from_report(
    app: &TestApp,
    project: &str,
    user: &TestUser,
) -> Vec<(String, String, Value)> {
    let report = app
        .get(
            &format!("/api/v1/projects/{project}/readiness"),
            Some(&user.access_token),
        )
        .await;
    assert_eq!(report.status, 200, "{}", report.body);
    report.body["next_actions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["user_id"] == json!(user.id))
        .map(|a| {
            (
                project.to_owned(),
                a["kind"].as_str().unwrap().to_owned(),
                a["milestone_id"].clone(),
            )
        })
        .collect()
}

async fn mine(app: &TestApp, user: &TestUser) -> Value {
    let res = app
        .get("/api/v1/me/next-actions", Some(&user.access_token))
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    res.body
}

/// A milestone in `project`, created by `by` and owned by `owner`, in `reverse_shadowing`, on
/// which the world's consultant does hands-on work today while the owner does none: a
/// `step_back` for the consultant.
async fn consultant_does_the_work(
    app: &TestApp,
    w: &World,
    project: &str,
    by: &TestUser,
    owner: &TestUser,
) {
    let body = json!({"title": "Run the renewals", "knowledge_area": "renewals",
                      "staff_owner_id": owner.id});
    let m = app
        .post(
            &format!("/api/v1/projects/{project}/milestones"),
            Some(&by.access_token),
            body,
        )
        .await;
    assert_eq!(m.status, 201, "{}", m.body);
    // Up to `reverse_shadowing`, where the staff owner should be doing the work.
    let moves = format!(
        "/api/v1/projects/{project}/milestones/{}/transitions",
        m.body["id"].as_str().unwrap()
    );
    for _ in 0..3 {
        let res = app
            .post(
                &moves,
                Some(&w.consultant.access_token),
                json!({"action": "advance"}),
            )
            .await;
        assert_eq!(res.status, 200, "{}", res.body);
    }
    let entry = json!({"occurred_on": chrono::Utc::now().date_naive(), "hours": 3,
                       "kind": "execution", "milestone_id": m.body["id"]});
    let res = app
        .post(
            &format!("/api/v1/projects/{project}/activities"),
            Some(&w.consultant.access_token),
            entry,
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.body);
}

#[actix_web::test]
async fn my_next_actions_are_the_union_of_my_items_in_every_project_with_their_names() {
    let app = spawn_app().await;
    let w = app.world().await;
    let (ours, theirs) = (w.project_id.to_string(), w.other_project_id.to_string());
    // The consultant works in two organisations: the world's, and the other one's project.
    app.add_project_member(&w.other, w.other_project_id, &w.consultant, "consultant")
        .await;
    consultant_does_the_work(&app, &w, &ours, &w.lead, &w.staff).await;
    consultant_does_the_work(&app, &w, &theirs, &w.other, &w.other).await;

    let body = mine(&app, &w.consultant).await;
    let items = body["items"].as_array().unwrap();
    let mut got: Vec<(String, String, Value)> = items
        .iter()
        .map(|i| {
            (
                i["project_id"].as_str().unwrap().to_owned(),
                i["kind"].as_str().unwrap().to_owned(),
                i["milestone_id"].clone(),
            )
        })
        .collect();
    let mut expected = from_report(&app, &ours, &w.consultant).await;
    expected.extend(from_report(&app, &theirs, &w.consultant).await);
    got.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
    expected.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
    assert_eq!(got, expected);
    let step_backs: Vec<&str> = items
        .iter()
        .filter(|i| i["kind"] == "step_back")
        .map(|i| i["org_name"].as_str().unwrap())
        .collect();
    assert_eq!(step_backs.len(), 2, "{body}");
    assert!(step_backs.contains(&"Acme Association") && step_backs.contains(&"Other Association"));
    let theirs_item = items
        .iter()
        .find(|i| i["project_id"] == json!(theirs))
        .unwrap();
    assert_eq!(theirs_item["project_name"], "Their project");
    assert_eq!(theirs_item["org_id"], json!(w.other_org_id));
    assert_eq!(body["as_of"], json!(chrono::Utc::now().date_naive()));
    assert_eq!(body["more_projects"], false);
}

#[actix_web::test]
async fn the_most_urgent_comes_first() {
    let app = spawn_app().await;
    let w = app.world().await;
    // The lead gets `assign_staff_owner` for an ownerless milestone, and `overdue` for one past
    // its due date that is not handed off.
    let project = w.project_id.to_string();
    for (title, due) in [("Ownerless", None), ("Late", Some("2020-01-01"))] {
        let mut body = json!({"title": title, "knowledge_area": "reports"});
        if let Some(due) = due {
            body["due_date"] = json!(due);
            body["staff_owner_id"] = json!(w.lead.id);
        }
        let res = app
            .post(
                &format!("/api/v1/projects/{project}/milestones"),
                Some(&w.lead.access_token),
                body,
            )
            .await;
        assert_eq!(res.status, 201, "{}", res.body);
    }
    let body = mine(&app, &w.lead).await;
    let kinds: Vec<&str> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_str().unwrap())
        .collect();
    let at = |k: &str| {
        kinds
            .iter()
            .position(|x| *x == k)
            .unwrap_or_else(|| panic!("{k} in {kinds:?}"))
    };
    assert!(at("overdue") < at("assign_staff_owner"), "{kinds:?}");
}

#[actix_web::test]
async fn someone_in_no_project_has_no_next_actions_and_a_key_has_none_of_its_own() {
    let app = spawn_app().await;
    let w = app.world().await;
    assert_eq!(mine(&app, &w.outsider).await["items"], json!([]));
    let res = app.get("/api/v1/me/next-actions", Some(&w.key_write)).await;
    res.assert_problem(403, "person_required");
}

#[actix_web::test]
async fn a_consultant_reads_the_name_and_slug_of_each_organisation_they_work_in_and_nothing_else() {
    let app = spawn_app().await;
    let w = app.world().await;
    app.add_project_member(&w.other, w.other_project_id, &w.consultant, "consultant")
        .await;
    for (org, name) in [
        (w.org_id, "Acme Association"),
        (w.other_org_id, "Other Association"),
    ] {
        let res = app
            .get(
                &format!("/api/v1/orgs/{org}"),
                Some(&w.consultant.access_token),
            )
            .await;
        assert_eq!(res.status, 200, "{}", res.body);
        assert_eq!(res.body["name"], name);
        assert!(res.body["slug"].is_string());
        assert_eq!(res.body["my_role"], Value::Null);
        for closed in ["members", "invitations", "events", "webhooks", "api-keys"] {
            let res = app
                .get(
                    &format!("/api/v1/orgs/{org}/{closed}"),
                    Some(&w.consultant.access_token),
                )
                .await;
            assert_eq!(res.status, 404, "{closed}: {}", res.body);
        }
        let rename = app
            .patch_any_version(
                &format!("/api/v1/orgs/{org}"),
                &format!("Bearer {}", w.consultant.access_token),
                json!({"name": "Mine now"}).to_string(),
            )
            .await;
        assert_eq!(rename.status, 404, "{}", rename.body);
    }
    // Someone who left every project of the organisation no longer reads it.
    let leave = app
        .raw(
            actix_web::http::Method::DELETE,
            &format!(
                "/api/v1/projects/{}/members/{}",
                w.other_project_id, w.consultant.id
            ),
            &[
                ("authorization", &format!("Bearer {}", w.other.access_token)),
                ("if-match", "*"),
            ],
            String::new(),
        )
        .await;
    assert!(leave.status < 300, "{}", leave.body);
    let res = app
        .get(
            &format!("/api/v1/orgs/{}", w.other_org_id),
            Some(&w.consultant.access_token),
        )
        .await;
    assert_eq!(res.status, 404);
    let outsider = app
        .get(
            &format!("/api/v1/orgs/{}", w.org_id),
            Some(&w.outsider.access_token),
        )
        .await;
    assert_eq!(outsider.status, 404);
}
