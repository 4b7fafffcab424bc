//! Problem+json for what actix-web would otherwise answer in plain text: bad path or query
//! parameters, unknown routes and wrong methods.

use actix_web::{
    HttpRequest, HttpResponse, ResponseError,
    dev::ResourceDef,
    error::{PathError, QueryPayloadError},
    web,
};

use crate::error::ApiError;

/// A parser's message about what the client sent, safe to echo: it may quote a parameter's
/// name or value, so control characters (NUL included) become U+FFFD and it is cut at 200
/// characters.
fn shown(message: &impl std::fmt::Display) -> String {
    const MAX: usize = 200;
    let message = message.to_string();
    let mut text: String = message
        .chars()
        .take(MAX)
        .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
        .collect();
    if message.chars().count() > MAX {
        text.push('…');
    }
    text
}

pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|err: PathError, req: &HttpRequest| {
        // `PATCH …/milestones/batch` reaches the `{milestone_id}` route, whose id does not
        // parse; the path is the batch's, which does not take PATCH: 405, not 400.
        if let Some(table) = req.app_data::<web::Data<RouteTable>>()
            && let Some(allow) = table.allowed(req.path())
            && !allow.iter().any(|m| m == req.method().as_str())
        {
            return ApiError::MethodNotAllowed { allow }.into();
        }
        let detail = match &err {
            PathError::Deserialize(e) => format!("A path parameter is invalid: {}.", shown(e)),
            _ => "A path parameter is invalid.".to_owned(),
        };
        ApiError::bad_request("invalid_path_parameter", detail).into()
    })
}

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err: QueryPayloadError, _req: &HttpRequest| {
        let detail = match &err {
            QueryPayloadError::Deserialize(e) => {
                format!("A query parameter is invalid: {}.", shown(e))
            }
            _ => "The query string is invalid.".to_owned(),
        };
        ApiError::bad_request("invalid_query_parameter", detail).into()
    })
}

/// Every route's path pattern and methods, taken from the OpenAPI document so the two cannot
/// disagree. Used to tell "no such resource" (404) from "no such method here" (405 + `Allow`).
pub struct RouteTable {
    routes: Vec<(ResourceDef, Vec<String>)>,
}

impl RouteTable {
    pub fn from_openapi(doc: &utoipa::openapi::OpenApi) -> RouteTable {
        let routes = doc
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let methods = [
                    ("GET", item.get.is_some()),
                    ("PUT", item.put.is_some()),
                    ("POST", item.post.is_some()),
                    ("DELETE", item.delete.is_some()),
                    ("PATCH", item.patch.is_some()),
                ]
                .into_iter()
                .filter(|(_, present)| *present)
                .map(|(m, _)| m.to_owned())
                .collect();
                (ResourceDef::new(path.as_str()), methods)
            })
            .collect();
        RouteTable { routes }
    }

    /// The OpenAPI path pattern (`/api/v1/projects/{project_id}`) that `path` matches. Patterns
    /// are tried in the document's order, where a literal segment sorts before a parameter
    /// (`…/milestones/batch` before `…/milestones/{milestone_id}`), so the most specific wins.
    pub fn pattern(&self, path: &str) -> Option<&str> {
        self.routes
            .iter()
            .find(|(def, _)| def.is_match(path))
            .and_then(|(def, _)| def.pattern())
    }

    fn allowed(&self, path: &str) -> Option<Vec<String>> {
        self.routes
            .iter()
            .find(|(def, _)| def.is_match(path))
            .map(|(_, methods)| methods.clone())
    }
}

/// The app's default service: reached when no route matched the path and method.
pub async fn not_found_or_method(req: HttpRequest, table: web::Data<RouteTable>) -> HttpResponse {
    let error = match table.allowed(req.path()) {
        Some(allow) if !allow.is_empty() => ApiError::MethodNotAllowed { allow },
        _ => ApiError::not_found(
            "route_not_found",
            format!("There is no resource at {}.", req.path()),
        ),
    };
    error.error_response()
}
