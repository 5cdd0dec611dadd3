//! What leave stores besides its `Records<…>`: a person's whole leave history in one read
//! (the balance replay's inputs), the active types, and who approves.

use super::balance::{LedgerRow, RequestFacts};
use super::counting::LeaveSpan;
use super::types::{LeaveType, LeaveTypeId};
use super::{LeaveRequestId, LeaveStatus};
use crate::employees::EmployeeId;
use async_trait::async_trait;
use crm_domain::{OrganizationId, StoreError, Txn, UserId};

/// One stored request as the overlap rule and the balance replay read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredRequest {
    pub id: LeaveRequestId,
    pub leave_type_id: LeaveTypeId,
    pub span: LeaveSpan,
    pub status: LeaveStatus,
    pub facts: RequestFacts,
}

/// A person's leave rows: every request and adjustment, of every type.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PersonLeave {
    pub requests: Vec<StoredRequest>,
    /// `(type, adjustment row)`.
    pub adjustments: Vec<(LeaveTypeId, LedgerRow)>,
}

impl PersonLeave {
    /// The engine's inputs for one leave type: its adjustments and its requests.
    pub fn of_type(&self, t: LeaveTypeId) -> (Vec<LedgerRow>, Vec<RequestFacts>) {
        (
            self.adjustments
                .iter()
                .filter(|(ty, _)| *ty == t)
                .map(|(_, r)| *r)
                .collect(),
            self.requests
                .iter()
                .filter(|r| r.leave_type_id == t)
                .map(|r| r.facts.clone())
                .collect(),
        )
    }
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait LeaveStore: Send + Sync {
    /// The organization's active leave types, by name (then id).
    async fn active_types(&self, org: OrganizationId) -> Result<Vec<LeaveType>, StoreError>;

    /// Every request and adjustment of `employee` (two queries, whatever the number of
    /// types), read on the pool.
    async fn history(
        &self,
        org: OrganizationId,
        employee: EmployeeId,
    ) -> Result<PersonLeave, StoreError>;

    /// As [`Self::history`], read inside `tx` (whose caller holds the person's row, so no
    /// request or adjustment of theirs is written meanwhile).
    async fn history_in(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        employee: EmployeeId,
    ) -> Result<PersonLeave, StoreError>;

    /// The active users holding `leave_requests:approve` (through a role, or the admin
    /// role), by id.
    async fn approvers(&self, org: OrganizationId) -> Result<Vec<UserId>, StoreError>;
}
