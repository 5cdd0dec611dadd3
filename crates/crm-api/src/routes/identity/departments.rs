//! `/departments`: a hierarchy without cycles.

use crate::access::Auth;
use crate::app::AppState;
use crate::http::{Body, IfMatch, created, no_content, ok_etag};
use crate::problem::ApiError;
use crate::routes::dto::PageDto;
use crate::routes::perms::{DepartmentsDelete, DepartmentsRead, DepartmentsWrite};
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use crm_domain::ListQuery;
use crm_domain::identity::{
    DEPARTMENT_LIST_SPEC, Department, DepartmentId, DepartmentInput, DepartmentPatch,
};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

crate::list_params::list_params! {
    /// `GET /departments`.
    Departments = crm_domain::identity::DEPARTMENT_LIST_SPEC, search = "name and code";
}

#[derive(Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019bbbbb-b680-7ccd-8a14-876aeaff1a09",
    "organization_id": "019bb138-1000-71a5-8da4-f9fc3c6da5d7",
    "name": "Sales",
    "code": "SAL",
    "parent_id": null,
    "head_user_id": "019bb138-13e8-77a9-a564-12a9b8a1abcd",
    "legacy_id": null,
    "created_at": "2026-01-14T09:00:00.000000Z",
    "updated_at": "2026-01-14T09:00:00.000000Z",
    "version": 1
}))]
pub struct DepartmentDto {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub name: String,
    pub code: Option<String>,
    pub parent_id: Option<Uuid>,
    pub head_user_id: Option<Uuid>,
    /// The record's id in the original Node.js server's database when it came from there
    /// (`crm import legacy`); `null` for records made here. Read-only.
    pub legacy_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

impl From<&Department> for DepartmentDto {
    fn from(d: &Department) -> Self {
        Self {
            id: d.id.0,
            organization_id: d.organization_id.0,
            name: d.name.clone(),
            code: d.code.clone(),
            parent_id: d.parent_id.map(|p| p.0),
            head_user_id: d.head_user_id.map(|u| u.0),
            legacy_id: d.legacy_id.clone(),
            created_at: d.created_at,
            updated_at: d.updated_at,
            version: d.version,
        }
    }
}

super::resource_handlers! {
    service: departments, id: DepartmentId, dto: DepartmentDto, location: "/api/v1/departments";
    #[utoipa::path(get, path = "/departments", tag = "departments",
        params(Departments),
        responses((status = 200, description = "One page", body = PageDto<DepartmentDto>)))]
    fn list(DepartmentsRead, DEPARTMENT_LIST_SPEC);
    #[utoipa::path(post, path = "/departments", tag = "departments", request_body = DepartmentInput,
        responses((status = 201, description = "Created", body = DepartmentDto)))]
    fn create(DepartmentsWrite, DepartmentInput);
    #[utoipa::path(get, path = "/departments/{id}", tag = "departments", params(("id" = Uuid, Path)),
        responses((status = 200, description = "The department (with ETag)", body = DepartmentDto)))]
    fn get;
    /// Moving a department under itself or one of its descendants answers 422.
    #[utoipa::path(patch, path = "/departments/{id}", tag = "departments", request_body = DepartmentPatch,
        params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "`\"<version>\"`")),
        responses((status = 200, description = "The updated department", body = DepartmentDto)))]
    fn update(DepartmentPatch);
    #[utoipa::path(delete, path = "/departments/{id}", tag = "departments", params(("id" = Uuid, Path)),
        responses((status = 204, description = "Deleted")))]
    fn delete(DepartmentsDelete);
}
