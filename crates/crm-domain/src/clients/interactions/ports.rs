use crate::clients::clients::ClientId;
use crate::kernel::error::StoreError;
use crate::kernel::ids::OrganizationId;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// What interactions store besides their `Records<Interaction>`.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait InteractionRepository: Send + Sync {
    /// When the latest interaction with `client` occurred; `None` when there is none.
    async fn last_interaction_at(
        &self,
        org: OrganizationId,
        client: ClientId,
    ) -> Result<Option<DateTime<Utc>>, StoreError>;
}
