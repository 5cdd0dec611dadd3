use super::model::{Notification, Preference};
use crate::kernel::error::StoreError;
use crate::kernel::ids::{OrganizationId, UserId};
use crate::kernel::pagination::{ListQuery, Page};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// Whom a redeemed stream ticket stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Recipient {
    pub organization_id: OrganizationId,
    pub user_id: UserId,
}

/// Storage of notifications, preferences and stream tickets. Every read and write is the
/// recipient's own: a notification of another user is `NotFound`. (Notifications are written
/// by the audit-log adapter, in the change's transaction.)
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait NotificationRepository: Send + Sync {
    /// One page of the user's notifications; only unread ones with `unread`.
    async fn list(
        &self,
        org: OrganizationId,
        user: UserId,
        unread: bool,
        query: &ListQuery,
    ) -> Result<Page<Notification>, StoreError>;

    async fn unread_count(&self, org: OrganizationId, user: UserId) -> Result<u64, StoreError>;

    /// Marks one read (keeping the first `read_at`) and returns it.
    async fn mark_read(
        &self,
        org: OrganizationId,
        user: UserId,
        id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<Notification, StoreError>;

    /// Marks every unread one read; how many.
    async fn mark_all_read(
        &self,
        org: OrganizationId,
        user: UserId,
        at: DateTime<Utc>,
    ) -> Result<u64, StoreError>;

    async fn delete(&self, org: OrganizationId, user: UserId, id: Uuid) -> Result<(), StoreError>;

    /// The user's notifications after `after` (oldest first, at most `limit`): a stream's
    /// resume.
    async fn after(
        &self,
        org: OrganizationId,
        user: UserId,
        after: Uuid,
        limit: u64,
    ) -> Result<Vec<Notification>, StoreError>;

    /// The preferences the user has set (types never set are absent).
    async fn preferences(
        &self,
        org: OrganizationId,
        user: UserId,
    ) -> Result<Vec<Preference>, StoreError>;

    /// Stores each of `items`, replacing the user's earlier choice for its type.
    async fn set_preferences(
        &self,
        org: OrganizationId,
        user: UserId,
        items: Vec<Preference>,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Stores a stream ticket by its hash.
    async fn create_ticket(
        &self,
        org: OrganizationId,
        user: UserId,
        hash: String,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Uses up the ticket with this hash if it is unused and unexpired at `now` (one
    /// conditional update, so two redemptions cannot both succeed), and says whose it was.
    async fn redeem_ticket(
        &self,
        hash: String,
        now: DateTime<Utc>,
    ) -> Result<Option<Recipient>, StoreError>;
}
