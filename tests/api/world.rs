//! A fixture world for authorisation tests: one organisation with a project and one person of
//! every kind, plus a second organisation. Users are created directly in the database (no
//! Argon2 per user), everything else through the API.

use buyin::repo::{sessions, users};
use serde_json::json;
use uuid::Uuid;

use crate::helpers::{PASSWORD, TestApp, TestUser};

pub struct World {
    pub org_id: Uuid,
    pub project_id: Uuid,
    pub other_org_id: Uuid,
    pub other_project_id: Uuid,
    /// A milestone of the project owned by `staff`, with one criterion.
    pub milestone_id: Uuid,
    pub criterion_id: Uuid,
    /// An hour `staff` logged on the milestone today.
    pub activity_id: Uuid,
    /// An open agreed action owned by `staff`, waiting on the vendor.
    pub action_id: Uuid,
    /// A critical test script owned by `staff`, never run.
    pub script_id: Uuid,
    /// The organisation's API keys (secrets), and the id of a third, spare key.
    pub key_read: String,
    pub key_write: String,
    pub spare_key_id: Uuid,
    /// A webhook of the organisation (to a closed loopback port).
    pub webhook_id: Uuid,
    /// The organisation's pending invitation of `outsider` (by email), as the admin made it.
    pub invitation_id: String,
    /// Admin of the organisation, not a project member.
    pub admin: TestUser,
    /// Staff lead of the project (and an ordinary org member).
    pub lead: TestUser,
    /// Staff member of the project (org member, not a lead).
    pub staff: TestUser,
    /// Consultant on the project (not an org member).
    pub consultant: TestUser,
    /// An account with no organisation.
    pub outsider: TestUser,
    /// Admin and project lead of the other organisation.
    pub other: TestUser,
    /// An org member who is not on the project.
    pub spare_member: TestUser,
    /// An account with no organisation, never added anywhere.
    pub spare_outsider: TestUser,
}

impl TestApp {
    /// A user with [`PASSWORD`], a session and tokens, made without hashing anything.
    pub async fn fast_user(&self, name: &str, password_hash: &str) -> TestUser {
        let email = format!("{name}-{}@example.org", Uuid::new_v4().simple());
        let now = self.state.clock.now();
        let user = users::insert_user(
            &self.db,
            users::NewUser {
                email: email.clone(),
                display_name: name.to_owned(),
                password_hash: password_hash.to_owned(),
            },
            now,
        )
        .await
        .unwrap();
        let session =
            sessions::insert_session(&self.db, user.id, now + chrono::Duration::days(1), now)
                .await
                .unwrap();
        let (refresh_token, hash) = buyin::service::tokens::new_refresh_token();
        sessions::insert_refresh_token(&self.db, session.id, hash, now)
            .await
            .unwrap();
        TestUser {
            id: user.id,
            email,
            access_token: self
                .state
                .tokens
                .issue_access_token(user.id, session.id)
                .unwrap(),
            refresh_token,
        }
    }

    /// The world's project's event log (its first 100 events), oldest first, as its lead reads it.
    pub async fn project_events(&self, w: &World) -> Vec<serde_json::Value> {
        let res = self
            .get(
                &format!("/api/v1/projects/{}/events?limit=100", w.project_id),
                Some(&w.lead.access_token),
            )
            .await;
        assert_eq!(res.status, 200, "{}", res.body);
        res.body["items"].as_array().cloned().unwrap_or_default()
    }

    /// After [`TestApp::restart_at`]: the world's lead, staff member and consultant log in again
    /// on the new clock.
    pub async fn log_in_again(&self, w: &mut World) {
        for user in [&mut w.lead, &mut w.staff, &mut w.consultant] {
            let login = self.login(&user.email, PASSWORD).await;
            assert_eq!(login.status, 200, "{}", login.body);
            user.access_token = login.body["access_token"].as_str().unwrap().to_owned();
        }
    }

    pub async fn password_hash(&self) -> String {
        self.state.passwords.hash(PASSWORD).await.unwrap()
    }

    pub async fn create_org(&self, owner: &TestUser, name: &str) -> Uuid {
        let res = self
            .post(
                "/api/v1/orgs",
                Some(&owner.access_token),
                json!({"name": name}),
            )
            .await;
        assert_eq!(res.status, 201, "create org: {}", res.body);
        res.body["id"].as_str().unwrap().parse().unwrap()
    }

    /// `admin` invites `user` to the organisation by account id, and `user` accepts.
    pub async fn add_org_member(
        &self,
        admin: &TestUser,
        org_id: Uuid,
        user: &TestUser,
        role: &str,
    ) {
        let invitation = self
            .invite(admin, org_id, json!({"user_id": user.id, "role": role}))
            .await;
        let res = self.accept(user, &invitation).await;
        assert_eq!(res.status, 201, "accept invitation: {}", res.body);
    }

    /// An invitation to the organisation (`body`: `email` or `user_id`, and `role`); its id.
    pub async fn invite(&self, admin: &TestUser, org_id: Uuid, body: serde_json::Value) -> String {
        let res = self
            .post(
                &format!("/api/v1/orgs/{org_id}/members"),
                Some(&admin.access_token),
                body,
            )
            .await;
        assert_eq!(res.status, 202, "invite: {}", res.body);
        res.body["id"].as_str().unwrap().to_owned()
    }

    pub async fn accept(&self, user: &TestUser, invitation: &str) -> crate::helpers::TestResponse {
        self.post(
            &format!("/api/v1/me/invitations/{invitation}/accept"),
            Some(&user.access_token),
            json!({}),
        )
        .await
    }

    pub async fn create_project(
        &self,
        creator: &TestUser,
        org_id: Uuid,
        body: serde_json::Value,
    ) -> Uuid {
        let res = self
            .post(
                &format!("/api/v1/orgs/{org_id}/projects"),
                Some(&creator.access_token),
                body,
            )
            .await;
        assert_eq!(res.status, 201, "create project: {}", res.body);
        res.body["id"].as_str().unwrap().parse().unwrap()
    }

    pub async fn add_project_member(
        &self,
        lead: &TestUser,
        project_id: Uuid,
        user: &TestUser,
        role: &str,
    ) {
        let res = self
            .post(
                &format!("/api/v1/projects/{project_id}/members"),
                Some(&lead.access_token),
                json!({"user_id": user.id, "role": role}),
            )
            .await;
        assert_eq!(res.status, 201, "add project member: {}", res.body);
    }

    pub async fn world(&self) -> World {
        let hash = self.password_hash().await;
        self.world_with_hash(&hash).await
    }

    pub async fn world_with_hash(&self, hash: &str) -> World {
        let admin = self.fast_user("admin", hash).await;
        let lead = self.fast_user("lead", hash).await;
        let staff = self.fast_user("staff", hash).await;
        let consultant = self.fast_user("consultant", hash).await;
        let outsider = self.fast_user("outsider", hash).await;
        let other = self.fast_user("other", hash).await;
        let spare_member = self.fast_user("spare", hash).await;
        let spare_outsider = self.fast_user("spare-outsider", hash).await;

        let org_id = self.create_org(&admin, "Acme Association").await;
        for user in [&lead, &staff, &spare_member] {
            self.add_org_member(&admin, org_id, user, "member").await;
        }
        let project_id = self
            .create_project(&lead, org_id, json!({"name": "Move to the new AMS"}))
            .await;
        self.add_project_member(&lead, project_id, &staff, "staff")
            .await;
        self.add_project_member(&lead, project_id, &consultant, "consultant")
            .await;

        let milestone = self
            .post(
                &format!("/api/v1/projects/{project_id}/milestones"),
                Some(&lead.access_token),
                json!({"title": "Run the dues invoicing", "knowledge_area": "dues invoicing",
                       "staff_owner_id": staff.id, "consultant_id": consultant.id,
                       "acceptance_criteria": ["Invoices for one month sent without help"]}),
            )
            .await;
        assert_eq!(
            milestone.status, 201,
            "create milestone: {}",
            milestone.body
        );
        let milestone_id = milestone.body["id"].as_str().unwrap().parse().unwrap();
        let criterion_id = milestone.body["criteria"][0]["id"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        let activity = self
            .post(
                &format!("/api/v1/projects/{project_id}/activities"),
                Some(&staff.access_token),
                json!({"occurred_on": self.state.clock.now().date_naive(), "hours": 1, "kind": "execution", "milestone_id": milestone_id}),
            )
            .await;
        assert_eq!(activity.status, 201, "log activity: {}", activity.body);
        let activity_id = activity.body["id"].as_str().unwrap().parse().unwrap();
        let action = self
            .post(
                &format!("/api/v1/projects/{project_id}/actions"),
                Some(&lead.access_token),
                json!({"title": "Send the vendor the invoice template", "owner_id": staff.id,
                       "waiting_on": {"party": "vendor", "name": "Acme AMS"}}),
            )
            .await;
        assert_eq!(action.status, 201, "create action: {}", action.body);
        let action_id = action.body["id"].as_str().unwrap().parse().unwrap();
        let script = self
            .post(
                &format!("/api/v1/projects/{project_id}/test-scripts"),
                Some(&lead.access_token),
                json!({"title": "Invoice one month of dues", "knowledge_area": "dues invoicing",
                       "steps": "Run the invoices; check three by hand.", "critical": true,
                       "owner_id": staff.id}),
            )
            .await;
        assert_eq!(script.status, 201, "create test script: {}", script.body);
        let script_id = script.body["id"].as_str().unwrap().parse().unwrap();

        let key = |scope: &'static str| {
            let admin = &admin;
            async move {
                let res = self
                    .post(
                        &format!("/api/v1/orgs/{org_id}/api-keys"),
                        Some(&admin.access_token),
                        json!({"name": scope, "scope": scope}),
                    )
                    .await;
                assert_eq!(res.status, 201, "create key: {}", res.body);
                (
                    res.body["secret"].as_str().unwrap().to_owned(),
                    res.body["id"].as_str().unwrap().parse::<Uuid>().unwrap(),
                )
            }
        };
        let (key_read, _) = key("read").await;
        let (key_write, _) = key("write").await;
        let (_, spare_key_id) = key("read").await;

        let hook = self
            .post(
                &format!("/api/v1/orgs/{org_id}/webhooks"),
                Some(&admin.access_token),
                json!({"url": "http://127.0.0.1:9/hook", "event_types": ["milestone.signed_off"]}),
            )
            .await;
        assert_eq!(hook.status, 201, "create webhook: {}", hook.body);
        let webhook_id = hook.body["id"].as_str().unwrap().parse().unwrap();

        let invitation_id = self
            .invite(
                &admin,
                org_id,
                json!({"email": outsider.email, "role": "member"}),
            )
            .await;

        let other_org_id = self.create_org(&other, "Other Association").await;
        let other_project_id = self
            .create_project(&other, other_org_id, json!({"name": "Their project"}))
            .await;
        World {
            org_id,
            project_id,
            other_org_id,
            other_project_id,
            milestone_id,
            criterion_id,
            activity_id,
            action_id,
            script_id,
            key_read,
            key_write,
            spare_key_id,
            webhook_id,
            invitation_id,
            admin,
            lead,
            staff,
            consultant,
            outsider,
            other,
            spare_member,
            spare_outsider,
        }
    }
}
