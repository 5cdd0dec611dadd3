use super::model::Department;
use crate::identity::model::DepartmentId;
use crate::kernel::error::StoreError;
use crate::kernel::ids::OrganizationId;
use crate::kernel::pagination::{ListQuery, Page};
use crate::kernel::uow::Txn;
use async_trait::async_trait;

/// Departments.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait DepartmentRepository: Send + Sync {
    /// Inserts `dept`. `Conflict` when its `code` is taken in the organization.
    async fn create(&self, tx: &mut Txn, dept: &Department) -> Result<(), StoreError>;

    /// The department `id` of `org`; `NotFound` when missing or of another organization.
    async fn get(&self, org: OrganizationId, id: DepartmentId) -> Result<Department, StoreError>;

    /// The department `id` of `org`, read inside `tx` and held until it ends, so a concurrent
    /// writer of the department waits for this one; `NotFound` as for [`Self::get`].
    async fn get_for_update(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: DepartmentId,
    ) -> Result<Department, StoreError>;

    async fn list(
        &self,
        org: OrganizationId,
        query: &ListQuery,
    ) -> Result<Page<Department>, StoreError>;

    /// Stores `dept` where the stored version is `expected_version`: `Stale`, `NotFound`, or
    /// `Conflict` on a duplicate code.
    async fn update(
        &self,
        tx: &mut Txn,
        dept: &Department,
        expected_version: i64,
    ) -> Result<(), StoreError>;

    /// Deletes the department. `NotFound` when missing; `Conflict` while sub-departments,
    /// designations or users still refer to it.
    async fn delete(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: DepartmentId,
    ) -> Result<(), StoreError>;

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
