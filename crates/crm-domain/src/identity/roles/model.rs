//! A role, how it is listed on a user, its list fields and its inputs.

use crate::activity::audit::Audited;
use crate::identity::model::{RoleId, ValueError, required_text};
use crate::identity::permissions;
use crate::kernel::ids::OrganizationId;
use crate::kernel::input::Errors;
use crate::kernel::pagination::{FieldKind, FieldSpec, ListSpec};
use crate::kernel::rules::nullable;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use uuid::Uuid;

/// A named set of permission codes within one organization.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Role {
    pub id: RoleId,
    pub organization_id: OrganizationId,
    pub name: String,
    pub description: Option<String>,
    /// Codes from [`super::permissions::CATALOGUE`], sorted, without duplicates.
    pub permissions: Vec<String>,
    /// Seeded in every organization; cannot be deleted or renamed.
    pub is_system: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

impl Audited for Role {
    const ENTITY: &'static str = "role";
    fn entity_id(&self) -> Uuid {
        self.id.0
    }
}

/// A role as listed on a user (`/auth/me`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RoleSummary {
    pub id: RoleId,
    pub name: String,
}

impl From<&Role> for RoleSummary {
    fn from(r: &Role) -> Self {
        Self {
            id: r.id,
            name: r.name.clone(),
        }
    }
}

const FIELDS: &[FieldSpec] = &[
    FieldSpec::new("created_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("updated_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("name", FieldKind::Text).filter().sort(),
    FieldSpec::new("is_system", FieldKind::Bool).filter().sort(),
];

/// `GET /roles`: by name; `q` searches name and description.
pub const ROLE_LIST_SPEC: ListSpec = ListSpec {
    fields: FIELDS,
    default_sort: "name",
    searchable: true,
};

pub(crate) const NAME_MAX: usize = 100;

/// `POST /roles`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "name": "Account manager",
    "description": "Runs client accounts end to end",
    "permissions": [
        "clients:read",
        "clients:write",
        "deals:read:own",
        "deals:write:own",
        "quotations:read:own",
        "quotations:write:own"
    ]
})))]
pub struct RoleInput {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::line::<{ NAME_MAX }>))]
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::opt_text::<1000>))]
    pub description: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::permissions))]
    pub permissions: Vec<String>,
}

/// `PATCH /roles/{id}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "description": "Runs client accounts; reads every deal",
    "permissions": [
        "clients:read",
        "clients:write",
        "deals:read",
        "deals:write:own"
    ]
})))]
pub struct RolePatch {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::line_or_null::<{ NAME_MAX }>))]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::opt_text::<1000>))]
    pub description: Option<Option<String>>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::permissions_or_null))]
    pub permissions: Option<Vec<String>>,
}

pub(crate) fn parse_name(raw: &str) -> Result<String, ValueError> {
    required_text(raw, "name", NAME_MAX)
}

/// Catalogue codes, sorted and deduplicated; an error per unknown code (as `permissions[i]`)
/// goes to `errors`.
pub(crate) fn permission_codes(errors: &mut Errors, raw: &[String]) -> Vec<String> {
    for (i, c) in raw.iter().enumerate() {
        if !permissions::is_known(c) {
            let field = format!("permissions[{i}]");
            errors.add(
                &field,
                "unknown_permission",
                format!("{c} is not a permission"),
            );
        }
    }
    raw.iter()
        .cloned()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}
