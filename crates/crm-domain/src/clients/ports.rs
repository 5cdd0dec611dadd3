//! What the clients module needs from the outside world.
//!
//! Tenancy rule, as everywhere: every method takes the organization of the caller's token and
//! answers `StoreError::NotFound` for a record of another organization exactly as for a
//! missing one. Writes take the caller's transaction so a change and its audit entry commit
//! together. Updates store a record whose `version` is already the new one, where the stored
//! version is `expected_version`: `Stale` on a mismatch, `NotFound` when the row is gone.

use super::model::{Client, ClientId, Contact, ContactId, Interaction, InteractionId, Lifecycle};
use crate::activity::ActivityRepository;
use crate::identity::UserRepository;
use crate::kernel::error::StoreError;
use crate::kernel::ids::{OrganizationId, UserId};
use crate::kernel::pagination::{ListQuery, Page};
use crate::kernel::uow::{Tx, TxManager};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// Clients and their hierarchy.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[allow(unused_parens)] // mockall copies the parenthesised trait-object type
#[async_trait]
pub trait ClientRepository: Send + Sync {
    /// Inserts `client`.
    async fn create(&self, tx: &mut (dyn Tx + 'static), client: &Client) -> Result<(), StoreError>;

    /// The client `id` of `org`; `NotFound` when missing or of another organization.
    async fn get(&self, org: OrganizationId, id: ClientId) -> Result<Client, StoreError>;

    /// As [`Self::get`], read inside `tx` and held until it ends (`SELECT … FOR UPDATE`;
    /// SQLite's write lock), so writes of the client, and writes that depend on it (its
    /// contacts' primary flag, its lifecycle), are serialized.
    async fn get_for_update(
        &self,
        tx: &mut (dyn Tx + 'static),
        org: OrganizationId,
        id: ClientId,
    ) -> Result<Client, StoreError>;

    /// One page of the clients of `org`; with `owner = Some(u)` only those owned by `u`
    /// (callers holding only `clients:read:own`).
    async fn list(
        &self,
        org: OrganizationId,
        query: &ListQuery,
        owner: Option<UserId>,
    ) -> Result<Page<Client>, StoreError>;

    /// Stores `client` where the stored version is `expected_version`: `Stale` or `NotFound`.
    async fn update(
        &self,
        tx: &mut (dyn Tx + 'static),
        client: &Client,
        expected_version: i64,
    ) -> Result<(), StoreError>;

    /// Deletes the client with its contacts and interactions. `NotFound` when missing;
    /// `Conflict` while sub-clients (or other records, e.g. deals) still refer to it.
    async fn delete(
        &self,
        tx: &mut (dyn Tx + 'static),
        org: OrganizationId,
        id: ClientId,
    ) -> Result<(), StoreError>;

    /// One page of the direct children of `parent` (`GET /clients/{id}/sub-clients`), with
    /// the same query and owner restriction as [`Self::list`].
    async fn children(
        &self,
        org: OrganizationId,
        parent: ClientId,
        query: &ListQuery,
        owner: Option<UserId>,
    ) -> Result<Page<Client>, StoreError>;

    /// The chain above `id`: its parent, the parent's parent, … up to a root, read inside `tx`
    /// (rows locked where supported, so two concurrent moves cannot close a cycle between
    /// them). Stops after 1000 steps if the stored data already loops. `NotFound` when `id` is
    /// not of `org`.
    async fn ancestor_ids(
        &self,
        tx: &mut (dyn Tx + 'static),
        org: OrganizationId,
        id: ClientId,
    ) -> Result<Vec<ClientId>, StoreError>;

    /// Sets the client's lifecycle (customer tracking: a won deal makes it a `customer`).
    /// When the value changes, `version` rises by one and `updated_at` becomes now; setting
    /// the current value changes nothing. `NotFound` when missing.
    async fn set_lifecycle(
        &self,
        tx: &mut (dyn Tx + 'static),
        org: OrganizationId,
        id: ClientId,
        lifecycle: Lifecycle,
    ) -> Result<(), StoreError>;
}

/// Contacts of clients.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[allow(unused_parens)] // mockall copies the parenthesised trait-object type
#[async_trait]
pub trait ContactRepository: Send + Sync {
    async fn create(
        &self,
        tx: &mut (dyn Tx + 'static),
        contact: &Contact,
    ) -> Result<(), StoreError>;

    /// The contact `id` of `org`; `NotFound` when missing or of another organization.
    async fn get(&self, org: OrganizationId, id: ContactId) -> Result<Contact, StoreError>;

    /// As [`Self::get`], read inside `tx` and held until it ends, so a concurrent writer of
    /// the contact waits for this one.
    async fn get_for_update(
        &self,
        tx: &mut (dyn Tx + 'static),
        org: OrganizationId,
        id: ContactId,
    ) -> Result<Contact, StoreError>;

    /// One page of the contacts of `client`.
    async fn list(
        &self,
        org: OrganizationId,
        client: ClientId,
        query: &ListQuery,
    ) -> Result<Page<Contact>, StoreError>;

    /// `Stale` or `NotFound` as for the other repositories.
    async fn update(
        &self,
        tx: &mut (dyn Tx + 'static),
        contact: &Contact,
        expected_version: i64,
    ) -> Result<(), StoreError>;

    /// `NotFound` when missing. Interactions that named the contact keep existing without it.
    async fn delete(
        &self,
        tx: &mut (dyn Tx + 'static),
        org: OrganizationId,
        id: ContactId,
    ) -> Result<(), StoreError>;

    /// Takes the primary flag off every contact of `client` but `except` (each cleared one
    /// rises one version) and answers the contacts it changed, as they were before.
    async fn clear_primary(
        &self,
        tx: &mut (dyn Tx + 'static),
        org: OrganizationId,
        client: ClientId,
        except: Option<ContactId>,
    ) -> Result<Vec<Contact>, StoreError>;
}

/// Interactions with clients.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[allow(unused_parens)] // mockall copies the parenthesised trait-object type
#[async_trait]
pub trait InteractionRepository: Send + Sync {
    async fn create(
        &self,
        tx: &mut (dyn Tx + 'static),
        interaction: &Interaction,
    ) -> Result<(), StoreError>;

    /// The interaction `id` of `org`; `NotFound` when missing or of another organization.
    async fn get(&self, org: OrganizationId, id: InteractionId) -> Result<Interaction, StoreError>;

    /// As [`Self::get`], read inside `tx` and held until it ends, so a concurrent writer of
    /// the interaction waits for this one.
    async fn get_for_update(
        &self,
        tx: &mut (dyn Tx + 'static),
        org: OrganizationId,
        id: InteractionId,
    ) -> Result<Interaction, StoreError>;

    /// One page of the interactions of `client`.
    async fn list(
        &self,
        org: OrganizationId,
        client: ClientId,
        query: &ListQuery,
    ) -> Result<Page<Interaction>, StoreError>;

    /// `Stale` or `NotFound` as for the other repositories.
    async fn update(
        &self,
        tx: &mut (dyn Tx + 'static),
        interaction: &Interaction,
        expected_version: i64,
    ) -> Result<(), StoreError>;

    /// `NotFound` when missing.
    async fn delete(
        &self,
        tx: &mut (dyn Tx + 'static),
        org: OrganizationId,
        id: InteractionId,
    ) -> Result<(), StoreError>;

    /// When the latest interaction with `client` occurred; `None` when there is none.
    async fn last_interaction_at(
        &self,
        org: OrganizationId,
        client: ClientId,
    ) -> Result<Option<DateTime<Utc>>, StoreError>;
}

/// Every port the client services use, wired once by the composition root.
#[derive(Clone)]
pub struct ClientPorts {
    pub tx: Arc<dyn TxManager>,
    pub clients: Arc<dyn ClientRepository>,
    pub contacts: Arc<dyn ContactRepository>,
    pub interactions: Arc<dyn InteractionRepository>,
    pub activities: Arc<dyn ActivityRepository>,
    /// To check that an `owner_id` is a user of the organization.
    pub users: Arc<dyn UserRepository>,
}
