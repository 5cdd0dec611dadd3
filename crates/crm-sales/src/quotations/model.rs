use crate::deals::DealId;
use chrono::{DateTime, NaiveDate, Utc};
use crm_domain::activity::audit::Audited;
use crm_domain::clients::ClientId;
use crm_domain::kernel::lines::{LineItem, LineItemInput};
use crm_domain::kernel::pagination::{FieldKind, FieldSpec, ListSpec};
use crm_domain::kernel::rules::nullable;
use crm_domain::kernel::scope::Owned;
use crm_domain::{Currency, OrganizationId, UserId};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

crm_domain::typed_id!(
    /// A quotation of one organization.
    QuotationId
);

crm_domain::name_enum!(
    /// Where a quotation stands. `expired` is never chosen: a `sent` quotation whose
    /// `valid_until` has passed reads as `expired`.
    QuotationStatus, "status" {
        Draft => "draft",
        Sent => "sent",
        Accepted => "accepted",
        Rejected => "rejected",
        Expired => "expired",
    }
);

/// In declaration order (a summary lists its counts by status in it).
impl Ord for QuotationStatus {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (*self as u8).cmp(&(*other as u8))
    }
}

impl PartialOrd for QuotationStatus {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// A priced offer to a client.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = quotation_example))]
pub struct Quotation {
    pub id: QuotationId,
    pub organization_id: OrganizationId,
    pub client_id: ClientId,
    pub deal_id: Option<DealId>,
    /// Drives the `:own` permission scope.
    pub owner_id: UserId,
    /// `Q-YYYY-NNNN`, assigned at creation from the issue date's year. A quotation imported
    /// from the original Node.js server keeps its old number (`QUO#12`) and takes none of
    /// the series.
    pub number: String,
    pub issue_date: NaiveDate,
    pub valid_until: NaiveDate,
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "USD"))]
    pub currency: Currency,
    pub items: Vec<LineItem>,
    /// Σ line subtotals.
    pub subtotal: i64,
    /// Σ line taxes.
    pub tax_total: i64,
    /// subtotal + tax_total.
    pub total: i64,
    pub status: QuotationStatus,
    /// The record's id in the original Node.js server's database when it came from there
    /// (`crm import legacy`); `null` for records made here. Read-only.
    pub legacy_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

/// The quotation's example reuses the line's as its second line.
#[cfg(feature = "openapi")]
fn quotation_example() -> serde_json::Value {
    serde_json::json!({
        "id": "019ca8a0-3e80-7566-9b19-1bf4d8441b56",
        "organization_id": "019bb138-1000-71a5-8da4-f9fc3c6da5d7",
        "client_id": "019c2304-2480-7896-8534-f45738d048ec",
        "deal_id": "019c2d75-7b80-7bb7-9e08-caa1a0817910",
        "owner_id": "019bb138-13e8-77a9-a564-12a9b8a1abcd",
        "number": "Q-2026-0042",
        "issue_date": "2026-03-01",
        "valid_until": "2026-03-31",
        "currency": "USD",
        "items": [
            {
                "description": "Implementation workshop",
                "quantity": "2",
                "unit_price": 125000,
                "tax_rate": 1800,
                "subtotal": 250000,
                "tax": 45000,
                "total": 295000
            },
            crm_domain::kernel::openapi::example_of::<LineItem>()
        ],
        "subtotal": 349750,
        "tax_total": 62955,
        "total": 412705,
        "status": "draft",
        "legacy_id": null,
        "created_at": "2026-03-01T09:00:00.000000Z",
        "updated_at": "2026-03-01T09:00:00.000000Z",
        "version": 1
    })
}

impl Quotation {
    /// `Q-2026-0001`: at least four digits, more when needed.
    pub fn format_number(year: i32, n: i64) -> String {
        crm_domain::kernel::numbering::format_number("Q", year, n)
    }

    /// The status as of `today`: a sent quotation past its `valid_until` is expired.
    pub fn status_on(&self, today: NaiveDate) -> QuotationStatus {
        if self.status == QuotationStatus::Sent && today > self.valid_until {
            QuotationStatus::Expired
        } else {
            self.status
        }
    }

    /// The quotation as it reads on `today`.
    pub fn as_of(mut self, today: NaiveDate) -> Self {
        self.status = self.status_on(today);
        self
    }
}

impl Audited for Quotation {
    const ENTITY: &'static str = "quotation";
    fn entity_id(&self) -> Uuid {
        self.id.0
    }
}

impl Owned for Quotation {
    fn owner_id(&self) -> UserId {
        self.owner_id
    }
}

const QUOTATION_FIELDS: &[FieldSpec] = &[
    FieldSpec::new("created_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("updated_at", FieldKind::Timestamp).sort(),
    FieldSpec::new("number", FieldKind::Text).sort(),
    FieldSpec::new("issue_date", FieldKind::Date).range().sort(),
    FieldSpec::new("valid_until", FieldKind::Date)
        .range()
        .sort(),
    FieldSpec::new("subtotal", FieldKind::Integer).sort(),
    FieldSpec::new("total", FieldKind::Integer).range().sort(),
    // As read: a sent quotation past `valid_until` filters and sorts as `expired`.
    FieldSpec::new("status", FieldKind::Text)
        .filter()
        .sort()
        .doc("`draft`, `sent`, `accepted`, `rejected`, `expired`"),
    FieldSpec::new("client_id", FieldKind::Uuid).filter(),
    FieldSpec::new("deal_id", FieldKind::Uuid).filter(),
    FieldSpec::new("owner_id", FieldKind::Uuid).filter(),
    FieldSpec::new("currency", FieldKind::Text).filter().sort(),
];

/// `GET /quotations`: newest first by default; filters `status` (as read: `expired` finds
/// sent quotations past `valid_until`), `client_id`, `deal_id`, `owner_id`, `currency`;
/// ranges `created_at`, `issue_date`, `valid_until`, `total`; sorts `created_at`,
/// `updated_at`, `number`, `issue_date`, `valid_until`, `total`; `q` searches the number.
pub const QUOTATION_LIST_SPEC: ListSpec = ListSpec {
    fields: QUOTATION_FIELDS,
    default_sort: "-created_at",
    searchable: true,
};

/// `valid_until` when a request names none: this many days after the issue date.
/// The counter of quotation numbers.
pub const QUOTATION_COUNTER: &str = "quotation";

pub(crate) const DEFAULT_VALIDITY_DAYS: i64 = 30;

/// `POST /quotations`. `number`, `status` and the totals are assigned, never sent.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "client_id": "019c2304-2480-7896-8534-f45738d048ec",
    "deal_id": "019c2d75-7b80-7bb7-9e08-caa1a0817910",
    "issue_date": "2026-03-01",
    "valid_until": "2026-03-31",
    "currency": "USD",
    "items": [
        {
            "description": "Implementation workshop",
            "quantity": "2",
            "unit_price": 125000,
            "tax_rate": 1800
        },
        {
            "description": "Support hours",
            "quantity": "10.5",
            "unit_price": 9500,
            "tax_rate": 1800
        }
    ]
})))]
pub struct QuotationInput {
    pub client_id: ClientId,
    /// A deal of the same client.
    pub deal_id: Option<DealId>,
    /// `YYYY-MM-DD`; today when absent. Its year is the number's year.
    #[cfg_attr(feature = "openapi", schema(format = Date, example = "2026-03-01"))]
    pub issue_date: Option<String>,
    /// `YYYY-MM-DD`, not before the issue date; 30 days after it when absent.
    #[cfg_attr(feature = "openapi", schema(format = Date, example = "2026-03-31"))]
    pub valid_until: Option<String>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::currency))]
    pub currency: String,
    /// At least one line, at most 200 (`MAX_ITEMS`).
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 200))]
    pub items: Vec<LineItemInput>,
    /// The caller when absent; another user needs the all-records `quotations:write`.
    pub owner_id: Option<UserId>,
}

/// `PATCH /quotations/{id}` (drafts only): only the fields present change; `items` replaces
/// every line.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "valid_until": "2026-04-15",
    "items": [
        {
            "description": "Implementation workshop",
            "quantity": "2",
            "unit_price": 125000,
            "tax_rate": 1800
        },
        {
            "description": "Support hours",
            "quantity": "12",
            "unit_price": 9500,
            "tax_rate": 1800
        }
    ]
})))]
pub struct QuotationPatch {
    pub client_id: Option<ClientId>,
    #[serde(default, deserialize_with = "nullable")]
    pub deal_id: Option<Option<DealId>>,
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub issue_date: Option<String>,
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub valid_until: Option<String>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::currency_or_null))]
    pub currency: Option<String>,
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 200))]
    pub items: Option<Vec<LineItemInput>>,
    /// Reassigning needs the all-records `quotations:write` (`422` on `owner_id` otherwise).
    pub owner_id: Option<UserId>,
}
