//! Sales: `/leads` (with conversion), `/pipelines`, `/deals` (with board, forecast, won/lost),
//! `/quotations` (with send/accept/reject), and client tracking (summary, timeline): the sales
//! module's routes and their OpenAPI operations.
//!
//! The sales domain types serialize in the contract's shape, so they are the response bodies.

mod deals;
mod leads;
mod pipelines;
mod quotations;
mod tracking;

use crate::access::Routes;
use crate::export::list_of;
use crate::problem::ApiError;
use crate::routes::perms;
use actix_web::web;
use crm_domain::ListQuery;
use crm_domain::kernel::pagination::ListSpec;

type Query = web::Query<Vec<(String, String)>>;

fn parse(spec: &ListSpec, q: &Query) -> Result<ListQuery, ApiError> {
    ListQuery::parse(spec, q).map_err(ApiError::validation)
}

/// The module's routes, in the order they are matched.
pub fn routes(r: Routes) -> Routes {
    r.get("/clients/{id}/summary", tracking::client_summary)
        .get("/clients/{id}/timeline", tracking::client_timeline)
        .get("/leads", leads::list_leads)
        .export::<perms::LeadsRead, _>(
            "/leads/export",
            "leads",
            &crm_sales::leads::LEAD_LIST_SPEC,
            list_of!(sales.leads),
        )
        .post("/leads", leads::create_lead)
        .get("/leads/{id}", leads::get_lead)
        .patch("/leads/{id}", leads::update_lead)
        .delete("/leads/{id}", leads::delete_lead)
        .post("/leads/{id}/convert", leads::convert_lead)
        .get("/pipelines", pipelines::list_pipelines)
        .post("/pipelines", pipelines::create_pipeline)
        .get("/pipelines/{id}", pipelines::get_pipeline)
        .patch("/pipelines/{id}", pipelines::update_pipeline)
        .delete("/pipelines/{id}", pipelines::delete_pipeline)
        // Before /deals/{id}, which would otherwise take `board` for an id.
        .get("/deals/board", deals::board)
        .get("/deals/forecast", deals::forecast)
        .get("/deals", deals::list_deals)
        .export::<perms::DealsRead, _>(
            "/deals/export",
            "deals",
            &crm_sales::deals::DEAL_LIST_SPEC,
            list_of!(sales.deals),
        )
        .post("/deals", deals::create_deal)
        .get("/deals/{id}", deals::get_deal)
        .patch("/deals/{id}", deals::update_deal)
        .delete("/deals/{id}", deals::delete_deal)
        .post("/deals/{id}/won", deals::won)
        .post("/deals/{id}/lost", deals::lost)
        .get("/deals/{id}/stage-history", deals::stage_history)
        .get("/quotations", quotations::list_quotations)
        .post("/quotations", quotations::create_quotation)
        .get("/quotations/{id}", quotations::get_quotation)
        .patch("/quotations/{id}", quotations::update_quotation)
        .delete("/quotations/{id}", quotations::delete_quotation)
        .post("/quotations/{id}/send", quotations::send_quotation)
        .post("/quotations/{id}/accept", quotations::accept_quotation)
        .post("/quotations/{id}/reject", quotations::reject_quotation)
}

/// The module's operations, nested under `/api/v1` by [`crate::openapi::ApiDoc`].
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    tracking::client_summary,
    tracking::client_timeline,
    leads::list_leads,
    leads::create_lead,
    leads::get_lead,
    leads::update_lead,
    leads::delete_lead,
    leads::convert_lead,
    pipelines::list_pipelines,
    pipelines::create_pipeline,
    pipelines::get_pipeline,
    pipelines::update_pipeline,
    pipelines::delete_pipeline,
    deals::board,
    deals::forecast,
    deals::list_deals,
    deals::create_deal,
    deals::get_deal,
    deals::update_deal,
    deals::delete_deal,
    deals::won,
    deals::lost,
    deals::stage_history,
    quotations::list_quotations,
    quotations::create_quotation,
    quotations::get_quotation,
    quotations::update_quotation,
    quotations::delete_quotation,
    quotations::send_quotation,
    quotations::accept_quotation,
    quotations::reject_quotation,
))]
pub struct Api;
