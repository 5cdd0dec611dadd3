use super::model::{Client, ClientId, Lifecycle};
use crate::kernel::error::StoreError;
use crate::kernel::ids::{OrganizationId, UserId};
use crate::kernel::pagination::{ListQuery, Page};
use crate::kernel::uow::Txn;
use async_trait::async_trait;

/// What clients store besides their `Records<Client>`: the hierarchy and the lifecycle.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ClientRepository: Send + Sync {
    /// One page of the direct children of `parent` (`GET /clients/{id}/sub-clients`), with
    /// the same query and owner restriction as `Records::list`.
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
