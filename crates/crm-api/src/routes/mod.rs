//! HTTP routes, one module per resource. Handlers stay thin: extract, convert, call one
//! service, map the result.
//!
//! Routes are registered per path with `web::resource(..).route(..)`, so a path called with a
//! method it does not have answers 405 (with `Allow`), not 404.

pub mod activities;
pub mod health;

use actix_web::web;

/// `/health/*`, outside the versioned API.
pub fn health(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/health/live").route(web::get().to(health::live)))
        .service(web::resource("/health/ready").route(web::get().to(health::ready)));
}

/// Every route under `/api/v1`.
pub fn api_v1(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/activities").route(web::get().to(activities::list)));
}
