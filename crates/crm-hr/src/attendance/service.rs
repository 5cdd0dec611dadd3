//! The attendance use cases: punches, HR records, days and the monthly summary.

use super::days::{AttendanceDay, DayInputs, Punch, StatusCounts, derive};
use super::records::{
    AttendanceInput, AttendancePatch, AttendanceRecord, AttendanceRecordId, AttendanceSource,
    CheckInput, NOTE_MAX,
};
use crate::employees::{Employee, EmployeeId, EmployeeStatus};
use crate::ports::HrPorts;
use crate::recruitment::common::instant;
use crate::requirements::{AttendanceDelete, AttendanceRead, AttendanceWrite};
use crate::schedule::Schedule;
use crate::work_schedules::WorkScheduleId;
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc};
use crm_domain::activity::audit;
use crm_domain::kernel::input::{Errors, invalid, text};
use crm_domain::kernel::pagination::{ListQuery, Page};
use crm_domain::kernel::records::{Crud, conflict};
use crm_domain::kernel::scope::{require, require_all};
use crm_domain::kernel::text::optional_text;
use crm_domain::{Actor, DomainError, OrganizationId, Scope, StoreError, ValueError};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// The longest range of days one request derives.
pub const MAX_DAYS: i64 = 366;

/// `GET /attendance/days`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DaysQuery {
    /// Default: the caller's own employee record.
    pub employee_id: Option<EmployeeId>,
    /// Default: the first of the organization's current month.
    pub from: Option<NaiveDate>,
    /// Default: the last day of `from`'s month.
    pub to: Option<NaiveDate>,
}

/// `GET /attendance/summary`.
#[derive(Clone, Debug, PartialEq)]
pub struct SummaryQuery {
    /// `YYYY-MM`; default the organization's current month.
    pub month: Option<String>,
    /// The page of employees (the employee list's filters, sort and cursor).
    pub employees: ListQuery,
}

/// One employee's month.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "id": "019cd0a0-1c00-7d21-9a3e-5b7f1e2d3c41",
    "employee_id": "019cd0a0-1c00-7d21-9a3e-5b7f1e2d3c41",
    "employee_number": "EMP-0007",
    "first_name": "Ana",
    "last_name": "Lopez",
    "department_id": null,
    "month": "2026-03",
    "present": 15, "late": 2, "half_day": 1, "absent": 1, "on_leave": 2,
    "holiday": 1, "weekend": 9, "unset": 0,
    "worked_minutes": 8160, "late_minutes": 55
})))]
pub struct EmployeeSummary {
    /// The employee's id: the row of a page of employees.
    pub id: EmployeeId,
    pub employee_id: EmployeeId,
    pub employee_number: String,
    pub first_name: String,
    pub last_name: String,
    pub department_id: Option<uuid::Uuid>,
    /// `YYYY-MM`.
    pub month: String,
    #[serde(flatten)]
    pub counts: StatusCounts,
}

fn note(raw: Option<&str>) -> Result<Option<String>, ValueError> {
    optional_text(raw, "note", NOTE_MAX, false)
}

/// `YYYY-MM` → its first and last days.
pub fn month_range(raw: &str) -> Result<(NaiveDate, NaiveDate), ValueError> {
    let bad = || ValueError::new("invalid", "must be a month as YYYY-MM (2026-03)");
    let (y, m) = raw.trim().split_once('-').ok_or_else(bad)?;
    if y.len() != 4 || m.len() != 2 {
        return Err(bad());
    }
    let y: i32 = y.parse().map_err(|_| bad())?;
    let m: u32 = m.parse().map_err(|_| bad())?;
    if !(2000..=2037).contains(&y) {
        return Err(ValueError::new(
            "out_of_range",
            "must be from 2000-01 to 2037-12",
        ));
    }
    let first = NaiveDate::from_ymd_opt(y, m, 1).ok_or_else(bad)?;
    Ok((first, month_end(first)))
}

fn month_end(d: NaiveDate) -> NaiveDate {
    let first = d.with_day(1).unwrap_or(d);
    first
        .checked_add_months(chrono::Months::new(1))
        .and_then(|n| n.pred_opt())
        .unwrap_or(d)
}

fn midnight_utc(d: NaiveDate) -> DateTime<Utc> {
    d.and_time(NaiveTime::MIN).and_utc()
}

fn check_order(
    errors: &mut Errors,
    check_in_at: Option<DateTime<Utc>>,
    check_out_at: Option<DateTime<Utc>>,
) {
    if let (Some(i), Some(o)) = (check_in_at, check_out_at)
        && o <= i
    {
        errors.add(
            "check_out_at",
            "not_after_check_in",
            "must be after check_in_at",
        );
    }
}

/// A value error as the `422` of `field`.
fn at(field: &'static str) -> impl Fn(ValueError) -> DomainError {
    move |e| DomainError::Invalid(vec![e.into_field(field)])
}

fn open_conflict(existing: &AttendanceRecord) -> DomainError {
    DomainError::Conflict {
        code: "attendance-open",
        message: "an earlier check-in is still open: check out first".into(),
        existing_id: Some(existing.id.0),
    }
}

fn overlap_conflict(existing: &AttendanceRecord) -> DomainError {
    DomainError::Conflict {
        code: "attendance-overlap",
        message: "the punch overlaps another punch of the same person".into(),
        existing_id: Some(existing.id.0),
    }
}

/// A caller without an employee record punches and reads no days of their own: `404`, as
/// for a record outside their reach.
fn no_employee_record() -> DomainError {
    DomainError::NotFound
}

/// Attendance: punches, HR records, days and summaries.
#[derive(Clone)]
pub struct AttendanceService {
    p: HrPorts,
}

impl AttendanceService {
    pub fn new(ports: HrPorts) -> Self {
        Self { p: ports }
    }

    fn crud(&self) -> Crud<'_, AttendanceRecord> {
        Crud::new(&*self.p.tx, &*self.p.attendance, &*self.p.activities)
    }

    async fn caller_employee(&self, actor: &Actor) -> Result<Option<Employee>, DomainError> {
        Ok(self
            .p
            .employee_store
            .by_user(actor.organization_id, actor.user_id)
            .await?)
    }

    /// `Some(None)`: every record; `Some(Some(e))`: only `e`'s (`:own`); `None`: nothing (a
    /// caller under `:own` without an employee record).
    async fn reach(
        &self,
        actor: &Actor,
        scope: Scope,
    ) -> Result<Option<Option<EmployeeId>>, DomainError> {
        match scope {
            Scope::All => Ok(Some(None)),
            Scope::Own => Ok(self.caller_employee(actor).await?.map(|e| Some(e.id))),
        }
    }

    /// Needs `attendance:read`; under `:own` the caller's own punches.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn list(
        &self,
        actor: &Actor,
        query: &ListQuery,
    ) -> Result<Page<AttendanceRecord>, DomainError> {
        let scope = require::<AttendanceRead>(actor)?;
        let Some(employee) = self.reach(actor, scope).await? else {
            return Ok(Page {
                data: Vec::new(),
                next_cursor: None,
                total: query.count.then_some(0),
            });
        };
        Ok(self
            .p
            .attendance
            .list(actor.organization_id, query, employee)
            .await?)
    }

    /// Needs `attendance:read`; `404` when missing, of another organization or (under
    /// `:own`) not the caller's own.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn get(
        &self,
        actor: &Actor,
        id: AttendanceRecordId,
    ) -> Result<AttendanceRecord, DomainError> {
        let scope = require::<AttendanceRead>(actor)?;
        let r = self.p.attendance.get(actor.organization_id, id).await?;
        match self.reach(actor, scope).await? {
            Some(None) => Ok(r),
            Some(Some(mine)) if mine == r.employee_id => Ok(r),
            _ => Err(DomainError::NotFound),
        }
    }

    /// The caller's employee record for a punch: `404` without one, `409` when terminated.
    async fn puncher(&self, actor: &Actor) -> Result<Employee, DomainError> {
        require::<AttendanceWrite>(actor)?;
        let e = self
            .caller_employee(actor)
            .await?
            .ok_or_else(no_employee_record)?;
        if e.status == EmployeeStatus::Terminated {
            return Err(DomainError::conflict(
                "employee-terminated",
                "the employee is terminated: they punch no more",
            ));
        }
        Ok(e)
    }

    /// `POST /attendance/check-in`: needs `attendance:write` (own or all). In one
    /// transaction, the caller's employee row locked: `409 attendance-open` while a punch
    /// of theirs is open, `409 attendance-overlap` when one ends after now; else the punch
    /// opens at now (`attendance.checked_in`).
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn check_in(
        &self,
        actor: &Actor,
        input: CheckInput,
    ) -> Result<AttendanceRecord, DomainError> {
        let employee = self.puncher(actor).await?;
        let note = note(input.note.as_deref()).map_err(at("note"))?;
        let org = actor.organization_id;
        let mut tx = self.p.tx.begin().await?;
        self.p
            .employees
            .get_for_update(&mut tx, org, employee.id)
            .await?;
        let now = self.p.now();
        let in_the_way = self
            .p
            .attendance_store
            .overlapping(&mut tx, org, employee.id, now, None, None)
            .await?;
        if let Some(open) = in_the_way.iter().find(|r| r.check_out_at.is_none()) {
            return Err(open_conflict(open));
        }
        if let Some(r) = in_the_way.first() {
            return Err(overlap_conflict(r));
        }
        let record = AttendanceRecord {
            id: AttendanceRecordId::new(),
            organization_id: org,
            employee_id: employee.id,
            check_in_at: now,
            check_out_at: None,
            note,
            source: AttendanceSource::SelfService,
            legacy_id: None,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        self.p
            .attendance
            .create(&mut tx, &record)
            .await
            .map_err(|e| match e {
                // The unique key on the open punch: a racing check-in won.
                StoreError::Conflict { .. } => DomainError::conflict(
                    "attendance-open",
                    "an earlier check-in is still open: check out first",
                ),
                other => other.into(),
            })?;
        self.p
            .activities
            .record(
                &mut tx,
                audit::created(actor, &record).as_event("checked_in"),
            )
            .await?;
        tx.commit().await?;
        Ok(record)
    }

    /// `POST /attendance/check-out`: needs `attendance:write` (own or all). Closes the
    /// caller's open punch at now (`409 attendance-not-open` without one); a `note` given
    /// replaces the punch's (`attendance.checked_out`).
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn check_out(
        &self,
        actor: &Actor,
        input: CheckInput,
    ) -> Result<AttendanceRecord, DomainError> {
        let employee = self.puncher(actor).await?;
        let note = match input.note {
            Some(n) => Some(note(Some(&n)).map_err(at("note"))?),
            None => None,
        };
        let org = actor.organization_id;
        let mut tx = self.p.tx.begin().await?;
        self.p
            .employees
            .get_for_update(&mut tx, org, employee.id)
            .await?;
        let now = self.p.now();
        let not_open = || {
            DomainError::conflict(
                "attendance-not-open",
                "no check-in of yours is open (or it starts later than now)",
            )
        };
        let current = self
            .p
            .attendance_store
            .open_of(&mut tx, org, employee.id)
            .await?
            .ok_or_else(not_open)?;
        if current.check_in_at >= now {
            return Err(not_open());
        }
        let mut next = current.clone();
        next.check_out_at = Some(now);
        if let Some(n) = note {
            next.note = n;
        }
        let next = crm_domain::kernel::records::Record::touched(next, now);
        self.crud()
            .change(actor, tx, "checked_out", &current, next, None)
            .await
    }

    /// The employee of an HR record, read locked in `tx` (`422 employee_id` when gone).
    async fn lock_employee(
        &self,
        tx: &mut crm_domain::Txn,
        org: OrganizationId,
        employee: EmployeeId,
    ) -> Result<(), DomainError> {
        match self.p.employees.get_for_update(tx, org, employee).await {
            Ok(_) => Ok(()),
            Err(StoreError::NotFound) => {
                Err(invalid("employee_id", "not_found", "no such employee"))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// `POST /attendance`: needs `attendance:write` over all records. `422` per bad field
    /// (an unknown employee, instants outside 2000–2037, `check_out_at` not after
    /// `check_in_at`); `409 attendance-overlap` over another punch of the person, checked
    /// under their row's lock.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn create(
        &self,
        actor: &Actor,
        input: AttendanceInput,
    ) -> Result<AttendanceRecord, DomainError> {
        require_all::<AttendanceWrite>(actor)?;
        let org = actor.organization_id;
        let mut errors = Errors::new();
        let found = self.p.employees.get(org, input.employee_id).await;
        errors.reference("employee_id", "employee", found)?;
        let check_in_at = errors.take("check_in_at", instant(&input.check_in_at));
        let check_out_at = match input.check_out_at.as_deref() {
            Some(raw) => errors.take("check_out_at", instant(raw)),
            None => None,
        };
        check_order(&mut errors, check_in_at, check_out_at);
        let note = errors.value("note", note(input.note.as_deref()));
        errors.finish()?;
        let Some(check_in_at) = check_in_at else {
            return Err(DomainError::Unexpected("check_in_at checked".into()));
        };
        let mut tx = self.p.tx.begin().await?;
        self.lock_employee(&mut tx, org, input.employee_id).await?;
        let in_the_way = self
            .p
            .attendance_store
            .overlapping(
                &mut tx,
                org,
                input.employee_id,
                check_in_at,
                check_out_at,
                None,
            )
            .await?;
        if let Some(r) = in_the_way.first() {
            return Err(overlap_conflict(r));
        }
        let now = self.p.now();
        let record = AttendanceRecord {
            id: AttendanceRecordId::new(),
            organization_id: org,
            employee_id: input.employee_id,
            check_in_at,
            check_out_at,
            note,
            source: AttendanceSource::Hr,
            legacy_id: None,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        self.crud()
            .create_in(actor, tx, record)
            .await
            .map_err(conflict(
                "attendance-overlap",
                "the person already has an open punch",
            ))
    }

    /// `PATCH /attendance/{id}`: needs `attendance:write` over all records; `412` on a
    /// stale `If-Match`; the same checks as a creation, the record itself left out of the
    /// overlap.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn update(
        &self,
        actor: &Actor,
        id: AttendanceRecordId,
        expected_version: Option<i64>,
        patch: AttendancePatch,
    ) -> Result<AttendanceRecord, DomainError> {
        require_all::<AttendanceWrite>(actor)?;
        let org = actor.organization_id;
        // The person first, then the record: every writer of a person's punches locks in
        // that order.
        let employee = self.p.attendance.get(org, id).await?.employee_id;
        let mut tx = self.p.tx.begin().await?;
        self.p
            .employees
            .get_for_update(&mut tx, org, employee)
            .await?;
        let current = self
            .crud()
            .locked(&mut tx, actor, id, expected_version, Ok)
            .await?;
        let mut errors = Errors::new();
        let mut next = current.clone();
        errors.patch(
            "check_in_at",
            &mut next.check_in_at,
            patch.check_in_at.as_deref().map(instant),
        );
        errors.patch(
            "check_out_at",
            &mut next.check_out_at,
            patch
                .check_out_at
                .as_ref()
                .map(|v| v.as_deref().map(instant).transpose()),
        );
        errors.patch("note", &mut next.note, text(&patch.note, note));
        errors.finish()?;
        let mut errors = Errors::new();
        check_order(&mut errors, Some(next.check_in_at), next.check_out_at);
        errors.finish()?;
        if next != current {
            let in_the_way = self
                .p
                .attendance_store
                .overlapping(
                    &mut tx,
                    org,
                    employee,
                    next.check_in_at,
                    next.check_out_at,
                    Some(id),
                )
                .await?;
            if let Some(r) = in_the_way.first() {
                return Err(overlap_conflict(r));
            }
        }
        self.crud()
            .save(actor, tx, current, next, self.p.now())
            .await
            .map_err(conflict(
                "attendance-overlap",
                "the person already has an open punch",
            ))
    }

    /// `DELETE /attendance/{id}`: needs `attendance:delete` over all records.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn delete(&self, actor: &Actor, id: AttendanceRecordId) -> Result<(), DomainError> {
        require_all::<AttendanceDelete>(actor)?;
        self.crud().delete(actor, id, Ok).await
    }

    /// `GET /attendance/days`: needs `attendance:read`; under `:own` only the caller's own
    /// (another employee `404`). An employee not of the organization is `404`; no
    /// `employee_id` and no employee record of the caller is `422 employee_id`. `to` before
    /// `from`, or more than [`MAX_DAYS`] days, is `422 to`.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn days(
        &self,
        actor: &Actor,
        query: DaysQuery,
    ) -> Result<Vec<AttendanceDay>, DomainError> {
        let scope = require::<AttendanceRead>(actor)?;
        let org = actor.organization_id;
        let employee = match query.employee_id {
            Some(id) => {
                let e = self.p.employees.get(org, id).await?;
                if scope == Scope::Own
                    && self.caller_employee(actor).await?.map(|m| m.id) != Some(e.id)
                {
                    return Err(DomainError::NotFound);
                }
                e
            }
            None => self
                .caller_employee(actor)
                .await?
                .ok_or_else(no_employee_record)?,
        };
        let from = match query.from {
            Some(f) => f,
            None => self.p.today(org).await?.with_day(1).unwrap_or_default(),
        };
        let to = query.to.unwrap_or_else(|| month_end(from));
        if to < from {
            return Err(invalid("to", "out_of_range", "must not be before from"));
        }
        if (to - from).num_days() >= MAX_DAYS {
            return Err(invalid(
                "to",
                "out_of_range",
                format!("at most {MAX_DAYS} days from from"),
            ));
        }
        let mut all = self.derive_for(org, &[employee], from, to).await?;
        Ok(all.pop().map(|(_, d)| d).unwrap_or_default())
    }

    /// `GET /attendance/summary`: needs `attendance:read`; under `:own` the caller's own row
    /// only. One page of employees (the employee list's query), each with their month.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn summary(
        &self,
        actor: &Actor,
        query: SummaryQuery,
    ) -> Result<Page<EmployeeSummary>, DomainError> {
        let scope = require::<AttendanceRead>(actor)?;
        let org = actor.organization_id;
        let (from, to) = match query.month.as_deref() {
            Some(m) => month_range(m).map_err(at("month"))?,
            None => {
                let today = self.p.today(org).await?;
                let first = today.with_day(1).unwrap_or(today);
                (first, month_end(first))
            }
        };
        let owner = match scope {
            Scope::All => None,
            Scope::Own => Some(actor.user_id),
        };
        let page = self.p.employees.list(org, &query.employees, owner).await?;
        let derived = self.derive_for(org, &page.data, from, to).await?;
        let month = from.format("%Y-%m").to_string();
        let data = page
            .data
            .iter()
            .zip(derived)
            .map(|(e, (_, days))| EmployeeSummary {
                id: e.id,
                employee_id: e.id,
                employee_number: e.employee_number.clone(),
                first_name: e.first_name.clone(),
                last_name: e.last_name.clone(),
                department_id: e.department_id.map(|d| d.0),
                month: month.clone(),
                counts: StatusCounts::of(&days),
            })
            .collect();
        Ok(Page {
            data,
            next_cursor: page.next_cursor,
            total: page.total,
        })
    }

    /// The days of each of `employees` from `from` to `to`, in their order: a few set-based
    /// reads (their schedules, the holidays, their leave, their punches), then pure
    /// derivation.
    async fn derive_for(
        &self,
        org: OrganizationId,
        employees: &[Employee],
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(EmployeeId, Vec<AttendanceDay>)>, DomainError> {
        if employees.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<EmployeeId> = employees.iter().map(|e| e.id).collect();
        let mut schedules: HashMap<WorkScheduleId, Schedule> = HashMap::new();
        for e in employees {
            if schedules.contains_key(&e.work_schedule_id) {
                continue;
            }
            let s = match self.p.schedules.get(org, e.work_schedule_id).await {
                Ok(s) => s,
                Err(StoreError::NotFound) => self.p.default_schedule(org).await?,
                Err(err) => return Err(err.into()),
            };
            schedules.insert(e.work_schedule_id, s.schedule());
        }
        let holidays: HashSet<NaiveDate> = self
            .p
            .holiday_store
            .dates_between(org, from, to)
            .await?
            .into_iter()
            .collect();
        let leave = self
            .p
            .leave_calendar
            .approved_between(org, &ids, from, to)
            .await?;
        // A punch belongs to the local date of its check-in (or the day before, in a night
        // shift): with zones up to 14 hours from UTC, a day's punches check in between the
        // UTC day before it and the UTC day after the next.
        let window_from = midnight_utc(from - Duration::days(1));
        let window_to = midnight_utc(to + Duration::days(3));
        let punches = self
            .p
            .attendance_store
            .punches_between(org, &ids, window_from, window_to)
            .await?;
        let mut punches_of: HashMap<EmployeeId, Vec<Punch>> = HashMap::new();
        for (e, p) in punches {
            punches_of.entry(e).or_default().push(p);
        }
        let mut leave_of: HashMap<EmployeeId, Vec<_>> = HashMap::new();
        for l in leave {
            leave_of.entry(l.employee_id).or_default().push(l);
        }
        let now = self.p.now();
        let standard = Schedule::standard(chrono_tz::Tz::UTC);
        Ok(employees
            .iter()
            .map(|e| {
                let inputs = DayInputs {
                    employee_id: e.id,
                    schedule: schedules.get(&e.work_schedule_id).unwrap_or(&standard),
                    holidays: &holidays,
                    leave: leave_of.get(&e.id).map(Vec::as_slice).unwrap_or(&[]),
                    punches: punches_of.get(&e.id).map(Vec::as_slice).unwrap_or(&[]),
                    employed_from: e.hire_date,
                    employed_to: e.termination_date,
                    now,
                };
                (e.id, derive(&inputs, from, to))
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_are_yyyy_mm_in_the_storable_years() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        assert_eq!(
            month_range("2026-02").unwrap(),
            (d("2026-02-01"), d("2026-02-28"))
        );
        assert_eq!(
            month_range("2028-02").unwrap(),
            (d("2028-02-01"), d("2028-02-29"))
        );
        assert_eq!(
            month_range("2026-12").unwrap(),
            (d("2026-12-01"), d("2026-12-31"))
        );
        for bad in ["2026-13", "2026-1", "26-01", "2026-00", "march", ""] {
            assert_eq!(month_range(bad).unwrap_err().code, "invalid", "{bad}");
        }
        assert_eq!(month_range("1999-12").unwrap_err().code, "out_of_range");
    }
}
