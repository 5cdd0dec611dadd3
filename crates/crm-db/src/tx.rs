//! The unit-of-work adapter: a sea-orm transaction behind the domain's `Tx`.

use crate::error::store_err;
use async_trait::async_trait;
use crm_domain::{StoreError, Tx, TxManager};
use sea_orm::{DatabaseConnection, DatabaseTransaction, TransactionTrait};
use std::any::Any;

pub struct SqlTx(pub(crate) DatabaseTransaction);

#[async_trait]
impl Tx for SqlTx {
    fn as_any(&mut self) -> &mut (dyn Any + Send) {
        self
    }

    async fn commit(self: Box<Self>) -> Result<(), StoreError> {
        self.0.commit().await.map_err(store_err)
    }
}

/// The sea-orm transaction inside a domain `Tx`; any other `Tx` is a wiring bug.
pub(crate) fn sql<'a>(
    tx: &'a mut (dyn Tx + 'static),
) -> Result<&'a DatabaseTransaction, StoreError> {
    tx.as_any()
        .downcast_mut::<SqlTx>()
        .map(|t| &t.0)
        .ok_or_else(|| StoreError::Unexpected("a transaction from another adapter".into()))
}

#[derive(Clone)]
pub struct SqlTxManager {
    db: DatabaseConnection,
}

impl SqlTxManager {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

#[async_trait]
impl TxManager for SqlTxManager {
    async fn begin(&self) -> Result<Box<dyn Tx>, StoreError> {
        let tx = self.db.begin().await.map_err(store_err)?;
        Ok(Box::new(SqlTx(tx)))
    }
}
