use super::model::Event;
use crate::kernel::error::StoreError;
use crate::kernel::ids::OrganizationId;
use crate::kernel::pagination::{ListQuery, Page};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// Reading events (they are written with their audit entries, through
/// [`crate::activity::ActivityRepository::record`]).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait EventRepository: Send + Sync {
    /// One page of the organization's events since `since` matching `query`.
    async fn list(
        &self,
        org: OrganizationId,
        since: DateTime<Utc>,
        query: &ListQuery,
    ) -> Result<Page<Event>, StoreError>;
}
