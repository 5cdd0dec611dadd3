//! sea-orm adapters of the clients ports: clients (with sub-clients), contacts, interactions.

mod client_repo;
mod contact_repo;
mod interaction_repo;

pub use client_repo::SqlClientRepository;
pub use contact_repo::SqlContactRepository;
pub use interaction_repo::SqlInteractionRepository;

use crate::error::store_err;
use crm_domain::StoreError;
use sea_orm::DbErr;

/// As [`store_err`], but a foreign-key violation (rows of other modules still referring to
/// the one being deleted) is a `Conflict` naming the constraint, not a bug.
pub(crate) fn delete_err(e: DbErr) -> StoreError {
    if let Some(sea_orm::SqlErr::ForeignKeyConstraintViolation(msg)) = e.sql_err() {
        return StoreError::Conflict { constraint: msg };
    }
    store_err(e)
}
