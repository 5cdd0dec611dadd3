//! Conversions and answers every repository shares.

use crate::error::store_err;
use crm_domain::StoreError;
use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait, Select};
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
