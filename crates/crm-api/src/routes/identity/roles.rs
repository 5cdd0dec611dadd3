//! `/roles` and the read-only `/permissions` catalogue.

use crate::access::Auth;
use crate::app::AppState;
use crate::http::{Body, IfMatch, created, no_content, ok_etag};
use crate::problem::ApiError;
use crate::routes::dto::PageDto;
use crate::routes::perms::{PermissionsRead, RolesDelete, RolesRead, RolesWrite};
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use crm_domain::ListQuery;
use crm_domain::identity::{ROLE_LIST_SPEC, Role, RoleId, RoleInput, RolePatch};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

crate::list_params::list_params! {
    /// `GET /roles`.
    Roles = crm_domain::identity::ROLE_LIST_SPEC, search = "name and description";
}

#[derive(Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019bb138-11f4-78c9-a6ce-ab360512bd13",
    "organization_id": "019bb138-1000-71a5-8da4-f9fc3c6da5d7",
    "name": "Account manager",
    "description": "Runs client accounts end to end",
    "permissions": [
        "clients:read",
        "clients:write",
        "deals:read:own",
        "deals:write:own"
    ],
    "is_system": false,
    "created_at": "2026-01-12T08:00:00.500000Z",
    "updated_at": "2026-01-12T08:00:00.500000Z",
    "version": 1
}))]
pub struct RoleDto {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub name: String,
    pub description: Option<String>,
    /// Permission codes, e.g. `leads:read`, `leads:write:own`.
    pub permissions: Vec<String>,
    /// Seeded in every organization; cannot be deleted or renamed.
    pub is_system: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

impl From<&Role> for RoleDto {
    fn from(r: &Role) -> Self {
        Self {
            id: r.id.0,
            organization_id: r.organization_id.0,
            name: r.name.clone(),
            description: r.description.clone(),
            permissions: r.permissions.clone(),
            is_system: r.is_system,
            created_at: r.created_at,
            updated_at: r.updated_at,
            version: r.version,
        }
    }
}

#[derive(Serialize, ToSchema)]
#[schema(example = json!({
    "code": "leads:read",
    "description": "Read leads"
}))]
pub struct PermissionDto {
    pub code: String,
    pub description: String,
}

super::resource_handlers! {
    service: roles, id: RoleId, dto: RoleDto, location: "/api/v1/roles";
    #[utoipa::path(get, path = "/roles", tag = "roles",
        params(Roles),
        responses((status = 200, description = "One page", body = PageDto<RoleDto>)))]
    fn list(RolesRead, ROLE_LIST_SPEC);
    /// A custom role. The caller must hold every permission it grants.
    #[utoipa::path(post, path = "/roles", tag = "roles", request_body = RoleInput,
        responses((status = 201, description = "Created", body = RoleDto)))]
    fn create(RolesWrite, RoleInput);
    #[utoipa::path(get, path = "/roles/{id}", tag = "roles", params(("id" = Uuid, Path)),
        responses((status = 200, description = "The role (with ETag)", body = RoleDto)))]
    fn get;
    #[utoipa::path(patch, path = "/roles/{id}", tag = "roles", request_body = RolePatch,
        params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "`\"<version>\"`")),
        responses((status = 200, description = "The updated role", body = RoleDto)))]
    fn update(RolePatch);
    /// Delete a custom role (system roles answer 409).
    #[utoipa::path(delete, path = "/roles/{id}", tag = "roles", params(("id" = Uuid, Path)),
        responses((status = 204, description = "Deleted")))]
    fn delete(RolesDelete);
}

/// Every permission code a role can grant.
#[utoipa::path(get, path = "/permissions", tag = "roles",
    responses((status = 200, description = "The whole catalogue on one page", body = PageDto<PermissionDto>)))]
pub async fn permissions(
    auth: Auth<PermissionsRead>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let all = state.identity.roles.catalogue(&auth.actor)?;
    Ok(HttpResponse::Ok().json(PageDto {
        data: all
            .iter()
            .map(|p| PermissionDto {
                code: p.code.to_string(),
                description: p.description.to_string(),
            })
            .collect(),
        next_cursor: None,
        total: None,
    }))
}
