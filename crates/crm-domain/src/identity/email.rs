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
    /// RFC 5321 limit of a forward path.
    pub const MAX_LEN: usize = 254;

    /// Accepts `local@domain.tld`: one `@`, a non-empty local part, a domain of at least two
    /// non-empty dot-separated labels, no whitespace or control characters, at most 254
    /// characters once trimmed.
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let s = raw.trim().to_lowercase();
        if s.is_empty() {
            return Err(ValueError::new("required", "email is required"));
        }
        if s.chars().count() > Self::MAX_LEN {
            return Err(ValueError::new(
                "too_long",
                "email is at most 254 characters",
            ));
        }
        let invalid = || ValueError::new("invalid", "email is not a valid address");
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        let (local, domain) = s.split_once('@').ok_or_else(invalid)?;
        if local.is_empty() || domain.contains('@') {
            return Err(invalid());
        }
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2
            || labels
                .iter()
                .any(|l| l.is_empty() || l.starts_with('-') || l.ends_with('-'))
        {
            return Err(invalid());
        }
        Ok(Self(s))
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
    fn length_limit_is_254() {
        let local = "a".repeat(64);
        let domain = format!("{}.io", "d".repeat(254 - 64 - 1 - 3));
        let ok = format!("{local}@{domain}");
        assert_eq!(ok.len(), 254);
        assert!(EmailAddress::parse(&ok).is_ok());
        let too_long = format!("{local}a@{domain}");
        assert_eq!(EmailAddress::parse(&too_long).unwrap_err().code, "too_long");
    }

    #[test]
    fn serde_validates_on_the_way_in() {
        let e: EmailAddress = serde_json::from_str("\"A@B.io\"").unwrap();
        assert_eq!(serde_json::to_string(&e).unwrap(), "\"a@b.io\"");
        assert!(serde_json::from_str::<EmailAddress>("\"nope\"").is_err());
    }
}
