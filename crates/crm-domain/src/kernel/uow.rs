//! The unit-of-work port: one transaction shared by several repository calls, so a use case
//! writes its rows, its audit entry and its outbox messages atomically, without any database
//! type reaching the domain.
//!
//! Repository methods that write take `&mut dyn Tx`; the adapter downcasts it to its own
//! transaction type through [`Tx::as_any`].

use crate::kernel::error::StoreError;
use async_trait::async_trait;
use std::any::Any;

/// An open transaction. Dropping it without `commit` rolls it back.
#[async_trait]
pub trait Tx: Send {
    /// For the adapter that created it: its concrete transaction.
    fn as_any(&mut self) -> &mut (dyn Any + Send);
    async fn commit(self: Box<Self>) -> Result<(), StoreError>;
}

/// An open transaction as use cases hold it; port methods that write take `&mut Txn`.
///
/// Not `&mut dyn Tx`: mockall's generated mocks cannot carry the elided object lifetime of
/// that type (nor of a lifetime-generic alias of it), and `&mut Box<dyn Tx>` needs neither.
pub type Txn = Box<dyn Tx>;

/// Opens transactions.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait TxManager: Send + Sync {
    /// Fails with `Unavailable` when the database cannot be reached.
    async fn begin(&self) -> Result<Txn, StoreError>;
}

/// A transaction for unit tests with mocked repositories: it only remembers whether it was
/// committed, through the shared flag.
#[cfg(any(test, feature = "mocks"))]
pub struct FakeTx {
    pub committed: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

#[cfg(any(test, feature = "mocks"))]
#[async_trait]
impl Tx for FakeTx {
    fn as_any(&mut self) -> &mut (dyn Any + Send) {
        self
    }
    async fn commit(self: Box<Self>) -> Result<(), StoreError> {
        self.committed
            .store(true, std::sync::atomic::Ordering::SeqCst);
        Ok(())
    }
}
