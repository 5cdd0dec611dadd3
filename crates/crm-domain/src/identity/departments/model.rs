//! A department, its list fields and its inputs.

use crate::identity::model::{DepartmentId, ValueError, optional_text};
use crate::kernel::ids::{OrganizationId, UserId};
use crate::kernel::pagination::{FieldKind, FieldSpec, ListSpec};
use crate::kernel::rules::nullable;
use crate::kernel::validation::FieldError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A unit of the organization chart; departments nest through `parent_id`, without cycles.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Department {
    pub id: DepartmentId,
    pub organization_id: OrganizationId,
    pub name: String,
    /// A short code unique within the organization, e.g. `ENG`.
    pub code: Option<String>,
    pub parent_id: Option<DepartmentId>,
    pub head_user_id: Option<UserId>,
    /// The record's id in the original Node.js server's database when it came from there
    /// (`crm import legacy`); `null` for records made here. Read-only.
    pub legacy_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

crate::record!(Department, DepartmentId, "department", scope: ());

/// Longest department name.
pub const NAME_MAX: usize = 200;

const DEPARTMENT_FIELDS: &[FieldSpec] = &[
    FieldSpec::new("created_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("updated_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("name", FieldKind::Text).sort(),
    FieldSpec::new("code", FieldKind::Text)
        .filter()
        .sort()
        .nullable(),
    FieldSpec::new("parent_id", FieldKind::Uuid).filter(),
    FieldSpec::new("head_user_id", FieldKind::Uuid).filter(),
];

/// `GET /departments`: by name; `q` searches name and code.
pub const DEPARTMENT_LIST_SPEC: ListSpec = ListSpec {
    fields: DEPARTMENT_FIELDS,
    default_sort: "name",
    searchable: true,
};

/// `POST /departments`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "name": "Sales",
    "code": "SAL",
    "parent_id": null,
    "head_user_id": "019bb138-13e8-77a9-a564-12a9b8a1abcd"
})))]
pub struct DepartmentInput {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::line::<200>))]
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::department_code))]
    pub code: Option<String>,
    pub parent_id: Option<DepartmentId>,
    pub head_user_id: Option<UserId>,
}

/// `PATCH /departments/{id}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "name": "Sales and Partnerships",
    "head_user_id": "019bdaf4-4440-7110-9710-cf5327ac435a"
})))]
pub struct DepartmentPatch {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::line_or_null::<200>))]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::department_code))]
    pub code: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub parent_id: Option<Option<DepartmentId>>,
    #[serde(default, deserialize_with = "nullable")]
    pub head_user_id: Option<Option<UserId>>,
}

pub(crate) fn code(raw: Option<&str>) -> Result<Option<String>, ValueError> {
    let Some(c) = optional_text(raw, "code", 50)? else {
        return Ok(None);
    };
    if c.chars()
        .all(|ch| ch.is_alphanumeric() || matches!(ch, '-' | '_' | '.'))
    {
        Ok(Some(c))
    } else {
        Err(ValueError::new(
            "invalid",
            "code may contain letters, digits, - _ and .",
        ))
    }
}

pub(crate) fn cycle() -> FieldError {
    FieldError::new(
        "parent_id",
        "cycle",
        "a department cannot be placed under itself or one of its sub-departments",
    )
}
