//! sea-orm adapters of the sales ports: leads, pipelines, deals (with their board and
//! forecast), quotations, document counters and customer tracking.

mod counters;
mod deals;
mod leads;
mod pipelines;
mod quotations;
mod tracking;

pub use counters::SqlDocumentCounterRepository;
pub use deals::SqlDealRepository;
pub use leads::SqlLeadRepository;
pub use pipelines::SqlPipelineRepository;
pub use quotations::SqlQuotationRepository;
pub use tracking::SqlClientTrackingRepository;

use crate::error::store_err;
use crm_domain::activity::ActivityRepository;
use crm_domain::clients::ClientRepository;
use crm_domain::identity::{Clock, UserRepository};
use crm_domain::{Currency, StoreError, TxManager};
use crm_sales::SalesPorts;
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{DatabaseConnection, DbBackend, DbErr, QueryResult, TryGetable};
use std::sync::Arc;

/// The ports of the sales services on `db`, as the server (`crm-api`'s `app.rs`) and the
/// integration tests wire them; the transaction manager, the client and user repositories,
/// the audit log and the clock are the ones the other modules share.
pub fn ports(
    db: &DatabaseConnection,
    tx: Arc<dyn TxManager>,
    clients: Arc<dyn ClientRepository>,
    users: Arc<dyn UserRepository>,
    activities: Arc<dyn ActivityRepository>,
    clock: Arc<dyn Clock>,
) -> SalesPorts {
    SalesPorts {
        tx,
        leads: Arc::new(SqlLeadRepository::new(db.clone())),
        pipelines: Arc::new(SqlPipelineRepository::new(db.clone())),
        deals: Arc::new(SqlDealRepository::new(db.clone())),
        quotations: Arc::new(SqlQuotationRepository::new(db.clone())),
        counters: Arc::new(SqlDocumentCounterRepository::new(db.clone())),
        tracking: Arc::new(SqlClientTrackingRepository::new(db.clone())),
        clients,
        users,
        activities,
        clock,
    }
}

/// As [`store_err`], but a foreign-key violation (rows still referring to the one being
/// deleted) is a `Conflict` naming the constraint, not a bug.
pub(crate) fn delete_err(e: DbErr) -> StoreError {
    if let Some(sea_orm::SqlErr::ForeignKeyConstraintViolation(msg)) = e.sql_err() {
        return StoreError::Conflict { constraint: msg };
    }
    store_err(e)
}

/// `SUM(expr)` as a 64-bit integer on every backend (PostgreSQL sums `BIGINT` into `NUMERIC`,
/// MySQL into `DECIMAL`).
pub(crate) fn sum_i64(backend: DbBackend, expr: Expr) -> Expr {
    let ty = match backend {
        DbBackend::MySql => "SIGNED",
        _ => "BIGINT",
    };
    Func::cast_as(Func::sum(expr), ty).into()
}

/// `COUNT(*)` as a 64-bit integer.
pub(crate) fn count_star() -> Expr {
    Expr::cust("COUNT(*)")
}

/// A stored currency code.
pub(crate) fn currency(
    raw: &str,
    table: &str,
    id: impl std::fmt::Display,
) -> Result<Currency, StoreError> {
    Currency::parse(raw).map_err(|e| crate::rows::corrupt(table, id, e))
}

/// Column `col` of an aggregate row.
pub(crate) fn get<T: TryGetable>(row: &QueryResult, col: &str) -> Result<T, StoreError> {
    row.try_get::<T>("", col)
        .map_err(|e| StoreError::Unexpected(format!("reading {col}: {e}")))
}

/// A count as the domain holds it.
pub(crate) fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}
