//! HTTP handlers: extract, call one service function, map the result to a response DTO.
//! No business rules live here.

pub mod actions;
pub mod activities;
pub mod api_keys;
pub mod auth;
pub mod bodies;
pub mod common;
pub mod events;
pub mod extract;
pub mod fallback;
pub mod idempotency;
pub mod invitations;
pub mod members;
pub mod middleware;
pub mod milestones;
pub mod ops;
pub mod orgs;
pub mod projects;
pub mod readiness;
pub mod test_scripts;
pub mod webhooks;

/// Registers every route; used by the server and by the OpenAPI generator alike.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.configure(ops::configure).service(
        utoipa_actix_web::scope("/api/v1")
            .wrap(actix_web::middleware::from_fn(idempotency::idempotent))
            .configure(auth::configure)
            .configure(orgs::configure)
            .configure(invitations::configure)
            .configure(api_keys::configure)
            .configure(webhooks::configure)
            .configure(projects::configure)
            .configure(members::configure)
            .configure(milestones::configure)
            .configure(activities::configure)
            .configure(actions::configure)
            .configure(test_scripts::configure)
            .configure(readiness::configure)
            .configure(events::configure),
    );
}
