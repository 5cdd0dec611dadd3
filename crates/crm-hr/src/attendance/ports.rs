//! What attendance stores besides its `Records<AttendanceRecord>`: the punches in a
//! person's way, and the punches the days are derived from.

use super::days::Punch;
use super::records::{AttendanceRecord, AttendanceRecordId};
use crate::employees::EmployeeId;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use crm_domain::{OrganizationId, StoreError, Txn};

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait AttendanceStore: Send + Sync {
    /// The punches of `employee` sharing time with `[from, to)` (`to` none: reaching
    /// forever; an open punch reaches forever too), but `except`, oldest first, read in `tx`:
    /// the caller holds the employee's row, so none is written meanwhile.
    async fn overlapping(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        employee: EmployeeId,
        from: DateTime<Utc>,
        to: Option<DateTime<Utc>>,
        except: Option<AttendanceRecordId>,
    ) -> Result<Vec<AttendanceRecord>, StoreError>;

    /// The open punch of `employee`, if any, read and locked in `tx`.
    async fn open_of(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        employee: EmployeeId,
    ) -> Result<Option<AttendanceRecord>, StoreError>;

    /// The punches of `employees` (of `org`) checked in from `from` (included) to `to`
    /// (excluded), in a few set-based reads whatever the number of employees.
    async fn punches_between(
        &self,
        org: OrganizationId,
        employees: &[EmployeeId],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<(EmployeeId, Punch)>, StoreError>;
}
