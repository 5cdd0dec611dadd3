//! `/leads` and `POST /leads/{id}/convert`.

use crate::access::Auth;
use crate::app::AppState;
use crate::http::{Body, IfMatch, created, no_content, ok_etag};
use crate::problem::ApiError;
use crate::routes::dto::PageDto;
use crate::routes::handlers::handlers;
use crate::routes::perms::{LeadsDelete, LeadsRead, LeadsWrite};
use actix_web::{HttpResponse, web};
use crm_domain::clients::Client;
use crm_sales::deals::Deal;
use crm_sales::leads::{ConvertLeadInput, LEAD_LIST_SPEC, Lead, LeadId, LeadInput, LeadPatch};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

crate::list_params::list_params! {
    /// `GET /leads`.
    Leads = crm_sales::leads::LEAD_LIST_SPEC, search = "name, email and company";
}

handlers! { service: sales.leads, id: LeadId, location: "/api/v1/leads";
    #[utoipa::path(get, path = "/leads", tag = "leads",
        params(Leads),
        responses((status = 200, description = "One page", body = PageDto<Lead>)))]
    list list_leads(LeadsRead, LEAD_LIST_SPEC);

    /// A lead whose email belongs to an open lead answers 409 with `existing_id`.
    #[utoipa::path(post, path = "/leads", tag = "leads", request_body = LeadInput,
        responses(
            (status = 201, description = "Created", body = Lead),
            (status = 409, description = "An open lead has this email; `existing_id` names it", body = crate::problem::Problem, content_type = "application/problem+json"),
        ))]
    create create_lead(LeadsWrite, LeadInput);

    #[utoipa::path(get, path = "/leads/{id}", tag = "leads", params(("id" = Uuid, Path)),
        responses((status = 200, description = "The lead (with ETag)", body = Lead)))]
    get get_lead(LeadsRead);

    #[utoipa::path(patch, path = "/leads/{id}", tag = "leads", request_body = LeadPatch,
        params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "`\"<version>\"`")),
        responses((status = 200, description = "The updated lead", body = Lead)))]
    update update_lead(LeadsWrite, LeadPatch);

    #[utoipa::path(delete, path = "/leads/{id}", tag = "leads", params(("id" = Uuid, Path)),
        responses((status = 204, description = "Deleted")))]
    delete delete_lead(LeadsDelete);
}

#[derive(Serialize, ToSchema)]
#[schema(example = conversion_example)]
pub struct Conversion {
    pub lead: Lead,
    pub client: Client,
    /// Present when `create_deal` was given.
    pub deal: Option<Deal>,
}

/// A converted lead with its new client and deal, from their own examples.
fn conversion_example() -> serde_json::Value {
    use crm_domain::kernel::openapi::example_of;
    let mut lead = example_of::<Lead>();
    let client = example_of::<Client>();
    let deal = example_of::<Deal>();
    lead["status"] = "converted".into();
    lead["converted_client_id"] = client["id"].clone();
    lead["converted_deal_id"] = deal["id"].clone();
    serde_json::json!({"lead": lead, "client": client, "deal": deal})
}

/// Turn a lead into a client (new, or the given `client_id`) and optionally a deal, in one
/// transaction. A converted lead cannot be converted again (409).
#[utoipa::path(post, path = "/leads/{id}/convert", tag = "leads", request_body = ConvertLeadInput,
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses(
        (status = 200, description = "The converted lead, its client and deal", body = Conversion),
        (status = 409, description = "Already converted", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn convert_lead(
    auth: Auth<LeadsWrite>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Body<ConvertLeadInput>,
) -> Result<HttpResponse, ApiError> {
    let c = state
        .sales
        .leads
        .convert(&auth.actor, LeadId(*id), if_match.0, body.parse()?)
        .await?;
    Ok(HttpResponse::Ok().json(Conversion {
        client: c.client,
        lead: c.lead,
        deal: c.deal,
    }))
}
