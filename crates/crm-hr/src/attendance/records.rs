//! `/attendance`: a punch, whoever wrote it, and the bodies that write one.

use crate::employees::EmployeeId;
use chrono::{DateTime, Utc};
use crm_domain::OrganizationId;
use crm_domain::kernel::pagination::{FieldKind, FieldSpec, ListSpec};
use crm_domain::kernel::rules::nullable;
use serde::{Deserialize, Serialize};

crm_domain::typed_id!(
    /// A punch: one stretch of attendance.
    AttendanceRecordId
);

/// Who wrote a punch: the person checking in (`self`) or HR (`hr`). Written by hand rather
/// than with `name_enum!`: `self` is no Rust variant name.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum AttendanceSource {
    #[default]
    #[serde(rename = "self")]
    SelfService,
    #[serde(rename = "hr")]
    Hr,
}

impl AttendanceSource {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::SelfService => "self",
            Self::Hr => "hr",
        }
    }
}

impl std::str::FromStr for AttendanceSource {
    type Err = crm_domain::ValueError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "self" => Ok(Self::SelfService),
            "hr" => Ok(Self::Hr),
            _ => Err(crm_domain::ValueError::new(
                "invalid",
                "source must be one of: self, hr",
            )),
        }
    }
}

pub const NOTE_MAX: usize = 1_000;

/// A punch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "id": "019cd0c0-1000-7000-8000-000000000001",
    "organization_id": "019bb138-1000-71a5-8da4-f9fc3c6da5d7",
    "employee_id": "019cd0a0-1c00-7d21-9a3e-5b7f1e2d3c41",
    "check_in_at": "2026-03-10T08:57:12.000000Z",
    "check_out_at": null,
    "note": "Client visit in the afternoon",
    "source": "self",
    "legacy_id": null,
    "created_at": "2026-03-10T08:57:12.000000Z",
    "updated_at": "2026-03-10T08:57:12.000000Z",
    "version": 1
})))]
pub struct AttendanceRecord {
    pub id: AttendanceRecordId,
    pub organization_id: OrganizationId,
    pub employee_id: EmployeeId,
    pub check_in_at: DateTime<Utc>,
    /// `null` while the punch is open.
    pub check_out_at: Option<DateTime<Utc>>,
    pub note: Option<String>,
    pub source: AttendanceSource,
    /// The record's id in the original Node.js server's database when it came from there
    /// (`crm import legacy`); `null` for records made here. Read-only.
    pub legacy_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

crm_domain::record!(AttendanceRecord, AttendanceRecordId, "attendance", scope: Option<EmployeeId>);

impl AttendanceRecord {
    /// Whether this punch and `[from, to)` (`to` none: open, reaching forever) share time.
    pub fn overlaps(&self, from: DateTime<Utc>, to: Option<DateTime<Utc>>) -> bool {
        let starts_before_other_ends = to.is_none_or(|t| self.check_in_at < t);
        let ends_after_other_starts = self.check_out_at.is_none_or(|o| o > from);
        starts_before_other_ends && ends_after_other_starts
    }
}

const FIELDS: &[FieldSpec] = &[
    FieldSpec::new("created_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("updated_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("check_in_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("check_out_at", FieldKind::Timestamp)
        .range()
        .sort()
        .nullable(),
    FieldSpec::new("source", FieldKind::Text)
        .filter()
        .sort()
        .one_of(&["self", "hr"])
        .doc("self or hr"),
    FieldSpec::new("employee_id", FieldKind::Uuid).filter(),
];

/// `GET /attendance`: latest check-in first; `employee_id`, `source`, ranges of the instants
/// (`from` / `to`, dates, bound the check-in too). Under `:own`, the caller's own punches.
pub const ATTENDANCE_LIST_SPEC: ListSpec = ListSpec {
    fields: FIELDS,
    default_sort: "-check_in_at",
    searchable: false,
};

/// `POST /attendance/check-in` and `/check-out`: an optional note.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({"note": "Working from the Lyon office"})))]
pub struct CheckInput {
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_line::<{ NOTE_MAX }>))]
    pub note: Option<String>,
}

/// `POST /attendance`: a punch written by HR.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "employee_id": "019cd0a0-1c00-7d21-9a3e-5b7f1e2d3c41",
    "check_in_at": "2026-03-10T09:00:00+01:00",
    "check_out_at": "2026-03-10T17:30:00+01:00",
    "note": "Forgot to check in: badge records"
})))]
pub struct AttendanceInput {
    /// An employee of the organization (`422 not_found`).
    pub employee_id: EmployeeId,
    /// RFC 3339 with an offset, 2000–2037.
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub check_in_at: String,
    /// After `check_in_at`; absent or `null`: an open punch.
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub check_out_at: Option<String>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_line::<{ NOTE_MAX }>))]
    pub note: Option<String>,
}

/// `PATCH /attendance/{id}`: only the fields present change; `null` reopens the punch
/// (`check_out_at`) or clears the note. The employee is fixed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({"check_out_at": "2026-03-10T17:30:00+01:00"})))]
pub struct AttendancePatch {
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub check_in_at: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(format = DateTime, nullable))]
    pub check_out_at: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_line::<{ NOTE_MAX }>))]
    pub note: Option<Option<String>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn rec(i: &str, o: Option<&str>) -> AttendanceRecord {
        AttendanceRecord {
            id: AttendanceRecordId::new(),
            organization_id: OrganizationId(uuid::Uuid::nil()),
            employee_id: EmployeeId(uuid::Uuid::nil()),
            check_in_at: at(i),
            check_out_at: o.map(at),
            note: None,
            source: AttendanceSource::Hr,
            legacy_id: None,
            created_at: at(i),
            updated_at: at(i),
            version: 1,
        }
    }

    #[test]
    fn sources_read_and_write_as_self_and_hr() {
        for s in [AttendanceSource::SelfService, AttendanceSource::Hr] {
            let json = serde_json::to_value(s).unwrap();
            assert_eq!(json, s.as_str());
            assert_eq!(s.as_str().parse::<AttendanceSource>().unwrap(), s);
        }
        assert!("self_service".parse::<AttendanceSource>().is_err());
    }

    #[test]
    fn overlap_is_half_open_and_an_open_punch_reaches_forever() {
        let r = rec("2026-03-10T09:00:00Z", Some("2026-03-10T12:00:00Z"));
        // Touching ends do not overlap.
        assert!(!r.overlaps(at("2026-03-10T12:00:00Z"), Some(at("2026-03-10T13:00:00Z"))));
        assert!(!r.overlaps(at("2026-03-10T08:00:00Z"), Some(at("2026-03-10T09:00:00Z"))));
        assert!(r.overlaps(at("2026-03-10T11:59:00Z"), Some(at("2026-03-10T13:00:00Z"))));
        assert!(r.overlaps(at("2026-03-10T08:00:00Z"), None));
        assert!(!r.overlaps(at("2026-03-10T12:00:00Z"), None));
        let open = rec("2026-03-10T09:00:00Z", None);
        assert!(open.overlaps(at("2027-01-01T00:00:00Z"), None));
        assert!(!open.overlaps(at("2026-03-10T07:00:00Z"), Some(at("2026-03-10T09:00:00Z"))));
    }
}
