//! The unit-of-work adapter: a sea-orm transaction behind the domain's `Tx`.
//!
//! Every transaction is a write, and a write that reads first must hold the record from that
//! read on (`rows::locked`): on PostgreSQL and MariaDB the read takes the row lock
//! (`FOR UPDATE`); SQLite has no row locks and one writer, so its transactions start with
//! `BEGIN IMMEDIATE`, taking the write lock up front. A deferred SQLite transaction that read
//! first would fail to upgrade (busy snapshot, which the busy timeout does not wait for) when
//! another writer committed in between.

use crate::error::store_err;
use crate::statements::StatementLog;
use async_trait::async_trait;
use crm_domain::{StoreError, Tx, TxManager};
use sea_orm::{
    DatabaseConnection, DatabaseTransaction, SqliteTransactionMode, TransactionOptions,
    TransactionTrait,
};
use std::any::Any;

pub struct SqlTx {
    pub(crate) inner: DatabaseTransaction,
    log: Option<StatementLog>,
}

#[async_trait]
impl Tx for SqlTx {
    fn as_any(&mut self) -> &mut (dyn Any + Send) {
        self
    }

    async fn commit(self: Box<Self>) -> Result<(), StoreError> {
        if let Some(log) = &self.log {
            log.record("COMMIT");
        }
        self.inner.commit().await.map_err(store_err)
    }
}

/// The sea-orm transaction inside a domain `Tx`; any other `Tx` is a wiring bug.
pub(crate) fn sql<'a>(
    tx: &'a mut (dyn Tx + 'static),
) -> Result<&'a DatabaseTransaction, StoreError> {
    tx.as_any()
        .downcast_mut::<SqlTx>()
        .map(|t| &t.inner)
        .ok_or_else(|| StoreError::Unexpected("a transaction from another adapter".into()))
}

#[derive(Clone)]
pub struct SqlTxManager {
    db: DatabaseConnection,
    log: Option<StatementLog>,
}

impl SqlTxManager {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db, log: None }
    }

    /// Records `BEGIN` and `COMMIT` in `log` (the pool records the rest).
    pub fn with_statement_log(mut self, log: Option<StatementLog>) -> Self {
        self.log = log;
        self
    }
}

#[async_trait]
impl TxManager for SqlTxManager {
    async fn begin(&self) -> Result<Box<dyn Tx>, StoreError> {
        if let Some(log) = &self.log {
            log.record("BEGIN");
        }
        // The mode is SQLite's alone; the other backends begin as usual.
        let options = TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        };
        let tx = self
            .db
            .begin_with_options(options)
            .await
            .map_err(store_err)?;
        Ok(Box::new(SqlTx {
            inner: tx,
            log: self.log.clone(),
        }))
    }
}
