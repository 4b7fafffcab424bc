//! Database queries, one module per table family. Functions take `&impl ConnectionTrait`, so the
//! same query serves a pooled connection or a transaction; they hold no business rules.

pub mod sessions;
pub mod users;
