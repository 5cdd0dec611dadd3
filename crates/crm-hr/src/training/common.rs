//! Value parsers the training inputs share, and the dates of a pass.

use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use crm_domain::ValueError;
use crm_domain::kernel::text::optional_text;

/// The years an instant may fall in: wide enough for any training, narrow enough that every
/// backend stores it (MariaDB's `DATETIME` starts at year 1000) and that a validity added to
/// its date stays a date.
const YEARS: std::ops::RangeInclusive<i32> = 1970..=9000;

/// An RFC 3339 instant with its offset (`2026-03-10T09:00:00+01:00`), kept in UTC as stored
/// (microseconds), in the years 1970–9000.
pub fn instant(raw: &str) -> Result<DateTime<Utc>, ValueError> {
    let t = DateTime::parse_from_rfc3339(raw.trim())
        .map(|t| crm_domain::kernel::clock::stored(t.with_timezone(&Utc)))
        .map_err(|_| {
            ValueError::new(
                "invalid",
                "must be an RFC 3339 date and time with an offset (2026-03-10T09:00:00Z)",
            )
        })?;
    if !YEARS.contains(&t.year()) {
        return Err(ValueError::new(
            "out_of_range",
            format!("must be in the years {} to {}", YEARS.start(), YEARS.end()),
        ));
    }
    Ok(t)
}

/// An optional one-line text of at most `max` characters; blank is none.
pub fn text_of(raw: Option<&str>, what: &str, max: usize) -> Result<Option<String>, ValueError> {
    optional_text(raw, what, max, false)
}

/// The date a session ending at `ends_at` completes on: its date on the wall clock of the
/// organization's IANA `zone` (UTC's date for a zone the time-zone database does not know).
pub fn completed_on(ends_at: DateTime<Utc>, zone: &str) -> NaiveDate {
    crm_domain::kernel::clock::local_date(ends_at, zone)
}

/// The last day a pass of `completed_on` is valid: `validity_months` calendar months later
/// (the month's last day when it is shorter: 31 January + 1 month = 28 or 29 February);
/// `None` for a program whose passes never expire.
pub fn valid_until(completed_on: NaiveDate, validity_months: Option<i64>) -> Option<NaiveDate> {
    let months = u32::try_from(validity_months?).ok()?;
    completed_on.checked_add_months(Months::new(months))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn instants_keep_their_offset_and_stay_in_range() {
        let t = instant(" 2026-03-10T09:00:00.1234567+01:00 ").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-03-10T08:00:00.123456+00:00");
        assert_eq!(instant("2026-03-10").unwrap_err().code, "invalid");
        assert_eq!(instant("2026-03-10T09:00:00").unwrap_err().code, "invalid");
        assert_eq!(
            instant("0001-01-01T00:00:00Z").unwrap_err().code,
            "out_of_range"
        );
        assert_eq!(
            instant("9999-12-31T23:59:59Z").unwrap_err().code,
            "out_of_range"
        );
    }

    #[test]
    fn a_session_completes_on_its_end_date_in_the_organizations_zone() {
        let late_evening_utc: DateTime<Utc> = "2026-03-10T22:30:00Z".parse().unwrap();
        assert_eq!(completed_on(late_evening_utc, "UTC"), day("2026-03-10"));
        // Auckland is 13 hours ahead in March (daylight time): already the 11th.
        assert_eq!(
            completed_on(late_evening_utc, "Pacific/Auckland"),
            day("2026-03-11")
        );
        // Honolulu is 10 hours behind: still the 10th at noon UTC, the 9th before 10:00 UTC.
        let morning_utc: DateTime<Utc> = "2026-03-10T08:00:00Z".parse().unwrap();
        assert_eq!(
            completed_on(morning_utc, "Pacific/Honolulu"),
            day("2026-03-09")
        );
        assert_eq!(completed_on(morning_utc, "Not/AZone"), day("2026-03-10"));
    }

    #[test]
    fn validity_adds_calendar_months_clamped_to_the_month_end() {
        assert_eq!(valid_until(day("2026-03-11"), None), None);
        assert_eq!(
            valid_until(day("2026-03-11"), Some(12)),
            Some(day("2027-03-11"))
        );
        assert_eq!(
            valid_until(day("2026-01-31"), Some(1)),
            Some(day("2026-02-28"))
        );
        assert_eq!(
            valid_until(day("2028-01-31"), Some(1)),
            Some(day("2028-02-29"))
        );
        assert_eq!(
            valid_until(day("2024-02-29"), Some(12)),
            Some(day("2025-02-28"))
        );
        assert_eq!(
            valid_until(day("2026-08-31"), Some(600)),
            Some(day("2076-08-31"))
        );
    }
}
