//! HTTP routes, one module per resource. Handlers stay thin: extract, convert, call one
//! service, map the result. Every handler's first argument declares its access rule (see
//! `access.rs`); [`api_routes`] is the one place routes are listed.

pub mod activities;
pub mod calendar;
pub mod clients;
pub mod dto;
pub mod events;
pub mod files;
pub mod finance;
pub mod handlers;
pub mod health;
pub mod hr;
pub mod identity;
pub mod imports;
pub mod messages;
pub mod notifications;
pub mod perms;
pub mod projects;
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
    messages::routes(calendar::routes(webhooks::routes(hr::routes(
        projects::routes(finance::routes(sales::routes(clients::routes(
            identity::routes(Routes::new("/api/v1")),
        )))),
    ))))
    .get("/activities", activities::list)
    .get("/events", events::list)
    .get("/event-types", events::types)
    .get("/notifications", notifications::list)
    .get("/notifications/unread-count", notifications::unread_count)
    .get("/notifications/stream", notifications::stream)
    .post(
        "/notifications/stream-tickets",
        notifications::create_ticket,
    )
    .post("/notifications/read-all", notifications::read_all)
    .post("/notifications/{id}/read", notifications::read)
    .delete("/notifications/{id}", notifications::delete)
    .get("/notification-preferences", notifications::preferences)
    .put("/notification-preferences", notifications::set_preferences)
    .post("/files", files::upload)
    .get("/files", files::list)
    .get("/files/{id}", files::get)
    .patch("/files/{id}", files::update)
    .delete("/files/{id}", files::delete)
    .get("/files/{id}/content", files::content)
    .post("/imports", imports::create)
    .get("/imports", imports::list)
    .get("/imports/{id}", imports::get)
}

pub fn health(cfg: &mut web::ServiceConfig) {
    health_routes().register(cfg);
}

pub fn api_v1(cfg: &mut web::ServiceConfig) {
    api_routes().register(cfg);
}
