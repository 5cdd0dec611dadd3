//! Contracts with clients: numbered on creation (`CT-YYYY-NNNN`), activated, terminated early,
//! renewed by hand or by the server. Once per contract and date, on the first poll after it
//! falls due ([`ContractJob`]), an active contract past its end is renewed when it says so,
//! else expired, and from its notice date on its owner is told once
//! (`contract.notice_due`).
//!
//! Permissions: `contracts:read|write|delete`, over all the organization's contracts (the
//! catalogue has no `:own` form); a client the caller cannot see is `422 client_id`.

mod job;
mod model;
mod service;
#[cfg(test)]
mod tests;

pub use job::ContractJob;
pub use model::{
    CONTRACT_COUNTER, CONTRACT_LIST_SPEC, Contract, ContractId, ContractInput, ContractPatch,
    ContractStatus, TerminateInput, notice_date, successor_term,
};
pub use service::{ContractService, owner_of};

use async_trait::async_trait;
use chrono::NaiveDate;
use crm_domain::files::FileId;
use crm_domain::{OrganizationId, StoreError, Txn};

/// What contracts need besides their own rows (`Records<Contract>`): the scheduled job's
/// queries and a check of the files they name.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ContractLookups: Send + Sync {
    /// Active contracts, of every organization, whose end is before `horizon` (oldest end
    /// first), at most `limit`.
    async fn ended_before(
        &self,
        horizon: NaiveDate,
        limit: u64,
    ) -> Result<Vec<(OrganizationId, ContractId)>, StoreError>;

    /// Active contracts, of every organization, whose notice date is on or before `horizon`
    /// and whose owner has not been told of that date, at most `limit`.
    async fn notice_before(
        &self,
        horizon: NaiveDate,
        limit: u64,
    ) -> Result<Vec<(OrganizationId, ContractId)>, StoreError>;

    /// The contract `id` read inside `tx` and held until it ends, skipped (`None`) while
    /// another transaction holds it, so instances share the job's work without waiting.
    async fn claim(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: ContractId,
    ) -> Result<Option<Contract>, StoreError>;

    /// Marks that the owner was told of notice date `date`, without a new version (the
    /// record as clients see it does not change).
    async fn mark_notice_told(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: ContractId,
        date: NaiveDate,
    ) -> Result<(), StoreError>;

    /// Whether `file` is a file of `org`.
    async fn file_exists(&self, org: OrganizationId, file: FileId) -> Result<bool, StoreError>;
}
