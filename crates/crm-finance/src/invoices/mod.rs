//! Invoices: drafts priced like quotations, issued with a gap-free `INV-YYYY-NNNN` number,
//! voided while nothing is paid; made by hand or from an accepted quotation. Their payment
//! state is derived from the allocations and credit notes written against them.

mod from_project;
mod model;
mod overdue;
mod service;
#[cfg(test)]
mod tests;

pub use from_project::ProjectInvoiceInput;
pub use model::{
    DEFAULT_TERMS_DAYS, INVOICE_COUNTER, INVOICE_LIST_SPEC, Invoice, InvoiceId, InvoiceInput,
    InvoicePatch, InvoiceStatus, MAX_TERMS_DAYS, NewDraft, SendInput, VoidInput,
};
pub use overdue::{InvoiceOverdueJob, client_owner};
pub use service::InvoiceService;
pub(crate) use service::{invoice_mail, printable};

use async_trait::async_trait;
use chrono::NaiveDate;
use crm_domain::kernel::pagination::{ListQuery, Page};
use crm_domain::{OrganizationId, StoreError, Txn};

/// Invoices with their lines.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait InvoiceRepository: Send + Sync {
    /// Inserts `invoice` and its lines. `Conflict` on a duplicate number, or a second
    /// invoice of one quotation or of one recurring period.
    async fn create(&self, tx: &mut Txn, invoice: &Invoice) -> Result<(), StoreError>;

    /// The invoice `id` of `org` with its lines in order (`is_overdue` left false: callers
    /// apply their today); `NotFound` when missing or of another organization.
    async fn get(&self, org: OrganizationId, id: InvoiceId) -> Result<Invoice, StoreError>;

    /// As [`Self::get`], read inside `tx` and held until it ends, so a concurrent writer of
    /// the invoice (an issue, a payment, a credit note) waits for this one.
    async fn get_for_update(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: InvoiceId,
    ) -> Result<Invoice, StoreError>;

    /// One page of the invoices of `org`. `is_overdue=true|false` filters as read on `today`.
    async fn list(
        &self,
        org: OrganizationId,
        query: &ListQuery,
        today: NaiveDate,
    ) -> Result<Page<Invoice>, StoreError>;

    /// Stores `invoice` (its lines replace the stored ones) where the stored version is
    /// `expected_version`: `Stale`, `NotFound`; `Conflict` on a duplicate number.
    async fn update(
        &self,
        tx: &mut Txn,
        invoice: &Invoice,
        expected_version: i64,
    ) -> Result<(), StoreError>;

    /// Whether the recurring template `template` already made its invoice of `period_start`
    /// (read in `tx`, which holds the template locked).
    async fn period_made(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        template: uuid::Uuid,
        period_start: NaiveDate,
    ) -> Result<bool, StoreError>;

    /// Issued invoices of every organization with something due, due before `date` and not
    /// yet told overdue, oldest due first, at most `limit`.
    async fn overdue_candidates(
        &self,
        date: NaiveDate,
        limit: u64,
    ) -> Result<Vec<(OrganizationId, InvoiceId)>, StoreError>;

    /// The invoice, locked in `tx`, while not yet told overdue and no other transaction holds
    /// it (`FOR UPDATE SKIP LOCKED` where the database has it); `None` otherwise.
    async fn claim_overdue(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: InvoiceId,
    ) -> Result<Option<Invoice>, StoreError>;

    /// Marks the invoice told overdue (no new version: the mark is the job's, not the
    /// invoice's).
    async fn mark_overdue_told(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: InvoiceId,
    ) -> Result<(), StoreError>;

    /// Deletes the invoice and its lines. `NotFound` when missing.
    async fn delete(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: InvoiceId,
    ) -> Result<(), StoreError>;
}
