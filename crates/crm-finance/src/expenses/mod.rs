//! Expenses: what members of the organization paid and claim back. A draft is the
//! submitter's to edit; submitted, it waits for someone with `expenses:approve` (never the
//! submitter), who approves it (in full or in part) or rejects it with a reason; approved, it
//! is reimbursed. Every other move is `409 expense-status`.
//!
//! `:own` is the expenses the caller submitted (`submitted_by`). The approvers are told of a
//! submission, the submitter of the decision and of the reimbursement (`requirements`).

mod model;
mod service;
#[cfg(test)]
mod tests;

pub use model::{
    ApproveInput, EXPENSE_LIST_SPEC, Expense, ExpenseId, ExpenseInput, ExpensePatch, ExpenseStatus,
    RejectInput,
};
pub use service::{ExpenseService, submitter_of};

use async_trait::async_trait;
use crm_domain::files::FileId;
use crm_domain::{OrganizationId, StoreError, Txn, UserId};

/// What expenses look up besides their own rows (which are `Records<Expense>`, scoped by
/// `submitted_by`).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ExpenseLookups: Send + Sync {
    /// The active users of `org` who may approve expenses (`expenses:approve` through one of
    /// their roles, the system `admin` role included), in id order.
    async fn approvers(&self, org: OrganizationId) -> Result<Vec<UserId>, StoreError>;

    /// The user of the manager of the employee whose user is `user` (the reporting line of
    /// contract section 8): `None` when `user` is no employee's, the employee has no manager,
    /// or the manager no user.
    async fn manager_user(
        &self,
        org: OrganizationId,
        user: UserId,
    ) -> Result<Option<UserId>, StoreError>;

    /// Whether `file` is a file of `org` (a receipt).
    async fn file_exists(&self, org: OrganizationId, file: FileId) -> Result<bool, StoreError>;

    /// The expenses project invoicing bills: of `project`, approved or reimbursed,
    /// billable, in `currency`, on no invoice, incurred on or before `up_to` when given;
    /// read and locked in `tx`, oldest first.
    async fn billable_for_project(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        project: uuid::Uuid,
        currency: crm_domain::Currency,
        up_to: Option<chrono::NaiveDate>,
    ) -> Result<Vec<Expense>, StoreError>;

    /// Sets `invoice` on the expenses `ids` (one version on each), in `tx`.
    async fn mark_invoiced(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        ids: &[ExpenseId],
        invoice: uuid::Uuid,
    ) -> Result<(), StoreError>;
}
