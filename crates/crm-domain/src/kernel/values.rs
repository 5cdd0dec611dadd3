//! Parsers of the scalar values every module's bodies carry: amounts, currencies, dates.
//! Each answers a [`ValueError`] that the caller files under its field.

use crate::{Currency, ValueError};
use chrono::NaiveDate;

/// Largest amount accepted, in minor units (10^15: a thousand trillion cents), so that sums
/// and probability-weighted sums stay far inside 64 bits.
pub const MAX_AMOUNT: i64 = 1_000_000_000_000_000;

/// A non-negative amount in minor units, at most [`MAX_AMOUNT`].
pub fn amount(v: i64) -> Result<i64, ValueError> {
    if (0..=MAX_AMOUNT).contains(&v) {
        Ok(v)
    } else {
        Err(ValueError::new(
            "out_of_range",
            format!("must be between 0 and {MAX_AMOUNT} minor units"),
        ))
    }
}

/// An amount in minor units above 0, at most [`MAX_AMOUNT`].
pub fn positive_amount(v: i64) -> Result<i64, ValueError> {
    if (1..=MAX_AMOUNT).contains(&v) {
        Ok(v)
    } else {
        Err(ValueError::new(
            "out_of_range",
            format!("must be between 1 and {MAX_AMOUNT} minor units"),
        ))
    }
}

/// An ISO 4217 code, any case.
pub fn currency(raw: &str) -> Result<Currency, ValueError> {
    Currency::parse(raw).map_err(|e| ValueError::new("invalid", e.to_string()))
}

/// An optional currency code; absent means none.
pub fn optional_currency(raw: Option<&str>) -> Result<Option<Currency>, ValueError> {
    raw.map(currency).transpose()
}

/// A `YYYY-MM-DD` date.
pub fn date(raw: &str) -> Result<NaiveDate, ValueError> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .map_err(|_| ValueError::new("invalid", "must be a YYYY-MM-DD date"))
}

/// An optional `YYYY-MM-DD` date; absent means none.
pub fn optional_date(raw: Option<&str>) -> Result<Option<NaiveDate>, ValueError> {
    raw.map(date).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_currencies_and_dates() {
        assert!(amount(-1).is_err());
        assert!(amount(MAX_AMOUNT + 1).is_err());
        assert_eq!(amount(0).unwrap(), 0);
        assert!(positive_amount(0).is_err());
        assert_eq!(positive_amount(MAX_AMOUNT).unwrap(), MAX_AMOUNT);
        assert_eq!(date("2026-02-28").unwrap().to_string(), "2026-02-28");
        assert!(date("2026-02-30").is_err());
        assert!(currency("usd").is_ok());
        assert!(currency("usx").is_err());
        assert_eq!(optional_date(None).unwrap(), None);
    }
}
