//! The hourly clean-up: rows whose purpose has passed are removed in small batches, so that a
//! large backlog never holds long locks or one huge transaction.

use super::scheduler::{Job, Period};
use crate::kernel::error::{DomainError, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;

/// Removal of expired rows, a batch at a time.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait Cleanup: Send + Sync {
    /// Removes up to `limit` code requests made before `before`; how many went.
    async fn code_requests(&self, before: DateTime<Utc>, limit: u64) -> Result<u64, StoreError>;
    /// Expires up to `limit` events that occurred before `before`; how many went.
    async fn events(&self, before: DateTime<Utc>, limit: u64) -> Result<u64, StoreError>;
    /// Removes up to `limit` idempotency keys that expired before `now`; how many went.
    async fn idempotency_keys(&self, now: DateTime<Utc>, limit: u64) -> Result<u64, StoreError>;
    /// Removes up to `limit` finished job claims older than `before`; how many went.
    async fn job_runs(&self, before: DateTime<Utc>, limit: u64) -> Result<u64, StoreError>;
    /// Removes up to `limit` finished (succeeded or failed) webhook deliveries created before
    /// `before`; how many went.
    async fn webhook_deliveries(
        &self,
        before: DateTime<Utc>,
        limit: u64,
    ) -> Result<u64, StoreError>;
    /// Removes up to `limit` sign-in attempt counters untouched since `before`; how many went.
    async fn auth_attempts(&self, before: DateTime<Utc>, limit: u64) -> Result<u64, StoreError>;
}

/// How long code requests are kept: they only matter to the send window (at most an hour);
/// a day leaves room for any configured cooldown.
pub const CODE_REQUESTS_KEPT: Duration = Duration::days(1);
/// How long finished job claims are kept, for looking back at what ran.
pub const JOB_RUNS_KEPT: Duration = Duration::days(30);
/// How long finished webhook deliveries stay in the delivery log.
pub const DELIVERIES_KEPT: Duration = Duration::days(30);

pub struct CleanupJob {
    port: Arc<dyn Cleanup>,
    batch: u64,
}

impl CleanupJob {
    pub fn new(port: Arc<dyn Cleanup>) -> Self {
        Self { port, batch: 1000 }
    }

    pub fn with_batch(mut self, batch: u64) -> Self {
        self.batch = batch.max(1);
        self
    }
}

/// Calls `step` until a batch comes back short; the total removed.
async fn drain<F, Fut>(batch: u64, mut step: F) -> Result<u64, StoreError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<u64, StoreError>>,
{
    let mut total = 0;
    loop {
        let n = step().await?;
        total += n;
        if n < batch {
            return Ok(total);
        }
    }
}

#[async_trait]
impl Job for CleanupJob {
    fn name(&self) -> &'static str {
        "cleanup"
    }

    fn period(&self) -> Period {
        Period::Hourly
    }

    async fn run(&self, now: DateTime<Utc>) -> Result<String, DomainError> {
        let b = self.batch;
        let codes = drain(b, || self.port.code_requests(now - CODE_REQUESTS_KEPT, b)).await?;
        let events_before = now - Duration::days(crate::events::RETENTION_DAYS);
        let events = drain(b, || self.port.events(events_before, b)).await?;
        let keys = drain(b, || self.port.idempotency_keys(now, b)).await?;
        let runs = drain(b, || self.port.job_runs(now - JOB_RUNS_KEPT, b)).await?;
        let deliveries =
            drain(b, || self.port.webhook_deliveries(now - DELIVERIES_KEPT, b)).await?;
        // A counter matters for its minute and its failures for an hour.
        let attempts_before = now - crate::identity::throttle::FORGET_AFTER;
        let attempts = drain(b, || self.port.auth_attempts(attempts_before, b)).await?;
        Ok(format!(
            "removed {codes} code requests, {keys} idempotency keys, {runs} job claims, \
             {deliveries} webhook deliveries, {attempts} sign-in attempt counters; expired \
             {events} events"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use std::sync::Mutex;

    #[tokio::test]
    async fn removes_in_batches_until_a_short_one() {
        let now = Utc
            .with_ymd_and_hms(2026, 12, 6, 3, 0, 0)
            .single()
            .unwrap_or_default();
        let mut port = MockCleanup::new();
        let left = Arc::new(Mutex::new(5u64));
        let l = left.clone();
        port.expect_code_requests()
            .withf(move |before, limit| *before == now - Duration::days(1) && *limit == 2)
            .times(3)
            .returning(move |_, limit| {
                let mut left = l.lock().unwrap();
                let n = (*left).min(limit);
                *left -= n;
                Ok(n)
            });
        port.expect_events()
            .withf(move |before, _| *before == now - Duration::days(30))
            .times(1)
            .returning(|_, _| Ok(1));
        port.expect_idempotency_keys()
            .withf(move |at, _| *at == now)
            .times(1)
            .returning(|_, _| Ok(0));
        port.expect_job_runs().times(1).returning(|before, _| {
            assert_eq!(before.date_naive().to_string(), "2026-11-06");
            Ok(0)
        });
        port.expect_webhook_deliveries()
            .withf(move |before, _| *before == now - Duration::days(30))
            .times(2)
            .returning({
                let mut calls = 0;
                move |_, limit| {
                    calls += 1;
                    Ok(if calls == 1 { limit } else { 1 })
                }
            });
        port.expect_auth_attempts()
            .withf(move |before, _| *before == now - Duration::hours(1))
            .times(1)
            .returning(|_, _| Ok(1));
        let job = CleanupJob::new(Arc::new(port)).with_batch(2);
        assert_eq!(
            job.run(now).await.unwrap(),
            "removed 5 code requests, 0 idempotency keys, 0 job claims, 3 webhook deliveries, \
             1 sign-in attempt counters; expired 1 events"
        );
        assert_eq!(*left.lock().unwrap(), 0);
    }

    #[tokio::test]
    async fn a_store_failure_fails_the_run() {
        let mut port = MockCleanup::new();
        port.expect_code_requests()
            .returning(|_, _| Err(StoreError::Unavailable("down".into())));
        let job = CleanupJob::new(Arc::new(port));
        assert!(job.run(Utc::now()).await.is_err());
    }
}
