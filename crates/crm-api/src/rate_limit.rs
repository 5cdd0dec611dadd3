//! This instance's own budgets on `POST /auth/*`, per client address and per account: kept in
//! memory, they refuse a flood before it costs a statement. They can only refuse what the
//! shared count would refuse too (an instance sees at most every attempt), so the limits that
//! hold across instances, and the slowing of an account after failed logins, are the
//! database's ([`crm_domain::identity::throttle`], checked right after these).

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;

pub struct AuthRateLimiter {
    per_address: Option<DefaultKeyedRateLimiter<String>>,
    per_account: Option<DefaultKeyedRateLimiter<String>>,
}

impl AuthRateLimiter {
    /// `per_minute = 0` turns the budgets off.
    pub fn new(per_minute: u32) -> Self {
        let quota = NonZeroU32::new(per_minute).map(Quota::per_minute);
        Self {
            per_address: quota.map(RateLimiter::keyed),
            per_account: quota.map(RateLimiter::keyed),
        }
    }

    fn check(limiter: &Option<DefaultKeyedRateLimiter<String>>, key: String) -> Result<(), u64> {
        let Some(l) = limiter else { return Ok(()) };
        l.check_key(&key).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            wait.as_secs() + 1
        })
    }

    /// `Err(seconds to wait)` when the address has spent its budget here.
    pub fn check_address(&self, address: &str) -> Result<(), u64> {
        Self::check(&self.per_address, address.to_string())
    }

    /// `Err(seconds to wait)` when the account has spent its budget here.
    pub fn check_account(&self, account: &str) -> Result<(), u64> {
        Self::check(&self.per_account, account.trim().to_lowercase())
    }

    /// Drops idle keys; called periodically so memory stays bounded.
    pub fn prune(&self) {
        for l in [&self.per_address, &self.per_account].into_iter().flatten() {
            l.retain_recent();
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
    fn zero_turns_budgets_off() {
        let l = AuthRateLimiter::new(0);
        for _ in 0..1000 {
            assert!(l.check_address("1.2.3.4").is_ok());
            assert!(l.check_account("u@x.io").is_ok());
        }
    }
}
