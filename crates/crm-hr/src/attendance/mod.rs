//! Attendance (contract section 8): punches (`POST /attendance/check-in`, `/check-out`),
//! records written by HR (`/attendance`), and the days and monthly summaries derived from
//! them, never stored.
//!
//! Rules, including the points the contract leaves open and what was chosen:
//! - **A punch** is an [`AttendanceRecord`]: `employee_id`, `check_in_at`, `check_out_at`
//!   (`null` while open), `note`, `source` (`self` for the person's own check-in, `hr` for a
//!   record written through `/attendance`). Instants are RFC 3339 with an offset, from 2000
//!   to the end of 2037 (what every backend stores, as the interviews do).
//! - **Check-in** takes the caller's own employee record; a caller without one is `404` (the
//!   record the punch would belong to is not there, as for a record outside one's reach; the
//!   body has no field to name in a `422`). A terminated employee is `409 employee-terminated`. While one of the person's
//!   punches is open it is `409 attendance-open` (its `existing_id`); a punch of theirs that
//!   ends after now (an HR record ahead of time) is `409 attendance-overlap`.
//! - **Check-out** closes the caller's open punch at now (`409 attendance-not-open` when there
//!   is none); its body's `note`, when given, replaces the punch's note.
//! - **One open punch per person** holds under concurrency twice over: every write of a
//!   person's punches first locks their employee row (so the check for an open or
//!   overlapping punch and the write run one at a time per person), and the table's unique
//!   key on `(organization_id, open_employee_id)` (the employee while the punch is open,
//!   `NULL` once closed) refuses a second open punch whatever the code does.
//! - **HR records** (`attendance:write` over all records): `check_out_at` after
//!   `check_in_at` (`422 check_out_at`, `not_after_check_in`), or `null` for an open punch; a record overlapping
//!   another of the same person (`[check_in_at, check_out_at)`, an open one reaching
//!   forever) is `409 attendance-overlap` (`existing_id`), checked under the person's lock.
//!   The employee of a record is fixed once written. `source` stays what it was.
//! - **`:own`** (`attendance:read:own`, `attendance:write:own`, the `employee` role): the
//!   caller's punches through their employee record: list, read, days and summary show only
//!   theirs (another person's record or days `404`); `write:own` checks in and out only;
//!   records are written, changed and deleted by holders of `attendance:write` /
//!   `attendance:delete` over all records.
//! - **Days** ([`days`]): see the module's rules. `GET /attendance/days` defaults to the
//!   caller's own employee (none: `404`) and to the current month (the organization's
//!   today); `to` not before `from` and at most 366 days after it (`422 to`).
//! - **Summary**: one page of employees (cursor, `limit` and `sort` as the employee list,
//!   `department_id` filter), each with the counts of each status over the month (default
//!   the current one), worked and late minutes. A page, because an organization's thousand
//!   employees are read a table page at a time like every other list; each page is a few
//!   set-based reads (punches, leave, holidays, schedules), derived in memory.
//! - **Events**: `attendance.checked_in`, `attendance.checked_out`, `attendance.created`,
//!   `attendance.updated`, `attendance.deleted`, each with its audit entry in the writing
//!   transaction.

pub mod days;
pub mod ports;
pub mod records;
pub mod service;

#[cfg(test)]
mod tests;

pub use days::{AttendanceDay, DayInputs, DayStatus, Punch, StatusCounts, derive};
pub use ports::AttendanceStore;
#[cfg(any(test, feature = "mocks"))]
pub use ports::MockAttendanceStore;
pub use records::{
    ATTENDANCE_LIST_SPEC, AttendanceInput, AttendancePatch, AttendanceRecord, AttendanceRecordId,
    AttendanceSource, CheckInput,
};
pub use service::{AttendanceService, DaysQuery, EmployeeSummary, MAX_DAYS, SummaryQuery};
