//! Idempotency keys (contract section 2): a `POST` sent again with the same `Idempotency-Key`
//! by the same user gets the first answer again, and is not done twice.
//!
//! The HTTP middleware (crm-api `idempotency.rs`) claims the key before the handler runs and
//! stores the answer after it; this is the storage port and the rules it keeps.

use crate::kernel::error::StoreError;
use crate::kernel::ids::{OrganizationId, UserId};
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

/// How long a key is remembered.
pub const KEPT: Duration = Duration::hours(24);
/// A claim whose request has run this long without an answer is taken to be abandoned (its
/// instance stopped): the next request with the key runs instead of waiting for ever.
pub const ABANDONED_AFTER: Duration = Duration::minutes(2);

/// Whose key: keys of different users (or organizations) never meet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyScope {
    pub organization_id: OrganizationId,
    pub user_id: UserId,
    pub key: String,
}

/// The answer given to the first request, replayed to the others.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredAnswer {
    pub status: u16,
    pub body: String,
    pub content_type: Option<String>,
    pub location: Option<String>,
    pub etag: Option<String>,
}

/// What a request with a key may do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Claim {
    /// First with this key (or the earlier one was abandoned or has expired): run it.
    Run,
    /// The first request with this key is still running: `409`.
    InProgress,
    /// The key was used for a different request (method, path or body): `422`.
    Reused,
    /// The first request was answered: replay its answer.
    Answered(StoredAnswer),
}

/// Validates an `Idempotency-Key` header value: 1–255 visible ASCII characters.
pub fn valid_key(raw: &str) -> bool {
    (1..=255).contains(&raw.len()) && raw.bytes().all(|b| (0x21..=0x7e).contains(&b))
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Claims `scope` for a request whose method, path and body hash to `request_hash`.
    async fn claim(
        &self,
        scope: &KeyScope,
        request_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Claim, StoreError>;

    /// Stores the answer of the claimed request, replayed until `now + KEPT`.
    async fn complete(
        &self,
        scope: &KeyScope,
        answer: &StoredAnswer,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Forgets the claim (the request failed with a server error: a retry runs again).
    async fn release(&self, scope: &KeyScope) -> Result<(), StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_one_to_255_visible_ascii_characters() {
        assert!(valid_key("a"));
        assert!(valid_key(&"k".repeat(255)));
        assert!(valid_key("order-2026-12-06T10:00:00Z#1"));
        assert!(!valid_key(""));
        assert!(!valid_key(&"k".repeat(256)));
        assert!(!valid_key("has space"));
        assert!(!valid_key("tab\t"));
        assert!(!valid_key("café"));
    }
}
