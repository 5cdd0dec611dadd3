//! The client service tests' environment and fixtures (the scaffolding is `kernel::testing`).

use super::ClientPorts;
use super::*;
use crate::identity::MockUserRepository;
use crate::kernel::error::StoreError;
use crate::kernel::ids::{OrganizationId, UserId};
use crate::kernel::records::MockRecords;
pub use crate::kernel::testing::{Probe, actor, now};
use std::sync::Arc;

/// Every port as a strict mock (an unexpected call fails the test), except the audit log,
/// which accepts anything and keeps it for inspection.
pub struct Env {
    pub clients: MockRecords<Client>,
    pub client_tree: MockClientRepository,
    pub contacts: MockRecords<Contact>,
    pub contact_repo: MockContactRepository,
    pub interactions: MockRecords<Interaction>,
    pub last_interactions: MockInteractionRepository,
    pub users: MockUserRepository,
    probe: Probe,
}

impl Env {
    pub fn new() -> Self {
        Self {
            clients: MockRecords::new(),
            client_tree: MockClientRepository::new(),
            contacts: MockRecords::new(),
            contact_repo: MockContactRepository::new(),
            interactions: MockRecords::new(),
            last_interactions: MockInteractionRepository::new(),
            users: MockUserRepository::new(),
            probe: Probe::default(),
        }
    }

    /// `clients.get` answers from `stored` (by id, within the organization), `NotFound`
    /// otherwise.
    pub fn with_clients(mut self, stored: Vec<Client>) -> Self {
        self.clients
            .expect_get()
            .returning(move |org, id| find(&stored, org, id));
        self
    }

    /// As [`Self::with_clients`], and `clients.get_for_update` answers from `stored` too.
    pub fn with_locked_clients(self, stored: Vec<Client>) -> Self {
        let mut env = self.with_clients(stored.clone());
        env.clients
            .expect_get_for_update()
            .returning(move |_, org, id| find(&stored, org, id));
        env
    }

    pub fn build(self) -> (ClientPorts, Probe) {
        let ports = ClientPorts {
            tx: self.probe.tx_manager(),
            clients: Arc::new(self.clients),
            client_tree: Arc::new(self.client_tree),
            contacts: Arc::new(self.contacts),
            contact_repo: Arc::new(self.contact_repo),
            interactions: Arc::new(self.interactions),
            last_interactions: Arc::new(self.last_interactions),
            activities: Arc::new(self.probe.activities()),
            users: Arc::new(self.users),
        };
        (ports, self.probe)
    }
}

fn find(stored: &[Client], org: OrganizationId, id: ClientId) -> Result<Client, StoreError> {
    stored
        .iter()
        .find(|c| c.id == id && c.organization_id == org)
        .cloned()
        .ok_or(StoreError::NotFound)
}

/// All-records permissions on clients.
pub const ALL: &[&str] = &["clients:read", "clients:write", "clients:delete"];
/// `:own` permissions on clients.
pub const OWN: &[&str] = &[
    "clients:read:own",
    "clients:write:own",
    "clients:delete:own",
];

pub fn client(org: OrganizationId, owner: UserId, parent: Option<ClientId>) -> Client {
    Client {
        id: ClientId::new(),
        organization_id: org,
        name: "Acme".into(),
        kind: ClientKind::Company,
        email: None,
        phone: None,
        website: None,
        industry: None,
        parent_id: parent,
        owner_id: owner,
        status: "active".into(),
        tags: vec![],
        address: None,
        lifecycle: Lifecycle::Prospect,
        legacy_id: None,
        created_at: now(),
        updated_at: now(),
        version: 1,
    }
}

pub fn contact(c: &Client, name: &str, primary: bool) -> Contact {
    Contact {
        id: ContactId::new(),
        organization_id: c.organization_id,
        client_id: c.id,
        name: name.into(),
        email: None,
        phone: None,
        title: None,
        is_primary: primary,
        created_at: now(),
        updated_at: now(),
        version: 1,
    }
}
