//! sea-orm adapters of the clients ports: clients (with sub-clients), contacts, interactions.

mod client_repo;
mod contact_repo;
pub(crate) mod interaction_repo;

/// Clients, with their `ClientRepository` queries.
pub type SqlClientRepository = crate::SqlRecords<client_repo::Entity>;
/// Contacts, with their `ContactRepository` queries.
pub type SqlContactRepository = crate::SqlRecords<contact_repo::Entity>;
/// Interactions, with their `InteractionRepository` queries.
pub type SqlInteractionRepository = crate::SqlRecords<interaction_repo::Entity>;

use crate::error::store_err;
use crm_domain::activity::ActivityRepository;
use crm_domain::clients::ClientPorts;
use crm_domain::identity::UserRepository;
use crm_domain::{StoreError, TxManager};
use sea_orm::{DatabaseConnection, DbErr};
use std::sync::Arc;

/// The clients module's ports on `db`, with the transactions, audit log and users the
/// application shares between modules: what the server wires and the integration tests use.
pub fn ports(
    db: &DatabaseConnection,
    tx: Arc<dyn TxManager>,
    activities: Arc<dyn ActivityRepository>,
    users: Arc<dyn UserRepository>,
) -> ClientPorts {
    ClientPorts {
        tx,
        clients: Arc::new(SqlClientRepository::new(db.clone())),
        client_tree: Arc::new(SqlClientRepository::new(db.clone())),
        contacts: Arc::new(SqlContactRepository::new(db.clone())),
        contact_repo: Arc::new(SqlContactRepository::new(db.clone())),
        interactions: Arc::new(SqlInteractionRepository::new(db.clone())),
        last_interactions: Arc::new(SqlInteractionRepository::new(db.clone())),
        activities,
        users,
    }
}

/// As [`store_err`], but a foreign-key violation (rows of other modules still referring to
/// the one being deleted) is a `Conflict` naming the constraint, not a bug.
pub(crate) fn delete_err(e: DbErr) -> StoreError {
    if let Some(sea_orm::SqlErr::ForeignKeyConstraintViolation(msg)) = e.sql_err() {
        return StoreError::Conflict { constraint: msg };
    }
    store_err(e)
}
