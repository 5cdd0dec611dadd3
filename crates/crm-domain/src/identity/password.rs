//! Passwords in their three guises: as typed, as accepted by the policy, and as stored.
//!
//! None of them prints its content: a password or hash that reaches a log line through `{:?}`
//! is a leak, so `Debug` is redacted and there is no `Display` or `Serialize`.

use super::model::ValueError;
use serde::Deserialize;
use std::fmt;

/// A password as the client sent it, unchecked (login, current password). It is not trimmed:
/// whitespace is part of a password.
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(value_type = String, format = Password))]
#[serde(transparent)]
pub struct PlainPassword(String);

impl PlainPassword {
    pub fn new(raw: impl Into<String>) -> Self {
        Self(raw.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for PlainPassword {
    fn from(s: String) -> Self {
        Self(s)
    }
}

impl From<&str> for PlainPassword {
    fn from(s: &str) -> Self {
        Self(s.to_string())
    }
}

impl fmt::Debug for PlainPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PlainPassword([redacted])")
    }
}

/// A password that satisfies the policy for new passwords: at least 8 and at most 1024
/// characters (counted as Unicode scalar values, so a passphrase in any script counts fairly).
///
/// The upper bound exists only so a request cannot make the hasher chew on megabytes.
/// `Default` (empty) only stands in for a password that failed the policy (see
/// [`crate::kernel::input::Errors`]).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct NewPassword(PlainPassword);

impl NewPassword {
    pub const MIN_CHARS: usize = 8;
    pub const MAX_CHARS: usize = 1024;

    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let n = raw.chars().count();
        if n == 0 {
            return Err(ValueError::new("required", "password is required"));
        }
        if n < Self::MIN_CHARS {
            return Err(ValueError::new(
                "too_short",
                "password must be at least 8 characters",
            ));
        }
        if n > Self::MAX_CHARS {
            return Err(ValueError::new(
                "too_long",
                "password is at most 1024 characters",
            ));
        }
        Ok(Self(PlainPassword::new(raw)))
    }

    pub fn as_plain(&self) -> &PlainPassword {
        &self.0
    }
}

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword([redacted])")
    }
}

/// A stored password hash: a PHC string (`$argon2id$…`) or a legacy bcrypt hash (`$2a$`,
/// `$2b$`, `$2y$`). Which algorithms verify and which need rehashing is the hasher's call.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    pub fn new(encoded: impl Into<String>) -> Self {
        Self(encoded.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_bounds() {
        assert_eq!(NewPassword::parse("").unwrap_err().code, "required");
        assert_eq!(NewPassword::parse("1234567").unwrap_err().code, "too_short");
        assert!(NewPassword::parse("12345678").is_ok());
        // Eight multi-byte characters are eight characters.
        assert!(NewPassword::parse("ññññññññ").is_ok());
        assert!(NewPassword::parse(&"x".repeat(1024)).is_ok());
        assert_eq!(
            NewPassword::parse(&"x".repeat(1025)).unwrap_err().code,
            "too_long"
        );
        // Surrounding spaces are kept: they are part of what the user typed.
        assert_eq!(
            NewPassword::parse(" abcdefg ").unwrap().as_plain().expose(),
            " abcdefg "
        );
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let p = NewPassword::parse("correct horse").unwrap();
        let h = PasswordHash::new("$argon2id$v=19$secret");
        let shown = format!("{p:?} {:?} {h:?}", p.as_plain());
        assert!(
            !shown.contains("horse") && !shown.contains("secret"),
            "{shown}"
        );
    }
}
