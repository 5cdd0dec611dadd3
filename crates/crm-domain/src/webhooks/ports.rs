use super::model::{Delivery, DeliveryId, Webhook, WebhookId};
use super::signing::WebhookSecret;
use crate::events::Event;
use crate::kernel::error::StoreError;
use crate::kernel::ids::OrganizationId;
use crate::kernel::pagination::{ListQuery, Page};
use crate::kernel::uow::Txn;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// Webhook subscriptions. The secret is stored sealed ([`SecretVault`]) and never read back
/// with the webhook.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait WebhookRepository: Send + Sync {
    async fn create(&self, tx: &mut Txn, webhook: &Webhook, sealed: &str)
    -> Result<(), StoreError>;

    async fn get(&self, org: OrganizationId, id: WebhookId) -> Result<Webhook, StoreError>;

    /// As [`Self::get`], read inside `tx` and held until it ends.
    async fn get_for_update(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: WebhookId,
    ) -> Result<Webhook, StoreError>;

    async fn list(
        &self,
        org: OrganizationId,
        query: &ListQuery,
    ) -> Result<Page<Webhook>, StoreError>;

    /// `Stale` or `NotFound` as for the other repositories; `sealed` replaces the secret.
    async fn update(
        &self,
        tx: &mut Txn,
        webhook: &Webhook,
        expected_version: i64,
        sealed: Option<String>,
    ) -> Result<(), StoreError>;

    /// Deletes the webhook and its delivery log.
    async fn delete(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: WebhookId,
    ) -> Result<(), StoreError>;
}

/// A delivery claimed for one attempt, with what sending it needs.
#[derive(Clone, Debug)]
pub struct DueDelivery {
    pub id: DeliveryId,
    pub organization_id: OrganizationId,
    pub webhook_id: WebhookId,
    /// Attempts made before this one.
    pub attempts: u32,
    pub url: String,
    pub is_active: bool,
    /// The sealed secret, opened by the dispatcher.
    pub sealed_secret: String,
    /// `None` when the event has expired (older than the event retention); shared by the
    /// deliveries of one event to several webhooks.
    pub event: Option<std::sync::Arc<Event>>,
}

/// What one relay took: how many events, and the deliveries it made, claimed for their first
/// attempt.
#[derive(Clone, Debug, Default)]
pub struct Relayed {
    pub events: u32,
    pub due: Vec<DueDelivery>,
}

/// What an attempt came to.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AttemptRecord {
    pub status_code: Option<i32>,
    pub error: Option<String>,
    /// `Succeeded`, `Failed`, or `Pending` with `next_attempt_at`.
    pub succeeded: bool,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub at: DateTime<Utc>,
}

/// The delivery log, the relay from events to deliveries, and the delivery claims.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait DeliveryRepository: Send + Sync {
    /// One page of `webhook`'s deliveries.
    async fn list(
        &self,
        org: OrganizationId,
        webhook: WebhookId,
        query: &ListQuery,
    ) -> Result<Page<Delivery>, StoreError>;

    /// Makes the delivery due now (pending again if it had failed); `NotFound` when it is not
    /// one of `webhook`'s.
    async fn retry_now(
        &self,
        org: OrganizationId,
        webhook: WebhookId,
        id: DeliveryId,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Fans out up to `limit` events marked for relay: one delivery per matching active
    /// webhook of the event's organization, the mark cleared, in one transaction whose claim of
    /// the marked rows is exclusive. The new deliveries are claimed until `lease_until` by
    /// this caller, which makes their first attempt at once.
    async fn relay(
        &self,
        limit: u32,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Relayed, StoreError>;

    /// Claims up to `limit` due deliveries until `lease_until` (a crashed claimer's deliveries
    /// come back after it), each claim exclusive across instances.
    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<DueDelivery>, StoreError>;

    /// Records the attempts of claimed deliveries and releases their claims; the attempts
    /// that came to the same answer (most often: all succeeded) in one statement.
    async fn record_attempts(
        &self,
        records: Vec<(DeliveryId, AttemptRecord)>,
    ) -> Result<(), StoreError>;
}

/// Why a url may not be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TargetRefusal {
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Unresolvable(String),
    #[error("{0}")]
    Forbidden(String),
}

/// What a send came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SendOutcome {
    /// The receiver answered with this status.
    Answered(u16),
    /// No answer: refused target, connection failure, timeout.
    Failed(String),
}

/// The HTTP side of webhooks: checks targets and POSTs signed bodies.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait WebhookSender: Send + Sync {
    /// Whether `url` may be delivered to: `http(s)`, resolvable, and (unless private targets
    /// are allowed) no address of its host loopback, private or link-local.
    async fn check_target(&self, url: &str) -> Result<(), TargetRefusal>;

    /// POSTs `body` with `headers` to `url`, connecting only to an address that passed the
    /// check at this moment.
    async fn send(&self, url: &str, headers: Vec<(String, String)>, body: Vec<u8>) -> SendOutcome;
}

/// Webhook secrets: new keys, and their sealed (encrypted) form at rest.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait SecretVault: Send + Sync {
    fn generate(&self) -> WebhookSecret;
    fn seal(&self, secret: &WebhookSecret) -> Result<String, StoreError>;
    fn open(&self, sealed: &str) -> Result<WebhookSecret, StoreError>;
}
