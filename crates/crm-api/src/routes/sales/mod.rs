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
use crate::problem::ApiError;
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

/// The handlers of a sales record's plain operations, one line each under the
/// `#[utoipa::path]` (and doc) written for it: `service` is the `state.sales` field, `id` the
/// record's id type, `location` the collection a created record's `Location` is under.
///
/// - `list name(Permission, SPEC)`: one page;
/// - `create name(Permission, Input)`: `201` with `Location` and `ETag`;
/// - `get name(Permission)`, `update name(Permission, Patch)`: the record with its `ETag`;
/// - `delete name(Permission)`: `204`;
/// - `change name(Permission, method)`: a state change (`If-Match`, no body), the record
///   with its `ETag`.
macro_rules! handlers {
    (service: $svc:ident, id: $id:ident, location: $loc:literal;
     $($(#[$m:meta])* $kind:ident $name:ident ($($arg:tt)*);)*) => {
        $(handlers!(@one $svc $id $loc [$(#[$m])*] $kind $name ($($arg)*));)*
    };
    (@one $svc:ident $id:ident $loc:literal [$(#[$m:meta])*] list $name:ident ($p:ty, $spec:expr)) => {
        $(#[$m])*
        pub async fn $name(
            auth: Auth<$p>,
            state: web::Data<AppState>,
            query: super::Query,
        ) -> Result<HttpResponse, ApiError> {
            let q = super::parse(&$spec, &query)?;
            let page = state.sales.$svc.list(&auth.actor, &q).await?;
            Ok(HttpResponse::Ok().json(PageDto::from_page(page, |r| r)))
        }
    };
    (@one $svc:ident $id:ident $loc:literal [$(#[$m:meta])*] create $name:ident ($p:ty, $input:ty)) => {
        $(#[$m])*
        pub async fn $name(
            auth: Auth<$p>,
            state: web::Data<AppState>,
            body: Body<$input>,
        ) -> Result<HttpResponse, ApiError> {
            let r = state.sales.$svc.create(&auth.actor, body.parse()?).await?;
            Ok(created(format!("{}/{}", $loc, r.id), r.version, &r))
        }
    };
    (@one $svc:ident $id:ident $loc:literal [$(#[$m:meta])*] get $name:ident ($p:ty)) => {
        $(#[$m])*
        pub async fn $name(
            auth: Auth<$p>,
            state: web::Data<AppState>,
            id: web::Path<Uuid>,
        ) -> Result<HttpResponse, ApiError> {
            let r = state.sales.$svc.get(&auth.actor, $id(*id)).await?;
            Ok(ok_etag(r.version, &r))
        }
    };
    (@one $svc:ident $id:ident $loc:literal [$(#[$m:meta])*] update $name:ident ($p:ty, $patch:ty)) => {
        $(#[$m])*
        pub async fn $name(
            auth: Auth<$p>,
            state: web::Data<AppState>,
            id: web::Path<Uuid>,
            if_match: IfMatch,
            body: Body<$patch>,
        ) -> Result<HttpResponse, ApiError> {
            let patch = body.parse()?;
            let r = state.sales.$svc.update(&auth.actor, $id(*id), if_match.0, patch).await?;
            Ok(ok_etag(r.version, &r))
        }
    };
    (@one $svc:ident $id:ident $loc:literal [$(#[$m:meta])*] delete $name:ident ($p:ty)) => {
        $(#[$m])*
        pub async fn $name(
            auth: Auth<$p>,
            state: web::Data<AppState>,
            id: web::Path<Uuid>,
        ) -> Result<HttpResponse, ApiError> {
            state.sales.$svc.delete(&auth.actor, $id(*id)).await?;
            Ok(no_content())
        }
    };
    (@one $svc:ident $id:ident $loc:literal [$(#[$m:meta])*] change $name:ident ($p:ty, $method:ident)) => {
        $(#[$m])*
        pub async fn $name(
            auth: Auth<$p>,
            state: web::Data<AppState>,
            id: web::Path<Uuid>,
            if_match: IfMatch,
        ) -> Result<HttpResponse, ApiError> {
            let r = state.sales.$svc.$method(&auth.actor, $id(*id), if_match.0).await?;
            Ok(ok_etag(r.version, &r))
        }
    };
}
use handlers;
