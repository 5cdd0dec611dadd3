//! `/job-postings`: a plain resource. Applications are taken while a posting is `open`; a
//! hire that brings its hires to `openings` closes it.

use super::common::int_in;
use crate::employees::EmploymentType;
use crate::ports::HrPorts;
use crate::requirements::{JobPostingsDelete, JobPostingsRead, JobPostingsWrite};
use chrono::{DateTime, NaiveDate, Utc};
use crm_domain::identity::{DepartmentId, DesignationId};
use crm_domain::kernel::input::{Errors, clearable, text};
use crm_domain::kernel::pagination::{FieldKind, FieldSpec, ListSpec};
use crm_domain::kernel::records::Record as _;
use crm_domain::kernel::rules::nullable;
use crm_domain::kernel::scope::require_all;
use crm_domain::kernel::text::{optional_text, required_text};
use crm_domain::kernel::values::{amount, optional_currency, optional_date};
use crm_domain::{Actor, Currency, DomainError, OrganizationId, UserId, ValueError};
use serde::{Deserialize, Serialize};

crm_domain::typed_id!(
    /// A job posting.
    JobPostingId
);

crm_domain::name_enum!(
    /// Where a posting stands: only an `open` one takes applications.
    PostingStatus, "status" {
        Draft => "draft",
        Open => "open",
        OnHold => "on_hold",
        Closed => "closed",
    }
);

pub const TITLE_MAX: usize = 200;
pub const LOCATION_MAX: usize = 200;
pub const DESCRIPTION_MAX: usize = 20_000;
/// Most openings of one posting.
pub const OPENINGS_MAX: i64 = 10_000;

/// A job posting.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "id": "019cd1a0-1000-7a41-8c2e-0b6f3f0e5d12",
    "organization_id": "019bb138-1000-71a5-8da4-f9fc3c6da5d7",
    "title": "Backend engineer",
    "department_id": "019bb140-0000-7000-8000-000000000001",
    "designation_id": null,
    "location": "Lisbon (hybrid)",
    "employment_type": "full_time",
    "openings": 2,
    "description": "Rust, SQL, a taste for tests.",
    "status": "open",
    "closes_on": "2026-04-30",
    "salary_min": 6000000,
    "salary_max": 8000000,
    "salary_currency": "EUR",
    "hiring_manager_id": "019bb138-13e8-77a9-a564-12a9b8a1abcd",
    "created_at": "2026-03-01T09:00:00.000000Z",
    "updated_at": "2026-03-01T09:00:00.000000Z",
    "version": 1
})))]
pub struct JobPosting {
    pub id: JobPostingId,
    pub organization_id: OrganizationId,
    pub title: String,
    /// A department of the organization; the department of the employees hired.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<uuid::Uuid>))]
    pub department_id: Option<DepartmentId>,
    /// A designation of the organization; the designation of the employees hired.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<uuid::Uuid>))]
    pub designation_id: Option<DesignationId>,
    pub location: Option<String>,
    pub employment_type: EmploymentType,
    /// How many people are hired through it; the hire that reaches this closes it.
    pub openings: i64,
    pub description: Option<String>,
    pub status: PostingStatus,
    /// Informative: the status alone decides whether applications are taken.
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub closes_on: Option<NaiveDate>,
    /// Minor units of `salary_currency`.
    pub salary_min: Option<i64>,
    /// Minor units of `salary_currency`; not below `salary_min`.
    pub salary_max: Option<i64>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, example = "EUR"))]
    pub salary_currency: Option<Currency>,
    /// A user of the organization.
    pub hiring_manager_id: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

crm_domain::record!(JobPosting, JobPostingId, "job_posting", scope: ());

const STATUSES: &[&str] = &["draft", "open", "on_hold", "closed"];
const EMPLOYMENT_TYPES: &[&str] = &["full_time", "part_time", "contract", "intern"];

const POSTING_FIELDS: &[FieldSpec] = &[
    FieldSpec::new("created_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("updated_at", FieldKind::Timestamp).sort(),
    FieldSpec::new("title", FieldKind::Text).sort(),
    FieldSpec::new("status", FieldKind::Text)
        .filter()
        .sort()
        .one_of(STATUSES),
    FieldSpec::new("employment_type", FieldKind::Text)
        .filter()
        .sort()
        .one_of(EMPLOYMENT_TYPES),
    FieldSpec::new("department_id", FieldKind::Uuid)
        .filter()
        .nullable(),
    FieldSpec::new("designation_id", FieldKind::Uuid)
        .filter()
        .nullable(),
    FieldSpec::new("hiring_manager_id", FieldKind::Uuid)
        .filter()
        .nullable(),
    FieldSpec::new("openings", FieldKind::Integer)
        .range()
        .sort(),
    FieldSpec::new("closes_on", FieldKind::Date)
        .range()
        .sort()
        .nullable(),
    FieldSpec::new("salary_min", FieldKind::Integer)
        .range()
        .sort()
        .nullable(),
    FieldSpec::new("salary_max", FieldKind::Integer)
        .range()
        .sort()
        .nullable(),
];

/// `GET /job-postings`: newest first; filters `status`, `employment_type`, `department_id`,
/// `designation_id`, `hiring_manager_id`; ranges of openings, closing date and salaries; `q`
/// searches the title, the location and the description.
pub const JOB_POSTING_LIST_SPEC: ListSpec = ListSpec {
    fields: POSTING_FIELDS,
    default_sort: "-created_at",
    searchable: true,
};

/// `POST /job-postings`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "title": "Backend engineer",
    "location": "Lisbon (hybrid)",
    "employment_type": "full_time",
    "openings": 2,
    "status": "open",
    "closes_on": "2026-04-30",
    "salary_min": 6000000,
    "salary_max": 8000000,
    "salary_currency": "EUR"
})))]
pub struct JobPostingInput {
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::line::<{ TITLE_MAX }>))]
    pub title: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<uuid::Uuid>))]
    pub department_id: Option<DepartmentId>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<uuid::Uuid>))]
    pub designation_id: Option<DesignationId>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_line::<{ LOCATION_MAX }>))]
    pub location: Option<String>,
    /// `full_time` when absent.
    pub employment_type: Option<EmploymentType>,
    /// 1 when absent.
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_int_range::<1, { OPENINGS_MAX }>))]
    pub openings: Option<i64>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_text::<{ DESCRIPTION_MAX }>))]
    pub description: Option<String>,
    /// `draft` when absent.
    pub status: Option<PostingStatus>,
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub closes_on: Option<String>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_int_range::<0, { crm_domain::kernel::values::MAX_AMOUNT }>))]
    pub salary_min: Option<i64>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_int_range::<0, { crm_domain::kernel::values::MAX_AMOUNT }>))]
    pub salary_max: Option<i64>,
    /// Required with a salary.
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::currency_or_null))]
    pub salary_currency: Option<String>,
    pub hiring_manager_id: Option<UserId>,
}

/// `PATCH /job-postings/{id}`: only the fields present change; `null` clears what may be
/// empty.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({"status": "on_hold"})))]
pub struct JobPostingPatch {
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::line_or_null::<{ TITLE_MAX }>))]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<uuid::Uuid>))]
    pub department_id: Option<Option<DepartmentId>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<uuid::Uuid>))]
    pub designation_id: Option<Option<DesignationId>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_line::<{ LOCATION_MAX }>))]
    pub location: Option<Option<String>>,
    pub employment_type: Option<EmploymentType>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_int_range::<1, { OPENINGS_MAX }>))]
    pub openings: Option<i64>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_text::<{ DESCRIPTION_MAX }>))]
    pub description: Option<Option<String>>,
    pub status: Option<PostingStatus>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub closes_on: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_int_range::<0, { crm_domain::kernel::values::MAX_AMOUNT }>))]
    pub salary_min: Option<Option<i64>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_int_range::<0, { crm_domain::kernel::values::MAX_AMOUNT }>))]
    pub salary_max: Option<Option<i64>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::currency_or_null))]
    pub salary_currency: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub hiring_manager_id: Option<Option<UserId>>,
}

fn title(raw: &str) -> Result<String, ValueError> {
    required_text(raw, "title", TITLE_MAX)
}

fn location(raw: Option<&str>) -> Result<Option<String>, ValueError> {
    optional_text(raw, "location", LOCATION_MAX, false)
}

fn description(raw: Option<&str>) -> Result<Option<String>, ValueError> {
    optional_text(raw, "description", DESCRIPTION_MAX, true)
}

fn openings(v: i64) -> Result<i64, ValueError> {
    int_in(v, 1, OPENINGS_MAX)
}

/// The salary rules, on the posting as it will be stored: `salary_max` not below
/// `salary_min` (`422 salary_max`); a salary needs its currency (`422 salary_currency`).
pub fn check_salary(p: &JobPosting, errors: &mut Errors) {
    if let (Some(min), Some(max)) = (p.salary_min, p.salary_max)
        && max < min
    {
        errors.add(
            "salary_max",
            "less_than_min",
            "salary_max must not be below salary_min",
        );
    }
    if (p.salary_min.is_some() || p.salary_max.is_some()) && p.salary_currency.is_none() {
        errors.add("salary_currency", "required", "a salary needs its currency");
    }
}

/// Postings: CRUD.
#[derive(Clone)]
pub struct JobPostingService {
    p: HrPorts,
}

impl JobPostingService {
    pub fn new(ports: HrPorts) -> Self {
        Self { p: ports }
    }

    crm_domain::record_use_cases!(job_postings: JobPosting, JobPostingId,
        read: JobPostingsRead, delete: JobPostingsDelete,
        in_use: "job-posting-in-use", "the posting has applications: close it instead");

    /// Needs `job_postings:write`. Department, designation and hiring manager of the
    /// organization (`422 not_found`); the salary rules of [`check_salary`].
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn create(
        &self,
        actor: &Actor,
        input: JobPostingInput,
    ) -> Result<JobPosting, DomainError> {
        require_all::<JobPostingsWrite>(actor)?;
        let org = actor.organization_id;
        let mut errors = Errors::new();
        let now = self.p.now();
        let posting = JobPosting {
            id: JobPostingId::new(),
            organization_id: org,
            title: errors.value("title", title(&input.title)),
            department_id: input.department_id,
            designation_id: input.designation_id,
            location: errors.value("location", location(input.location.as_deref())),
            employment_type: input.employment_type.unwrap_or(EmploymentType::FullTime),
            openings: errors.value("openings", openings(input.openings.unwrap_or(1))),
            description: errors.value("description", description(input.description.as_deref())),
            status: input.status.unwrap_or(PostingStatus::Draft),
            closes_on: errors.value("closes_on", optional_date(input.closes_on.as_deref())),
            salary_min: errors.value("salary_min", input.salary_min.map(amount).transpose()),
            salary_max: errors.value("salary_max", input.salary_max.map(amount).transpose()),
            salary_currency: errors.value(
                "salary_currency",
                optional_currency(input.salary_currency.as_deref()),
            ),
            hiring_manager_id: input.hiring_manager_id,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        if errors.is_empty() {
            check_salary(&posting, &mut errors);
        }
        self.check_references(&posting, &mut errors).await?;
        errors.finish()?;
        self.crud().create(actor, posting).await
    }

    async fn check_references(
        &self,
        p: &JobPosting,
        errors: &mut Errors,
    ) -> Result<(), DomainError> {
        let org = p.organization_id;
        self.p
            .check_department(org, p.department_id, "department_id", errors)
            .await?;
        self.p
            .check_designation(org, p.designation_id, "designation_id", errors)
            .await?;
        self.p
            .check_user(org, p.hiring_manager_id, "hiring_manager_id", errors)
            .await
    }

    /// Needs `job_postings:write`. `412` on a stale `If-Match`; `422` per bad field, the
    /// salary rules checked on the posting as it will be stored.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn update(
        &self,
        actor: &Actor,
        id: JobPostingId,
        expected_version: Option<i64>,
        patch: JobPostingPatch,
    ) -> Result<JobPosting, DomainError> {
        require_all::<JobPostingsWrite>(actor)?;
        let org = actor.organization_id;
        let p = &patch;
        // What the body names is looked up on the pool, before the transaction.
        let mut errors = Errors::new();
        if let Some(d) = p.department_id {
            self.p
                .check_department(org, d, "department_id", &mut errors)
                .await?;
        }
        if let Some(d) = p.designation_id {
            self.p
                .check_designation(org, d, "designation_id", &mut errors)
                .await?;
        }
        if let Some(u) = p.hiring_manager_id {
            self.p
                .check_user(org, u, "hiring_manager_id", &mut errors)
                .await?;
        }
        let mut tx = self.p.tx.begin().await?;
        let current = self
            .crud()
            .locked(&mut tx, actor, id, expected_version, Ok)
            .await?;
        let mut next = current.clone();
        errors.patch("title", &mut next.title, p.title.as_deref().map(title));
        errors.patch("location", &mut next.location, text(&p.location, location));
        errors.patch(
            "description",
            &mut next.description,
            text(&p.description, description),
        );
        errors.patch("openings", &mut next.openings, p.openings.map(openings));
        errors.patch(
            "closes_on",
            &mut next.closes_on,
            text(&p.closes_on, optional_date),
        );
        errors.patch(
            "salary_min",
            &mut next.salary_min,
            clearable(p.salary_min, amount),
        );
        errors.patch(
            "salary_max",
            &mut next.salary_max,
            clearable(p.salary_max, amount),
        );
        errors.patch(
            "salary_currency",
            &mut next.salary_currency,
            text(&p.salary_currency, optional_currency),
        );
        if let Some(v) = p.department_id {
            next.department_id = v;
        }
        if let Some(v) = p.designation_id {
            next.designation_id = v;
        }
        if let Some(v) = p.hiring_manager_id {
            next.hiring_manager_id = v;
        }
        if let Some(v) = p.employment_type {
            next.employment_type = v;
        }
        if let Some(v) = p.status {
            next.status = v;
        }
        if errors.is_empty() {
            check_salary(&next, &mut errors);
        }
        errors.finish()?;
        self.crud()
            .save(actor, tx, current, next, self.p.now())
            .await
    }
}

/// `posting` closed at `now` (one version on), when a hire filled it.
pub(crate) fn closed(posting: &JobPosting, now: DateTime<Utc>) -> JobPosting {
    JobPosting {
        status: PostingStatus::Closed,
        ..posting.clone()
    }
    .touched(now)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn posting() -> JobPosting {
        JobPosting {
            id: JobPostingId::new(),
            organization_id: OrganizationId::new(),
            title: "Engineer".into(),
            department_id: None,
            designation_id: None,
            location: None,
            employment_type: EmploymentType::FullTime,
            openings: 1,
            description: None,
            status: PostingStatus::Open,
            closes_on: None,
            salary_min: None,
            salary_max: None,
            salary_currency: None,
            hiring_manager_id: None,
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
            version: 1,
        }
    }

    fn fields(p: &JobPosting) -> Vec<(String, String)> {
        let mut errors = Errors::new();
        check_salary(p, &mut errors);
        match errors.finish() {
            Ok(()) => Vec::new(),
            Err(DomainError::Invalid(e)) => e.into_iter().map(|f| (f.field, f.code)).collect(),
            Err(e) => panic!("{e:?}"),
        }
    }

    #[test]
    fn salary_max_is_not_below_min_and_needs_a_currency() {
        let eur = Some(Currency::parse("EUR").unwrap());
        let ok = JobPosting {
            salary_min: Some(100),
            salary_max: Some(100),
            salary_currency: eur,
            ..posting()
        };
        assert!(fields(&ok).is_empty());
        assert!(fields(&posting()).is_empty());
        let below = JobPosting {
            salary_max: Some(99),
            ..ok.clone()
        };
        assert_eq!(
            fields(&below),
            [("salary_max".to_string(), "less_than_min".to_string())]
        );
        let no_currency = JobPosting {
            salary_currency: None,
            salary_min: None,
            ..ok
        };
        assert_eq!(
            fields(&no_currency),
            [("salary_currency".to_string(), "required".to_string())]
        );
    }

    #[test]
    fn a_filled_posting_closes_one_version_on() {
        let p = posting();
        let now = chrono::Utc::now();
        let c = closed(&p, now);
        assert_eq!(
            (c.status, c.version, c.updated_at),
            (PostingStatus::Closed, 2, now)
        );
    }

    #[test]
    fn listed_names_match_the_enums() {
        for (s, name) in PostingStatus::ALL.iter().zip(STATUSES) {
            assert_eq!(s.as_str(), *name);
        }
        assert_eq!(PostingStatus::ALL.len(), STATUSES.len());
    }
}
