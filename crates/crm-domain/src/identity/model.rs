//! The ids and small value types identity's aggregates share, and what sign-in returns.

use super::roles::RoleSummary;
use super::users::User;
pub(crate) use crate::kernel::text::{phone, required_text, website};
pub use crate::kernel::validation::ValueError;
use serde::{Deserialize, Serialize};
use std::fmt;

crate::typed_id!(
    /// A role (system or custom) of one organization.
    RoleId
);
crate::typed_id!(
    /// A department of one organization.
    DepartmentId
);
crate::typed_id!(
    /// A job title of one organization.
    DesignationId
);
crate::typed_id!(
    /// One stored refresh token.
    RefreshTokenId
);
crate::typed_id!(
    /// A refresh-token family: every token obtained by rotating from one login. It is the unit
    /// of revocation (logout, reuse detection) and doubles as the session id.
    FamilyId
);
crate::typed_id!(
    /// One issued verification, reset or invitation code.
    VerificationCodeId
);

/// An optional text where line breaks are allowed (addresses, descriptions).
pub(crate) fn optional_text(
    raw: Option<&str>,
    what: &str,
    max: usize,
) -> Result<Option<String>, ValueError> {
    crate::kernel::text::optional_text(raw, what, max, true)
}

/// A person's display name: trimmed, 1..=200 characters. `Default` (empty) only stands in for
/// a name that failed to parse (see [`crate::kernel::input::Errors`]).
#[derive(Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PersonName(String);

impl PersonName {
    pub const MAX_CHARS: usize = 200;

    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        required_text(raw, "name", Self::MAX_CHARS).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for PersonName {
    type Error = ValueError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<PersonName> for String {
    fn from(n: PersonName) -> Self {
        n.0
    }
}

/// What a successful sign-in returns (`verify-email`, `login`, `refresh`).
#[derive(Clone, PartialEq, Eq)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    /// Always `"Bearer"`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    pub user: User,
}

impl fmt::Debug for TokenPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenPair")
            .field("access_token", &"[redacted]")
            .field("refresh_token", &"[redacted]")
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .field("user", &self.user.id)
            .finish()
    }
}

/// `GET /auth/me`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Me {
    pub user: User,
    pub roles: Vec<RoleSummary>,
    /// Sorted.
    pub permissions: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn person_names_are_trimmed_and_bounded() {
        assert_eq!(PersonName::parse("  Ann Lee ").unwrap().as_str(), "Ann Lee");
        assert_eq!(PersonName::parse("   ").unwrap_err().code, "required");
        assert!(PersonName::parse(&"é".repeat(200)).is_ok());
        assert_eq!(
            PersonName::parse(&"é".repeat(201)).unwrap_err().code,
            "too_long"
        );
        assert_eq!(PersonName::parse("a\u{0}b").unwrap_err().code, "invalid");
    }
}
