//! Invariants that span two rows, under two requests released together, many rounds (they
//! matter on PostgreSQL, where requests run in parallel under READ COMMITTED; SQLite has one
//! writer and must simply give the same answers).

use awc::http::Method;
use futures_util::future::join;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;
use uuid::Uuid;

use crate::helpers::{TestApp, TestUser, spawn_app};

const ROUNDS: usize = 15;

/// `SELECT COUNT(*) …` with `$1`, `$2` bound to `ids` (read as `?1`, `?2` on SQLite).
async fn count(app: &TestApp, sql: &str, ids: &[Uuid]) -> i64 {
    let backend = app.db.get_database_backend();
    let sql = match backend {
        sea_orm::DbBackend::Sqlite => sql.replace('$', "?"),
        _ => sql.to_owned(),
    };
    let values = ids.iter().map(|id| (*id).into());
    let row = app
        .db
        .query_one_raw(Statement::from_sql_and_values(backend, sql, values))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

struct Round {
    org_id: Uuid,
    project_id: Uuid,
    admin: TestUser,
    lead: TestUser,
}

/// An organisation whose admin is not on the project, and a project led by `lead`.
async fn round(app: &TestApp, hash: &str) -> Round {
    let admin = app.fast_user("admin", hash).await;
    let lead = app.fast_user("lead", hash).await;
    let org_id = app.create_org(&admin, "Race Association").await;
    app.add_org_member(&admin, org_id, &lead, "member").await;
    let project_id = app
        .create_project(&lead, org_id, json!({"name": "Race project"}))
        .await;
    Round {
        org_id,
        project_id,
        admin,
        lead,
    }
}

/// The round's organisation-members and project-members collections.
fn paths(r: &Round) -> (String, String) {
    (
        format!("/api/v1/orgs/{}/members", r.org_id),
        format!("/api/v1/projects/{}/members", r.project_id),
    )
}

fn bearer(user: &TestUser) -> String {
    format!("Bearer {}", user.access_token)
}

#[actix_web::test]
async fn a_project_never_loses_its_last_staff_lead_under_concurrent_requests() {
    let app = spawn_app().await;
    let hash = app.password_hash().await;
    for _ in 0..ROUNDS {
        let r = round(&app, &hash).await;
        let second = app.fast_user("second-lead", &hash).await;
        app.add_org_member(&r.admin, r.org_id, &second, "member")
            .await;
        let added = app
            .post(
                &format!("/api/v1/projects/{}/members", r.project_id),
                Some(&r.lead.access_token),
                json!({"user_id": second.id, "role": "staff", "is_lead": true}),
            )
            .await;
        assert_eq!(added.status, 201, "{}", added.body);

        let org_member = format!("/api/v1/orgs/{}/members/{}", r.org_id, r.lead.id);
        let participation = format!("/api/v1/projects/{}/members/{}", r.project_id, second.id);
        // The organisation's admin does both, so neither request loses its caller's rights.
        let admin_auth = bearer(&r.admin);
        let remove_first = app.request(
            Method::DELETE,
            &org_member,
            Some(&r.admin.access_token),
            None,
        );
        let demote_second = app.patch_any_version(
            &participation,
            &admin_auth,
            json!({"is_lead": false}).to_string(),
        );
        let (removed, demoted) = join(remove_first, demote_second).await;
        let leads = count(
            &app,
            "SELECT COUNT(*) FROM project_members WHERE project_id = $1 \
             AND role = 'staff' AND is_lead AND left_at IS NULL",
            &[r.project_id],
        )
        .await;
        assert!(
            leads >= 1,
            "the project kept no staff lead (remove {}, demote {})",
            removed.status,
            demoted.status
        );
        assert!(
            removed.status == 409 || demoted.status == 409,
            "one of the two is refused: {} {}",
            removed.status,
            demoted.status
        );
    }
}

#[actix_web::test]
async fn a_person_is_never_staff_and_consultant_at_once_under_concurrent_requests() {
    let app = spawn_app().await;
    let hash = app.password_hash().await;
    for _ in 0..ROUNDS {
        let r = round(&app, &hash).await;
        let u = app.fast_user("u", &hash).await;
        let (_, project_members) = paths(&r);
        // U accepts an invitation to the organisation while a lead adds U as a consultant.
        let invitation = app
            .invite(
                &r.admin,
                r.org_id,
                json!({"user_id": u.id, "role": "member"}),
            )
            .await;
        let join_org = app.accept(&u, &invitation);
        let consult = app.post(
            &project_members,
            Some(&r.lead.access_token),
            json!({"user_id": u.id, "role": "consultant"}),
        );
        let (joined, consulting) = join(join_org, consult).await;
        let member = count(
            &app,
            "SELECT COUNT(*) FROM org_members WHERE org_id = $1 AND user_id = $2",
            &[r.org_id, u.id],
        )
        .await;
        let consultant = count(
            &app,
            "SELECT COUNT(*) FROM project_members WHERE project_id = $1 AND user_id = $2 \
             AND role = 'consultant' AND left_at IS NULL",
            &[r.project_id, u.id],
        )
        .await;
        assert!(
            !(member == 1 && consultant == 1),
            "both staff and an active consultant (join {}, consult {})",
            joined.status,
            consulting.status
        );
    }
}

#[actix_web::test]
async fn a_removed_employee_never_stays_staff_under_concurrent_requests() {
    let app = spawn_app().await;
    let hash = app.password_hash().await;
    for _ in 0..ROUNDS {
        let r = round(&app, &hash).await;
        let u = app.fast_user("u", &hash).await;
        app.add_org_member(&r.admin, r.org_id, &u, "member").await;
        let (org_members, project_members) = paths(&r);
        let membership = format!("{org_members}/{}", u.id);
        let leave_org = app.request(
            Method::DELETE,
            &membership,
            Some(&r.admin.access_token),
            None,
        );
        let join_project = app.post(
            &project_members,
            Some(&r.lead.access_token),
            json!({"user_id": u.id, "role": "staff"}),
        );
        let (left, joined) = join(leave_org, join_project).await;
        let member = count(
            &app,
            "SELECT COUNT(*) FROM org_members WHERE org_id = $1 AND user_id = $2",
            &[r.org_id, u.id],
        )
        .await;
        let staff = count(
            &app,
            "SELECT COUNT(*) FROM project_members WHERE project_id = $1 AND user_id = $2 \
             AND role = 'staff' AND left_at IS NULL",
            &[r.project_id, u.id],
        )
        .await;
        assert!(
            !(member == 0 && staff == 1),
            "active staff without being a member (leave {}, join {})",
            left.status,
            joined.status
        );
    }
}

#[actix_web::test]
async fn two_advances_from_the_same_stage_move_a_milestone_one_step() {
    let app = spawn_app().await;
    let w = app.world().await;
    let transitions = format!(
        "/api/v1/projects/{}/milestones/{}/transitions",
        w.project_id, w.milestone_id
    );
    let mut stage = "planned".to_owned();
    for _ in 0..2 {
        let body = json!({"action": "advance", "from": stage});
        let (a, b) = join(
            app.post(&transitions, Some(&w.lead.access_token), body.clone()),
            app.post(&transitions, Some(&w.staff.access_token), body),
        )
        .await;
        let mut statuses = [a.status, b.status];
        statuses.sort();
        assert_eq!(statuses, [200, 409], "{} / {}", a.body, b.body);
        let refused = if a.status == 409 { &a } else { &b };
        refused.assert_problem(409, "milestone_moved");
        let moved = if a.status == 200 { &a } else { &b };
        let next = moved.body["stage"].as_str().unwrap().to_owned();
        assert_ne!(next, stage);
        stage = next;
    }
    assert_eq!(stage, "shadowing", "two rounds, two steps");
}
