//! HTTP routes, one module per resource. Handlers stay thin: extract, convert, call one
//! service, map the result. Every handler's first argument declares its access rule (see
//! `access.rs`); [`api_routes`] is the one place routes are listed.

pub mod activities;
pub mod clients;
pub mod dto;
pub mod health;
pub mod identity;
pub mod perms;
pub mod sales;

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
    identity::routes(Routes::new("/api/v1"))
        .get("/clients", clients::list)
        .post("/clients", clients::create)
        .get("/clients/{id}", clients::get)
        .patch("/clients/{id}", clients::update)
        .delete("/clients/{id}", clients::delete)
        .get("/clients/{id}/sub-clients", clients::sub_clients)
        .get("/clients/{id}/contacts", clients::list_contacts)
        .post("/clients/{id}/contacts", clients::create_contact)
        .get("/clients/{id}/contacts/{contact_id}", clients::get_contact)
        .patch(
            "/clients/{id}/contacts/{contact_id}",
            clients::update_contact,
        )
        .delete(
            "/clients/{id}/contacts/{contact_id}",
            clients::delete_contact,
        )
        .get("/clients/{id}/interactions", clients::list_interactions)
        .post("/clients/{id}/interactions", clients::create_interaction)
        .get(
            "/clients/{id}/interactions/{interaction_id}",
            clients::get_interaction,
        )
        .patch(
            "/clients/{id}/interactions/{interaction_id}",
            clients::update_interaction,
        )
        .delete(
            "/clients/{id}/interactions/{interaction_id}",
            clients::delete_interaction,
        )
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
}

pub fn health(cfg: &mut web::ServiceConfig) {
    health_routes().register(cfg);
}

pub fn api_v1(cfg: &mut web::ServiceConfig) {
    api_routes().register(cfg);
}
