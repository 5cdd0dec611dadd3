//! Unit tests of the leave services on mocked ports: the filing transaction (the person's
//! row locked before their history is read, overlap and balance refused with nothing
//! written), auto-approval, who is told, and the decider rule.

use super::balance::{Accrual, RequestFacts};
use super::counting::{LeaveSpan, YearPart};
use super::ports::{MockLeaveStore, PersonLeave, StoredRequest};
use super::requests::{ApproveInput, LeaveRequestInput};
use super::*;
use crate::days::Days;
use crate::employees::{Employee, EmployeeId, EmployeeStatus, EmploymentType};
use crate::ports::{HrPorts, MockEmployeeStore, MockHolidayStore};
use crate::test_support::blank_ports;
use crate::work_schedules::{WorkSchedule, WorkScheduleId};
use chrono::NaiveDate;
use crm_domain::identity::{MockOrganizationRepository, Organization};
use crm_domain::kernel::records::MockRecords;
use crm_domain::kernel::testing::{ORG, Probe, actor, notified, now};
use crm_domain::notifications::rules::NOTIFY_FIELD;
use crm_domain::{Currency, DomainError, UserId};
use std::sync::{Arc, Mutex};

const HR: &[&str] = &["leave_requests:read", "leave_requests:write"];

/// Whom the declared `leave_request.<verb>` rule tells of `entry`.
fn notified_of(entry: &crm_domain::activity::NewActivity, verb: &str) -> Vec<UserId> {
    notified(
        crate::requirements::NOTIFICATION_TYPES,
        &format!("leave_request.{verb}"),
        entry,
    )
}

fn day(s: &str) -> NaiveDate {
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
        hire_date: day("2020-01-06"),
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

fn leave_type(allowance: i64, requires_approval: bool) -> LeaveType {
    LeaveType {
        id: LeaveTypeId::new(),
        organization_id: ORG,
        name: "Annual".into(),
        code: "AL".into(),
        paid: true,
        allowance_days: Days::whole(allowance),
        accrual: Accrual::Upfront,
        carry_forward_max_days: Days::ZERO,
        carry_forward_expiry_days: None,
        allow_negative_days: Days::ZERO,
        requires_approval,
        is_active: true,
        legacy_id: None,
        created_at: now(),
        updated_at: now(),
        version: 1,
    }
}

fn organization() -> Organization {
    let mut o = Organization::new("Org".into(), Currency::parse("USD").unwrap(), now());
    o.id = ORG;
    o.timezone = "UTC".into();
    o
}

/// Ports for filing a request of `emp` on `ty`, with `history` as stored; the order of the
/// person's lock and the history read is recorded in `order`.
fn filing(
    probe: &Probe,
    emp: &Employee,
    ty: &LeaveType,
    history: PersonLeave,
    manager: Option<UserId>,
    approvers: Vec<UserId>,
    order: Arc<Mutex<Vec<&'static str>>>,
) -> HrPorts {
    let mut employees = MockRecords::<Employee>::new();
    let e = emp.clone();
    employees.expect_get().returning(move |_, _| Ok(e.clone()));
    let e = emp.clone();
    let o = order.clone();
    employees.expect_get_for_update().returning(move |_, _, _| {
        o.lock().unwrap().push("lock");
        Ok(e.clone())
    });
    let mut types = MockRecords::<LeaveType>::new();
    let t = ty.clone();
    types.expect_get().returning(move |_, _| Ok(t.clone()));
    let mut schedules = MockRecords::<WorkSchedule>::new();
    schedules
        .expect_get()
        .returning(|_, _| Ok(WorkSchedule::standard(ORG, chrono_tz::Tz::UTC, now())));
    let mut holidays = MockHolidayStore::new();
    holidays
        .expect_dates_between()
        .returning(|_, _, _| Ok(vec![]));
    let mut orgs = MockOrganizationRepository::new();
    orgs.expect_get().returning(|_| Ok(organization()));
    let mut store = MockLeaveStore::new();
    store
        .expect_approvers()
        .returning(move |_| Ok(approvers.clone()));
    let o = order.clone();
    store.expect_history_in().returning(move |_, _, _| {
        o.lock().unwrap().push("history");
        Ok(history.clone())
    });
    let mut people = MockEmployeeStore::new();
    people
        .expect_manager_user()
        .returning(move |_, _| Ok(manager));
    let mut requests = MockRecords::<LeaveRequest>::new();
    let o = order;
    requests.expect_create().returning(move |_, _| {
        o.lock().unwrap().push("insert");
        Ok(())
    });
    requests.expect_update().returning(|_, _, _| Ok(()));
    HrPorts {
        employees: Arc::new(employees),
        leave_types: Arc::new(types),
        schedules: Arc::new(schedules),
        holiday_store: Arc::new(holidays),
        organizations: Arc::new(orgs),
        leave_store: Arc::new(store),
        employee_store: Arc::new(people),
        leave_requests: Arc::new(requests),
        ..blank_ports(probe)
    }
}

fn input(emp: &Employee, ty: &LeaveType, start: &str, end: &str) -> LeaveRequestInput {
    LeaveRequestInput {
        employee_id: Some(emp.id),
        leave_type_id: ty.id,
        start_date: day(start),
        end_date: day(end),
        half_day: None,
        reason: None,
    }
}

fn stored(ty: &LeaveType, start: &str, end: &str, status: LeaveStatus, days: i64) -> StoredRequest {
    let id = LeaveRequestId::new();
    StoredRequest {
        id,
        leave_type_id: ty.id,
        span: LeaveSpan::new(day(start), day(end), None).unwrap(),
        status,
        facts: RequestFacts {
            id,
            status,
            parts: vec![YearPart {
                date: day(start),
                days: Days::whole(days),
            }],
        },
    }
}

fn code(e: &DomainError) -> String {
    match e {
        DomainError::Conflict { code, .. } | DomainError::Forbidden { code, .. } => {
            code.to_string()
        }
        DomainError::Invalid(errs) => format!("{}:{}", errs[0].field, errs[0].code),
        other => format!("{other:?}"),
    }
}

#[tokio::test]
async fn a_request_is_counted_checked_under_the_persons_lock_and_submitted() {
    let probe = Probe::default();
    let filer = actor(ORG, HR);
    let emp = person(Some(UserId::new()));
    let ty = leave_type(20, true);
    let manager = UserId::new();
    let order = Arc::new(Mutex::new(Vec::new()));
    // The approvers include the filer: never told of (nor deciding) what they filed.
    let ports = filing(
        &probe,
        &emp,
        &ty,
        PersonLeave::default(),
        Some(manager),
        vec![filer.user_id],
        order.clone(),
    );
    let svc = LeaveRequestService::new(ports);
    // Friday to Tuesday: the weekend does not count.
    let r = svc
        .create(&filer, input(&emp, &ty, "2030-03-01", "2030-03-05"))
        .await
        .unwrap();
    assert_eq!(r.days, Days::whole(3));
    assert_eq!(r.status, LeaveStatus::Pending);
    assert_eq!(r.requested_by, Some(filer.user_id));
    assert_eq!(*order.lock().unwrap(), vec!["lock", "history", "insert"]);
    assert!(probe.committed());
    let audit = probe.audit();
    assert_eq!(audit[0].action, "created");
    assert_eq!(audit[1].action, "submitted");
    let told = audit[1]
        .changes
        .iter()
        .find(|c| c.field == NOTIFY_FIELD)
        .unwrap();
    assert_eq!(told.after, serde_json::json!([manager.0.to_string()]));
    assert_eq!(notified_of(&audit[1], "submitted"), vec![manager]);
    assert!(notified_of(&audit[1], "approved").is_empty());
}

#[tokio::test]
async fn overlap_and_overdraw_are_refused_with_nothing_written() {
    let emp = person(None);
    let ty = leave_type(5, true);
    let history = PersonLeave {
        requests: vec![stored(
            &ty,
            "2030-03-04",
            "2030-03-06",
            LeaveStatus::Pending,
            3,
        )],
        adjustments: vec![],
    };
    for (start, end, expected) in [
        ("2030-03-06", "2030-03-06", "leave-request-overlap"),
        // 3 pending + 3 new > 5.
        ("2030-03-11", "2030-03-13", "days:insufficient_balance"),
    ] {
        let probe = Probe::default();
        let order = Arc::new(Mutex::new(Vec::new()));
        let ports = filing(
            &probe,
            &emp,
            &ty,
            history.clone(),
            None,
            vec![],
            order.clone(),
        );
        let svc = LeaveRequestService::new(ports);
        let e = svc
            .create(&actor(ORG, HR), input(&emp, &ty, start, end))
            .await
            .unwrap_err();
        assert_eq!(code(&e), expected);
        assert!(!probe.committed());
        assert!(probe.audit().is_empty());
        assert_eq!(*order.lock().unwrap(), vec!["lock", "history"]);
    }
    // A rejected request holds nothing: the same dates fit.
    let history = PersonLeave {
        requests: vec![stored(
            &ty,
            "2030-03-04",
            "2030-03-06",
            LeaveStatus::Rejected,
            3,
        )],
        adjustments: vec![],
    };
    let probe = Probe::default();
    let ports = filing(&probe, &emp, &ty, history, None, vec![], Arc::default());
    let svc = LeaveRequestService::new(ports);
    svc.create(
        &actor(ORG, HR),
        input(&emp, &ty, "2030-03-04", "2030-03-06"),
    )
    .await
    .unwrap();
    assert!(probe.committed());
}

#[tokio::test]
async fn a_type_without_approval_is_approved_at_once_and_the_person_told() {
    let probe = Probe::default();
    let user = UserId::new();
    let emp = person(Some(user));
    let ty = leave_type(20, false);
    let ports = filing(
        &probe,
        &emp,
        &ty,
        PersonLeave::default(),
        None,
        vec![],
        Arc::default(),
    );
    let svc = LeaveRequestService::new(ports);
    let r = svc
        .create(
            &actor(ORG, HR),
            input(&emp, &ty, "2030-03-04", "2030-03-04"),
        )
        .await
        .unwrap();
    assert_eq!(r.status, LeaveStatus::Approved);
    assert_eq!(r.version, 2);
    let audit = probe.audit();
    assert_eq!(audit[1].action, "approved");
    assert_eq!(notified_of(&audit[1], "approved"), vec![user]);
}

#[tokio::test]
async fn nobody_approves_their_own_request() {
    let probe = Probe::default();
    let me = actor(ORG, &["leave_requests:read:own", "leave_requests:approve"]);
    let emp = person(Some(me.user_id));
    let ty = leave_type(20, true);
    let r = LeaveRequest {
        id: LeaveRequestId::new(),
        organization_id: ORG,
        employee_id: emp.id,
        leave_type_id: ty.id,
        start_date: day("2030-03-04"),
        end_date: day("2030-03-04"),
        half_day: None,
        reason: None,
        days: Days::ONE,
        status: LeaveStatus::Pending,
        requested_by: Some(me.user_id),
        decided_by: None,
        decided_at: None,
        decision_note: None,
        legacy_id: None,
        created_at: now(),
        updated_at: now(),
        version: 1,
        parts: vec![],
    };
    let mut requests = MockRecords::<LeaveRequest>::new();
    requests.expect_get().returning(move |_, _| Ok(r.clone()));
    let mut employees = MockRecords::<Employee>::new();
    let e = emp.clone();
    employees.expect_get().returning(move |_, _| Ok(e.clone()));
    let mut people = MockEmployeeStore::new();
    people.expect_manager_user().returning(|_, _| Ok(None));
    let ports = HrPorts {
        leave_requests: Arc::new(requests),
        employees: Arc::new(employees),
        employee_store: Arc::new(people),
        ..blank_ports(&probe)
    };
    let svc = LeaveRequestService::new(ports);
    let e = svc
        .approve(&me, LeaveRequestId::new(), None, ApproveInput::default())
        .await
        .unwrap_err();
    assert_eq!(code(&e), "self-approval");
    assert_eq!(probe.begins(), 0);
}
