//! Every error is problem+json, including the framework's own; bad input is a clear 4xx.

use actix_web::{HttpResponse, http::Method, web};
use serde_json::json;

use crate::helpers::{PASSWORD, spawn_app, spawn_app_with};

const JSON: (&str, &str) = ("content-type", "application/json");

#[actix_web::test]
async fn malformed_json_is_a_400_problem() {
    let app = spawn_app().await;
    let res = app
        .raw(
            Method::POST,
            "/api/v1/auth/register",
            &[JSON],
            r#"{"email": "#,
        )
        .await;
    res.assert_problem(400, "malformed_json");
}

#[actix_web::test]
async fn a_body_that_is_not_json_is_a_415_problem() {
    let app = spawn_app().await;
    let res = app
        .raw(
            Method::POST,
            "/api/v1/auth/login",
            &[("content-type", "text/plain")],
            "hello",
        )
        .await;
    res.assert_problem(415, "unsupported_media_type");
    let none = app.raw(Method::POST, "/api/v1/auth/login", &[], "{}").await;
    none.assert_problem(415, "unsupported_media_type");
}

#[actix_web::test]
async fn unknown_fields_are_refused_naming_the_field() {
    let app = spawn_app().await;
    let res = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({"email": "a@example.org", "password": PASSWORD, "display_name": "A", "is_admin": true}),
        )
        .await;
    res.assert_problem(400, "invalid_body");
    assert!(
        res.body["detail"].as_str().unwrap().contains("is_admin"),
        "{}",
        res.body
    );
}

#[actix_web::test]
async fn wrong_types_and_missing_fields_are_400_naming_the_field() {
    let app = spawn_app().await;
    let res = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({"email": 42, "password": PASSWORD}),
        )
        .await;
    res.assert_problem(400, "invalid_body");
    assert_eq!(res.error_fields(), ["email"]);

    let missing = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({"email": "a@example.org"}),
        )
        .await;
    missing.assert_problem(400, "invalid_body");
    assert!(
        missing.body["detail"]
            .as_str()
            .unwrap()
            .contains("password")
    );

    let not_an_object = app.post("/api/v1/auth/login", None, json!(["a"])).await;
    not_an_object.assert_problem(400, "invalid_body");
}

#[actix_web::test]
async fn nul_bytes_are_refused_in_every_string() {
    let app = spawn_app().await;
    let res = app
        .register("ada@example.org", PASSWORD, "Ada\u{0}Lovelace")
        .await;
    res.assert_problem(400, "nul_byte");
    assert_eq!(res.error_fields(), ["display_name"]);

    let in_password = app
        .login("ada@example.org", "pass\u{0}word-long-enough")
        .await;
    in_password.assert_problem(400, "nul_byte");
    assert_eq!(in_password.error_fields(), ["password"]);
}

#[actix_web::test]
async fn a_body_over_64_kib_is_a_413_problem() {
    let app = spawn_app().await;
    let big = format!(
        r#"{{"email": "a@example.org", "password": "{}"}}"#,
        "x".repeat(70 * 1024)
    );
    let res = app
        .raw(Method::POST, "/api/v1/auth/login", &[JSON], big)
        .await;
    res.assert_problem(413, "payload_too_large");
}

#[actix_web::test]
async fn an_unknown_route_is_a_404_problem() {
    let app = spawn_app().await;
    app.get("/api/v1/nothing-here", None)
        .await
        .assert_problem(404, "route_not_found");
    app.get("/", None)
        .await
        .assert_problem(404, "route_not_found");
}

#[actix_web::test]
async fn a_wrong_method_is_a_405_problem_with_allow() {
    let app = spawn_app().await;
    let res = app.request(Method::DELETE, "/api/v1/me", None, None).await;
    res.assert_problem(405, "method_not_allowed");
    assert_eq!(res.header("allow"), Some("GET"));
    let res = app.get("/api/v1/auth/login", None).await;
    res.assert_problem(405, "method_not_allowed");
    assert_eq!(res.header("allow"), Some("POST"));
}

fn panicking_route(cfg: &mut web::ServiceConfig) {
    async fn boom() -> HttpResponse {
        panic!("secret detail that must stay in the log");
    }
    cfg.route("/test/panic", web::get().to(boom));
}

#[actix_web::test]
async fn a_panicking_handler_is_a_generic_500_problem() {
    let app = spawn_app_with(&[], panicking_route).await;
    let res = app.get("/test/panic", None).await;
    res.assert_problem(500, "internal_error");
    assert!(
        !String::from_utf8_lossy(&res.raw).contains("secret"),
        "the cause stays in the log"
    );
    assert!(res.header("x-request-id").is_some());
    // The server keeps serving.
    assert_eq!(app.get("/healthz", None).await.status, 200);
}

#[actix_web::test]
async fn a_request_id_is_echoed_or_generated() {
    let app = spawn_app().await;
    let res = app
        .raw(Method::GET, "/healthz", &[("x-request-id", "abc-123")], "")
        .await;
    assert_eq!(res.header("x-request-id"), Some("abc-123"));
    let generated = app.get("/healthz", None).await;
    assert!(
        generated
            .header("x-request-id")
            .is_some_and(|id| id.len() == 36)
    );
    let hostile = app
        .raw(
            Method::GET,
            "/healthz",
            &[("x-request-id", "a b<script>")],
            "",
        )
        .await;
    assert_ne!(
        hostile.header("x-request-id"),
        Some("a b<script>"),
        "unsafe ids are replaced"
    );
}

#[actix_web::test]
async fn responses_carry_no_store_and_nosniff() {
    let app = spawn_app().await;
    for res in [
        app.get("/api/v1/me", None).await,
        app.get("/healthz", None).await,
    ] {
        assert_eq!(res.header("cache-control"), Some("no-store"));
        assert_eq!(res.header("x-content-type-options"), Some("nosniff"));
    }
}

#[actix_web::test]
async fn cors_is_off_unless_origins_are_configured() {
    let app = spawn_app().await;
    let res = app
        .raw(
            Method::GET,
            "/healthz",
            &[("origin", "https://app.example.org")],
            "",
        )
        .await;
    assert_eq!(res.status, 200);
    assert!(res.header("access-control-allow-origin").is_none());

    let app = spawn_app_with(&[("BUYIN_CORS_ORIGINS", "https://app.example.org")], |_| {}).await;
    let allowed = app
        .raw(
            Method::GET,
            "/healthz",
            &[("origin", "https://app.example.org")],
            "",
        )
        .await;
    assert_eq!(
        allowed.header("access-control-allow-origin"),
        Some("https://app.example.org")
    );
    let preflight = app
        .raw(
            Method::OPTIONS,
            "/api/v1/me",
            &[
                ("origin", "https://app.example.org"),
                ("access-control-request-method", "GET"),
                ("access-control-request-headers", "authorization"),
            ],
            "",
        )
        .await;
    assert_eq!(preflight.status, 200);
    assert_eq!(
        preflight.header("access-control-allow-origin"),
        Some("https://app.example.org")
    );
}

#[actix_web::test]
async fn a_browser_may_send_a_request_id_and_read_the_replay_header() {
    let app = spawn_app_with(&[("BUYIN_CORS_ORIGINS", "https://app.example.org")], |_| {}).await;
    let preflight = app
        .raw(
            Method::OPTIONS,
            "/api/v1/orgs",
            &[
                ("origin", "https://app.example.org"),
                ("access-control-request-method", "POST"),
                (
                    "access-control-request-headers",
                    "authorization,content-type,idempotency-key,x-request-id",
                ),
            ],
            "",
        )
        .await;
    assert_eq!(preflight.status, 200, "{}", preflight.body);
    let simple = app
        .raw(
            Method::GET,
            "/healthz",
            &[("origin", "https://app.example.org")],
            "",
        )
        .await;
    let exposed = simple
        .header("access-control-expose-headers")
        .unwrap_or_default()
        .to_ascii_lowercase();
    for name in [
        "idempotent-replayed",
        "x-request-id",
        "etag",
        "location",
        "retry-after",
    ] {
        assert!(exposed.contains(name), "{name} not exposed: {exposed}");
    }
}

#[actix_web::test]
async fn an_unreachable_database_is_a_503_problem_with_retry_after() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    app.state.db.close_by_ref().await.unwrap();
    let res = app.get("/api/v1/me", Some(&ada.access_token)).await;
    res.assert_problem(503, "service_unavailable");
    assert!(res.header("retry-after").is_some());
    let login = app.login(&ada.email, PASSWORD).await;
    login.assert_problem(503, "service_unavailable");
    app.get("/readyz", None)
        .await
        .assert_problem(503, "service_unavailable");
    assert_eq!(
        app.get("/healthz", None).await.status,
        200,
        "liveness needs no database"
    );
}

fn slow_route(cfg: &mut web::ServiceConfig) {
    async fn slow() -> HttpResponse {
        actix_web::rt::time::sleep(std::time::Duration::from_millis(1200)).await;
        HttpResponse::Ok().body("done")
    }
    cfg.route("/test/slow", web::get().to(slow));
}

#[actix_web::test]
async fn a_graceful_stop_lets_requests_in_flight_finish() {
    let app = spawn_app_with(&[], slow_route).await;
    let in_flight = app.client.get(app.url("/test/slow")).send();
    let stop = async {
        actix_web::rt::time::sleep(std::time::Duration::from_millis(400)).await;
        app.server.stop(true).await;
    };
    let (response, ()) = futures_util::future::join(in_flight, stop).await;
    let mut response = response.expect("the request in flight is answered");
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.body().await.unwrap(), "done");
    assert!(
        app.client.get(app.url("/healthz")).send().await.is_err(),
        "no new connections after the stop"
    );
}

#[actix_web::test]
async fn a_body_must_be_a_json_object() {
    let app = spawn_app().await;
    let w = app.world().await;
    let auth = format!("Bearer {}", w.admin.access_token);
    let res = app
        .patch_any_version(&format!("/api/v1/orgs/{}", w.org_id), &auth, "[null, null]")
        .await;
    res.assert_problem(400, "invalid_body");
}

#[actix_web::test]
async fn if_match_must_be_a_star_or_etags() {
    let app = spawn_app().await;
    let w = app.world().await;
    let path = format!("/api/v1/projects/{}", w.project_id);
    let auth = format!("Bearer {}", w.lead.access_token);
    let cases = [
        ("", 400, "invalid_if_match"),
        ("3", 400, "invalid_if_match"),
        ("\"3", 400, "invalid_if_match"),
        ("\"3\" \"4\"", 400, "invalid_if_match"),
        ("\"a\tb\"", 400, "invalid_if_match"),
        ("\"999\"", 412, "version_mismatch"),
        ("W/\"999\", \"998\"", 412, "version_mismatch"),
    ];
    for (if_match, status, code) in cases {
        app.raw(
            Method::PATCH,
            &path,
            &[("if-match", if_match), ("authorization", &auth), JSON],
            json!({"name": "Renamed"}).to_string(),
        )
        .await
        .assert_problem(status, code);
    }
}

#[actix_web::test]
async fn dates_outside_1900_to_9999_are_refused_everywhere_never_a_500() {
    let app = crate::helpers::spawn_app().await;
    let w = app.world().await;
    let token = Some(w.lead.access_token.as_str());
    let project = format!("/api/v1/projects/{}", w.project_id);
    for day in ["-4714-01-01", "+10000-01-01", "1899-12-31"] {
        let created = app
            .post(
                &format!("/api/v1/orgs/{}/projects", w.org_id),
                token,
                json!({"name": "Old", "start_date": day}),
            )
            .await;
        created.assert_problem(400, "invalid_body");
        assert_eq!(created.error_fields(), ["start_date"]);
        let milestone = app
            .post(
                &format!("{project}/milestones"),
                token,
                json!({"title": "Old", "knowledge_area": "x", "due_date": day}),
            )
            .await;
        milestone.assert_problem(400, "invalid_body");
        let logged = app
            .post(
                &format!("{project}/activities"),
                token,
                json!({"occurred_on": day, "hours": 1, "kind": "execution"}),
            )
            .await;
        logged.assert_problem(400, "invalid_body");
        let auth = format!("Bearer {}", w.lead.access_token);
        app.patch_any_version(&project, &auth, json!({"go_live_date": day}).to_string())
            .await
            .assert_problem(400, "invalid_body");
        let encoded = day.replace('+', "%2B");
        app.get(&format!("{project}/activities?from={encoded}"), token)
            .await
            .assert_problem(400, "invalid_query_parameter");
        app.get(&format!("{project}/readiness?as_of={encoded}"), token)
            .await
            .assert_problem(400, "invalid_query_parameter");
    }
}

#[actix_web::test]
async fn unknown_query_parameters_are_refused_naming_them() {
    let app = crate::helpers::spawn_app().await;
    let w = app.world().await;
    let t = Some(w.lead.access_token.as_str());
    for path in [
        "/api/v1/projects?sort=name".to_owned(),
        format!("/api/v1/projects/{}/milestones?fields=title", w.project_id),
        format!(
            "/api/v1/projects/{}/activities?order_by=occurred_on",
            w.project_id
        ),
        format!("/api/v1/orgs/{}/events?since=1", w.org_id),
        format!(
            "/api/v1/projects/{}/readiness?asof=2026-01-01",
            w.project_id
        ),
    ] {
        let res = app.get(&path, t).await;
        res.assert_problem(400, "invalid_query_parameter");
        let detail = res.body["detail"].as_str().unwrap();
        assert!(detail.contains("unknown field"), "{path}: {detail}");
    }
}

/// The string literals `src/` passes as a problem's code: after `code: `, `conflict(`,
/// `not_found(`, `bad_request(` or `bad_query(`, and in the arms of `ApiError::code`.
fn codes_used_in_source() -> std::collections::BTreeSet<String> {
    fn literal_after(text: &str, needle: &str, out: &mut std::collections::BTreeSet<String>) {
        for (at, _) in text.match_indices(needle) {
            let rest = text[at + needle.len()..].trim_start();
            let Some(rest) = rest.strip_prefix('"') else {
                continue;
            };
            let word: String = rest.chars().take_while(|c| *c != '"').collect();
            if !word.is_empty() && word.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
                out.insert(word);
            }
        }
    }
    let mut files = Vec::new();
    let mut dirs = vec![std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src"
    ))];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    let mut codes = std::collections::BTreeSet::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for needle in [
            "code: ",
            "conflict(",
            "not_found(",
            "bad_request(",
            "bad_query(",
        ] {
            literal_after(&text, needle, &mut codes);
        }
        if file.ends_with("error.rs") {
            let start = text.find("fn code(&self)").unwrap();
            let end = text[start..].find("fn detail(&self)").unwrap() + start;
            literal_after(&text[start..end], "=> ", &mut codes);
        }
    }
    codes
}

#[test]
fn every_code_the_server_uses_is_in_the_published_catalogue() {
    let catalogue: std::collections::BTreeSet<String> = buyin::error::CODES
        .iter()
        .map(|c| (*c).to_owned())
        .collect();
    assert_eq!(codes_used_in_source(), catalogue);
    let mut sorted = buyin::error::CODES.to_vec();
    sorted.sort_unstable();
    assert_eq!(sorted, buyin::error::CODES, "kept in byte order");
    let doc: serde_json::Value =
        serde_json::from_str(include_str!("../../openapi/openapi.json")).unwrap();
    let published = &doc["components"]["schemas"]["ProblemCode"]["enum"];
    assert_eq!(published, &serde_json::json!(buyin::error::CODES.to_vec()));
    assert_eq!(
        doc["components"]["schemas"]["Problem"]["properties"]["code"]["$ref"],
        "#/components/schemas/ProblemCode"
    );
}

#[actix_web::test]
async fn a_bad_parameter_is_named_without_echoing_control_characters() {
    let app = crate::helpers::spawn_app().await;
    let w = app.world().await;
    let t = Some(w.lead.access_token.as_str());
    let long = "x".repeat(5_000);
    for path in [
        "/api/v1/projects?%00%01bad=1".to_owned(),
        format!("/api/v1/projects?{long}=1"),
        format!("/api/v1/orgs/{}/events?limit=%00", w.org_id),
    ] {
        let res = app.get(&path, t).await;
        res.assert_problem(400, "invalid_query_parameter");
        let detail = res.body["detail"].as_str().unwrap();
        assert!(!detail.chars().any(char::is_control), "{detail:?}");
        assert!(detail.chars().count() < 300, "{} characters", detail.len());
    }
}
