use super::model::{Interaction, InteractionId};
use crate::clients::clients::ClientId;
use crate::kernel::error::StoreError;
use crate::kernel::ids::OrganizationId;
use crate::kernel::pagination::{ListQuery, Page};
use crate::kernel::uow::Txn;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// Interactions with clients.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait InteractionRepository: Send + Sync {
    async fn create(&self, tx: &mut Txn, interaction: &Interaction) -> Result<(), StoreError>;

    /// The interaction `id` of `org`; `NotFound` when missing or of another organization.
    async fn get(&self, org: OrganizationId, id: InteractionId) -> Result<Interaction, StoreError>;

    /// As [`Self::get`], read inside `tx` and held until it ends, so a concurrent writer of
    /// the interaction waits for this one.
    async fn get_for_update(
        &self,
        tx: &mut Txn,
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
        tx: &mut Txn,
        interaction: &Interaction,
        expected_version: i64,
    ) -> Result<(), StoreError>;

    /// `NotFound` when missing.
    async fn delete(
        &self,
        tx: &mut Txn,
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
