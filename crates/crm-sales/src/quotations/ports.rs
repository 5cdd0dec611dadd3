use super::model::{Quotation, QuotationId};
use async_trait::async_trait;
use chrono::NaiveDate;
use crm_domain::kernel::pagination::{ListQuery, Page};
use crm_domain::{OrganizationId, StoreError, Txn, UserId};

/// Quotations with their items.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait QuotationRepository: Send + Sync {
    /// Inserts `quotation` and its items. `Conflict` on a duplicate number.
    async fn create(&self, tx: &mut Txn, quotation: &Quotation) -> Result<(), StoreError>;

    /// The quotation `id` of `org` with its items in order, with its stored status (callers
    /// apply expiry); `NotFound` when missing or of another organization.
    async fn get(&self, org: OrganizationId, id: QuotationId) -> Result<Quotation, StoreError>;

    /// The quotation (with its items) `id` of `org`, read inside `tx` and held until it ends, so a concurrent
    /// writer of it waits for this one; `NotFound` when missing or of another organization.
    async fn get_for_update(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: QuotationId,
    ) -> Result<Quotation, StoreError>;

    /// One page of the quotations of `org` (with their items); with `owner = Some(u)` only
    /// those owned by `u`. A `status` filter means the status as of `today`: `expired` matches
    /// sent quotations whose `valid_until` is before `today`, `sent` only the others.
    async fn list(
        &self,
        org: OrganizationId,
        query: &ListQuery,
        owner: Option<UserId>,
        today: NaiveDate,
    ) -> Result<Page<Quotation>, StoreError>;

    /// Stores `quotation` (its items replace the stored ones) where the stored version is
    /// `expected_version`: `Stale`, `NotFound`.
    async fn update(
        &self,
        tx: &mut Txn,
        quotation: &Quotation,
        expected_version: i64,
    ) -> Result<(), StoreError>;

    /// Deletes the quotation and its items. `NotFound` when missing.
    async fn delete(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: QuotationId,
    ) -> Result<(), StoreError>;
}
