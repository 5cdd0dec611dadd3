//! The current time as stored: UTC, truncated to microseconds, because PostgreSQL and
//! MariaDB keep microseconds and a value must compare equal after a round trip.

use chrono::{DateTime, DurationRound, TimeDelta, Utc};

pub fn now() -> DateTime<Utc> {
    stored(Utc::now())
}

/// `t` as stored: truncated to microseconds.
pub fn stored(t: DateTime<Utc>) -> DateTime<Utc> {
    t.duration_trunc(TimeDelta::microseconds(1)).unwrap_or(t)
}

/// The date at `now` on the wall clock of the IANA zone `zone` (`Europe/Paris`); UTC's date
/// for a name the time-zone database does not know.
pub fn local_date(now: DateTime<Utc>, zone: &str) -> chrono::NaiveDate {
    match zone.parse::<chrono_tz::Tz>() {
        Ok(tz) => now.with_timezone(&tz).date_naive(),
        Err(_) => now.date_naive(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn local_dates_follow_the_zone() {
        let t = "2026-03-01T02:30:00Z".parse().unwrap();
        assert_eq!(super::local_date(t, "UTC").to_string(), "2026-03-01");
        assert_eq!(
            super::local_date(t, "America/New_York").to_string(),
            "2026-02-28"
        );
        assert_eq!(super::local_date(t, "Asia/Tokyo").to_string(), "2026-03-01");
        assert_eq!(
            super::local_date(t, "Nowhere/Else").to_string(),
            "2026-03-01"
        );
    }

    #[test]
    fn now_has_no_nanoseconds() {
        assert_eq!(super::now().timestamp_subsec_nanos() % 1000, 0);
    }
}
