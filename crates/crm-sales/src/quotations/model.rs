use crate::deals::DealId;
use chrono::{DateTime, NaiveDate, Utc};
use crm_domain::clients::ClientId;
use crm_domain::kernel::money::{MoneyError, Quantity, line_amounts};
use crm_domain::{Currency, OrganizationId, UserId};
use serde::{Deserialize, Serialize, Serializer};
use std::fmt;

crm_domain::typed_id!(
    /// A quotation of one organization.
    QuotationId
);

/// Where a quotation stands. `expired` is never chosen: a `sent` quotation whose
/// `valid_until` has passed reads as `expired`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum QuotationStatus {
    Draft,
    Sent,
    Accepted,
    Rejected,
    Expired,
}

impl QuotationStatus {
    pub const ALL: [Self; 5] = [
        Self::Draft,
        Self::Sent,
        Self::Accepted,
        Self::Rejected,
        Self::Expired,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Sent => "sent",
            Self::Accepted => "accepted",
            Self::Rejected => "rejected",
            Self::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

impl fmt::Display for QuotationStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

fn quantity_as_string<S: Serializer>(q: &Quantity, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&q.to_string())
}

/// A quantity as a request sends it: a decimal string (`"1.5"`) or a JSON number (`1.5`),
/// with at most three decimals (checked by [`DecimalInput::quantity`]).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum DecimalInput {
    Text(String),
    Number(serde_json::Number),
}

impl DecimalInput {
    pub fn quantity(&self) -> Result<Quantity, MoneyError> {
        match self {
            Self::Text(s) => Quantity::parse(s),
            // A JSON number prints as its shortest exact decimal form (`1.5`, `0.125`, `3`).
            Self::Number(n) => Quantity::parse(&n.to_string()),
        }
    }
}

impl From<&str> for DecimalInput {
    fn from(s: &str) -> Self {
        Self::Text(s.to_string())
    }
}

/// One priced line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "description": "Support hours",
    "quantity": "10.5",
    "unit_price": 9500,
    "tax_rate": 1800,
    "subtotal": 99750,
    "tax": 17955,
    "total": 117705
})))]
pub struct QuotationItem {
    pub description: String,
    /// A decimal string with at most three decimals (`"1.5"`).
    #[serde(serialize_with = "quantity_as_string")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "1.5"))]
    pub quantity: Quantity,
    /// Minor units per unit.
    pub unit_price: i64,
    /// Basis points (`1800` = 18 %).
    pub tax_rate: i32,
    /// quantity × unit price, rounded half away from zero to the minor unit.
    pub subtotal: i64,
    /// subtotal × tax rate / 10000, rounded half away from zero.
    pub tax: i64,
    /// subtotal + tax.
    pub total: i64,
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
    /// `Q-YYYY-NNNN`, assigned at creation from the issue date's year.
    pub number: String,
    pub issue_date: NaiveDate,
    pub valid_until: NaiveDate,
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "USD"))]
    pub currency: Currency,
    pub items: Vec<QuotationItem>,
    /// Σ line subtotals.
    pub subtotal: i64,
    /// Σ line taxes.
    pub tax_total: i64,
    /// subtotal + tax_total.
    pub total: i64,
    pub status: QuotationStatus,
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
            crm_domain::kernel::openapi::example_of::<QuotationItem>()
        ],
        "subtotal": 349750,
        "tax_total": 62955,
        "total": 412705,
        "status": "draft",
        "created_at": "2026-03-01T09:00:00.000000Z",
        "updated_at": "2026-03-01T09:00:00.000000Z",
        "version": 1
    })
}

impl Quotation {
    /// `Q-2026-0001`: at least four digits, more when needed.
    pub fn format_number(year: i32, n: i64) -> String {
        format!("Q-{year:04}-{n:04}")
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

/// Prices one line with the contract's arithmetic (kernel [`line_amounts`]).
pub fn price_line(
    description: String,
    quantity: Quantity,
    unit_price: i64,
    tax_rate: i32,
) -> Result<QuotationItem, MoneyError> {
    let rate = u32::try_from(tax_rate).map_err(|_| MoneyError::BadRate)?;
    let (subtotal, tax) = line_amounts(quantity, unit_price, rate)?;
    let total = subtotal.checked_add(tax).ok_or(MoneyError::Overflow)?;
    Ok(QuotationItem {
        description,
        quantity,
        unit_price,
        tax_rate,
        subtotal,
        tax,
        total,
    })
}

/// `(subtotal, tax_total, total)`: sums of the lines.
pub fn totals(items: &[QuotationItem]) -> Result<(i64, i64, i64), MoneyError> {
    let mut sub: i64 = 0;
    let mut tax: i64 = 0;
    for i in items {
        sub = sub.checked_add(i.subtotal).ok_or(MoneyError::Overflow)?;
        tax = tax.checked_add(i.tax).ok_or(MoneyError::Overflow)?;
    }
    let total = sub.checked_add(tax).ok_or(MoneyError::Overflow)?;
    Ok((sub, tax, total))
}
