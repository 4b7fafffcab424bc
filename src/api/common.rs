//! Shared edge types: pagination, the page envelope, `If-Match`.

use std::{future::Future, pin::Pin};

use actix_web::{
    FromRequest, HttpRequest, HttpResponse,
    dev::Payload,
    http::{StatusCode, header},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::idempotency::{Answered, RequestClaim};
pub use crate::domain::precondition::IfMatch;
use crate::{
    domain::{
        ItemStatus,
        batch::MAX_BATCH,
        query::{Order, PageRequest},
    },
    error::{ApiError, FieldError, Problem},
    service::idempotency::Pending,
};

pub const DEFAULT_LIMIT: u64 = 50;
pub const MAX_LIMIT: u64 = 100;

/// One page of a list. `next_cursor` is null on the last page.
#[derive(Serialize, ToSchema)]
pub struct Page<T: ToSchema> {
    pub items: Vec<T>,
    /// Pass as `?cursor=` to get the next page.
    pub next_cursor: Option<String>,
}

pub fn bad_query(code: &'static str, detail: impl Into<String>) -> ApiError {
    ApiError::bad_request(code, detail)
}

pub fn limit(limit: Option<u64>) -> Result<u64, ApiError> {
    match limit {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(_) => Err(bad_query(
            "invalid_query_parameter",
            "`limit` must be from 1 to 100.",
        )),
    }
}

/// A keyset page request from `?limit=&cursor=`. A cursor is opaque to clients; it names the
/// list it belongs to (`kind`), so one from another list is refused rather than misread.
pub fn page(
    kind: &str,
    limit_param: Option<u64>,
    cursor: Option<&str>,
) -> Result<PageRequest, ApiError> {
    let limit = limit(limit_param)?;
    let after = match cursor {
        None | Some("") => None,
        Some(cursor) => Some(decode_cursor(kind, cursor).ok_or_else(|| {
            bad_query(
                "invalid_cursor",
                "`cursor` is not a cursor this list handed out.",
            )
        })?),
    };
    Ok(PageRequest {
        limit,
        after,
        order: Order::Asc,
    })
}

fn decode_cursor(kind: &str, cursor: &str) -> Option<Uuid> {
    decode_keyset(kind, cursor)?.parse().ok()
}

pub fn encode_cursor(kind: &str, id: Uuid) -> String {
    encode_keyset(kind, &id.to_string())
}

/// A cursor holding any keyset position (`key`), for the list `kind`.
pub fn encode_keyset(kind: &str, key: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{kind}:{key}"))
}

/// The keyset position in a cursor that `encode_keyset` made for the list `kind`.
pub fn decode_keyset(kind: &str, cursor: &str) -> Option<String> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (found_kind, key) = text.split_once(':')?;
    (found_kind == kind).then(|| key.to_owned())
}

/// Builds the page envelope: maps the rows and, when more exist, the cursor after the last.
pub fn envelope<R, T: ToSchema>(
    kind: &str,
    (rows, more): (Vec<R>, bool),
    id_of: impl Fn(&R) -> Uuid,
    map: impl Fn(R) -> T,
) -> Page<T> {
    let next_cursor = if more {
        rows.last().map(|r| encode_cursor(kind, id_of(r)))
    } else {
        None
    };
    Page {
        items: rows.into_iter().map(map).collect(),
        next_cursor,
    }
}

/// Refuses a NUL byte in a query string value, as in bodies.
pub fn text_param(name: &str, value: Option<String>) -> Result<Option<String>, ApiError> {
    match value {
        Some(v) if crate::domain::has_nul(&v) => Err(ApiError::BadRequest {
            code: "nul_byte",
            detail: "Strings must not contain NUL bytes.".into(),
            errors: vec![crate::error::FieldError::new(
                name,
                "must not contain NUL bytes",
            )],
        }),
        other => Ok(other),
    }
}

/// `If-Match`, parsed here (400 `invalid_if_match` when malformed); services check it.
impl FromRequest for IfMatch {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let value = req
            .headers()
            .get(header::IF_MATCH)
            .map(|v| v.to_str().map(str::to_owned));
        Box::pin(async move {
            match value {
                None => Ok(IfMatch::Absent),
                Some(Ok(v)) => IfMatch::parse(Some(&v)).ok_or_else(|| {
                    ApiError::bad_request(
                        "invalid_if_match",
                        "`If-Match` must be `*` or ETags such as `\"3\"`, separated by commas.",
                    )
                }),
                Some(Err(_)) => Err(ApiError::bad_request(
                    "invalid_if_match",
                    "`If-Match` is not valid ASCII.",
                )),
            }
        })
    }
}

/// How a change is answered: status, and the `Location` and `ETag` headers when it has them.
pub struct Reply {
    pub status: StatusCode,
    pub location: Option<String>,
    pub etag: Option<String>,
}

impl Reply {
    pub fn new(status: StatusCode) -> Reply {
        Reply {
            status,
            location: None,
            etag: None,
        }
    }

    pub fn created(location: String) -> Reply {
        Reply {
            location: Some(location),
            ..Reply::new(StatusCode::CREATED)
        }
    }

    pub fn with_etag(self, version: i32) -> Reply {
        Reply {
            etag: Some(crate::domain::precondition::etag(version)),
            ..self
        }
    }
}

/// Commits a change and answers it with `body`. When the request carries an `Idempotency-Key`,
/// the answer is stored in the change's own transaction, so a committed change always has the
/// answer a retry will replay (even if the server dies before sending it).
pub async fn commit<T, B: Serialize>(
    pending: Pending<T>,
    claim: &RequestClaim,
    reply: Reply,
    body: impl FnOnce(T) -> B,
) -> Result<HttpResponse, ApiError> {
    let pending = pending.map(body);
    let json = serde_json::to_string(pending.value()).map_err(ApiError::internal)?;
    let answer = claim.answer(&reply, &json);
    pending.commit(answer).await?;
    let mut res = HttpResponse::build(reply.status);
    res.content_type("application/json");
    if let Some(location) = reply.location {
        res.insert_header((header::LOCATION, location));
    }
    if let Some(etag) = reply.etag {
        res.insert_header((header::ETAG, etag));
    }
    let mut res = res.body(json);
    res.extensions_mut().insert(Answered);
    Ok(res)
}

/// One item's result, at the position it was sent in.
#[derive(Serialize, ToSchema)]
pub struct BatchItem<T: ToSchema> {
    /// The item's position in the request, from 0.
    pub index: usize,
    pub status: ItemStatus,
    /// The resource as it now stands; null when the item failed.
    pub resource: Option<T>,
    /// Why the item failed (the problem its own request would have answered); null otherwise.
    pub problem: Option<Problem>,
}

/// The answer to a batch: one result per item, in the order sent, and how many of each.
#[derive(Serialize, ToSchema)]
pub struct BatchResponse<T: ToSchema> {
    pub items: Vec<BatchItem<T>>,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub failed: usize,
}

impl<T: ToSchema> BatchResponse<T> {
    /// Numbers `results` in order, answers each as `to`, and counts them.
    pub fn of<V>(
        results: impl IntoIterator<Item = Result<(ItemStatus, V), ApiError>>,
        to: impl Fn(V) -> T,
    ) -> Self {
        let mut batch = BatchResponse {
            items: Vec::new(),
            created: 0,
            updated: 0,
            unchanged: 0,
            failed: 0,
        };
        for (index, result) in results.into_iter().enumerate() {
            let (status, resource, problem) = match result {
                Ok((status, resource)) => (status, Some(to(resource)), None),
                Err(e) => (ItemStatus::Failed, None, Some(e.to_problem())),
            };
            *match status {
                ItemStatus::Created => &mut batch.created,
                ItemStatus::Updated => &mut batch.updated,
                ItemStatus::Unchanged => &mut batch.unchanged,
                ItemStatus::Failed => &mut batch.failed,
            } += 1;
            batch.items.push(BatchItem {
                index,
                status,
                resource,
                problem,
            });
        }
        batch
    }
}

/// A batch's items, each parsed as its own request would be. A batch of 1 to [`MAX_BATCH`]
/// items whose every field keeps its rules goes on, item by item, to the rights and the state;
/// one that breaks a field rule is refused whole (422 naming `items[i].field`), like any request
/// that breaks its schema, and nothing of it is written.
pub fn batch_items<B, T>(
    items: Vec<B>,
    parse: impl Fn(B) -> Result<T, Vec<FieldError>>,
) -> Result<Vec<T>, ApiError> {
    if !(1..=MAX_BATCH).contains(&items.len()) {
        return Err(ApiError::invalid(
            "items",
            format!("must hold 1 to {MAX_BATCH} items"),
        ));
    }
    let mut parsed = Vec::with_capacity(items.len());
    let mut errors = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        match parse(item) {
            Ok(item) => parsed.push(item),
            Err(fields) => errors.extend(
                fields
                    .into_iter()
                    .map(|e| FieldError::new(format!("items[{i}].{}", e.field), e.message)),
            ),
        }
    }
    if errors.is_empty() {
        Ok(parsed)
    } else {
        Err(ApiError::Validation(errors))
    }
}
