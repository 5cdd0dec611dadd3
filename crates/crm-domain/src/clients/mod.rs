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
mod ports;
pub mod requirements;
#[cfg(test)]
mod test_support;

pub use clients::*;
pub use contacts::*;
pub use interactions::*;
pub use ports::ClientPorts;

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
