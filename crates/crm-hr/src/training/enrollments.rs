//! `POST /training-sessions/{id}/enrollments`, `GET /training-sessions/{id}/enrollments`,
//! `/training-enrollments` (list, read, `PATCH`): who takes a session, and how it went.

use super::common::{completed_on, text_of, valid_until};
use super::programs::TrainingProgramId;
use super::sessions::{SessionStatus, TrainingSession, TrainingSessionId, check_seat};
use crate::employees::{EmployeeId, EmployeeStatus};
use crate::ports::HrPorts;
use crate::requirements::{TrainingEnrollmentsRead, TrainingEnrollmentsWrite};
use chrono::{DateTime, NaiveDate, Utc};
use crm_domain::kernel::input::{Errors, text};
use crm_domain::kernel::pagination::{
    FieldKind, FieldSpec, FieldValue, Filter, FilterOp, ListQuery, ListSpec, Page,
};
use crm_domain::kernel::records::{Crud, conflict};
use crm_domain::kernel::rules::nullable;
use crm_domain::kernel::scope::{require, require_all};
use crm_domain::{Actor, DomainError, OrganizationId, Scope, ValueError};
use serde::{Deserialize, Serialize};

crm_domain::typed_id!(
    /// An employee's enrollment in a training session.
    TrainingEnrollmentId
);

crm_domain::name_enum!(
    /// How an enrollment went.
    EnrollmentStatus, "status" {
        Enrolled => "enrolled",
        Attended => "attended",
        Passed => "passed",
        Failed => "failed",
        NoShow => "no_show",
    }
);

impl EnrollmentStatus {
    /// What only a session that took place can give (not a cancelled one).
    pub fn is_outcome(self) -> bool {
        matches!(self, Self::Attended | Self::Passed | Self::Failed)
    }
}

pub const NOTES_MAX: usize = 2_000;
pub const SCORE_MAX: i64 = 100;

/// An employee's enrollment in a session. A pass stamps `completed_on` and `valid_until`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "id": "019cd0b0-3000-7000-8000-000000000001",
    "organization_id": "019bb138-1000-71a5-8da4-f9fc3c6da5d7",
    "session_id": "019cd0b0-2000-7000-8000-000000000001",
    "program_id": "019cd0b0-1000-7000-8000-000000000001",
    "employee_id": "019cd0a0-1c00-7d21-9a3e-5b7f1e2d3c41",
    "status": "passed",
    "score": 92,
    "notes": "Led the resuscitation drill.",
    "completed_on": "2026-03-11",
    "valid_until": "2029-03-11",
    "created_at": "2026-01-05T09:00:00.000000Z",
    "updated_at": "2026-03-11T17:30:00.000000Z",
    "version": 2
})))]
pub struct TrainingEnrollment {
    pub id: TrainingEnrollmentId,
    pub organization_id: OrganizationId,
    pub session_id: TrainingSessionId,
    /// The session's program.
    pub program_id: TrainingProgramId,
    pub employee_id: EmployeeId,
    pub status: EnrollmentStatus,
    /// 0–100.
    pub score: Option<i64>,
    pub notes: Option<String>,
    /// Set by a pass: the date of the session's `ends_at` in the organization's time zone;
    /// `null` unless `passed`.
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub completed_on: Option<NaiveDate>,
    /// Set by a pass: `completed_on` plus the program's `validity_months`; `null` unless
    /// `passed`, or when the program's passes never expire.
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub valid_until: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

crm_domain::record!(TrainingEnrollment, TrainingEnrollmentId, "training_enrollment", scope: Option<EmployeeId>);

const ENROLLMENT_FIELDS: &[FieldSpec] = &[
    FieldSpec::new("created_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("updated_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("status", FieldKind::Text)
        .filter()
        .sort()
        .one_of(&["enrolled", "attended", "passed", "failed", "no_show"])
        .doc("enrolled, attended, passed, failed or no_show"),
    FieldSpec::new("score", FieldKind::Integer)
        .range()
        .sort()
        .nullable(),
    FieldSpec::new("completed_on", FieldKind::Date)
        .range()
        .sort()
        .nullable(),
    FieldSpec::new("valid_until", FieldKind::Date)
        .range()
        .sort()
        .nullable(),
    FieldSpec::new("session_id", FieldKind::Uuid).filter(),
    FieldSpec::new("program_id", FieldKind::Uuid).filter(),
    FieldSpec::new("employee_id", FieldKind::Uuid).filter(),
];

/// `GET /training-enrollments` and `GET /training-sessions/{id}/enrollments`: oldest first
/// (the order people enrolled in); `session_id`, `program_id`, `employee_id`, `status`;
/// ranges of the score and the dates. Under `:own`, the caller's own enrollments only.
pub const TRAINING_ENROLLMENT_LIST_SPEC: ListSpec = ListSpec {
    fields: ENROLLMENT_FIELDS,
    default_sort: "created_at",
    searchable: false,
};

/// `POST /training-sessions/{id}/enrollments`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "employee_id": "019cd0a0-1c00-7d21-9a3e-5b7f1e2d3c41"
})))]
pub struct EnrollmentInput {
    /// An active employee of the organization (`422 not_found`; terminated: `409
    /// employee-terminated`), enrolled once per session (`409
    /// training-enrollment-exists`).
    pub employee_id: EmployeeId,
}

/// `PATCH /training-enrollments/{id}`: only the fields present change; `null` clears the
/// score and the notes. `passed` stamps `completed_on` and `valid_until`; leaving `passed`
/// clears them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({"status": "passed", "score": 92})))]
pub struct EnrollmentPatch {
    pub status: Option<EnrollmentStatus>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_int_range::<0, { SCORE_MAX }>))]
    pub score: Option<Option<i64>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_line::<{ NOTES_MAX }>))]
    pub notes: Option<Option<String>>,
}

/// A score: 0 to 100, or none.
pub fn score(v: Option<i64>) -> Result<Option<i64>, ValueError> {
    match v {
        Some(s) if !(0..=SCORE_MAX).contains(&s) => Err(ValueError::new(
            "out_of_range",
            format!("must be between 0 and {SCORE_MAX}"),
        )),
        v => Ok(v),
    }
}

fn notes(raw: Option<&str>) -> Result<Option<String>, ValueError> {
    text_of(raw, "notes", NOTES_MAX)
}

/// What a pass is stamped with: the session's end and the program's validity, read when
/// the change makes a pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PassBasis {
    pub ends_at: DateTime<Utc>,
    pub validity_months: Option<i64>,
}

/// `next` (the enrollment with the patch applied, from `current`) with its pass dates: a
/// change into `passed` stamps them from `basis` in the organization's `zone`; staying
/// `passed` keeps them; any other status clears them.
pub fn stamped(
    current: &TrainingEnrollment,
    mut next: TrainingEnrollment,
    basis: Option<PassBasis>,
    zone: &str,
) -> Result<TrainingEnrollment, DomainError> {
    match (current.status, next.status) {
        (EnrollmentStatus::Passed, EnrollmentStatus::Passed) => {}
        (_, EnrollmentStatus::Passed) => {
            let Some(b) = basis else {
                return Err(DomainError::Unexpected(
                    "a pass without its session and program".into(),
                ));
            };
            let done = completed_on(b.ends_at, zone);
            next.completed_on = Some(done);
            next.valid_until = valid_until(done, b.validity_months);
        }
        _ => {
            next.completed_on = None;
            next.valid_until = None;
        }
    }
    Ok(next)
}

fn cancelled() -> DomainError {
    DomainError::conflict(
        "training-session-cancelled",
        "the session is cancelled: it takes no enrollments and gives no results",
    )
}

/// Enrollments: taking a seat, and the outcome.
#[derive(Clone)]
pub struct TrainingEnrollmentService {
    p: HrPorts,
}

impl TrainingEnrollmentService {
    pub fn new(ports: HrPorts) -> Self {
        Self { p: ports }
    }

    fn crud(&self) -> Crud<'_, TrainingEnrollment> {
        Crud::new(
            &*self.p.tx,
            &*self.p.training_enrollments,
            &*self.p.activities,
        )
    }

    /// The employee whose records `:own` means: the caller's own employee record; `None`
    /// when the caller has none (then nothing is theirs).
    async fn own_employee(
        &self,
        actor: &Actor,
        scope: Scope,
    ) -> Result<Option<Option<EmployeeId>>, DomainError> {
        match scope {
            Scope::All => Ok(Some(None)),
            Scope::Own => Ok(self
                .p
                .employee_store
                .by_user(actor.organization_id, actor.user_id)
                .await?
                .map(|e| Some(e.id))),
        }
    }

    async fn page(
        &self,
        actor: &Actor,
        scope: Scope,
        query: &ListQuery,
    ) -> Result<Page<TrainingEnrollment>, DomainError> {
        let Some(employee) = self.own_employee(actor, scope).await? else {
            return Ok(Page {
                data: Vec::new(),
                next_cursor: None,
                total: query.count.then_some(0),
            });
        };
        Ok(self
            .p
            .training_enrollments
            .list(actor.organization_id, query, employee)
            .await?)
    }

    /// Needs `training_enrollments:read`; under `:own` the caller's own enrollments.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn list(
        &self,
        actor: &Actor,
        query: &ListQuery,
    ) -> Result<Page<TrainingEnrollment>, DomainError> {
        let scope = require::<TrainingEnrollmentsRead>(actor)?;
        self.page(actor, scope, query).await
    }

    /// `GET /training-sessions/{id}/enrollments`: the session's enrollments, as a list of
    /// enrollments (its filters and sort apply). Needs `training_enrollments:read` (under
    /// `:own`, only the caller's own); `404` for a session not of the organization.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, session = %session))]
    pub async fn of_session(
        &self,
        actor: &Actor,
        session: TrainingSessionId,
        query: &ListQuery,
    ) -> Result<Page<TrainingEnrollment>, DomainError> {
        let scope = require::<TrainingEnrollmentsRead>(actor)?;
        self.p
            .training_sessions
            .get(actor.organization_id, session)
            .await?;
        let mut q = query.clone();
        q.filters.retain(|f| f.field != "session_id");
        q.filters.push(Filter {
            field: "session_id",
            op: FilterOp::Eq,
            value: FieldValue::Uuid(session.0),
        });
        self.page(actor, scope, &q).await
    }

    /// Needs `training_enrollments:read`; `404` when missing, of another organization or
    /// (under `:own`) not the caller's own.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn get(
        &self,
        actor: &Actor,
        id: TrainingEnrollmentId,
    ) -> Result<TrainingEnrollment, DomainError> {
        let scope = require::<TrainingEnrollmentsRead>(actor)?;
        let e = self
            .p
            .training_enrollments
            .get(actor.organization_id, id)
            .await?;
        match self.own_employee(actor, scope).await? {
            Some(None) => Ok(e),
            Some(Some(mine)) if mine == e.employee_id => Ok(e),
            _ => Err(DomainError::NotFound),
        }
    }

    /// `404` unless `session` is a session of the caller's organization: what the enrollment
    /// route checks before it reads its body. Needs `training_enrollments:write`.
    pub async fn session_exists(
        &self,
        actor: &Actor,
        session: TrainingSessionId,
    ) -> Result<(), DomainError> {
        require_all::<TrainingEnrollmentsWrite>(actor)?;
        self.p
            .training_sessions
            .get(actor.organization_id, session)
            .await?;
        Ok(())
    }

    /// Needs `training_enrollments:write`. The employee must be one of the organization's
    /// (`422 employee_id`) and active (`409 employee-terminated`). In one transaction: the
    /// session's row locked (`404` when gone; `409 training-session-cancelled`), its
    /// enrollments counted against its capacity (`409 training-session-full`), the
    /// enrollment inserted (`409 training-enrollment-exists` the second time: a unique key)
    /// with its audit entry. Two enrollments for the last seat queue on the session's row:
    /// the second counts the first.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, session = %session))]
    pub async fn enroll(
        &self,
        actor: &Actor,
        session: TrainingSessionId,
        input: EnrollmentInput,
    ) -> Result<TrainingEnrollment, DomainError> {
        require_all::<TrainingEnrollmentsWrite>(actor)?;
        let org = actor.organization_id;
        let mut errors = Errors::new();
        let found = self.p.employees.get(org, input.employee_id).await;
        let employee = errors.reference("employee_id", "employee", found)?;
        errors.finish()?;
        if employee.is_some_and(|e| e.status == EmployeeStatus::Terminated) {
            return Err(DomainError::conflict(
                "employee-terminated",
                "the employee is terminated: they take no more training",
            ));
        }
        let mut tx = self.p.tx.begin().await?;
        let s: TrainingSession = self
            .p
            .training_sessions
            .get_for_update(&mut tx, org, session)
            .await?;
        if s.status == SessionStatus::Cancelled {
            return Err(cancelled());
        }
        let enrolled = self
            .p
            .training_store
            .enrolled_count(&mut tx, org, session)
            .await?;
        check_seat(s.capacity, enrolled)?;
        let now = self.p.now();
        let e = TrainingEnrollment {
            id: TrainingEnrollmentId::new(),
            organization_id: org,
            session_id: session,
            program_id: s.program_id,
            employee_id: input.employee_id,
            status: EnrollmentStatus::Enrolled,
            score: None,
            notes: None,
            completed_on: None,
            valid_until: None,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        self.crud().create_in(actor, tx, e).await.map_err(conflict(
            "training-enrollment-exists",
            "the employee is already enrolled in this session",
        ))
    }

    /// Needs `training_enrollments:write`. `412` on a stale `If-Match`; `422` per bad field;
    /// `409 training-session-cancelled` for a result (`attended`, `passed`, `failed`) in a
    /// cancelled session. A change into `passed` stamps `completed_on` (the date of the
    /// session's `ends_at` in the organization's time zone) and `valid_until` (plus the
    /// program's `validity_months`, read at that moment); leaving `passed` clears both.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn update(
        &self,
        actor: &Actor,
        id: TrainingEnrollmentId,
        expected_version: Option<i64>,
        patch: EnrollmentPatch,
    ) -> Result<TrainingEnrollment, DomainError> {
        require_all::<TrainingEnrollmentsWrite>(actor)?;
        let org = actor.organization_id;
        // What a result needs, read on the pool before the transaction: the session (its
        // status and end), for a pass the program's validity and the organization's zone.
        let mut basis = None;
        let mut session_status = None;
        let mut zone = String::new();
        if let Some(status) = patch.status.filter(|s| s.is_outcome()) {
            let e = self.p.training_enrollments.get(org, id).await?;
            let s = self.p.training_sessions.get(org, e.session_id).await?;
            session_status = Some(s.status);
            if status == EnrollmentStatus::Passed {
                let program = self.p.training_programs.get(org, e.program_id).await?;
                zone = self.p.organizations.get(org).await?.timezone;
                basis = Some(PassBasis {
                    ends_at: s.ends_at,
                    validity_months: program.validity_months,
                });
            }
        }
        let mut tx = self.p.tx.begin().await?;
        let current = self
            .crud()
            .locked(&mut tx, actor, id, expected_version, Ok)
            .await?;
        let mut errors = Errors::new();
        let mut next = current.clone();
        if let Some(s) = patch.status {
            next.status = s;
        }
        errors.patch("score", &mut next.score, patch.score.map(score));
        errors.patch("notes", &mut next.notes, text(&patch.notes, notes));
        errors.finish()?;
        if next.status != current.status
            && next.status.is_outcome()
            && session_status == Some(SessionStatus::Cancelled)
        {
            return Err(cancelled());
        }
        let next = stamped(&current, next, basis, &zone)?;
        self.crud()
            .save(actor, tx, current, next, self.p.now())
            .await
    }
}
