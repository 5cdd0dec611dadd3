//! `/clients` and `/clients/{id}/sub-clients`.

use super::{Query, parse};
use crate::access::Auth;
use crate::app::AppState;
use crate::http::{Body, IfMatch, created, no_content, ok_etag};
use crate::problem::ApiError;
use crate::routes::dto::PageDto;
use crate::routes::perms::{ClientsDelete, ClientsRead, ClientsWrite};
use actix_web::{HttpResponse, web};
use crm_domain::clients::{CLIENT_LIST_SPEC, Client, ClientId, ClientInput, ClientPatch};
use uuid::Uuid;

crate::list_params::list_params! {
    /// `GET /clients` and `GET /clients/{id}/sub-clients`.
    Clients = crm_domain::clients::CLIENT_LIST_SPEC, search = "name, email and phone";
}

#[utoipa::path(get, path = "/clients", tag = "clients",
    params(Clients),
    responses((status = 200, description = "One page", body = PageDto<Client>)))]
pub async fn list(
    auth: Auth<ClientsRead>,
    state: web::Data<AppState>,
    query: Query,
) -> Result<HttpResponse, ApiError> {
    let q = parse(&CLIENT_LIST_SPEC, &query)?;
    let page = state.clients.clients.list(&auth.actor, &q).await?;
    Ok(HttpResponse::Ok().json(PageDto::from_page(page, |c| c)))
}

#[utoipa::path(post, path = "/clients", tag = "clients", request_body = ClientInput,
    responses((status = 201, description = "Created", body = Client)))]
pub async fn create(
    auth: Auth<ClientsWrite>,
    state: web::Data<AppState>,
    body: Body<ClientInput>,
) -> Result<HttpResponse, ApiError> {
    let c = state
        .clients
        .clients
        .create(&auth.actor, body.parse()?)
        .await?;
    Ok(created(format!("/api/v1/clients/{}", c.id), c.version, &c))
}

#[utoipa::path(get, path = "/clients/{id}", tag = "clients", params(("id" = Uuid, Path)),
    responses((status = 200, description = "The client (with ETag)", body = Client)))]
pub async fn get(
    auth: Auth<ClientsRead>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let c = state
        .clients
        .clients
        .get(&auth.actor, ClientId(*id))
        .await?;
    Ok(ok_etag(c.version, &c))
}

#[utoipa::path(patch, path = "/clients/{id}", tag = "clients", request_body = ClientPatch,
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "`\"<version>\"`")),
    responses((status = 200, description = "The updated client", body = Client)))]
pub async fn update(
    auth: Auth<ClientsWrite>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Body<ClientPatch>,
) -> Result<HttpResponse, ApiError> {
    let c = state
        .clients
        .clients
        .update(&auth.actor, ClientId(*id), if_match.0, body.parse()?)
        .await?;
    Ok(ok_etag(c.version, &c))
}

#[utoipa::path(delete, path = "/clients/{id}", tag = "clients", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted with its contacts and interactions")))]
pub async fn delete(
    auth: Auth<ClientsDelete>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = ClientId(*id);
    state.clients.clients.delete(&auth.actor, id).await?;
    Ok(no_content())
}

/// The client's direct children.
#[utoipa::path(get, path = "/clients/{id}/sub-clients", tag = "clients",
    params(("id" = Uuid, Path), Clients),
    responses((status = 200, description = "One page", body = PageDto<Client>)))]
pub async fn sub_clients(
    auth: Auth<ClientsRead>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    query: Query,
) -> Result<HttpResponse, ApiError> {
    let q = parse(&CLIENT_LIST_SPEC, &query)?;
    let id = ClientId(*id);
    let page = state
        .clients
        .clients
        .sub_clients(&auth.actor, id, &q)
        .await?;
    Ok(HttpResponse::Ok().json(PageDto::from_page(page, |c| c)))
}
