//! Gap-free document numbers (`Q-2026-0001`, `INV-2026-0001`): one counter row per
//! organization, document kind and year, advanced inside the transaction that numbers the
//! document. Concurrent takers queue on the row, and a rolled-back transaction gives its
//! number back, so the numbers of one organization, kind and year are consecutive with no
//! gaps and no repeats.
//!
//! Not a database sequence: sequences skip values on rollback.

use crate::{DomainError, OrganizationId, StoreError, TxManager, Txn};
use async_trait::async_trait;

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
    /// [`Self::ensure`]).
    async fn next(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        kind: &str,
        year: i32,
    ) -> Result<i64, StoreError>;
}

/// Opens the transaction that numbers a document and takes its number first thing, so that
/// on SQLite it holds the write lock before reading anything; creates the counter row
/// (outside the transaction) on first use. What the document's rules read afterwards is read
/// in this transaction, after the number: a taker that waited sees the writes of the one
/// before it.
pub async fn begin_numbered(
    tx: &dyn TxManager,
    counters: &dyn DocumentCounterRepository,
    org: OrganizationId,
    kind: &str,
    year: i32,
) -> Result<(Txn, i64), DomainError> {
    let mut ensured = false;
    loop {
        let mut t = tx.begin().await?;
        match counters.next(&mut t, org, kind, year).await {
            Ok(n) => return Ok((t, n)),
            Err(StoreError::NotFound) if !ensured => {
                // Release this transaction (and, on SQLite, its write lock) first.
                drop(t);
                counters.ensure(org, kind, year).await?;
                ensured = true;
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// `PREFIX-2026-0001`: at least four digits, more when needed.
pub fn format_number(prefix: &str, year: i32, n: i64) -> String {
    format!("{prefix}-{year:04}-{n:04}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_have_four_digits_at_least() {
        assert_eq!(format_number("INV", 2026, 7), "INV-2026-0007");
        assert_eq!(format_number("Q", 2026, 12345), "Q-2026-12345");
    }
}
