//! When a failed delivery is tried again: a schedule of delays (default about a day,
//! exponential), each spread by ±10 % of jitter so that the deliveries of one outage do not
//! all come back at the same second.

use chrono::Duration;

/// The default delays after each failed attempt, in seconds: 5 s, 5 min, 30 min, 2 h, 5 h,
/// 10 h, 10 h (27.6 h in all).
pub const DEFAULT_SECS: &[u64] = &[5, 300, 1800, 7200, 18000, 36000, 36000];

/// The delays between attempts; after the last one a failing delivery is `failed`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetrySchedule(Vec<u64>);

impl Default for RetrySchedule {
    fn default() -> Self {
        Self(DEFAULT_SECS.to_vec())
    }
}

impl RetrySchedule {
    pub fn new(secs: Vec<u64>) -> Self {
        Self(secs)
    }

    /// Parses `1,2,4` (seconds); an empty list means no retry at all.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Ok(Self(vec![]));
        }
        raw.split(',')
            .map(|s| {
                s.trim()
                    .parse::<u64>()
                    .ok()
                    .filter(|n| *n <= 7 * 24 * 3600)
                    .ok_or_else(|| format!("`{s}` is not a number of seconds up to a week"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }

    /// How many attempts a delivery gets in all.
    pub fn max_attempts(&self) -> u32 {
        u32::try_from(self.0.len())
            .unwrap_or(u32::MAX)
            .saturating_add(1)
    }

    /// The wait after the `attempts`-th failed attempt (1-based), jittered by `jitter` in
    /// `[0, 1)` (0.5 is the exact delay), or `None` when that was the last attempt.
    pub fn delay_after(&self, attempts: u32, jitter: f64) -> Option<Duration> {
        let i = usize::try_from(attempts).ok()?.checked_sub(1)?;
        let secs = *self.0.get(i)?;
        let factor = 0.9 + 0.2 * jitter.clamp(0.0, 1.0);
        let millis = (secs as f64 * 1000.0 * factor).round() as i64;
        Some(Duration::milliseconds(millis.max(0)))
    }
}

/// A jitter in `[0, 1)` derived from the delivery's id and attempt: the random bits of a
/// UUIDv7 spread deliveries without a random source, and a retry of one delivery is stable.
pub fn jitter_for(id: uuid::Uuid, attempts: u32) -> f64 {
    let bits = (id.as_u128() as u64) ^ u64::from(attempts).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let mixed = bits.wrapping_mul(0xBF58_476D_1CE4_E5B9) >> 11;
    mixed as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_spans_about_a_day_exponentially() {
        let s = RetrySchedule::default();
        assert_eq!(s.max_attempts(), 8);
        let total: i64 = (1..=7)
            .map(|n| s.delay_after(n, 0.5).unwrap().num_seconds())
            .sum();
        assert!((86_400..=2 * 86_400).contains(&total), "{total}");
        assert_eq!(s.delay_after(1, 0.5), Some(Duration::seconds(5)));
        assert_eq!(s.delay_after(2, 0.5), Some(Duration::minutes(5)));
        assert_eq!(s.delay_after(8, 0.5), None);
        assert_eq!(s.delay_after(0, 0.5), None);
    }

    #[test]
    fn jitter_stays_within_ten_percent() {
        let s = RetrySchedule::parse("1,2,4").unwrap();
        assert_eq!(s.max_attempts(), 4);
        assert_eq!(s.delay_after(1, 0.0), Some(Duration::milliseconds(900)));
        assert_eq!(s.delay_after(3, 1.0), Some(Duration::milliseconds(4400)));
        assert_eq!(s.delay_after(4, 0.3), None);
        let id = uuid::Uuid::now_v7();
        for n in 0..50 {
            let j = jitter_for(id, n);
            assert!((0.0..1.0).contains(&j), "{j}");
        }
        // Different deliveries get different waits.
        let a = jitter_for(uuid::Uuid::now_v7(), 1);
        let b = jitter_for(uuid::Uuid::now_v7(), 1);
        assert_ne!(a, b);
    }

    #[test]
    fn bad_schedules_are_refused() {
        assert!(RetrySchedule::parse("1,x").is_err());
        assert!(RetrySchedule::parse("-1").is_err());
        assert_eq!(RetrySchedule::parse(" ").unwrap().max_attempts(), 1);
        assert_eq!(
            RetrySchedule::parse("5, 300").unwrap(),
            RetrySchedule::new(vec![5, 300])
        );
    }
}
