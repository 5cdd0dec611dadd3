use super::model::{Activity, NewActivity};
use crate::kernel::error::StoreError;
use crate::kernel::ids::OrganizationId;
use crate::kernel::pagination::{ListQuery, Page};
use crate::kernel::uow::Txn;
use async_trait::async_trait;

/// Storage of the activity log.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ActivityRepository: Send + Sync {
    /// Appends an entry inside `tx`; fails only as the transaction fails.
    async fn record(&self, tx: &mut Txn, entry: NewActivity) -> Result<(), StoreError>;

    /// One page of the organization's entries matching `query`.
    async fn list(
        &self,
        org: OrganizationId,
        query: &ListQuery,
    ) -> Result<Page<Activity>, StoreError>;
}
