//! `GET /certifications`: what the passes of each person are worth today. A certification is
//! the latest pass of an employee in a program (the passed enrollment with the latest
//! `completed_on`, then the latest enrolled), identified by that enrollment; its `status` is
//! read on the organization's today, never stored:
//! - `expired`: `valid_until` before today;
//! - `expiring`: `valid_until` today or within the next 30 days;
//! - `valid`: later, or never expiring (`valid_until` null).

use super::enrollments::{TrainingEnrollment, TrainingEnrollmentId};
use super::programs::TrainingProgramId;
use super::sessions::TrainingSessionId;
use crate::employees::EmployeeId;
use crate::ports::HrPorts;
use crate::requirements::CertificationsRead;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use crm_domain::kernel::pagination::{FieldKind, FieldSpec, FieldValue, ListQuery, ListSpec, Page};
use crm_domain::kernel::scope::require;
use crm_domain::{Actor, DomainError, OrganizationId, Scope};
use serde::Serialize;

crm_domain::name_enum!(
    /// What a certification is worth today.
    CertificationStatus, "status" {
        Valid => "valid",
        Expiring => "expiring",
        Expired => "expired",
    }
);

/// How many days ahead a certification counts as `expiring` (and its holder and HR are told).
pub const EXPIRING_DAYS: i64 = 30;

/// The status of a certification valid until `valid_until` on `today`.
pub fn status_on(valid_until: Option<NaiveDate>, today: NaiveDate) -> CertificationStatus {
    match valid_until {
        Some(d) if d < today => CertificationStatus::Expired,
        Some(d) if d <= today + Duration::days(EXPIRING_DAYS) => CertificationStatus::Expiring,
        _ => CertificationStatus::Valid,
    }
}

/// An employee's latest pass of a program, as it stands today.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "id": "019cd0b0-3000-7000-8000-000000000001",
    "organization_id": "019bb138-1000-71a5-8da4-f9fc3c6da5d7",
    "employee_id": "019cd0a0-1c00-7d21-9a3e-5b7f1e2d3c41",
    "program_id": "019cd0b0-1000-7000-8000-000000000001",
    "session_id": "019cd0b0-2000-7000-8000-000000000001",
    "completed_on": "2026-03-11",
    "valid_until": "2029-03-11",
    "status": "valid",
    "score": 92,
    "created_at": "2026-01-05T09:00:00.000000Z",
    "updated_at": "2026-03-11T17:30:00.000000Z"
})))]
pub struct Certification {
    /// The passing enrollment (`GET /training-enrollments/{id}`).
    pub id: TrainingEnrollmentId,
    pub organization_id: OrganizationId,
    pub employee_id: EmployeeId,
    pub program_id: TrainingProgramId,
    /// The session passed.
    pub session_id: TrainingSessionId,
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub completed_on: NaiveDate,
    /// The last day it is valid; `null`: never expires.
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub valid_until: Option<NaiveDate>,
    /// Computed on the organization's today: `expired` (valid_until before today),
    /// `expiring` (within 30 days), else `valid`.
    pub status: CertificationStatus,
    pub score: Option<i64>,
    /// When the enrollment was made.
    pub created_at: DateTime<Utc>,
    /// The enrollment's last change (its pass, or a later score).
    pub updated_at: DateTime<Utc>,
}

impl Certification {
    /// The certification a passed enrollment makes, on `today`; `None` for an enrollment
    /// that is not (or no longer) a pass.
    pub fn of(e: &TrainingEnrollment, today: NaiveDate) -> Option<Self> {
        Some(Self {
            id: e.id,
            organization_id: e.organization_id,
            employee_id: e.employee_id,
            program_id: e.program_id,
            session_id: e.session_id,
            completed_on: e.completed_on?,
            valid_until: e.valid_until,
            status: status_on(e.valid_until, today),
            score: e.score,
            created_at: e.created_at,
            updated_at: e.updated_at,
        })
    }
}

const CERTIFICATION_FIELDS: &[FieldSpec] = &[
    FieldSpec::new("created_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("updated_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("completed_on", FieldKind::Date).range().sort(),
    FieldSpec::new("valid_until", FieldKind::Date)
        .range()
        .sort()
        .nulls_last(),
    FieldSpec::new("employee_id", FieldKind::Uuid).filter(),
    FieldSpec::new("program_id", FieldKind::Uuid).filter(),
    FieldSpec::new("status", FieldKind::Text)
        .filter()
        .one_of(&["valid", "expiring", "expired"])
        .doc("valid, expiring (valid_until within 30 days of today) or expired (valid_until before today), on the organization's today"),
    FieldSpec::new("expiring_before", FieldKind::Date)
        .filter()
        .doc("Only certifications whose valid_until is before this date (expired ones included; never-expiring ones never)"),
];

/// `GET /certifications`: soonest to expire first (never-expiring last); `employee_id`,
/// `program_id`, `status`, `expiring_before`; ranges of the dates.
pub const CERTIFICATION_LIST_SPEC: ListSpec = ListSpec {
    fields: CERTIFICATION_FIELDS,
    default_sort: "valid_until",
    searchable: false,
};

/// What narrows a list of certifications besides the list query's own filters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CertificationScope {
    /// `:own`: the caller's employee record.
    pub employee: Option<EmployeeId>,
    /// Only this status, as of `today`.
    pub status: Option<CertificationStatus>,
    /// Only `valid_until` before this date.
    pub expiring_before: Option<NaiveDate>,
    /// The organization's today, which `status` is read on.
    pub today: NaiveDate,
}

/// The certifications of the organization.
#[derive(Clone)]
pub struct CertificationService {
    p: HrPorts,
}

impl CertificationService {
    pub fn new(ports: HrPorts) -> Self {
        Self { p: ports }
    }

    /// Needs `certifications:read`; under `:own` the caller's own (none without an employee
    /// record). `status` is read on the organization's today.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn list(
        &self,
        actor: &Actor,
        query: &ListQuery,
    ) -> Result<Page<Certification>, DomainError> {
        let scope = require::<CertificationsRead>(actor)?;
        let org = actor.organization_id;
        let employee = match scope {
            Scope::All => None,
            Scope::Own => match self.p.employee_store.by_user(org, actor.user_id).await? {
                Some(e) => Some(e.id),
                None => {
                    return Ok(Page {
                        data: Vec::new(),
                        next_cursor: None,
                        total: query.count.then_some(0),
                    });
                }
            },
        };
        let today = self.p.today(org).await?;
        let mut q = query.clone();
        let mut narrow = CertificationScope {
            employee,
            today,
            ..CertificationScope::default()
        };
        for f in &query.filters {
            match (f.field, &f.value) {
                ("status", FieldValue::Text(s)) => {
                    narrow.status = Some(s.parse().map_err(|e: crm_domain::ValueError| {
                        DomainError::Invalid(vec![e.into_field("status")])
                    })?);
                }
                ("expiring_before", FieldValue::Date(d)) => narrow.expiring_before = Some(*d),
                _ => {}
            }
        }
        q.filters
            .retain(|f| f.field != "status" && f.field != "expiring_before");
        let page = self
            .p
            .training_store
            .certifications(org, &q, &narrow)
            .await?;
        let data = page
            .data
            .iter()
            .filter_map(|e| Certification::of(e, today))
            .collect();
        Ok(Page {
            data,
            next_cursor: page.next_cursor,
            total: page.total,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn statuses_on_known_dates() {
        let today = day("2026-03-01");
        assert_eq!(status_on(None, today), CertificationStatus::Valid);
        assert_eq!(
            status_on(Some(day("2026-02-28")), today),
            CertificationStatus::Expired
        );
        assert_eq!(
            status_on(Some(day("2026-03-01")), today),
            CertificationStatus::Expiring
        );
        assert_eq!(
            status_on(Some(day("2026-03-31")), today),
            CertificationStatus::Expiring
        );
        assert_eq!(
            status_on(Some(day("2026-04-01")), today),
            CertificationStatus::Valid
        );
    }

    proptest! {
        /// As days pass, a certification only ever moves valid → expiring → expired, and is
        /// expiring on exactly the 31 days ending with its last valid day.
        #[test]
        fn status_only_moves_forward(offset in -20_000i64..20_000) {
            let valid_until = day("2026-03-01") + Duration::days(offset);
            let rank = |s: CertificationStatus| match s {
                CertificationStatus::Valid => 0,
                CertificationStatus::Expiring => 1,
                CertificationStatus::Expired => 2,
            };
            let start = valid_until - Duration::days(200);
            let mut last = 0;
            let mut expiring = 0;
            for d in 0..400 {
                let s = status_on(Some(valid_until), start + Duration::days(d));
                prop_assert!(rank(s) >= last);
                last = rank(s);
                if s == CertificationStatus::Expiring {
                    expiring += 1;
                }
            }
            prop_assert_eq!(expiring, EXPIRING_DAYS + 1);
            prop_assert_eq!(last, 2);
            prop_assert_eq!(status_on(None, start), CertificationStatus::Valid);
        }
    }
}
