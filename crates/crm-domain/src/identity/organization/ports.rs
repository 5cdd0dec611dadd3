use super::model::Organization;
use crate::kernel::error::StoreError;
use crate::kernel::ids::OrganizationId;
use crate::kernel::uow::Txn;
use async_trait::async_trait;

/// Organizations (tenants).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait OrganizationRepository: Send + Sync {
    /// Inserts a new organization. `Conflict` only on a duplicate id.
    async fn create(&self, tx: &mut Txn, org: &Organization) -> Result<(), StoreError>;

    /// The organization `id`; `NotFound` when it does not exist. The id is the tenant itself, so
    /// callers pass the organization of their token.
    async fn get(&self, id: OrganizationId) -> Result<Organization, StoreError>;

    /// The organization `id`, read inside `tx` and held until it ends, so a concurrent writer
    /// of the organization waits for this one; `NotFound` when it does not exist.
    async fn get_for_update(
        &self,
        tx: &mut Txn,
        id: OrganizationId,
    ) -> Result<Organization, StoreError>;

    /// Bootstrap only (`crm admin create`, `CRM__BOOTSTRAP__*`): the organization with exactly
    /// this name, the oldest when several share it; `Ok(None)` when none does.
    async fn find_by_name(&self, name: &str) -> Result<Option<Organization>, StoreError>;

    /// Stores `org` (whose `version` is already the new one) where the stored version is
    /// `expected_version`. `Stale` when the stored version differs, `NotFound` when the row is gone.
    async fn update(
        &self,
        tx: &mut Txn,
        org: &Organization,
        expected_version: i64,
    ) -> Result<(), StoreError>;
}
