//! Leave (contract section 8, leave types, balances, ledger and requests): the pure rules.
//! [`counting`] turns a request's dates into its `days` and says which requests overlap;
//! [`balance`] replays a person's policy, hire date, adjustments and requests into a
//! balance and its ledger. Services, stores and routes build on these.
//!
//! The leave year is the calendar year (`allowance_days` is "per calendar year"): see
//! [`leave_year`].

pub mod balance;
pub mod balances;
pub mod counting;
pub mod ports;
pub mod requests;
#[cfg(test)]
mod tests;
pub mod types;

pub use balances::{LeaveAdjustment, LeaveAdjustmentId, LeaveBalanceService};
#[cfg(any(test, feature = "mocks"))]
pub use ports::MockLeaveStore;
pub use ports::{LeaveStore, PersonLeave, StoredRequest};
pub use requests::{LEAVE_REQUEST_LIST_SPEC, LeaveRequest, LeaveRequestService};
pub use types::{LEAVE_TYPE_LIST_SPEC, LeaveType, LeaveTypeId, LeaveTypeService};

use crate::employees::EmployeeId;
use async_trait::async_trait;
use chrono::{Datelike, NaiveDate};
use crm_domain::{OrganizationId, StoreError};
use serde::{Deserialize, Serialize};

crm_domain::typed_id!(
    /// A leave request.
    LeaveRequestId
);

/// A request's state: only `pending` and `approved` requests hold days.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LeaveStatus {
    Pending,
    Approved,
    Rejected,
    Cancelled,
}

impl LeaveStatus {
    pub const ALL: [LeaveStatus; 4] = [
        LeaveStatus::Pending,
        LeaveStatus::Approved,
        LeaveStatus::Rejected,
        LeaveStatus::Cancelled,
    ];

    /// Whether a request in this state counts against the balance and blocks an
    /// overlapping request (`pending` or `approved`).
    pub fn holds_days(self) -> bool {
        matches!(self, LeaveStatus::Pending | LeaveStatus::Approved)
    }
}

/// The half of a single day a half-day request takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum HalfDay {
    Am,
    Pm,
}

/// An approved leave request as the attendance days and the agenda read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApprovedLeave {
    pub id: LeaveRequestId,
    pub employee_id: EmployeeId,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    /// The half of the single day `start_date` = `end_date` it takes, if only a half.
    pub half_day: Option<HalfDay>,
}

/// Approved leave by date range: what other areas (attendance days, the calendar) read of the
/// leave requests, without the leave services.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait LeaveCalendar: Send + Sync {
    /// The approved requests of `employees` (of `org`) that touch `from..=to`, by employee
    /// and start date.
    async fn approved_between(
        &self,
        org: OrganizationId,
        employees: &[EmployeeId],
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<ApprovedLeave>, StoreError>;
}

/// The leave year of `date`: its calendar year.
pub fn leave_year(date: NaiveDate) -> i32 {
    date.year()
}

/// 1 January of `year` (the first day of a leave year), saturating at chrono's range.
pub fn year_start(year: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(if year < 0 {
        NaiveDate::MIN
    } else {
        NaiveDate::MAX
    })
}

/// 31 December of `year`.
pub fn year_end(year: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(if year < 0 {
        NaiveDate::MIN
    } else {
        NaiveDate::MAX
    })
}

/// 365 or 366.
pub fn days_in_year(year: i32) -> i64 {
    (year_end(year) - year_start(year)).num_days() + 1
}
