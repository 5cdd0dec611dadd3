use super::model::{Contact, ContactId};
use crate::clients::clients::ClientId;
use crate::kernel::error::StoreError;
use crate::kernel::ids::OrganizationId;
use crate::kernel::pagination::{ListQuery, Page};
use crate::kernel::uow::Txn;
use async_trait::async_trait;

/// Contacts of clients.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ContactRepository: Send + Sync {
    async fn create(&self, tx: &mut Txn, contact: &Contact) -> Result<(), StoreError>;

    /// The contact `id` of `org`; `NotFound` when missing or of another organization.
    async fn get(&self, org: OrganizationId, id: ContactId) -> Result<Contact, StoreError>;

    /// As [`Self::get`], read inside `tx` and held until it ends, so a concurrent writer of
    /// the contact waits for this one.
    async fn get_for_update(
        &self,
        tx: &mut Txn,
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
        tx: &mut Txn,
        contact: &Contact,
        expected_version: i64,
    ) -> Result<(), StoreError>;

    /// `NotFound` when missing. Interactions that named the contact keep existing without it.
    async fn delete(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: ContactId,
    ) -> Result<(), StoreError>;

    /// Takes the primary flag off every contact of `client` but `except` (each cleared one
    /// rises one version) and answers the contacts it changed, as they were before.
    async fn clear_primary(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        client: ClientId,
        except: Option<ContactId>,
    ) -> Result<Vec<Contact>, StoreError>;
}
