use crate::deals::DealId;
use chrono::{DateTime, Utc};
use crm_domain::clients::ClientId;
use crm_domain::identity::EmailAddress;
use crm_domain::{Currency, FieldError, OrganizationId, UserId};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

crm_domain::typed_id!(
    /// A lead of one organization.
    LeadId
);

/// Where a lead stands. `converted` is reached only through conversion and is final.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LeadStatus {
    New,
    Contacted,
    Qualified,
    Unqualified,
    Converted,
}

impl LeadStatus {
    pub const ALL: [Self; 5] = [
        Self::New,
        Self::Contacted,
        Self::Qualified,
        Self::Unqualified,
        Self::Converted,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Contacted => "contacted",
            Self::Qualified => "qualified",
            Self::Unqualified => "unqualified",
            Self::Converted => "converted",
        }
    }

    /// Open leads are still being worked: their email is unique in the organization.
    pub fn is_open(&self) -> bool {
        !matches!(self, Self::Converted | Self::Unqualified)
    }
}

impl fmt::Display for LeadStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for LeadStatus {
    type Err = FieldError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| {
                FieldError::new(
                    "status",
                    "invalid",
                    "status must be one of new, contacted, qualified, unqualified, converted",
                )
            })
    }
}

/// Someone who might buy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "id": "019c057e-76e0-7f14-b6e2-f24b43000de0",
    "organization_id": "019bb138-1000-71a5-8da4-f9fc3c6da5d7",
    "name": "Jane Prospect",
    "email": "jane@prospect.example",
    "phone": "+1 555 0100",
    "company": "Prospect Ltd",
    "source": "website",
    "status": "qualified",
    "owner_id": "019bb138-13e8-77a9-a564-12a9b8a1abcd",
    "estimated_amount": 1250050,
    "currency": "USD",
    "score": 40,
    "converted_client_id": null,
    "converted_deal_id": null,
    "created_at": "2026-01-28T16:45:00.000000Z",
    "updated_at": "2026-02-02T09:12:44.318000Z",
    "version": 3
})))]
pub struct Lead {
    pub id: LeadId,
    pub organization_id: OrganizationId,
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub email: Option<EmailAddress>,
    pub phone: Option<String>,
    pub company: Option<String>,
    /// Where the lead came from (free text: `website`, `referral`, …).
    pub source: Option<String>,
    pub status: LeadStatus,
    /// Drives the `:own` permission scope.
    pub owner_id: UserId,
    /// Expected value in minor units of `currency`.
    pub estimated_amount: Option<i64>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, example = "USD"))]
    pub currency: Option<Currency>,
    /// 0..=100.
    pub score: Option<i32>,
    /// Set by conversion.
    pub converted_client_id: Option<ClientId>,
    /// Set by a conversion that created a deal.
    pub converted_deal_id: Option<DealId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}
