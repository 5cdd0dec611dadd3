//! `GET/PATCH /organization`: the caller's own organization profile.

use crate::access::Auth;
use crate::app::AppState;
use crate::http::{Body, IfMatch, ok_etag};
use crate::problem::ApiError;
use crate::routes::perms::{OrganizationRead, OrganizationWrite};
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use crm_domain::identity::{Organization, OrganizationPatch};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019bb138-1000-71a5-8da4-f9fc3c6da5d7",
    "name": "Acme Trading",
    "legal_name": "Acme Trading LLC",
    "tax_id": "US-47-1234567",
    "email": "hello@acme.example",
    "phone": "+1 555 0100",
    "website": "https://acme.example",
    "address": "500 Market St, San Francisco, CA",
    "default_currency": "USD",
    "timezone": "America/New_York",
    "logo_file_id": "019bb73a-2600-73f4-ad83-a8233fb62d2c",
    "legacy_id": null,
    "created_at": "2026-01-12T08:00:00.000000Z",
    "updated_at": "2026-01-13T12:00:05.000000Z",
    "version": 2
}))]
pub struct OrganizationDto {
    pub id: Uuid,
    pub name: String,
    pub legal_name: Option<String>,
    pub tax_id: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub website: Option<String>,
    pub address: Option<String>,
    /// ISO 4217.
    pub default_currency: String,
    /// IANA time zone, e.g. `Europe/Berlin`.
    pub timezone: String,
    pub logo_file_id: Option<Uuid>,
    /// The record's id in the original Node.js server's database when it came from there
    /// (`crm import legacy`); `null` for records made here. Read-only.
    pub legacy_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

impl From<&Organization> for OrganizationDto {
    fn from(o: &Organization) -> Self {
        Self {
            id: o.id.0,
            name: o.name.clone(),
            legal_name: o.legal_name.clone(),
            tax_id: o.tax_id.clone(),
            email: o.email.as_ref().map(|e| e.as_str().to_string()),
            phone: o.phone.clone(),
            website: o.website.clone(),
            address: o.address.clone(),
            default_currency: o.default_currency.code().to_string(),
            timezone: o.timezone.clone(),
            logo_file_id: o.logo_file_id,
            legacy_id: o.legacy_id.clone(),
            created_at: o.created_at,
            updated_at: o.updated_at,
            version: o.version,
        }
    }
}

/// The caller's organization.
#[utoipa::path(get, path = "/organization", tag = "organization",
    responses((status = 200, description = "The organization (with ETag)", body = OrganizationDto)))]
pub async fn get(
    auth: Auth<OrganizationRead>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let o = state.identity.organizations.get(&auth.actor).await?;
    Ok(ok_etag(o.version, &OrganizationDto::from(&o)))
}

/// Edit the caller's organization; send only the fields to change (`null` clears).
#[utoipa::path(patch, path = "/organization", tag = "organization", request_body = OrganizationPatch,
    params(("If-Match" = Option<String>, Header, description = "`\"<version>\"`; a stale one answers 412")),
    responses(
        (status = 200, description = "The updated organization", body = OrganizationDto),
        (status = 412, description = "If-Match names an old version", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn patch(
    auth: Auth<OrganizationWrite>,
    state: web::Data<AppState>,
    if_match: IfMatch,
    body: Body<OrganizationPatch>,
) -> Result<HttpResponse, ApiError> {
    let o = state
        .identity
        .organizations
        .patch(&auth.actor, if_match.0, body.parse()?)
        .await?;
    Ok(ok_etag(o.version, &OrganizationDto::from(&o)))
}
