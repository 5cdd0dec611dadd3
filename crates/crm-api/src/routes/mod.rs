//! HTTP routes, one module per resource. Handlers stay thin: extract, convert, call one
//! service, map the result. Every handler's first argument declares its access rule (see
//! `access.rs`); [`api_routes`] is the one place routes are listed.

pub mod activities;
pub mod clients;
pub mod dto;
pub mod events;
pub mod health;
pub mod identity;
pub mod perms;
pub mod sales;
pub mod webhooks;

use crate::access::Routes;
use actix_web::web;

/// `/health/*`, outside the versioned API.
pub fn health_routes() -> Routes {
    Routes::new("")
        .get("/health/live", health::live)
        .get("/health/ready", health::ready)
}

/// Every route under `/api/v1`.
pub fn api_routes() -> Routes {
    webhooks::routes(sales::routes(clients::routes(identity::routes(
        Routes::new("/api/v1"),
    ))))
    .get("/activities", activities::list)
    .get("/events", events::list)
    .get("/event-types", events::types)
}

pub fn health(cfg: &mut web::ServiceConfig) {
    health_routes().register(cfg);
}

pub fn api_v1(cfg: &mut web::ServiceConfig) {
    api_routes().register(cfg);
}
