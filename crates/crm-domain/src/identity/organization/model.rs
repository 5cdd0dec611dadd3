//! The organization and its profile fields.

use crate::activity::audit::Audited;
use crate::identity::email::EmailAddress;
use crate::identity::model::ValueError;
use crate::kernel::ids::OrganizationId;
use crate::kernel::money::Currency;
use crate::kernel::rules::nullable;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

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
    /// The record's id in the original Node.js server's database when it came from there
    /// (`crm import legacy`); `null` for records made here. Read-only.
    pub legacy_id: Option<String>,
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
            legacy_id: None,
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }
}

impl Audited for Organization {
    const ENTITY: &'static str = "organization";
    fn entity_id(&self) -> Uuid {
        self.id.0
    }
}

/// The fields to change; absent fields stay as they are. Nullable fields are
/// `Some(None)` when the client sent `null`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "legal_name": "Acme Trading LLC",
    "tax_id": "US-47-1234567",
    "website": "https://acme.example",
    "default_currency": "USD",
    "timezone": "America/New_York"
})))]
pub struct OrganizationPatch {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::line_or_null::<200>))]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::opt_text::<200>))]
    pub legal_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::opt_text::<100>))]
    pub tax_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::opt_email))]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::opt_phone))]
    pub phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::opt_website))]
    pub website: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::opt_text::<1000>))]
    pub address: Option<Option<String>>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::currency_or_null))]
    pub default_currency: Option<String>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::timezone_or_null))]
    pub timezone: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub logo_file_id: Option<Option<Uuid>>,
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

/// An optional contact address: blank is `None`.
pub(crate) fn optional_email(raw: Option<&str>) -> Result<Option<EmailAddress>, ValueError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        Some(raw) => EmailAddress::parse(raw).map(Some),
        None => Ok(None),
    }
}

/// A currency code of the profile.
pub(crate) fn currency(raw: &str) -> Result<Currency, ValueError> {
    Currency::parse(raw).map_err(|e| ValueError::new("invalid", e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::model::{phone, website};

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
