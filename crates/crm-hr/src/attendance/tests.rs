//! Unit tests of the attendance service with mocked ports: who may punch and write what,
//! the order of a punch's transaction (the person locked, the punches in the way read, the
//! punch written with its event), the overlap rule of HR records, `:own` through the
//! employee record, the days' range and their approved leave.

use super::*;
use crate::employees::{Employee, EmployeeId, EmployeeStatus, EmploymentType};
use crate::leave::{ApprovedLeave, LeaveRequestId, MockLeaveCalendar};
use crate::ports::{HrPorts, MockEmployeeStore, MockHolidayStore};
use crate::work_schedules::{WorkSchedule, WorkScheduleId};
use chrono::{DateTime, NaiveDate, Utc};
use crm_domain::identity::{MockOrganizationRepository, Organization};
use crm_domain::kernel::records::MockRecords;
use crm_domain::kernel::testing::{FixedClock, ORG, Probe, actor, now};
use crm_domain::{Currency, DomainError, StoreError};
use std::sync::Arc;

const HR: &[&str] = &["attendance:read", "attendance:write", "attendance:delete"];
const EMPLOYEE: &[&str] = &["attendance:read:own", "attendance:write:own"];

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn person() -> Employee {
    Employee {
        id: EmployeeId::new(),
        organization_id: ORG,
        user_id: None,
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

fn punch(e: &Employee, i: &str, o: Option<&str>) -> AttendanceRecord {
    AttendanceRecord {
        id: AttendanceRecordId::new(),
        organization_id: ORG,
        employee_id: e.id,
        check_in_at: at(i),
        check_out_at: o.map(at),
        note: None,
        source: AttendanceSource::SelfService,
        legacy_id: None,
        created_at: at(i),
        updated_at: at(i),
        version: 1,
    }
}

fn code(e: &DomainError) -> String {
    match e {
        DomainError::Conflict { code, .. } | DomainError::Forbidden { code, .. } => {
            (*code).to_string()
        }
        DomainError::Invalid(errs) => format!("422 {}:{}", errs[0].field, errs[0].code),
        DomainError::NotFound => "404".into(),
        other => format!("{other:?}"),
    }
}

/// The ports a test sets up: the caller's employee record, their punches in the way, the
/// open one.
struct Env {
    me: Option<Employee>,
    in_the_way: Vec<AttendanceRecord>,
    open: Option<AttendanceRecord>,
    leave: Vec<ApprovedLeave>,
    probe: Probe,
}

impl Env {
    fn new(me: Option<Employee>) -> Self {
        Self {
            me,
            in_the_way: Vec::new(),
            open: None,
            leave: Vec::new(),
            probe: Probe::default(),
        }
    }

    fn service(self) -> (AttendanceService, Probe) {
        let probe = self.probe.clone();
        let mut store = MockEmployeeStore::new();
        let me = self.me.clone();
        store.expect_by_user().returning(move |_, _| Ok(me.clone()));
        let mut employees = MockRecords::<Employee>::new();
        let me = self.me.clone();
        employees
            .expect_get_for_update()
            .returning(move |_, _, id| match &me {
                Some(e) if e.id == id => Ok(e.clone()),
                _ => Err(StoreError::NotFound),
            });
        let me = self.me.clone();
        employees.expect_get().returning(move |_, id| match &me {
            Some(e) if e.id == id => Ok(e.clone()),
            _ => Err(StoreError::NotFound),
        });
        let mut att = MockAttendanceStore::new();
        let in_the_way = self.in_the_way.clone();
        att.expect_overlapping()
            .returning(move |_, _, _, _, _, _| Ok(in_the_way.clone()));
        let open = self.open.clone();
        att.expect_open_of()
            .returning(move |_, _, _| Ok(open.clone()));
        att.expect_punches_between()
            .returning(|_, _, _, _| Ok(Vec::new()));
        let mut records = MockRecords::<AttendanceRecord>::new();
        records.expect_create().returning(|_, _| Ok(()));
        records.expect_update().returning(|_, _, _| Ok(()));
        let mut schedules = MockRecords::<WorkSchedule>::new();
        schedules.expect_get().returning(|org, _| {
            Ok(WorkSchedule::standard(
                org,
                "Pacific/Auckland".parse().unwrap(),
                now(),
            ))
        });
        let mut holidays = MockHolidayStore::new();
        holidays
            .expect_dates_between()
            .returning(|_, _, _| Ok(Vec::new()));
        let mut calendar = MockLeaveCalendar::new();
        let leave = self.leave.clone();
        calendar
            .expect_approved_between()
            .returning(move |_, _, _, _| Ok(leave.clone()));
        let mut orgs = MockOrganizationRepository::new();
        orgs.expect_get().returning(|_| {
            let mut o = Organization::new("Org".into(), Currency::parse("USD").unwrap(), now());
            o.id = ORG;
            o.timezone = "Pacific/Auckland".into();
            Ok(o)
        });
        let p = HrPorts {
            tx: probe.tx_manager(),
            activities: Arc::new(probe.activities()),
            clock: Arc::new(FixedClock(at("2026-03-20T00:00:00Z"))),
            organizations: Arc::new(orgs),
            employees: Arc::new(employees),
            employee_store: Arc::new(store),
            schedules: Arc::new(schedules),
            holiday_store: Arc::new(holidays),
            leave_calendar: Arc::new(calendar),
            attendance: Arc::new(records),
            attendance_store: Arc::new(att),
            ..crate::test_support::blank_ports(&probe)
        };
        (AttendanceService::new(p), probe)
    }
}

#[tokio::test]
async fn a_caller_without_an_employee_record_cannot_check_in() {
    let (svc, probe) = Env::new(None).service();
    let e = svc
        .check_in(&actor(ORG, EMPLOYEE), CheckInput::default())
        .await
        .unwrap_err();
    assert_eq!(code(&e), "404");
    assert_eq!(probe.begins(), 0);
}

#[tokio::test]
async fn a_check_in_while_one_is_open_is_refused() {
    let me = person();
    let mut env = Env::new(Some(me.clone()));
    env.in_the_way = vec![punch(&me, "2026-03-19T20:00:00Z", None)];
    let (svc, probe) = env.service();
    let e = svc
        .check_in(&actor(ORG, EMPLOYEE), CheckInput::default())
        .await
        .unwrap_err();
    assert_eq!(code(&e), "attendance-open");
    assert!(!probe.committed());
}

#[tokio::test]
async fn a_check_in_opens_a_punch_of_ones_own_with_its_event() {
    let me = person();
    let (svc, probe) = Env::new(Some(me.clone())).service();
    let r = svc
        .check_in(
            &actor(ORG, EMPLOYEE),
            CheckInput {
                note: Some(" on site ".into()),
            },
        )
        .await
        .unwrap();
    assert_eq!(r.employee_id, me.id);
    assert_eq!(r.check_out_at, None);
    assert_eq!(r.source, AttendanceSource::SelfService);
    assert_eq!(r.note.as_deref(), Some("on site"));
    assert_eq!(r.check_in_at, at("2026-03-20T00:00:00Z"));
    assert!(probe.committed());
    let audit = probe.audit();
    assert_eq!(audit.len(), 1);
    assert_eq!(
        audit[0].event_type().as_deref(),
        Some("attendance.checked_in")
    );
}

#[tokio::test]
async fn a_terminated_employee_does_not_punch() {
    let mut me = person();
    me.status = EmployeeStatus::Terminated;
    let (svc, _) = Env::new(Some(me)).service();
    let e = svc
        .check_in(&actor(ORG, EMPLOYEE), CheckInput::default())
        .await
        .unwrap_err();
    assert_eq!(code(&e), "employee-terminated");
}

#[tokio::test]
async fn a_check_out_closes_the_open_punch() {
    let me = person();
    let (svc, _) = Env::new(Some(me.clone())).service();
    let e = svc
        .check_out(&actor(ORG, EMPLOYEE), CheckInput::default())
        .await
        .unwrap_err();
    assert_eq!(code(&e), "attendance-not-open");

    let mut env = Env::new(Some(me.clone()));
    env.open = Some(punch(&me, "2026-03-19T20:00:00Z", None));
    let (svc, probe) = env.service();
    let r = svc
        .check_out(&actor(ORG, EMPLOYEE), CheckInput::default())
        .await
        .unwrap();
    assert_eq!(r.check_out_at, Some(at("2026-03-20T00:00:00Z")));
    assert_eq!(r.version, 2);
    assert!(probe.committed());
    assert_eq!(
        probe.audit()[0].event_type().as_deref(),
        Some("attendance.checked_out")
    );
}

#[tokio::test]
async fn hr_records_need_the_write_permission_over_all_and_keep_their_rules() {
    let me = person();
    let input = |i: &str, o: Option<&str>| AttendanceInput {
        employee_id: me.id,
        check_in_at: i.into(),
        check_out_at: o.map(Into::into),
        note: None,
    };
    let (svc, _) = Env::new(Some(me.clone())).service();
    let e = svc
        .create(
            &actor(ORG, EMPLOYEE),
            input("2026-03-10T09:00:00Z", Some("2026-03-10T17:00:00Z")),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, DomainError::Forbidden { .. }));
    let e = svc
        .create(
            &actor(ORG, HR),
            input("2026-03-10T09:00:00Z", Some("2026-03-10T09:00:00Z")),
        )
        .await
        .unwrap_err();
    assert_eq!(code(&e), "422 check_out_at:not_after_check_in");
    let e = svc
        .create(&actor(ORG, HR), input("2038-03-10T09:00:00Z", None))
        .await
        .unwrap_err();
    assert_eq!(code(&e), "422 check_in_at:out_of_range");

    let mut env = Env::new(Some(me.clone()));
    let other = punch(&me, "2026-03-10T08:00:00Z", Some("2026-03-10T10:00:00Z"));
    env.in_the_way = vec![other.clone()];
    let (svc, probe) = env.service();
    let e = svc
        .create(
            &actor(ORG, HR),
            input("2026-03-10T09:00:00Z", Some("2026-03-10T17:00:00Z")),
        )
        .await
        .unwrap_err();
    assert_eq!(code(&e), "attendance-overlap");
    match e {
        DomainError::Conflict { existing_id, .. } => assert_eq!(existing_id, Some(other.id.0)),
        _ => unreachable!(),
    }
    assert!(!probe.committed());

    let (svc, probe) = Env::new(Some(me.clone())).service();
    let r = svc
        .create(
            &actor(ORG, HR),
            input(
                "2026-03-10T09:00:00+01:00",
                Some("2026-03-10T17:00:00+01:00"),
            ),
        )
        .await
        .unwrap();
    assert_eq!(r.source, AttendanceSource::Hr);
    assert_eq!(r.check_in_at, at("2026-03-10T08:00:00Z"));
    assert_eq!(
        probe.audit()[0].event_type().as_deref(),
        Some("attendance.created")
    );
}

#[tokio::test]
async fn days_of_someone_else_under_own_are_not_found_and_the_range_is_bounded() {
    let me = person();
    let (svc, _) = Env::new(Some(me.clone())).service();
    let e = svc
        .days(
            &actor(ORG, EMPLOYEE),
            DaysQuery {
                employee_id: Some(EmployeeId::new()),
                ..DaysQuery::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(code(&e), "404");
    let e = svc
        .days(
            &actor(ORG, EMPLOYEE),
            DaysQuery {
                employee_id: None,
                from: Some(day("2026-01-01")),
                to: Some(day("2027-01-02")),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(code(&e), "422 to:out_of_range");
    let e = svc
        .days(
            &actor(ORG, EMPLOYEE),
            DaysQuery {
                employee_id: None,
                from: Some(day("2026-01-02")),
                to: Some(day("2026-01-01")),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(code(&e), "422 to:out_of_range");
    // 366 days is the most.
    let days = svc
        .days(
            &actor(ORG, EMPLOYEE),
            DaysQuery {
                employee_id: None,
                from: Some(day("2025-01-01")),
                to: Some(day("2026-01-01")),
            },
        )
        .await
        .unwrap();
    assert_eq!(days.len(), 366);
}

#[tokio::test]
async fn approved_leave_shows_in_the_days_and_the_default_is_this_month() {
    let me = person();
    let mut env = Env::new(Some(me.clone()));
    let leave = LeaveRequestId::new();
    env.leave = vec![ApprovedLeave {
        id: leave,
        employee_id: me.id,
        start_date: day("2026-03-09"),
        end_date: day("2026-03-10"),
        half_day: None,
    }];
    let (svc, _) = env.service();
    let days = svc
        .days(&actor(ORG, EMPLOYEE), DaysQuery::default())
        .await
        .unwrap();
    // 2026-03-20T00:00Z is the 20th in Auckland: March.
    assert_eq!(days.len(), 31);
    assert_eq!(days[0].date, day("2026-03-01"));
    assert_eq!(days[8].status, Some(DayStatus::OnLeave));
    assert_eq!(days[9].leave_request_id, Some(leave));
    assert_eq!(days[10].status, Some(DayStatus::Absent));
    // The 20th in Auckland is under way at 13:00 local: no verdict yet.
    assert_eq!(days[19].status, None);
}
