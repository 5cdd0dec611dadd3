//! The load generator: closed-loop workers (one keep-alive connection each) for a fixed time,
//! and an open-loop sender at a fixed rate for the login flood.

use hdrhistogram::Histogram;
use serde::Serialize;
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// What one request ended with: an HTTP status (or 200 for a direct call), or a transport error.
pub type Answer = Result<u16, String>;

/// The measurements of one run.
#[derive(Clone)]
pub struct Outcome {
    pub requests: u64,
    pub errors: u64,
    pub statuses: BTreeMap<u16, u64>,
    pub first_error: Option<String>,
    pub hist: Histogram<u64>,
    pub elapsed: Duration,
}

/// The figures of an [`Outcome`] as they are reported.
#[derive(Clone, Debug, Serialize)]
pub struct Figures {
    pub requests: u64,
    pub errors: u64,
    pub rps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub statuses: BTreeMap<u16, u64>,
}

fn histogram() -> Histogram<u64> {
    // Microseconds, 1 µs .. 120 s, 3 significant digits: constant bounds that are valid.
    Histogram::new_with_bounds(1, 120_000_000, 3)
        .unwrap_or_else(|e| unreachable!("constant histogram bounds: {e}"))
}

impl Outcome {
    fn empty() -> Self {
        Self {
            requests: 0,
            errors: 0,
            statuses: BTreeMap::new(),
            first_error: None,
            hist: histogram(),
            elapsed: Duration::ZERO,
        }
    }

    fn record(&mut self, took: Duration, answer: &Answer, expected: &[u16]) {
        let us = took.as_micros().clamp(1, 120_000_000) as u64;
        self.hist.saturating_record(us);
        self.requests += 1;
        match answer {
            Ok(status) => {
                *self.statuses.entry(*status).or_default() += 1;
                if !expected.contains(status) {
                    self.errors += 1;
                    self.first_error
                        .get_or_insert_with(|| format!("unexpected status {status}"));
                }
            }
            Err(e) => {
                self.errors += 1;
                *self.statuses.entry(0).or_default() += 1;
                self.first_error.get_or_insert_with(|| e.clone());
            }
        }
    }

    fn merge(&mut self, other: Outcome) {
        self.requests += other.requests;
        self.errors += other.errors;
        for (k, v) in other.statuses {
            *self.statuses.entry(k).or_default() += v;
        }
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
        let _ = self.hist.add(&other.hist);
    }

    pub fn figures(&self) -> Figures {
        let ms = |us: u64| us as f64 / 1000.0;
        let secs = self.elapsed.as_secs_f64().max(1e-9);
        Figures {
            requests: self.requests,
            errors: self.errors,
            rps: self.requests as f64 / secs,
            p50_ms: ms(self.hist.value_at_quantile(0.50)),
            p99_ms: ms(self.hist.value_at_quantile(0.99)),
            max_ms: ms(self.hist.max()),
            statuses: self.statuses.clone(),
        }
    }
}

/// Runs `conns` workers for `duration`, each calling `call(worker, i)` back to back.
/// Answers outside `expected` count as errors.
pub async fn closed_loop<F, Fut>(
    conns: usize,
    duration: Duration,
    expected: &'static [u16],
    call: F,
) -> Outcome
where
    F: Fn(usize, u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Answer> + Send + 'static,
{
    let call = Arc::new(call);
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::with_capacity(conns);
    for w in 0..conns {
        let call = call.clone();
        tasks.push(tokio::spawn(async move {
            let mut out = Outcome::empty();
            let mut i = 0u64;
            while Instant::now() < deadline {
                let t = Instant::now();
                let answer = call(w, i).await;
                out.record(t.elapsed(), &answer, expected);
                i += 1;
            }
            out
        }));
    }
    let mut total = Outcome::empty();
    for t in tasks {
        if let Ok(o) = t.await {
            total.merge(o);
        }
    }
    total.elapsed = started.elapsed();
    total
}

/// The answers of an open-loop run, split by status so the refused ones can be timed apart.
pub struct OpenLoop {
    pub all: Outcome,
    pub by_status: BTreeMap<u16, Outcome>,
    /// Requests not sent because `max_in_flight` were already waiting.
    pub not_sent: u64,
}

/// Sends `rate` requests per second for `duration` whatever the answers take (up to
/// `max_in_flight` outstanding), as a flood does.
pub async fn open_loop<F, Fut>(
    rate: f64,
    duration: Duration,
    max_in_flight: u64,
    call: F,
) -> OpenLoop
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Answer> + Send + 'static,
{
    let call = Arc::new(call);
    let in_flight = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / rate.max(1.0)));
    let mut handles = Vec::new();
    let mut not_sent = 0u64;
    let mut i = 0u64;
    while started.elapsed() < duration {
        ticker.tick().await;
        if in_flight.load(Ordering::Relaxed) >= max_in_flight {
            not_sent += 1;
            continue;
        }
        in_flight.fetch_add(1, Ordering::Relaxed);
        let (call, in_flight) = (call.clone(), in_flight.clone());
        handles.push(tokio::spawn(async move {
            let t = Instant::now();
            let answer = call(i).await;
            in_flight.fetch_sub(1, Ordering::Relaxed);
            (t.elapsed(), answer)
        }));
        i += 1;
    }
    let mut all = Outcome::empty();
    let mut by_status: BTreeMap<u16, Outcome> = BTreeMap::new();
    for h in handles {
        if let Ok((took, answer)) = h.await {
            let key = *answer.as_ref().unwrap_or(&0);
            let slot = by_status.entry(key).or_insert_with(Outcome::empty);
            slot.record(took, &answer, &[200, 429, 503]);
            all.record(took, &answer, &[200, 429, 503]);
        }
    }
    all.elapsed = started.elapsed();
    for o in by_status.values_mut() {
        o.elapsed = all.elapsed;
    }
    OpenLoop {
        all,
        by_status,
        not_sent,
    }
}
