//! The leave balance as the database answers it equals the pure computation: generated
//! histories of adjustments and requests (every status, half days, requests across new year)
//! are stored through the adapters, read back by `LeaveStore::history`, and the balance and
//! ledger replayed from what was read are compared with those replayed from what was
//! generated, on several dates.

// clippy.toml allows these only inside #[test] functions; the helpers here are test code too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use chrono::{Duration, NaiveDate};
use crm_db::SqlTxManager;
use crm_db::hr::{
    SqlEmployeeRepository, SqlLeaveAdjustmentRepository, SqlLeaveRequestRepository, SqlLeaveStore,
    SqlLeaveTypeRepository, SqlWorkScheduleRepository,
};
use crm_domain::kernel::clock;
use crm_domain::kernel::records::Records;
use crm_domain::{OrganizationId, TxManager};
use crm_hr::days::Days;
use crm_hr::employees::{Employee, EmployeeId, EmployeeStatus, EmploymentType};
use crm_hr::leave::balance::{self, Accrual, LedgerRow, RequestFacts};
use crm_hr::leave::counting::{LeaveSpan, parts};
use crm_hr::leave::{
    HalfDay, LeaveAdjustment, LeaveAdjustmentId, LeaveRequest, LeaveRequestId, LeaveStatus,
    LeaveStore, LeaveType, LeaveTypeId,
};
use crm_hr::work_schedules::WorkSchedule;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

#[derive(Clone, Debug)]
struct Gen {
    hire_offset: i64,
    adjustments: Vec<(i64, i64)>,
    requests: Vec<(i64, i64, u8, u8)>,
}

fn history() -> impl Strategy<Value = Gen> {
    (
        0i64..900,
        prop::collection::vec((0i64..1400, -500i64..=500), 0..4),
        prop::collection::vec((0i64..1400, 0i64..12, 0u8..4, 0u8..3), 0..6),
    )
        .prop_map(|(hire_offset, adjustments, requests)| Gen {
            hire_offset,
            adjustments,
            requests,
        })
}

fn status(n: u8) -> LeaveStatus {
    LeaveStatus::ALL[usize::from(n) % 4]
}

struct Env {
    org: OrganizationId,
    tx: SqlTxManager,
    employees: SqlEmployeeRepository,
    schedule: WorkSchedule,
    ty: LeaveType,
    requests: SqlLeaveRequestRepository,
    adjustments: SqlLeaveAdjustmentRepository,
    store: SqlLeaveStore,
}

async fn env(db: &support::TestDb) -> Env {
    let org = support::organization(db).await.id;
    let tx = SqlTxManager::new(db.conn());
    let now = clock::now();
    let schedule = WorkSchedule::standard(org, chrono_tz::Tz::UTC, now);
    let ty = LeaveType {
        id: LeaveTypeId::new(),
        organization_id: org,
        name: "Annual".into(),
        code: "AL".into(),
        paid: true,
        allowance_days: Days::from_hundredths(2050),
        accrual: Accrual::Monthly,
        carry_forward_max_days: Days::whole(5),
        carry_forward_expiry_days: Some(90),
        allow_negative_days: Days::ZERO,
        requires_approval: true,
        is_active: true,
        legacy_id: None,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    let mut t = tx.begin().await.unwrap();
    SqlWorkScheduleRepository::new(db.conn())
        .create(&mut t, &schedule)
        .await
        .unwrap();
    SqlLeaveTypeRepository::new(db.conn())
        .create(&mut t, &ty)
        .await
        .unwrap();
    t.commit().await.unwrap();
    Env {
        org,
        tx,
        employees: SqlEmployeeRepository::new(db.conn()),
        schedule,
        ty,
        requests: SqlLeaveRequestRepository::new(db.conn()),
        adjustments: SqlLeaveAdjustmentRepository::new(db.conn()),
        store: SqlLeaveStore::new(db.conn()),
    }
}

/// Stores `g` for a new person; answers the person's hire date and the engine's inputs as
/// generated.
async fn store(e: &Env, g: &Gen) -> (EmployeeId, NaiveDate, Vec<LedgerRow>, Vec<RequestFacts>) {
    let base = day("2028-01-01");
    let now = clock::now();
    let hire = base + Duration::days(g.hire_offset);
    let person = Employee {
        id: EmployeeId::new(),
        organization_id: e.org,
        user_id: None,
        // Unique within the 32 characters the column holds.
        employee_number: format!("E-{}", &uuid::Uuid::now_v7().simple().to_string()[12..]),
        first_name: "P".into(),
        last_name: "Q".into(),
        email: None,
        phone: None,
        department_id: None,
        designation_id: None,
        manager_id: None,
        hire_date: hire,
        employment_type: EmploymentType::FullTime,
        status: EmployeeStatus::Active,
        work_schedule_id: e.schedule.id,
        date_of_birth: None,
        address: None,
        emergency_contact: None,
        termination_date: None,
        termination_reason: None,
        legacy_id: None,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    let mut tx = e.tx.begin().await.unwrap();
    e.employees.create(&mut tx, &person).await.unwrap();
    let mut rows = Vec::new();
    for (offset, h) in &g.adjustments {
        let date = base + Duration::days(*offset);
        let days = Days::from_hundredths(if *h == 0 { 25 } else { *h });
        let a = LeaveAdjustment {
            id: LeaveAdjustmentId::new(),
            organization_id: e.org,
            employee_id: person.id,
            leave_type_id: e.ty.id,
            date,
            days,
            reason: "generated".into(),
            created_by: None,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        e.adjustments.create(&mut tx, &a).await.unwrap();
        rows.push(LedgerRow::adjustment(date, days));
    }
    let schedule = e.schedule.schedule();
    let mut facts = Vec::new();
    for (offset, len, st, half) in &g.requests {
        let start = base + Duration::days(*offset);
        let (end, half) = match half {
            1 => (start, Some(HalfDay::Am)),
            2 => (start, Some(HalfDay::Pm)),
            _ => (start + Duration::days(*len), None),
        };
        let span = LeaveSpan::new(start, end, half).unwrap();
        let Ok(p) = parts(&schedule, &[], &span) else {
            continue;
        };
        let r = LeaveRequest {
            id: LeaveRequestId::new(),
            organization_id: e.org,
            employee_id: person.id,
            leave_type_id: e.ty.id,
            start_date: start,
            end_date: end,
            half_day: half,
            reason: None,
            days: p.iter().map(|x| x.days).sum(),
            status: status(*st),
            requested_by: None,
            decided_by: None,
            decided_at: None,
            decision_note: None,
            legacy_id: None,
            created_at: now,
            updated_at: now,
            version: 1,
            parts: p,
        };
        e.requests.create(&mut tx, &r).await.unwrap();
        facts.push(r.facts());
    }
    tx.commit().await.unwrap();
    (person.id, hire, rows, facts)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_stored_balance_and_ledger_equal_the_pure_computation() {
    let db = support::database().await;
    let e = env(&db).await;
    let handle = tokio::runtime::Handle::current();
    let mut runner = TestRunner::new(Config {
        cases: 200,
        ..Config::default()
    });
    let policy = e.ty.policy();
    let result = tokio::task::block_in_place(|| {
        runner.run(&history(), |g| {
            let (person, hire, rows, facts) = handle.block_on(store(&e, &g));
            let read = handle.block_on(e.store.history(e.org, person)).unwrap();
            let (stored_rows, stored_facts) = read.of_type(e.ty.id);
            let mut sorted = facts.clone();
            sorted.sort_by_key(|f| f.id.0);
            let mut read_sorted = stored_facts.clone();
            read_sorted.sort_by_key(|f| f.id.0);
            prop_assert_eq!(&read_sorted, &sorted);
            for as_of in [
                "2028-03-31",
                "2029-01-01",
                "2029-04-01",
                "2030-06-15",
                "2031-12-31",
            ] {
                let d = day(as_of);
                prop_assert_eq!(
                    balance::balance(&policy, hire, &stored_rows, &stored_facts, d),
                    balance::balance(&policy, hire, &rows, &facts, d)
                );
            }
            let (from, to) = (day("2028-01-01"), day("2031-12-31"));
            prop_assert_eq!(
                balance::ledger(&policy, hire, &stored_rows, &stored_facts, from, to),
                balance::ledger(&policy, hire, &rows, &facts, from, to)
            );
            Ok(())
        })
    });
    result.unwrap();
}
