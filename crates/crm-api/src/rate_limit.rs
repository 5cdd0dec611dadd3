//! Rate limits on `POST /auth/*`: a request budget per client address and per account, and a
//! growing delay for an account after repeated failed logins (slowed, never locked for good).
//!
//! The counters live in each server instance's memory: with several instances behind a load
//! balancer an attacker gets each instance's budget, which still bounds guessing to a few
//! hundred tries an hour per account.

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Free failed logins before an account is slowed.
const FREE_FAILURES: u32 = 5;
/// The longest an account is made to wait between attempts.
const MAX_DELAY: Duration = Duration::from_secs(15 * 60);
/// Failure records older than this are forgotten.
const FORGET_AFTER: Duration = Duration::from_secs(3600);

pub struct AuthRateLimiter {
    per_address: Option<DefaultKeyedRateLimiter<String>>,
    per_account: Option<DefaultKeyedRateLimiter<String>>,
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

impl AuthRateLimiter {
    /// `per_minute = 0` turns the budgets off (failed-login slowing stays on).
    pub fn new(per_minute: u32) -> Self {
        let quota = NonZeroU32::new(per_minute).map(Quota::per_minute);
        Self {
            per_address: quota.map(RateLimiter::keyed),
            per_account: quota.map(RateLimiter::keyed),
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn check(limiter: &Option<DefaultKeyedRateLimiter<String>>, key: String) -> Result<(), u64> {
        let Some(l) = limiter else { return Ok(()) };
        l.check_key(&key).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            wait.as_secs() + 1
        })
    }

    /// `Err(seconds to wait)` when the address has spent its budget.
    pub fn check_address(&self, address: &str) -> Result<(), u64> {
        Self::check(&self.per_address, address.to_string())
    }

    /// `Err(seconds to wait)` when the account has spent its budget or is being slowed after
    /// failed logins.
    pub fn check_account(&self, account: &str) -> Result<(), u64> {
        let key = account.trim().to_lowercase();
        if let Ok(map) = self.failures.lock()
            && let Some((count, last)) = map.get(&key)
            && *count >= FREE_FAILURES
        {
            let exp = (*count - FREE_FAILURES).min(20);
            let delay = Duration::from_secs(1u64 << exp).min(MAX_DELAY);
            let elapsed = last.elapsed();
            if elapsed < delay {
                return Err((delay - elapsed).as_secs().max(1));
            }
        }
        Self::check(&self.per_account, key)
    }

    pub fn record_failure(&self, account: &str) {
        let key = account.trim().to_lowercase();
        if let Ok(mut map) = self.failures.lock() {
            if map.len() > 100_000 {
                map.retain(|_, (_, last)| last.elapsed() < FORGET_AFTER);
            }
            let entry = map.entry(key).or_insert((0, Instant::now()));
            if entry.1.elapsed() >= FORGET_AFTER {
                entry.0 = 0;
            }
            entry.0 += 1;
            entry.1 = Instant::now();
        }
    }

    pub fn record_success(&self, account: &str) {
        if let Ok(mut map) = self.failures.lock() {
            map.remove(&account.trim().to_lowercase());
        }
    }

    /// Drops idle keys; called periodically so memory stays bounded.
    pub fn prune(&self) {
        for l in [&self.per_address, &self.per_account].into_iter().flatten() {
            l.retain_recent();
        }
        if let Ok(mut map) = self.failures.lock() {
            map.retain(|_, (_, last)| last.elapsed() < FORGET_AFTER);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_per_address_and_account() {
        let l = AuthRateLimiter::new(3);
        for _ in 0..3 {
            assert!(l.check_address("1.2.3.4").is_ok());
        }
        let wait = l.check_address("1.2.3.4").unwrap_err();
        assert!((1..=61).contains(&wait), "{wait}");
        assert!(
            l.check_address("5.6.7.8").is_ok(),
            "other addresses keep their budget"
        );
        for _ in 0..3 {
            assert!(l.check_account("A@x.io").is_ok());
        }
        assert!(
            l.check_account("a@x.io ").is_err(),
            "accounts are case-insensitive"
        );
    }

    #[test]
    fn zero_turns_budgets_off_but_not_failure_slowing() {
        let l = AuthRateLimiter::new(0);
        for _ in 0..1000 {
            assert!(l.check_address("1.2.3.4").is_ok());
        }
        for _ in 0..FREE_FAILURES {
            assert!(l.check_account("u@x.io").is_ok());
            l.record_failure("u@x.io");
        }
        assert!(
            l.check_account("u@x.io").is_err(),
            "slowed after repeated failures"
        );
        l.record_success("u@x.io");
        assert!(l.check_account("u@x.io").is_ok());
    }
}
