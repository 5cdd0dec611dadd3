//! The current time as stored: UTC, truncated to microseconds, because PostgreSQL and
//! MariaDB keep microseconds and a value must compare equal after a round trip.

use chrono::{DateTime, DurationRound, TimeDelta, Utc};

pub fn now() -> DateTime<Utc> {
    let t = Utc::now();
    t.duration_trunc(TimeDelta::microseconds(1)).unwrap_or(t)
}

#[cfg(test)]
mod tests {
    #[test]
    fn now_has_no_nanoseconds() {
        assert_eq!(super::now().timestamp_subsec_nanos() % 1000, 0);
    }
}
