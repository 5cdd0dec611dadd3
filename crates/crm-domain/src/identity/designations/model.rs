//! A designation, its list fields and its inputs.

use crate::identity::model::{DepartmentId, DesignationId, ValueError};
use crate::kernel::ids::OrganizationId;
use crate::kernel::pagination::{FieldKind, FieldSpec, ListSpec};
use crate::kernel::rules::nullable;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A job title, optionally tied to a department, with a seniority level.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Designation {
    pub id: DesignationId,
    pub organization_id: OrganizationId,
    pub title: String,
    pub department_id: Option<DepartmentId>,
    pub level: Option<i32>,
    /// The record's id in the original Node.js server's database when it came from there
    /// (`crm import legacy`); `null` for records made here. Read-only.
    pub legacy_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

crate::record!(Designation, DesignationId, "designation", scope: ());

/// Longest title.
pub const TITLE_MAX: usize = 200;

/// Highest seniority level a designation may carry.
pub const MAX_LEVEL: i32 = 100;

const DESIGNATION_FIELDS: &[FieldSpec] = &[
    FieldSpec::new("created_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("updated_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("title", FieldKind::Text).sort(),
    FieldSpec::new("department_id", FieldKind::Uuid).filter(),
    FieldSpec::new("level", FieldKind::Integer)
        .filter()
        .range()
        .sort()
        .nullable(),
];

/// `GET /designations`: by title; `q` searches the title.
pub const DESIGNATION_LIST_SPEC: ListSpec = ListSpec {
    fields: DESIGNATION_FIELDS,
    default_sort: "title",
    searchable: true,
};

/// `POST /designations`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "title": "Account Executive",
    "department_id": "019bbbbb-b680-7ccd-8a14-876aeaff1a09",
    "level": 3
})))]
pub struct DesignationInput {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::line::<200>))]
    pub title: String,
    pub department_id: Option<DepartmentId>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::opt_int_range::<0, { MAX_LEVEL as i64 }>))]
    pub level: Option<i32>,
}

/// `PATCH /designations/{id}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "title": "Senior Account Executive",
    "level": 4
})))]
pub struct DesignationPatch {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::line_or_null::<200>))]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub department_id: Option<Option<DepartmentId>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::opt_int_range::<0, { MAX_LEVEL as i64 }>))]
    pub level: Option<Option<i32>>,
}

pub(crate) fn level(v: Option<i32>) -> Result<Option<i32>, ValueError> {
    match v {
        Some(l) if !(0..=MAX_LEVEL).contains(&l) => Err(ValueError::new(
            "out_of_range",
            format!("level must be between 0 and {MAX_LEVEL}"),
        )),
        other => Ok(other),
    }
}
