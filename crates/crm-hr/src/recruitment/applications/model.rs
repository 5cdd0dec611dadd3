use crate::employees::{Employee, EmployeeId};
use crate::recruitment::candidates::CandidateId;
use crate::recruitment::postings::JobPostingId;
use chrono::{DateTime, Utc};
use crm_domain::identity::{DepartmentId, DesignationId};
use crm_domain::kernel::pagination::{FieldKind, FieldSpec, ListSpec};
use crm_domain::kernel::rules::nullable;
use crm_domain::{DomainError, FieldError, OrganizationId, UserId, ValueError};
use serde::{Deserialize, Serialize};

crm_domain::typed_id!(
    /// An application of a candidate to a job posting.
    ApplicationId
);

crm_domain::typed_id!(
    /// One entry of an application's stage history.
    StageMoveId
);

crm_domain::name_enum!(
    /// Where an application stands in the pipeline, in pipeline order. `hired`, `rejected`
    /// and `withdrawn` are final.
    ApplicationStage, "stage" {
        Applied => "applied",
        Screening => "screening",
        Interview => "interview",
        Offer => "offer",
        Hired => "hired",
        Rejected => "rejected",
        Withdrawn => "withdrawn",
    }
);

impl ApplicationStage {
    /// `hired`, `rejected` or `withdrawn`: the application moves no more.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Hired | Self::Rejected | Self::Withdrawn)
    }
}

pub const SOURCE_MAX: usize = 100;
pub const COVER_LETTER_MAX: usize = 20_000;
pub const REASON_MAX: usize = 2_000;

/// An application of a candidate to a job posting.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "id": "019cd1a0-3000-7c1e-9b2a-6f0d7c1e2a31",
    "organization_id": "019bb138-1000-71a5-8da4-f9fc3c6da5d7",
    "job_posting_id": "019cd1a0-1000-7a41-8c2e-0b6f3f0e5d12",
    "candidate_id": "019cd1a0-2000-7b22-8d3e-1a2b3c4d5e6f",
    "stage": "interview",
    "rating": 4,
    "source": "careers page",
    "cover_letter": "I would love to work on your backend.",
    "rejection_reason": null,
    "stage_changed_at": "2026-03-04T10:00:00.000000Z",
    "employee_id": null,
    "created_at": "2026-03-01T09:00:00.000000Z",
    "updated_at": "2026-03-04T10:00:00.000000Z",
    "version": 3
})))]
pub struct Application {
    pub id: ApplicationId,
    pub organization_id: OrganizationId,
    pub job_posting_id: JobPostingId,
    pub candidate_id: CandidateId,
    /// Changed by `POST /applications/{id}/move` (and `/hire`), never by `PATCH`.
    pub stage: ApplicationStage,
    /// 1 to 5.
    pub rating: Option<i64>,
    pub source: Option<String>,
    pub cover_letter: Option<String>,
    pub rejection_reason: Option<String>,
    /// When it entered its current stage.
    pub stage_changed_at: DateTime<Utc>,
    /// The employee its hire made.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<uuid::Uuid>))]
    pub employee_id: Option<EmployeeId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

crm_domain::record!(Application, ApplicationId, "application", scope: ());

/// One stage an application entered: the history of `GET /applications/{id}/history`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "id": "019cd1a0-3400-7c1e-9b2a-6f0d7c1e2a31",
    "application_id": "019cd1a0-3000-7c1e-9b2a-6f0d7c1e2a31",
    "from_stage": "screening",
    "to_stage": "interview",
    "moved_by": "019bb138-13e8-77a9-a564-12a9b8a1abcd",
    "moved_at": "2026-03-04T10:00:00.000000Z",
    "reason": "Strong screening call"
})))]
pub struct StageMove {
    pub id: StageMoveId,
    #[serde(skip)]
    #[cfg_attr(feature = "openapi", schema(ignore))]
    pub organization_id: OrganizationId,
    pub application_id: ApplicationId,
    /// The posting of the application (what the report filters by).
    #[serde(skip)]
    #[cfg_attr(feature = "openapi", schema(ignore))]
    pub job_posting_id: JobPostingId,
    /// `null` for the first entry, the application's creation.
    pub from_stage: Option<ApplicationStage>,
    pub to_stage: ApplicationStage,
    /// Who moved it.
    pub moved_by: Option<UserId>,
    pub moved_at: DateTime<Utc>,
    pub reason: Option<String>,
    /// When it left `to_stage` (`None` while it is there).
    #[serde(skip)]
    #[cfg_attr(feature = "openapi", schema(ignore))]
    pub left_at: Option<DateTime<Utc>>,
}

impl StageMove {
    /// The entry of `application` entering `to` from `from`.
    pub fn new(
        application: &Application,
        from: Option<ApplicationStage>,
        to: ApplicationStage,
        by: UserId,
        at: DateTime<Utc>,
        reason: Option<String>,
    ) -> Self {
        Self {
            id: StageMoveId::new(),
            organization_id: application.organization_id,
            application_id: application.id,
            job_posting_id: application.job_posting_id,
            from_stage: from,
            to_stage: to,
            moved_by: Some(by),
            moved_at: at,
            reason,
            left_at: None,
        }
    }
}

/// The whole seconds from `entered` to `left` (0 if the clock went back).
pub fn seconds_between(entered: DateTime<Utc>, left: DateTime<Utc>) -> i64 {
    (left - entered).num_seconds().max(0)
}

const STAGES: &[&str] = &[
    "applied",
    "screening",
    "interview",
    "offer",
    "hired",
    "rejected",
    "withdrawn",
];

const APPLICATION_FIELDS: &[FieldSpec] = &[
    FieldSpec::new("created_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("updated_at", FieldKind::Timestamp).sort(),
    FieldSpec::new("job_posting_id", FieldKind::Uuid).filter(),
    FieldSpec::new("candidate_id", FieldKind::Uuid).filter(),
    FieldSpec::new("stage", FieldKind::Text)
        .filter()
        .sort()
        .one_of(STAGES),
    FieldSpec::new("rating", FieldKind::Integer)
        .filter()
        .range()
        .sort()
        .nullable(),
    FieldSpec::new("source", FieldKind::Text)
        .filter()
        .nullable(),
    FieldSpec::new("stage_changed_at", FieldKind::Timestamp)
        .range()
        .sort(),
];

/// `GET /applications`: newest first; filters `job_posting_id`, `candidate_id`, `stage`,
/// `rating`, `source`; ranges of rating and stage change; `q` searches the source, the cover
/// letter and the rejection reason.
pub const APPLICATION_LIST_SPEC: ListSpec = ListSpec {
    fields: APPLICATION_FIELDS,
    default_sort: "-created_at",
    searchable: true,
};

/// `POST /applications`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "job_posting_id": "019cd1a0-1000-7a41-8c2e-0b6f3f0e5d12",
    "candidate_id": "019cd1a0-2000-7b22-8d3e-1a2b3c4d5e6f",
    "source": "careers page",
    "cover_letter": "I would love to work on your backend."
})))]
pub struct ApplicationInput {
    /// An `open` posting (`409 job-posting-not-open` otherwise).
    pub job_posting_id: JobPostingId,
    /// One application per candidate and posting (`409 application-exists`).
    pub candidate_id: CandidateId,
    /// `applied` when absent; a final stage is refused (`422`): an application is hired
    /// through `/hire`, rejected or withdrawn through `/move`.
    #[cfg_attr(feature = "openapi", schema(schema_with = initial_stage_schema))]
    pub stage: Option<ApplicationStage>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_int_range::<1, 5>))]
    pub rating: Option<i64>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_line::<{ SOURCE_MAX }>))]
    pub source: Option<String>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_text::<{ COVER_LETTER_MAX }>))]
    pub cover_letter: Option<String>,
}

/// `PATCH /applications/{id}`: only the fields present change; `null` clears. The stage
/// moves through `/move` and `/hire`; posting and candidate never change.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({"rating": 5})))]
pub struct ApplicationPatch {
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_int_range::<1, 5>))]
    pub rating: Option<Option<i64>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_line::<{ SOURCE_MAX }>))]
    pub source: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_text::<{ COVER_LETTER_MAX }>))]
    pub cover_letter: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_text::<{ REASON_MAX }>))]
    pub rejection_reason: Option<Option<String>>,
}

/// `POST /applications/{id}/move`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({"stage": "interview", "reason": "Strong screening call"})))]
pub struct MoveInput {
    /// Any stage but `hired` (`422`: a hire goes through `/hire`).
    #[cfg_attr(feature = "openapi", schema(schema_with = move_stage_schema))]
    pub stage: ApplicationStage,
    /// Kept in the history; moving to `rejected` it is also the `rejection_reason`.
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_text::<{ REASON_MAX }>))]
    pub reason: Option<String>,
}

/// `POST /applications/{id}/hire`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({"hire_date": "2026-04-01"})))]
pub struct HireInput {
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub hire_date: String,
    /// The posting's department when absent.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<uuid::Uuid>))]
    pub department_id: Option<DepartmentId>,
    /// The posting's designation when absent.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<uuid::Uuid>))]
    pub designation_id: Option<DesignationId>,
}

/// What a hire made: the application, `hired`, and its new employee.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = hire_example))]
pub struct Hire {
    pub application: Application,
    pub employee: Employee,
}

/// The stages an application is created in (`initial_stage`), or `null` for `applied`.
#[cfg(feature = "openapi")]
fn initial_stage_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    crm_domain::kernel::openapi::one_of(&["applied", "screening", "interview", "offer"], true)
}

/// The stages `/move` takes: every one but `hired` (`check_move`).
#[cfg(feature = "openapi")]
fn move_stage_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    crm_domain::kernel::openapi::one_of(
        &[
            "applied",
            "screening",
            "interview",
            "offer",
            "rejected",
            "withdrawn",
        ],
        false,
    )
}

/// The example of a hire in the OpenAPI document: the examples of its two records, made one.
#[cfg(feature = "openapi")]
fn hire_example() -> serde_json::Value {
    use crm_domain::kernel::openapi::example_of;
    let mut application = example_of::<Application>();
    let mut employee = example_of::<Employee>();
    let employee_id = serde_json::json!("019cd1a0-3800-7d21-9a3e-5b7f1e2d3c41");
    application["stage"] = serde_json::json!("hired");
    application["employee_id"] = employee_id.clone();
    employee["id"] = employee_id;
    employee["user_id"] = serde_json::Value::Null;
    for personal in ["date_of_birth", "address", "emergency_contact"] {
        employee[personal] = serde_json::Value::Null;
    }
    serde_json::json!({"application": application, "employee": employee})
}

/// `409 application-closed`: a final stage moves no more.
pub fn closed(stage: ApplicationStage) -> DomainError {
    DomainError::conflict(
        "application-closed",
        format!("the application is {stage}: a final stage moves no more"),
    )
}

/// The field error of a move to `hired`: a hire goes through its own route.
pub fn hire_required() -> FieldError {
    FieldError::new(
        "stage",
        "hire_required",
        "an application becomes hired through POST /applications/{id}/hire",
    )
}

/// The rule of a move from `from` to `to`: a final stage moves no more (`409
/// application-closed`); `hired` only through a hire (`422 stage`). `Ok(false)` for a move to
/// the stage it is in (nothing to do), `Ok(true)` for a move.
pub fn check_move(from: ApplicationStage, to: ApplicationStage) -> Result<bool, DomainError> {
    if from.is_final() {
        return Err(closed(from));
    }
    if to == ApplicationStage::Hired {
        return Err(DomainError::Invalid(vec![hire_required()]));
    }
    Ok(from != to)
}

/// A stage an application may be created in: not a final one.
pub fn initial_stage(stage: Option<ApplicationStage>) -> Result<ApplicationStage, ValueError> {
    match stage.unwrap_or(ApplicationStage::Applied) {
        s if s.is_final() => Err(ValueError::new(
            "final_stage",
            "an application starts in applied, screening, interview or offer",
        )),
        s => Ok(s),
    }
}

/// A candidate's name split into an employee's first and last names: the last word is the
/// last name and the words before it the first name; a single word is both the first name
/// and, repeated, the last name (an employee has both).
pub fn split_name(name: &str) -> (String, String) {
    let words: Vec<&str> = name.split_whitespace().collect();
    match words.as_slice() {
        [] => (String::new(), String::new()),
        [one] => ((*one).to_string(), (*one).to_string()),
        [first @ .., last] => (first.join(" "), (*last).to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ApplicationStage::*;

    #[test]
    fn final_stages_move_no_more_and_hired_needs_a_hire() {
        for from in ApplicationStage::ALL {
            for to in ApplicationStage::ALL {
                let r = check_move(*from, *to);
                if from.is_final() {
                    assert!(
                        matches!(
                            r,
                            Err(DomainError::Conflict {
                                code: "application-closed",
                                ..
                            })
                        ),
                        "{from} → {to}"
                    );
                } else if *to == Hired {
                    assert!(matches!(r, Err(DomainError::Invalid(_))), "{from} → {to}");
                } else {
                    assert_eq!(r, Ok(from != to), "{from} → {to}");
                }
            }
        }
        // Backwards among open stages is allowed.
        assert_eq!(check_move(Offer, Screening), Ok(true));
        assert_eq!(check_move(Interview, Rejected), Ok(true));
        assert_eq!(check_move(Applied, Withdrawn), Ok(true));
    }

    #[test]
    fn applications_start_in_an_open_stage() {
        assert_eq!(initial_stage(None), Ok(Applied));
        assert_eq!(initial_stage(Some(Offer)), Ok(Offer));
        for s in [Hired, Rejected, Withdrawn] {
            assert_eq!(initial_stage(Some(s)).unwrap_err().code, "final_stage");
        }
    }

    #[test]
    fn names_split_at_the_last_word() {
        assert_eq!(
            split_name("  Ada  King Lovelace "),
            ("Ada King".into(), "Lovelace".into())
        );
        assert_eq!(
            split_name("Ada Lovelace"),
            ("Ada".into(), "Lovelace".into())
        );
        assert_eq!(split_name("Madonna"), ("Madonna".into(), "Madonna".into()));
    }

    #[test]
    fn stage_names_are_in_pipeline_order() {
        assert_eq!(ApplicationStage::ALL.len(), STAGES.len());
        for (s, name) in ApplicationStage::ALL.iter().zip(STAGES) {
            assert_eq!(s.as_str(), *name);
        }
        let finals: Vec<_> = ApplicationStage::ALL
            .iter()
            .filter(|s| s.is_final())
            .collect();
        assert_eq!(finals, [&Hired, &Rejected, &Withdrawn]);
    }

    #[test]
    fn seconds_are_whole_and_never_negative() {
        let a: DateTime<Utc> = "2026-03-01T10:00:00Z".parse().unwrap();
        let b: DateTime<Utc> = "2026-03-03T10:00:00.9Z".parse().unwrap();
        assert_eq!(seconds_between(a, b), 172_800);
        assert_eq!(seconds_between(b, a), 0);
    }
}
