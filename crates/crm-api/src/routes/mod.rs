//! HTTP routes, one module per resource. Handlers stay thin: extract, convert, call one
//! service, map the result. Every handler's first argument declares its access rule (see
//! `access.rs`); [`api_routes`] is the one place routes are listed.

pub mod activities;
pub mod auth;
pub mod clients;
pub mod departments;
pub mod dto;
pub mod events;
pub mod health;
pub mod organization;
pub mod perms;
pub mod roles;
pub mod sales;
pub mod users;

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
    let r = Routes::new("/api/v1")
        .post("/auth/register", auth::register)
        .post("/auth/verify-email", auth::verify_email)
        .post("/auth/resend-code", auth::resend_code)
        .post("/auth/login", auth::login)
        .post("/auth/refresh", auth::refresh)
        .post("/auth/logout", auth::logout)
        .post("/auth/forgot-password", auth::forgot_password)
        .post("/auth/reset-password", auth::reset_password)
        .post("/auth/change-password", auth::change_password)
        .get("/auth/me", auth::me)
        .get("/organization", organization::get)
        .patch("/organization", organization::patch)
        .get("/users", users::list)
        .post("/users", users::create)
        .get("/users/{id}", users::get)
        .patch("/users/{id}", users::update)
        .post("/users/{id}/deactivate", users::deactivate)
        .post("/users/{id}/reactivate", users::reactivate)
        .get("/users/{id}/roles", users::roles)
        .put("/users/{id}/roles", users::set_roles)
        .get("/roles", roles::list)
        .post("/roles", roles::create)
        .get("/roles/{id}", roles::get)
        .patch("/roles/{id}", roles::update)
        .delete("/roles/{id}", roles::delete)
        .get("/permissions", roles::permissions)
        .get("/departments", departments::list)
        .post("/departments", departments::create)
        .get("/departments/{id}", departments::get)
        .patch("/departments/{id}", departments::update)
        .delete("/departments/{id}", departments::delete)
        .get("/designations", departments::list_designations)
        .post("/designations", departments::create_designation)
        .get("/designations/{id}", departments::get_designation)
        .patch("/designations/{id}", departments::update_designation)
        .delete("/designations/{id}", departments::delete_designation);
    sales::routes(clients::routes(r))
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
