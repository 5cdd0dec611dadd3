//! DTOs shared by several route modules.

use chrono::{DateTime, Utc};
use crm_domain::identity::{RoleSummary, User};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// A user as clients see it; never a password hash.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019bb138-13e8-77a9-a564-12a9b8a1abcd",
    "organization_id": "019bb138-1000-71a5-8da4-f9fc3c6da5d7",
    "name": "Ann Lee",
    "email": "ann@acme.example",
    "status": "active",
    "department_id": "019bbbbb-b680-7ccd-8a14-876aeaff1a09",
    "designation_id": "019bbbc0-4a60-70f3-83e1-b258fd724452",
    "last_login_at": "2026-01-14T09:02:17.000000Z",
    "legacy_id": null,
    "created_at": "2026-01-12T08:00:01.000000Z",
    "updated_at": "2026-01-14T09:10:00.000000Z",
    "version": 3
}))]
pub struct UserDto {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub name: String,
    pub email: String,
    /// `pending_verification`, `active`, `invited` or `deactivated`.
    pub status: String,
    pub department_id: Option<Uuid>,
    pub designation_id: Option<Uuid>,
    /// The last sign-in (login or email verification); `null` before the first. Signing in
    /// does not change `version` or `updated_at`.
    pub last_login_at: Option<DateTime<Utc>>,
    /// The record's id in the original Node.js server's database when it came from there
    /// (`crm import legacy`); `null` for records made here. Read-only.
    pub legacy_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

impl From<&User> for UserDto {
    fn from(u: &User) -> Self {
        Self {
            id: u.id.0,
            organization_id: u.organization_id.0,
            name: u.name.as_str().to_string(),
            email: u.email.as_str().to_string(),
            status: u.status.as_str().to_string(),
            department_id: u.department_id.map(|d| d.0),
            designation_id: u.designation_id.map(|d| d.0),
            last_login_at: u.last_login_at,
            legacy_id: u.legacy_id.clone(),
            created_at: u.created_at,
            updated_at: u.updated_at,
            version: u.version,
        }
    }
}

#[derive(Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019bb138-11f4-78c9-a6ce-ab360512bd13",
    "name": "admin"
}))]
pub struct RoleRef {
    pub id: Uuid,
    pub name: String,
}

impl From<&RoleSummary> for RoleRef {
    fn from(r: &RoleSummary) -> Self {
        Self {
            id: r.id.0,
            name: r.name.clone(),
        }
    }
}

/// A page of a list.
#[derive(Serialize, ToSchema)]
#[schema(example = crm_domain::kernel::openapi::page_example::<T>)]
pub struct PageDto<T: ToSchema> {
    pub data: Vec<T>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
    /// With `count=true`: the number of matching records.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
}

impl<T: ToSchema> PageDto<T> {
    pub fn from_page<S>(page: crm_domain::Page<S>, f: impl FnMut(S) -> T) -> Self {
        Self {
            data: page.data.into_iter().map(f).collect(),
            next_cursor: page.next_cursor,
            total: page.total,
        }
    }
}
