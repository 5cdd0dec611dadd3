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
    clients::routes(r)
        .get("/clients/{id}/summary", sales::client_summary)
        .get("/clients/{id}/timeline", sales::client_timeline)
        .get("/leads", sales::list_leads)
        .post("/leads", sales::create_lead)
        .get("/leads/{id}", sales::get_lead)
        .patch("/leads/{id}", sales::update_lead)
        .delete("/leads/{id}", sales::delete_lead)
        .post("/leads/{id}/convert", sales::convert_lead)
        .get("/pipelines", sales::list_pipelines)
        .post("/pipelines", sales::create_pipeline)
        .get("/pipelines/{id}", sales::get_pipeline)
        .patch("/pipelines/{id}", sales::update_pipeline)
        .delete("/pipelines/{id}", sales::delete_pipeline)
        // Before /deals/{id}, which would otherwise take `board` for an id.
        .get("/deals/board", sales::board)
        .get("/deals/forecast", sales::forecast)
        .get("/deals", sales::list_deals)
        .post("/deals", sales::create_deal)
        .get("/deals/{id}", sales::get_deal)
        .patch("/deals/{id}", sales::update_deal)
        .delete("/deals/{id}", sales::delete_deal)
        .post("/deals/{id}/won", sales::won)
        .post("/deals/{id}/lost", sales::lost)
        .get("/deals/{id}/stage-history", sales::stage_history)
        .get("/quotations", sales::list_quotations)
        .post("/quotations", sales::create_quotation)
        .get("/quotations/{id}", sales::get_quotation)
        .patch("/quotations/{id}", sales::update_quotation)
        .delete("/quotations/{id}", sales::delete_quotation)
        .post("/quotations/{id}/send", sales::send_quotation)
        .post("/quotations/{id}/accept", sales::accept_quotation)
        .post("/quotations/{id}/reject", sales::reject_quotation)
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
