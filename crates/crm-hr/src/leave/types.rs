//! `/leave-types`: a policy (`allowance_days` per calendar year, `accrual`, carry forward,
//! how far below 0 a balance may go, whether requests need approval). `code` is unique per
//! organization (`409 leave-type-code-taken`); a type that requests or adjustments name
//! cannot be deleted (`409 leave-type-in-use`: deactivate it instead).

use super::balance::{Accrual, LeavePolicy};
use crate::days::{Days, non_negative};
use crate::ports::HrPorts;
use crate::requirements::{LeaveTypesDelete, LeaveTypesRead, LeaveTypesWrite};
use chrono::{DateTime, Utc};
use crm_domain::kernel::input::Errors;
use crm_domain::kernel::pagination::{FieldKind, FieldSpec, ListSpec};
use crm_domain::kernel::records::conflict;
use crm_domain::kernel::rules::nullable;
use crm_domain::kernel::scope::require_all;
use crm_domain::kernel::text::required_text;
use crm_domain::{Actor, DomainError, OrganizationId, ValueError};
use serde::{Deserialize, Serialize};

crm_domain::typed_id!(
    /// A leave type of an organization.
    LeaveTypeId
);

pub const NAME_MAX: usize = 100;
pub const CODE_MAX: usize = 20;
/// The largest allowance, cap or negative allowance: a year of days.
pub const DAYS_MAX: i64 = 366;
/// The longest carry-forward expiry: ten years of days.
pub const EXPIRY_DAYS_MAX: i64 = 3660;

/// A leave type and its policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "id": "019cd0c0-1000-7000-8000-000000000001",
    "organization_id": "019bb138-1000-71a5-8da4-f9fc3c6da5d7",
    "name": "Annual leave",
    "code": "AL",
    "paid": true,
    "allowance_days": 25,
    "accrual": "upfront",
    "carry_forward_max_days": 5,
    "carry_forward_expiry_days": 90,
    "allow_negative_days": 0,
    "requires_approval": true,
    "is_active": true,
    "legacy_id": null,
    "created_at": "2026-01-05T09:00:00.000000Z",
    "updated_at": "2026-01-05T09:00:00.000000Z",
    "version": 1
})))]
pub struct LeaveType {
    pub id: LeaveTypeId,
    pub organization_id: OrganizationId,
    pub name: String,
    /// Unique per organization.
    pub code: String,
    pub paid: bool,
    /// Days per calendar year (at most 2 decimals).
    #[cfg_attr(feature = "openapi", schema(value_type = f64, multiple_of = 0.01))]
    pub allowance_days: Days,
    pub accrual: Accrual,
    #[cfg_attr(feature = "openapi", schema(value_type = f64, multiple_of = 0.01))]
    pub carry_forward_max_days: Days,
    /// Days after 1 January when carried days lapse; `null`: they do not lapse in the year.
    pub carry_forward_expiry_days: Option<i64>,
    /// How far below 0 `available` may go after a request.
    #[cfg_attr(feature = "openapi", schema(value_type = f64, multiple_of = 0.01))]
    pub allow_negative_days: Days,
    pub requires_approval: bool,
    pub is_active: bool,
    /// The record's id in the original Node.js server's database when it came from there
    /// (`crm import legacy`); `null` for records made here. Read-only.
    pub legacy_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

crm_domain::record!(LeaveType, LeaveTypeId, "leave_type", scope: ());

impl LeaveType {
    /// What the balance engine reads of it.
    pub fn policy(&self) -> LeavePolicy {
        LeavePolicy {
            allowance_days: self.allowance_days,
            accrual: self.accrual,
            carry_forward_max_days: self.carry_forward_max_days,
            carry_forward_expiry_days: self
                .carry_forward_expiry_days
                .and_then(|d| u32::try_from(d).ok()),
            allow_negative_days: self.allow_negative_days,
        }
    }
}

const TYPE_FIELDS: &[FieldSpec] = &[
    FieldSpec::new("created_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("updated_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("name", FieldKind::Text).sort(),
    FieldSpec::new("code", FieldKind::Text).filter().sort(),
    FieldSpec::new("allowance_days", FieldKind::Integer).sort(),
    FieldSpec::new("accrual", FieldKind::Text)
        .filter()
        .one_of(&["upfront", "monthly"])
        .doc("upfront or monthly"),
    FieldSpec::new("paid", FieldKind::Bool).filter(),
    FieldSpec::new("requires_approval", FieldKind::Bool).filter(),
    FieldSpec::new("is_active", FieldKind::Bool).filter(),
];

/// `GET /leave-types`: by name; `code`, `accrual`, `paid`, `requires_approval`, `is_active`;
/// `q` searches the name and the code.
pub const LEAVE_TYPE_LIST_SPEC: ListSpec = ListSpec {
    fields: TYPE_FIELDS,
    default_sort: "name",
    searchable: true,
};

/// `POST /leave-types`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "name": "Annual leave",
    "code": "AL",
    "allowance_days": 25,
    "accrual": "upfront",
    "carry_forward_max_days": 5,
    "carry_forward_expiry_days": 90
})))]
pub struct LeaveTypeInput {
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::line::<{ NAME_MAX }>))]
    pub name: String,
    /// Unique per organization (`409 leave-type-code-taken`): letters, digits, `_`, `-`, `.`.
    #[cfg_attr(feature = "openapi", schema(pattern = r"^ *[A-Za-z0-9_.-]{1,20} *$"))]
    pub code: String,
    /// Default `true`.
    pub paid: Option<bool>,
    /// 0–366 days per calendar year, at most 2 decimals.
    #[cfg_attr(feature = "openapi", schema(value_type = f64, minimum = 0, maximum = 366, multiple_of = 0.01))]
    pub allowance_days: Days,
    pub accrual: Accrual,
    /// 0–366, default 0 (nothing carried).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<f64>, minimum = 0, maximum = 366, multiple_of = 0.01))]
    pub carry_forward_max_days: Option<Days>,
    /// 1–3660 days after 1 January; absent or `null`: carried days do not lapse in the year.
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_int_range::<1, { EXPIRY_DAYS_MAX }>))]
    pub carry_forward_expiry_days: Option<i64>,
    /// 0–366, default 0.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<f64>, minimum = 0, maximum = 366, multiple_of = 0.01))]
    pub allow_negative_days: Option<Days>,
    /// Default `true`; `false`: requests are approved at once.
    pub requires_approval: Option<bool>,
    /// Default `true`.
    pub is_active: Option<bool>,
}

/// `PATCH /leave-types/{id}`: only the fields present change. A new policy applies to every
/// balance read afterwards (balances are computed, never stored); requests keep their days.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({"allowance_days": 26})))]
pub struct LeaveTypePatch {
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::line_or_null::<{ NAME_MAX }>))]
    pub name: Option<String>,
    #[cfg_attr(feature = "openapi", schema(pattern = r"^ *[A-Za-z0-9_.-]{1,20} *$"))]
    pub code: Option<String>,
    pub paid: Option<bool>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<f64>, minimum = 0, maximum = 366, multiple_of = 0.01))]
    pub allowance_days: Option<Days>,
    pub accrual: Option<Accrual>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<f64>, minimum = 0, maximum = 366, multiple_of = 0.01))]
    pub carry_forward_max_days: Option<Days>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_int_range::<1, { EXPIRY_DAYS_MAX }>))]
    pub carry_forward_expiry_days: Option<Option<i64>>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<f64>, minimum = 0, maximum = 366, multiple_of = 0.01))]
    pub allow_negative_days: Option<Days>,
    pub requires_approval: Option<bool>,
    pub is_active: Option<bool>,
}

fn name(raw: &str) -> Result<String, ValueError> {
    required_text(raw, "name", NAME_MAX)
}

/// A code: ASCII letters, digits, `_`, `-` and `.`, 1–20 of them (what the document's
/// pattern states).
pub fn code(raw: &str) -> Result<String, ValueError> {
    // Trimmed before it is counted: the document's pattern allows spaces around it.
    let c = raw.trim();
    if c.is_empty() {
        return Err(ValueError::new("required", "code is required"));
    }
    if c.chars().count() > CODE_MAX {
        return Err(ValueError::new(
            "too_long",
            format!("code is at most {CODE_MAX} characters"),
        ));
    }
    if c.chars()
        .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '_' | '-' | '.'))
    {
        Ok(c.to_string())
    } else {
        Err(ValueError::new(
            "invalid",
            "code takes letters, digits, '_', '-' and '.' only",
        ))
    }
}

fn day_quantity(v: Days) -> Result<Days, ValueError> {
    non_negative(v, DAYS_MAX)
}

/// 1 to [`EXPIRY_DAYS_MAX`] days, or none.
pub fn expiry_days(v: Option<i64>) -> Result<Option<i64>, ValueError> {
    match v {
        Some(d) if !(1..=EXPIRY_DAYS_MAX).contains(&d) => Err(ValueError::new(
            "out_of_range",
            format!("must be between 1 and {EXPIRY_DAYS_MAX} days (none: no lapse)"),
        )),
        v => Ok(v),
    }
}

fn code_taken() -> impl FnOnce(DomainError) -> DomainError {
    conflict(
        "leave-type-code-taken",
        "another leave type of the organization has this code",
    )
}

/// The organization's leave types.
#[derive(Clone)]
pub struct LeaveTypeService {
    p: HrPorts,
}

impl LeaveTypeService {
    pub fn new(ports: HrPorts) -> Self {
        Self { p: ports }
    }

    crm_domain::record_use_cases!(leave_types: LeaveType, LeaveTypeId,
        read: LeaveTypesRead, delete: LeaveTypesDelete,
        in_use: "leave-type-in-use",
        "requests or adjustments name this leave type: deactivate it instead");

    /// Needs `leave_types:write`. `422` per bad field; `409 leave-type-code-taken`.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn create(
        &self,
        actor: &Actor,
        input: LeaveTypeInput,
    ) -> Result<LeaveType, DomainError> {
        require_all::<LeaveTypesWrite>(actor)?;
        let mut errors = Errors::new();
        let name = errors.value("name", name(&input.name));
        let code = errors.value("code", code(&input.code));
        let allowance_days = errors.value("allowance_days", day_quantity(input.allowance_days));
        let carry_forward_max_days = errors.value(
            "carry_forward_max_days",
            day_quantity(input.carry_forward_max_days.unwrap_or_default()),
        );
        let carry_forward_expiry_days = errors.value(
            "carry_forward_expiry_days",
            expiry_days(input.carry_forward_expiry_days),
        );
        let allow_negative_days = errors.value(
            "allow_negative_days",
            day_quantity(input.allow_negative_days.unwrap_or_default()),
        );
        errors.finish()?;
        let now = self.p.now();
        let t = LeaveType {
            id: LeaveTypeId::new(),
            organization_id: actor.organization_id,
            name,
            code,
            paid: input.paid.unwrap_or(true),
            allowance_days,
            accrual: input.accrual,
            carry_forward_max_days,
            carry_forward_expiry_days,
            allow_negative_days,
            requires_approval: input.requires_approval.unwrap_or(true),
            is_active: input.is_active.unwrap_or(true),
            legacy_id: None,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        self.crud().create(actor, t).await.map_err(code_taken())
    }

    /// Needs `leave_types:write`. `412` on a stale version; `422` per bad field; `409
    /// leave-type-code-taken`.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn update(
        &self,
        actor: &Actor,
        id: LeaveTypeId,
        expected_version: Option<i64>,
        patch: LeaveTypePatch,
    ) -> Result<LeaveType, DomainError> {
        require_all::<LeaveTypesWrite>(actor)?;
        let mut tx = self.p.tx.begin().await?;
        let current = self
            .crud()
            .locked(&mut tx, actor, id, expected_version, Ok)
            .await?;
        let mut errors = Errors::new();
        let mut next = current.clone();
        errors.patch("name", &mut next.name, patch.name.as_deref().map(name));
        errors.patch("code", &mut next.code, patch.code.as_deref().map(code));
        errors.patch(
            "allowance_days",
            &mut next.allowance_days,
            patch.allowance_days.map(day_quantity),
        );
        errors.patch(
            "carry_forward_max_days",
            &mut next.carry_forward_max_days,
            patch.carry_forward_max_days.map(day_quantity),
        );
        errors.patch(
            "carry_forward_expiry_days",
            &mut next.carry_forward_expiry_days,
            patch.carry_forward_expiry_days.map(expiry_days),
        );
        errors.patch(
            "allow_negative_days",
            &mut next.allow_negative_days,
            patch.allow_negative_days.map(day_quantity),
        );
        errors.finish()?;
        if let Some(v) = patch.paid {
            next.paid = v;
        }
        if let Some(v) = patch.accrual {
            next.accrual = v;
        }
        if let Some(v) = patch.requires_approval {
            next.requires_approval = v;
        }
        if let Some(v) = patch.is_active {
            next.is_active = v;
        }
        self.crud()
            .save(actor, tx, current, next, self.p.now())
            .await
            .map_err(code_taken())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_short_words() {
        assert_eq!(code(" AL ").unwrap(), "AL");
        assert_eq!(code("sick-2").unwrap(), "sick-2");
        assert_eq!(code("a b").unwrap_err().code, "invalid");
        assert!(code("").is_err());
        assert!(code(&"x".repeat(21)).is_err());
    }

    #[test]
    fn expiry_is_one_day_to_ten_years_or_none() {
        assert_eq!(expiry_days(None).unwrap(), None);
        assert_eq!(expiry_days(Some(90)).unwrap(), Some(90));
        assert_eq!(expiry_days(Some(0)).unwrap_err().code, "out_of_range");
        assert_eq!(expiry_days(Some(3661)).unwrap_err().code, "out_of_range");
    }

    #[test]
    fn quantities_are_zero_to_a_year() {
        assert!(day_quantity(Days::from_hundredths(-1)).is_err());
        assert!(day_quantity(Days::whole(366)).is_ok());
        assert!(day_quantity(Days::from_hundredths(36_601)).is_err());
    }
}
