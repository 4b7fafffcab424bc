//! The OpenAPI document. Paths come from the handlers' `#[utoipa::path]` annotations as they are
//! registered (so an unregistered handler cannot be documented, nor the reverse); the problem
//! responses every operation can give are added here once, by rule, instead of by hand on each.

use std::collections::BTreeSet;

use actix_web::App;
use utoipa::{
    Modify, OpenApi, PartialSchema,
    openapi::{
        ContentBuilder, ObjectBuilder, Ref, RefOr, ResponseBuilder,
        schema::{ArrayItems, KnownFormat, Schema, SchemaFormat, SchemaType, Type},
        security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme},
    },
};
use utoipa_actix_web::AppExt;

use crate::error::{FieldError, PROBLEM_JSON, Problem, ProblemCode};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "buyin",
        description = "Makes a client's ownership of a software implementation measurable: \
            staff and consultants, handoff milestones signed off by staff, an activity ledger \
            and a readiness report.\n\nAuthenticate with `POST /api/v1/auth/login`, then use \
            **Authorize** with the `access_token`.",
    ),
    servers(
        (url = "/", description = "The server that serves this document"),
        (url = "http://127.0.0.1:8080", description = "A local `cargo run` (the default `BUYIN_BIND`)"),
    ),
    components(schemas(Problem, ProblemCode, FieldError, crate::domain::events::EventKind, crate::domain::query::Order, crate::service::readiness::portfolio::PortfolioSort, crate::api::actions::ActionListOrder)),
    modifiers(&SecuritySchemes),
    tags(
        (name = "auth", description = "Accounts and tokens"),
        (name = "organisations", description = "The client organisations; their members are its staff"),
        (name = "projects", description = "Implementations inside an organisation"),
        (name = "project members", description = "Participation: staff and consultants"),
        (name = "milestones", description = "Handoff milestones on the ladder from consultant-led to staff-owned"),
        (name = "activities", description = "The activity ledger: hours each side spends"),
        (name = "actions", description = "Agreed actions: every meeting ends with the next step"),
        (name = "test scripts", description = "Staff-run test scripts and their runs: the go-live gate"),
        (name = "readiness", description = "How close the staff are to running the system alone"),
        (name = "api keys", description = "Organisation API keys for integrations"),
        (name = "webhooks", description = "Signed event delivery (Standard Webhooks) to integrations"),
        (name = "events", description = "The append-only audit log and integration feed"),
        (name = "operations", description = "Health and readiness probes"),
    )
)]
struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("An `access_token` from `POST /api/v1/auth/login`."))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("bik_…")
                    .description(Some(
                        "An organisation API key from `POST /api/v1/orgs/{org_id}/api-keys`, sent \
                         as `Authorization: Bearer bik_…`. It acts for its organisation only; what \
                         each scope may do is in the README's \"Integrating\" section.",
                    ))
                    .build(),
            ),
        );
    }
}

/// The base document, before the routes add their paths.
pub fn base() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// The complete document, exactly as served at `/openapi.json` and printed by `buyin openapi`.
pub fn document() -> utoipa::openapi::OpenApi {
    let (_, doc) = App::new()
        .into_utoipa_app()
        .openapi(base())
        .configure(crate::api::configure)
        .split_for_parts();
    complete(doc)
}

/// The document as `/openapi.json` serves it: serialized once at start-up.
pub struct Spec(actix_web::web::Bytes);

impl Spec {
    /// `openapi/openapi.json` as committed, which
    /// `the_committed_openapi_document_is_what_buyin_openapi_prints` keeps equal to
    /// [`document`]: served without building the document at start-up.
    pub fn committed() -> Spec {
        Spec(actix_web::web::Bytes::from_static(include_bytes!(
            "../openapi/openapi.json"
        )))
    }
}

/// `GET /openapi.json`.
pub async fn serve(spec: actix_web::web::Data<Spec>) -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok()
        .content_type("application/json")
        .body(spec.0.clone())
}

/// The document as `buyin openapi` prints it and `openapi/openapi.json` stores it.
pub fn document_json() -> Result<String, serde_json::Error> {
    serde_json::to_string_pretty(&document()).map(|json| json + "\n")
}

/// The shared problem responses, referenced from each operation by rule.
const COMMON: [(&str, &str, &str); 10] = [
    (
        "400",
        "BadRequest",
        "The request is malformed: invalid JSON, an unknown field, a wrong type, a NUL byte or a bad parameter.",
    ),
    (
        "401",
        "Unauthorized",
        "No credentials, or a token that is malformed, expired or revoked.",
    ),
    (
        "404",
        "NotFound",
        "The resource does not exist or is not visible to the caller.",
    ),
    (
        "408",
        "RequestTimeout",
        "The request body did not arrive within the body deadline (`BUYIN_BODY_TIMEOUT`, 10 s by default); the connection is closed.",
    ),
    (
        "413",
        "PayloadTooLarge",
        "The request body is larger than 64 KiB.",
    ),
    (
        "415",
        "UnsupportedMediaType",
        "The request body is not `application/json`.",
    ),
    (
        "409",
        "Conflict",
        "Conflicts with the current state (for `Idempotency-Key`: the first request with this key is still running).",
    ),
    (
        "422",
        "Unprocessable",
        "A value breaks a rule (for `Idempotency-Key`: the key was used with a different request).",
    ),
    (
        "500",
        "InternalError",
        "An unexpected error; the body is generic and the cause is logged.",
    ),
    (
        "503",
        "Unavailable",
        "The server cannot answer now: the database is unavailable (`service_unavailable`), the request outran the request deadline (`deadline_exceeded`, `BUYIN_REQUEST_TIMEOUT`) the instance is stopping (`shutting_down`), or too many password checks are waiting (`overloaded`). Retry after `Retry-After` seconds (with the same `Idempotency-Key` for a POST).",
    ),
];

/// Adds the common problem responses to every operation that can give them.
pub fn complete(mut doc: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    crate::events::describe(&mut doc);
    let components = doc.components.get_or_insert_with(Default::default);
    for (_, name, description) in COMMON {
        let mut response = ResponseBuilder::new().description(description).content(
            PROBLEM_JSON,
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        );
        if name == "Unavailable" {
            response = response.header(
                "Retry-After",
                utoipa::openapi::HeaderBuilder::new()
                    .schema(Some(u64::schema()))
                    .description(Some("Seconds to wait before retrying."))
                    .build(),
            );
        }
        components
            .responses
            .insert(name.to_owned(), response.build().into());
    }

    share_item_schemas(components);
    // The rules a client must follow go on what a client sends; responses stay plain, so the
    // examples Swagger UI makes of them are not pattern noise.
    let sent = request_schemas(&doc);
    let components = doc.components.get_or_insert_with(Default::default);
    for (name, schema) in components.schemas.iter_mut() {
        if let RefOr::T(schema) = schema
            && sent.contains(name)
        {
            state_text_limits(name, schema);
            forbid_nul(schema);
        }
    }

    for (path, item) in doc.paths.paths.iter_mut() {
        let is_api = path.starts_with("/api/");
        if is_api
            && crate::api::idempotency::applies(path)
            && let Some(post) = item.post.as_mut()
        {
            post.parameters
                .get_or_insert_with(Vec::new)
                .push(idempotency_parameter());
            post.responses
                .responses
                .entry("409".into())
                .or_insert_with(|| RefOr::Ref(Ref::from_response_name("Conflict")));
            post.responses
                .responses
                .entry("422".into())
                .or_insert_with(|| RefOr::Ref(Ref::from_response_name("Unprocessable")));
        }
        for op in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
        {
            for parameter in op.parameters.iter_mut().flatten() {
                if let RefOr::T(parameter) = parameter {
                    describe_parameter(parameter);
                }
            }
            let has_body = op.request_body.is_some();
            let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
            // An open operation says so (`security: []`) rather than leaving it unsaid.
            op.security.get_or_insert_with(Vec::new);
            // Every operation a person can call with a token also takes an API key (which may
            // then be refused by scope: see the 403 responses).
            if secured && let Some(security) = op.security.as_mut() {
                security.push(SecurityRequirement::new("api_key", Vec::<String>::new()));
            }
            let has_path_params = path.contains('{');
            for (status, name, _) in COMMON {
                let applies = match status {
                    "400" => has_body || has_path_params || op.parameters.is_some(),
                    "401" => secured,
                    "404" => has_path_params,
                    "408" | "413" | "415" => has_body,
                    "500" | "503" => is_api || path == "/readyz",
                    _ => false,
                };
                if applies {
                    op.responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| RefOr::Ref(Ref::from_response_name(name)));
                }
            }
        }
    }
    doc
}

/// A page's `items` (`Page_ProjectResponse`) and a batch item's `resource`
/// (`BatchItem_MilestoneResponse`) refer to their resource's schema instead of repeating it
/// inline, so a generated client has one class per resource, whichever operation returned it;
/// a batch item's `resource` is null when the item failed.
fn share_item_schemas(components: &mut utoipa::openapi::Components) {
    let generic: Vec<(String, String)> = components
        .schemas
        .keys()
        .filter_map(|name| {
            let (kind, resource) = name.split_once('_')?;
            matches!(kind, "Page" | "BatchItem").then(|| (name.clone(), resource.to_owned()))
        })
        .collect();
    for (name, resource) in generic {
        let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(&name) else {
            continue;
        };
        let shared = RefOr::Ref(Ref::from_schema_name(&resource));
        let inline = if name.starts_with("Page_") {
            let Some(RefOr::T(Schema::Array(array))) = object.properties.get_mut("items") else {
                continue;
            };
            let ArrayItems::RefOrSchema(item) = &mut array.items else {
                continue;
            };
            std::mem::replace(item.as_mut(), shared)
        } else {
            let Some(field) = object.properties.get_mut("resource") else {
                continue;
            };
            let or_null = utoipa::openapi::OneOfBuilder::new()
                .description(Some(
                    "The resource as it now stands; null when the item failed.",
                ))
                .item(shared)
                .item(ObjectBuilder::new().schema_type(Type::Null))
                .build();
            std::mem::replace(field, Schema::OneOf(or_null).into())
        };
        if let RefOr::T(inline) = inline {
            components
                .schemas
                .entry(resource)
                .or_insert_with(|| RefOr::T(inline));
        }
    }
}

/// The schemas a request body refers to, directly or through others.
fn request_schemas(doc: &utoipa::openapi::OpenApi) -> BTreeSet<String> {
    fn refs(value: &serde_json::Value, found: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(map) => {
                if let Some(serde_json::Value::String(target)) = map.get("$ref") {
                    found.extend(
                        target
                            .strip_prefix("#/components/schemas/")
                            .map(str::to_owned),
                    );
                }
                map.values().for_each(|v| refs(v, found));
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| refs(v, found)),
            _ => {}
        }
    }
    let mut pending = Vec::new();
    for item in doc.paths.paths.values() {
        for op in [&item.post, &item.put, &item.patch, &item.delete, &item.get]
            .into_iter()
            .flatten()
        {
            if let Some(body) = &op.request_body {
                refs(
                    &serde_json::to_value(body).unwrap_or_default(),
                    &mut pending,
                );
            }
        }
    }
    let schemas = doc.components.as_ref().map(|c| &c.schemas);
    let mut seen = BTreeSet::new();
    while let Some(name) = pending.pop() {
        if seen.insert(name.clone())
            && let Some(schema) = schemas.and_then(|s| s.get(&name))
        {
            refs(
                &serde_json::to_value(schema).unwrap_or_default(),
                &mut pending,
            );
        }
    }
    seen
}

/// The length rule of each free-text field a client sends, `(minLength, maxLength)`, from the
/// constants the server checks. Lengths count characters as sent, padding included, like the
/// server (`domain::text::at_most`), so a value outside them is always refused. Passwords are
/// limited in bytes (1024): a password of more characters is always refused, and the field's
/// description says the rest.
fn text_limits(schema: &str, property: &str) -> Option<(usize, usize)> {
    use crate::domain::{Email, Password, integration, member, milestone, text};
    let new_password = schema == "RegisterRequest" || property == "new_password";
    Some(match property {
        "name" | "title" | "display_name" => (1, text::NAME_MAX),
        "knowledge_area" => (1, milestone::KNOWLEDGE_AREA_MAX),
        "text" | "acceptance_criteria" => (1, milestone::CRITERION_MAX),
        "description" if schema.contains("Webhook") => (0, integration::WEBHOOK_DESCRIPTION.1),
        "description" => (0, text::DESCRIPTION.1),
        "system_name" => (0, text::SYSTEM_NAME.1),
        "external_id" => (0, text::EXTERNAL_ID.1),
        "external_source" => (0, text::EXTERNAL_SOURCE.1),
        "note" | "notes" => (0, text::NOTE.1),
        "steps" => (1, crate::domain::test_script::STEPS_MAX),
        "responsibility" => (0, member::RESPONSIBILITY.1),
        "email" => (1, Email::MAX_CHARS),
        "slug" => (2, text::SLUG_MAX),
        "url" => (1, integration::WEBHOOK_URL_MAX),
        "password" | "new_password" if new_password => (Password::MIN_CHARS, Password::MAX_BYTES),
        "password" | "current_password" => (1, Password::MAX_BYTES),
        _ => return None,
    })
}

/// Writes [`text_limits`] into the string properties of `schema` (and into the items of a
/// list of texts).
fn state_text_limits(name: &str, schema: &mut Schema) {
    let Schema::Object(object) = schema else {
        return;
    };
    for (property, field) in object.properties.iter_mut() {
        let Some((min, max)) = text_limits(name, property) else {
            continue;
        };
        let target = match field {
            RefOr::T(Schema::Array(array)) => match &mut array.items {
                ArrayItems::RefOrSchema(item) => item.as_mut(),
                _ => continue,
            },
            other => other,
        };
        if let RefOr::T(Schema::Object(text)) = target {
            text.max_length = Some(max);
            text.min_length = (min > 0).then_some(min);
        }
    }
}

/// Every string the API takes is refused with 400 `nul_byte` when it holds a NUL character
/// (PostgreSQL cannot store one); the schemas say so with a pattern, so clients and generators
/// know it before they send.
const NO_NUL: &str = "^[^\\u0000]*$";
/// Dates run from 1900-01-01 to 9999-12-31 (`domain::day`).
const DATE_RANGE: &str = "^(19[0-9]{2}|[2-9][0-9]{3})-[0-9]{2}-[0-9]{2}$";

const PRINTABLE_ASCII: &str = "^[ -~]+$";

/// A UUID as written in paths and queries (hyphenated, either case).
const UUID: &str = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";

/// `*` or comma-separated entity tags (`"3"`, `W/"3"`); anything else is 400 `invalid_if_match`.
pub const IF_MATCH_PATTERN: &str =
    r#"^[ \t]*(\*|(W/)?"[!#-+\--~]*"([ \t]*,[ \t]*(W/)?"[!#-+\--~]*")*)[ \t]*$"#;

fn forbid_nul(schema: &mut Schema) {
    let children: Vec<&mut RefOr<Schema>> = match schema {
        Schema::Object(object) => {
            let is_string = match &object.schema_type {
                SchemaType::Type(Type::String) => true,
                SchemaType::Array(types) => types.contains(&Type::String),
                _ => false,
            };
            let is_date = matches!(
                object.format,
                Some(SchemaFormat::KnownFormat(KnownFormat::Date))
            );
            if is_string && is_date && object.pattern.is_none() {
                object.pattern = Some(DATE_RANGE.to_owned());
            } else if is_string
                && object.format.is_none()
                && object.enum_values.is_none()
                && object.pattern.is_none()
            {
                object.pattern = Some(NO_NUL.to_owned());
            }
            object.properties.values_mut().collect()
        }
        Schema::Array(array) => match &mut array.items {
            ArrayItems::RefOrSchema(item) => vec![item.as_mut()],
            _ => Vec::new(),
        },
        Schema::OneOf(one_of) => one_of.items.iter_mut().collect(),
        Schema::AllOf(all_of) => all_of.items.iter_mut().collect(),
        Schema::AnyOf(any_of) => any_of.items.iter_mut().collect(),
        _ => Vec::new(),
    };
    for child in children {
        if let RefOr::T(child) = child {
            forbid_nul(child);
        }
    }
}

/// Rules every parameter of a name shares: `limit` is 1 to 100; `If-Match` follows its grammar;
/// strings hold no NUL.
fn describe_parameter(parameter: &mut utoipa::openapi::path::Parameter) {
    if parameter.name.eq_ignore_ascii_case("If-Match") {
        parameter.schema = Some(RefOr::T(Schema::Object(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(IF_MATCH_PATTERN))
                .examples(["\"1\"", "*"])
                .build(),
        )));
    } else if parameter.name == "limit" {
        parameter.schema = Some(RefOr::T(Schema::Object(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(1))
                .maximum(Some(100))
                .default(Some(50.into()))
                .build(),
        )));
    } else if let Some(RefOr::T(schema)) = parameter.schema.as_mut() {
        // An id in a path or query is parsed as a UUID (400 otherwise): say so in a pattern,
        // since `format: uuid` alone asserts nothing to a JSON Schema validator.
        if let Schema::Object(object) = schema
            && matches!(
                object.format,
                Some(SchemaFormat::KnownFormat(KnownFormat::Uuid))
            )
        {
            object.pattern = Some(UUID.to_owned());
        }
        forbid_nul(schema);
    }
}

fn idempotency_parameter() -> RefOr<utoipa::openapi::path::Parameter> {
    use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
    RefOr::T(
        ParameterBuilder::new()
            .name("Idempotency-Key")
            .parameter_in(ParameterIn::Header)
            .required(utoipa::openapi::Required::False)
            .description(Some(
                "1 to 255 printable characters. Repeating a request with the same key and body \
                 replays the first response (status, body, `Location`) instead of creating \
                 again; the same key with another body is 422; while the first is still running, \
                 409. Keys are private to the caller and kept 24 hours.",
            ))
            .schema(Some(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .min_length(Some(1))
                    .max_length(Some(255))
                    .pattern(Some(PRINTABLE_ASCII)),
            ))
            .build(),
    )
}
