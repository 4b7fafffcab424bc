//! Projects: creation, edits with If-Match, dates, closing, deletion, lists.

use actix_web::http::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, spawn_app};

async fn patch(
    app: &TestApp,
    user: &TestUser,
    path: &str,
    if_match: Option<&str>,
    body: Value,
) -> crate::helpers::TestResponse {
    let mut headers = vec![("content-type", "application/json")];
    if let Some(tag) = if_match {
        headers.push(("if-match", tag));
    }
    let auth = format!("Bearer {}", user.access_token);
    headers.push(("authorization", &auth));
    app.raw(Method::PATCH, path, &headers, body.to_string())
        .await
}

#[actix_web::test]
async fn the_creator_of_a_project_becomes_an_active_staff_lead() {
    let app = spawn_app().await;
    let w = app.world().await;
    let res = app
        .post(
            &format!("/api/v1/orgs/{}/projects", w.org_id),
            Some(&w.staff.access_token),
            json!({"name": "Data conversion", "system_name": "NewAMS", "start_date": "2026-01-05"}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.body);
    assert_eq!(res.body["status"], "planning");
    assert_eq!(res.header("etag"), Some("\"1\""));
    let id = res.body["id"].as_str().unwrap();
    assert_eq!(
        res.header("location"),
        Some(format!("/api/v1/projects/{id}").as_str())
    );
    let members = app
        .get(
            &format!("/api/v1/projects/{id}/members"),
            Some(&w.staff.access_token),
        )
        .await;
    let me = &members.body["items"][0];
    assert_eq!(
        (me["role"].as_str(), me["is_lead"].as_bool()),
        (Some("staff"), Some(true))
    );
}

#[actix_web::test]
async fn get_returns_an_etag_and_the_callers_access() {
    let app = spawn_app().await;
    let w = app.world().await;
    let res = app
        .get(
            &format!("/api/v1/projects/{}", w.project_id),
            Some(&w.consultant.access_token),
        )
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(res.header("etag"), Some("\"1\""));
    assert_eq!(
        res.body["my_access"],
        json!({"role": "consultant", "is_lead": false, "org_admin": false})
    );
    let admin = app
        .get(
            &format!("/api/v1/projects/{}", w.project_id),
            Some(&w.admin.access_token),
        )
        .await;
    assert_eq!(
        admin.body["my_access"],
        json!({"role": null, "is_lead": false, "org_admin": true})
    );
}

#[actix_web::test]
async fn patch_needs_if_match_and_refuses_a_stale_version() {
    let app = spawn_app().await;
    let w = app.world().await;
    let path = format!("/api/v1/projects/{}", w.project_id);
    patch(&app, &w.lead, &path, None, json!({"name": "X"}))
        .await
        .assert_problem(428, "if_match_required");
    let ok = patch(
        &app,
        &w.lead,
        &path,
        Some("\"1\""),
        json!({"name": "Renamed"}),
    )
    .await;
    assert_eq!((ok.status, ok.header("etag")), (200, Some("\"2\"")));
    assert_eq!(ok.body["version"], 2);
    // A second writer still holding version 1 cannot overwrite the first.
    patch(
        &app,
        &w.admin,
        &path,
        Some("\"1\""),
        json!({"name": "Lost update"}),
    )
    .await
    .assert_problem(412, "version_mismatch");
    let now = app.get(&path, Some(&w.lead.access_token)).await;
    assert_eq!(now.body["name"], "Renamed");
}

#[actix_web::test]
async fn patch_refuses_read_only_and_unknown_fields() {
    let app = spawn_app().await;
    let w = app.world().await;
    let path = format!("/api/v1/projects/{}", w.project_id);
    for field in [
        "id",
        "version",
        "org_id",
        "created_at",
        "updated_at",
        "colour",
    ] {
        let res = patch(&app, &w.lead, &path, Some("*"), json!({ field: "x" })).await;
        res.assert_problem(400, "invalid_body");
    }
}

#[actix_web::test]
async fn null_clears_an_optional_field_and_absence_keeps_it() {
    let app = spawn_app().await;
    let w = app.world().await;
    let path = format!("/api/v1/projects/{}", w.project_id);
    let set = patch(
        &app,
        &w.lead,
        &path,
        Some("*"),
        json!({"description": "Phase 1", "system_name": "NewAMS"}),
    )
    .await;
    assert_eq!(set.body["description"], "Phase 1");
    let cleared = patch(
        &app,
        &w.lead,
        &path,
        Some("*"),
        json!({"description": null}),
    )
    .await;
    assert_eq!(cleared.body["description"], Value::Null);
    assert_eq!(cleared.body["system_name"], "NewAMS");
}

#[actix_web::test]
async fn go_live_and_consultant_exit_cannot_be_before_the_start() {
    let app = spawn_app().await;
    let w = app.world().await;
    let res = app
        .post(
            &format!("/api/v1/orgs/{}/projects", w.org_id),
            Some(&w.lead.access_token),
            json!({"name": "P", "start_date": "2026-03-01", "go_live_date": "2026-02-01", "consultant_exit_date": "2026-01-01"}),
        )
        .await;
    res.assert_problem(422, "validation_failed");
    assert_eq!(res.error_fields(), ["go_live_date", "consultant_exit_date"]);

    let path = format!("/api/v1/projects/{}", w.project_id);
    patch(
        &app,
        &w.lead,
        &path,
        Some("*"),
        json!({"go_live_date": "2026-06-01"}),
    )
    .await;
    let res = patch(
        &app,
        &w.lead,
        &path,
        Some("*"),
        json!({"start_date": "2026-07-01"}),
    )
    .await;
    res.assert_problem(422, "validation_failed");
    assert_eq!(res.error_fields(), ["go_live_date"]);
}

#[actix_web::test]
async fn names_must_be_1_to_200_characters() {
    let app = spawn_app().await;
    let w = app.world().await;
    for name in ["", &"n".repeat(201)] {
        let res = app
            .post(
                &format!("/api/v1/orgs/{}/projects", w.org_id),
                Some(&w.lead.access_token),
                json!({"name": name}),
            )
            .await;
        res.assert_problem(422, "validation_failed");
        assert_eq!(res.error_fields(), ["name"]);
    }
}

#[actix_web::test]
async fn closing_a_project_ends_every_consultants_participation() {
    let app = spawn_app().await;
    let w = app.world().await;
    // A project without milestones can close at once.
    let project = app
        .create_project(&w.lead, w.org_id, json!({"name": "Short engagement"}))
        .await;
    app.add_project_member(&w.lead, project, &w.consultant, "consultant")
        .await;
    app.add_project_member(&w.lead, project, &w.staff, "staff")
        .await;
    let path = format!("/api/v1/projects/{project}");
    let res = patch(&app, &w.lead, &path, Some("*"), json!({"status": "closed"})).await;
    assert_eq!(
        (res.status, res.body["status"].as_str()),
        (200, Some("closed")),
        "{}",
        res.body
    );
    let members = app
        .get(
            &format!("{path}/members?include_former=true"),
            Some(&w.lead.access_token),
        )
        .await;
    for m in members.body["items"].as_array().unwrap() {
        assert_eq!(m["left_at"].is_string(), m["role"] == "consultant", "{m}");
    }
    app.get(&path, Some(&w.consultant.access_token))
        .await
        .assert_problem(404, "project_not_found");
    let events = app
        .get(
            &format!("{path}/events?limit=100"),
            Some(&w.lead.access_token),
        )
        .await;
    let types: Vec<&str> = events.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert!(
        types.ends_with(&["project.updated", "member.removed", "project.closed"]),
        "{types:?}"
    );
}

#[actix_web::test]
async fn a_new_project_cannot_start_closed() {
    let app = spawn_app().await;
    let w = app.world().await;
    let res = app
        .post(
            &format!("/api/v1/orgs/{}/projects", w.org_id),
            Some(&w.lead.access_token),
            json!({"name": "P", "status": "closed"}),
        )
        .await;
    res.assert_problem(422, "validation_failed");
}

#[actix_web::test]
async fn deleting_needs_if_match_and_keeps_the_events() {
    let app = spawn_app().await;
    let w = app.world().await;
    let path = format!("/api/v1/projects/{}", w.project_id);
    app.request(Method::DELETE, &path, Some(&w.admin.access_token), None)
        .await
        .assert_problem(428, "if_match_required");
    let stale = app
        .raw(
            Method::DELETE,
            &path,
            &[
                ("if-match", "\"7\""),
                ("authorization", &format!("Bearer {}", w.admin.access_token)),
            ],
            "",
        )
        .await;
    stale.assert_problem(412, "version_mismatch");
    let ok = app
        .raw(
            Method::DELETE,
            &path,
            &[
                ("if-match", "\"1\""),
                ("authorization", &format!("Bearer {}", w.admin.access_token)),
            ],
            "",
        )
        .await;
    assert_eq!(ok.status, 204);
    app.get(&path, Some(&w.admin.access_token))
        .await
        .assert_problem(404, "project_not_found");
    let events = app
        .get(
            &format!("/api/v1/orgs/{}/events?limit=100", w.org_id),
            Some(&w.admin.access_token),
        )
        .await;
    assert_eq!(
        events.body["items"].as_array().unwrap().last().unwrap()["type"],
        "project.deleted"
    );
}

#[actix_web::test]
async fn projects_can_be_found_by_status_and_external_id() {
    let app = spawn_app().await;
    let w = app.world().await;
    let synced = app
        .create_project(&w.lead, w.org_id, json!({"name": "Synced", "external_source": "ams", "external_id": "P-42", "status": "in_progress"}))
        .await;
    let t = Some(w.lead.access_token.as_str());
    let by_ext = app
        .get("/api/v1/projects?external_source=ams&external_id=P-42", t)
        .await;
    assert_eq!(by_ext.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(by_ext.body["items"][0]["id"], synced.to_string());
    let by_status = app.get("/api/v1/projects?status=planning", t).await;
    assert_eq!(by_status.body["items"][0]["id"], w.project_id.to_string());
    assert_eq!(by_status.body["items"].as_array().unwrap().len(), 1);
    app.get("/api/v1/projects?status=paused", t)
        .await
        .assert_problem(400, "invalid_query_parameter");
    app.get("/api/v1/projects?external_id=a%00b", t)
        .await
        .assert_problem(400, "nul_byte");
}

#[actix_web::test]
async fn a_projects_external_id_is_unique_in_its_organisation() {
    let app = spawn_app().await;
    let w = app.world().await;
    let synced = json!({"name": "Synced", "external_source": "ams", "external_id": "P-42"});
    app.create_project(&w.lead, w.org_id, synced.clone()).await;
    let path = format!("/api/v1/orgs/{}/projects", w.org_id);
    let t = Some(w.lead.access_token.as_str());
    let again = app.post(&path, t, synced.clone()).await;
    again.assert_problem(409, "external_id_taken");
    // Another source, or another organisation, may use the same id.
    let other_source = json!({"name": "S", "external_source": "crm", "external_id": "P-42"});
    assert_eq!(app.post(&path, t, other_source).await.status, 201);
    let other_org = app.create_project(&w.other, w.other_org_id, synced).await;
    // An edit that would take the id is refused the same way.
    let auth = format!("Bearer {}", w.lead.access_token);
    let take = json!({"external_source": "ams", "external_id": "P-42"}).to_string();
    let path = format!("/api/v1/projects/{}", w.project_id);
    app.patch_any_version(&path, &auth, take)
        .await
        .assert_problem(409, "external_id_taken");
    let listed = app
        .get("/api/v1/projects?external_source=ams&external_id=P-42", t)
        .await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 1);
    assert_ne!(listed.body["items"][0]["id"], other_org.to_string());
}

#[actix_web::test]
async fn pages_walk_the_whole_list_without_gaps_or_repeats() {
    let app = spawn_app().await;
    let w = app.world().await;
    let mut created = vec![w.project_id.to_string()];
    for i in 0..6 {
        created.push(
            app.create_project(&w.lead, w.org_id, json!({"name": format!("P{i}")}))
                .await
                .to_string(),
        );
    }
    let seen = app
        .ids_of_all_pages("/api/v1/projects?limit=3", &w.lead.access_token)
        .await;
    assert_eq!(seen, created);
}

#[actix_web::test]
async fn bad_list_parameters_are_400() {
    let app = spawn_app().await;
    let w = app.world().await;
    let t = Some(w.lead.access_token.as_str());
    for query in ["limit=0", "limit=101", "limit=-1", "limit=ten"] {
        app.get(&format!("/api/v1/projects?{query}"), t)
            .await
            .assert_problem(400, "invalid_query_parameter");
    }
    app.get("/api/v1/projects?cursor=bm90LWEtY3Vyc29y", t)
        .await
        .assert_problem(400, "invalid_cursor");
    // A genuine cursor from another list is foreign here.
    let members = app
        .get(
            &format!("/api/v1/projects/{}/members?limit=1", w.project_id),
            t,
        )
        .await;
    let foreign = members.body["next_cursor"].as_str().unwrap();
    app.get(&format!("/api/v1/projects?cursor={foreign}"), t)
        .await
        .assert_problem(400, "invalid_cursor");
}

#[actix_web::test]
async fn a_malformed_uuid_in_the_path_is_a_400_problem() {
    let app = spawn_app().await;
    let w = app.world().await;
    app.get("/api/v1/projects/not-a-uuid", Some(&w.lead.access_token))
        .await
        .assert_problem(400, "invalid_path_parameter");
    app.get(
        &format!("/api/v1/orgs/{}/members/123", w.org_id),
        Some(&w.lead.access_token),
    )
    .await
    .assert_problem(400, "invalid_path_parameter");
}

#[actix_web::test]
async fn nul_bytes_in_project_fields_are_400() {
    let app = spawn_app().await;
    let w = app.world().await;
    let res = app
        .post(
            &format!("/api/v1/orgs/{}/projects", w.org_id),
            Some(&w.lead.access_token),
            json!({"name": "a\u{0}b"}),
        )
        .await;
    res.assert_problem(400, "nul_byte");
    assert_eq!(res.error_fields(), ["name"]);
}

#[actix_web::test]
async fn an_admin_who_also_takes_part_elsewhere_pages_through_both_without_repeats() {
    let app = spawn_app().await;
    let w = app.world().await;
    // The admin also administers and leads projects of a second organisation.
    let second_org = app.create_org(&w.admin, "Second").await;
    let mut expected = vec![w.project_id.to_string()];
    for i in 0..3 {
        let id = app
            .create_project(&w.admin, second_org, json!({"name": format!("S{i}")}))
            .await;
        expected.push(id.to_string());
    }
    expected.push(
        app.create_project(&w.lead, w.org_id, json!({"name": "Later"}))
            .await
            .to_string(),
    );
    let seen = app
        .ids_of_all_pages("/api/v1/projects?limit=2", &w.admin.access_token)
        .await;
    assert_eq!(seen, expected);
}

#[actix_web::test]
async fn a_vendor_asks_only_for_what_changed_since_its_last_sync() {
    // Everything in the world was made an hour ago; the vendor last synced half an hour ago.
    let mut app = crate::helpers::spawn_app_with(&[("BUYIN_CLOCK_OFFSET", "-1h")], |_| {}).await;
    let w = app.world().await;
    app.restart_at("0").await;
    let login = app.login(&w.lead.email, crate::helpers::PASSWORD).await;
    let lead = login.body["access_token"].as_str().unwrap().to_owned();
    let since = (chrono::Utc::now() - chrono::Duration::minutes(30))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let p = format!("/api/v1/projects/{}", w.project_id);
    let lists = [
        "/api/v1/projects".to_owned(),
        format!("{p}/milestones"),
        format!("{p}/activities"),
        format!("{p}/members"),
    ];
    for list in &lists {
        assert_eq!(
            changed(&app, list, &since, &lead).await,
            0,
            "{list}: nothing changed since"
        );
    }
    // One change to each: a new project, the world's milestone moved on the ladder, time
    // logged, a member's commitment edited.
    let created = app
        .post(
            &format!("/api/v1/orgs/{}/projects", w.org_id),
            Some(&lead),
            json!({"name": "New"}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let key = Some(w.key_write.as_str());
    let moved = app
        .post(
            &format!("{p}/milestones/{}/transitions", w.milestone_id),
            Some(&lead),
            json!({"action": "advance"}),
        )
        .await;
    assert_eq!(moved.status, 200, "{}", moved.body);
    let entry = json!({"occurred_on": crate::milestones::today(), "hours": 1, "kind": "planning", "user_id": w.staff.id});
    assert_eq!(
        app.post(&format!("{p}/activities"), key, entry)
            .await
            .status,
        201
    );
    let edit = json!({"weekly_hours": 6}).to_string();
    let member = format!("{p}/members/{}", w.staff.id);
    assert_eq!(
        app.patch_any_version(&member, &format!("Bearer {lead}"), edit)
            .await
            .status,
        200
    );
    for list in &lists {
        assert_eq!(
            changed(&app, list, &since, &lead).await,
            1,
            "{list}: exactly the one change"
        );
    }
}

/// How many rows of `list` changed since `since`.
async fn changed(app: &crate::helpers::TestApp, list: &str, since: &str, token: &str) -> usize {
    let path = format!("{list}?updated_since={since}");
    let res = app.get(&path, Some(token)).await;
    assert_eq!(res.status, 200, "{path}: {}", res.body);
    res.body["items"].as_array().unwrap().len()
}
