//! buyin: a REST/JSON API that makes a client's ownership of a software implementation
//! measurable.
//!
//! Layers, one direction only: [`api`] (HTTP ↔ DTOs) → [`service`] (rules, authorisation,
//! transactions) → [`repo`] (queries) → [`entity`] (tables), with [`domain`] value types shared
//! by all of them.

pub mod api;
#[cfg(feature = "bench-baselines")]
pub mod bench_baselines;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod entity;
pub mod error;
pub mod events;
pub mod metrics;
pub mod openapi;
pub mod repo;
pub mod secrets;
pub mod service;
pub mod startup;
pub mod telemetry;
