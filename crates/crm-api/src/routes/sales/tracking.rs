//! `GET /clients/{id}/summary` and `GET /clients/{id}/timeline`.

use crate::access::Auth;
use crate::app::AppState;
use crate::problem::ApiError;
use crate::routes::dto::PageDto;
use crate::routes::perms::ClientsRead;
use actix_web::{HttpResponse, web};
use crm_domain::clients::ClientId;
use crm_sales::tracking::{ClientSummary, TIMELINE_LIST_SPEC, TimelineItem};
use uuid::Uuid;

crate::list_params::list_params! {
    /// `GET /clients/{id}/timeline`.
    Timeline = crm_sales::tracking::TIMELINE_LIST_SPEC, search = "nothing";
}

/// Open deals (count and value per currency), won value, last interaction, quotations by status.
#[utoipa::path(get, path = "/clients/{id}/summary", tag = "clients", params(("id" = Uuid, Path)),
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
#[utoipa::path(get, path = "/clients/{id}/timeline", tag = "clients",
    params(("id" = Uuid, Path), Timeline),
    responses((status = 200, description = "One page", body = PageDto<TimelineItem>)))]
pub async fn client_timeline(
    auth: Auth<ClientsRead>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    query: super::Query,
) -> Result<HttpResponse, ApiError> {
    let q = super::parse(&TIMELINE_LIST_SPEC, &query)?;
    let page = state
        .sales
        .tracking
        .timeline(&auth.actor, ClientId(*id), &q)
        .await?;
    Ok(HttpResponse::Ok().json(PageDto::from_page(page, |t| t)))
}
