//! Payments: money received from a client, allocated to its issued invoices (at most each
//! invoice's balance due, checked on the locked invoice), later allocated, deallocated,
//! partly refunded, or deleted with everything it moved.

mod model;
mod service;
#[cfg(test)]
mod tests;

pub use model::{
    Allocation, AllocationId, AllocationInput, MAX_ALLOCATIONS, PAYMENT_LIST_SPEC, Payment,
    PaymentId, PaymentInput, PaymentMethod, PaymentPatch, Refund, RefundId, RefundInput,
};
pub use service::PaymentService;

use async_trait::async_trait;
use crm_domain::kernel::pagination::{ListQuery, Page};
use crm_domain::{OrganizationId, StoreError, Txn};

/// Payments with their allocations and refunds. The stored sums (`allocated_amount`,
/// `refunded_amount`, `unapplied_amount`) are written as the payment holds them.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait PaymentRepository: Send + Sync {
    /// Inserts the payment with its allocations and refunds.
    async fn create(&self, tx: &mut Txn, payment: &Payment) -> Result<(), StoreError>;

    /// The payment `id` of `org` with its allocations and refunds, oldest first; `NotFound`
    /// when missing or of another organization.
    async fn get(&self, org: OrganizationId, id: PaymentId) -> Result<Payment, StoreError>;

    /// As [`Self::get`], read inside `tx` and held until it ends.
    async fn get_for_update(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: PaymentId,
    ) -> Result<Payment, StoreError>;

    async fn list(
        &self,
        org: OrganizationId,
        query: &ListQuery,
    ) -> Result<Page<Payment>, StoreError>;

    /// Stores the payment's own fields and sums where the stored version is
    /// `expected_version` (`Stale`, `NotFound`); its allocations and refunds are written by
    /// the methods below.
    async fn update(
        &self,
        tx: &mut Txn,
        payment: &Payment,
        expected_version: i64,
    ) -> Result<(), StoreError>;

    async fn add_allocation(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        payment: PaymentId,
        allocation: &Allocation,
    ) -> Result<(), StoreError>;

    /// `NotFound` when the allocation is not one of `payment`'s.
    async fn remove_allocation(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        payment: PaymentId,
        allocation: AllocationId,
    ) -> Result<(), StoreError>;

    async fn add_refund(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        payment: PaymentId,
        refund: &Refund,
    ) -> Result<(), StoreError>;

    /// Deletes the payment with its allocations and refunds. `NotFound` when missing.
    async fn delete(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: PaymentId,
    ) -> Result<(), StoreError>;
}
