//! Sales: `/leads` (with conversion), `/pipelines`, `/deals` (with board, forecast, won/lost),
//! `/quotations` (with send/accept/reject), and client tracking (summary, timeline).
//!
//! The sales domain types serialize in the contract's shape, so they are the response bodies.

use crate::access::Auth;
use crate::app::AppState;
use crate::http::{Body, IfMatch, created, no_content, ok_etag};
use crate::problem::ApiError;
use crate::routes::dto::PageDto;
use crate::routes::perms::*;
use actix_web::{HttpResponse, web};
use crm_domain::ListQuery;
use crm_domain::clients::{Client, ClientId};
use crm_sales::deals::{
    Board, DEAL_LIST_SPEC, Deal, DealId, DealInput, DealPatch, Forecast, ForecastQuery, LostInput,
    StageChange,
};
use crm_sales::leads::{ConvertLeadInput, LEAD_LIST_SPEC, Lead, LeadId, LeadInput, LeadPatch};
use crm_sales::pipelines::{
    PIPELINE_LIST_SPEC, Pipeline, PipelineId, PipelineInput, PipelinePatch,
};
use crm_sales::quotations::{
    QUOTATION_LIST_SPEC, Quotation, QuotationId, QuotationInput, QuotationPatch,
};
use crm_sales::tracking::{ClientSummary, TIMELINE_LIST_SPEC, TimelineItem};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

type Query = web::Query<Vec<(String, String)>>;

fn parse(
    spec: &crm_domain::kernel::pagination::ListSpec,
    q: &Query,
) -> Result<ListQuery, ApiError> {
    ListQuery::parse(spec, q).map_err(ApiError::validation)
}

// ---------------------------------------------------------------- leads

#[utoipa::path(get, path = "/api/v1/leads", tag = "leads",
    params(crate::list_params::Leads),
    responses((status = 200, description = "One page", body = PageDto<Lead>)))]
pub async fn list_leads(
    auth: Auth<LeadsRead>,
    state: web::Data<AppState>,
    query: Query,
) -> Result<HttpResponse, ApiError> {
    let page = state
        .sales
        .leads
        .list(&auth.actor, &parse(&LEAD_LIST_SPEC, &query)?)
        .await?;
    Ok(HttpResponse::Ok().json(PageDto::from_page(page, |l| l)))
}

/// A lead whose email belongs to an open lead answers 409 with `existing_id`.
#[utoipa::path(post, path = "/api/v1/leads", tag = "leads", request_body = LeadInput,
    responses(
        (status = 201, description = "Created", body = Lead),
        (status = 409, description = "An open lead has this email; `existing_id` names it", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_lead(
    auth: Auth<LeadsWrite>,
    state: web::Data<AppState>,
    body: Body<LeadInput>,
) -> Result<HttpResponse, ApiError> {
    let l = state.sales.leads.create(&auth.actor, body.parse()?).await?;
    Ok(created(format!("/api/v1/leads/{}", l.id), l.version, &l))
}

#[utoipa::path(get, path = "/api/v1/leads/{id}", tag = "leads", params(("id" = Uuid, Path)),
    responses((status = 200, description = "The lead (with ETag)", body = Lead)))]
pub async fn get_lead(
    auth: Auth<LeadsRead>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let l = state.sales.leads.get(&auth.actor, LeadId(*id)).await?;
    Ok(ok_etag(l.version, &l))
}

#[utoipa::path(patch, path = "/api/v1/leads/{id}", tag = "leads", request_body = LeadPatch,
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "`\"<version>\"`")),
    responses((status = 200, description = "The updated lead", body = Lead)))]
pub async fn update_lead(
    auth: Auth<LeadsWrite>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Body<LeadPatch>,
) -> Result<HttpResponse, ApiError> {
    let l = state
        .sales
        .leads
        .update(&auth.actor, LeadId(*id), if_match.0, body.parse()?)
        .await?;
    Ok(ok_etag(l.version, &l))
}

#[utoipa::path(delete, path = "/api/v1/leads/{id}", tag = "leads", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted")))]
pub async fn delete_lead(
    auth: Auth<LeadsDelete>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    state.sales.leads.delete(&auth.actor, LeadId(*id)).await?;
    Ok(no_content())
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
#[utoipa::path(post, path = "/api/v1/leads/{id}/convert", tag = "leads", request_body = ConvertLeadInput,
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

// ---------------------------------------------------------------- pipelines

#[utoipa::path(get, path = "/api/v1/pipelines", tag = "pipelines", params(crate::list_params::Pipelines),
    responses((status = 200, description = "One page (the default pipeline always exists)", body = PageDto<Pipeline>)))]
pub async fn list_pipelines(
    auth: Auth<PipelinesRead>,
    state: web::Data<AppState>,
    query: Query,
) -> Result<HttpResponse, ApiError> {
    let page = state
        .sales
        .pipelines
        .list(&auth.actor, &parse(&PIPELINE_LIST_SPEC, &query)?)
        .await?;
    Ok(HttpResponse::Ok().json(PageDto::from_page(page, |p| p)))
}

/// Create with `stages: [{name, probability}]`; positions follow the order.
#[utoipa::path(post, path = "/api/v1/pipelines", tag = "pipelines", request_body = PipelineInput,
    responses((status = 201, description = "Created", body = Pipeline)))]
pub async fn create_pipeline(
    auth: Auth<PipelinesWrite>,
    state: web::Data<AppState>,
    body: Body<PipelineInput>,
) -> Result<HttpResponse, ApiError> {
    let p = state
        .sales
        .pipelines
        .create(&auth.actor, body.parse()?)
        .await?;
    Ok(created(
        format!("/api/v1/pipelines/{}", p.id),
        p.version,
        &p,
    ))
}

#[utoipa::path(get, path = "/api/v1/pipelines/{id}", tag = "pipelines", params(("id" = Uuid, Path)),
    responses((status = 200, description = "The pipeline (with ETag)", body = Pipeline)))]
pub async fn get_pipeline(
    auth: Auth<PipelinesRead>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let p = state
        .sales
        .pipelines
        .get(&auth.actor, PipelineId(*id))
        .await?;
    Ok(ok_etag(p.version, &p))
}

#[utoipa::path(patch, path = "/api/v1/pipelines/{id}", tag = "pipelines", request_body = PipelinePatch,
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, description = "The updated pipeline", body = Pipeline)))]
pub async fn update_pipeline(
    auth: Auth<PipelinesWrite>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Body<PipelinePatch>,
) -> Result<HttpResponse, ApiError> {
    let p = state
        .sales
        .pipelines
        .update(&auth.actor, PipelineId(*id), if_match.0, body.parse()?)
        .await?;
    Ok(ok_etag(p.version, &p))
}

#[utoipa::path(delete, path = "/api/v1/pipelines/{id}", tag = "pipelines", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted")))]
pub async fn delete_pipeline(
    auth: Auth<PipelinesDelete>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    state
        .sales
        .pipelines
        .delete(&auth.actor, PipelineId(*id))
        .await?;
    Ok(no_content())
}

// ---------------------------------------------------------------- deals

#[utoipa::path(get, path = "/api/v1/deals", tag = "deals",
    params(crate::list_params::Deals),
    responses((status = 200, description = "One page", body = PageDto<Deal>)))]
pub async fn list_deals(
    auth: Auth<DealsRead>,
    state: web::Data<AppState>,
    query: Query,
) -> Result<HttpResponse, ApiError> {
    let page = state
        .sales
        .deals
        .list(&auth.actor, &parse(&DEAL_LIST_SPEC, &query)?)
        .await?;
    Ok(HttpResponse::Ok().json(PageDto::from_page(page, |d| d)))
}

/// Without `pipeline_id` the deal goes to the default pipeline's first stage.
#[utoipa::path(post, path = "/api/v1/deals", tag = "deals", request_body = DealInput,
    responses((status = 201, description = "Created", body = Deal)))]
pub async fn create_deal(
    auth: Auth<DealsWrite>,
    state: web::Data<AppState>,
    body: Body<DealInput>,
) -> Result<HttpResponse, ApiError> {
    let d = state.sales.deals.create(&auth.actor, body.parse()?).await?;
    Ok(created(format!("/api/v1/deals/{}", d.id), d.version, &d))
}

#[utoipa::path(get, path = "/api/v1/deals/{id}", tag = "deals", params(("id" = Uuid, Path)),
    responses((status = 200, description = "The deal (with ETag)", body = Deal)))]
pub async fn get_deal(
    auth: Auth<DealsRead>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let d = state.sales.deals.get(&auth.actor, DealId(*id)).await?;
    Ok(ok_etag(d.version, &d))
}

/// Moving `stage_id` is recorded in the stage history; a closed deal answers 409.
#[utoipa::path(patch, path = "/api/v1/deals/{id}", tag = "deals", request_body = DealPatch,
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, description = "The updated deal", body = Deal)))]
pub async fn update_deal(
    auth: Auth<DealsWrite>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Body<DealPatch>,
) -> Result<HttpResponse, ApiError> {
    let d = state
        .sales
        .deals
        .update(&auth.actor, DealId(*id), if_match.0, body.parse()?)
        .await?;
    Ok(ok_etag(d.version, &d))
}

#[utoipa::path(delete, path = "/api/v1/deals/{id}", tag = "deals", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted")))]
pub async fn delete_deal(
    auth: Auth<DealsDelete>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    state.sales.deals.delete(&auth.actor, DealId(*id)).await?;
    Ok(no_content())
}

/// Close the deal as won; its client becomes a customer.
#[utoipa::path(post, path = "/api/v1/deals/{id}/won", tag = "deals",
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, description = "The won deal", body = Deal)))]
pub async fn won(
    auth: Auth<DealsWrite>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let d = state
        .sales
        .deals
        .won(&auth.actor, DealId(*id), if_match.0)
        .await?;
    Ok(ok_etag(d.version, &d))
}

#[utoipa::path(post, path = "/api/v1/deals/{id}/lost", tag = "deals", request_body = LostInput,
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, description = "The lost deal", body = Deal)))]
pub async fn lost(
    auth: Auth<DealsWrite>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Body<LostInput>,
) -> Result<HttpResponse, ApiError> {
    // The deal first: another organization's deal answers 404 whatever the body holds.
    state.sales.deals.get(&auth.actor, DealId(*id)).await?;
    let d = state
        .sales
        .deals
        .lost(&auth.actor, DealId(*id), if_match.0, body.parse()?)
        .await?;
    Ok(ok_etag(d.version, &d))
}

#[derive(Serialize, ToSchema)]
#[schema(example = stage_history_example)]
pub struct StageHistory {
    pub data: Vec<StageChange>,
}

fn stage_history_example() -> serde_json::Value {
    let moved = crm_domain::kernel::openapi::example_of::<StageChange>();
    let mut entered = moved.clone();
    entered["id"] = "019c2d75-7be4-7d93-9aca-3c06f5ff0c03".into();
    entered["from_stage_id"] = serde_json::Value::Null;
    entered["to_stage_id"] = moved["from_stage_id"].clone();
    entered["changed_at"] = "2026-02-05T11:00:00.000000Z".into();
    serde_json::json!({"data": [entered, moved]})
}

/// Every stage the deal entered, oldest first.
#[utoipa::path(get, path = "/api/v1/deals/{id}/stage-history", tag = "deals", params(("id" = Uuid, Path)),
    responses((status = 200, description = "The stage moves", body = StageHistory)))]
pub async fn stage_history(
    auth: Auth<DealsRead>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let data = state
        .sales
        .deals
        .stage_history(&auth.actor, DealId(*id))
        .await?;
    Ok(HttpResponse::Ok().json(StageHistory { data }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct BoardQuery {
    /// Default: the default pipeline.
    pub pipeline_id: Option<Uuid>,
}

/// Open deals per stage, with counts and totals per currency.
#[utoipa::path(get, path = "/api/v1/deals/board", tag = "deals", params(BoardQuery),
    responses((status = 200, description = "The board", body = Board)))]
pub async fn board(
    auth: Auth<DealsRead>,
    state: web::Data<AppState>,
    query: web::Query<BoardQuery>,
) -> Result<HttpResponse, ApiError> {
    let b = state
        .sales
        .deals
        .board(&auth.actor, query.pipeline_id.map(PipelineId))
        .await?;
    Ok(HttpResponse::Ok().json(b))
}

/// Probability-weighted open amount per expected-close month and currency.
#[utoipa::path(get, path = "/api/v1/deals/forecast", tag = "deals",
    params(("pipeline_id" = Option<Uuid>, Query), ("owner_id" = Option<Uuid>, Query),
        ("from" = Option<String>, Query, description = "`YYYY-MM`", pattern = r"^\s*[0-9]{4}-(0[1-9]|1[0-2])\s*$"), ("to" = Option<String>, Query, description = "`YYYY-MM`", pattern = r"^\s*[0-9]{4}-(0[1-9]|1[0-2])\s*$")),
    responses((status = 200, description = "The forecast", body = Forecast)))]
pub async fn forecast(
    auth: Auth<DealsRead>,
    state: web::Data<AppState>,
    query: web::Query<ForecastQuery>,
) -> Result<HttpResponse, ApiError> {
    let f = state
        .sales
        .deals
        .forecast(&auth.actor, query.into_inner())
        .await?;
    Ok(HttpResponse::Ok().json(f))
}

// ---------------------------------------------------------------- quotations

#[utoipa::path(get, path = "/api/v1/quotations", tag = "quotations",
    params(crate::list_params::Quotations),
    responses((status = 200, description = "One page", body = PageDto<Quotation>)))]
pub async fn list_quotations(
    auth: Auth<QuotationsRead>,
    state: web::Data<AppState>,
    query: Query,
) -> Result<HttpResponse, ApiError> {
    let page = state
        .sales
        .quotations
        .list(&auth.actor, &parse(&QUOTATION_LIST_SPEC, &query)?)
        .await?;
    Ok(HttpResponse::Ok().json(PageDto::from_page(page, |q| q)))
}

/// The number (`Q-YYYY-NNNN`, gap-free per organization and year) and totals are computed.
#[utoipa::path(post, path = "/api/v1/quotations", tag = "quotations", request_body = QuotationInput,
    responses((status = 201, description = "Created as a draft", body = Quotation)))]
pub async fn create_quotation(
    auth: Auth<QuotationsWrite>,
    state: web::Data<AppState>,
    body: Body<QuotationInput>,
) -> Result<HttpResponse, ApiError> {
    let q = state
        .sales
        .quotations
        .create(&auth.actor, body.parse()?)
        .await?;
    Ok(created(
        format!("/api/v1/quotations/{}", q.id),
        q.version,
        &q,
    ))
}

#[utoipa::path(get, path = "/api/v1/quotations/{id}", tag = "quotations", params(("id" = Uuid, Path)),
    responses((status = 200, description = "The quotation (with ETag)", body = Quotation)))]
pub async fn get_quotation(
    auth: Auth<QuotationsRead>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let q = state
        .sales
        .quotations
        .get(&auth.actor, QuotationId(*id))
        .await?;
    Ok(ok_etag(q.version, &q))
}

/// Only drafts can be edited (409 otherwise).
#[utoipa::path(patch, path = "/api/v1/quotations/{id}", tag = "quotations", request_body = QuotationPatch,
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, description = "The updated quotation", body = Quotation)))]
pub async fn update_quotation(
    auth: Auth<QuotationsWrite>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Body<QuotationPatch>,
) -> Result<HttpResponse, ApiError> {
    let q = state
        .sales
        .quotations
        .update(&auth.actor, QuotationId(*id), if_match.0, body.parse()?)
        .await?;
    Ok(ok_etag(q.version, &q))
}

#[utoipa::path(delete, path = "/api/v1/quotations/{id}", tag = "quotations", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted")))]
pub async fn delete_quotation(
    auth: Auth<QuotationsDelete>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    state
        .sales
        .quotations
        .delete(&auth.actor, QuotationId(*id))
        .await?;
    Ok(no_content())
}

/// draft → sent.
#[utoipa::path(post, path = "/api/v1/quotations/{id}/send", tag = "quotations",
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, description = "The sent quotation", body = Quotation)))]
pub async fn send_quotation(
    auth: Auth<QuotationsWrite>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let q = state
        .sales
        .quotations
        .send(&auth.actor, QuotationId(*id), if_match.0)
        .await?;
    Ok(ok_etag(q.version, &q))
}

/// sent → accepted (409 once `valid_until` has passed).
#[utoipa::path(post, path = "/api/v1/quotations/{id}/accept", tag = "quotations",
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, description = "The accepted quotation", body = Quotation)))]
pub async fn accept_quotation(
    auth: Auth<QuotationsWrite>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let q = state
        .sales
        .quotations
        .accept(&auth.actor, QuotationId(*id), if_match.0)
        .await?;
    Ok(ok_etag(q.version, &q))
}

/// sent → rejected.
#[utoipa::path(post, path = "/api/v1/quotations/{id}/reject", tag = "quotations",
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, description = "The rejected quotation", body = Quotation)))]
pub async fn reject_quotation(
    auth: Auth<QuotationsWrite>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let q = state
        .sales
        .quotations
        .reject(&auth.actor, QuotationId(*id), if_match.0)
        .await?;
    Ok(ok_etag(q.version, &q))
}

// ---------------------------------------------------------------- customer tracking

/// Open deals (count and value per currency), won value, last interaction, quotations by status.
#[utoipa::path(get, path = "/api/v1/clients/{id}/summary", tag = "clients", params(("id" = Uuid, Path)),
    responses((status = 200, description = "The client's figures", body = ClientSummary)))]
pub async fn client_summary(
    auth: Auth<ClientsRead>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let s = state
        .sales
        .tracking
        .summary(&auth.actor, ClientId(*id))
        .await?;
    Ok(HttpResponse::Ok().json(s))
}

/// Interactions, deals, quotations and audit entries of the client, newest first; the audit
/// entries include those of the client's deals and quotations the caller may read.
#[utoipa::path(get, path = "/api/v1/clients/{id}/timeline", tag = "clients",
    params(("id" = Uuid, Path), crate::list_params::Timeline),
    responses((status = 200, description = "One page", body = PageDto<TimelineItem>)))]
pub async fn client_timeline(
    auth: Auth<ClientsRead>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    query: Query,
) -> Result<HttpResponse, ApiError> {
    let q = parse(&TIMELINE_LIST_SPEC, &query)?;
    let page = state
        .sales
        .tracking
        .timeline(&auth.actor, ClientId(*id), &q)
        .await?;
    Ok(HttpResponse::Ok().json(PageDto::from_page(page, |t| t)))
}
