use crate::access::Public;
use crate::app::AppState;
use crate::problem::ApiError;
use actix_web::{HttpResponse, web};
use serde::Serialize;
use std::time::Duration;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
#[schema(example = json!({
    "status": "ready",
    "database": "up"
}))]
pub struct Health {
    /// `ok` (live) or `ready`.
    pub status: &'static str,
    /// `up` when the database answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<&'static str>,
}

/// The process is running.
#[utoipa::path(get, path = "/health/live", tag = "health", security(()),
    responses((status = 200, description = "The process is running", body = Health,
        example = json!({"status": "ok"}))))]
pub async fn live(_: Public) -> HttpResponse {
    HttpResponse::Ok().json(Health {
        status: "ok",
        database: None,
    })
}

/// The database answers; load balancers route traffic only to ready instances.
#[utoipa::path(get, path = "/health/ready", tag = "health", security(()),
    responses(
        (status = 200, description = "Ready to serve", body = Health),
        (status = 503, description = "The database does not answer", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn ready(_: Public, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    if state.db.ping(Duration::from_secs(2)).await {
        Ok(HttpResponse::Ok().json(Health {
            status: "ready",
            database: Some("up"),
        }))
    } else {
        Err(ApiError::unavailable("the database does not answer"))
    }
}
