//! Identity entities and the small value types they are made of.

use super::email::EmailAddress;
use super::password::PasswordHash;
pub(crate) use crate::activity::change_entry as audit;
use crate::kernel::ids::{OrganizationId, UserId};
use crate::kernel::money::Currency;
pub(crate) use crate::kernel::text::{phone, required_text, website};
pub use crate::kernel::validation::ValueError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

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

/// A person's display name: trimmed, 1..=200 characters.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
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

/// An IANA zone name such as `UTC` or `America/Argentina/Buenos_Aires`. Only the shape is
/// checked: the domain carries no time-zone database.
pub(crate) fn timezone(raw: &str) -> Result<String, ValueError> {
    let t = raw.trim();
    let well_formed = !t.is_empty()
        && t.len() <= 64
        && t.starts_with(|c: char| c.is_ascii_uppercase())
        && t.split('/').all(|seg| {
            !seg.is_empty()
                && seg
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+'))
        });
    if well_formed {
        Ok(t.to_string())
    } else {
        Err(ValueError::new(
            "invalid",
            "timezone must be an IANA zone name such as Europe/Paris",
        ))
    }
}

/// A tenant and its profile.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Organization {
    pub id: OrganizationId,
    pub name: String,
    pub legal_name: Option<String>,
    pub tax_id: Option<String>,
    pub email: Option<EmailAddress>,
    pub phone: Option<String>,
    pub website: Option<String>,
    /// Free-form postal address, possibly several lines.
    pub address: Option<String>,
    pub default_currency: Currency,
    pub timezone: String,
    pub logo_file_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

impl Organization {
    pub const NAME_MAX: usize = 200;

    /// A new organization at version 1 in UTC; the rest of the profile is filled in later.
    pub fn new(name: String, default_currency: Currency, now: DateTime<Utc>) -> Self {
        Self {
            id: OrganizationId::new(),
            name,
            legal_name: None,
            tax_id: None,
            email: None,
            phone: None,
            website: None,
            address: None,
            default_currency,
            timezone: "UTC".to_string(),
            logo_file_id: None,
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }
}

/// Where a user stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserStatus {
    /// Registered, email not yet confirmed: may not sign in.
    PendingVerification,
    Active,
    /// Created by an admin without a password; activates by setting one with the mailed code.
    Invited,
    /// Switched off by an admin: no sign-in, no refresh, live access tokens rejected.
    Deactivated,
}

impl UserStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::PendingVerification => "pending_verification",
            Self::Active => "active",
            Self::Invited => "invited",
            Self::Deactivated => "deactivated",
        }
    }
}

impl fmt::Display for UserStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for UserStatus {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "pending_verification" => Ok(Self::PendingVerification),
            "active" => Ok(Self::Active),
            "invited" => Ok(Self::Invited),
            "deactivated" => Ok(Self::Deactivated),
            _ => Err(ValueError::new(
                "invalid",
                format!("unknown user status {s}"),
            )),
        }
    }
}

/// A person who signs in. Belongs to exactly one organization.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: UserId,
    pub organization_id: OrganizationId,
    pub name: PersonName,
    pub email: EmailAddress,
    /// `None` for an invited user who has not chosen a password yet. Never serialized, so it
    /// cannot reach a response or an audit entry by accident.
    #[serde(skip)]
    pub password_hash: Option<PasswordHash>,
    pub status: UserStatus,
    pub department_id: Option<DepartmentId>,
    pub designation_id: Option<DesignationId>,
    /// Access tokens issued before this instant are dead (deactivation, password reset).
    pub tokens_valid_after: Option<DateTime<Utc>>,
    /// When the user last signed in (a login, or the email verification that opens a
    /// session); `None` before the first. Stamped without a new `version`: signing in is not
    /// a change of the resource.
    pub last_login_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

impl User {
    /// Whether an access token issued at `issued_at` is still honoured for this user.
    ///
    /// Compared in whole seconds because a JWT `iat` carries no more: a token is dead when its
    /// second is before the stamp's second. The alternative (exact instants) would kill a
    /// token issued in the same second *after* a password reset; the price of this choice is
    /// that a token issued in the same second *before* the stamp survives, which deactivation
    /// does not care about (it also checks the status) and reset tolerates.
    pub fn accepts_token_issued_at(&self, issued_at: DateTime<Utc>) -> bool {
        self.status == UserStatus::Active
            && self
                .tokens_valid_after
                .is_none_or(|t| issued_at.timestamp() >= t.timestamp())
    }

    /// The copy to store after a change at `now`: one version later.
    pub(crate) fn touched(&self, now: DateTime<Utc>) -> Self {
        Self {
            updated_at: now,
            version: self.version + 1,
            ..self.clone()
        }
    }
}

/// A named set of permission codes within one organization.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Role {
    pub id: RoleId,
    pub organization_id: OrganizationId,
    pub name: String,
    pub description: Option<String>,
    /// Codes from [`super::permissions::CATALOGUE`], sorted, without duplicates.
    pub permissions: Vec<String>,
    /// Seeded in every organization; cannot be deleted or renamed.
    pub is_system: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

/// A role as listed on a user (`/auth/me`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RoleSummary {
    pub id: RoleId,
    pub name: String,
}

impl From<&Role> for RoleSummary {
    fn from(r: &Role) -> Self {
        Self {
            id: r.id,
            name: r.name.clone(),
        }
    }
}

/// A unit of the organization chart; departments nest through `parent_id`, without cycles.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Department {
    pub id: DepartmentId,
    pub organization_id: OrganizationId,
    pub name: String,
    /// A short code unique within the organization, e.g. `ENG`.
    pub code: Option<String>,
    pub parent_id: Option<DepartmentId>,
    pub head_user_id: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

/// A job title, optionally tied to a department, with a seniority level.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Designation {
    pub id: DesignationId,
    pub organization_id: OrganizationId,
    pub title: String,
    pub department_id: Option<DepartmentId>,
    pub level: Option<i32>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
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
    use chrono::Duration;

    fn user(status: UserStatus, tva: Option<DateTime<Utc>>) -> User {
        let now = Utc::now();
        User {
            id: UserId::new(),
            organization_id: OrganizationId::new(),
            name: PersonName::parse("Ann").unwrap(),
            email: EmailAddress::parse("ann@x.io").unwrap(),
            password_hash: Some(PasswordHash::new("$argon2id$x")),
            status,
            department_id: None,
            designation_id: None,
            tokens_valid_after: tva,
            last_login_at: None,
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }

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

    #[test]
    fn status_round_trips_in_snake_case() {
        for s in [
            UserStatus::PendingVerification,
            UserStatus::Active,
            UserStatus::Invited,
            UserStatus::Deactivated,
        ] {
            assert_eq!(
                serde_json::to_value(s).unwrap(),
                serde_json::json!(s.as_str())
            );
            assert_eq!(s.as_str().parse::<UserStatus>().unwrap(), s);
        }
        assert!("enabled".parse::<UserStatus>().is_err());
    }

    #[test]
    fn tokens_before_the_stamp_or_of_inactive_users_are_dead() {
        let stamp = DateTime::from_timestamp(1_800_000_000, 500_000_000).unwrap();
        let u = user(UserStatus::Active, Some(stamp));
        assert!(!u.accepts_token_issued_at(stamp - Duration::seconds(1)));
        // Whole seconds, as a JWT `iat` has them: the same second counts as after.
        assert!(u.accepts_token_issued_at(DateTime::from_timestamp(1_800_000_000, 0).unwrap()));
        assert!(u.accepts_token_issued_at(stamp));
        assert!(user(UserStatus::Active, None).accepts_token_issued_at(stamp));
        assert!(!user(UserStatus::Deactivated, None).accepts_token_issued_at(stamp));
    }

    #[test]
    fn user_json_never_contains_the_hash() {
        let v = serde_json::to_value(user(UserStatus::Active, None)).unwrap();
        assert!(v.get("password_hash").is_none());
        assert_eq!(v["status"], "active");
        assert_eq!(v["email"], "ann@x.io");
    }

    #[test]
    fn profile_field_shapes() {
        assert!(timezone("UTC").is_ok());
        assert!(timezone("America/Argentina/Buenos_Aires").is_ok());
        assert!(timezone("Etc/GMT+5").is_ok());
        assert_eq!(timezone(" Europe/Paris ").unwrap(), "Europe/Paris");
        for bad in ["", "utc", "Europe//Paris", "/Europe", "Mars/Olympus Mons"] {
            assert!(timezone(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            website(Some("https://acme.io")).unwrap().as_deref(),
            Some("https://acme.io")
        );
        assert_eq!(website(Some("  ")).unwrap(), None);
        assert!(website(Some("acme.io")).is_err());
        assert!(website(Some("https://")).is_err());
        assert_eq!(
            phone(Some("+1 (555) 010-9999")).unwrap().as_deref(),
            Some("+1 (555) 010-9999")
        );
        assert!(phone(Some("call me")).is_err());
    }

    #[test]
    fn new_organizations_start_in_utc_at_version_1() {
        let o = Organization::new("Acme".into(), Currency::parse("USD").unwrap(), Utc::now());
        assert_eq!(o.default_currency.code(), "USD");
        assert_eq!(o.timezone, "UTC");
        assert_eq!(o.version, 1);
    }
}
