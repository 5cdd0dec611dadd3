//! The two workers' steps. Every instance runs them: the relay turns events marked for relay
//! into one delivery per matching webhook, the dispatcher claims due deliveries and makes one
//! attempt each. Claims are exclusive in the database, so N instances make each attempt once.

use super::ports::{
    AttemptRecord, DeliveryRepository, DueDelivery, Relayed, SecretVault, SendOutcome,
    WebhookSender,
};
use super::retry::{RetrySchedule, jitter_for};
use super::signing::WebhookSecret;
use crate::kernel::error::StoreError;
use chrono::{DateTime, Duration, Utc};
use futures_util::future::{self, BoxFuture, Either};
use futures_util::stream::FuturesUnordered;
use futures_util::{FutureExt, StreamExt};
use std::collections::HashMap;
use std::sync::Arc;

/// How long a claim holds by default: longer than one attempt may take (10 s), so a live
/// claimer is never overtaken, short enough that a crashed one's deliveries come back soon.
pub const LEASE: Duration = Duration::seconds(60);

/// Relays events and attempts deliveries.
#[derive(Clone)]
pub struct WebhookDispatcher {
    deliveries: Arc<dyn DeliveryRepository>,
    sender: Arc<dyn WebhookSender>,
    vault: Arc<dyn SecretVault>,
    schedule: RetrySchedule,
    lease: Duration,
}

impl WebhookDispatcher {
    pub fn new(
        deliveries: Arc<dyn DeliveryRepository>,
        sender: Arc<dyn WebhookSender>,
        vault: Arc<dyn SecretVault>,
        schedule: RetrySchedule,
    ) -> Self {
        Self {
            deliveries,
            sender,
            vault,
            schedule,
            lease: LEASE,
        }
    }

    /// Claims held for `lease` instead of [`LEASE`]: how long a crashed instance's
    /// deliveries wait before another takes them.
    pub fn with_lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// Fans out up to `batch` marked events into deliveries claimed for this instance.
    pub async fn relay(&self, now: DateTime<Utc>, batch: u32) -> Result<Relayed, StoreError> {
        self.deliveries.relay(batch, now, now + self.lease).await
    }

    /// Claims up to `batch` due deliveries for this instance.
    pub async fn claim(
        &self,
        now: DateTime<Utc>,
        batch: u32,
    ) -> Result<Vec<DueDelivery>, StoreError> {
        self.deliveries
            .claim_due(now, now + self.lease, batch)
            .await
    }

    /// One attempt of each claimed delivery, sent concurrently: `2xx` succeeded; anything
    /// else waits for the next attempt of the schedule, or fails after the last. Attempts are
    /// recorded as they finish, those that finished together (or while the previous write
    /// ran) in one write, so a slow receiver keeps no other delivery unrecorded. A crash between a send and its record sends it
    /// again when the claim runs out (at least once, with the same `webhook-id`, as receivers
    /// expect).
    pub async fn attempt_all(
        &self,
        due: Vec<DueDelivery>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        // Each webhook's secret opened once for the batch, not once per delivery.
        let mut secrets: HashMap<&str, Option<WebhookSecret>> = HashMap::new();
        for d in &due {
            secrets.entry(&d.sealed_secret).or_insert_with(|| {
                self.vault
                    .open(&d.sealed_secret)
                    .inspect_err(|e| {
                        tracing::error!(webhook = %d.webhook_id, error = %e,
                            "cannot open a webhook secret");
                    })
                    .ok()
            });
        }
        let mut sends: FuturesUnordered<_> = due
            .iter()
            .map(|d| {
                let secret = secrets[d.sealed_secret.as_str()].as_ref();
                async move { (d, self.send(d, secret, now).await) }
            })
            .collect();
        // The sends stay polled while a write is in flight: an answer that arrives during
        // a slow write is read at once, not after the write, when its request timeout may
        // have passed.
        let attempted = |(d, (status_code, error)): (&DueDelivery, _)| {
            (d.id, self.record(d, status_code, error, now))
        };
        let mut finished = Vec::new();
        let mut writing: Option<BoxFuture<'_, Result<(), StoreError>>> = None;
        loop {
            while let Some(Some(done)) = sends.next().now_or_never() {
                finished.push(attempted(done));
            }
            if writing.is_none() && !finished.is_empty() {
                let records = std::mem::take(&mut finished);
                writing = Some(self.deliveries.record_attempts(records));
            }
            let Some(write) = writing.as_mut() else {
                if sends.is_empty() {
                    return Ok(());
                }
                if let Some(done) = sends.next().await {
                    finished.push(attempted(done));
                }
                continue;
            };
            let written = if sends.is_empty() {
                Some(write.await)
            } else {
                match future::select(write, sends.next()).await {
                    Either::Left((written, _)) => Some(written),
                    Either::Right((done, _)) => {
                        finished.extend(done.map(attempted));
                        None
                    }
                }
            };
            if let Some(written) = written {
                writing = None;
                written?;
            }
        }
    }

    /// One attempt of a claimed delivery, recorded.
    pub async fn attempt(&self, d: DueDelivery, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.attempt_all(vec![d], now).await
    }

    fn record(
        &self,
        d: &DueDelivery,
        status_code: Option<u16>,
        error: Option<String>,
        now: DateTime<Utc>,
    ) -> AttemptRecord {
        let attempts = d.attempts.saturating_add(1);
        let succeeded = status_code.is_some_and(|c| (200..300).contains(&c));
        let final_error = !d.is_active || d.event.is_none();
        let next_attempt_at = if succeeded || final_error {
            None
        } else {
            self.schedule
                .delay_after(attempts, jitter_for(d.id.0, attempts))
                .map(|wait| now + wait)
        };
        if !succeeded {
            tracing::info!(delivery = %d.id, webhook = %d.webhook_id, attempts, ?status_code,
                retry = next_attempt_at.is_some(), "webhook attempt failed");
        }
        AttemptRecord {
            status_code: status_code.map(i32::from),
            error,
            succeeded,
            next_attempt_at,
            at: now,
        }
    }

    async fn send(
        &self,
        d: &DueDelivery,
        secret: Option<&WebhookSecret>,
        now: DateTime<Utc>,
    ) -> (Option<u16>, Option<String>) {
        if !d.is_active {
            return (None, Some("the webhook is inactive".into()));
        }
        let Some(event) = &d.event else {
            return (None, Some("the event has expired".into()));
        };
        let Some(secret) = secret else {
            return (None, Some("the webhook's secret cannot be read".into()));
        };
        let body = match serde_json::to_vec(event.as_ref()) {
            Ok(b) => b,
            Err(e) => return (None, Some(format!("cannot serialize the event: {e}"))),
        };
        let id = event.id.to_string();
        let ts = now.timestamp();
        let headers = vec![
            ("content-type".to_string(), "application/json".to_string()),
            ("webhook-id".to_string(), id.clone()),
            ("webhook-timestamp".to_string(), ts.to_string()),
            ("webhook-signature".to_string(), secret.sign(&id, ts, &body)),
        ];
        match self.sender.send(&d.url, headers, body).await {
            SendOutcome::Answered(code) if (200..300).contains(&code) => (Some(code), None),
            SendOutcome::Answered(code) => {
                (Some(code), Some(format!("the receiver answered {code}")))
            }
            SendOutcome::Failed(e) => (None, Some(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::Event;
    use crate::kernel::testing::{ORG, now};
    use crate::webhooks::{
        DeliveryId, MockDeliveryRepository, MockSecretVault, MockWebhookSender, WebhookId,
        WebhookSecret,
    };
    use std::sync::Mutex;

    fn due(attempts: u32) -> DueDelivery {
        DueDelivery {
            id: DeliveryId::new(),
            organization_id: ORG,
            webhook_id: WebhookId::new(),
            attempts,
            url: "https://hooks.example.com/x".into(),
            is_active: true,
            sealed_secret: "sealed".into(),
            event: Some(Arc::new(Event {
                id: uuid::Uuid::now_v7(),
                r#type: "lead.created".into(),
                occurred_at: now(),
                organization_id: ORG,
                actor_id: None,
                record_type: "lead".into(),
                record_id: uuid::Uuid::now_v7(),
                data: serde_json::json!({"name": "Ann"}),
            })),
        }
    }

    /// The headers of every request the mock sender was given.
    type Sent = Arc<Mutex<Vec<Vec<(String, String)>>>>;

    /// Opens every secret to the same key.
    fn vault() -> MockSecretVault {
        let mut vault = MockSecretVault::new();
        vault
            .expect_open()
            .returning(|_| Ok(WebhookSecret::from_key(vec![9; 32])));
        vault
    }

    fn dispatcher(
        answer: SendOutcome,
        sent: Sent,
        recorded: Arc<Mutex<Vec<AttemptRecord>>>,
    ) -> WebhookDispatcher {
        let mut sender = MockWebhookSender::new();
        sender.expect_send().returning(move |_, h, _| {
            sent.lock().unwrap().push(h);
            answer.clone()
        });
        let mut repo = MockDeliveryRepository::new();
        repo.expect_record_attempts().returning(move |rs| {
            recorded
                .lock()
                .unwrap()
                .extend(rs.into_iter().map(|(_, r)| r));
            Ok(())
        });
        WebhookDispatcher::new(
            Arc::new(repo),
            Arc::new(sender),
            Arc::new(vault()),
            RetrySchedule::new(vec![1, 2]),
        )
    }

    #[tokio::test]
    async fn a_2xx_succeeds_and_the_headers_are_signed_with_the_event_id() {
        let sent = Arc::new(Mutex::new(vec![]));
        let rec = Arc::new(Mutex::new(vec![]));
        let d = dispatcher(SendOutcome::Answered(204), sent.clone(), rec.clone());
        let job = due(0);
        let event_id = job.event.as_ref().unwrap().id.to_string();
        d.attempt(job, now()).await.unwrap();
        let r = rec.lock().unwrap()[0].clone();
        assert!(r.succeeded && r.next_attempt_at.is_none() && r.error.is_none());
        assert_eq!(r.status_code, Some(204));
        let h = &sent.lock().unwrap()[0];
        let get = |k: &str| h.iter().find(|(n, _)| n == k).unwrap().1.clone();
        assert_eq!(get("webhook-id"), event_id);
        assert_eq!(get("webhook-timestamp"), now().timestamp().to_string());
        assert!(get("webhook-signature").starts_with("v1,"));
    }

    #[tokio::test]
    async fn failures_wait_for_the_schedule_then_fail() {
        let rec = Arc::new(Mutex::new(vec![]));
        let d = dispatcher(SendOutcome::Answered(500), Arc::default(), rec.clone());
        d.attempt(due(0), now()).await.unwrap();
        d.attempt(due(1), now()).await.unwrap();
        d.attempt(due(2), now()).await.unwrap();
        let r = rec.lock().unwrap().clone();
        let first = r[0].next_attempt_at.unwrap() - now();
        assert!((900..=1100).contains(&first.num_milliseconds()), "{first}");
        let second = r[1].next_attempt_at.unwrap() - now();
        assert!(
            (1800..=2200).contains(&second.num_milliseconds()),
            "{second}"
        );
        assert_eq!(r[2].next_attempt_at, None);
        assert!(!r[2].succeeded);
        assert_eq!(r[2].error.as_deref(), Some("the receiver answered 500"));
    }

    #[tokio::test]
    async fn an_inactive_webhook_is_never_sent_to() {
        let sent = Arc::new(Mutex::new(vec![]));
        let rec = Arc::new(Mutex::new(vec![]));
        let d = dispatcher(SendOutcome::Answered(200), sent.clone(), rec.clone());
        let mut job = due(0);
        job.is_active = false;
        d.attempt(job, now()).await.unwrap();
        assert!(sent.lock().unwrap().is_empty());
        let r = rec.lock().unwrap()[0].clone();
        assert!(!r.succeeded && r.next_attempt_at.is_none());
    }

    #[tokio::test]
    async fn a_batch_is_sent_concurrently_and_recorded_in_one_call() {
        let mut sender = MockWebhookSender::new();
        sender.expect_send().times(3).returning(|url, _, _| {
            if url.ends_with("/down") {
                SendOutcome::Failed("connection refused".into())
            } else {
                SendOutcome::Answered(200)
            }
        });
        let calls = Arc::new(Mutex::new(Vec::new()));
        let seen = calls.clone();
        let mut repo = MockDeliveryRepository::new();
        repo.expect_record_attempts().times(1).returning(move |rs| {
            seen.lock().unwrap().push(rs);
            Ok(())
        });
        let d = WebhookDispatcher::new(
            Arc::new(repo),
            Arc::new(sender),
            Arc::new(vault()),
            RetrySchedule::new(vec![1, 2]),
        );
        let (a, b, mut c) = (due(0), due(3), due(0));
        c.url = "https://hooks.example.com/down".into();
        let ids = [a.id, b.id, c.id];
        d.attempt_all(vec![a, b, c], now()).await.unwrap();
        let calls = calls.lock().unwrap();
        let recorded = &calls[0];
        assert_eq!(recorded.iter().map(|(id, _)| *id).collect::<Vec<_>>(), ids);
        assert!(recorded[0].1.succeeded && recorded[1].1.succeeded);
        let failed = &recorded[2].1;
        assert!(!failed.succeeded && failed.next_attempt_at.is_some());
        assert_eq!(failed.error.as_deref(), Some("connection refused"));
    }

    /// Answers `/slow` only once the gate opens.
    struct Gated(Arc<tokio::sync::Notify>);

    #[async_trait::async_trait]
    impl WebhookSender for Gated {
        async fn check_target(&self, _: &str) -> Result<(), crate::webhooks::TargetRefusal> {
            Ok(())
        }
        async fn send(&self, url: &str, _: Vec<(String, String)>, _: Vec<u8>) -> SendOutcome {
            if url.ends_with("/slow") {
                self.0.notified().await;
            }
            SendOutcome::Answered(200)
        }
    }

    #[tokio::test]
    async fn a_slow_receiver_keeps_no_other_attempt_unrecorded() {
        let gate = Arc::new(tokio::sync::Notify::new());
        let calls = Arc::new(Mutex::new(Vec::<Vec<DeliveryId>>::new()));
        let (seen, opens) = (calls.clone(), gate.clone());
        let mut repo = MockDeliveryRepository::new();
        repo.expect_record_attempts().times(2).returning(move |rs| {
            seen.lock()
                .unwrap()
                .push(rs.iter().map(|(id, _)| *id).collect());
            // The slow receiver answers only after the others' attempts are recorded.
            opens.notify_one();
            Ok(())
        });
        let d = WebhookDispatcher::new(
            Arc::new(repo),
            Arc::new(Gated(gate)),
            Arc::new(vault()),
            RetrySchedule::new(vec![1]),
        );
        let (a, b, mut slow) = (due(0), due(0), due(0));
        slow.url = "https://hooks.example.com/slow".into();
        let (fast, slow_id) = ([a.id, b.id], slow.id);
        // Waiting for every send before recording any would never open the gate.
        let run = d.attempt_all(vec![a, slow, b], now());
        tokio::time::timeout(std::time::Duration::from_secs(5), run)
            .await
            .expect("the fast attempts were held back by the slow one")
            .unwrap();
        let calls = calls.lock().unwrap();
        let mut first = calls[0].clone();
        first.sort_by_key(|id| id.0);
        let mut expected = fast.to_vec();
        expected.sort_by_key(|id| id.0);
        assert_eq!(first, expected);
        assert_eq!(calls[1], vec![slow_id]);
    }

    /// Answers `/late` when the gate opens, unless its 300 ms deadline passed first; the
    /// deadline is looked at before the answer, as an HTTP client's request timeout is.
    struct Deadline(Arc<tokio::sync::Notify>);

    #[async_trait::async_trait]
    impl WebhookSender for Deadline {
        async fn check_target(&self, _: &str) -> Result<(), crate::webhooks::TargetRefusal> {
            Ok(())
        }
        async fn send(&self, url: &str, _: Vec<(String, String)>, _: Vec<u8>) -> SendOutcome {
            if url.ends_with("/late") {
                tokio::select! {
                    biased;
                    () = tokio::time::sleep(std::time::Duration::from_millis(300)) => {
                        return SendOutcome::Failed("timed out".into());
                    }
                    () = self.0.notified() => {}
                }
            }
            SendOutcome::Answered(200)
        }
    }

    /// A store whose every write opens the gate, then takes a second.
    struct SlowWrites {
        gate: Arc<tokio::sync::Notify>,
        recorded: Mutex<Vec<(DeliveryId, AttemptRecord)>>,
    }

    #[async_trait::async_trait]
    impl DeliveryRepository for SlowWrites {
        async fn list(
            &self,
            _: crate::kernel::ids::OrganizationId,
            _: WebhookId,
            _: &crate::kernel::pagination::ListQuery,
        ) -> Result<crate::kernel::pagination::Page<crate::webhooks::Delivery>, StoreError>
        {
            unreachable!("attempt_all does not list")
        }
        async fn retry_now(
            &self,
            _: crate::kernel::ids::OrganizationId,
            _: WebhookId,
            _: DeliveryId,
            _: DateTime<Utc>,
        ) -> Result<(), StoreError> {
            unreachable!("attempt_all does not retry")
        }
        async fn relay(
            &self,
            _: u32,
            _: DateTime<Utc>,
            _: DateTime<Utc>,
        ) -> Result<Relayed, StoreError> {
            unreachable!("attempt_all does not relay")
        }
        async fn claim_due(
            &self,
            _: DateTime<Utc>,
            _: DateTime<Utc>,
            _: u32,
        ) -> Result<Vec<DueDelivery>, StoreError> {
            unreachable!("attempt_all does not claim")
        }
        async fn record_attempts(
            &self,
            records: Vec<(DeliveryId, AttemptRecord)>,
        ) -> Result<(), StoreError> {
            self.gate.notify_one();
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            self.recorded.lock().unwrap().extend(records);
            Ok(())
        }
    }

    #[tokio::test]
    async fn an_answer_that_arrives_while_others_are_recorded_is_not_timed_out() {
        let gate = Arc::new(tokio::sync::Notify::new());
        let store = Arc::new(SlowWrites {
            gate: gate.clone(),
            recorded: Mutex::new(Vec::new()),
        });
        let d = WebhookDispatcher::new(
            store.clone(),
            Arc::new(Deadline(gate)),
            Arc::new(vault()),
            RetrySchedule::new(vec![1]),
        );
        let (fast, mut late) = (due(0), due(0));
        late.url = "https://hooks.example.com/late".into();
        let late_id = late.id;
        // The late receiver answers while the fast attempt is being recorded (a second),
        // well within its 300 ms: that answer must be read then, not after the write.
        d.attempt_all(vec![fast, late], now()).await.unwrap();
        let recorded = store.recorded.lock().unwrap();
        let (_, r) = recorded
            .iter()
            .find(|(id, _)| *id == late_id)
            .expect("the late attempt is recorded");
        assert!(r.succeeded, "{:?}", r.error);
        assert_eq!(recorded.len(), 2);
    }
}
