//! The HR part of `make bench` (issue 15): employees of the first organization with their
//! leave (three types, requests, adjustments) and, for 1,000 of them, a month of punches;
//! the leave balances of a random employee against their in-process ceiling, the month's
//! attendance of the 1,000 walked one request at a time (the summary, every page) and one
//! employee's days, and check-in / check-out on as many connections as the bench has, each
//! worker a different employee's user.
//!
//! Rows are written as the server writes them (`crm-db/src/hr/*.rs`): `EMP-NNNN` numbers with
//! the `employee` counter row (year 0) at the next number; day quantities in hundredths; a
//! request's `parts` as `[["<first date in the year>", hundredths]]` with the days counted on
//! the default Monday–Friday schedule less the holidays; approved requests decided (version
//! 2) by the admin and filed by another user; closed punches (`open_employee_id` NULL,
//! `source` `self`). The small things (the default schedule, the department, the leave types,
//! the holidays) are made through the API.

use crate::load::Figures;
use crate::scenarios::{Http, call, drive};
use crate::seed::{count, exec};
use crate::{Config, seed};
use chrono::{Datelike, Duration, NaiveDate, Weekday};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, Value};
use serde::Serialize;
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use uuid::Uuid;

const BATCH: i64 = 20_000;
/// Employees with a month of punches (the first ones by number), all in one department so
/// the summary can be narrowed to them.
pub const ATTENDANCE_EMPLOYEES: i64 = 1_000;
/// The summary's page size (the list's maximum).
pub const SUMMARY_PAGE: usize = 200;
const DEPARTMENT_CODE: &str = "BENCH-ATT";

/// The month whose attendance is seeded and read: the last whole month before `today`.
pub fn last_month(today: NaiveDate) -> NaiveDate {
    let first = today.with_day(1).unwrap_or(today);
    (first - Duration::days(1)).with_day(1).unwrap_or(first)
}

fn month_end(first: NaiveDate) -> NaiveDate {
    first
        .checked_add_months(chrono::Months::new(1))
        .and_then(|d| d.pred_opt())
        .unwrap_or(first)
}

/// The first `weekday` on or after `d`.
fn on_or_after(d: NaiveDate, weekday: Weekday) -> NaiveDate {
    let ahead =
        (7 + weekday.num_days_from_monday() as i64 - d.weekday().num_days_from_monday() as i64) % 7;
    d + Duration::days(ahead)
}

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

/// The dates the data set is laid on, from the attendance month.
struct Calendar {
    month: NaiveDate,
    month_end: NaiveDate,
    /// A holiday inside the month (its fourth Thursday), besides New Year and Christmas.
    month_holiday: NaiveDate,
    /// Approved two-day leave (Monday–Tuesday) in the month's second week.
    leave_monday: NaiveDate,
    /// An approved morning off (half day) on the month's third Monday.
    half_day: NaiveDate,
}

impl Calendar {
    fn of(month: NaiveDate) -> Self {
        let month_end = month_end(month);
        let monday = on_or_after(month, Weekday::Mon);
        Self {
            month,
            month_end,
            month_holiday: on_or_after(month, Weekday::Thu) + Duration::days(21),
            leave_monday: monday + Duration::days(7),
            half_day: monday + Duration::days(14),
        }
    }

    fn year(&self) -> i32 {
        self.month.year()
    }

    /// New Year and the two Christmas days of last year and this one, and the month's own.
    fn holidays(&self) -> Vec<(NaiveDate, &'static str)> {
        let mut out = Vec::new();
        for y in [self.year() - 1, self.year()] {
            out.push((ymd(y, 1, 1), "New Year's Day"));
            out.push((ymd(y, 12, 25), "Christmas Day"));
            out.push((ymd(y, 12, 26), "Boxing Day"));
        }
        out.push((self.month_holiday, "Bench holiday"));
        out.sort();
        out.dedup_by_key(|h| h.0);
        out
    }
}

/// The organization's leave types: annual leave granted upfront with a capped, expiring
/// carry-forward, sick leave accrued monthly, casual leave accrued monthly with a small
/// carry-forward that does not lapse.
fn leave_types() -> [serde_json::Value; 3] {
    [
        json!({"name": "Annual leave", "code": "AL", "allowance_days": 20, "accrual": "upfront",
               "carry_forward_max_days": 5, "carry_forward_expiry_days": 90}),
        json!({"name": "Sick leave", "code": "SL", "allowance_days": 10, "accrual": "monthly"}),
        json!({"name": "Casual leave", "code": "CL", "allowance_days": 6, "accrual": "monthly",
               "carry_forward_max_days": 2}),
    ]
}

pub struct Plan {
    pub org: Uuid,
    pub admin: Uuid,
    /// The organization's tag in emails (`org0`).
    pub tag: String,
    pub employees: i64,
    /// Employees linked to a user of their own (the check-in workers), the first by number.
    pub users: i64,
    pub month: NaiveDate,
}

/// What the API makes: the default schedule (listing the schedules creates it), the
/// attendance department, the leave types and the holidays. Returns the schedule, its time
/// zone and the department.
async fn through_api(
    http: &Http,
    token: &str,
    db: &DatabaseConnection,
    p: &Plan,
    cal: &Calendar,
) -> Result<(Uuid, String, Uuid), String> {
    http.json("GET", "/api/v1/work-schedules", Some(token), None)
        .await?;
    let schedule = crate::seed::query_uuids(
        db,
        "SELECT id FROM work_schedules WHERE organization_id = $1 AND default_key = $1",
        vec![p.org.into()],
    )
    .await?
    .first()
    .copied()
    .ok_or("no default work schedule after listing them")?;
    let zone = crate::seed::one::<String>(
        db,
        "SELECT time_zone FROM work_schedules WHERE id = $1",
        vec![schedule.into()],
    )
    .await?;
    let dept = http
        .json(
            "POST",
            "/api/v1/departments",
            Some(token),
            Some(&json!({"name": "Bench attendance", "code": DEPARTMENT_CODE})),
        )
        .await?;
    let dept: Uuid = dept
        .get("id")
        .and_then(|v| v.as_str())
        .and_then(|s| s.parse().ok())
        .ok_or("department answer without id")?;
    for t in leave_types() {
        http.json("POST", "/api/v1/leave-types", Some(token), Some(&t))
            .await?;
    }
    for (date, name) in cal.holidays() {
        http.json(
            "POST",
            "/api/v1/holidays",
            Some(token),
            Some(&json!({"date": date.to_string(), "name": name})),
        )
        .await?;
    }
    Ok((schedule, zone, dept))
}

/// The check-in workers' users (`punch<k>@<tag>.bench.test`, the `employee` role, the
/// admin's password hash so they sign in with the bench password).
async fn users(db: &DatabaseConnection, p: &Plan) -> Result<(), String> {
    exec(
        db,
        "INSERT INTO users (id, created_at, updated_at, version, organization_id, name, email, \
         password_hash, status) \
         SELECT bench_uuid7(now() - make_interval(secs => g)), now(), now(), 1, $1, \
         'Employee ' || g, 'punch' || g || '@' || $2 || '.bench.test', \
         (SELECT password_hash FROM users WHERE id = $3), 'active' \
         FROM generate_series(1, $4::bigint) g",
        vec![
            p.org.into(),
            p.tag.clone().into(),
            p.admin.into(),
            p.users.into(),
        ],
    )
    .await?;
    exec(
        db,
        "INSERT INTO user_roles (organization_id, user_id, role_id) \
         SELECT $1, u.id, r.id FROM users u, roles r \
         WHERE u.organization_id = $1 AND u.email LIKE 'punch%@' || $2 || '.bench.test' \
         AND r.organization_id = $1 AND r.name = 'employee'",
        vec![p.org.into(), p.tag.clone().into()],
    )
    .await
    .map(|_| ())
}

/// Employees `EMP-0001`… hired over the seven years before last year (so every one has a
/// carry-forward), the first 1,000 in the attendance department, the first `users` linked to
/// the check-in users; the counter row at the next number.
async fn employees(
    db: &DatabaseConnection,
    p: &Plan,
    schedule: Uuid,
    dept: Uuid,
    bar: &indicatif::ProgressBar,
) -> Result<(), String> {
    let hired_from = ymd(p.month.year() - 8, 1, 1);
    let mut start = 1;
    while start <= p.employees {
        let end = (start + BATCH - 1).min(p.employees);
        let n = exec(
            db,
            "WITH s AS (SELECT g, now() - make_interval(secs => ($4::bigint - g) * 60) AS t \
                        FROM generate_series($2::bigint, $3::bigint) g) \
             INSERT INTO employees (id, created_at, updated_at, version, organization_id, \
             user_id, employee_number, first_name, last_name, email, phone, department_id, \
             designation_id, manager_id, hire_date, employment_type, status, work_schedule_id, \
             date_of_birth, address, emergency_contact, termination_date, termination_reason) \
             SELECT bench_uuid7(s.t), s.t, s.t, 1, $1, u.id, \
             'EMP-' || CASE WHEN s.g < 1000 THEN lpad(s.g::text, 4, '0') ELSE s.g::text END, \
             (ARRAY['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken'])[1 + (s.g % 8)::int], \
             'Person ' || s.g, 'emp' || s.g || '@' || $5 || '.bench.test', NULL, \
             CASE WHEN s.g <= $6 THEN $7::uuid END, NULL, NULL, \
             $8::date + ((s.g * 37) % 2557)::int, \
             (ARRAY['full_time', 'full_time', 'full_time', 'part_time', 'contract'])[1 + (s.g % 5)::int], \
             'active', $9, NULL, NULL, NULL, NULL, NULL \
             FROM s LEFT JOIN users u ON u.organization_id = $1 \
             AND u.email = 'punch' || s.g || '@' || $5 || '.bench.test'",
            vec![
                p.org.into(),
                start.into(),
                end.into(),
                p.employees.into(),
                p.tag.clone().into(),
                ATTENDANCE_EMPLOYEES.into(),
                dept.into(),
                hired_from.into(),
                schedule.into(),
            ],
        )
        .await?;
        bar.inc(n);
        start = end + 1;
    }
    exec(
        db,
        "INSERT INTO document_counters (organization_id, kind, year, next) \
         VALUES ($1, 'employee', 0, $2) \
         ON CONFLICT (organization_id, kind, year) DO UPDATE SET next = EXCLUDED.next",
        vec![p.org.into(), (p.employees + 1).into()],
    )
    .await
    .map(|_| ())
}

/// Per employee: a week of annual leave last year and a day this year (approved), two sick
/// days in January (approved), a pending day in December and, for one in three, a pending
/// casual day in October; for the attendance employees, one in ten two days off in the
/// month's second week and one in ten a morning off on its third Monday (approved). None
/// touches a holiday or a weekend, none overlaps another; this year's requests that would
/// fall in the attendance month (other than its own) are left out. Then an adjustment of
/// +1.5 annual days each and −0.5 sick days for one in four.
async fn leave(db: &DatabaseConnection, p: &Plan, cal: &Calendar) -> Result<u64, String> {
    let y = cal.year();
    let dates: Vec<Value> = vec![
        // $5: last year's week of annual leave, from March on.
        on_or_after(ymd(y - 1, 3, 1), Weekday::Mon).into(),
        // $6: this year's single day, from February on.
        on_or_after(ymd(y, 2, 1), Weekday::Mon).into(),
        // $7: the sick Tuesday–Wednesday in January (never on New Year's Day).
        on_or_after(ymd(y, 1, 2), Weekday::Tue).into(),
        // $8: the pending December day (before Christmas).
        on_or_after(ymd(y, 12, 1), Weekday::Mon).into(),
        // $9: the pending casual day in October.
        on_or_after(ymd(y, 10, 1), Weekday::Mon).into(),
        cal.leave_monday.into(),
        cal.half_day.into(),
        cal.month.into(),
        cal.month_end.into(),
    ];
    let filer = crate::seed::query_uuids(
        db,
        "SELECT id FROM users WHERE organization_id = $1 AND id <> $2 \
         AND email NOT LIKE 'punch%' ORDER BY id LIMIT 1",
        vec![p.org.into(), p.admin.into()],
    )
    .await?
    .first()
    .copied()
    .unwrap_or(p.admin);
    let mut values: Vec<Value> = vec![
        p.org.into(),
        filer.into(),
        p.admin.into(),
        ATTENDANCE_EMPLOYEES.into(),
    ];
    values.extend(dates);
    let n = exec(
        db,
        "WITH e AS (SELECT id, substring(employee_number from 5)::int AS g FROM employees \
                    WHERE organization_id = $1), \
         k AS (SELECT e.id AS employee_id, e.g, x.* FROM e CROSS JOIN LATERAL (VALUES \
             ('AL', $5::date + 7 * (e.g % 26), $5::date + 7 * (e.g % 26) + 4, NULL::text, 500, 'approved', TRUE), \
             ('AL', $6::date + 7 * (e.g % 33) + e.g % 5, $6::date + 7 * (e.g % 33) + e.g % 5, NULL, 100, 'approved', FALSE), \
             ('SL', $7::date + 7 * (e.g % 4), $7::date + 7 * (e.g % 4) + 1, NULL, 200, 'approved', FALSE), \
             ('AL', $8::date + e.g % 5, $8::date + e.g % 5, NULL, 100, 'pending', FALSE), \
             ('CL', CASE WHEN e.g % 3 = 0 THEN $9::date + e.g % 5 END, $9::date + e.g % 5, NULL, 100, 'pending', FALSE), \
             ('AL', CASE WHEN e.g <= $4 AND e.g % 10 = 3 THEN $10::date END, $10::date + 1, NULL, 200, 'approved', TRUE), \
             ('AL', CASE WHEN e.g <= $4 AND e.g % 10 = 7 THEN $11::date END, $11::date, 'am', 50, 'approved', TRUE) \
           ) x(code, start_date, end_date, half_day, days, status, in_month) \
           WHERE x.start_date IS NOT NULL \
             AND (x.in_month OR x.end_date < $12::date OR x.start_date > $13::date)), \
         s AS (SELECT k.*, (k.start_date - 14 + time '10:00') AT TIME ZONE 'UTC' AS c FROM k) \
         INSERT INTO leave_requests (id, created_at, updated_at, version, organization_id, \
         employee_id, leave_type_id, start_date, end_date, half_day, reason, days, parts, \
         status, requested_by, decided_by, decided_at, decision_note) \
         SELECT bench_uuid7(s.c), s.c, \
         CASE WHEN s.status = 'approved' THEN s.c + interval '1 day' ELSE s.c END, \
         CASE WHEN s.status = 'approved' THEN 2 ELSE 1 END, $1, s.employee_id, t.id, \
         s.start_date, s.end_date, s.half_day, CASE WHEN s.g % 4 = 0 THEN 'Family' END, s.days, \
         '[[\"' || to_char(s.start_date, 'YYYY-MM-DD') || '\",' || s.days || ']]', s.status, $2, \
         CASE WHEN s.status = 'approved' THEN $3::uuid END, \
         CASE WHEN s.status = 'approved' THEN s.c + interval '1 day' END, NULL \
         FROM s JOIN leave_types t ON t.organization_id = $1 AND t.code = s.code",
        values,
    )
    .await?;
    let a = exec(
        db,
        "WITH e AS (SELECT id, substring(employee_number from 5)::int AS g FROM employees \
                    WHERE organization_id = $1), \
         k AS (SELECT e.id AS employee_id, x.* FROM e CROSS JOIN LATERAL (VALUES \
             ('AL', $3::date, 150, 'Worked the inventory weekend'), \
             ('SL', CASE WHEN e.g % 4 = 0 THEN $4::date END, -50, 'Correction') \
           ) x(code, effective_on, days, reason) WHERE x.effective_on IS NOT NULL), \
         s AS (SELECT k.*, (k.effective_on + time '11:00') AT TIME ZONE 'UTC' AS c FROM k) \
         INSERT INTO leave_adjustments (id, created_at, updated_at, version, organization_id, \
         employee_id, leave_type_id, effective_on, days, reason, created_by) \
         SELECT bench_uuid7(s.c), s.c, s.c, 1, $1, s.employee_id, t.id, s.effective_on, s.days, \
         s.reason, $2 \
         FROM s JOIN leave_types t ON t.organization_id = $1 AND t.code = s.code",
        vec![
            p.org.into(),
            p.admin.into(),
            ymd(cal.year(), 3, 2).into(),
            ymd(cal.year(), 6, 1).into(),
        ],
    )
    .await?;
    Ok(n + a)
}

/// The month's punches of the attendance employees, checked in and out by themselves, in the
/// schedule's zone: per working day (not a holiday, not on leave) one in 20 absent, two late
/// (09:25, 09:30), one a half day (09:00–12:30), four with a lunch break (two punches), the
/// rest on time (08:50–09:09 to 17:05); the morning-off people work 13:00–17:00.
async fn punches(
    db: &DatabaseConnection,
    p: &Plan,
    cal: &Calendar,
    zone: &str,
) -> Result<u64, String> {
    exec(
        db,
        "WITH e AS (SELECT id, substring(employee_number from 5)::int AS g FROM employees \
                    WHERE organization_id = $1 AND department_id IS NOT NULL \
                    AND substring(employee_number from 5)::int <= $2), \
         d AS (SELECT day::date AS day FROM generate_series($3::date, $4::date, interval '1 day') day \
               WHERE extract(isodow from day) <= 5 \
               AND day::date NOT IN (SELECT h.date FROM holidays h WHERE h.organization_id = $1)), \
         ed AS (SELECT e.id, e.g, d.day, ((e.g * 31 + extract(day from d.day)::int) % 20) AS h \
                FROM e, d \
                WHERE NOT (e.g % 10 = 3 AND d.day IN ($6::date, $6::date + 1))), \
         pu AS (SELECT ed.id, ed.day, x.i, x.o FROM ed CROSS JOIN LATERAL (VALUES \
             (CASE WHEN ed.g % 10 = 7 AND ed.day = $7::date THEN time '13:00' \
                   WHEN ed.h = 0 THEN NULL \
                   WHEN ed.h IN (1, 2) THEN time '09:20' + make_interval(mins => 5 * ed.h::int) \
                   WHEN ed.h = 3 THEN time '09:00' \
                   WHEN ed.h % 4 = 0 THEN time '08:55' \
                   ELSE time '08:50' + make_interval(mins => ed.h::int) END, \
              CASE WHEN ed.g % 10 = 7 AND ed.day = $7::date THEN time '17:00' \
                   WHEN ed.h IN (1, 2) THEN time '17:30' \
                   WHEN ed.h = 3 OR ed.h % 4 = 0 THEN time '12:30' \
                   ELSE time '17:05' END), \
             (CASE WHEN ed.h % 4 = 0 AND ed.h > 0 AND NOT (ed.g % 10 = 7 AND ed.day = $7::date) \
                   THEN time '13:15' END, time '17:20') \
           ) x(i, o) WHERE x.i IS NOT NULL), \
         t AS (SELECT pu.id, (pu.day + pu.i) AT TIME ZONE $5 AS ci, \
               (pu.day + pu.o) AT TIME ZONE $5 AS co FROM pu) \
         INSERT INTO attendance_records (id, created_at, updated_at, version, organization_id, \
         employee_id, check_in_at, check_out_at, open_employee_id, note, source) \
         SELECT bench_uuid7(t.ci), t.ci, t.co, 2, $1, t.id, t.ci, t.co, NULL, NULL, 'self' FROM t",
        vec![
            p.org.into(),
            ATTENDANCE_EMPLOYEES.into(),
            cal.month.into(),
            cal.month_end.into(),
            zone.to_string().into(),
            cal.leave_monday.into(),
            cal.half_day.into(),
        ],
    )
    .await
}

/// Everything HR of the first organization.
pub async fn seed(
    db: &DatabaseConnection,
    http: &Http,
    token: &str,
    p: &Plan,
) -> Result<(), String> {
    let cal = Calendar::of(p.month);
    let (schedule, zone, dept) = through_api(http, token, db, p, &cal).await?;
    users(db, p).await?;
    let bar = seed::bar(p.employees as u64, "employees");
    employees(db, p, schedule, dept, &bar).await?;
    bar.finish();
    let requests = leave(db, p, &cal).await?;
    let punches = punches(db, p, &cal, &zone).await?;
    println!("bench: {requests} leave requests and adjustments, {punches} punches");
    Ok(())
}

/// The attendance month of the data set of `employees` with `users` check-in users, when a
/// previous run left it (more connections than check-in users seed anew: two workers on one
/// person's punches would refuse each other).
pub async fn already_seeded(
    db: &DatabaseConnection,
    employees: i64,
    users: i64,
) -> Result<Option<NaiveDate>, String> {
    db.execute_unprepared(
        "CREATE TABLE IF NOT EXISTS bench_seed_hr (employees BIGINT NOT NULL, users BIGINT NOT NULL, \
         month DATE NOT NULL, seeded_at TIMESTAMPTZ NOT NULL DEFAULT now())",
    )
    .await
    .map_err(|e| e.to_string())?;
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT month FROM bench_seed_hr WHERE employees = $1 AND users = $2",
            [employees.into(), users.into()],
        ))
        .await
        .map_err(|e| e.to_string())?;
    Ok(row.and_then(|r| r.try_get_by_index::<NaiveDate>(0).ok()))
}

/// Forgets an earlier HR data set (of another size) of every organization.
pub async fn clear(db: &DatabaseConnection) -> Result<(), String> {
    for sql in [
        "DELETE FROM attendance_records",
        "DELETE FROM leave_requests",
        "DELETE FROM leave_adjustments",
        "DELETE FROM leave_types",
        "DELETE FROM holidays",
        "DELETE FROM employees",
        "DELETE FROM document_counters WHERE kind = 'employee'",
        "DELETE FROM departments WHERE code = 'BENCH-ATT'",
        "DELETE FROM users WHERE email LIKE 'punch%@%.bench.test'",
        "DELETE FROM bench_seed_hr",
    ] {
        exec(db, sql, Vec::new()).await?;
    }
    Ok(())
}

pub async fn mark_seeded(
    db: &DatabaseConnection,
    employees: i64,
    users: i64,
    month: NaiveDate,
) -> Result<(), String> {
    exec(
        db,
        "INSERT INTO bench_seed_hr (employees, users, month) VALUES ($1, $2, $3)",
        vec![employees.into(), users.into(), month.into()],
    )
    .await
    .map(|_| ())
}

/// One check-in worker: an employee's user, signed in.
pub struct Puncher {
    pub user: Uuid,
    pub token: String,
    /// Whether this worker's punch is open: the next call checks out.
    pub open: AtomicBool,
}

/// What the HR scenarios ask for (all in the first organization).
#[derive(Default)]
pub struct Sample {
    /// Every employee, by number.
    pub employees: Vec<Uuid>,
    /// The attendance employees' department.
    pub department: Uuid,
    pub month: Option<NaiveDate>,
    pub punchers: Vec<Puncher>,
    pub punches: i64,
    pub requests: i64,
}

impl Sample {
    pub fn month(&self) -> (NaiveDate, NaiveDate) {
        let m = self.month.unwrap_or_default();
        (m, month_end(m))
    }

    /// The balances' date: the attendance month's last day.
    pub fn as_of(&self) -> NaiveDate {
        self.month().1
    }

    pub fn employee(&self, w: usize, i: u64) -> Uuid {
        self.employees[(w * 7919 + (i as usize) * 104_729) % self.employees.len()]
    }

    /// One of the attendance employees.
    pub fn attendance_employee(&self, w: usize, i: u64) -> Uuid {
        let n = self.employees.len().min(ATTENDANCE_EMPLOYEES as usize);
        self.employees[(w * 7919 + (i as usize) * 104_729) % n]
    }
}

/// The ids the scenarios use, and the check-in users signed in. Punches made after the
/// seeding (an earlier run's check-ins) are deleted first, so every worker starts with
/// no punch open and the data set stays as seeded.
pub async fn sample(
    db: &DatabaseConnection,
    http: &Http,
    org: Uuid,
    tag: &str,
    month: NaiveDate,
    users: i64,
) -> Result<Sample, String> {
    exec(
        db,
        "DELETE FROM attendance_records WHERE organization_id = $1 \
         AND created_at >= (SELECT max(seeded_at) FROM bench_seed_hr)",
        vec![org.into()],
    )
    .await?;
    let employees = crate::seed::query_uuids(
        db,
        "SELECT id FROM employees WHERE organization_id = $1 \
         ORDER BY length(employee_number), employee_number",
        vec![org.into()],
    )
    .await?;
    let department = crate::seed::query_uuids(
        db,
        "SELECT id FROM departments WHERE organization_id = $1 AND code = $2",
        vec![org.into(), DEPARTMENT_CODE.into()],
    )
    .await?
    .first()
    .copied()
    .ok_or("no attendance department: seed with CRM_BENCH_EMPLOYEES > 0")?;
    let mut punchers = Vec::new();
    for k in 1..=users {
        let (user, _, token) =
            crate::scenarios::login(http, &format!("punch{k}@{tag}.bench.test")).await?;
        punchers.push(Puncher {
            user,
            token,
            open: AtomicBool::new(false),
        });
    }
    let punches = count(
        db,
        "SELECT count(*) FROM attendance_records WHERE organization_id = $1",
        vec![org.into()],
    )
    .await?;
    let requests = count(
        db,
        "SELECT count(*) FROM leave_requests WHERE organization_id = $1",
        vec![org.into()],
    )
    .await?;
    Ok(Sample {
        employees,
        department,
        month: Some(month),
        punchers,
        punches,
        requests,
    })
}

#[derive(Serialize)]
pub struct HrReport {
    pub employees: i64,
    pub attendance_employees: i64,
    pub month: String,
    pub as_of: String,
    pub punches: i64,
    pub leave_requests: i64,
    /// Pages of `GET /attendance/summary` one walk takes.
    pub summary_pages: usize,
    /// The whole walk of the month's summary, one request at a time.
    pub summary_walk: Option<Figures>,
    /// `GET /attendance/days` of one employee and the month, one request at a time.
    pub days_alone: Option<Figures>,
}

impl HrReport {
    pub fn markdown(&self) -> String {
        use std::fmt::Write as _;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "\n### HR\n\n{} employees in the first organization, three leave types, {} leave \
             requests; {} of the employees have {} punches in {}. Leave balances as of {} and \
             check-in / check-out above; the month's attendance one request at a time (a walk \
             is every page of the summary, {} pages of {}):\n",
            self.employees,
            self.leave_requests,
            self.attendance_employees,
            self.punches,
            self.month,
            self.as_of,
            self.summary_pages,
            SUMMARY_PAGE
        );
        s.push_str(
            "| what | req/s | p50 ms | p99 ms | max ms | errors |\n|---|---:|---:|---:|---:|---:|\n",
        );
        for (what, f) in [
            ("attendance summary, whole walk", &self.summary_walk),
            ("attendance days, one employee's month", &self.days_alone),
        ] {
            if let Some(f) = f {
                let _ = writeln!(
                    s,
                    "| {what} | {:.1} | {:.1} | {:.1} | {:.1} | {} |",
                    f.rps, f.p50_ms, f.p99_ms, f.max_ms, f.errors
                );
            }
        }
        s
    }
}

/// The month's attendance one request at a time: the summary of the attendance department
/// walked page by page (a walk that does not end on exactly the attendance employees is an
/// error), then one employee's days.
pub async fn month_alone(cfg: &Config, http: &Http, token: &str, sample: &Arc<Sample>) -> HrReport {
    let (from, to) = sample.month();
    let month = from.format("%Y-%m").to_string();
    let expected = (sample.employees.len() as i64).min(ATTENDANCE_EMPLOYEES);
    let (h, t, m, dept) = (
        http.clone(),
        token.to_string(),
        month.clone(),
        sample.department,
    );
    let walk = call(move |w, _| {
        let (h, t, m) = (h.clone(), t.clone(), m.clone());
        async move {
            let mut cursor: Option<String> = None;
            let mut rows = 0i64;
            loop {
                let mut path = format!(
                    "/api/v1/attendance/summary?month={m}&department_id={dept}&limit={SUMMARY_PAGE}"
                );
                if let Some(c) = &cursor {
                    path.push_str(&format!("&cursor={c}"));
                }
                let r = h.send(w, "GET", &path, Some(&t), None, None).await?;
                if r.status != 200 {
                    return Ok(r.status);
                }
                let v: serde_json::Value =
                    serde_json::from_slice(&r.body).map_err(|e| e.to_string())?;
                rows += v
                    .get("data")
                    .and_then(|d| d.as_array())
                    .map_or(0, |a| a.len() as i64);
                match v.get("next_cursor").and_then(|c| c.as_str()) {
                    Some(c) => cursor = Some(c.to_string()),
                    None => break,
                }
            }
            if rows == expected {
                Ok(200)
            } else {
                Err(format!("the summary walk gave {rows} rows, not {expected}"))
            }
        }
    });
    println!("bench: attendance summary of {month}, the whole walk one at a time");
    let summary_walk = drive(cfg, 1, &[200], &walk).await;
    println!(
        "  p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        summary_walk.p50_ms, summary_walk.p99_ms, summary_walk.max_ms
    );
    let (h, t, s) = (http.clone(), token.to_string(), sample.clone());
    let days = call(move |w, i| {
        let (h, t, s) = (h.clone(), t.clone(), s.clone());
        async move {
            let path = format!(
                "/api/v1/attendance/days?employee_id={}&from={from}&to={to}",
                s.attendance_employee(w, i)
            );
            h.status(w, &path, &t).await
        }
    });
    println!("bench: attendance days of one employee's month, one at a time");
    let days_alone = drive(cfg, 1, &[200], &days).await;
    println!(
        "  p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        days_alone.p50_ms, days_alone.p99_ms, days_alone.max_ms
    );
    HrReport {
        employees: sample.employees.len() as i64,
        attendance_employees: expected,
        month,
        as_of: sample.as_of().to_string(),
        punches: sample.punches,
        leave_requests: sample.requests,
        summary_pages: (expected as usize).div_ceil(SUMMARY_PAGE).max(1),
        summary_walk: Some(summary_walk),
        days_alone: Some(days_alone),
    }
}
