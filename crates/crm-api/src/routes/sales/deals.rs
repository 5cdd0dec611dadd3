//! `/deals`, `POST /deals/{id}/won|lost`, `GET /deals/{id}/stage-history`, `GET /deals/board`
//! and `GET /deals/forecast`.

use crate::access::Auth;
use crate::app::AppState;
use crate::http::{Body, IfMatch, created, no_content, ok_etag};
use crate::problem::ApiError;
use crate::routes::dto::PageDto;
use crate::routes::handlers::handlers;
use crate::routes::perms::{DealsDelete, DealsRead, DealsWrite};
use actix_web::{HttpResponse, web};
use crm_sales::deals::{
    Board, DEAL_LIST_SPEC, Deal, DealId, DealInput, DealPatch, Forecast, ForecastQuery, LostInput,
    StageChange,
};
use crm_sales::pipelines::PipelineId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

crate::list_params::list_params! {
    /// `GET /deals`.
    Deals = crm_sales::deals::DEAL_LIST_SPEC, search = "title";
}

handlers! { service: sales.deals, id: DealId, location: "/api/v1/deals";
    #[utoipa::path(get, path = "/deals", tag = "deals",
        params(Deals),
        responses((status = 200, description = "One page", body = PageDto<Deal>)))]
    list list_deals(DealsRead, DEAL_LIST_SPEC);

    /// Without `pipeline_id` the deal goes to the default pipeline's first stage.
    #[utoipa::path(post, path = "/deals", tag = "deals", request_body = DealInput,
        responses((status = 201, description = "Created", body = Deal)))]
    create create_deal(DealsWrite, DealInput);

    #[utoipa::path(get, path = "/deals/{id}", tag = "deals", params(("id" = Uuid, Path)),
        responses((status = 200, description = "The deal (with ETag)", body = Deal)))]
    get get_deal(DealsRead);

    /// Moving `stage_id` is recorded in the stage history; a closed deal answers 409.
    #[utoipa::path(patch, path = "/deals/{id}", tag = "deals", request_body = DealPatch,
        params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
        responses((status = 200, description = "The updated deal", body = Deal)))]
    update update_deal(DealsWrite, DealPatch);

    #[utoipa::path(delete, path = "/deals/{id}", tag = "deals", params(("id" = Uuid, Path)),
        responses((status = 204, description = "Deleted")))]
    delete delete_deal(DealsDelete);

    /// Close the deal as won; its client becomes a customer.
    #[utoipa::path(post, path = "/deals/{id}/won", tag = "deals",
        params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
        responses((status = 200, description = "The won deal", body = Deal)))]
    change won(DealsWrite, won);
}

#[utoipa::path(post, path = "/deals/{id}/lost", tag = "deals", request_body = LostInput,
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, description = "The lost deal", body = Deal)))]
pub async fn lost(
    auth: Auth<DealsWrite>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Body<LostInput>,
) -> Result<HttpResponse, ApiError> {
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
#[utoipa::path(get, path = "/deals/{id}/stage-history", tag = "deals", params(("id" = Uuid, Path)),
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
#[utoipa::path(get, path = "/deals/board", tag = "deals", params(BoardQuery),
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
#[utoipa::path(get, path = "/deals/forecast", tag = "deals",
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
