use super::model::Role;
use crate::identity::model::RoleId;
use crate::kernel::error::StoreError;
use crate::kernel::ids::{OrganizationId, UserId};
use crate::kernel::pagination::{ListQuery, Page};
use crate::kernel::uow::Txn;
use async_trait::async_trait;

/// Roles and their assignment to users.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait RoleRepository: Send + Sync {
    /// Inserts `role`. `Conflict` when the organization already has a role of that name
    /// (compared case-insensitively).
    async fn create(&self, tx: &mut Txn, role: &Role) -> Result<(), StoreError>;

    /// The role `id` of `org`; `NotFound` when missing or of another organization.
    async fn get(&self, org: OrganizationId, id: RoleId) -> Result<Role, StoreError>;

    /// The role `id` of `org`, read inside `tx` and held until it ends, so a concurrent writer
    /// of the role waits for this one; `NotFound` when missing or of another organization.
    async fn get_for_update(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: RoleId,
    ) -> Result<Role, StoreError>;

    /// Those of `ids` that exist in `org`, in any order; ids of other organizations are
    /// silently absent, so the caller compares lengths.
    async fn get_many(&self, org: OrganizationId, ids: &[RoleId]) -> Result<Vec<Role>, StoreError>;

    /// The role of `org` named `name` (case-insensitive); `Ok(None)` when none.
    async fn find_by_name(
        &self,
        org: OrganizationId,
        name: &str,
    ) -> Result<Option<Role>, StoreError>;

    /// One page of the roles of `org`.
    async fn list(&self, org: OrganizationId, query: &ListQuery) -> Result<Page<Role>, StoreError>;

    /// Stores `role` (new version already set) where the stored version is `expected_version`.
    /// `Stale`, `NotFound`, or `Conflict` on a duplicate name.
    async fn update(
        &self,
        tx: &mut Txn,
        role: &Role,
        expected_version: i64,
    ) -> Result<(), StoreError>;

    /// Deletes the role and its assignments. `NotFound` when missing or of another organization.
    async fn delete(&self, tx: &mut Txn, org: OrganizationId, id: RoleId)
    -> Result<(), StoreError>;

    /// The roles assigned to `user` in `org` (empty for a user of another organization).
    async fn roles_of_user(
        &self,
        org: OrganizationId,
        user: UserId,
    ) -> Result<Vec<Role>, StoreError>;

    /// As [`Self::roles_of_user`], read on `tx`'s connection (a transaction must not wait for
    /// a second connection from the pool while it holds one).
    async fn roles_of_user_in_tx(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        user: UserId,
    ) -> Result<Vec<Role>, StoreError>;

    /// Replaces the roles of `user` with `roles` (all of `org`, checked by the caller).
    /// `NotFound` when the user is not of `org`.
    async fn set_user_roles(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        user: UserId,
        roles: &[RoleId],
    ) -> Result<(), StoreError>;
}
