//! Clients: companies and people the organization sells to, nested as sub-clients, with
//! their contacts (one primary per client) and interactions, and their lifecycle (`prospect`
//! until a deal is won, then `customer`).
//!
//! Rules and where they are enforced:
//! - tenancy: every repository method takes the organization of the caller's token; a record
//!   of another organization is `NotFound`;
//! - permissions: `clients:read|write|delete`, contacts and interactions included; a caller
//!   holding only the `:own` form sees and changes only clients it owns, and their contacts
//!   and interactions, and gets `404` for the others; reassigning an owner needs the
//!   all-records `clients:write`;
//! - hierarchy: a parent is a client of the same organization and never a descendant (the
//!   ancestry is read, locked, inside the write's transaction);
//! - one primary contact per client: making a contact primary clears the others in the same
//!   transaction, after locking the client row;
//! - atomicity: every write opens one transaction for the change and its audit entry.

#[allow(clippy::module_inception)] // `clients::clients`: the module and its main aggregate
pub mod clients;
mod common;
pub mod contacts;
pub mod interactions;
#[cfg(test)]
mod test_support;

pub use clients::*;
pub use contacts::*;
pub use interactions::*;

use crate::activity::ActivityRepository;
use crate::identity::UserRepository;
use crate::kernel::records::Records;
use crate::kernel::uow::TxManager;
use std::sync::Arc;

/// The services of the clients module, as the server holds them.
#[derive(Clone)]
pub struct ClientServices {
    pub clients: ClientService,
    pub contacts: ContactService,
    pub interactions: InteractionService,
}

impl ClientServices {
    pub fn new(ports: ClientPorts) -> Self {
        Self {
            clients: ClientService::new(ports.clone()),
            contacts: ContactService::new(ports.clone()),
            interactions: InteractionService::new(ports),
        }
    }
}

/// Every port the client services use, wired once by the composition root.
///
/// Tenancy rule, as everywhere: every method takes the organization of the caller's token and
/// answers `StoreError::NotFound` for a record of another organization exactly as for a
/// missing one. Writes take the caller's transaction so a change and its audit entry commit
/// together. Updates store a record whose `version` is already the new one, where the stored
/// version is `expected_version`: `Stale` on a mismatch, `NotFound` when the row is gone.
#[derive(Clone)]
pub struct ClientPorts {
    pub tx: Arc<dyn TxManager>,
    pub clients: Arc<dyn Records<Client>>,
    /// The hierarchy and lifecycle of clients.
    pub client_tree: Arc<dyn ClientRepository>,
    pub contacts: Arc<dyn Records<Contact>>,
    pub contact_repo: Arc<dyn ContactRepository>,
    pub interactions: Arc<dyn Records<Interaction>>,
    pub last_interactions: Arc<dyn InteractionRepository>,
    pub activities: Arc<dyn ActivityRepository>,
    /// To check that an `owner_id` is a user of the organization.
    pub users: Arc<dyn UserRepository>,
}

/// The permissions of clients, their contacts and interactions, as types.
/// Declared here, with the module's event and notification types, so that a new resource
/// of the module registers in this one file.
pub mod requirements {
    crate::requirements! {
        ClientsRead = "clients":"read";
        ClientsWrite = "clients":"write";
        ClientsDelete = "clients":"delete";
    }

    crate::event_types! {
        "client.created" => "A client was created",
        "client.updated" => "A client was changed (also when a won deal makes it a customer)",
        "client.deleted" => "A client was deleted",
        "contact.created" => "A contact was added to a client",
        "contact.updated" => "A contact was changed",
        "contact.deleted" => "A contact was deleted",
        "interaction.created" => "An interaction with a client was recorded",
        "interaction.updated" => "An interaction was changed",
        "interaction.deleted" => "An interaction was deleted",
    }

    crate::notification_types! {
        "client.assigned" => "A client was assigned to you": assigned("client");
    }
}
