use super::model::{Client, ClientId, Lifecycle};
use crate::kernel::error::StoreError;
use crate::kernel::ids::{OrganizationId, UserId};
use crate::kernel::pagination::{ListQuery, Page};
use crate::kernel::uow::Txn;
use async_trait::async_trait;

/// Clients and their hierarchy.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ClientRepository: Send + Sync {
    /// Inserts `client`.
    async fn create(&self, tx: &mut Txn, client: &Client) -> Result<(), StoreError>;

    /// The client `id` of `org`; `NotFound` when missing or of another organization.
    async fn get(&self, org: OrganizationId, id: ClientId) -> Result<Client, StoreError>;

    /// As [`Self::get`], read inside `tx` and held until it ends (`SELECT … FOR UPDATE`;
    /// SQLite's write lock), so writes of the client, and writes that depend on it (its
    /// contacts' primary flag, its lifecycle), are serialized.
    async fn get_for_update(
        &self,
        tx: &mut Txn,
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
        tx: &mut Txn,
        client: &Client,
        expected_version: i64,
    ) -> Result<(), StoreError>;

    /// Deletes the client with its contacts and interactions. `NotFound` when missing;
    /// `Conflict` while sub-clients (or other records, e.g. deals) still refer to it.
    async fn delete(
        &self,
        tx: &mut Txn,
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
        tx: &mut Txn,
        org: OrganizationId,
        id: ClientId,
    ) -> Result<Vec<ClientId>, StoreError>;

    /// Sets the client's lifecycle (customer tracking: a won deal makes it a `customer`).
    /// When the value changes, `version` rises by one and `updated_at` becomes now; setting
    /// the current value changes nothing. `NotFound` when missing.
    async fn set_lifecycle(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: ClientId,
        lifecycle: Lifecycle,
    ) -> Result<(), StoreError>;
}
