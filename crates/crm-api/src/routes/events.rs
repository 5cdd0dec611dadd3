//! `/events` and `/event-types` (contract section 5).

use crate::access::{Auth, SignedIn};
use crate::app::AppState;
use crate::problem::ApiError;
use crate::routes::dto::PageDto;
use actix_web::{HttpResponse, web};
use crm_domain::ListQuery;
use crm_domain::events::{EVENT_LIST_SPEC, Event, EventType, EventsRead};
use crm_domain::kernel::clock;

crate::list_params::list_params! {
    /// `GET /events`.
    Events = crm_domain::events::EVENT_LIST_SPEC, search = "nothing";
}

/// The organization's events of the last 30 days.
#[utoipa::path(get, path = "/api/v1/events", tag = "events",
    params(Events),
    responses((status = 200, description = "One page", body = PageDto<Event>)))]
pub async fn list(
    auth: Auth<EventsRead>,
    state: web::Data<AppState>,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, ApiError> {
    let q = ListQuery::parse(&EVENT_LIST_SPEC, &query).map_err(ApiError::validation)?;
    let page = state.events.list(&auth.actor, &q, clock::now()).await?;
    Ok(HttpResponse::Ok().json(PageDto::from_page(page, |e| e)))
}

/// Every event type the API records, for choosing webhook subscriptions.
#[utoipa::path(get, path = "/api/v1/event-types", tag = "events",
    responses((status = 200, description = "The whole list on one page", body = PageDto<EventType>)))]
pub async fn types(_auth: SignedIn, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(PageDto {
        data: state.events.types().to_vec(),
        next_cursor: None,
        total: None,
    }))
}
