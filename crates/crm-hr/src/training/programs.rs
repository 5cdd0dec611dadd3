//! `/training-programs`: what is taught (`title`, `description`, `category`), how long a pass
//! stays valid (`validity_months`, none: never expires) and whether everyone must take it
//! (`is_mandatory`). A program with sessions cannot be deleted (`409
//! training-program-in-use`, the sessions' foreign key).

use crate::ports::HrPorts;
use crate::requirements::{TrainingProgramsDelete, TrainingProgramsRead, TrainingProgramsWrite};
use chrono::{DateTime, Utc};
use crm_domain::kernel::input::{Errors, text};
use crm_domain::kernel::pagination::{FieldKind, FieldSpec, ListSpec};
use crm_domain::kernel::rules::nullable;
use crm_domain::kernel::scope::require_all;
use crm_domain::kernel::text::{optional_text, required_text};
use crm_domain::{Actor, DomainError, OrganizationId, ValueError};
use serde::{Deserialize, Serialize};

crm_domain::typed_id!(
    /// A training program of an organization.
    TrainingProgramId
);

pub const TITLE_MAX: usize = 200;
pub const DESCRIPTION_MAX: usize = 10_000;
pub const CATEGORY_MAX: usize = 100;
/// The longest validity: 50 years.
pub const VALIDITY_MONTHS_MAX: i64 = 600;

/// A training program.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "id": "019cd0b0-1000-7000-8000-000000000001",
    "organization_id": "019bb138-1000-71a5-8da4-f9fc3c6da5d7",
    "title": "First aid at work",
    "description": "Two days with a certified instructor.",
    "category": "safety",
    "validity_months": 36,
    "is_mandatory": true,
    "created_at": "2026-01-05T09:00:00.000000Z",
    "updated_at": "2026-01-05T09:00:00.000000Z",
    "version": 1
})))]
pub struct TrainingProgram {
    pub id: TrainingProgramId,
    pub organization_id: OrganizationId,
    pub title: String,
    pub description: Option<String>,
    pub category: Option<String>,
    /// How many months a pass stays valid (`valid_until` = the completion date plus these);
    /// `null`: a pass never expires.
    pub validity_months: Option<i64>,
    pub is_mandatory: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

crm_domain::record!(TrainingProgram, TrainingProgramId, "training_program", scope: ());

const PROGRAM_FIELDS: &[FieldSpec] = &[
    FieldSpec::new("created_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("updated_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("title", FieldKind::Text).sort(),
    FieldSpec::new("category", FieldKind::Text)
        .filter()
        .sort()
        .nullable(),
    FieldSpec::new("validity_months", FieldKind::Integer)
        .range()
        .sort()
        .nullable(),
    FieldSpec::new("is_mandatory", FieldKind::Bool).filter(),
];

/// `GET /training-programs`: by title; `category`, `is_mandatory`; `q` searches the title,
/// the category and the description.
pub const TRAINING_PROGRAM_LIST_SPEC: ListSpec = ListSpec {
    fields: PROGRAM_FIELDS,
    default_sort: "title",
    searchable: true,
};

/// `POST /training-programs`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "title": "First aid at work",
    "description": "Two days with a certified instructor.",
    "category": "safety",
    "validity_months": 36,
    "is_mandatory": true
})))]
pub struct TrainingProgramInput {
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::line::<{ TITLE_MAX }>))]
    pub title: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_text::<{ DESCRIPTION_MAX }>))]
    pub description: Option<String>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_line::<{ CATEGORY_MAX }>))]
    pub category: Option<String>,
    /// Months a pass stays valid (1–600); absent or `null`: never expires.
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_int_range::<1, { VALIDITY_MONTHS_MAX }>))]
    pub validity_months: Option<i64>,
    /// Default `false`.
    pub is_mandatory: Option<bool>,
}

/// `PATCH /training-programs/{id}`: only the fields present change; `null` clears what may be
/// empty. A new `validity_months` applies to later passes (a pass keeps the `valid_until`
/// it was stamped with).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({"validity_months": 24})))]
pub struct TrainingProgramPatch {
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::line_or_null::<{ TITLE_MAX }>))]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_text::<{ DESCRIPTION_MAX }>))]
    pub description: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_line::<{ CATEGORY_MAX }>))]
    pub category: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_int_range::<1, { VALIDITY_MONTHS_MAX }>))]
    pub validity_months: Option<Option<i64>>,
    pub is_mandatory: Option<bool>,
}

fn title(raw: &str) -> Result<String, ValueError> {
    required_text(raw, "title", TITLE_MAX)
}

fn description(raw: Option<&str>) -> Result<Option<String>, ValueError> {
    optional_text(raw, "description", DESCRIPTION_MAX, true)
}

fn category(raw: Option<&str>) -> Result<Option<String>, ValueError> {
    optional_text(raw, "category", CATEGORY_MAX, false)
}

/// A validity: 1 to [`VALIDITY_MONTHS_MAX`] months, or none.
pub fn validity_months(v: Option<i64>) -> Result<Option<i64>, ValueError> {
    match v {
        Some(m) if !(1..=VALIDITY_MONTHS_MAX).contains(&m) => Err(ValueError::new(
            "out_of_range",
            format!("must be between 1 and {VALIDITY_MONTHS_MAX} months (none: never expires)"),
        )),
        v => Ok(v),
    }
}

/// The organization's training programs.
#[derive(Clone)]
pub struct TrainingProgramService {
    p: HrPorts,
}

impl TrainingProgramService {
    pub fn new(ports: HrPorts) -> Self {
        Self { p: ports }
    }

    crm_domain::record_use_cases!(training_programs: TrainingProgram, TrainingProgramId,
        read: TrainingProgramsRead, delete: TrainingProgramsDelete,
        in_use: "training-program-in-use",
        "the program still has sessions: delete or move them first");

    /// Needs `training_programs:write`.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn create(
        &self,
        actor: &Actor,
        input: TrainingProgramInput,
    ) -> Result<TrainingProgram, DomainError> {
        require_all::<TrainingProgramsWrite>(actor)?;
        let mut errors = Errors::new();
        let title = errors.value("title", title(&input.title));
        let description = errors.value("description", description(input.description.as_deref()));
        let category = errors.value("category", category(input.category.as_deref()));
        let validity_months =
            errors.value("validity_months", validity_months(input.validity_months));
        errors.finish()?;
        let now = self.p.now();
        let program = TrainingProgram {
            id: TrainingProgramId::new(),
            organization_id: actor.organization_id,
            title,
            description,
            category,
            validity_months,
            is_mandatory: input.is_mandatory.unwrap_or(false),
            created_at: now,
            updated_at: now,
            version: 1,
        };
        self.crud().create(actor, program).await
    }

    /// Needs `training_programs:write`. `412` on a stale version; `422` per bad field.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn update(
        &self,
        actor: &Actor,
        id: TrainingProgramId,
        expected_version: Option<i64>,
        patch: TrainingProgramPatch,
    ) -> Result<TrainingProgram, DomainError> {
        require_all::<TrainingProgramsWrite>(actor)?;
        let mut tx = self.p.tx.begin().await?;
        let current = self
            .crud()
            .locked(&mut tx, actor, id, expected_version, Ok)
            .await?;
        let mut errors = Errors::new();
        let mut next = current.clone();
        errors.patch("title", &mut next.title, patch.title.as_deref().map(title));
        errors.patch(
            "description",
            &mut next.description,
            text(&patch.description, description),
        );
        errors.patch(
            "category",
            &mut next.category,
            text(&patch.category, category),
        );
        errors.patch(
            "validity_months",
            &mut next.validity_months,
            patch.validity_months.map(validity_months),
        );
        if let Some(m) = patch.is_mandatory {
            next.is_mandatory = m;
        }
        errors.finish()?;
        self.crud()
            .save(actor, tx, current, next, self.p.now())
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validity_is_one_month_to_fifty_years_or_none() {
        assert_eq!(validity_months(None).unwrap(), None);
        assert_eq!(validity_months(Some(1)).unwrap(), Some(1));
        assert_eq!(validity_months(Some(600)).unwrap(), Some(600));
        assert_eq!(validity_months(Some(0)).unwrap_err().code, "out_of_range");
        assert_eq!(validity_months(Some(601)).unwrap_err().code, "out_of_range");
        assert_eq!(validity_months(Some(-3)).unwrap_err().code, "out_of_range");
    }
}
