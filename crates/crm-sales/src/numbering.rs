//! Gap-free document numbers (`Q-2026-0001`): one counter row per organization, document kind
//! and year, advanced inside the transaction that creates the document. Concurrent creations
//! queue on the row, and a rolled-back creation gives its number back, so the numbers of one
//! organization and year are consecutive with no gaps and no repeats.
//!
//! Not a database sequence: sequences skip values on rollback.

use crate::SalesPorts;
use async_trait::async_trait;
use crm_domain::{DomainError, OrganizationId, StoreError, Txn};

/// The counter of quotation numbers.
pub const QUOTATION_COUNTER: &str = "quotation";

/// Counter rows `(organization, kind, year) → next`.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait DocumentCounterRepository: Send + Sync {
    /// Creates the counter row of `(org, kind, year)` (next number 1) when it does not exist,
    /// on its own, outside any transaction; a concurrent creation of the same row is not an
    /// error. Assigns no number.
    async fn ensure(&self, org: OrganizationId, kind: &str, year: i32) -> Result<(), StoreError>;

    /// Takes the next number of `(org, kind, year)` inside `tx`: `UPDATE … SET next = next + 1`
    /// then reads it back. The row stays locked until `tx` ends, so concurrent takers queue,
    /// and a rollback returns the number. `NotFound` when the row does not exist yet (see
    /// [`Self::ensure`]). Callers make this the first statement of their transaction, so that
    /// on SQLite it takes the write lock before reading anything.
    async fn next(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        kind: &str,
        year: i32,
    ) -> Result<i64, StoreError>;
}

impl SalesPorts {
    /// Opens the transaction of a numbered document's creation and takes its number first
    /// thing; creates the counter row (outside the transaction) on first use.
    pub(crate) async fn begin_numbered(
        &self,
        org: OrganizationId,
        kind: &str,
        year: i32,
    ) -> Result<(Txn, i64), DomainError> {
        let mut ensured = false;
        loop {
            let mut tx = self.tx.begin().await?;
            match self.counters.next(&mut tx, org, kind, year).await {
                Ok(n) => return Ok((tx, n)),
                Err(StoreError::NotFound) if !ensured => {
                    // Release this transaction (and, on SQLite, its write lock) first.
                    drop(tx);
                    self.counters.ensure(org, kind, year).await?;
                    ensured = true;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
}
