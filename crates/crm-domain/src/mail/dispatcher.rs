use super::ports::{MailError, Mailer, OutboxRepository};
use crate::kernel::error::StoreError;
use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;

/// When a failed message is tried again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Delay after the first failure; doubled after each further one.
    pub base: Duration,
    /// The delay never grows past this.
    pub max_delay: Duration,
    /// After this many failed attempts the message is given up (kept, marked dead).
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            base: Duration::seconds(5),
            max_delay: Duration::minutes(30),
            max_attempts: 20,
        }
    }
}

impl RetryPolicy {
    /// When to retry after `attempts_done` failed attempts, or `None` to give up.
    pub fn next_attempt(&self, now: DateTime<Utc>, attempts_done: u32) -> Option<DateTime<Utc>> {
        if attempts_done >= self.max_attempts {
            return None;
        }
        let exp = attempts_done.saturating_sub(1).min(30);
        let delay = self
            .base
            .checked_mul(1 << exp)
            .unwrap_or(self.max_delay)
            .min(self.max_delay);
        Some(now + delay)
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DispatchReport {
    pub sent: u32,
    pub retrying: u32,
    pub given_up: u32,
}

/// Drains due messages from the outbox into the mailer.
#[derive(Clone)]
pub struct OutboxDispatcher {
    outbox: Arc<dyn OutboxRepository>,
    mailer: Arc<dyn Mailer>,
    policy: RetryPolicy,
    /// How long a claimed message stays invisible to other instances.
    lease: Duration,
}

impl OutboxDispatcher {
    pub fn new(
        outbox: Arc<dyn OutboxRepository>,
        mailer: Arc<dyn Mailer>,
        policy: RetryPolicy,
    ) -> Self {
        Self {
            outbox,
            mailer,
            policy,
            lease: Duration::minutes(2),
        }
    }

    /// Claims held for `lease` instead of two minutes: how long a crashed instance's
    /// messages wait before another takes them. Longer than a batch may take to send.
    pub fn with_lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// One pass: claim up to `batch` due messages and try each once.
    pub async fn run_once(
        &self,
        now: DateTime<Utc>,
        batch: u32,
    ) -> Result<DispatchReport, StoreError> {
        let claimed = self.outbox.claim_due(now, now + self.lease, batch).await?;
        let mut report = DispatchReport::default();
        for msg in claimed {
            match self.mailer.send(&msg.mail).await {
                Ok(()) => {
                    self.outbox.mark_sent(msg.id, Utc::now()).await?;
                    report.sent += 1;
                }
                Err(err) => {
                    let attempts = msg.attempts + 1;
                    let retry_at = match &err {
                        MailError::Temporary(_) => self.policy.next_attempt(Utc::now(), attempts),
                        MailError::Permanent(_) => None,
                    };
                    if retry_at.is_some() {
                        report.retrying += 1;
                    } else {
                        report.given_up += 1;
                    }
                    tracing::warn!(outbox_id = %msg.id, attempts, error = %err, "mail delivery failed");
                    self.outbox
                        .mark_failed(msg.id, err.to_string(), retry_at)
                        .await?;
                }
            }
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::ids::OutboxId;
    use crate::mail::ports::{MockMailer, MockOutboxRepository, OutboxMessage, OutgoingMail};

    fn msg(attempts: u32) -> OutboxMessage {
        OutboxMessage {
            id: OutboxId::new(),
            organization_id: None,
            mail: OutgoingMail {
                to: "a@example.com".into(),
                subject: "s".into(),
                text: "t".into(),
                html: None,
                attachments: Vec::new(),
            },
            attempts,
        }
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_then_gives_up() {
        let p = RetryPolicy {
            base: Duration::seconds(5),
            max_delay: Duration::seconds(60),
            max_attempts: 6,
        };
        let now = Utc::now();
        let delays: Vec<i64> = (1..=5)
            .map(|a| (p.next_attempt(now, a).unwrap() - now).num_seconds())
            .collect();
        assert_eq!(delays, vec![5, 10, 20, 40, 60]);
        assert_eq!(p.next_attempt(now, 6), None);
    }

    #[tokio::test]
    async fn sent_messages_are_marked_and_failures_rescheduled() {
        let ok = msg(0);
        let flaky = msg(2);
        let bad = msg(0);
        let (ok_id, flaky_id, bad_id) = (ok.id, flaky.id, bad.id);
        let mut outbox = MockOutboxRepository::new();
        let claimed = vec![ok, flaky, bad];
        outbox
            .expect_claim_due()
            .times(1)
            .returning(move |_, _, _| Ok(claimed.clone()));
        outbox
            .expect_mark_sent()
            .withf(move |id, _| *id == ok_id)
            .times(1)
            .returning(|_, _| Ok(()));
        outbox
            .expect_mark_failed()
            .withf(move |id, _, retry| *id == flaky_id && retry.is_some())
            .times(1)
            .returning(|_, _, _| Ok(()));
        outbox
            .expect_mark_failed()
            .withf(move |id, _, retry| *id == bad_id && retry.is_none())
            .times(1)
            .returning(|_, _, _| Ok(()));
        // Distinguish the three by call order: ok, then temporary failure, then permanent.
        let mut seq = mockall::Sequence::new();
        let mut mailer = MockMailer::new();
        mailer
            .expect_send()
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_| Ok(()));
        mailer
            .expect_send()
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_| Err(MailError::Temporary("connection refused".into())));
        mailer
            .expect_send()
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_| Err(MailError::Permanent("550 no such user".into())));
        let d = OutboxDispatcher::new(Arc::new(outbox), Arc::new(mailer), RetryPolicy::default());
        let r = d.run_once(Utc::now(), 10).await.unwrap();
        assert_eq!(
            r,
            DispatchReport {
                sent: 1,
                retrying: 1,
                given_up: 1
            }
        );
    }
}
