//! Day quantities (contract section 8: "numbers with at most 2 decimals, computed exactly,
//! never binary floating point"): [`Days`] is an integer count of hundredths of a day.
//!
//! - Read from a JSON number (`1.5`) or a string (`"1.5"`, `"-0.25"`) with at most two
//!   decimals; a third decimal is a [`ValueError`] (`too_many_decimals`), never a rounding;
//!   beyond ±[`Days::MAX`] is `out_of_range`.
//! - Written as a JSON number with at most two decimals (`1.5`, `-0.25`, `3`).
//! - Sums, differences and negation are exact; the two roundings of the contract are
//!   explicit: [`Days::ratio_half_up`] (a rational quantity to hundredths, half away from
//!   zero, which is "half up" for the non-negative quantities the contract rounds) and
//!   [`Days::ratio_nearest_half`] (to the nearest half day, a quarter rounding away from zero).
//!
//! Floating point appears at the JSON boundary only, and exactly: a JSON number with a
//! fraction reaches a serde visitor as the nearest `f64`, whose shortest round-trip decimal
//! form (Rust's `Display`) is the number as written for every value of at most 15
//! significant digits — so `1.255` is read as `1.255` and refused, not rounded. Writing, a
//! non-integral quantity goes out as `hundredths as f64 / 100.0`, the `f64` nearest to the
//! exact decimal, which `serde_json` prints in that same shortest form (the bound
//! [`Days::MAX`] keeps every value inside 15 digits; `json_is_exact` tests it).

use crm_domain::ValueError;
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Neg, Sub, SubAssign};

/// An exact quantity of days, in hundredths of a day.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Days(i64);

impl Days {
    pub const ZERO: Days = Days(0);
    /// Half a day: a half-day leave.
    pub const HALF: Days = Days(50);
    pub const ONE: Days = Days(100);
    /// The largest quantity read from a request, in days (a million days: far beyond any
    /// leave, and small enough that sums of a lifetime stay exact in 64 bits and in JSON).
    pub const MAX: i64 = 1_000_000;

    pub const fn from_hundredths(h: i64) -> Self {
        Self(h)
    }

    pub const fn hundredths(self) -> i64 {
        self.0
    }

    /// `n` whole days.
    pub const fn whole(n: i64) -> Self {
        Self(n * 100)
    }

    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }

    pub fn abs(self) -> Self {
        Self(self.0.abs())
    }

    /// `numerator / denominator` hundredths of a day, rounded half away from zero to a
    /// hundredth. `denominator` must not be 0 (a 0 denominator gives 0).
    pub fn ratio_half_up(numerator: i128, denominator: i128) -> Self {
        Self(saturate(div_half_away(numerator, denominator)))
    }

    /// `numerator / denominator` hundredths of a day, rounded to the nearest half day (a
    /// quarter day exactly rounds away from zero). Rounded once, from the exact ratio, never
    /// through hundredths first.
    pub fn ratio_nearest_half(numerator: i128, denominator: i128) -> Self {
        Self(saturate(
            div_half_away(numerator, denominator.saturating_mul(50)).saturating_mul(50),
        ))
    }

    /// This quantity rounded to the nearest half day.
    pub fn nearest_half(self) -> Self {
        Self::ratio_nearest_half(i128::from(self.0), 1)
    }

    pub fn min(self, other: Days) -> Days {
        Days(self.0.min(other.0))
    }

    pub fn max(self, other: Days) -> Days {
        Days(self.0.max(other.0))
    }

    /// Reads `"12"`, `"1.5"`, `"-0.25"`, `"0.05"`: an optional `-`, digits, and at most two
    /// decimals; at most [`Days::MAX`] days either side of 0.
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let s = raw.trim();
        let (negative, digits) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
        let malformed = int.is_empty()
            || (digits.contains('.') && frac.is_empty())
            || !int.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit());
        if malformed {
            return Err(ValueError::new(
                "invalid",
                "must be a number of days with at most 2 decimals, such as 1.5",
            ));
        }
        let significant = frac.trim_end_matches('0');
        if significant.len() > 2 {
            return Err(ValueError::new(
                "too_many_decimals",
                "days take at most 2 decimals",
            ));
        }
        let out_of_range = || {
            ValueError::new(
                "out_of_range",
                format!("must be between -{0} and {0} days", Self::MAX),
            )
        };
        let int = int.trim_start_matches('0');
        if int.len() > 7 {
            return Err(out_of_range());
        }
        let whole: i64 = if int.is_empty() {
            0
        } else {
            int.parse().map_err(|_| out_of_range())?
        };
        let cents: i64 = format!("{significant:0<2}")
            .parse()
            .map_err(|_| out_of_range())?;
        let h = whole * 100 + cents;
        if h > Self::MAX * 100 {
            return Err(out_of_range());
        }
        Ok(Self(if negative { -h } else { h }))
    }
}

/// `n / d` rounded half away from zero; 0 when `d` is 0.
fn div_half_away(n: i128, d: i128) -> i128 {
    if d == 0 {
        return 0;
    }
    let (n, d) = if d < 0 { (-n, -d) } else { (n, d) };
    let q = n / d;
    let r = n % d;
    if 2 * r.abs() >= d {
        if n < 0 { q - 1 } else { q + 1 }
    } else {
        q
    }
}

fn saturate(v: i128) -> i64 {
    i64::try_from(v).unwrap_or(if v < 0 { i64::MIN } else { i64::MAX })
}

impl fmt::Display for Days {
    /// `3`, `1.5`, `-0.25`: the shortest exact form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let (whole, cents) = (abs / 100, abs % 100);
        match cents {
            0 => write!(f, "{sign}{whole}"),
            c if c % 10 == 0 => write!(f, "{sign}{whole}.{}", c / 10),
            c => write!(f, "{sign}{whole}.{c:02}"),
        }
    }
}

impl std::str::FromStr for Days {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Add for Days {
    type Output = Days;
    fn add(self, rhs: Days) -> Days {
        Days(self.0 + rhs.0)
    }
}

impl Sub for Days {
    type Output = Days;
    fn sub(self, rhs: Days) -> Days {
        Days(self.0 - rhs.0)
    }
}

impl Neg for Days {
    type Output = Days;
    fn neg(self) -> Days {
        Days(-self.0)
    }
}

impl AddAssign for Days {
    fn add_assign(&mut self, rhs: Days) {
        self.0 += rhs.0;
    }
}

impl SubAssign for Days {
    fn sub_assign(&mut self, rhs: Days) {
        self.0 -= rhs.0;
    }
}

impl Sum for Days {
    fn sum<I: Iterator<Item = Days>>(iter: I) -> Days {
        iter.fold(Days::ZERO, Add::add)
    }
}

impl<'a> Sum<&'a Days> for Days {
    fn sum<I: Iterator<Item = &'a Days>>(iter: I) -> Days {
        iter.copied().sum()
    }
}

impl Serialize for Days {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0 % 100 == 0 {
            s.serialize_i64(self.0 / 100)
        } else {
            // Exact for |hundredths| < 10^15 (see the module docs); `MAX` is 10^8 hundredths.
            s.serialize_f64(self.0 as f64 / 100.0)
        }
    }
}

impl<'de> Deserialize<'de> for Days {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(DaysVisitor)
    }
}

struct DaysVisitor;

impl DaysVisitor {
    fn parsed<E: de::Error>(text: &str) -> Result<Days, E> {
        Days::parse(text).map_err(|e| E::custom(e.message))
    }
}

impl Visitor<'_> for DaysVisitor {
    type Value = Days;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number of days with at most 2 decimals (a number or a string)")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Days, E> {
        Self::parsed(&v.to_string())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Days, E> {
        Self::parsed(&v.to_string())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Days, E> {
        if !v.is_finite() {
            return Err(E::custom("must be a finite number"));
        }
        // `Display` of an f64 is its shortest round-trip decimal form, without exponent.
        Self::parsed(&v.to_string())
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Days, E> {
        Self::parsed(v)
    }
}

/// A day quantity of a request body, checked by [`Days::parse`] with its [`ValueError`]
/// (for bodies that keep the raw value to file the error under a field).
pub fn days(raw: &str) -> Result<Days, ValueError> {
    Days::parse(raw)
}

/// A day quantity between 0 and `max` days inclusive (allowances, caps).
pub fn non_negative(v: Days, max: i64) -> Result<Days, ValueError> {
    if (0..=max * 100).contains(&v.0) {
        Ok(v)
    } else {
        Err(ValueError::new(
            "out_of_range",
            format!("must be between 0 and {max} days"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> Days {
        Days::parse(s).unwrap()
    }

    #[test]
    fn parses_up_to_two_decimals_and_refuses_more() {
        assert_eq!(d("12").hundredths(), 1200);
        assert_eq!(d("1.5").hundredths(), 150);
        assert_eq!(d("0.05").hundredths(), 5);
        assert_eq!(d("-0.25").hundredths(), -25);
        assert_eq!(d(" 2.50 ").hundredths(), 250);
        // Trailing zeros are not decimals that matter.
        assert_eq!(d("1.2500").hundredths(), 125);
        assert_eq!(d("-0").hundredths(), 0);
        assert_eq!(d("1000000").hundredths(), 100_000_000);
        assert_eq!(Days::parse("1.255").unwrap_err().code, "too_many_decimals");
        assert_eq!(Days::parse("0.001").unwrap_err().code, "too_many_decimals");
        assert_eq!(Days::parse("1000000.01").unwrap_err().code, "out_of_range");
        assert_eq!(
            Days::parse("99999999999999999999999").unwrap_err().code,
            "out_of_range"
        );
        for bad in [
            "", "-", ".", "1.", ".5", "+1", "1e2", "1,5", "one", "1.-5", "--1",
        ] {
            assert_eq!(Days::parse(bad).unwrap_err().code, "invalid", "{bad:?}");
        }
    }

    #[test]
    fn json_numbers_and_strings_in_numbers_out() {
        let read = |j: &str| serde_json::from_str::<Days>(j);
        assert_eq!(read("1.5").unwrap(), d("1.5"));
        assert_eq!(read("\"1.5\"").unwrap(), d("1.5"));
        assert_eq!(read("3").unwrap(), d("3"));
        assert_eq!(read("-0.25").unwrap(), d("-0.25"));
        assert_eq!(read("0.1").unwrap(), d("0.1"));
        assert_eq!(read("1e2").unwrap(), d("100"));
        assert!(read("1.255").is_err());
        assert!(read("0.333").is_err());
        assert!(read("\"1.255\"").is_err());
        assert!(read("1e30").is_err());
        assert!(read("true").is_err());
        assert!(read("null").is_err());
        let write = |s: &str| serde_json::to_string(&d(s)).unwrap();
        assert_eq!(write("3"), "3");
        assert_eq!(write("1.5"), "1.5");
        assert_eq!(write("0.1"), "0.1");
        assert_eq!(write("-0.25"), "-0.25");
        assert_eq!(write("0.07"), "0.07");
        assert_eq!(write("-12"), "-12");
    }

    #[test]
    fn display_is_the_shortest_exact_form() {
        for (h, s) in [
            (0, "0"),
            (150, "1.5"),
            (5, "0.05"),
            (-25, "-0.25"),
            (-5, "-0.05"),
            (1200, "12"),
            (1210, "12.1"),
        ] {
            assert_eq!(Days::from_hundredths(h).to_string(), s);
        }
    }

    #[test]
    fn arithmetic_is_exact() {
        let tenth = d("0.1");
        let ten: Days = std::iter::repeat_n(tenth, 10).sum();
        assert_eq!(ten, Days::ONE);
        assert_eq!(d("1.5") - d("2"), d("-0.5"));
        assert_eq!(-d("1.5"), d("-1.5"));
        let mut x = Days::ZERO;
        x += d("0.25");
        x -= d("1");
        assert_eq!(x, d("-0.75"));
        assert_eq!([d("1"), d("2")].iter().sum::<Days>(), d("3"));
    }

    #[test]
    fn roundings() {
        // 20 × 5 / 12 = 8.3333… → 8.33; 20 × 7 / 12 = 11.6666… → 11.67.
        assert_eq!(Days::ratio_half_up(2000 * 5, 12), d("8.33"));
        assert_eq!(Days::ratio_half_up(2000 * 7, 12), d("11.67"));
        // Exactly half a hundredth goes up (away from zero).
        assert_eq!(Days::ratio_half_up(1, 2), d("0.01"));
        assert_eq!(Days::ratio_half_up(-1, 2), d("-0.01"));
        assert_eq!(Days::ratio_half_up(1, 3), Days::ZERO);
        // Nearest half day: 7.24 → 7, 7.25 → 7.5, 7.74 → 7.5, 7.75 → 8.
        assert_eq!(d("7.24").nearest_half(), d("7"));
        assert_eq!(d("7.25").nearest_half(), d("7.5"));
        assert_eq!(d("7.74").nearest_half(), d("7.5"));
        assert_eq!(d("7.75").nearest_half(), d("8"));
        assert_eq!(d("-7.25").nearest_half(), d("-7.5"));
        // Rounded once from the exact ratio: 7.2499 days is 7, though rounding it to
        // hundredths first (7.25) and then to the half day would give 7.5.
        assert_eq!(Days::ratio_nearest_half(72_499, 100), d("7"));
        assert_eq!(Days::ratio_half_up(72_499, 100).nearest_half(), d("7.5"));
        assert_eq!(Days::ratio_half_up(5, 0), Days::ZERO);
    }

    #[test]
    fn bounds_of_policy_quantities() {
        assert!(non_negative(d("366"), 366).is_ok());
        assert!(non_negative(d("0"), 366).is_ok());
        assert_eq!(
            non_negative(d("-0.5"), 366).unwrap_err().code,
            "out_of_range"
        );
        assert!(non_negative(d("366.01"), 366).is_err());
    }

    proptest! {
        #[test]
        fn text_round_trips(h in -Days::MAX * 100..=Days::MAX * 100) {
            let v = Days::from_hundredths(h);
            prop_assert_eq!(Days::parse(&v.to_string()).unwrap(), v);
        }

        #[test]
        fn json_is_exact(h in -Days::MAX * 100..=Days::MAX * 100) {
            let v = Days::from_hundredths(h);
            let json = serde_json::to_string(&v).unwrap();
            prop_assert_eq!(&json, &v.to_string());
            prop_assert_eq!(serde_json::from_str::<Days>(&json).unwrap(), v);
            let text = format!("\"{v}\"");
            prop_assert_eq!(serde_json::from_str::<Days>(&text).unwrap(), v);
        }

        #[test]
        fn a_third_decimal_is_refused(h in -Days::MAX * 100..Days::MAX * 100, third in 1u8..=9) {
            let v = Days::from_hundredths(h);
            let base = if v.hundredths() % 100 == 0 { format!("{v}.00") }
                else if v.hundredths() % 10 == 0 { format!("{v}0") } else { v.to_string() };
            let raw = format!("{base}{third}");
            prop_assert_eq!(Days::parse(&raw).unwrap_err().code, "too_many_decimals");
            prop_assert!(serde_json::from_str::<Days>(&raw).is_err());
        }

        #[test]
        fn half_up_matches_the_exact_rule(n in -10_000_000i128..10_000_000, den in 1i128..10_000) {
            let r = Days::ratio_half_up(n, den).hundredths() as i128;
            // |n/den − r| ≤ 1/2, and exactly 1/2 only away from zero.
            let diff = n - r * den; // = den × (n/den − r)
            prop_assert!(2 * diff.abs() <= den);
            if 2 * diff.abs() == den {
                prop_assert!(r.abs() * den > n.abs());
            }
        }

        #[test]
        fn nearest_half_is_a_half_day_within_a_quarter(n in -10_000_000i128..10_000_000, den in 1i128..10_000) {
            let r = Days::ratio_nearest_half(n, den).hundredths() as i128;
            prop_assert_eq!(r % 50, 0);
            let diff = n - r * den;
            prop_assert!(4 * diff.abs() <= 100 * den);
        }
    }
}
