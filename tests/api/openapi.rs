//! The committed OpenAPI document is the contract: it must match what the code generates and
//! what the server serves.

use serde_json::Value;

use crate::helpers::spawn_app;

const COMMITTED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json");

fn generated() -> Value {
    serde_json::to_value(buyin::openapi::document()).unwrap()
}

#[test]
fn the_committed_openapi_document_is_what_buyin_openapi_prints() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_buyin"))
        .arg("openapi")
        .output()
        .unwrap();
    assert!(output.status.success());
    let generated = String::from_utf8(output.stdout).unwrap();
    if std::env::var_os("BUYIN_UPDATE_OPENAPI").is_some() {
        std::fs::write(COMMITTED, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(COMMITTED).unwrap_or_default();
    assert!(
        committed == generated,
        "openapi/openapi.json is out of date. Regenerate it with:\n\n    \
         cargo run -- openapi > openapi/openapi.json\n\n\
         (or BUYIN_UPDATE_OPENAPI=1 cargo test openapi) and commit the result."
    );
}

#[actix_web::test]
async fn the_server_serves_the_same_document() {
    let app = spawn_app().await;
    let res = app.get("/openapi.json", None).await;
    assert_eq!(res.status, 200);
    assert_eq!(res.body, generated());
}

#[test]
fn every_operation_documents_its_errors_and_every_response_has_a_description() {
    let doc = generated();
    let paths = doc["paths"].as_object().unwrap();
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            if path.starts_with("/api/") {
                for status in ["500", "503"] {
                    assert!(
                        responses.contains_key(status),
                        "{method} {path} documents {status}"
                    );
                }
            }
            if op.get("requestBody").is_some() {
                for status in ["400", "413", "415"] {
                    assert!(
                        responses.contains_key(status),
                        "{method} {path} documents {status}"
                    );
                }
            }
            let secured = op["security"].as_array().is_some_and(|s| !s.is_empty());
            if secured {
                assert!(
                    responses.contains_key("401"),
                    "{method} {path} documents 401"
                );
            }
            for (status, response) in responses {
                let described = response.get("$ref").is_some()
                    || response["description"]
                        .as_str()
                        .is_some_and(|d| !d.is_empty());
                assert!(described, "{method} {path} {status} has a description");
            }
        }
    }
    let bearer = &doc["components"]["securitySchemes"]["bearer"];
    assert_eq!(bearer["scheme"], "bearer");
}

#[test]
fn generated_clients_are_told_where_the_server_is() {
    let doc = generated();
    let servers: Vec<&str> = doc["servers"]
        .as_array()
        .expect("a servers list")
        .iter()
        .map(|s| s["url"].as_str().unwrap())
        .collect();
    // The first is relative: Swagger UI and a client served from this host call this server.
    assert_eq!(servers.first(), Some(&"/"));
}

/// The schemas a request body refers to, directly or through others.
fn request_schemas(doc: &Value) -> Vec<String> {
    fn refs(value: &Value, found: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(target)) = map.get("$ref") {
                    found.extend(
                        target
                            .strip_prefix("#/components/schemas/")
                            .map(String::from),
                    );
                }
                map.values().for_each(|v| refs(v, found));
            }
            Value::Array(items) => items.iter().for_each(|v| refs(v, found)),
            _ => {}
        }
    }
    let mut pending = Vec::new();
    for item in doc["paths"].as_object().unwrap().values() {
        for op in item.as_object().unwrap().values() {
            refs(&op["requestBody"], &mut pending);
        }
    }
    let mut seen = Vec::new();
    while let Some(name) = pending.pop() {
        if !seen.contains(&name) {
            refs(&doc["components"]["schemas"][&name], &mut pending);
            seen.push(name);
        }
    }
    seen
}

/// A field shows a real value in Swagger UI and generated docs: its own example, the values of
/// the enumeration it refers to (`"role": {"$ref": "…/OrgRole"}` shows `admin`), or the example
/// of the object it refers to.
fn exemplified(doc: &Value, schema: &Value) -> bool {
    if schema.get("example").is_some() || schema.get("examples").is_some() {
        return true;
    }
    let referred = |s: &Value| {
        s["$ref"]
            .as_str()
            .and_then(|r| r.strip_prefix("#/components/schemas/"))
            .is_some_and(|name| {
                let target = &doc["components"]["schemas"][name];
                target.get("enum").is_some() || target.get("example").is_some()
            })
    };
    referred(schema)
        || schema["oneOf"]
            .as_array()
            .is_some_and(|variants| variants.iter().any(referred))
}

#[test]
fn every_field_a_client_sends_has_an_example_and_every_free_text_its_length() {
    let doc = generated();
    let sent = request_schemas(&doc);
    assert!(sent.contains(&"CreateMilestone".to_owned()));
    let mut missing = Vec::new();
    for name in &sent {
        let Some(properties) = doc["components"]["schemas"][name]["properties"].as_object() else {
            continue;
        };
        for (field, schema) in properties {
            if !exemplified(&doc, schema) {
                missing.push(format!("{name}.{field}: example"));
            }
            let is_text = match &schema["type"] {
                Value::String(t) => t == "string",
                Value::Array(types) => types.contains(&Value::from("string")),
                _ => false,
            };
            // A refresh token is opaque: any value it was not issued as is refused as such.
            let free_text = is_text
                && schema.get("format").is_none()
                && schema.get("enum").is_none()
                && field != "refresh_token";
            if free_text && schema.get("maxLength").is_none() {
                missing.push(format!("{name}.{field}: maxLength"));
            }
        }
    }
    assert!(missing.is_empty(), "request fields without: {missing:#?}");
}

#[test]
fn responses_carry_no_request_patterns() {
    let doc = generated();
    let sent = request_schemas(&doc);
    for (name, schema) in doc["components"]["schemas"].as_object().unwrap() {
        if !sent.contains(name) {
            assert!(
                !schema.to_string().contains("\"pattern\""),
                "{name} is only answered, yet carries a pattern"
            );
        }
    }
}

#[test]
fn every_reference_names_something_the_document_has() {
    fn dangling(value: &Value, doc: &Value, found: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(target)) = map.get("$ref")
                    && doc.pointer(target.trim_start_matches('#')).is_none()
                {
                    found.push(target.clone());
                }
                map.values().for_each(|v| dangling(v, doc, found));
            }
            Value::Array(items) => items.iter().for_each(|v| dangling(v, doc, found)),
            _ => {}
        }
    }
    let doc = generated();
    let mut found = Vec::new();
    dangling(&doc, &doc, &mut found);
    assert!(found.is_empty(), "references to nothing: {found:?}");
}
