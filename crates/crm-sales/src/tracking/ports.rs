use super::model::{ClientFigures, TimelineItem, TrackingScope};
use async_trait::async_trait;
use chrono::NaiveDate;
use crm_domain::clients::ClientId;
use crm_domain::kernel::pagination::{ListQuery, Page};
use crm_domain::{OrganizationId, StoreError};

/// Customer-tracking reads, computed by the store (`GROUP BY`, `MAX`, `UNION ALL`).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ClientTrackingRepository: Send + Sync {
    /// Deal counts and sums per status and currency, the latest interaction time and the
    /// quotation counts per status as of `today`, of client `client` of `org`, limited to
    /// what `scope` shows.
    async fn summary(
        &self,
        org: OrganizationId,
        client: ClientId,
        scope: &TrackingScope,
        today: NaiveDate,
    ) -> Result<ClientFigures, StoreError>;

    /// One page of the client's timeline, ordered by `occurred_at` then id (both in the
    /// direction of the query's sort), limited to what `scope` shows; the query may filter
    /// `kind` and range `occurred_at`. Quotation statuses are as of `today` (expiry).
    async fn timeline(
        &self,
        org: OrganizationId,
        client: ClientId,
        scope: &TrackingScope,
        query: &ListQuery,
        today: NaiveDate,
    ) -> Result<Page<TimelineItem>, StoreError>;
}
