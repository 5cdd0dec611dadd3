//! The hourly clean-up of notifications: read ones older than [`RETENTION_DAYS`] and stream
//! tickets past their validity, in batches. A job of its own (rather than more steps of the
//! shared `cleanup` job) so the module plugs into the scheduler without touching it.

use super::model::RETENTION_DAYS;
use crate::jobs::{Job, Period};
use crate::kernel::error::{DomainError, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait NotificationCleanup: Send + Sync {
    /// Removes up to `limit` notifications read before `before`; how many went.
    async fn read_before(&self, before: DateTime<Utc>, limit: u64) -> Result<u64, StoreError>;
    /// Removes up to `limit` stream tickets that expired before `now`; how many went.
    async fn expired_tickets(&self, now: DateTime<Utc>, limit: u64) -> Result<u64, StoreError>;
}

pub struct NotificationCleanupJob {
    port: Arc<dyn NotificationCleanup>,
    batch: u64,
}

impl NotificationCleanupJob {
    pub fn new(port: Arc<dyn NotificationCleanup>) -> Self {
        Self { port, batch: 1000 }
    }
}

#[async_trait]
impl Job for NotificationCleanupJob {
    fn name(&self) -> &'static str {
        "notifications-cleanup"
    }

    fn period(&self) -> Period {
        Period::Hourly
    }

    async fn run(&self, now: DateTime<Utc>) -> Result<String, DomainError> {
        let before = now - Duration::days(RETENTION_DAYS);
        let (mut read, mut tickets) = (0, 0);
        loop {
            let n = self.port.read_before(before, self.batch).await?;
            read += n;
            if n < self.batch {
                break;
            }
        }
        loop {
            let n = self.port.expired_tickets(now, self.batch).await?;
            tickets += n;
            if n < self.batch {
                break;
            }
        }
        Ok(format!(
            "removed {read} read notifications, {tickets} stream tickets"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::testing::now;

    #[tokio::test]
    async fn removes_read_notifications_after_ninety_days_in_batches() {
        let mut port = MockNotificationCleanup::new();
        let mut seq = mockall::Sequence::new();
        port.expect_read_before()
            .withf(|b, l| *b == now() - Duration::days(90) && *l == 2)
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, _| Ok(2));
        port.expect_read_before()
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, _| Ok(1));
        port.expect_expired_tickets()
            .withf(|n, _| *n == now())
            .times(1)
            .returning(|_, _| Ok(0));
        let job = NotificationCleanupJob {
            port: Arc::new(port),
            batch: 2,
        };
        assert_eq!(
            job.run(now()).await.unwrap(),
            "removed 3 read notifications, 0 stream tickets"
        );
    }
}
