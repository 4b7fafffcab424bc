//! Batches: many items in one request, each with the rules of its own.

use serde::Serialize;
use utoipa::ToSchema;

/// Most items in one batch request.
pub const MAX_BATCH: usize = 100;

/// What one item of a batch came to.
#[derive(Serialize, ToSchema, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    Created,
    Updated,
    /// The item matched what was stored: nothing written, no event.
    Unchanged,
    /// The item broke a rule or a right (`problem` says which); nothing of it was written.
    Failed,
}
