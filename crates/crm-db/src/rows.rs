//! Conversions and answers every repository shares.

use crate::error::store_err;
use crm_domain::StoreError;
use sea_orm::{
    ConnectionTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QuerySelect, Select,
};
use std::fmt::Display;

/// A domain version (i64) as stored (i32); out of range is a bug, not a panic.
pub(crate) fn db_version(v: i64) -> Result<i32, StoreError> {
    i32::try_from(v).map_err(|_| StoreError::Unexpected(format!("version {v} out of range")))
}

/// A row that does not make a valid domain value.
pub(crate) fn corrupt(table: &str, id: impl Display, e: impl Display) -> StoreError {
    StoreError::Unexpected(format!("{table} {id}: {e}"))
}

/// After a conditional update matched nothing: `Stale` when the row (already scoped to the
/// organization by `exists`) is still there, `NotFound` otherwise.
pub(crate) async fn stale_or_missing<E, C>(db: &C, exists: Select<E>) -> StoreError
where
    E: EntityTrait,
    E::Model: Sync,
    C: ConnectionTrait,
{
    match exists.count(db).await {
        Ok(0) => StoreError::NotFound,
        Ok(_) => StoreError::Stale,
        Err(e) => store_err(e),
    }
}

/// The one row of `select` (already scoped to the organization), read inside the writing
/// transaction and held until it ends: `FOR UPDATE` on PostgreSQL and MariaDB; on SQLite the
/// transaction holds the database's write lock from `BEGIN IMMEDIATE` (`tx.rs`). A concurrent
/// writer of the same row waits here, then reads what the other committed, so a change built
/// from this row can never lose a race it did not ask to check (`If-Match`).
pub(crate) async fn locked<E>(
    tx: &DatabaseTransaction,
    select: Select<E>,
) -> Result<E::Model, StoreError>
where
    E: EntityTrait,
    E::Model: Sync,
{
    select
        .lock_exclusive()
        .one(tx)
        .await
        .map_err(store_err)?
        .ok_or(StoreError::NotFound)
}
