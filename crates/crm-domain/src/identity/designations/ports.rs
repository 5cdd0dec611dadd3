use super::model::Designation;
use crate::identity::model::DesignationId;
use crate::kernel::error::StoreError;
use crate::kernel::ids::OrganizationId;
use crate::kernel::pagination::{ListQuery, Page};
use crate::kernel::uow::Txn;
use async_trait::async_trait;

/// Designations (job titles).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait DesignationRepository: Send + Sync {
    async fn create(&self, tx: &mut Txn, d: &Designation) -> Result<(), StoreError>;

    /// `NotFound` when missing or of another organization.
    async fn get(&self, org: OrganizationId, id: DesignationId) -> Result<Designation, StoreError>;

    /// The designation `id` of `org`, read inside `tx` and held until it ends, so a
    /// concurrent writer of the designation waits for this one; `NotFound` as for
    /// [`Self::get`].
    async fn get_for_update(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: DesignationId,
    ) -> Result<Designation, StoreError>;

    async fn list(
        &self,
        org: OrganizationId,
        query: &ListQuery,
    ) -> Result<Page<Designation>, StoreError>;

    /// `Stale` or `NotFound` as for the other repositories.
    async fn update(
        &self,
        tx: &mut Txn,
        d: &Designation,
        expected_version: i64,
    ) -> Result<(), StoreError>;

    /// `NotFound` when missing; `Conflict` while users hold the designation.
    async fn delete(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: DesignationId,
    ) -> Result<(), StoreError>;
}
