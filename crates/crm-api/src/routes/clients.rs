//! `/clients` with sub-clients, contacts and interactions.

use crate::access::Auth;
use crate::app::AppState;
use crate::http::{Body, IfMatch, created, no_content, ok_etag};
use crate::problem::ApiError;
use crate::routes::dto::PageDto;
use crate::routes::perms::{ClientsDelete, ClientsRead, ClientsWrite};
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use crm_domain::ListQuery;
use crm_domain::clients::{
    CLIENT_LIST_SPEC, CONTACT_LIST_SPEC, Client, ClientId, ClientInput, ClientPatch, Contact,
    ContactId, ContactInput, ContactPatch, INTERACTION_LIST_SPEC, Interaction, InteractionId,
    InteractionInput, InteractionPatch,
};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019c2304-2480-7896-8534-f45738d048ec",
    "organization_id": "019bb138-1000-71a5-8da4-f9fc3c6da5d7",
    "name": "Globex Corporation",
    "kind": "company",
    "email": "accounts@globex.example",
    "phone": "+1 555 0142",
    "website": "https://globex.example",
    "industry": "Manufacturing",
    "parent_id": null,
    "owner_id": "019bb138-13e8-77a9-a564-12a9b8a1abcd",
    "status": "active",
    "tags": [
        "enterprise",
        "east-coast"
    ],
    "address": "1 Globex Way, Springfield",
    "lifecycle": "prospect",
    "created_at": "2026-02-03T10:20:00.000000Z",
    "updated_at": "2026-02-03T10:20:00.000000Z",
    "version": 1
}))]
pub struct ClientDto {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub name: String,
    /// `company` or `individual`.
    pub kind: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub website: Option<String>,
    pub industry: Option<String>,
    /// The parent client of a sub-client.
    pub parent_id: Option<Uuid>,
    pub owner_id: Uuid,
    pub status: String,
    pub tags: Vec<String>,
    pub address: Option<String>,
    /// `prospect` until a deal is won, then `customer`.
    pub lifecycle: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

impl From<&Client> for ClientDto {
    fn from(c: &Client) -> Self {
        Self {
            id: c.id.0,
            organization_id: c.organization_id.0,
            name: c.name.clone(),
            kind: c.kind.as_str().to_string(),
            email: c.email.as_ref().map(|e| e.as_str().to_string()),
            phone: c.phone.clone(),
            website: c.website.clone(),
            industry: c.industry.clone(),
            parent_id: c.parent_id.map(|p| p.0),
            owner_id: c.owner_id.0,
            status: c.status.clone(),
            tags: c.tags.clone(),
            address: c.address.clone(),
            lifecycle: c.lifecycle.as_str().to_string(),
            created_at: c.created_at,
            updated_at: c.updated_at,
            version: c.version,
        }
    }
}

#[derive(Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019c2308-b860-7c79-86d4-ac7a5c3902b3",
    "organization_id": "019bb138-1000-71a5-8da4-f9fc3c6da5d7",
    "client_id": "019c2304-2480-7896-8534-f45738d048ec",
    "name": "Hank Scorpio",
    "email": "hank@globex.example",
    "phone": "+1 555 0143",
    "title": "CEO",
    "is_primary": true,
    "created_at": "2026-02-03T10:25:00.000000Z",
    "updated_at": "2026-02-03T10:25:00.000000Z",
    "version": 1
}))]
pub struct ContactDto {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub client_id: Uuid,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub title: Option<String>,
    pub is_primary: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

impl From<&Contact> for ContactDto {
    fn from(c: &Contact) -> Self {
        Self {
            id: c.id.0,
            organization_id: c.organization_id.0,
            client_id: c.client_id.0,
            name: c.name.clone(),
            email: c.email.as_ref().map(|e| e.as_str().to_string()),
            phone: c.phone.clone(),
            title: c.title.clone(),
            is_primary: c.is_primary,
            created_at: c.created_at,
            updated_at: c.updated_at,
            version: c.version,
        }
    }
}

#[derive(Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019c47da-1300-71b3-93ad-dccb2c33be0a",
    "organization_id": "019bb138-1000-71a5-8da4-f9fc3c6da5d7",
    "client_id": "019c2304-2480-7896-8534-f45738d048ec",
    "kind": "meeting",
    "summary": "Kick-off: scope and timeline agreed",
    "occurred_at": "2026-02-10T14:00:00.000000Z",
    "contact_id": "019c2308-b860-7c79-86d4-ac7a5c3902b3",
    "owner_id": "019bb138-13e8-77a9-a564-12a9b8a1abcd",
    "created_at": "2026-02-10T14:00:00.000000Z",
    "updated_at": "2026-02-10T14:00:00.000000Z",
    "version": 1
}))]
pub struct InteractionDto {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub client_id: Uuid,
    /// `call`, `email`, `meeting` or `note`.
    pub kind: String,
    pub summary: String,
    pub occurred_at: DateTime<Utc>,
    pub contact_id: Option<Uuid>,
    /// Who recorded it.
    pub owner_id: Uuid,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

impl From<&Interaction> for InteractionDto {
    fn from(i: &Interaction) -> Self {
        Self {
            id: i.id.0,
            organization_id: i.organization_id.0,
            client_id: i.client_id.0,
            kind: i.kind.as_str().to_string(),
            summary: i.summary.clone(),
            occurred_at: i.occurred_at,
            contact_id: i.contact_id.map(|c| c.0),
            owner_id: i.owner_id.0,
            created_at: i.created_at,
            updated_at: i.updated_at,
            version: i.version,
        }
    }
}

type Query = web::Query<Vec<(String, String)>>;

#[utoipa::path(get, path = "/api/v1/clients", tag = "clients",
    params(crate::list_params::Clients),
    responses((status = 200, description = "One page", body = PageDto<ClientDto>)))]
pub async fn list(
    auth: Auth<ClientsRead>,
    state: web::Data<AppState>,
    query: Query,
) -> Result<HttpResponse, ApiError> {
    let q = ListQuery::parse(&CLIENT_LIST_SPEC, &query).map_err(ApiError::validation)?;
    let page = state.clients.clients.list(&auth.actor, &q).await?;
    Ok(HttpResponse::Ok().json(PageDto::from_page(page, |c| ClientDto::from(&c))))
}

#[utoipa::path(post, path = "/api/v1/clients", tag = "clients", request_body = ClientInput,
    responses((status = 201, description = "Created", body = ClientDto)))]
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
    Ok(created(
        format!("/api/v1/clients/{}", c.id),
        c.version,
        &ClientDto::from(&c),
    ))
}

#[utoipa::path(get, path = "/api/v1/clients/{id}", tag = "clients", params(("id" = Uuid, Path)),
    responses((status = 200, description = "The client (with ETag)", body = ClientDto)))]
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
    Ok(ok_etag(c.version, &ClientDto::from(&c)))
}

#[utoipa::path(patch, path = "/api/v1/clients/{id}", tag = "clients", request_body = ClientPatch,
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "`\"<version>\"`")),
    responses((status = 200, description = "The updated client", body = ClientDto)))]
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
    Ok(ok_etag(c.version, &ClientDto::from(&c)))
}

#[utoipa::path(delete, path = "/api/v1/clients/{id}", tag = "clients", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted with its contacts and interactions")))]
pub async fn delete(
    auth: Auth<ClientsDelete>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    state
        .clients
        .clients
        .delete(&auth.actor, ClientId(*id))
        .await?;
    Ok(no_content())
}

/// The client's direct children.
#[utoipa::path(get, path = "/api/v1/clients/{id}/sub-clients", tag = "clients",
    params(("id" = Uuid, Path), crate::list_params::Clients),
    responses((status = 200, description = "One page", body = PageDto<ClientDto>)))]
pub async fn sub_clients(
    auth: Auth<ClientsRead>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    query: Query,
) -> Result<HttpResponse, ApiError> {
    let q = ListQuery::parse(&CLIENT_LIST_SPEC, &query).map_err(ApiError::validation)?;
    let page = state
        .clients
        .clients
        .sub_clients(&auth.actor, ClientId(*id), &q)
        .await?;
    Ok(HttpResponse::Ok().json(PageDto::from_page(page, |c| ClientDto::from(&c))))
}

#[utoipa::path(get, path = "/api/v1/clients/{id}/contacts", tag = "clients",
    params(("id" = Uuid, Path), crate::list_params::Contacts),
    responses((status = 200, description = "One page", body = PageDto<ContactDto>)))]
pub async fn list_contacts(
    auth: Auth<ClientsRead>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    query: Query,
) -> Result<HttpResponse, ApiError> {
    let q = ListQuery::parse(&CONTACT_LIST_SPEC, &query).map_err(ApiError::validation)?;
    let page = state
        .clients
        .contacts
        .list(&auth.actor, ClientId(*id), &q)
        .await?;
    Ok(HttpResponse::Ok().json(PageDto::from_page(page, |c| ContactDto::from(&c))))
}

/// Add a contact; `is_primary: true` makes it the one primary contact.
#[utoipa::path(post, path = "/api/v1/clients/{id}/contacts", tag = "clients", request_body = ContactInput,
    params(("id" = Uuid, Path)),
    responses((status = 201, description = "Created", body = ContactDto)))]
pub async fn create_contact(
    auth: Auth<ClientsWrite>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: Body<ContactInput>,
) -> Result<HttpResponse, ApiError> {
    // The client first: another organization's client answers 404 whatever the body holds.
    state
        .clients
        .clients
        .get(&auth.actor, ClientId(*id))
        .await?;
    let c = state
        .clients
        .contacts
        .create(&auth.actor, ClientId(*id), body.parse()?)
        .await?;
    Ok(created(
        format!("/api/v1/clients/{}/contacts/{}", c.client_id, c.id),
        c.version,
        &ContactDto::from(&c),
    ))
}

#[utoipa::path(get, path = "/api/v1/clients/{id}/contacts/{contact_id}", tag = "clients",
    params(("id" = Uuid, Path), ("contact_id" = Uuid, Path)),
    responses((status = 200, description = "The contact (with ETag)", body = ContactDto)))]
pub async fn get_contact(
    auth: Auth<ClientsRead>,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (client, id) = path.into_inner();
    let c = state
        .clients
        .contacts
        .get(&auth.actor, ClientId(client), ContactId(id))
        .await?;
    Ok(ok_etag(c.version, &ContactDto::from(&c)))
}

#[utoipa::path(patch, path = "/api/v1/clients/{id}/contacts/{contact_id}", tag = "clients", request_body = ContactPatch,
    params(("id" = Uuid, Path), ("contact_id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, description = "The updated contact", body = ContactDto)))]
pub async fn update_contact(
    auth: Auth<ClientsWrite>,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, Uuid)>,
    if_match: IfMatch,
    body: Body<ContactPatch>,
) -> Result<HttpResponse, ApiError> {
    let (client, id) = path.into_inner();
    let c = state
        .clients
        .contacts
        .update(
            &auth.actor,
            ClientId(client),
            ContactId(id),
            if_match.0,
            body.parse()?,
        )
        .await?;
    Ok(ok_etag(c.version, &ContactDto::from(&c)))
}

#[utoipa::path(delete, path = "/api/v1/clients/{id}/contacts/{contact_id}", tag = "clients",
    params(("id" = Uuid, Path), ("contact_id" = Uuid, Path)),
    responses((status = 204, description = "Deleted")))]
pub async fn delete_contact(
    auth: Auth<ClientsDelete>,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (client, id) = path.into_inner();
    state
        .clients
        .contacts
        .delete(&auth.actor, ClientId(client), ContactId(id))
        .await?;
    Ok(no_content())
}

#[utoipa::path(get, path = "/api/v1/clients/{id}/interactions", tag = "clients",
    params(("id" = Uuid, Path), crate::list_params::Interactions),
    responses((status = 200, description = "One page", body = PageDto<InteractionDto>)))]
pub async fn list_interactions(
    auth: Auth<ClientsRead>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    query: Query,
) -> Result<HttpResponse, ApiError> {
    let q = ListQuery::parse(&INTERACTION_LIST_SPEC, &query).map_err(ApiError::validation)?;
    let page = state
        .clients
        .interactions
        .list(&auth.actor, ClientId(*id), &q)
        .await?;
    Ok(HttpResponse::Ok().json(PageDto::from_page(page, |i| InteractionDto::from(&i))))
}

/// Record a call, email, meeting or note with the client.
#[utoipa::path(post, path = "/api/v1/clients/{id}/interactions", tag = "clients", request_body = InteractionInput,
    params(("id" = Uuid, Path)),
    responses((status = 201, description = "Created", body = InteractionDto)))]
pub async fn create_interaction(
    auth: Auth<ClientsWrite>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: Body<InteractionInput>,
) -> Result<HttpResponse, ApiError> {
    // The client first: another organization's client answers 404 whatever the body holds.
    state
        .clients
        .clients
        .get(&auth.actor, ClientId(*id))
        .await?;
    let i = state
        .clients
        .interactions
        .create(&auth.actor, ClientId(*id), body.parse()?)
        .await?;
    Ok(created(
        format!("/api/v1/clients/{}/interactions/{}", i.client_id, i.id),
        i.version,
        &InteractionDto::from(&i),
    ))
}

#[utoipa::path(get, path = "/api/v1/clients/{id}/interactions/{interaction_id}", tag = "clients",
    params(("id" = Uuid, Path), ("interaction_id" = Uuid, Path)),
    responses((status = 200, description = "The interaction (with ETag)", body = InteractionDto)))]
pub async fn get_interaction(
    auth: Auth<ClientsRead>,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (client, id) = path.into_inner();
    let i = state
        .clients
        .interactions
        .get(&auth.actor, ClientId(client), InteractionId(id))
        .await?;
    Ok(ok_etag(i.version, &InteractionDto::from(&i)))
}

#[utoipa::path(patch, path = "/api/v1/clients/{id}/interactions/{interaction_id}", tag = "clients", request_body = InteractionPatch,
    params(("id" = Uuid, Path), ("interaction_id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, description = "The updated interaction", body = InteractionDto)))]
pub async fn update_interaction(
    auth: Auth<ClientsWrite>,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, Uuid)>,
    if_match: IfMatch,
    body: Body<InteractionPatch>,
) -> Result<HttpResponse, ApiError> {
    let (client, id) = path.into_inner();
    let i = state
        .clients
        .interactions
        .update(
            &auth.actor,
            ClientId(client),
            InteractionId(id),
            if_match.0,
            body.parse()?,
        )
        .await?;
    Ok(ok_etag(i.version, &InteractionDto::from(&i)))
}

#[utoipa::path(delete, path = "/api/v1/clients/{id}/interactions/{interaction_id}", tag = "clients",
    params(("id" = Uuid, Path), ("interaction_id" = Uuid, Path)),
    responses((status = 204, description = "Deleted")))]
pub async fn delete_interaction(
    auth: Auth<ClientsDelete>,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (client, id) = path.into_inner();
    state
        .clients
        .interactions
        .delete(&auth.actor, ClientId(client), InteractionId(id))
        .await?;
    Ok(no_content())
}
