use crate::identity::model::DepartmentId;
use crate::kernel::error::StoreError;
use crate::kernel::ids::OrganizationId;
use crate::kernel::uow::Txn;
use async_trait::async_trait;

/// What departments store besides their `Records<Department>`.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait DepartmentRepository: Send + Sync {
    /// The chain above `id`: its parent, the parent's parent, … up to a root, read inside `tx`
    /// (adapters lock the rows, or use a serializable read, so two concurrent moves cannot
    /// close a cycle between them). Stops after 1000 steps if the stored data already loops.
    /// `NotFound` when `id` is not of `org`.
    async fn ancestor_ids(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: DepartmentId,
    ) -> Result<Vec<DepartmentId>, StoreError>;
}
