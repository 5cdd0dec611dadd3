//! Unit tests of the training services with mocked ports: who may do what, the order of the
//! enrolling transaction (session locked, seats counted, enrollment inserted), the pass
//! stamp in the organization's zone, `:own` through the employee record, the certification
//! list's narrowing, and the expiry job telling once.

use super::*;
use crate::employees::{Employee, EmployeeId, EmployeeStatus, EmploymentType};
use crate::holidays::Holiday;
use crate::ports::{HrPorts, MockEmployeeStore, MockHolidayStore, MockScheduleStore};
use crate::work_schedules::{WorkSchedule, WorkScheduleId};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use crm_domain::identity::{
    Department, Designation, MockOrganizationRepository, MockUserRepository, Organization,
};
use crm_domain::jobs::Job;
use crm_domain::kernel::numbering::MockDocumentCounterRepository;
use crm_domain::kernel::pagination::{ListQuery, Page};
use crm_domain::kernel::records::MockRecords;
use crm_domain::kernel::testing::{FixedClock, ORG, Probe, actor, notified, now};
use crm_domain::{Actor, Currency, DomainError, StoreError, UserId};
use mockall::Sequence;

/// Whom the declared `certification.expiring` rule tells of `entry`.
fn recipients_of(entry: &crm_domain::activity::NewActivity) -> Vec<UserId> {
    notified(
        crate::requirements::NOTIFICATION_TYPES,
        "certification.expiring",
        entry,
    )
}
use std::sync::Arc;

const HR: &[&str] = &[
    "training_programs:read",
    "training_programs:write",
    "training_programs:delete",
    "training_sessions:read",
    "training_sessions:write",
    "training_sessions:delete",
    "training_enrollments:read",
    "training_enrollments:write",
    "certifications:read",
];
const EMPLOYEE: &[&str] = &["training_enrollments:read:own", "certifications:read:own"];

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn person(user: Option<UserId>) -> Employee {
    Employee {
        id: EmployeeId::new(),
        organization_id: ORG,
        user_id: user,
        employee_number: "EMP-0001".into(),
        first_name: "Ada".into(),
        last_name: "Lovelace".into(),
        email: None,
        phone: None,
        department_id: None,
        designation_id: None,
        manager_id: None,
        hire_date: day("2025-01-06"),
        employment_type: EmploymentType::FullTime,
        status: EmployeeStatus::Active,
        work_schedule_id: WorkScheduleId::new(),
        date_of_birth: None,
        address: None,
        emergency_contact: None,
        termination_date: None,
        termination_reason: None,
        legacy_id: None,
        created_at: now(),
        updated_at: now(),
        version: 1,
    }
}

fn program(validity_months: Option<i64>) -> TrainingProgram {
    TrainingProgram {
        id: TrainingProgramId::new(),
        organization_id: ORG,
        title: "First aid".into(),
        description: None,
        category: None,
        validity_months,
        is_mandatory: false,
        created_at: now(),
        updated_at: now(),
        version: 1,
    }
}

fn session(program: TrainingProgramId, capacity: Option<i64>) -> TrainingSession {
    TrainingSession {
        id: TrainingSessionId::new(),
        organization_id: ORG,
        program_id: program,
        starts_at: at("2026-01-30T09:00:00Z"),
        ends_at: at("2026-01-30T12:00:00Z"),
        location: None,
        trainer: None,
        capacity,
        status: SessionStatus::Scheduled,
        created_at: now(),
        updated_at: now(),
        version: 1,
    }
}

fn enrollment(s: &TrainingSession, employee: EmployeeId) -> TrainingEnrollment {
    TrainingEnrollment {
        id: TrainingEnrollmentId::new(),
        organization_id: ORG,
        session_id: s.id,
        program_id: s.program_id,
        employee_id: employee,
        status: EnrollmentStatus::Enrolled,
        score: None,
        notes: None,
        completed_on: None,
        valid_until: None,
        created_at: now(),
        updated_at: now(),
        version: 1,
    }
}

fn passed(mut e: TrainingEnrollment, on: &str, until: Option<&str>) -> TrainingEnrollment {
    e.status = EnrollmentStatus::Passed;
    e.completed_on = Some(day(on));
    e.valid_until = until.map(day);
    e
}

fn organization(zone: &str) -> Organization {
    let mut o = Organization::new("Org".into(), Currency::parse("USD").unwrap(), now());
    o.id = ORG;
    o.timezone = zone.into();
    o
}

fn code(e: &DomainError) -> &'static str {
    match e {
        DomainError::Conflict { code, .. } | DomainError::Forbidden { code, .. } => code,
        DomainError::Invalid(_) => "invalid",
        DomainError::NotFound => "not-found",
        DomainError::Stale => "stale",
        _ => "other",
    }
}

fn fields(e: &DomainError) -> Vec<(String, String)> {
    match e {
        DomainError::Invalid(errs) => errs
            .iter()
            .map(|f| (f.field.clone(), f.code.clone()))
            .collect(),
        other => panic!("expected 422, got {other:?}"),
    }
}

fn query(spec: &crm_domain::kernel::pagination::ListSpec, pairs: &[(&str, &str)]) -> ListQuery {
    let pairs: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    ListQuery::parse(spec, &pairs).unwrap()
}

fn empty_page<T>() -> Page<T> {
    Page {
        data: Vec::new(),
        next_cursor: None,
        total: None,
    }
}

/// Every port a strict mock (an unexpected call fails the test) but the transactions and the
/// audit log, which the probe watches, and the clock, stopped at 2026-03-01 12:00 UTC.
struct Env {
    organizations: MockOrganizationRepository,
    employees: MockRecords<Employee>,
    employee_store: MockEmployeeStore,
    programs: MockRecords<TrainingProgram>,
    sessions: MockRecords<TrainingSession>,
    enrollments: MockRecords<TrainingEnrollment>,
    store: MockTrainingStore,
    clock: FixedClock,
    probe: Probe,
}

impl Env {
    fn new() -> Self {
        Self {
            organizations: MockOrganizationRepository::new(),
            employees: MockRecords::new(),
            employee_store: MockEmployeeStore::new(),
            programs: MockRecords::new(),
            sessions: MockRecords::new(),
            enrollments: MockRecords::new(),
            store: MockTrainingStore::new(),
            clock: FixedClock::default(),
            probe: Probe::default(),
        }
    }

    fn org(&mut self, zone: &str) {
        let o = organization(zone);
        self.organizations
            .expect_get()
            .returning(move |_| Ok(o.clone()));
    }

    /// The caller's own employee record, as `by_user` answers it.
    fn own(&mut self, a: &Actor, e: Option<Employee>) {
        let user = a.user_id;
        self.employee_store
            .expect_by_user()
            .withf(move |_, u| *u == user)
            .returning(move |_, _| Ok(e.clone()));
    }

    fn employee(&mut self, e: Employee) {
        self.employees.expect_get().returning(move |o, id| {
            if o == e.organization_id && id == e.id {
                Ok(e.clone())
            } else {
                Err(StoreError::NotFound)
            }
        });
    }

    fn ports(self) -> (HrPorts, Probe) {
        let probe = self.probe.clone();
        let ports = HrPorts {
            tx: probe.tx_manager(),
            activities: Arc::new(probe.activities()),
            organizations: Arc::new(self.organizations),
            users: Arc::new(MockUserRepository::new()),
            clock: Arc::new(self.clock),
            departments: Arc::new(MockRecords::<Department>::new()),
            designations: Arc::new(MockRecords::<Designation>::new()),
            counters: Arc::new(MockDocumentCounterRepository::new()),
            employees: Arc::new(self.employees),
            employee_store: Arc::new(self.employee_store),
            schedules: Arc::new(MockRecords::<WorkSchedule>::new()),
            schedule_store: Arc::new(MockScheduleStore::new()),
            holidays: Arc::new(MockRecords::<Holiday>::new()),
            holiday_store: Arc::new(MockHolidayStore::new()),
            training_programs: Arc::new(self.programs),
            training_sessions: Arc::new(self.sessions),
            training_enrollments: Arc::new(self.enrollments),
            training_store: Arc::new(self.store),
            ..crate::test_support::blank_ports(&probe)
        };
        (ports, probe)
    }

    fn enrollments(self) -> (TrainingEnrollmentService, Probe) {
        let (p, probe) = self.ports();
        (TrainingEnrollmentService::new(p), probe)
    }
}

// --- enrolling ---------------------------------------------------------------------------

#[tokio::test]
async fn enrolling_needs_the_write_permission_over_all_records() {
    let (svc, probe) = Env::new().enrollments();
    for a in [
        actor(ORG, EMPLOYEE),
        actor(ORG, &["training_enrollments:read"]),
    ] {
        let input = EnrollmentInput {
            employee_id: EmployeeId::new(),
        };
        let e = svc.enroll(&a, TrainingSessionId::new(), input).await;
        assert!(matches!(e, Err(DomainError::Forbidden { .. })));
        let e = svc.session_exists(&a, TrainingSessionId::new()).await;
        assert!(matches!(e, Err(DomainError::Forbidden { .. })));
    }
    assert_eq!(probe.begins(), 0);
}

#[tokio::test]
async fn an_unknown_or_terminated_employee_is_refused_before_any_transaction() {
    let a = actor(ORG, HR);
    let mut gone = person(None);
    gone.status = EmployeeStatus::Terminated;
    let gone_id = gone.id;
    let mut env = Env::new();
    env.employee(gone);
    let (svc, probe) = env.enrollments();
    let e = svc
        .enroll(
            &a,
            TrainingSessionId::new(),
            EnrollmentInput {
                employee_id: EmployeeId::new(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(fields(&e), [("employee_id".into(), "not_found".into())]);
    let e = svc
        .enroll(
            &a,
            TrainingSessionId::new(),
            EnrollmentInput {
                employee_id: gone_id,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(code(&e), "employee-terminated");
    assert_eq!(probe.begins(), 0);
}

#[tokio::test]
async fn enrolling_locks_the_session_then_counts_then_inserts() {
    let a = actor(ORG, HR);
    let p = program(Some(12));
    let s = session(p.id, Some(2));
    let who = person(None);
    let who_id = who.id;
    let mut env = Env::new();
    env.employee(who);
    let mut seq = Sequence::new();
    let locked = s.clone();
    env.sessions
        .expect_get_for_update()
        .withf(move |_, o, id| *o == ORG && *id == locked.id)
        .times(1)
        .in_sequence(&mut seq)
        .returning(move |_, _, _| Ok(locked.clone()));
    let sid = s.id;
    env.store
        .expect_enrolled_count()
        .withf(move |_, o, id| *o == ORG && *id == sid)
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _, _| Ok(1));
    env.enrollments
        .expect_create()
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _| Ok(()));
    let (svc, probe) = env.enrollments();
    let e = svc
        .enroll(
            &a,
            s.id,
            EnrollmentInput {
                employee_id: who_id,
            },
        )
        .await
        .unwrap();
    assert_eq!(e.status, EnrollmentStatus::Enrolled);
    assert_eq!(
        (e.session_id, e.program_id, e.employee_id),
        (s.id, p.id, who_id)
    );
    assert_eq!((e.completed_on, e.valid_until, e.score), (None, None, None));
    assert!(probe.committed());
    let audit = probe.audit();
    assert_eq!(audit.len(), 1);
    assert_eq!(
        (audit[0].entity_type, audit[0].action),
        ("training_enrollment", "created")
    );
}

#[tokio::test]
async fn a_full_or_cancelled_session_takes_nobody_and_a_second_enrollment_is_a_conflict() {
    let a = actor(ORG, HR);
    let p = program(None);
    let full = session(p.id, Some(2));
    let mut cancelled = session(p.id, None);
    cancelled.status = SessionStatus::Cancelled;
    let open = session(p.id, None);
    let who = person(None);
    let who_id = who.id;
    let mut env = Env::new();
    env.employee(who);
    let sessions = [full.clone(), cancelled.clone(), open.clone()];
    env.sessions
        .expect_get_for_update()
        .returning(move |_, _, id| {
            sessions
                .iter()
                .find(|s| s.id == id)
                .cloned()
                .ok_or(StoreError::NotFound)
        });
    env.store.expect_enrolled_count().returning(|_, _, _| Ok(2));
    // The unique key on (session, employee) refuses the open session's insert.
    env.enrollments.expect_create().times(1).returning(|_, _| {
        Err(StoreError::Conflict {
            constraint: "ux_training_enrollments_session_employee".into(),
        })
    });
    let (svc, probe) = env.enrollments();
    let input = || EnrollmentInput {
        employee_id: who_id,
    };
    let e = svc.enroll(&a, full.id, input()).await.unwrap_err();
    assert_eq!(code(&e), "training-session-full");
    let e = svc.enroll(&a, cancelled.id, input()).await.unwrap_err();
    assert_eq!(code(&e), "training-session-cancelled");
    let e = svc.enroll(&a, open.id, input()).await.unwrap_err();
    assert_eq!(code(&e), "training-enrollment-exists");
    let e = svc
        .enroll(&a, TrainingSessionId::new(), input())
        .await
        .unwrap_err();
    assert_eq!(code(&e), "not-found");
    assert!(!probe.committed());
    assert!(probe.audit().is_empty());
}

// --- results -------------------------------------------------------------------------

/// An env whose enrollment `e` of session `s` of program `p` is read and locked.
fn result_env(p: &TrainingProgram, s: &TrainingSession, e: &TrainingEnrollment, zone: &str) -> Env {
    let mut env = Env::new();
    env.org(zone);
    let (p, s, e) = (p.clone(), s.clone(), e.clone());
    let pe = p.clone();
    env.programs.expect_get().returning(move |_, id| {
        if id == pe.id {
            Ok(pe.clone())
        } else {
            Err(StoreError::NotFound)
        }
    });
    let se = s.clone();
    env.sessions.expect_get().returning(move |_, id| {
        if id == se.id {
            Ok(se.clone())
        } else {
            Err(StoreError::NotFound)
        }
    });
    let ee = e.clone();
    env.enrollments.expect_get().returning(move |_, id| {
        if id == ee.id {
            Ok(ee.clone())
        } else {
            Err(StoreError::NotFound)
        }
    });
    env.enrollments
        .expect_get_for_update()
        .returning(move |_, _, id| {
            if id == e.id {
                Ok(e.clone())
            } else {
                Err(StoreError::NotFound)
            }
        });
    env
}

fn stored(env: &mut Env) -> Arc<std::sync::Mutex<Vec<(TrainingEnrollment, i64)>>> {
    let saved = Arc::new(std::sync::Mutex::new(Vec::new()));
    let keep = saved.clone();
    env.enrollments.expect_update().returning(move |_, r, v| {
        keep.lock().unwrap().push((r.clone(), v));
        Ok(())
    });
    saved
}

fn patch_status(s: EnrollmentStatus) -> EnrollmentPatch {
    EnrollmentPatch {
        status: Some(s),
        ..EnrollmentPatch::default()
    }
}

#[tokio::test]
async fn a_pass_is_stamped_with_the_sessions_end_date_in_the_organizations_zone() {
    let a = actor(ORG, HR);
    let p = program(Some(1));
    let mut s = session(p.id, None);
    // 12:00 UTC on 30 January is 01:00 on 31 January in Auckland (UTC+13 in summer).
    s.ends_at = at("2026-01-30T12:00:00Z");
    let e = enrollment(&s, EmployeeId::new());
    let mut env = result_env(&p, &s, &e, "Pacific/Auckland");
    let saved = stored(&mut env);
    let (svc, probe) = env.enrollments();
    let out = svc
        .update(
            &a,
            e.id,
            Some(1),
            EnrollmentPatch {
                status: Some(EnrollmentStatus::Passed),
                score: Some(Some(88)),
                notes: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(out.completed_on, Some(day("2026-01-31")));
    // One calendar month on, clamped to February's last day.
    assert_eq!(out.valid_until, Some(day("2026-02-28")));
    assert_eq!((out.score, out.version), (Some(88), 2));
    assert_eq!(saved.lock().unwrap()[0].1, 1, "written over version 1");
    assert!(probe.committed());
    assert_eq!(probe.audit()[0].action, "updated");
}

#[tokio::test]
async fn a_pass_without_validity_never_expires_and_leaving_passed_clears_the_stamp() {
    let a = actor(ORG, HR);
    let p = program(None);
    let s = session(p.id, None);
    let e = enrollment(&s, EmployeeId::new());
    let env = result_env(&p, &s, &e, "UTC");
    let (svc, _) = {
        let mut env = env;
        stored(&mut env);
        env.enrollments()
    };
    let out = svc
        .update(&a, e.id, None, patch_status(EnrollmentStatus::Passed))
        .await
        .unwrap();
    assert_eq!(out.completed_on, Some(day("2026-01-30")));
    assert_eq!(out.valid_until, None);

    // Already passed: a new score keeps the stamp; failing clears it.
    let was = passed(e.clone(), "2025-06-01", Some("2026-06-01"));
    let mut env = result_env(&p, &s, &was, "UTC");
    stored(&mut env);
    let (svc, _) = env.enrollments();
    let out = svc
        .update(
            &a,
            was.id,
            None,
            EnrollmentPatch {
                status: Some(EnrollmentStatus::Passed),
                score: Some(Some(70)),
                notes: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(out.completed_on, Some(day("2025-06-01")));
    assert_eq!(out.valid_until, Some(day("2026-06-01")));
    let out = svc
        .update(&a, was.id, None, patch_status(EnrollmentStatus::Failed))
        .await
        .unwrap();
    assert_eq!((out.completed_on, out.valid_until), (None, None));
    let out = svc
        .update(&a, was.id, None, patch_status(EnrollmentStatus::Enrolled))
        .await
        .unwrap();
    assert_eq!((out.completed_on, out.valid_until), (None, None));
}

#[tokio::test]
async fn results_of_a_cancelled_session_and_bad_scores_are_refused() {
    let a = actor(ORG, HR);
    let p = program(Some(12));
    let mut s = session(p.id, None);
    s.status = SessionStatus::Cancelled;
    let e = enrollment(&s, EmployeeId::new());
    let mut env = result_env(&p, &s, &e, "UTC");
    stored(&mut env);
    let (svc, probe) = env.enrollments();
    for status in [
        EnrollmentStatus::Attended,
        EnrollmentStatus::Passed,
        EnrollmentStatus::Failed,
    ] {
        let err = svc
            .update(&a, e.id, None, patch_status(status))
            .await
            .unwrap_err();
        assert_eq!(code(&err), "training-session-cancelled");
    }
    // Saying nobody came is still possible.
    let out = svc
        .update(&a, e.id, None, patch_status(EnrollmentStatus::NoShow))
        .await
        .unwrap();
    assert_eq!(out.status, EnrollmentStatus::NoShow);
    let err = svc
        .update(
            &a,
            e.id,
            None,
            EnrollmentPatch {
                score: Some(Some(101)),
                notes: Some(Some("x".repeat(NOTES_MAX + 1))),
                ..EnrollmentPatch::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(
        fields(&err),
        [
            ("score".into(), "out_of_range".into()),
            ("notes".into(), "too_long".into())
        ]
    );
    let err = svc
        .update(&a, e.id, Some(7), EnrollmentPatch::default())
        .await
        .unwrap_err();
    assert_eq!(code(&err), "stale");
    assert_eq!(probe.audit().len(), 1, "only the no_show was written");
    // Results need the write permission over all records.
    let own = actor(ORG, EMPLOYEE);
    let err = svc
        .update(&own, e.id, None, EnrollmentPatch::default())
        .await
        .unwrap_err();
    assert!(matches!(err, DomainError::Forbidden { .. }));
}

use super::enrollments::NOTES_MAX;

// --- :own ------------------------------------------------------------------------------

#[tokio::test]
async fn own_enrollments_are_the_callers_employee_records() {
    let me = actor(ORG, EMPLOYEE);
    let mine = person(Some(me.user_id));
    let p = program(None);
    let s = session(p.id, None);
    let my_enrollment = enrollment(&s, mine.id);
    let theirs = enrollment(&s, EmployeeId::new());
    let mut env = Env::new();
    env.own(&me, Some(mine.clone()));
    let both = [my_enrollment.clone(), theirs.clone()];
    env.enrollments.expect_get().returning(move |_, id| {
        both.iter()
            .find(|e| e.id == id)
            .cloned()
            .ok_or(StoreError::NotFound)
    });
    let mine_id = mine.id;
    env.enrollments
        .expect_list()
        .withf(move |_, _, scope| *scope == Some(mine_id))
        .times(1)
        .returning(|_, _, _| Ok(empty_page()));
    let (svc, _) = env.enrollments();
    assert_eq!(svc.get(&me, my_enrollment.id).await.unwrap(), my_enrollment);
    assert_eq!(
        code(&svc.get(&me, theirs.id).await.unwrap_err()),
        "not-found"
    );
    let q = query(&TRAINING_ENROLLMENT_LIST_SPEC, &[]);
    svc.list(&me, &q).await.unwrap();
}

#[tokio::test]
async fn a_caller_without_an_employee_record_owns_no_enrollment() {
    let me = actor(ORG, EMPLOYEE);
    let p = program(None);
    let s = session(p.id, None);
    let someone = enrollment(&s, EmployeeId::new());
    let mut env = Env::new();
    env.own(&me, None);
    let e = someone.clone();
    env.enrollments
        .expect_get()
        .returning(move |_, _| Ok(e.clone()));
    let ss = s.clone();
    env.sessions
        .expect_get()
        .returning(move |_, _| Ok(ss.clone()));
    // No list query is sent at all.
    let (svc, _) = env.enrollments();
    let q = query(&TRAINING_ENROLLMENT_LIST_SPEC, &[("count", "true")]);
    let page = svc.list(&me, &q).await.unwrap();
    assert!(page.data.is_empty());
    assert_eq!(page.total, Some(0));
    let page = svc.of_session(&me, s.id, &q).await.unwrap();
    assert!(page.data.is_empty());
    assert_eq!(
        code(&svc.get(&me, someone.id).await.unwrap_err()),
        "not-found"
    );
}

#[tokio::test]
async fn a_sessions_enrollments_are_a_list_filtered_by_the_session() {
    let a = actor(ORG, HR);
    let p = program(None);
    let s = session(p.id, None);
    let mut env = Env::new();
    let sid = s.id;
    env.sessions.expect_get().returning(move |_, id| {
        if id == sid {
            Ok(s.clone())
        } else {
            Err(StoreError::NotFound)
        }
    });
    env.enrollments
        .expect_list()
        .withf(move |_, q, scope| {
            scope.is_none()
                && q.filters.len() == 2
                && q.filters.iter().any(|f| {
                    f.field == "session_id"
                        && f.value == crm_domain::kernel::pagination::FieldValue::Uuid(sid.0)
                })
        })
        .times(1)
        .returning(|_, _, _| Ok(empty_page()));
    let (svc, _) = env.enrollments();
    // A `session_id` filter of the query is replaced by the path's.
    let other = uuid::Uuid::now_v7().to_string();
    let q = query(
        &TRAINING_ENROLLMENT_LIST_SPEC,
        &[("session_id", &other), ("status", "passed")],
    );
    svc.of_session(&a, sid, &q).await.unwrap();
    let e = svc
        .of_session(&a, TrainingSessionId::new(), &q)
        .await
        .unwrap_err();
    assert_eq!(code(&e), "not-found");
}

// --- sessions --------------------------------------------------------------------------

#[tokio::test]
async fn a_capacity_below_the_enrollments_is_refused_and_times_are_checked_together() {
    let a = actor(ORG, HR);
    let p = program(None);
    let s = session(p.id, Some(10));
    let mut env = Env::new();
    let locked = s.clone();
    env.sessions
        .expect_get_for_update()
        .returning(move |_, _, _| Ok(locked.clone()));
    env.store.expect_enrolled_count().returning(|_, _, _| Ok(4));
    env.sessions
        .expect_update()
        .times(1)
        .returning(|_, _, _| Ok(()));
    let (ports, _) = env.ports();
    let svc = TrainingSessionService::new(ports);
    let e = svc
        .update(
            &a,
            s.id,
            None,
            TrainingSessionPatch {
                capacity: Some(Some(3)),
                ends_at: Some("2026-01-30T08:00:00Z".into()),
                ..TrainingSessionPatch::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(
        fields(&e),
        [
            ("ends_at".into(), "not_after_start".into()),
            ("capacity".into(), "below_enrolled".into())
        ]
    );
    let out = svc
        .update(
            &a,
            s.id,
            None,
            TrainingSessionPatch {
                capacity: Some(Some(4)),
                ..TrainingSessionPatch::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(out.capacity, Some(4));
}

// --- certifications --------------------------------------------------------------------

#[tokio::test]
async fn certifications_take_status_and_expiry_filters_into_the_scope_and_read_status_on_the_organizations_today()
 {
    let me = actor(ORG, EMPLOYEE);
    let mine = person(Some(me.user_id));
    let p = program(Some(12));
    let s = session(p.id, None);
    let mut env = Env::new();
    // 2026-03-01 12:00 UTC is already 2 March in Auckland.
    env.org("Pacific/Auckland");
    env.own(&me, Some(mine.clone()));
    let soon = passed(enrollment(&s, mine.id), "2025-04-01", Some("2026-03-01"));
    let rows = vec![soon.clone()];
    let mine_id = mine.id;
    env.store
        .expect_certifications()
        .withf(move |_, q, scope| {
            scope.employee == Some(mine_id)
                && scope.status == Some(CertificationStatus::Expiring)
                && scope.expiring_before == Some(day("2026-06-01"))
                && scope.today == day("2026-03-02")
                && q.filters.len() == 1
                && q.filters[0].field == "program_id"
        })
        .times(1)
        .returning(move |_, _, _| {
            Ok(Page {
                data: rows.clone(),
                next_cursor: None,
                total: None,
            })
        });
    let (ports, _) = env.ports();
    let svc = CertificationService::new(ports);
    let pid = p.id.to_string();
    let q = query(
        &CERTIFICATION_LIST_SPEC,
        &[
            ("status", "expiring"),
            ("expiring_before", "2026-06-01"),
            ("program_id", &pid),
        ],
    );
    let page = svc.list(&me, &q).await.unwrap();
    assert_eq!(page.data.len(), 1);
    let c = &page.data[0];
    assert_eq!(
        (c.id, c.employee_id, c.program_id),
        (soon.id, mine.id, p.id)
    );
    // Valid through 1 March; 2 March in the organization's zone: expired.
    assert_eq!(c.status, CertificationStatus::Expired);
}

#[tokio::test]
async fn certifications_need_the_permission_and_an_employee_record_under_own() {
    let me = actor(ORG, EMPLOYEE);
    let mut env = Env::new();
    env.own(&me, None);
    let (ports, _) = env.ports();
    let svc = CertificationService::new(ports);
    let q = query(&CERTIFICATION_LIST_SPEC, &[]);
    assert!(svc.list(&me, &q).await.unwrap().data.is_empty());
    let nobody = actor(ORG, &["training_enrollments:read"]);
    assert!(matches!(
        svc.list(&nobody, &q).await,
        Err(DomainError::Forbidden { .. })
    ));
}

// --- the expiry job --------------------------------------------------------------------

/// The job's env: the enrollment `e` read and locked, its employee, HR `hr`, and whether the
/// mark is still to be set (`fresh`).
fn expiry_env(e: &TrainingEnrollment, employee: Employee, hr: Vec<UserId>, fresh: bool) -> Env {
    let mut env = Env::new();
    env.org("UTC");
    env.employee(employee);
    let seen = e.clone();
    env.enrollments
        .expect_get()
        .returning(move |_, _| Ok(seen.clone()));
    let locked = e.clone();
    env.enrollments
        .expect_get_for_update()
        .returning(move |_, _, _| Ok(locked.clone()));
    env.store
        .expect_hr_users()
        .returning(move |_| Ok(hr.clone()));
    env.store
        .expect_is_latest_pass()
        .returning(|_, _, _| Ok(true));
    let until = e.valid_until;
    env.store
        .expect_mark_expiry_told()
        .withf(move |_, _, _, d| Some(*d) == until)
        .returning(move |_, _, _, _| Ok(fresh));
    env
}

#[tokio::test]
async fn the_expiry_tells_the_employee_and_hr_once() {
    let user = UserId::new();
    let hr1 = UserId::new();
    let p = program(Some(12));
    let s = session(p.id, None);
    let who = person(Some(user));
    // Today is 2026-03-01: valid until 20 March, within 30 days.
    let e = passed(enrollment(&s, who.id), "2025-03-20", Some("2026-03-20"));
    let env = expiry_env(&e, who.clone(), vec![hr1, user], true);
    let (ports, probe) = env.ports();
    let job = CertificationExpiryJob::new(ports);
    assert!(job.tell(ORG, e.id, now()).await.unwrap());
    assert!(probe.committed());
    let audit = probe.audit();
    assert_eq!(audit.len(), 1);
    let entry = &audit[0];
    assert_eq!(
        (entry.entity_type, entry.action),
        ("certification", "expiring")
    );
    assert_eq!(entry.actor_id, None);
    assert_eq!(entry.entity_id, e.id.0);
    let data = entry.data.as_ref().unwrap();
    assert_eq!(data["status"], "expiring");
    assert_eq!(data["valid_until"], "2026-03-20");
    // The person first, then HR, each once (the person holds the HR permission too).
    assert_eq!(recipients_of(entry), vec![user, hr1]);

    // Already told (by an earlier run or another instance): nothing written.
    let env = expiry_env(&e, who, vec![hr1], false);
    let (ports, probe) = env.ports();
    let job = CertificationExpiryJob::new(ports);
    assert!(!job.tell(ORG, e.id, now()).await.unwrap());
    assert!(!probe.committed());
    assert!(probe.audit().is_empty());
}

#[tokio::test]
async fn the_expiry_says_nothing_of_valid_expired_or_superseded_certifications() {
    let p = program(Some(12));
    let s = session(p.id, None);
    let who = person(None);
    // Valid until 1 April: 31 days away, not yet.
    let later = passed(enrollment(&s, who.id), "2025-04-01", Some("2026-04-01"));
    let (ports, probe) = expiry_env(&later, who.clone(), vec![], true).ports();
    let job = CertificationExpiryJob::new(ports);
    assert!(!job.tell(ORG, later.id, now()).await.unwrap());
    assert!(!probe.committed());
    // Expired yesterday before any run told of it: marked, nobody told.
    let gone = passed(enrollment(&s, who.id), "2025-02-28", Some("2026-02-28"));
    let (ports, probe) = expiry_env(&gone, who.clone(), vec![], true).ports();
    let job = CertificationExpiryJob::new(ports);
    assert!(!job.tell(ORG, gone.id, now()).await.unwrap());
    assert!(probe.committed(), "the mark is kept");
    assert!(probe.audit().is_empty());
    // No longer the latest pass, or no longer passed: nothing.
    let soon = passed(enrollment(&s, who.id), "2025-03-20", Some("2026-03-20"));
    let mut env = Env::new();
    env.org("UTC");
    env.employee(who.clone());
    let (a, b) = (soon.clone(), soon.clone());
    env.enrollments
        .expect_get()
        .returning(move |_, _| Ok(a.clone()));
    env.enrollments
        .expect_get_for_update()
        .returning(move |_, _, _| Ok(b.clone()));
    env.store.expect_hr_users().returning(|_| Ok(vec![]));
    env.store
        .expect_is_latest_pass()
        .returning(|_, _, _| Ok(false));
    let (ports, probe) = env.ports();
    let job = CertificationExpiryJob::new(ports);
    assert!(!job.tell(ORG, soon.id, now()).await.unwrap());
    assert!(probe.audit().is_empty());
}

#[tokio::test]
async fn the_job_looks_a_day_around_utc_and_thirty_one_days_ahead() {
    let mut env = Env::new();
    let start = Utc.with_ymd_and_hms(2026, 3, 1, 23, 30, 0).unwrap();
    env.store
        .expect_expiring_candidates()
        .withf(|from, to, limit| {
            *from == day("2026-02-28") && *to == day("2026-04-01") && *limit == 500
        })
        .times(1)
        .returning(|_, _, _| Ok(vec![]));
    let (ports, _) = env.ports();
    let job = CertificationExpiryJob::new(ports);
    assert_eq!(job.name(), "certifications_expiring");
    assert_eq!(job.period(), crm_domain::jobs::Period::Hourly);
    assert_eq!(job.run(start).await.unwrap(), "");
    let _ = Duration::days(1);
}

#[test]
fn the_rule_reads_only_expiring_certification_entries() {
    let u = UserId::new();
    let mut entry = crm_domain::activity::change_entry::<serde_json::Value>(
        ORG,
        None,
        "certification",
        uuid::Uuid::now_v7(),
        "expiring",
        None,
        None,
    );
    entry.changes.push(crm_domain::activity::FieldChange {
        field: crm_domain::notifications::rules::NOTIFY_FIELD.into(),
        before: serde_json::Value::Null,
        after: serde_json::json!([u.0.to_string(), "not a uuid"]),
    });
    assert_eq!(recipients_of(&entry), vec![u]);
    let mut other = entry.clone();
    other.entity_type = "training_enrollment";
    assert!(recipients_of(&other).is_empty());
    let mut other = entry;
    other.action = "updated";
    assert!(recipients_of(&other).is_empty());
}
