//! `/webhooks` (contract section 5): subscriptions, secret rotation, the delivery log and
//! manual retries.

use crate::access::Auth;
use crate::app::AppState;
use crate::http::{Body, IfMatch, created, no_content, ok_etag};
use crate::problem::ApiError;
use crate::routes::dto::PageDto;
use crate::routes::perms::{WebhooksDelete, WebhooksRead, WebhooksWrite};
use actix_web::{HttpResponse, web};
use crm_domain::ListQuery;
use crm_domain::webhooks::{
    DELIVERY_LIST_SPEC, Delivery, DeliveryId, WEBHOOK_LIST_SPEC, Webhook, WebhookId, WebhookInput,
    WebhookPatch, WebhookWithSecret,
};
use uuid::Uuid;

crate::list_params::list_params! {
    /// `GET /webhooks/{id}/deliveries`.
    Deliveries = crm_domain::webhooks::DELIVERY_LIST_SPEC, search = "nothing";
}

crate::list_params::list_params! {
    /// `GET /webhooks`.
    Webhooks = crm_domain::webhooks::WEBHOOK_LIST_SPEC, search = "url and description";
}

type Query = web::Query<Vec<(String, String)>>;

/// The organization's webhooks (never their secrets).
#[utoipa::path(get, path = "/webhooks", tag = "webhooks",
    params(Webhooks),
    responses((status = 200, description = "One page", body = PageDto<Webhook>)))]
pub async fn list(
    auth: Auth<WebhooksRead>,
    state: web::Data<AppState>,
    query: Query,
) -> Result<HttpResponse, ApiError> {
    let q = ListQuery::parse(&WEBHOOK_LIST_SPEC, &query).map_err(ApiError::validation)?;
    let page = state.webhooks.list(&auth.actor, &q).await?;
    Ok(HttpResponse::Ok().json(PageDto::from_page(page, |w| w)))
}

/// Subscribe a url to event types. The answer carries the signing `secret`, shown only here.
#[utoipa::path(post, path = "/webhooks", tag = "webhooks", request_body = WebhookInput,
    responses((status = 201, description = "Created, with its secret", body = WebhookWithSecret)))]
pub async fn create(
    auth: Auth<WebhooksWrite>,
    state: web::Data<AppState>,
    body: Body<WebhookInput>,
) -> Result<HttpResponse, ApiError> {
    let made = state.webhooks.create(&auth.actor, body.parse()?).await?;
    let location = format!("/api/v1/webhooks/{}", made.webhook.id);
    Ok(created(location, made.webhook.version, &made))
}

#[utoipa::path(get, path = "/webhooks/{id}", tag = "webhooks",
    params(("id" = Uuid, Path)),
    responses((status = 200, description = "The webhook (with ETag)", body = Webhook)))]
pub async fn get(
    auth: Auth<WebhooksRead>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let w = state.webhooks.get(&auth.actor, WebhookId(*id)).await?;
    Ok(ok_etag(w.version, &w))
}

#[utoipa::path(patch, path = "/webhooks/{id}", tag = "webhooks", request_body = WebhookPatch,
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, description = "The updated webhook", body = Webhook)))]
pub async fn update(
    auth: Auth<WebhooksWrite>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Body<WebhookPatch>,
) -> Result<HttpResponse, ApiError> {
    let w = state
        .webhooks
        .update(&auth.actor, WebhookId(*id), if_match.0, body.parse()?)
        .await?;
    Ok(ok_etag(w.version, &w))
}

/// Deletes the webhook and its delivery log.
#[utoipa::path(delete, path = "/webhooks/{id}", tag = "webhooks",
    params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted")))]
pub async fn delete(
    auth: Auth<WebhooksDelete>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    state.webhooks.delete(&auth.actor, WebhookId(*id)).await?;
    Ok(no_content())
}

/// Replaces the signing secret; the answer carries the new one, shown only here.
#[utoipa::path(post, path = "/webhooks/{id}/rotate-secret", tag = "webhooks",
    params(("id" = Uuid, Path)),
    responses((status = 200, description = "The webhook with its new secret", body = WebhookWithSecret)))]
pub async fn rotate_secret(
    auth: Auth<WebhooksWrite>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let w = state
        .webhooks
        .rotate_secret(&auth.actor, WebhookId(*id))
        .await?;
    Ok(ok_etag(w.webhook.version, &w))
}

/// The webhook's deliveries and how their attempts went.
#[utoipa::path(get, path = "/webhooks/{id}/deliveries", tag = "webhooks",
    params(("id" = Uuid, Path), Deliveries),
    responses((status = 200, description = "One page", body = PageDto<Delivery>)))]
pub async fn deliveries(
    auth: Auth<WebhooksRead>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    query: Query,
) -> Result<HttpResponse, ApiError> {
    let q = ListQuery::parse(&DELIVERY_LIST_SPEC, &query).map_err(ApiError::validation)?;
    let page = state
        .webhooks
        .deliveries(&auth.actor, WebhookId(*id), &q)
        .await?;
    Ok(HttpResponse::Ok().json(PageDto::from_page(page, |d| d)))
}

/// Sends the delivery again now (also after it failed).
#[utoipa::path(post, path = "/webhooks/{id}/deliveries/{delivery_id}/retry", tag = "webhooks",
    params(("id" = Uuid, Path), ("delivery_id" = Uuid, Path)),
    responses((status = 202, description = "Due now; the delivery log shows the attempt")))]
pub async fn retry(
    auth: Auth<WebhooksWrite>,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (id, delivery) = path.into_inner();
    state
        .webhooks
        .retry(&auth.actor, WebhookId(id), DeliveryId(delivery))
        .await?;
    Ok(HttpResponse::Accepted().finish())
}

/// The routes, in the order they are matched.
pub fn routes(r: crate::access::Routes) -> crate::access::Routes {
    r.get("/webhooks", list)
        .post("/webhooks", create)
        .get("/webhooks/{id}", get)
        .patch("/webhooks/{id}", update)
        .delete("/webhooks/{id}", delete)
        .post("/webhooks/{id}/rotate-secret", rotate_secret)
        .get("/webhooks/{id}/deliveries", deliveries)
        .post("/webhooks/{id}/deliveries/{delivery_id}/retry", retry)
}

/// The operations, nested under `/api/v1` by [`crate::openapi::ApiDoc`].
#[derive(utoipa::OpenApi)]
#[openapi(paths(list, create, get, update, delete, rotate_secret, deliveries, retry))]
pub struct Api;
