#![allow(clippy::unwrap_used, clippy::expect_used)]

//! Black-box HTTP tests against the real application, each on a fresh database: a temporary
//! SQLite file by default, or a new PostgreSQL database when `BUYIN_TEST_DATABASE_URL` is set.

mod helpers;

mod auth;
mod config;
mod errors;
mod openapi;
mod operations;
mod tokens;
