//! `/holidays`: the organization's days off (`date`, `name`), which leave day counting and
//! attendance leave out. One holiday per date (`409 holiday-date-taken`, a unique key);
//! `?year=` lists one calendar year.

use crate::ports::HrPorts;
use crate::requirements::{HolidaysDelete, HolidaysRead, HolidaysWrite};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use crm_domain::kernel::input::Errors;
use crm_domain::kernel::pagination::{FieldKind, FieldSpec, ListSpec};
use crm_domain::kernel::records::conflict;
use crm_domain::kernel::scope::require_all;
use crm_domain::kernel::text::required_text;
use crm_domain::kernel::values::date;
use crm_domain::{Actor, DomainError, OrganizationId, ValueError};
use serde::{Deserialize, Serialize};

crm_domain::typed_id!(
    /// A holiday of an organization.
    HolidayId
);

pub const NAME_MAX: usize = 200;

/// A day off for the whole organization.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "id": "019cd0a0-0b00-7000-8000-000000000001",
    "organization_id": "019bb138-1000-71a5-8da4-f9fc3c6da5d7",
    "date": "2026-12-25",
    "name": "Christmas Day",
    "year": 2026,
    "legacy_id": null,
    "created_at": "2026-01-05T09:00:00.000000Z",
    "updated_at": "2026-01-05T09:00:00.000000Z",
    "version": 1
})))]
pub struct Holiday {
    pub id: HolidayId,
    pub organization_id: OrganizationId,
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub date: NaiveDate,
    pub name: String,
    /// The calendar year of `date` (what `?year=` filters).
    pub year: i32,
    /// The record's id in the original Node.js server's database when it came from there
    /// (`crm import legacy`: the `holidays` id, with `:date` after it for the second and
    /// later days of a holiday of several days); `null` for records made here. Read-only.
    pub legacy_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

crm_domain::record!(Holiday, HolidayId, "holiday", scope: ());

const HOLIDAY_FIELDS: &[FieldSpec] = &[
    FieldSpec::new("created_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("updated_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("date", FieldKind::Date).range().sort(),
    FieldSpec::new("name", FieldKind::Text).sort(),
    FieldSpec::new("year", FieldKind::Integer)
        .filter()
        .doc("the calendar year of the date"),
];

/// `GET /holidays`: by date; `?year=`; `q` searches the name.
pub const HOLIDAY_LIST_SPEC: ListSpec = ListSpec {
    fields: HOLIDAY_FIELDS,
    default_sort: "date",
    searchable: true,
};

/// `POST /holidays`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({"date": "2026-12-25", "name": "Christmas Day"})))]
pub struct HolidayInput {
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub date: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::line::<{ NAME_MAX }>))]
    pub name: String,
}

/// `PATCH /holidays/{id}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({"name": "Christmas"})))]
pub struct HolidayPatch {
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub date: Option<String>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::line_or_null::<{ NAME_MAX }>))]
    pub name: Option<String>,
}

fn name(raw: &str) -> Result<String, ValueError> {
    required_text(raw, "name", NAME_MAX)
}

const TAKEN: (&str, &str) = (
    "holiday-date-taken",
    "the organization already has a holiday on that date",
);

/// The organization's holidays.
#[derive(Clone)]
pub struct HolidayService {
    p: HrPorts,
}

impl HolidayService {
    pub fn new(ports: HrPorts) -> Self {
        Self { p: ports }
    }

    crm_domain::record_use_cases!(holidays: Holiday, HolidayId,
        read: HolidaysRead, delete: HolidaysDelete,
        in_use: "holiday-in-use", "the holiday is still referred to");

    /// Needs `holidays:write`. `409 holiday-date-taken` for a second holiday on one date.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn create(&self, actor: &Actor, input: HolidayInput) -> Result<Holiday, DomainError> {
        require_all::<HolidaysWrite>(actor)?;
        let mut errors = Errors::new();
        let day = errors.value("date", date(&input.date));
        let name = errors.value("name", name(&input.name));
        errors.finish()?;
        let now = self.p.now();
        let h = Holiday {
            id: HolidayId::new(),
            organization_id: actor.organization_id,
            date: day,
            name,
            year: day.year(),
            legacy_id: None,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        self.crud()
            .create(actor, h)
            .await
            .map_err(conflict(TAKEN.0, TAKEN.1))
    }

    /// Needs `holidays:write`. `412` on a stale version; `409 holiday-date-taken`.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn update(
        &self,
        actor: &Actor,
        id: HolidayId,
        expected_version: Option<i64>,
        patch: HolidayPatch,
    ) -> Result<Holiday, DomainError> {
        require_all::<HolidaysWrite>(actor)?;
        let mut tx = self.p.tx.begin().await?;
        let current = self
            .crud()
            .locked(&mut tx, actor, id, expected_version, Ok)
            .await?;
        let mut errors = Errors::new();
        let mut next = current.clone();
        errors.patch("date", &mut next.date, patch.date.as_deref().map(date));
        errors.patch("name", &mut next.name, patch.name.as_deref().map(name));
        errors.finish()?;
        next.year = next.date.year();
        self.crud()
            .save(actor, tx, current, next, self.p.now())
            .await
            .map_err(conflict(TAKEN.0, TAKEN.1))
    }
}
