//! Money in integer minor units with an ISO 4217 currency, and the contract's line arithmetic.
//!
//! Floating point never touches an amount: quantities are thousandths, rates are basis points,
//! intermediate products are `i128`, and every rounding is half away from zero.

use serde::{Deserialize, Serialize};
use std::fmt;
use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum MoneyError {
    #[error("'{0}' is not an ISO 4217 currency code")]
    UnknownCurrency(String),
    #[error("amounts in {0} and {1} cannot be combined")]
    CurrencyMismatch(Currency, Currency),
    #[error("amount out of range")]
    Overflow,
    #[error("quantity must be a number with at most 3 decimals")]
    BadQuantity,
    #[error("tax rate must be between 0 and 10000 basis points")]
    BadRate,
}

/// Active ISO 4217 codes with their minor-unit exponent.
pub(crate) const CURRENCIES: &[(&str, u8)] = &[
    ("AED", 2),
    ("AFN", 2),
    ("ALL", 2),
    ("AMD", 2),
    ("ANG", 2),
    ("AOA", 2),
    ("ARS", 2),
    ("AUD", 2),
    ("AWG", 2),
    ("AZN", 2),
    ("BAM", 2),
    ("BBD", 2),
    ("BDT", 2),
    ("BGN", 2),
    ("BHD", 3),
    ("BIF", 0),
    ("BMD", 2),
    ("BND", 2),
    ("BOB", 2),
    ("BRL", 2),
    ("BSD", 2),
    ("BTN", 2),
    ("BWP", 2),
    ("BYN", 2),
    ("BZD", 2),
    ("CAD", 2),
    ("CDF", 2),
    ("CHF", 2),
    ("CLP", 0),
    ("CNY", 2),
    ("COP", 2),
    ("CRC", 2),
    ("CUP", 2),
    ("CVE", 2),
    ("CZK", 2),
    ("DJF", 0),
    ("DKK", 2),
    ("DOP", 2),
    ("DZD", 2),
    ("EGP", 2),
    ("ERN", 2),
    ("ETB", 2),
    ("EUR", 2),
    ("FJD", 2),
    ("FKP", 2),
    ("GBP", 2),
    ("GEL", 2),
    ("GHS", 2),
    ("GIP", 2),
    ("GMD", 2),
    ("GNF", 0),
    ("GTQ", 2),
    ("GYD", 2),
    ("HKD", 2),
    ("HNL", 2),
    ("HTG", 2),
    ("HUF", 2),
    ("IDR", 2),
    ("ILS", 2),
    ("INR", 2),
    ("IQD", 3),
    ("IRR", 2),
    ("ISK", 0),
    ("JMD", 2),
    ("JOD", 3),
    ("JPY", 0),
    ("KES", 2),
    ("KGS", 2),
    ("KHR", 2),
    ("KMF", 0),
    ("KPW", 2),
    ("KRW", 0),
    ("KWD", 3),
    ("KYD", 2),
    ("KZT", 2),
    ("LAK", 2),
    ("LBP", 2),
    ("LKR", 2),
    ("LRD", 2),
    ("LSL", 2),
    ("LYD", 3),
    ("MAD", 2),
    ("MDL", 2),
    ("MGA", 2),
    ("MKD", 2),
    ("MMK", 2),
    ("MNT", 2),
    ("MOP", 2),
    ("MRU", 2),
    ("MUR", 2),
    ("MVR", 2),
    ("MWK", 2),
    ("MXN", 2),
    ("MYR", 2),
    ("MZN", 2),
    ("NAD", 2),
    ("NGN", 2),
    ("NIO", 2),
    ("NOK", 2),
    ("NPR", 2),
    ("NZD", 2),
    ("OMR", 3),
    ("PAB", 2),
    ("PEN", 2),
    ("PGK", 2),
    ("PHP", 2),
    ("PKR", 2),
    ("PLN", 2),
    ("PYG", 0),
    ("QAR", 2),
    ("RON", 2),
    ("RSD", 2),
    ("RUB", 2),
    ("RWF", 0),
    ("SAR", 2),
    ("SBD", 2),
    ("SCR", 2),
    ("SDG", 2),
    ("SEK", 2),
    ("SGD", 2),
    ("SHP", 2),
    ("SLE", 2),
    ("SOS", 2),
    ("SRD", 2),
    ("SSP", 2),
    ("STN", 2),
    ("SVC", 2),
    ("SYP", 2),
    ("SZL", 2),
    ("THB", 2),
    ("TJS", 2),
    ("TMT", 2),
    ("TND", 3),
    ("TOP", 2),
    ("TRY", 2),
    ("TTD", 2),
    ("TWD", 2),
    ("TZS", 2),
    ("UAH", 2),
    ("UGX", 0),
    ("USD", 2),
    ("UYU", 2),
    ("UZS", 2),
    ("VES", 2),
    ("VND", 0),
    ("VUV", 0),
    ("WST", 2),
    ("XAF", 0),
    ("XCD", 2),
    ("XOF", 0),
    ("XPF", 0),
    ("YER", 2),
    ("ZAR", 2),
    ("ZMW", 2),
    ("ZWG", 2),
];

/// An ISO 4217 currency code, validated.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency([u8; 3]);

impl Currency {
    /// Accepts a known code in any case and stores it upper-case.
    pub fn parse(code: &str) -> Result<Self, MoneyError> {
        let upper = code.trim().to_ascii_uppercase();
        match CURRENCIES.iter().find(|(c, _)| *c == upper) {
            Some((c, _)) => {
                let b = c.as_bytes();
                Ok(Self([b[0], b[1], b[2]]))
            }
            None => Err(MoneyError::UnknownCurrency(code.to_string())),
        }
    }

    pub fn code(&self) -> &str {
        // Only ASCII codes from the table are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }

    /// Digits after the decimal point of the minor unit (2 for USD, 0 for JPY, 3 for KWD).
    pub fn exponent(&self) -> u8 {
        CURRENCIES
            .iter()
            .find(|(c, _)| c.as_bytes() == self.0)
            .map(|(_, e)| *e)
            .unwrap_or(2)
    }
}

/// `XXX` (ISO 4217: no currency): only the placeholder `Errors::value` holds for a refused
/// code, which `finish()` keeps from ever being seen.
impl Default for Currency {
    fn default() -> Self {
        Self(*b"XXX")
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl TryFrom<String> for Currency {
    type Error = MoneyError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Currency> for String {
    fn from(c: Currency) -> Self {
        c.code().to_string()
    }
}

/// An amount in minor units of a currency.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    pub amount: i64,
    pub currency: Currency,
}

impl Money {
    pub fn new(amount: i64, currency: Currency) -> Self {
        Self { amount, currency }
    }

    pub fn zero(currency: Currency) -> Self {
        Self::new(0, currency)
    }

    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        if self.currency != other.currency {
            return Err(MoneyError::CurrencyMismatch(self.currency, other.currency));
        }
        self.amount
            .checked_add(other.amount)
            .map(|amount| Money::new(amount, self.currency))
            .ok_or(MoneyError::Overflow)
    }
}

/// A quantity with up to three decimals, held as thousandths.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Quantity(i64);

impl Quantity {
    pub fn from_thousandths(t: i64) -> Self {
        Self(t)
    }

    pub fn thousandths(&self) -> i64 {
        self.0
    }

    /// Parses `"12"`, `"1.5"`, `"-0.125"`; more than three decimals is an error, not a rounding.
    pub fn parse(s: &str) -> Result<Self, MoneyError> {
        let s = s.trim();
        let (neg, digits) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
        if int.is_empty() && frac.is_empty()
            || frac.len() > 3
            || !int.chars().all(|c| c.is_ascii_digit())
            || !frac.chars().all(|c| c.is_ascii_digit())
            || (digits.contains('.') && frac.is_empty())
        {
            return Err(MoneyError::BadQuantity);
        }
        let int_v: i64 = if int.is_empty() {
            0
        } else {
            int.parse().map_err(|_| MoneyError::BadQuantity)?
        };
        let frac_v: i64 = format!("{frac:0<3}")
            .parse()
            .map_err(|_| MoneyError::BadQuantity)?;
        let t = int_v
            .checked_mul(1000)
            .and_then(|v| v.checked_add(frac_v))
            .ok_or(MoneyError::BadQuantity)?;
        Ok(Self(if neg { -t } else { t }))
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let (int, frac) = (abs / 1000, abs % 1000);
        if frac == 0 {
            write!(f, "{sign}{int}")
        } else {
            let frac = format!("{frac:03}");
            write!(f, "{sign}{int}.{}", frac.trim_end_matches('0'))
        }
    }
}

/// `numerator / denominator` rounded half away from zero.
pub fn div_round_half_away(numerator: i128, denominator: i128) -> i128 {
    let q = numerator / denominator;
    let r = numerator % denominator;
    if 2 * r.abs() >= denominator.abs() {
        if (numerator < 0) != (denominator < 0) {
            q - 1
        } else {
            q + 1
        }
    } else {
        q
    }
}

/// Subtotal and tax of one line, in minor units: subtotal = quantity × unit price, then
/// tax = subtotal × rate / 10000, each rounded half away from zero.
pub fn line_amounts(
    quantity: Quantity,
    unit_price: i64,
    tax_rate_bp: u32,
) -> Result<(i64, i64), MoneyError> {
    if tax_rate_bp > 10_000 {
        return Err(MoneyError::BadRate);
    }
    let subtotal = div_round_half_away(i128::from(quantity.0) * i128::from(unit_price), 1000);
    let tax = div_round_half_away(subtotal * i128::from(tax_rate_bp), 10_000);
    let subtotal = i64::try_from(subtotal).map_err(|_| MoneyError::Overflow)?;
    let tax = i64::try_from(tax).map_err(|_| MoneyError::Overflow)?;
    Ok((subtotal, tax))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn currency_codes_are_validated_and_normalised() {
        assert_eq!(Currency::parse("usd").unwrap().code(), "USD");
        assert_eq!(Currency::parse("JPY").unwrap().exponent(), 0);
        assert_eq!(Currency::parse("KWD").unwrap().exponent(), 3);
        assert!(Currency::parse("XYZ").is_err());
        assert!(Currency::parse("US").is_err());
        let json = serde_json::to_string(&Currency::parse("eur").unwrap()).unwrap();
        assert_eq!(json, "\"EUR\"");
        assert!(serde_json::from_str::<Currency>("\"ABC\"").is_err());
    }

    #[test]
    fn money_adds_only_in_one_currency() {
        let usd = Currency::parse("USD").unwrap();
        let eur = Currency::parse("EUR").unwrap();
        assert_eq!(
            Money::new(125_050, usd)
                .checked_add(Money::new(50, usd))
                .unwrap()
                .amount,
            125_100
        );
        assert!(Money::new(1, usd).checked_add(Money::new(1, eur)).is_err());
        assert_eq!(
            Money::new(i64::MAX, usd).checked_add(Money::new(1, usd)),
            Err(MoneyError::Overflow)
        );
    }

    #[test]
    fn quantities_parse_with_at_most_three_decimals() {
        assert_eq!(Quantity::parse("2").unwrap().thousandths(), 2000);
        assert_eq!(Quantity::parse("1.5").unwrap().thousandths(), 1500);
        assert_eq!(Quantity::parse("0.125").unwrap().thousandths(), 125);
        assert_eq!(Quantity::parse("-3.25").unwrap().thousandths(), -3250);
        assert_eq!(Quantity::parse(".5").unwrap().thousandths(), 500);
        for bad in ["", "1.2345", "abc", "1.", "1e3", "--1"] {
            assert!(Quantity::parse(bad).is_err(), "{bad} must not parse");
        }
        assert_eq!(Quantity::parse("1.500").unwrap().to_string(), "1.5");
        assert_eq!(Quantity::parse("-0.125").unwrap().to_string(), "-0.125");
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(div_round_half_away(5, 10), 1);
        assert_eq!(div_round_half_away(-5, 10), -1);
        assert_eq!(div_round_half_away(4, 10), 0);
        assert_eq!(div_round_half_away(-4, 10), 0);
        assert_eq!(div_round_half_away(15, 10), 2);
        assert_eq!(div_round_half_away(-15, 10), -2);
    }

    #[test]
    fn line_amounts_follow_the_contract() {
        // 1.5 × 3.33 = 4.995 → 5.00; tax 18 % of 500 = 90.
        let (sub, tax) = line_amounts(Quantity::parse("1.5").unwrap(), 333, 1800).unwrap();
        assert_eq!((sub, tax), (500, 90));
        // tax half-way case: 250 × 2 % = 5.0 exact; 125 × 2 % = 2.5 → 3.
        assert_eq!(
            line_amounts(Quantity::parse("1").unwrap(), 125, 200).unwrap(),
            (125, 3)
        );
        assert!(line_amounts(Quantity::parse("1").unwrap(), 1, 10_001).is_err());
    }
}
