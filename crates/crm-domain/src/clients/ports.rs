//! Every port the client services use, wired once by the composition root.
//!
//! Tenancy rule, as everywhere: every method takes the organization of the caller's token and
//! answers `StoreError::NotFound` for a record of another organization exactly as for a
//! missing one. Writes take the caller's transaction so a change and its audit entry commit
//! together. Updates store a record whose `version` is already the new one, where the stored
//! version is `expected_version`: `Stale` on a mismatch, `NotFound` when the row is gone.

use super::clients::{Client, ClientRepository};
use super::contacts::{Contact, PrimaryContacts};
use super::interactions::{Interaction, InteractionRepository};
use crate::activity::ActivityRepository;
use crate::identity::UserRepository;
use crate::kernel::records::Records;
use crate::kernel::uow::TxManager;
use std::sync::Arc;

#[derive(Clone)]
pub struct ClientPorts {
    pub tx: Arc<dyn TxManager>,
    pub clients: Arc<dyn Records<Client>>,
    /// The hierarchy and lifecycle of clients.
    pub client_tree: Arc<dyn ClientRepository>,
    pub contacts: Arc<dyn Records<Contact>>,
    pub primaries: Arc<dyn PrimaryContacts>,
    pub interactions: Arc<dyn Records<Interaction>>,
    pub last_interactions: Arc<dyn InteractionRepository>,
    pub activities: Arc<dyn ActivityRepository>,
    /// To check that an `owner_id` is a user of the organization.
    pub users: Arc<dyn UserRepository>,
}
