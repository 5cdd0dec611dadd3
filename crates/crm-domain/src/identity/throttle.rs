//! Sign-in throttling that holds across every server instance on one database (contract
//! section 3): a budget of `POST /auth/*` requests per minute for each client address and each
//! named account, and an account slowed after repeated failed logins (slowed, never locked
//! for good). The counters are rows in the database ([`AttemptCounters`]); the decisions are
//! the pure functions here.

use crate::kernel::error::{DomainError, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;

/// The budget's window: a fixed minute from the first attempt after the last window ended.
pub const WINDOW: Duration = Duration::seconds(60);
/// Free failed logins before an account is slowed.
pub const FREE_FAILURES: u32 = 5;
/// The longest an account is made to wait between attempts.
pub const MAX_DELAY: Duration = Duration::minutes(15);
/// Failures older than this are forgotten (the next one counts from one again).
pub const FORGET_AFTER: Duration = Duration::hours(1);

/// One key's counters after an attempt was counted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttemptCounter {
    pub key: String,
    /// Attempts in the window that began at `window_start`, this one included.
    pub hits: u32,
    pub window_start: DateTime<Utc>,
    pub failures: u32,
    pub last_failure_at: Option<DateTime<Utc>>,
}

/// The shared counters, one row per key.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait AttemptCounters: Send + Sync {
    /// Counts one attempt under each of `keys` (a window older than [`WINDOW`] starts again
    /// at `now`) and answers every key's counters after the count, in any order.
    async fn hit(
        &self,
        keys: &[String],
        now: DateTime<Utc>,
    ) -> Result<Vec<AttemptCounter>, StoreError>;

    /// One more failed login for `key`; a count whose last failure is older than
    /// [`FORGET_AFTER`] starts again from one.
    async fn fail(&self, key: &str, now: DateTime<Utc>) -> Result<(), StoreError>;

    /// Forgets `key`'s failures (a successful login).
    async fn succeed(&self, key: &str) -> Result<(), StoreError>;
}

/// The key of a client address's counters.
pub fn address_key(address: &str) -> String {
    format!("address:{address}")
}

/// The key of an account's counters: the address as typed, trimmed and lower-cased, so that
/// spellings of one address share a budget.
pub fn account_key(email: &str) -> String {
    format!("account:{}", email.trim().to_lowercase())
}

/// Seconds to wait when `c` has spent the budget of `per_minute` (0: no budget).
pub fn budget_wait(c: &AttemptCounter, per_minute: u32, now: DateTime<Utc>) -> Option<u64> {
    if per_minute == 0 || c.hits <= per_minute {
        return None;
    }
    Some(seconds_until(c.window_start + WINDOW, now))
}

/// How long an account with `failures` failed logins waits after the last one: nothing for
/// the first [`FREE_FAILURES`], then 1 s, doubling with each further failure, at most
/// [`MAX_DELAY`].
pub fn failure_delay(failures: u32) -> Duration {
    if failures < FREE_FAILURES {
        return Duration::zero();
    }
    let exp = (failures - FREE_FAILURES).min(20);
    Duration::seconds(1i64 << exp).min(MAX_DELAY)
}

/// Seconds to wait when `c`'s failed logins slow it right now.
pub fn failure_wait(c: &AttemptCounter, now: DateTime<Utc>) -> Option<u64> {
    let last = c.last_failure_at?;
    let delay = failure_delay(c.failures);
    if delay.is_zero() || now - last >= FORGET_AFTER {
        return None;
    }
    let until = last + delay;
    (until > now).then(|| seconds_until(until, now))
}

/// Whole seconds from `now` to `until`, at least one (a `Retry-After` of 0 would invite an
/// immediate retry that is refused again).
fn seconds_until(until: DateTime<Utc>, now: DateTime<Utc>) -> u64 {
    let ms = (until - now).num_milliseconds().max(0) as u64;
    ms.div_ceil(1000).max(1)
}

/// The shared throttle of `POST /auth/*`.
#[derive(Clone)]
pub struct Throttle {
    counters: Arc<dyn AttemptCounters>,
    per_minute: u32,
}

impl Throttle {
    /// `per_minute = 0` turns the budgets off; the slowing of failed logins stays on.
    pub fn new(counters: Arc<dyn AttemptCounters>, per_minute: u32) -> Self {
        Self {
            counters,
            per_minute,
        }
    }

    /// Counts the request against its address and the account it names, if any (one
    /// statement per key set); `429` with the wait when a budget is spent or the account is
    /// being slowed. Answers the account's failed logins so far (0 without an account): a
    /// successful login has nothing to clear when there were none.
    pub async fn check(
        &self,
        address: &str,
        account: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<u32, DomainError> {
        let mut keys = vec![address_key(address)];
        let account = account.map(account_key);
        keys.extend(account.clone());
        let counters = self.counters.hit(&keys, now).await?;
        let wait = counters
            .iter()
            .filter_map(|c| {
                let slowed = (Some(&c.key) == account.as_ref())
                    .then(|| failure_wait(c, now))
                    .flatten();
                budget_wait(c, self.per_minute, now).max(slowed)
            })
            .max();
        if let Some(retry_after_secs) = wait {
            return Err(DomainError::RateLimited { retry_after_secs });
        }
        Ok(counters
            .iter()
            .find(|c| Some(&c.key) == account.as_ref())
            .map_or(0, |c| c.failures))
    }

    /// A failed login of `account`.
    pub async fn failed(&self, account: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.counters.fail(&account_key(account), now).await
    }

    /// A successful login of `account`: its failures are forgotten.
    pub async fn succeeded(&self, account: &str) -> Result<(), StoreError> {
        self.counters.succeed(&account_key(account)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + secs, 0).unwrap()
    }

    fn counter(key: &str, hits: u32, failures: u32, last: Option<i64>) -> AttemptCounter {
        AttemptCounter {
            key: key.into(),
            hits,
            window_start: at(0),
            failures,
            last_failure_at: last.map(at),
        }
    }

    #[test]
    fn the_budget_holds_until_its_window_ends() {
        let c = counter("address:1.2.3.4", 3, 0, None);
        assert_eq!(budget_wait(&c, 3, at(10)), None);
        let over = counter("address:1.2.3.4", 4, 0, None);
        assert_eq!(budget_wait(&over, 3, at(10)), Some(50));
        assert_eq!(budget_wait(&over, 3, at(59)), Some(1));
        assert_eq!(budget_wait(&over, 0, at(10)), None, "0 turns budgets off");
    }

    #[test]
    fn failures_slow_after_five_doubling_to_fifteen_minutes() {
        assert_eq!(failure_delay(4), Duration::zero());
        assert_eq!(failure_delay(5), Duration::seconds(1));
        assert_eq!(failure_delay(6), Duration::seconds(2));
        assert_eq!(failure_delay(14), Duration::seconds(512));
        assert_eq!(failure_delay(15), MAX_DELAY);
        assert_eq!(failure_delay(1000), MAX_DELAY);
        let slowed = counter("account:a@x.io", 1, 6, Some(100));
        assert_eq!(failure_wait(&slowed, at(100)), Some(2));
        assert_eq!(failure_wait(&slowed, at(102)), None);
        let forgotten = counter("account:a@x.io", 1, 20, Some(0));
        assert_eq!(failure_wait(&forgotten, at(3600)), None);
    }

    #[test]
    fn keys_name_their_kind_and_accounts_ignore_case_and_spaces() {
        assert_eq!(address_key("::1"), "address:::1");
        assert_eq!(account_key(" Ann@Example.COM "), "account:ann@example.com");
    }

    proptest! {
        #[test]
        fn a_wait_is_never_zero_and_never_past_its_end(
            hits in 0u32..200, per_minute in 0u32..100, now in 0i64..120,
            failures in 0u32..40, last in 0i64..120,
        ) {
            let c = AttemptCounter { last_failure_at: Some(at(last)), ..counter("k", hits, failures, None) };
            if let Some(w) = budget_wait(&c, per_minute, at(now)) {
                prop_assert!(w >= 1);
                prop_assert!(w as i64 <= 60 - now.min(59));
            }
            if let Some(w) = failure_wait(&c, at(now)) {
                prop_assert!(w >= 1);
                prop_assert!(failures >= FREE_FAILURES);
                prop_assert!(at(now) < at(last) + failure_delay(failures));
                prop_assert!(w as i64 <= (at(last) + failure_delay(failures) - at(now)).num_seconds());
            }
        }
    }

    #[tokio::test]
    async fn check_counts_the_address_and_account_and_answers_the_longest_wait() {
        let mut port = MockAttemptCounters::new();
        port.expect_hit()
            .withf(|keys, _| keys == ["address:10.0.0.1", "account:ann@x.io"])
            .returning(|keys, _| {
                Ok(vec![
                    counter(&keys[0], 2, 0, None),
                    AttemptCounter {
                        window_start: at(0),
                        ..counter(&keys[1], 1, 7, Some(9))
                    },
                ])
            });
        let t = Throttle::new(Arc::new(port), 3);
        // Seven failures, the last at 9 s: slowed 4 s, until 13 s.
        assert_eq!(
            t.check("10.0.0.1", Some("Ann@x.io"), at(10)).await,
            Err(DomainError::RateLimited {
                retry_after_secs: 3
            })
        );
        assert_eq!(t.check("10.0.0.1", Some("ann@x.io"), at(13)).await, Ok(7));
    }

    #[tokio::test]
    async fn an_address_without_account_spends_only_its_own_budget() {
        let mut port = MockAttemptCounters::new();
        port.expect_hit()
            .withf(|keys, _| keys == ["address:10.0.0.2"])
            .returning(|keys, _| Ok(vec![counter(&keys[0], 31, 9, Some(0))]));
        let t = Throttle::new(Arc::new(port), 30);
        // The address's own failures do not slow it (they are the account's rule).
        assert_eq!(
            t.check("10.0.0.2", None, at(20)).await,
            Err(DomainError::RateLimited {
                retry_after_secs: 40
            })
        );
    }
}
