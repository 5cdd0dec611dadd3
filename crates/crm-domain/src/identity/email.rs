//! Email addresses as the system stores and compares them.

use super::model::ValueError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A syntactically valid address, trimmed and lower-cased.
///
/// Lower-casing the whole address (not only the domain) is deliberate: login is by email and
/// an address is unique across the system, so `Ann@X.io` and `ann@x.io` must be one account.
/// `Default` (empty) only stands in for an address that failed to parse, which
/// [`crate::kernel::input::Errors::finish`] keeps from being used.
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EmailAddress(String);

impl EmailAddress {
    /// RFC 5321 limit of a forward path, counted on the value as sent (surrounding whitespace
    /// included), so that the OpenAPI document can state it as `maxLength`.
    pub const MAX_LEN: usize = 254;
    /// RFC 5321 limit of a local part.
    pub const MAX_LOCAL: usize = 64;
    /// DNS limit of a label.
    pub const MAX_LABEL: usize = 63;

    /// Accepts `local@domain.tld`: one `@`, a local part of 1 to 64 characters, a domain of at
    /// least two dot-separated labels of 1 to 63 characters not starting or ending with `-`,
    /// no whitespace or control characters inside, at most 254 characters as sent. Every
    /// rule is one the OpenAPI document states (`kernel::openapi::email`).
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        Self::parse_optional(raw)?.ok_or_else(|| ValueError::new("required", "email is required"))
    }

    /// As [`Self::parse`], but blank is `None`.
    pub fn parse_optional(raw: &str) -> Result<Option<Self>, ValueError> {
        if raw.chars().count() > Self::MAX_LEN {
            return Err(ValueError::new(
                "too_long",
                "email is at most 254 characters",
            ));
        }
        let s = raw.trim();
        if s.is_empty() {
            return Ok(None);
        }
        let invalid = || ValueError::new("invalid", "email is not a valid address");
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        let (local, domain) = s.split_once('@').ok_or_else(invalid)?;
        let length = |part: &str, max: usize| (1..=max).contains(&part.chars().count());
        if !length(local, Self::MAX_LOCAL) || domain.contains('@') {
            return Err(invalid());
        }
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2
            || labels
                .iter()
                .any(|l| !length(l, Self::MAX_LABEL) || l.starts_with('-') || l.ends_with('-'))
        {
            return Err(invalid());
        }
        Ok(Some(Self(s.to_lowercase())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn domain(&self) -> &str {
        self.0.split_once('@').map(|(_, d)| d).unwrap_or_default()
    }
}

impl fmt::Debug for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for EmailAddress {
    type Error = ValueError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<EmailAddress> for String {
    fn from(e: EmailAddress) -> Self {
        e.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_case_and_whitespace() {
        let e = EmailAddress::parse("  Ann.Lee+crm@Example.COM ").unwrap();
        assert_eq!(e.as_str(), "ann.lee+crm@example.com");
        assert_eq!(e.domain(), "example.com");
        assert_eq!(e, EmailAddress::parse("ann.lee+CRM@example.com").unwrap());
    }

    #[test]
    fn rejects_malformed_addresses() {
        for bad in [
            "",
            "   ",
            "ann",
            "ann@",
            "@example.com",
            "ann@example",
            "ann@@example.com",
            "a@b@c.io",
            "ann@.example.com",
            "ann@example..com",
            "ann@example.com.",
            "a nn@example.com",
            "ann@-x.io",
            "ann\u{7}@x.io",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad:?} must be refused");
        }
        assert_eq!(EmailAddress::parse("").unwrap_err().code, "required");
    }

    #[test]
    fn length_limits_are_254_as_sent_64_per_local_part_and_63_per_label() {
        let (local, label) = ("a".repeat(64), "d".repeat(63));
        let domain = format!("{label}.{label}.{}.io", "d".repeat(58));
        let ok = format!("{local}@{domain}");
        assert_eq!(ok.len(), 254);
        assert!(EmailAddress::parse(&ok).is_ok());
        // The limit counts what was sent, surrounding whitespace included.
        assert_eq!(
            EmailAddress::parse(&format!(" {ok}")).unwrap_err().code,
            "too_long"
        );
        let too_long = format!("{local}@{domain}a");
        assert_eq!(EmailAddress::parse(&too_long).unwrap_err().code, "too_long");
        let long_local = format!("{local}a@x.io");
        assert_eq!(
            EmailAddress::parse(&long_local).unwrap_err().code,
            "invalid"
        );
        let long_label = format!("ann@{label}d.io");
        assert_eq!(
            EmailAddress::parse(&long_label).unwrap_err().code,
            "invalid"
        );
        assert!(EmailAddress::parse(&format!("ann@{label}.io")).is_ok());
        assert!(EmailAddress::parse("ann@a.b.c.d.e.example.co.uk").is_ok());
        assert_eq!(EmailAddress::parse_optional("  ").unwrap(), None);
    }

    #[test]
    fn serde_validates_on_the_way_in() {
        let e: EmailAddress = serde_json::from_str("\"A@B.io\"").unwrap();
        assert_eq!(serde_json::to_string(&e).unwrap(), "\"a@b.io\"");
        assert!(serde_json::from_str::<EmailAddress>("\"nope\"").is_err());
    }
}
