use crate::common::{optional_text, required_text};
use crate::deals::{Deal, DealId};
use crate::pipelines::PipelineId;
use chrono::{DateTime, Utc};
use crm_domain::clients::{Client, ClientId};
use crm_domain::identity::EmailAddress;
use crm_domain::kernel::pagination::{FieldKind, FieldSpec, ListSpec};
use crm_domain::kernel::rules::nullable;
use crm_domain::kernel::scope::Owned;
use crm_domain::{Currency, OrganizationId, UserId, ValueError};
use serde::{Deserialize, Serialize};

crm_domain::typed_id!(
    /// A lead of one organization.
    LeadId
);

crm_domain::name_enum!(
    /// Where a lead stands. `converted` is reached only through conversion and is final.
    LeadStatus, "status" {
        New => "new",
        Contacted => "contacted",
        Qualified => "qualified",
        Unqualified => "unqualified",
        Converted => "converted",
    }
);

impl LeadStatus {
    /// Open leads are still being worked: their email is unique in the organization.
    pub fn is_open(&self) -> bool {
        !matches!(self, Self::Converted | Self::Unqualified)
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
    "legacy_id": null,
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
    /// The record's id in the original Node.js server's database when it came from there
    /// (`crm import legacy`); `null` for records made here. Read-only.
    pub legacy_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

crm_domain::record!(Lead, LeadId, "lead", scope: Option<UserId>);

impl Owned for Lead {
    fn owner_id(&self) -> UserId {
        self.owner_id
    }
}

const LEAD_FIELDS: &[FieldSpec] = &[
    FieldSpec::new("created_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("updated_at", FieldKind::Timestamp).sort(),
    FieldSpec::new("name", FieldKind::Text).sort(),
    FieldSpec::new("email", FieldKind::Text).sort().nullable(),
    FieldSpec::new("company", FieldKind::Text).sort().nullable(),
    FieldSpec::new("score", FieldKind::Integer)
        .sort()
        .nullable(),
    FieldSpec::new("estimated_amount", FieldKind::Integer)
        .range()
        .sort()
        .nullable(),
    FieldSpec::new("currency", FieldKind::Text)
        .sort()
        .nullable(),
    FieldSpec::new("status", FieldKind::Text)
        .filter()
        .sort()
        .doc("`new`, `contacted`, `qualified`, `unqualified`, `converted`"),
    FieldSpec::new("source", FieldKind::Text)
        .filter()
        .sort()
        .nullable(),
    FieldSpec::new("owner_id", FieldKind::Uuid).filter(),
];

/// `GET /leads`: newest first by default; filters `status`, `source`, `owner_id`; ranges
/// `created_at_from/_to`, `estimated_amount_from/_to`; sorts `created_at`, `updated_at`,
/// `name`, `score`, `estimated_amount` (leads without a score or amount sort as lowest);
/// `q` searches name, email and company.
pub const LEAD_LIST_SPEC: ListSpec = ListSpec {
    fields: LEAD_FIELDS,
    default_sort: "-created_at",
    searchable: true,
};

pub(crate) const NAME_MAX: usize = 200;
pub(crate) const SOURCE_MAX: usize = 100;

pub(crate) fn name(raw: &str) -> Result<String, ValueError> {
    required_text(raw, "name", NAME_MAX)
}

pub(crate) fn company(raw: Option<&str>) -> Result<Option<String>, ValueError> {
    optional_text(raw, "company", NAME_MAX, false)
}

pub(crate) fn source(raw: Option<&str>) -> Result<Option<String>, ValueError> {
    optional_text(raw, "source", SOURCE_MAX, false)
}

/// A status a request may set: any but `converted`, which only conversion sets.
pub(crate) fn status(raw: &str) -> Result<LeadStatus, ValueError> {
    match raw.parse::<LeadStatus>()? {
        LeadStatus::Converted => Err(ValueError::new(
            "not_allowed",
            "a lead becomes converted only through POST /leads/{id}/convert",
        )),
        s => Ok(s),
    }
}

/// `POST /leads`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "name": "Jane Prospect",
    "email": "jane@prospect.example",
    "phone": "+1 555 0100",
    "company": "Prospect Ltd",
    "source": "website",
    "status": "new",
    "estimated_amount": 1250050,
    "currency": "USD",
    "score": 40
})))]
pub struct LeadInput {
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::line::<{ NAME_MAX }>))]
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_email))]
    pub email: Option<String>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_phone))]
    pub phone: Option<String>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_line::<{ NAME_MAX }>))]
    pub company: Option<String>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_line::<{ SOURCE_MAX }>))]
    pub source: Option<String>,
    /// `new` when absent; `converted` only through conversion.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<LeadStatusInput>))]
    pub status: Option<String>,
    /// The caller when absent; another user needs the all-records `leads:write`.
    pub owner_id: Option<UserId>,
    /// Minor units; needs `currency`.
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_int_range::<0, { crate::common::MAX_AMOUNT }>))]
    pub estimated_amount: Option<i64>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::currency_or_null))]
    pub currency: Option<String>,
    /// 0..=100.
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_int_range::<0, 100>))]
    pub score: Option<i32>,
}

/// `PATCH /leads/{id}`: only the fields present change; `null` clears a clearable field.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "status": "qualified",
    "score": 65,
    "phone": null
})))]
pub struct LeadPatch {
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::line_or_null::<{ NAME_MAX }>))]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_email))]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_phone))]
    pub phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_line::<{ NAME_MAX }>))]
    pub company: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_line::<{ SOURCE_MAX }>))]
    pub source: Option<Option<String>>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<LeadStatusInput>))]
    pub status: Option<String>,
    /// Reassigning needs the all-records `leads:write` (`422` on `owner_id` otherwise).
    pub owner_id: Option<UserId>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_int_range::<0, { crate::common::MAX_AMOUNT }>))]
    pub estimated_amount: Option<Option<i64>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::currency_or_null))]
    pub currency: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_int_range::<0, 100>))]
    pub score: Option<Option<i32>>,
}

/// The deal a conversion creates.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "title": "Prospect Ltd: onboarding",
    "amount": 1250050,
    "currency": "USD",
    "pipeline_id": "019bb138-10c8-7d40-8690-5269ed6f0b09"
})))]
pub struct ConvertDealInput {
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::line::<{ NAME_MAX }>))]
    pub title: String,
    /// Minor units of `currency`.
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::int_range::<0, { crate::common::MAX_AMOUNT }>))]
    pub amount: i64,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::currency))]
    pub currency: String,
    /// The default pipeline when absent; the deal starts in the pipeline's first stage.
    pub pipeline_id: Option<PipelineId>,
}

/// `POST /leads/{id}/convert`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "create_deal": {
        "title": "Prospect Ltd: onboarding",
        "amount": 1250050,
        "currency": "USD"
    }
})))]
pub struct ConvertLeadInput {
    /// Links this existing client; without it a client is created from the lead (a company
    /// named after the lead's company, or an individual named after the lead).
    pub client_id: Option<ClientId>,
    pub create_deal: Option<ConvertDealInput>,
}

/// What a conversion answers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LeadConversion {
    pub lead: Lead,
    pub client: Client,
    pub deal: Option<Deal>,
}

/// The statuses a request may set (`converted` comes only from `POST /leads/{id}/convert`);
/// for the OpenAPI document only.
#[cfg(feature = "openapi")]
#[derive(utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum LeadStatusInput {
    New,
    Contacted,
    Qualified,
    Unqualified,
}
