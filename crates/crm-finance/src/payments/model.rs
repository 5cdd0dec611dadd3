use crate::invoices::InvoiceId;
use chrono::{DateTime, NaiveDate, Utc};
use crm_domain::activity::audit::Audited;
use crm_domain::clients::ClientId;
use crm_domain::kernel::pagination::{FieldKind, FieldSpec, ListSpec};
use crm_domain::kernel::rules::nullable;
use crm_domain::{Currency, OrganizationId, UserId};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

crm_domain::typed_id!(
    /// A payment received from a client.
    PaymentId
);
crm_domain::typed_id!(
    /// One allocation of a payment to an invoice.
    AllocationId
);
crm_domain::typed_id!(
    /// One refund of a payment.
    RefundId
);

crm_domain::name_enum!(
    /// How a payment was made.
    PaymentMethod, "method" {
        BankTransfer => "bank_transfer",
        Card => "card",
        Cash => "cash",
        Cheque => "cheque",
        Other => "other",
    }
);

pub(crate) const REFERENCE_MAX: usize = 191;
pub(crate) const NOTES_MAX: usize = 10_000;
/// Most allocations one request may make.
pub const MAX_ALLOCATIONS: usize = 200;

/// Part of a payment applied to an invoice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Allocation {
    pub id: AllocationId,
    pub invoice_id: InvoiceId,
    pub amount: i64,
    pub created_at: DateTime<Utc>,
}

/// Money of a payment given back to the client.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Refund {
    pub id: RefundId,
    pub amount: i64,
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub refunded_on: NaiveDate,
    pub reference: Option<String>,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
}

/// Money received from a client, allocated to its invoices and possibly partly refunded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = payment_example))]
pub struct Payment {
    pub id: PaymentId,
    pub organization_id: OrganizationId,
    pub client_id: ClientId,
    pub amount: i64,
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "USD"))]
    pub currency: Currency,
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub received_on: NaiveDate,
    pub method: PaymentMethod,
    pub reference: Option<String>,
    pub notes: Option<String>,
    /// Oldest first.
    pub allocations: Vec<Allocation>,
    /// Oldest first.
    pub refunds: Vec<Refund>,
    /// Σ allocations.
    pub allocated_amount: i64,
    /// Σ refunds.
    pub refunded_amount: i64,
    /// amount − allocated − refunded: what may still be allocated or refunded.
    pub unapplied_amount: i64,
    pub created_by: UserId,
    /// The record's id in the original Node.js server's database when it came from there
    /// (`crm import legacy`); `null` for records made here. Read-only.
    pub legacy_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

#[cfg(feature = "openapi")]
fn payment_example() -> serde_json::Value {
    serde_json::json!({
        "id": "019cc1a0-3e80-7566-9b19-1bf4d8441b56",
        "organization_id": "019bb138-1000-71a5-8da4-f9fc3c6da5d7",
        "client_id": "019c2304-2480-7896-8534-f45738d048ec",
        "amount": 150000,
        "currency": "USD",
        "received_on": "2026-03-12",
        "method": "bank_transfer",
        "reference": "TRX-88812",
        "notes": null,
        "allocations": [{
            "id": "019cc1a0-3e81-7566-9b19-1bf4d8441b57",
            "invoice_id": "019cb9a0-3e80-7566-9b19-1bf4d8441b56",
            "amount": 117705,
            "created_at": "2026-03-12T10:00:00.000000Z"
        }],
        "refunds": [],
        "allocated_amount": 117705,
        "refunded_amount": 0,
        "unapplied_amount": 32295,
        "created_by": "019bb138-13e8-77a9-a564-12a9b8a1abcd",
        "legacy_id": null,
        "created_at": "2026-03-12T10:00:00.000000Z",
        "updated_at": "2026-03-12T10:00:00.000000Z",
        "version": 1
    })
}

impl Payment {
    /// Sets the sums from the allocations and refunds.
    pub fn summed(mut self) -> Self {
        self.allocated_amount = self.allocations.iter().map(|a| a.amount).sum();
        self.refunded_amount = self.refunds.iter().map(|r| r.amount).sum();
        self.unapplied_amount = self.amount - self.allocated_amount - self.refunded_amount;
        self
    }
}

impl Audited for Payment {
    const ENTITY: &'static str = "payment";
    fn entity_id(&self) -> Uuid {
        self.id.0
    }
}

const PAYMENT_FIELDS: &[FieldSpec] = &[
    FieldSpec::new("created_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("updated_at", FieldKind::Timestamp).sort(),
    FieldSpec::new("received_on", FieldKind::Date)
        .range()
        .sort(),
    FieldSpec::new("amount", FieldKind::Integer).range().sort(),
    FieldSpec::new("unapplied_amount", FieldKind::Integer)
        .range()
        .sort(),
    FieldSpec::new("method", FieldKind::Text)
        .filter()
        .sort()
        .doc("`bank_transfer`, `card`, `cash`, `cheque`, `other`"),
    FieldSpec::new("client_id", FieldKind::Uuid).filter(),
    FieldSpec::new("currency", FieldKind::Text).filter().sort(),
    FieldSpec::new("reference", FieldKind::Text)
        .filter()
        .sort()
        .nullable(),
];

/// `GET /payments`: newest first; filters `client_id`, `currency`, `method`, `reference`;
/// ranges `created_at`, `received_on`, `amount`, `unapplied_amount`; `q` searches the
/// reference.
pub const PAYMENT_LIST_SPEC: ListSpec = ListSpec {
    fields: PAYMENT_FIELDS,
    default_sort: "-created_at",
    searchable: true,
};

/// One allocation of a request.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "invoice_id": "019cb9a0-3e80-7566-9b19-1bf4d8441b56",
    "amount": 117705
})))]
pub struct AllocationInput {
    /// An issued invoice of the payment's client, in its currency.
    pub invoice_id: InvoiceId,
    /// Above 0, at most the invoice's balance due.
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::int_range::<1, { crm_domain::kernel::values::MAX_AMOUNT }>))]
    pub amount: i64,
}

/// `POST /payments`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "client_id": "019c2304-2480-7896-8534-f45738d048ec",
    "amount": 150000,
    "currency": "USD",
    "received_on": "2026-03-12",
    "method": "bank_transfer",
    "reference": "TRX-88812",
    "allocations": []
})))]
pub struct PaymentInput {
    pub client_id: ClientId,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::int_range::<1, { crm_domain::kernel::values::MAX_AMOUNT }>))]
    pub amount: i64,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::currency))]
    pub currency: String,
    /// `YYYY-MM-DD`, today (the organization's) when absent.
    #[cfg_attr(feature = "openapi", schema(format = Date, example = "2026-03-12"))]
    pub received_on: Option<String>,
    pub method: PaymentMethod,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_line::<{ REFERENCE_MAX }>))]
    pub reference: Option<String>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_text::<{ NOTES_MAX }>))]
    pub notes: Option<String>,
    /// Summing to at most `amount`; each to a different invoice.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 200))]
    pub allocations: Vec<AllocationInput>,
}

/// `PATCH /payments/{id}`: its details; the amount, currency and client stay (delete the
/// payment and record it again to change them).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({"reference": "TRX-88812-B", "notes": null})))]
pub struct PaymentPatch {
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub received_on: Option<String>,
    pub method: Option<PaymentMethod>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_line::<{ REFERENCE_MAX }>))]
    pub reference: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_text::<{ NOTES_MAX }>))]
    pub notes: Option<Option<String>>,
}

/// `POST /payments/{id}/refunds`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "amount": 32295,
    "refunded_on": "2026-03-20",
    "reference": "RF-1002"
})))]
pub struct RefundInput {
    /// Above 0, at most the payment's unapplied amount.
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::int_range::<1, { crm_domain::kernel::values::MAX_AMOUNT }>))]
    pub amount: i64,
    /// `YYYY-MM-DD`, today (the organization's) when absent.
    #[cfg_attr(feature = "openapi", schema(format = Date, example = "2026-03-20"))]
    pub refunded_on: Option<String>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_line::<{ REFERENCE_MAX }>))]
    pub reference: Option<String>,
}
