//! The state on a day (DESIGN.md, "The state on a day", "One clock"): a report for an earlier
//! day is what was answered on that day, however stages, owners, memberships, away periods and
//! due dates changed since. The history is real: the server starts in the past and is restarted
//! later on the same database (`BUYIN_CLOCK_OFFSET`).

use chrono::{Duration, NaiveDate, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{PASSWORD, TestApp, TestResponse, TestUser, spawn_app_with};

fn day(offset_days: i64) -> NaiveDate {
    (Utc::now() + Duration::days(offset_days)).date_naive()
}

/// The cast every test here starts from, some days in the past: a staff lead who created the
/// project, a staff member of the organisation (`sam`) and a consultant, neither on the project
/// yet.
struct Story {
    app: TestApp,
    lead: TestUser,
    sam: TestUser,
    consultant: TestUser,
    project: Uuid,
}

impl Story {
    async fn begin(offset: &str, project: Value) -> Story {
        let app = spawn_app_with(&[("BUYIN_CLOCK_OFFSET", offset)], |_| {}).await;
        let lead = app.user("lead").await;
        let sam = app.user("sam").await;
        let consultant = app.user("consultant").await;
        let org = app.create_org(&lead, "Association").await;
        app.add_org_member(&lead, org, &sam, "member").await;
        let project = app.create_project(&lead, org, project).await;
        Story {
            app,
            lead,
            sam,
            consultant,
            project,
        }
    }

    /// Restarts the server with its clock at `offset`; everyone logs in again on it.
    async fn restart_at(&mut self, offset: &str) {
        self.app.restart_at(offset).await;
        for user in [&mut self.lead, &mut self.sam, &mut self.consultant] {
            let login = self.app.login(&user.email, PASSWORD).await;
            assert_eq!(login.status, 200, "{}", login.body);
            user.access_token = login.body["access_token"].as_str().unwrap().to_owned();
        }
    }

    /// `method` on the project's `path` (`""` is the project itself) as `by`, with `If-Match:
    /// *` where one is needed; the raw answer.
    async fn call(&self, method: &str, path: &str, by: &TestUser, body: Value) -> TestResponse {
        let path = format!("/api/v1/projects/{}{path}", self.project);
        let auth = format!("Bearer {}", by.access_token);
        match method {
            "POST" => self.app.post(&path, Some(&by.access_token), body).await,
            "PATCH" => {
                let body = body.to_string();
                self.app.patch_any_version(&path, &auth, body).await
            }
            "DELETE" => {
                let headers = [("if-match", "*"), ("authorization", auth.as_str())];
                let delete = actix_web::http::Method::DELETE;
                self.app.raw(delete, &path, &headers, "").await
            }
            _ => unreachable!("{method}"),
        }
    }

    /// Like [`Self::call`], for a change that must succeed; its body.
    async fn send(&self, method: &str, path: &str, by: &TestUser, body: Value) -> Value {
        let res = self.call(method, path, by, body).await;
        assert!(res.status < 300, "{method} {path}: {}", res.body);
        res.body
    }

    /// Creates a milestone; its id.
    async fn milestone(&self, body: Value) -> String {
        let created = self.send("POST", "/milestones", &self.lead, body).await;
        created["id"].as_str().unwrap().to_owned()
    }

    async fn advance(&self, milestone: &str, by: &TestUser, times: usize) {
        let path = format!("/milestones/{milestone}/transitions");
        for _ in 0..times {
            self.send("POST", &path, by, json!({"action": "advance"}))
                .await;
        }
    }

    async fn log(&self, by: &TestUser, on: NaiveDate, hours: f64, milestone: &str) {
        let entry = json!({"occurred_on": on, "hours": hours, "kind": "execution", "milestone_id": milestone});
        self.send("POST", "/activities", by, entry).await;
    }

    async fn join(&self, user: &TestUser, role: &str, weekly_hours: f64) {
        let body = json!({"user_id": user.id, "role": role, "weekly_hours": weekly_hours});
        self.send("POST", "/members", &self.lead, body).await;
    }

    /// The readiness report (as the lead) for `as_of`, or today.
    async fn report(&self, as_of: Option<NaiveDate>) -> Value {
        let query = as_of.map(|d| format!("?as_of={d}")).unwrap_or_default();
        let path = format!("/api/v1/projects/{}/readiness{query}", self.project);
        let res = self.app.get(&path, Some(&self.lead.access_token)).await;
        assert_eq!(res.status, 200, "{}", res.body);
        res.body
    }
}

/// A member's row of a report.
fn member(report: &Value, user: &TestUser) -> Value {
    report["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["user_id"] == json!(user.id))
        .unwrap()
        .clone()
}

#[actix_web::test]
async fn a_report_for_an_earlier_day_is_what_was_answered_on_that_day() {
    // Day 1, forty days ago.
    let mut s = Story::begin(
        "-40d",
        json!({"name": "AMS", "consultant_exit_date": day(-10)}),
    )
    .await;
    s.join(&s.sam, "staff", 10.0).await;
    s.join(&s.consultant, "consultant", 20.0).await;
    let dues = s
        .milestone(json!({"title": "Dues", "knowledge_area": "Dues", "staff_owner_id": s.sam.id, "due_date": day(-20)}))
        .await;
    let events = s
        .milestone(json!({"title": "Events", "knowledge_area": "Events", "due_date": day(-25)}))
        .await;
    s.advance(&dues, &s.consultant, 3).await;
    s.log(&s.sam, day(-40), 3.0, &dues).await;
    s.log(&s.consultant, day(-40), 2.0, &events).await;
    let day1 = s.report(None).await;
    assert_eq!(day1["as_of"], json!(day(-40)));
    assert_eq!(day1["milestones"]["by_stage"]["reverse_shadowing"], 1);

    // Day 2, ten days later: the owner and a due date move, Sam goes on leave and cuts his
    // commitment, the consultant leaves, a milestone is deleted, another added, dates move.
    s.restart_at("-30d").await;
    let (lead, sam) = (&s.lead, &s.sam);
    let change = json!({"staff_owner_id": lead.id, "due_date": day(-5)});
    s.send("PATCH", &format!("/milestones/{dues}"), lead, change)
        .await;
    let leave = json!({"weekly_hours": 4, "away": [{"from": day(-31), "until": day(-25)}]});
    s.send("PATCH", &format!("/members/{}", sam.id), lead, leave)
        .await;
    let consultant = format!("/members/{}", s.consultant.id);
    s.send("DELETE", &consultant, lead, json!(null)).await;
    s.send(
        "DELETE",
        &format!("/milestones/{events}"),
        lead,
        json!(null),
    )
    .await;
    let reports = s
        .milestone(
            json!({"title": "Reports", "knowledge_area": "reports ", "staff_owner_id": sam.id}),
        )
        .await;
    let dates = json!({"consultant_exit_date": day(30), "go_live_date": day(20)});
    s.send("PATCH", "", lead, dates).await;
    let day2 = s.report(None).await;
    assert_ne!(day2, day1);
    assert_eq!(
        day2["milestones"]["total"], 2,
        "Events is gone, Reports is new"
    );

    // Today: more changes still (stages too), then both days read back as they were answered.
    s.restart_at("0").await;
    let (lead, sam) = (&s.lead, &s.sam);
    let change = json!({"staff_owner_id": null, "due_date": day(40), "knowledge_area": "Finance"});
    s.send("PATCH", &format!("/milestones/{dues}"), lead, change)
        .await;
    let terms = json!({"weekly_hours": 20, "is_lead": true, "away": []});
    s.send("PATCH", &format!("/members/{}", sam.id), lead, terms)
        .await;
    s.send("PATCH", "", lead, json!({"consultant_exit_date": null}))
        .await;
    s.advance(&reports, sam, 2).await;
    assert_eq!(s.report(Some(day(-40))).await, day1);
    assert_eq!(s.report(Some(day(-30))).await, day2);
    assert_ne!(s.report(None).await, day2);
}

#[actix_web::test]
async fn leave_a_lead_records_afterwards_excuses_the_days_it_covers_from_then_on() {
    let mut s = Story::begin("-14d", json!({"name": "AMS"})).await;
    s.join(&s.sam, "staff", 7.0).await;
    s.restart_at("0").await;
    let (lead, sam) = (&s.lead, &s.sam);
    let own = format!("/members/{}", sam.id);
    // Nothing logged for two weeks: 14 days of 1 h expected, nothing credited.
    let before = s.report(Some(day(-1))).await;
    assert_eq!(before["components"]["commitment_adherence"], 0.0);
    assert_eq!(member(&before, sam)["expected_hours"], 14.0);
    // Sam cannot excuse his own past…
    let past = json!({"away": [{"from": day(-14), "until": day(-8)}]});
    s.call("PATCH", &own, sam, past)
        .await
        .assert_problem(403, "forbidden");
    // …but may announce leave from today on, and nothing else of his participation.
    let res = s
        .call(
            "PATCH",
            &own,
            sam,
            json!({"away": [{"from": day(0), "until": null}]}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.body["away"], json!([{"from": day(0), "until": null}]));
    s.call("PATCH", &own, sam, json!({"weekly_hours": 1}))
        .await
        .assert_problem(403, "forbidden");
    // Backwards (or overlapping) periods are refused.
    let backwards = json!({"away": [{"from": day(2), "until": day(1)}]});
    let res = s.call("PATCH", &own, sam, backwards).await;
    res.assert_problem(422, "validation_failed");
    assert_eq!(res.error_fields(), ["away[0].until"]);
    // The lead records the first week as leave. Reports from today on excuse the days it
    // covers (today's also excuses today: the open period); yesterday's report, read now, is
    // still what it was (the past is not rewritten).
    let both =
        json!({"away": [{"from": day(-14), "until": day(-8)}, {"from": day(0), "until": null}]});
    s.send("PATCH", &own, lead, both).await;
    assert_eq!(s.report(Some(day(-1))).await, before);
    let today = s.report(None).await;
    assert_eq!(member(&today, sam)["expected_hours"], 7.0);
    assert_eq!(member(&today, sam)["away"], true);
}

#[actix_web::test]
async fn a_closed_project_keeps_the_report_of_the_day_it_closed() {
    let mut s = Story::begin("-20d", json!({"name": "AMS", "go_live_date": day(-5)})).await;
    let lead = &s.lead;
    s.send(
        "PATCH",
        &format!("/members/{}", lead.id),
        lead,
        json!({"weekly_hours": 7}),
    )
    .await;
    let m = s
        .milestone(json!({"title": "Dues", "knowledge_area": "Dues", "staff_owner_id": lead.id}))
        .await;
    s.log(lead, day(-20), 2.0, &m).await;
    s.advance(&m, lead, 4).await;
    let sign_off = json!({"action": "sign_off"});
    s.send(
        "POST",
        &format!("/milestones/{m}/transitions"),
        lead,
        sign_off,
    )
    .await;
    s.send("PATCH", "", lead, json!({"status": "closed"})).await;
    let closing_day = s.report(None).await;
    assert_eq!(closing_day["frozen"], true);

    // Twenty days later nobody logs time any more, yet the closed project does not decay.
    s.restart_at("0").await;
    let later = s.report(None).await;
    assert_eq!(later["as_of"], json!(day(0)));
    assert_eq!(later["frozen"], true);
    let without_day = |mut r: Value| {
        r.as_object_mut().unwrap().remove("as_of");
        r
    };
    assert_eq!(without_day(later), without_day(closing_day));
}

/// (kind, user, on behalf of) of each next action.
fn actions(r: &Value) -> Vec<(String, Uuid, Option<Uuid>)> {
    r["next_actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["kind"].as_str().unwrap().to_owned(),
                a["user_id"].as_str().unwrap().parse().unwrap(),
                a["on_behalf_of"].as_str().map(|id| id.parse().unwrap()),
            )
        })
        .collect()
}

#[actix_web::test]
async fn away_owners_consultants_doing_the_work_and_a_stalled_project_each_get_their_action() {
    // Thirty days ago: Sam (staff, 14 h/week) owns "Dues" and does two hours of it himself;
    // the consultant clicks it up to reverse_shadowing; the lead committed 7 h/week.
    let mut s = Story::begin("-30d", json!({"name": "AMS"})).await;
    let (lead, sam) = (&s.lead, &s.sam);
    s.send(
        "PATCH",
        &format!("/members/{}", lead.id),
        lead,
        json!({"weekly_hours": 7}),
    )
    .await;
    s.join(sam, "staff", 14.0).await;
    s.join(&s.consultant, "consultant", 0.0).await;
    let dues = s
        .milestone(json!({"title": "Dues", "knowledge_area": "Dues", "staff_owner_id": sam.id, "due_date": day(-2)}))
        .await;
    s.log(sam, day(-30), 2.0, &dues).await;
    s.advance(&dues, &s.consultant, 3).await;
    // Ten days ago the consultant did three hours of it; Sam did nothing since.
    s.restart_at("-10d").await;
    s.log(&s.consultant, day(-10), 3.0, &dues).await;
    // Today the lead records that Sam has been away since yesterday.
    s.restart_at("0").await;
    let (lead, sam, consultant) = (&s.lead, &s.sam, &s.consultant);
    let away = json!({"away": [{"from": day(-1), "until": day(3)}]});
    s.send("PATCH", &format!("/members/{}", sam.id), lead, away)
        .await;

    let a = |kind: &str, user: &TestUser, behalf: Option<&TestUser>| {
        (kind.to_owned(), user.id, behalf.map(|u| u.id))
    };
    // Today: "Dues" is overdue and Sam is away, so the lead gets it on his behalf; nobody but
    // Sam could run "Dues" (bus factor 1); the lead logged nothing of 28 h; the consultant
    // did hands-on work Sam should be doing; Sam's milestone waits while he is away.
    let today = s.report(None).await;
    assert_eq!(
        actions(&today),
        [
            a("overdue", lead, Some(sam)),
            a("knowledge_at_risk", lead, None),
            a("log_time", lead, None),
            a("step_back", consultant, None),
            a("owner_away", lead, None),
        ]
    );
    // Eleven days ago: nothing logged for the fourteen days before, Sam was not away yet and
    // owed 40 h with 2 h logged (0.05), the lead 20 days of 1 h with none.
    let then = s.report(Some(day(-11))).await;
    assert_eq!(then["signals"]["stalled"], true);
    assert_eq!(
        actions(&then),
        [
            a("knowledge_at_risk", lead, None),
            a("log_time", lead, None),
            a("log_time", sam, None),
            a("project_stalled", lead, None),
        ]
    );
    let sam_then = member(&then, sam);
    assert_eq!(
        (&sam_then["expected_hours"], &sam_then["credited_hours"]),
        (&json!(40.0), &json!(2.0))
    );
}

#[actix_web::test]
async fn a_consultants_work_counts_for_step_back_fourteen_days_the_day_itself_included() {
    // Sam owns "Dues" at reverse_shadowing; the consultant does three hours of it 14 days ago
    // and nobody touches it since. "Step back" reads R, the 14 days ending on the report's day.
    let mut s = Story::begin("-20d", json!({"name": "AMS"})).await;
    s.join(&s.sam, "staff", 7.0).await;
    s.join(&s.consultant, "consultant", 0.0).await;
    let dues = s
        .milestone(json!({"title": "Dues", "knowledge_area": "Dues", "staff_owner_id": s.sam.id}))
        .await;
    s.advance(&dues, &s.consultant, 3).await;
    s.restart_at("-14d").await;
    s.log(&s.consultant, day(-14), 3.0, &dues).await;
    s.restart_at("0").await;
    let step_back = |report: &Value| {
        actions(report)
            .iter()
            .filter(|(kind, user, _)| kind == "step_back" && *user == s.consultant.id)
            .count()
    };
    for (on, expected) in [(-15, 0), (-14, 1), (-8, 1), (-1, 1), (0, 0)] {
        let report = s.report(Some(day(on))).await;
        assert_eq!(step_back(&report), expected, "as of day {on}");
    }
    // The portfolio reads today with 28 days earlier (their work in fortnights): the same.
    let res = s
        .app
        .get(
            "/api/v1/readiness/portfolio",
            Some(&s.consultant.access_token),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    let today = actions(&s.report(None).await);
    let theirs = today.iter().filter(|(_, user, _)| *user == s.consultant.id);
    assert_eq!(
        res.body["items"][0]["my_next_actions"],
        json!(theirs.count())
    );
    assert_eq!(res.body["items"][0]["next_actions"], json!(today.len()));
}

impl Story {
    /// `…/readiness/changes` (as the lead) since `since`, to `as_of` or today.
    async fn changes(&self, since: NaiveDate, as_of: Option<NaiveDate>) -> TestResponse {
        let to = as_of.map(|d| format!("&as_of={d}")).unwrap_or_default();
        let path = format!(
            "/api/v1/projects/{}/readiness/changes?since={since}{to}",
            self.project
        );
        self.app.get(&path, Some(&self.lead.access_token)).await
    }
}

#[actix_web::test]
async fn the_changes_between_two_days_list_exactly_what_happened_and_what_got_better() {
    // Ten days ago: Sam and a consultant on the project, two milestones without an owner.
    let mut s = Story::begin("-10d", json!({"name": "AMS"})).await;
    s.join(&s.sam, "staff", 4.0).await;
    s.join(&s.consultant, "consultant", 10.0).await;
    let dues = s
        .milestone(
            json!({"title": "Dues", "knowledge_area": "dues invoicing", "due_date": day(30)}),
        )
        .await;
    s.milestone(json!({"title": "Events", "knowledge_area": "events"}))
        .await;
    let before = s.report(None).await;

    // Today: Sam owns the dues invoicing, does it, and the consultant moves it up the ladder;
    // the consultant leaves.
    s.restart_at("0").await;
    let owner = json!({"staff_owner_id": s.sam.id});
    s.send("PATCH", &format!("/milestones/{dues}"), &s.lead, owner)
        .await;
    s.log(&s.sam, day(0), 2.0, &dues).await;
    s.advance(&dues, &s.consultant, 2).await;
    s.send(
        "DELETE",
        &format!("/members/{}", s.consultant.id),
        &s.lead,
        json!(null),
    )
    .await;
    let after = s.report(None).await;

    let res = s.changes(day(-10), None).await;
    assert_eq!(res.status, 200, "{}", res.body);
    let c = &res.body;
    assert_eq!(c["since"], json!(day(-10)));
    assert_eq!(c["as_of"], json!(day(0)));
    assert_eq!(
        c["score"],
        json!({"from": before["score"], "to": after["score"]})
    );
    assert_eq!(
        c["components"]["ownership_coverage"],
        json!({"from": 0.0, "to": 0.5}),
        "{c}"
    );
    let moves: Vec<(&str, &str, &str)> = c["moved"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["from"].as_str().unwrap(),
                m["to"].as_str().unwrap(),
                m["by_name"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        moves,
        [
            ("planned", "consultant_led", "consultant"),
            ("consultant_led", "shadowing", "consultant")
        ]
    );
    assert_eq!(c["moved"][0]["title"], "Dues");
    assert_eq!(c["owners_named"][0]["owner_id"], json!(s.sam.id));
    assert_eq!(c["owners_lost"], json!([]));
    assert_eq!(c["handed_off"], json!([]));
    assert_eq!(c["joined"], json!([]));
    assert_eq!(c["left"][0]["user_id"], json!(s.consultant.id));
    assert_eq!(c["went_away"], json!([]));
    let better: Vec<&str> = c["got_better"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b.as_str().unwrap())
        .collect();
    assert!(
        better.contains(&"sam now owns dues invoicing"),
        "{better:?}"
    );
    assert!(
        better.contains(&"ownership coverage 0.00 → 0.50"),
        "{better:?}"
    );

    // Between two days on which nothing changed, nothing is listed and nothing got better.
    let quiet = s.changes(day(-9), Some(day(-2))).await;
    assert_eq!(quiet.status, 200, "{}", quiet.body);
    assert_eq!(quiet.body["moved"], json!([]));
    assert_eq!(quiet.body["got_better"], json!([]));
    assert_eq!(quiet.body["score"]["from"], quiet.body["score"]["to"]);
}

#[actix_web::test]
async fn changes_are_asked_between_two_days_of_the_project() {
    let mut s = Story::begin("-3d", json!({"name": "AMS"})).await;
    s.restart_at("0").await;
    for (since, as_of) in [
        (day(-4), None),
        (day(-1), Some(day(1))),
        (day(0), Some(day(-1))),
    ] {
        let res = s.changes(since, as_of).await;
        res.assert_problem(422, "invalid_as_of");
    }
    assert_eq!(s.changes(day(-3), None).await.status, 200);
    let outsider = s.app.user("outsider").await;
    let path = format!(
        "/api/v1/projects/{}/readiness/changes?since={}",
        s.project,
        day(-1)
    );
    assert_eq!(
        s.app.get(&path, Some(&outsider.access_token)).await.status,
        404
    );
}

impl Story {
    /// `GET …/readiness/history{query}` as the lead.
    async fn history(&self, query: &str) -> TestResponse {
        let path = format!("/api/v1/projects/{}/readiness/history{query}", self.project);
        self.app.get(&path, Some(&self.lead.access_token)).await
    }
}

/// The project of the story over forty days: people join, a milestone climbs with staff work,
/// an owner is named, a consultant does the work for a while and then leaves.
async fn forty_days() -> Story {
    let mut s = Story::begin(
        "-40d",
        json!({"name": "AMS", "consultant_exit_date": day(10)}),
    )
    .await;
    s.join(&s.sam, "staff", 6.0).await;
    s.join(&s.consultant, "consultant", 20.0).await;
    let dues = s
        .milestone(json!({"title": "Dues", "knowledge_area": "dues", "due_date": day(-5)}))
        .await;
    s.log(&s.consultant, day(-40), 8.0, &dues).await;
    s.log(&s.sam, day(-40), 2.0, &dues).await;
    s.restart_at("-20d").await;
    let owner = json!({"staff_owner_id": s.sam.id});
    s.send("PATCH", &format!("/milestones/{dues}"), &s.lead, owner)
        .await;
    s.advance(&dues, &s.consultant, 3).await;
    s.log(&s.sam, day(-20), 3.0, &dues).await;
    s.log(&s.consultant, day(-21), 1.0, &dues).await;
    s.restart_at("-3d").await;
    s.advance(&dues, &s.sam, 1).await;
    let leave = format!("/members/{}", s.consultant.id);
    s.send("DELETE", &leave, &s.lead, json!(null)).await;
    s.restart_at("0").await;
    s
}

fn headline(report: &Value) -> Value {
    json!({
        "as_of": report["as_of"],
        "frozen": report["frozen"],
        "score": report["score"],
        "components": report["components"],
        "signals": report["signals"],
    })
}

#[actix_web::test]
async fn history_points_equal_the_reports_of_their_days() {
    let s = forty_days().await;
    // Weekly from before the project began: the points end today, 7 days apart, none before
    // the project's creation day (40 days ago: the first point is 35 days ago).
    let res = s.history(&format!("?from={}&every=week", day(-60))).await;
    assert_eq!(res.status, 200, "{}", res.body);
    let points = res.body["points"].as_array().unwrap();
    let days: Vec<Value> = (0..=5).rev().map(|w| json!(day(-7 * w))).collect();
    let got: Vec<Value> = points.iter().map(|p| p["as_of"].clone()).collect();
    assert_eq!(got, days);
    assert_eq!(res.body["from"], json!(day(-35)));
    assert_eq!(res.body["to"], json!(day(0)));
    assert_eq!(res.body["every"], "week");
    assert_eq!(res.body["model"], 2);
    for point in points {
        let on: NaiveDate = serde_json::from_value(point["as_of"].clone()).unwrap();
        assert_eq!(point, &headline(&s.report(Some(on)).await), "{on}");
    }
    // The scores are not all alike: the history moves.
    let scores: std::collections::BTreeSet<u64> = points
        .iter()
        .map(|p| p["score"].as_u64().unwrap())
        .collect();
    assert!(scores.len() > 1, "{scores:?}");

    // Day by day over the last three weeks, on days that are not a week apart from `to`.
    let res = s
        .history(&format!("?from={}&to={}&every=day", day(-24), day(-2)))
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    let points = res.body["points"].as_array().unwrap();
    assert_eq!(points.len(), 23);
    for point in points {
        let on: NaiveDate = serde_json::from_value(point["as_of"].clone()).unwrap();
        assert_eq!(point, &headline(&s.report(Some(on)).await), "{on}");
    }

    // The portfolio's score 28 days earlier is the report of that day.
    let res = s
        .app
        .get("/api/v1/readiness/portfolio", Some(&s.lead.access_token))
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    let row = &res.body["items"][0];
    let earlier = s.report(Some(day(-28))).await;
    let now = s.report(None).await;
    assert_eq!(row["score_28_days_ago"], earlier["score"]);
    let change = now["score"].as_i64().unwrap() - earlier["score"].as_i64().unwrap();
    assert_eq!(row["score_change"], json!(change));
    assert_eq!(row["score"], now["score"]);
}

#[actix_web::test]
async fn a_history_is_asked_within_the_project_and_at_most_366_points() {
    let mut s = Story::begin("-400d", json!({"name": "AMS"})).await;
    s.restart_at("0").await;
    let refused = |res: TestResponse, code: &str, field: &str| {
        assert_eq!(res.status, 422, "{}", res.body);
        assert_eq!(res.body["code"], code, "{}", res.body);
        assert_eq!(res.body["errors"][0]["field"], field, "{}", res.body);
    };
    refused(
        s.history(&format!("?from={}&every=day", day(-400))).await,
        "too_many_points",
        "from",
    );
    refused(
        s.history(&format!("?to={}", day(1))).await,
        "invalid_as_of",
        "to",
    );
    refused(
        s.history(&format!("?from={}&to={}", day(-1), day(-2)))
            .await,
        "invalid_as_of",
        "from",
    );
    // 366 days, day by day, is the most; by the week, the whole project.
    let res = s.history(&format!("?from={}&every=day", day(-365))).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.body["points"].as_array().unwrap().len(), 366);
    let res = s.history(&format!("?from={}", day(-400))).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.body["points"].as_array().unwrap().len(), 58);
    // Defaults: 13 weekly points ending today.
    let res = s.history("").await;
    assert_eq!(res.body["points"].as_array().unwrap().len(), 13);
    assert_eq!(res.body["from"], json!(day(-84)));
    let res = s.history("?every=month").await;
    assert_eq!(res.status, 400, "{}", res.body);
}
