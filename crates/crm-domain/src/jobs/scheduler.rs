//! The scheduler: claims, runs and records each due job.

use crate::kernel::error::{DomainError, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;

/// How often a job runs: the key of the period an instant falls in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Period {
    /// Every `n` minutes, aligned on the hour (`n` divides 60 for even periods).
    Minutes(u32),
    Hourly,
    Daily,
    /// On every poll, unclaimed: for work keyed per row in the database (the rows a job
    /// makes carry their own unique key, and the job claims each source row itself), where
    /// a claim per period would only delay it.
    EveryPoll,
}

impl Period {
    /// The key of the period `now` falls in, in UTC: `2026-12-06T14:05`, `2026-12-06T14`,
    /// `2026-12-06`.
    pub fn key(&self, now: DateTime<Utc>) -> String {
        match self {
            Period::Minutes(n) => {
                let n = (*n).clamp(1, 60);
                let minute = now.format("%M").to_string().parse::<u32>().unwrap_or(0);
                format!("{}:{:02}", now.format("%Y-%m-%dT%H"), minute - minute % n)
            }
            Period::Hourly => now.format("%Y-%m-%dT%H").to_string(),
            Period::Daily => now.format("%Y-%m-%d").to_string(),
            Period::EveryPoll => now.format("%Y-%m-%dT%H:%M:%S").to_string(),
        }
    }
}

/// One kind of scheduled work.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait Job: Send + Sync {
    /// Stable name: the first half of the claim key, and what the logs call it.
    fn name(&self) -> &'static str;
    fn period(&self) -> Period;
    /// Does the period's work; a short description of what it did, for the log.
    async fn run(&self, now: DateTime<Utc>) -> Result<String, DomainError>;
}

/// Exclusive claims on (job, period), kept in the database.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait JobClaims: Send + Sync {
    /// Claims the pair for `holder` until `lease_until`: `true` when this caller now holds it
    /// (no claim existed, or an unfinished one's lease had run out at `now`), `false` when it
    /// is finished or held by someone else.
    async fn claim(
        &self,
        job: &str,
        period: &str,
        holder: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Marks the holder's claim finished: the period is never run again.
    async fn finish(
        &self,
        job: &str,
        period: &str,
        holder: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Records a failed run and lets the claim be taken again from `retry_at`.
    async fn fail(
        &self,
        job: &str,
        period: &str,
        holder: &str,
        error: &str,
        retry_at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
}

/// What one poll did with one job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JobReport {
    /// Finished or held elsewhere: nothing to do on this instance.
    Skipped,
    Ran(String),
    Failed(String),
}

/// Runs the due jobs of one poll.
pub struct Scheduler {
    claims: Arc<dyn JobClaims>,
    jobs: Vec<Arc<dyn Job>>,
    holder: String,
    /// How long a claim is held before another instance may take it (a crashed run).
    lease: Duration,
    /// How long after a failed run it is tried again.
    retry_after: Duration,
}

impl Scheduler {
    pub fn new(claims: Arc<dyn JobClaims>, holder: impl Into<String>) -> Self {
        Self {
            claims,
            jobs: Vec::new(),
            holder: holder.into(),
            lease: Duration::minutes(10),
            retry_after: Duration::minutes(1),
        }
    }

    pub fn with_job(mut self, job: Arc<dyn Job>) -> Self {
        self.jobs.push(job);
        self
    }

    pub fn with_timing(mut self, lease: Duration, retry_after: Duration) -> Self {
        self.lease = lease;
        self.retry_after = retry_after;
        self
    }

    pub fn jobs(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.jobs.iter().map(|j| j.name())
    }

    /// Claims and runs every job whose current period this instance can claim. A failing job
    /// does not stop the others; its failure is recorded and retried at a later poll.
    pub async fn run_due(&self, now: DateTime<Utc>) -> Vec<(&'static str, JobReport)> {
        let mut out = Vec::with_capacity(self.jobs.len());
        for job in &self.jobs {
            let report = self.run_one(job.as_ref(), now).await;
            match &report {
                // A job with nothing to do says nothing.
                JobReport::Ran(what) if what.is_empty() => {}
                JobReport::Ran(what) => tracing::info!(job = job.name(), %what, "job ran"),
                JobReport::Failed(e) => {
                    tracing::warn!(job = job.name(), error = %e, "job failed; will retry")
                }
                JobReport::Skipped => {}
            }
            out.push((job.name(), report));
        }
        out
    }

    async fn run_one(&self, job: &dyn Job, now: DateTime<Utc>) -> JobReport {
        if job.period() == Period::EveryPoll {
            return match job.run(now).await {
                Ok(what) => JobReport::Ran(what),
                Err(e) => JobReport::Failed(e.to_string()),
            };
        }
        let (name, period) = (job.name(), job.period().key(now));
        match self
            .claims
            .claim(name, &period, &self.holder, now, now + self.lease)
            .await
        {
            Ok(true) => {}
            Ok(false) => return JobReport::Skipped,
            Err(e) => return JobReport::Failed(format!("claim: {e}")),
        }
        match job.run(now).await {
            Ok(what) => match self.claims.finish(name, &period, &self.holder, now).await {
                Ok(()) => JobReport::Ran(what),
                // The work is done but not marked: the lease runs out and the period runs
                // again, which a job must tolerate (its work is found, not replayed).
                Err(e) => JobReport::Failed(format!("finish: {e}")),
            },
            Err(e) => {
                let msg = e.to_string();
                let retry_at = now + self.retry_after;
                if let Err(e2) = self
                    .claims
                    .fail(name, &period, &self.holder, &msg, retry_at)
                    .await
                {
                    return JobReport::Failed(format!("{msg}; recording it failed: {e2}"));
                }
                JobReport::Failed(msg)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use mockall::predicate::eq;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 6, h, m, 30)
            .single()
            .unwrap_or_default()
    }

    fn job(name: &'static str, result: Result<String, DomainError>) -> Arc<dyn Job> {
        let mut j = MockJob::new();
        j.expect_name().return_const(name);
        j.expect_period().return_const(Period::Hourly);
        j.expect_run().return_once(move |_| result);
        Arc::new(j)
    }

    #[test]
    fn period_keys() {
        assert_eq!(Period::Daily.key(at(14, 5)), "2026-12-06");
        assert_eq!(Period::Hourly.key(at(14, 5)), "2026-12-06T14");
        assert_eq!(Period::Minutes(15).key(at(14, 44)), "2026-12-06T14:30");
        assert_eq!(Period::Minutes(1).key(at(14, 44)), "2026-12-06T14:44");
        assert_eq!(Period::Minutes(0).key(at(14, 44)), "2026-12-06T14:44");
    }

    #[tokio::test]
    async fn an_every_poll_job_runs_on_each_poll_without_a_claim() {
        // A strict mock: any claim, finish or fail call fails the test.
        let claims = MockJobClaims::new();
        let mut j = MockJob::new();
        j.expect_name().return_const("rows");
        j.expect_period().return_const(Period::EveryPoll);
        j.expect_run().times(2).returning(|_| Ok("made 1".into()));
        let s = Scheduler::new(Arc::new(claims), "me").with_job(Arc::new(j));
        for m in [5, 5] {
            assert_eq!(
                s.run_due(at(14, m)).await,
                [("rows", JobReport::Ran("made 1".into()))]
            );
        }
    }

    #[tokio::test]
    async fn a_claimed_job_runs_and_is_finished() {
        let mut claims = MockJobClaims::new();
        claims
            .expect_claim()
            .with(
                eq("purge"),
                eq("2026-12-06T14"),
                eq("a"),
                eq(at(14, 5)),
                eq(at(14, 15)),
            )
            .return_once(|_, _, _, _, _| Ok(true));
        claims
            .expect_finish()
            .with(eq("purge"), eq("2026-12-06T14"), eq("a"), eq(at(14, 5)))
            .times(1)
            .return_once(|_, _, _, _| Ok(()));
        let s = Scheduler::new(Arc::new(claims), "a").with_job(job("purge", Ok("3 rows".into())));
        assert_eq!(
            s.run_due(at(14, 5)).await,
            vec![("purge", JobReport::Ran("3 rows".into()))]
        );
    }

    #[tokio::test]
    async fn a_job_claimed_elsewhere_does_not_run() {
        let mut claims = MockJobClaims::new();
        claims.expect_claim().return_once(|_, _, _, _, _| Ok(false));
        let mut j = MockJob::new();
        j.expect_name().return_const("purge");
        j.expect_period().return_const(Period::Hourly);
        j.expect_run().never();
        let s = Scheduler::new(Arc::new(claims), "b").with_job(Arc::new(j));
        assert_eq!(
            s.run_due(at(14, 5)).await,
            vec![("purge", JobReport::Skipped)]
        );
    }

    #[tokio::test]
    async fn a_failed_run_is_recorded_for_retry_and_the_next_job_still_runs() {
        let mut claims = MockJobClaims::new();
        claims.expect_claim().returning(|_, _, _, _, _| Ok(true));
        claims
            .expect_fail()
            .withf(|job, period, holder, error, retry_at| {
                job == "first"
                    && period == "2026-12-06T14"
                    && holder == "a"
                    && error.contains("down")
                    && *retry_at == at(14, 6)
            })
            .times(1)
            .return_once(|_, _, _, _, _| Ok(()));
        claims
            .expect_finish()
            .withf(|job, _, _, _| job == "second")
            .times(1)
            .return_once(|_, _, _, _| Ok(()));
        let s = Scheduler::new(Arc::new(claims), "a")
            .with_job(job(
                "first",
                Err(DomainError::Unavailable("db down".into())),
            ))
            .with_job(job("second", Ok("done".into())));
        let r = s.run_due(at(14, 5)).await;
        assert!(matches!(&r[0], ("first", JobReport::Failed(e)) if e.contains("down")));
        assert_eq!(r[1], ("second", JobReport::Ran("done".into())));
    }

    #[tokio::test]
    async fn a_claim_error_is_a_failure_without_running() {
        let mut claims = MockJobClaims::new();
        claims
            .expect_claim()
            .return_once(|_, _, _, _, _| Err(StoreError::Unavailable("gone".into())));
        let mut j = MockJob::new();
        j.expect_name().return_const("purge");
        j.expect_period().return_const(Period::Daily);
        j.expect_run().never();
        let s = Scheduler::new(Arc::new(claims), "a").with_job(Arc::new(j));
        assert!(matches!(
            &s.run_due(at(1, 0)).await[0],
            ("purge", JobReport::Failed(e)) if e.starts_with("claim")
        ));
    }
}
