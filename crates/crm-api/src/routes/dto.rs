//! DTOs shared by several route modules.

use chrono::{DateTime, Utc};
use crm_domain::identity::{RoleSummary, User};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// A user as clients see it; never a password hash.
#[derive(Serialize, ToSchema)]
pub struct UserDto {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub name: String,
    pub email: String,
    /// `pending_verification`, `active`, `invited` or `deactivated`.
    pub status: String,
    pub department_id: Option<Uuid>,
    pub designation_id: Option<Uuid>,
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
            created_at: u.created_at,
            updated_at: u.updated_at,
            version: u.version,
        }
    }
}

#[derive(Serialize, ToSchema)]
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
