//! `/designations`: job titles.

use crate::access::Auth;
use crate::app::AppState;
use crate::http::{Body, IfMatch, created, no_content, ok_etag};
use crate::problem::ApiError;
use crate::routes::dto::PageDto;
use crate::routes::perms::{DesignationsDelete, DesignationsRead, DesignationsWrite};
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use crm_domain::ListQuery;
use crm_domain::identity::{
    DESIGNATION_LIST_SPEC, Designation, DesignationId, DesignationInput, DesignationPatch,
};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

crate::list_params::list_params! {
    /// `GET /designations`.
    Designations = crm_domain::identity::DESIGNATION_LIST_SPEC, search = "title";
}

#[derive(Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019bbbc0-4a60-70f3-83e1-b258fd724452",
    "organization_id": "019bb138-1000-71a5-8da4-f9fc3c6da5d7",
    "title": "Account Executive",
    "department_id": "019bbbbb-b680-7ccd-8a14-876aeaff1a09",
    "level": 3,
    "legacy_id": null,
    "created_at": "2026-01-14T09:05:00.000000Z",
    "updated_at": "2026-01-14T09:05:00.000000Z",
    "version": 1
}))]
pub struct DesignationDto {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub title: String,
    pub department_id: Option<Uuid>,
    pub level: Option<i32>,
    /// The record's id in the original Node.js server's database when it came from there
    /// (`crm import legacy`); `null` for records made here. Read-only.
    pub legacy_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

impl From<&Designation> for DesignationDto {
    fn from(d: &Designation) -> Self {
        Self {
            id: d.id.0,
            organization_id: d.organization_id.0,
            title: d.title.clone(),
            department_id: d.department_id.map(|p| p.0),
            level: d.level,
            legacy_id: d.legacy_id.clone(),
            created_at: d.created_at,
            updated_at: d.updated_at,
            version: d.version,
        }
    }
}

super::resource_handlers! {
    service: designations, id: DesignationId, dto: DesignationDto, location: "/api/v1/designations";
    #[utoipa::path(get, path = "/designations", tag = "designations",
        params(Designations),
        responses((status = 200, description = "One page", body = PageDto<DesignationDto>)))]
    fn list_designations(DesignationsRead, DESIGNATION_LIST_SPEC);
    #[utoipa::path(post, path = "/designations", tag = "designations", request_body = DesignationInput,
        responses((status = 201, description = "Created", body = DesignationDto)))]
    fn create_designation(DesignationsWrite, DesignationInput);
    #[utoipa::path(get, path = "/designations/{id}", tag = "designations", params(("id" = Uuid, Path)),
        responses((status = 200, description = "The designation (with ETag)", body = DesignationDto)))]
    fn get_designation;
    #[utoipa::path(patch, path = "/designations/{id}", tag = "designations", request_body = DesignationPatch,
        params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "`\"<version>\"`")),
        responses((status = 200, description = "The updated designation", body = DesignationDto)))]
    fn update_designation(DesignationPatch);
    #[utoipa::path(delete, path = "/designations/{id}", tag = "designations", params(("id" = Uuid, Path)),
        responses((status = 204, description = "Deleted")))]
    fn delete_designation(DesignationsDelete);
}
