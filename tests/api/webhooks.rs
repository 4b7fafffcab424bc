//! Webhooks: Standard Webhooks signatures, subscriptions, retries, disabling, SSRF guard, and
//! two server instances sharing one database sending each delivery once.

use std::{
    collections::{BTreeMap, VecDeque},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, http::Method, web};
use serde_json::{Value, json};

use crate::{
    helpers::{TestApp, instance_on, spawn_app_with},
    world::World,
};

const FAST: [(&str, &str); 3] = [
    ("BUYIN_WEBHOOK_ALLOW_PRIVATE", "true"),
    ("BUYIN_WEBHOOK_POLL_MS", "50"),
    ("BUYIN_WEBHOOK_BACKOFF_SCALE", "0.001"),
];

#[derive(Clone, Debug)]
struct Received {
    headers: BTreeMap<String, String>,
    body: String,
}

/// A local HTTP receiver that records what it gets and answers with queued statuses (200 once
/// the queue is empty).
#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<Received>>>,
    statuses: Arc<Mutex<VecDeque<u16>>>,
    url: String,
}

impl Receiver {
    fn start() -> Receiver {
        Self::answering_after(Duration::ZERO)
    }

    /// A receiver that takes `delay` to answer each request (recorded on arrival).
    fn answering_after(delay: Duration) -> Receiver {
        let mut receiver = Receiver::default();
        let (got, statuses) = (receiver.got.clone(), receiver.statuses.clone());
        let server = HttpServer::new(move || {
            let (got, statuses) = (got.clone(), statuses.clone());
            App::new().default_service(web::to(move |req: HttpRequest, body: web::Bytes| {
                let (got, statuses) = (got.clone(), statuses.clone());
                async move {
                    let headers = req
                        .headers()
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_owned()))
                        .collect();
                    got.lock().unwrap().push(Received {
                        headers,
                        body: String::from_utf8_lossy(&body).into_owned(),
                    });
                    let status = statuses.lock().unwrap().pop_front().unwrap_or(200);
                    actix_web::rt::time::sleep(delay).await;
                    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap())
                        .finish()
                }
            }))
        })
        .workers(1)
        .bind("127.0.0.1:0")
        .unwrap();
        let port = server.addrs()[0].port();
        actix_web::rt::spawn(server.run());
        receiver.url = format!("http://127.0.0.1:{port}/hooks");
        receiver
    }

    fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    /// Waits until `count` requests satisfy `pred`, or fails after 10 s.
    async fn wait_for(&self, count: usize, pred: impl Fn(&Received) -> bool) -> Vec<Received> {
        let started = Instant::now();
        loop {
            let matching: Vec<Received> = self.received().into_iter().filter(|r| pred(r)).collect();
            if matching.len() >= count {
                return matching;
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "only {} of {count} deliveries arrived",
                matching.len()
            );
            actix_web::rt::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

fn of_type(kind: &'static str) -> impl Fn(&Received) -> bool {
    move |r| {
        serde_json::from_str::<Value>(&r.body)
            .map(|b| b["type"] == kind)
            .unwrap_or(false)
    }
}

async fn register(app: &TestApp, w: &World, url: &str, types: Value) -> (String, String) {
    let res = app
        .post(
            &format!("/api/v1/orgs/{}/webhooks", w.org_id),
            Some(&w.admin.access_token),
            json!({"url": url, "event_types": types}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.body);
    (
        res.body["id"].as_str().unwrap().to_owned(),
        res.body["secret"].as_str().unwrap().to_owned(),
    )
}

async fn rename_project(app: &TestApp, w: &World, name: &str) {
    let auth = format!("Bearer {}", w.lead.access_token);
    let res = app
        .patch_any_version(
            &format!("/api/v1/projects/{}", w.project_id),
            &auth,
            json!({"name": name}).to_string(),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
}

fn header_map(r: &Received) -> http::HeaderMap {
    let mut map = http::HeaderMap::new();
    for (k, v) in &r.headers {
        map.insert(
            http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            http::HeaderValue::from_str(v).unwrap(),
        );
    }
    map
}

#[actix_web::test]
async fn deliveries_are_signed_so_a_standard_webhooks_verifier_accepts_them() {
    let receiver = Receiver::start();
    let app = spawn_app_with(&FAST, |_| {}).await;
    let w = app.world().await;
    let (_, secret) = register(&app, &w, &receiver.url, json!(["*"])).await;
    assert!(secret.starts_with("whsec_"));
    rename_project(&app, &w, "Signed").await;
    let got = receiver.wait_for(1, of_type("project.updated")).await;
    let delivery = &got[0];
    let body: Value = serde_json::from_str(&delivery.body).unwrap();
    assert_eq!(body["data"]["data"]["changes"]["name"]["to"], "Signed");
    assert_eq!(body["data"]["project_id"], w.project_id.to_string());

    let verifier = standardwebhooks::Webhook::new(&secret).unwrap();
    let headers = header_map(delivery);
    verifier
        .verify(delivery.body.as_bytes(), &headers)
        .expect("the verifier accepts what buyin sends");
    let tampered = delivery.body.replace("Signed", "Forged");
    assert!(
        verifier.verify(tampered.as_bytes(), &headers).is_err(),
        "a changed body is rejected"
    );

    // An old timestamp is rejected even with a valid signature for it.
    let old = chrono::Utc::now().timestamp() - 3600;
    let id = headers["webhook-id"].to_str().unwrap().to_owned();
    let signature = verifier.sign(&id, old, delivery.body.as_bytes()).unwrap();
    let mut stale = headers.clone();
    stale.insert(
        "webhook-timestamp",
        http::HeaderValue::from_str(&old.to_string()).unwrap(),
    );
    stale.insert(
        "webhook-signature",
        http::HeaderValue::from_str(&signature).unwrap(),
    );
    assert!(
        verifier.verify(delivery.body.as_bytes(), &stale).is_err(),
        "an old timestamp is rejected"
    );
}

#[actix_web::test]
async fn only_subscribed_event_types_are_delivered_and_ping_always_is() {
    let receiver = Receiver::start();
    let app = spawn_app_with(&FAST, |_| {}).await;
    let w = app.world().await;
    let (id, _) = register(&app, &w, &receiver.url, json!(["milestone.signed_off"])).await;
    rename_project(&app, &w, "Not sent").await;
    let ping = app
        .post(
            &format!("/api/v1/orgs/{}/webhooks/{id}/ping", w.org_id),
            Some(&w.admin.access_token),
            json!({}),
        )
        .await;
    assert_eq!(ping.status, 202, "{}", ping.body);
    receiver.wait_for(1, of_type("ping")).await;
    assert!(
        receiver.received().iter().all(of_type("ping")),
        "project.updated is not subscribed"
    );
}

#[actix_web::test]
async fn a_failed_delivery_is_retried_with_the_same_webhook_id() {
    let receiver = Receiver::start();
    receiver.statuses.lock().unwrap().extend([500, 503]);
    let app = spawn_app_with(&FAST, |_| {}).await;
    let w = app.world().await;
    let (id, _) = register(&app, &w, &receiver.url, json!(["project.updated"])).await;
    rename_project(&app, &w, "Retried").await;
    let got = receiver.wait_for(3, of_type("project.updated")).await;
    let ids: std::collections::BTreeSet<&str> = got
        .iter()
        .map(|r| r.headers["webhook-id"].as_str())
        .collect();
    assert_eq!(ids.len(), 1, "every retry carries the same webhook-id");

    let started = Instant::now();
    loop {
        let list = app
            .get(
                &format!("/api/v1/orgs/{}/webhooks/{id}/deliveries", w.org_id),
                Some(&w.admin.access_token),
            )
            .await;
        let d = list.body["items"][0].clone();
        if d["status"] == "delivered" {
            assert_eq!(
                (d["attempt"].as_i64(), d["status_code"].as_i64()),
                (Some(3), Some(200))
            );
            // The log shows every attempt, not only the last.
            let attempts: Vec<(i64, i64)> = d["attempts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| {
                    (
                        a["attempt"].as_i64().unwrap(),
                        a["status_code"].as_i64().unwrap(),
                    )
                })
                .collect();
            assert_eq!(attempts, [(1, 500), (2, 503), (3, 200)]);
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(5), "{d}");
        actix_web::rt::time::sleep(Duration::from_millis(25)).await;
    }
}

#[actix_web::test]
async fn twenty_consecutive_failures_disable_the_webhook_and_an_event_records_it() {
    let receiver = Receiver::start();
    receiver.statuses.lock().unwrap().extend([500; 5]);
    let app = spawn_app_with(&FAST, |_| {}).await;
    let w = app.world().await;
    let (id, _) = register(&app, &w, &receiver.url, json!(["project.updated"])).await;
    use sea_orm::ConnectionTrait;
    app.db
        .execute_unprepared("UPDATE webhooks SET consecutive_failures = 19")
        .await
        .unwrap();
    rename_project(&app, &w, "Fails").await;
    let started = Instant::now();
    loop {
        let hook = app
            .get(
                &format!("/api/v1/orgs/{}/webhooks/{id}", w.org_id),
                Some(&w.admin.access_token),
            )
            .await;
        if hook.body["enabled"] == false {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(5), "{}", hook.body);
        actix_web::rt::time::sleep(Duration::from_millis(25)).await;
    }
    let events = app
        .get(
            &format!("/api/v1/orgs/{}/events?limit=100", w.org_id),
            Some(&w.admin.access_token),
        )
        .await;
    assert!(
        events.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["type"] == "webhook.disabled")
    );
}

#[actix_web::test]
async fn webhooks_must_be_http_urls_to_public_addresses() {
    let app = spawn_app_with(&[("BUYIN_WEBHOOK_ALLOW_PRIVATE", "false")], |_| {}).await;
    let ada = app.user("ada").await;
    let org = app.create_org(&ada, "Acme").await;
    let path = format!("/api/v1/orgs/{org}/webhooks");
    for url in [
        "http://127.0.0.1:9/x",
        "http://localhost/x",
        "http://10.1.2.3/x",
        "http://[::1]/x",
        "http://169.254.169.254/latest",
        "http://[64:ff9b::7f00:1]/x",
        "http://[64:ff9b::a9fe:a9fe]/x",
        "http://[::127.0.0.1]/x",
        "http://[::ffff:127.0.0.1]/x",
        "http://[2002:7f00:1::]/x",
        "http://[fec0::1]/x",
        "http://0.0.0.1/x",
        "http://0/x",
        "http://2130706433/x",
        "http://0x7f.1/x",
        "ftp://example.org/x",
        "not a url",
    ] {
        let res = app
            .post(
                &path,
                Some(&ada.access_token),
                json!({"url": url, "event_types": ["*"]}),
            )
            .await;
        res.assert_problem(422, "validation_failed");
        assert_eq!(res.error_fields(), ["url"], "{url}");
    }
    let bad_types = app
        .post(
            &path,
            Some(&ada.access_token),
            json!({"url": "http://127.0.0.1/x", "event_types": []}),
        )
        .await;
    assert!(bad_types.error_fields().contains(&"event_types".to_owned()));
}

#[actix_web::test]
async fn two_instances_on_one_database_send_every_delivery_exactly_once() {
    let receiver = Receiver::start();
    let first = spawn_app_with(&FAST, |_| {}).await;
    // A second server on the same database, with its own delivery worker.
    instance_on(&first.database_url(), &FAST).await;

    let w = first.world().await;
    register(&first, &w, &receiver.url, json!(["project.updated"])).await;
    for i in 0..12 {
        rename_project(&first, &w, &format!("Name {i}")).await;
    }
    receiver.wait_for(12, of_type("project.updated")).await;
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    let mut per_id: BTreeMap<String, usize> = BTreeMap::new();
    for r in receiver
        .received()
        .iter()
        .filter(|r| of_type("project.updated")(r))
    {
        *per_id.entry(r.headers["webhook-id"].clone()).or_default() += 1;
    }
    assert_eq!(per_id.len(), 12, "every event arrived");
    assert!(
        per_id.values().all(|n| *n == 1),
        "none was sent twice: {per_id:?}"
    );
}

#[actix_web::test]
async fn webhook_management_is_for_admins_and_the_secret_is_shown_once() {
    let receiver = Receiver::start();
    let app = spawn_app_with(&FAST, |_| {}).await;
    let w = app.world().await;
    let (id, secret) = register(&app, &w, &receiver.url, json!(["*"])).await;
    let one = app
        .get(
            &format!("/api/v1/orgs/{}/webhooks/{id}", w.org_id),
            Some(&w.admin.access_token),
        )
        .await;
    assert!(!String::from_utf8_lossy(&one.raw).contains(&secret));
    let patch = app
        .request(
            Method::PATCH,
            &format!("/api/v1/orgs/{}/webhooks/{id}", w.org_id),
            Some(&w.admin.access_token),
            Some(json!({"enabled": false, "event_types": ["milestone.signed_off"]})),
        )
        .await;
    assert_eq!(
        (
            patch.body["enabled"].as_bool(),
            patch.body["event_types"].clone()
        ),
        (Some(false), json!(["milestone.signed_off"]))
    );
    let gone = app
        .request(
            Method::DELETE,
            &format!("/api/v1/orgs/{}/webhooks/{id}", w.org_id),
            Some(&w.admin.access_token),
            None,
        )
        .await;
    assert_eq!(gone.status, 204);
    app.get(
        &format!("/api/v1/orgs/{}/webhooks/{id}", w.org_id),
        Some(&w.admin.access_token),
    )
    .await
    .assert_problem(404, "webhook_not_found");
}

/// Settings for an instance whose worker looks once at start-up and then not for a minute:
/// as good as stopped for the length of a test.
const IDLE: [(&str, &str); 2] = [
    ("BUYIN_WEBHOOK_ALLOW_PRIVATE", "true"),
    ("BUYIN_WEBHOOK_POLL_MS", "60000"),
];

#[actix_web::test]
async fn pending_deliveries_survive_and_are_sent_by_a_fresh_instance() {
    let receiver = Receiver::start();
    let first = spawn_app_with(&IDLE, |_| {}).await;
    let w = first.world().await;
    register(&first, &w, &receiver.url, json!(["project.updated"])).await;
    rename_project(&first, &w, "Queued").await;
    actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    assert!(
        receiver.received().is_empty(),
        "nothing is sent while no worker runs"
    );
    // "Restart": a new instance on the same database picks the queued delivery up.
    instance_on(&first.database_url(), &FAST).await;
    receiver.wait_for(1, of_type("project.updated")).await;
}

#[actix_web::test]
async fn the_address_is_checked_again_at_delivery() {
    let receiver = Receiver::start();
    let first = spawn_app_with(&IDLE, |_| {}).await;
    let w = first.world().await;
    let (id, _) = register(&first, &w, &receiver.url, json!(["project.updated"])).await;
    rename_project(&first, &w, "Blocked").await;
    // An instance that does not allow private addresses refuses to send to loopback.
    instance_on(
        &first.database_url(),
        &[FAST[1], FAST[2], ("BUYIN_WEBHOOK_ALLOW_PRIVATE", "false")],
    )
    .await;
    let started = Instant::now();
    loop {
        let list = first
            .get(
                &format!("/api/v1/orgs/{}/webhooks/{id}/deliveries", w.org_id),
                Some(&w.admin.access_token),
            )
            .await;
        let d = list.body["items"][0].clone();
        if d["attempt"].as_i64().unwrap_or(0) >= 1 {
            assert!(d["error"].as_str().unwrap().contains("loopback"), "{d}");
            assert_eq!(d["status_code"], Value::Null);
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(5), "{d}");
        actix_web::rt::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(receiver.received().is_empty());
}

#[actix_web::test]
async fn a_slow_receiver_does_not_hold_back_another_organisations_deliveries() {
    let slow = Receiver::answering_after(Duration::from_secs(3));
    let quick = Receiver::start();
    let app = spawn_app_with(&FAST, |_| {}).await;
    let w = app.world().await;
    register(&app, &w, &slow.url, json!(["project.updated"])).await;
    for i in 0..8 {
        rename_project(&app, &w, &format!("Slow {i}")).await;
    }
    slow.wait_for(1, of_type("project.updated")).await;
    // The other organisation's admin pings their own webhook while the slow ones are in flight.
    let hook = app
        .post(
            &format!("/api/v1/orgs/{}/webhooks", w.other_org_id),
            Some(&w.other.access_token),
            json!({"url": quick.url, "event_types": ["*"]}),
        )
        .await;
    let id = hook.body["id"].as_str().unwrap();
    let started = Instant::now();
    let ping = app
        .post(
            &format!("/api/v1/orgs/{}/webhooks/{id}/ping", w.other_org_id),
            Some(&w.other.access_token),
            json!({}),
        )
        .await;
    assert_eq!(ping.status, 202, "{}", ping.body);
    quick.wait_for(1, of_type("ping")).await;
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "the ping waited {:?} behind another organisation's receiver",
        started.elapsed()
    );
    // The slow organisation has at most four deliveries in flight at once.
    assert!(slow.received().len() <= 4, "{}", slow.received().len());
}

#[actix_web::test]
async fn two_instances_with_slow_receivers_still_send_every_delivery_once() {
    let receiver = Receiver::answering_after(Duration::from_millis(1500));
    let settings = [FAST[0], FAST[1], FAST[2], ("BUYIN_WEBHOOK_TIMEOUT", "2s")];
    let first = spawn_app_with(&settings, |_| {}).await;
    instance_on(&first.database_url(), &settings).await;
    let w = first.world().await;
    register(&first, &w, &receiver.url, json!(["project.updated"])).await;
    for i in 0..12 {
        rename_project(&first, &w, &format!("Name {i}")).await;
    }
    let started = Instant::now();
    while receiver.received().len() < 12 {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{}",
            receiver.received().len()
        );
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    // Longer than a lease (2 × (2 s + 5 s)): a claim that outlived its lease would be re-sent.
    actix_web::rt::time::sleep(Duration::from_secs(3)).await;
    let mut per_id: BTreeMap<String, usize> = BTreeMap::new();
    for r in receiver.received() {
        *per_id.entry(r.headers["webhook-id"].clone()).or_default() += 1;
    }
    assert_eq!(per_id.len(), 12, "every event arrived");
    assert!(
        per_id.values().all(|n| *n == 1),
        "none was sent twice: {per_id:?}"
    );
}

#[actix_web::test]
async fn the_delivery_client_connects_only_to_the_public_addresses_it_checked() {
    // Names are resolved by the client's own guarded resolver, so what it checks is what it
    // connects to: a name that resolves to loopback (as a rebinding DNS answer would) is refused
    // at connection time, without any earlier check.
    let receiver = Receiver::start();
    let port = receiver
        .url
        .split(':')
        .nth(2)
        .unwrap()
        .split('/')
        .next()
        .unwrap();
    let client = buyin::service::outbound::client(Duration::from_secs(2), false);
    let refused = client
        .post(format!("http://localhost:{port}/hooks"))
        .send_body("{}")
        .await;
    assert!(refused.is_err(), "connected to loopback");
    assert!(receiver.received().is_empty());
    let allowed = buyin::service::outbound::client(Duration::from_secs(2), true)
        .post(format!("http://localhost:{port}/hooks"))
        .send_body("{}")
        .await;
    assert_eq!(
        allowed.unwrap().status(),
        200,
        "the same client reaches it when allowed"
    );
}

#[actix_web::test]
async fn a_subscription_to_an_unknown_event_type_is_refused_naming_it() {
    let app = spawn_app_with(&FAST, |_| {}).await;
    let ada = app.user("ada").await;
    let org = app.create_org(&ada, "Acme").await;
    let path = format!("/api/v1/orgs/{org}/webhooks");
    let body = json!({"url": "http://127.0.0.1:9/x", "event_types": ["milestone.signed_off", "milestone.signedoff"]});
    let res = app.post(&path, Some(&ada.access_token), body).await;
    res.assert_problem(422, "validation_failed");
    assert_eq!(res.error_fields(), ["event_types"]);
    assert!(
        res.body["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("`milestone.signedoff`"))
    );

    // Every type the OpenAPI document lists is accepted, and so is "*".
    let doc = app.get("/openapi.json", None).await;
    let types = doc.body["components"]["schemas"]["EventType"]["enum"].clone();
    assert!(types.as_array().is_some_and(|t| t.len() >= 31));
    let res = app
        .post(
            &path,
            Some(&ada.access_token),
            json!({"url": "http://127.0.0.1:9/x", "event_types": types}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.body);
}
