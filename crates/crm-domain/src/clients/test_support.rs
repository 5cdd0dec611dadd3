//! Mocks and fakes shared by the client service tests.

use super::model::{Client, ClientId, ClientKind, Contact, ContactId, Lifecycle};
use super::ports::*;
use crate::activity::{MockActivityRepository, NewActivity};
use crate::identity::MockUserRepository;
use crate::kernel::context::Actor;
use crate::kernel::error::StoreError;
use crate::kernel::ids::{OrganizationId, UserId};
use crate::kernel::uow::{FakeTx, Tx, TxManager};
use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

pub fn then() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0)
        .single()
        .unwrap_or_default()
}

/// What a test inspects after the service ran.
#[derive(Clone, Default)]
pub struct Probe {
    pub committed: Arc<AtomicBool>,
    pub begins: Arc<AtomicUsize>,
    pub audit: Arc<Mutex<Vec<NewActivity>>>,
}

impl Probe {
    pub fn committed(&self) -> bool {
        self.committed.load(Ordering::SeqCst)
    }
    pub fn begins(&self) -> usize {
        self.begins.load(Ordering::SeqCst)
    }
    pub fn audit(&self) -> Vec<NewActivity> {
        self.audit.lock().unwrap().clone()
    }
}

struct CountingTxManager(Probe);

#[async_trait]
impl TxManager for CountingTxManager {
    async fn begin(&self) -> Result<Box<dyn Tx>, StoreError> {
        self.0.begins.fetch_add(1, Ordering::SeqCst);
        Ok(Box::new(FakeTx {
            committed: self.0.committed.clone(),
        }))
    }
}

/// Every port as a strict mock (an unexpected call fails the test), except the audit log,
/// which accepts anything and keeps it for inspection.
pub struct Env {
    pub clients: MockClientRepository,
    pub contacts: MockContactRepository,
    pub interactions: MockInteractionRepository,
    pub users: MockUserRepository,
    pub activities: MockActivityRepository,
    pub probe: Probe,
}

impl Env {
    pub fn new() -> Self {
        let probe = Probe::default();
        let mut activities = MockActivityRepository::new();
        let audit = probe.audit.clone();
        activities.expect_record().returning(move |_, e| {
            audit.lock().unwrap().push(e);
            Ok(())
        });
        Self {
            clients: MockClientRepository::new(),
            contacts: MockContactRepository::new(),
            interactions: MockInteractionRepository::new(),
            users: MockUserRepository::new(),
            activities,
            probe,
        }
    }

    /// `clients.get` answers from `stored` (by id, within the organization), `NotFound`
    /// otherwise.
    pub fn with_clients(mut self, stored: Vec<Client>) -> Self {
        self.clients.expect_get().returning(move |org, id| {
            stored
                .iter()
                .find(|c| c.id == id && c.organization_id == org)
                .cloned()
                .ok_or(StoreError::NotFound)
        });
        self
    }

    /// As [`Self::with_clients`], and `clients.get_for_update` answers from `stored` too.
    pub fn with_locked_clients(self, stored: Vec<Client>) -> Self {
        let mut env = self.with_clients(stored.clone());
        env.clients
            .expect_get_for_update()
            .returning(move |_, org, id| {
                stored
                    .iter()
                    .find(|c| c.id == id && c.organization_id == org)
                    .cloned()
                    .ok_or(StoreError::NotFound)
            });
        env
    }

    pub fn build(self) -> (ClientPorts, Probe) {
        let probe = self.probe.clone();
        let ports = ClientPorts {
            tx: Arc::new(CountingTxManager(self.probe)),
            clients: Arc::new(self.clients),
            contacts: Arc::new(self.contacts),
            interactions: Arc::new(self.interactions),
            activities: Arc::new(self.activities),
            users: Arc::new(self.users),
        };
        (ports, probe)
    }
}

pub fn actor(org: OrganizationId, perms: &[&str]) -> Actor {
    Actor::new(UserId::new(), org, perms.iter().map(|s| s.to_string()))
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
        created_at: then(),
        updated_at: then(),
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
        created_at: then(),
        updated_at: then(),
        version: 1,
    }
}
