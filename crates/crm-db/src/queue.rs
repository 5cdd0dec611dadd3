//! Exclusive claims on a work queue table (the mail outbox, the webhook deliveries): rows with
//! `status = 'pending'`, a `next_attempt_at` and a lease in `locked_until`.
//!
//! The due rows are read `FOR UPDATE SKIP LOCKED` on PostgreSQL and MariaDB (an instance
//! skips what another is claiming instead of waiting for it), inside a transaction that begins
//! `IMMEDIATE` on SQLite (one writer, no row locks), and their lease is set by one conditional
//! update. A crashed claimer's rows come back when the lease runs out; a live one is never
//! overtaken, so N instances make each attempt once.

use crate::error::store_err;
use crate::tx::{SqlTxManager, sql};
use chrono::{DateTime, Utc};
use crm_domain::{StoreError, TxManager};
use sea_orm::sea_query::{Expr, ExprTrait, LockBehavior, LockType};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Select, Value,
};

pub(crate) const PENDING: &str = "pending";

/// A queue table's columns.
pub(crate) trait Queue: EntityTrait {
    const ID: Self::Column;
    const STATUS: Self::Column;
    const NEXT_ATTEMPT_AT: Self::Column;
    const LOCKED_UNTIL: Self::Column;

    /// The row's id, to set its lease.
    fn id_of(model: &Self::Model) -> Value;
}

/// Not claimed, or its claim has run out.
pub(crate) fn free_at<E: Queue>(now: DateTime<Utc>) -> Condition {
    Condition::any()
        .add(E::LOCKED_UNTIL.is_null())
        .add(E::LOCKED_UNTIL.lte(now))
}

/// `q` read `FOR UPDATE SKIP LOCKED`, but on SQLite (one writer, no row locks).
pub(crate) fn skip_locked<E: EntityTrait>(q: Select<E>, backend: DatabaseBackend) -> Select<E> {
    if backend == DatabaseBackend::Sqlite {
        q
    } else {
        q.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
    }
}

/// Claims up to `limit` rows of `E` due at `now` until `lease_until`, oldest due first.
pub(crate) async fn claim_due<E: Queue>(
    tx: &SqlTxManager,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: u32,
) -> Result<Vec<E::Model>, StoreError> {
    let mut txn = tx.begin().await?;
    let db = sql(txn.as_mut())?;
    let due = E::find()
        // A literal, not a parameter: it is the partial index's own condition (SQLite uses a
        // partial index only for a term written the same way).
        .filter(Expr::col(E::STATUS).eq(Expr::cust("'pending'")))
        .filter(E::NEXT_ATTEMPT_AT.lte(now))
        .filter(free_at::<E>(now))
        .order_by_asc(E::NEXT_ATTEMPT_AT)
        .limit(u64::from(limit));
    let rows = skip_locked(due, db.get_database_backend())
        .all(db)
        .await
        .map_err(store_err)?;
    if rows.is_empty() {
        txn.commit().await?;
        return Ok(rows);
    }
    // The rows are this transaction's (locked, or no other writer on SQLite), so the update
    // takes them all; should it not, nothing is claimed and the next poll tries again.
    let res = E::update_many()
        .col_expr(E::LOCKED_UNTIL, Expr::value(Some(lease_until)))
        .filter(E::ID.is_in(rows.iter().map(E::id_of)))
        .filter(E::STATUS.eq(PENDING))
        .filter(free_at::<E>(now))
        .exec(db)
        .await
        .map_err(store_err)?;
    if res.rows_affected != rows.len() as u64 {
        return Ok(vec![]); // dropped: rolled back
    }
    txn.commit().await?;
    Ok(rows)
}
