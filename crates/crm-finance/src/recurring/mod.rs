//! Recurring invoices: templates that make one invoice per due date, keyed in the store by
//! `(template, period_start)`, so a crash, a retry, a downtime or a second instance neither
//! skips nor repeats one; months keep their anchor day ([`crate::schedule`]).

mod job;
mod model;
mod service;
#[cfg(test)]
mod tests;

pub use job::RecurringInvoiceJob;
pub use model::{
    MAX_INTERVAL, MAX_OCCURRENCES, RECURRING_LIST_SPEC, RecurringInvoice, RecurringInvoiceId,
    RecurringInvoiceInput, RecurringInvoicePatch, RecurringStatus,
};
pub use service::RecurringInvoiceService;

use async_trait::async_trait;
use chrono::NaiveDate;
use crm_domain::kernel::pagination::{ListQuery, Page};
use crm_domain::{OrganizationId, StoreError, Txn};

/// Recurring invoice templates with their lines.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait RecurringInvoiceRepository: Send + Sync {
    async fn create(&self, tx: &mut Txn, template: &RecurringInvoice) -> Result<(), StoreError>;
    /// `NotFound` when missing or of another organization.
    async fn get(
        &self,
        org: OrganizationId,
        id: RecurringInvoiceId,
    ) -> Result<RecurringInvoice, StoreError>;
    /// As [`Self::get`], read inside `tx` and held until it ends.
    async fn get_for_update(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: RecurringInvoiceId,
    ) -> Result<RecurringInvoice, StoreError>;
    async fn list(
        &self,
        org: OrganizationId,
        query: &ListQuery,
    ) -> Result<Page<RecurringInvoice>, StoreError>;
    /// Stores the template (its lines replace the stored ones) at `expected_version`:
    /// `Stale`, `NotFound`.
    async fn update(
        &self,
        tx: &mut Txn,
        template: &RecurringInvoice,
        expected_version: i64,
    ) -> Result<(), StoreError>;
    async fn delete(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: RecurringInvoiceId,
    ) -> Result<(), StoreError>;
    /// Active templates of every organization whose next date is on or before `date`, oldest
    /// date first, at most `limit`.
    async fn due(
        &self,
        date: NaiveDate,
        limit: u64,
    ) -> Result<Vec<(OrganizationId, RecurringInvoiceId)>, StoreError>;
    /// The template, locked in `tx`, unless another transaction holds it (then `None`: that
    /// one is making its invoices): `FOR UPDATE SKIP LOCKED` where the database has it.
    async fn claim(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: RecurringInvoiceId,
    ) -> Result<Option<RecurringInvoice>, StoreError>;
}
