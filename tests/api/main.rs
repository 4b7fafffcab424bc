#![allow(clippy::unwrap_used, clippy::expect_used)]

//! Black-box HTTP tests against the real application, each on a fresh database: a temporary
//! SQLite file by default, or a new PostgreSQL database when `BUYIN_TEST_DATABASE_URL` is set.

mod helpers;
mod idempotency;
mod world;

mod actions;
mod activities;
mod api_keys;
mod auth;
mod authz;
mod clock;
mod config;
mod errors;
mod events;
mod faults;
mod history;
mod layers;
mod limits;
mod members;
mod milestones;
mod my_actions;
mod openapi;
mod operations;
mod orgs;
mod portfolio;
mod projects;
mod races;
mod readiness;
mod sync;
mod test_scripts;
mod throttling;
mod tokens;
mod webhooks;
