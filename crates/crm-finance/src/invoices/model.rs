use crate::balance::{Balance, PaymentStatus};
use chrono::{DateTime, NaiveDate, Utc};
use crm_domain::activity::audit::Audited;
use crm_domain::clients::ClientId;
use crm_domain::kernel::lines::{LineItem, LineItemInput};
use crm_domain::kernel::pagination::{FieldKind, FieldSpec, ListSpec};
use crm_domain::kernel::rules::nullable;
use crm_domain::{Currency, OrganizationId, UserId};
use crm_sales::deals::DealId;
use crm_sales::quotations::QuotationId;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

crm_domain::typed_id!(
    /// An invoice of one organization.
    InvoiceId
);

crm_domain::name_enum!(
    /// An invoice's lifecycle, kept apart from its payment state.
    InvoiceStatus, "status" {
        Draft => "draft",
        Issued => "issued",
        Void => "void",
    }
);

/// The counter of invoice numbers.
pub const INVOICE_COUNTER: &str = "invoice";
/// `payment_terms_days` when a request names none.
pub const DEFAULT_TERMS_DAYS: i32 = 30;
/// Longest payment terms accepted, in days.
pub const MAX_TERMS_DAYS: i32 = 3650;
pub(crate) const NOTES_MAX: usize = 10_000;
pub(crate) const REASON_MAX: usize = 1000;

/// An invoice: its lines and totals, its lifecycle, and its payment state derived from the
/// allocations and credit notes written against it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = invoice_example))]
pub struct Invoice {
    pub id: InvoiceId,
    pub organization_id: OrganizationId,
    pub client_id: ClientId,
    pub deal_id: Option<DealId>,
    pub project_id: Option<Uuid>,
    /// Set when the invoice was made from a quotation (read-only).
    pub quotation_id: Option<QuotationId>,
    /// Set on invoices a recurring template made, with the period they bill.
    pub recurring_invoice_id: Option<Uuid>,
    pub period_start: Option<NaiveDate>,
    /// `INV-YYYY-NNNN`, assigned when issued (gap-free per organization and year of the
    /// issue date); `null` while draft.
    pub number: Option<String>,
    pub status: InvoiceStatus,
    /// Derived from allocations and credit notes.
    pub payment_status: PaymentStatus,
    /// Derived: issued, a balance due above 0, and the due date before today in the
    /// organization's time zone.
    pub is_overdue: bool,
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub issue_date: Option<NaiveDate>,
    pub payment_terms_days: i32,
    /// `issue_date + payment_terms_days` unless set.
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub due_date: Option<NaiveDate>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "USD"))]
    pub currency: Currency,
    pub items: Vec<LineItem>,
    /// Σ line subtotals.
    pub subtotal: i64,
    /// Σ line taxes.
    pub tax_total: i64,
    /// subtotal + tax_total.
    pub total: i64,
    /// Σ allocations of payments to this invoice.
    pub amount_paid: i64,
    /// Σ credit notes against this invoice.
    pub amount_credited: i64,
    /// total − amount_paid − amount_credited.
    pub balance_due: i64,
    pub notes: Option<String>,
    pub terms: Option<String>,
    pub issued_at: Option<DateTime<Utc>>,
    pub sent_at: Option<DateTime<Utc>>,
    pub void_reason: Option<String>,
    /// Who made the invoice.
    pub created_by: UserId,
    /// The record's id in the original Node.js server's database when it came from there
    /// (`crm import legacy`); `null` for records made here. Read-only.
    pub legacy_id: Option<String>,
    /// The invoice's number in the original Node.js server (`INV#12`) when it came from
    /// there; such invoices keep `number: null` (read-only).
    pub legacy_number: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

#[cfg(feature = "openapi")]
fn invoice_example() -> serde_json::Value {
    serde_json::json!({
        "id": "019cb9a0-3e80-7566-9b19-1bf4d8441b56",
        "organization_id": "019bb138-1000-71a5-8da4-f9fc3c6da5d7",
        "client_id": "019c2304-2480-7896-8534-f45738d048ec",
        "deal_id": null,
        "project_id": null,
        "quotation_id": null,
        "recurring_invoice_id": null,
        "period_start": null,
        "number": "INV-2026-0042",
        "status": "issued",
        "payment_status": "partially_paid",
        "is_overdue": false,
        "issue_date": "2026-03-01",
        "payment_terms_days": 30,
        "due_date": "2026-03-31",
        "currency": "USD",
        "items": [crm_domain::kernel::openapi::example_of::<LineItem>()],
        "subtotal": 99750,
        "tax_total": 17955,
        "total": 117705,
        "amount_paid": 50000,
        "amount_credited": 0,
        "balance_due": 67705,
        "notes": "Thank you for your business.",
        "terms": "Payment by bank transfer.",
        "issued_at": "2026-03-01T09:00:00.000000Z",
        "sent_at": null,
        "void_reason": null,
        "created_by": "019bb138-13e8-77a9-a564-12a9b8a1abcd",
        "legacy_id": null,
        "legacy_number": null,
        "created_at": "2026-02-27T09:00:00.000000Z",
        "updated_at": "2026-03-05T09:00:00.000000Z",
        "version": 4
    })
}

/// What every new draft is made of; the rest starts empty.
pub struct NewDraft {
    pub organization_id: OrganizationId,
    pub client_id: ClientId,
    pub currency: Currency,
    pub items: Vec<LineItem>,
    /// `(subtotal, tax_total, total)` of `items`.
    pub totals: (i64, i64, i64),
    pub payment_terms_days: i32,
    pub created_by: UserId,
    pub now: DateTime<Utc>,
}

impl Invoice {
    /// The number printed on the document and its mail: this server's, or for an invoice
    /// imported from the Node.js server (issued there, `number: null` here) its old one, so
    /// a historic invoice never prints as a draft.
    pub fn printed_number(&self) -> Option<String> {
        self.number.clone().or_else(|| self.legacy_number.clone())
    }

    /// A new draft: no number, nothing paid, version 1.
    pub fn draft(d: NewDraft) -> Self {
        let (subtotal, tax_total, total) = d.totals;
        Invoice {
            id: InvoiceId::new(),
            organization_id: d.organization_id,
            client_id: d.client_id,
            deal_id: None,
            project_id: None,
            quotation_id: None,
            recurring_invoice_id: None,
            period_start: None,
            number: None,
            status: InvoiceStatus::Draft,
            payment_status: PaymentStatus::Unpaid,
            is_overdue: false,
            issue_date: None,
            payment_terms_days: d.payment_terms_days,
            due_date: None,
            currency: d.currency,
            items: d.items,
            subtotal,
            tax_total,
            total,
            amount_paid: 0,
            amount_credited: 0,
            balance_due: total,
            notes: None,
            terms: None,
            issued_at: None,
            sent_at: None,
            void_reason: None,
            created_by: d.created_by,
            legacy_id: None,
            legacy_number: None,
            created_at: d.now,
            updated_at: d.now,
            version: 1,
        }
    }

    /// `INV-2026-0001`.
    pub fn format_number(year: i32, n: i64) -> String {
        crm_domain::kernel::numbering::format_number("INV", year, n)
    }

    pub fn balance(&self) -> Balance {
        Balance {
            total: self.total,
            paid: self.amount_paid,
            credited: self.amount_credited,
        }
    }

    /// Sets `amount_paid` and `amount_credited`, and what follows from them.
    pub fn with_balance(mut self, paid: i64, credited: i64) -> Self {
        self.amount_paid = paid;
        self.amount_credited = credited;
        let b = self.balance();
        self.balance_due = b.due();
        // A draft owes nothing yet: unpaid until issued, whatever its total.
        self.payment_status = if self.status == InvoiceStatus::Draft {
            PaymentStatus::Unpaid
        } else {
            b.status()
        };
        self
    }

    /// The invoice as it reads on `today` (the organization's date): `is_overdue` set.
    pub fn as_of(mut self, today: NaiveDate) -> Self {
        self.is_overdue = self.due_date.is_some_and(|d| {
            self.balance()
                .is_overdue(self.status == InvoiceStatus::Issued, d, today)
        });
        self
    }
}

impl Audited for Invoice {
    const ENTITY: &'static str = "invoice";
    fn entity_id(&self) -> Uuid {
        self.id.0
    }
}

const INVOICE_FIELDS: &[FieldSpec] = &[
    FieldSpec::new("created_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("updated_at", FieldKind::Timestamp).sort(),
    FieldSpec::new("number", FieldKind::Text).sort().nullable(),
    FieldSpec::new("issue_date", FieldKind::Date)
        .range()
        .sort()
        .nullable(),
    FieldSpec::new("due_date", FieldKind::Date)
        .range()
        .sort()
        .nullable(),
    FieldSpec::new("total", FieldKind::Integer).range().sort(),
    FieldSpec::new("balance_due", FieldKind::Integer)
        .range()
        .sort(),
    FieldSpec::new("status", FieldKind::Text)
        .filter()
        .sort()
        .doc("`draft`, `issued`, `void`"),
    FieldSpec::new("payment_status", FieldKind::Text)
        .filter()
        .sort()
        .doc("`unpaid`, `partially_paid`, `paid`"),
    // As read on the organization's today: issued, balance due above 0, due before today.
    FieldSpec::new("is_overdue", FieldKind::Bool).filter(),
    FieldSpec::new("client_id", FieldKind::Uuid).filter(),
    FieldSpec::new("project_id", FieldKind::Uuid).filter(),
    FieldSpec::new("deal_id", FieldKind::Uuid).filter(),
    FieldSpec::new("quotation_id", FieldKind::Uuid).filter(),
    FieldSpec::new("recurring_invoice_id", FieldKind::Uuid).filter(),
    FieldSpec::new("currency", FieldKind::Text).filter().sort(),
];

/// `GET /invoices`: newest first by default; filters `status`, `payment_status`,
/// `is_overdue`, `client_id`, `project_id`, `deal_id`, `quotation_id`,
/// `recurring_invoice_id`, `currency`; ranges `created_at`, `issue_date`, `due_date`,
/// `total`, `balance_due`; `q` searches the number.
pub const INVOICE_LIST_SPEC: ListSpec = ListSpec {
    fields: INVOICE_FIELDS,
    default_sort: "-created_at",
    searchable: true,
};

/// `POST /invoices`: a draft. `number`, `status`, the totals and the payment state are
/// assigned, never sent.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "client_id": "019c2304-2480-7896-8534-f45738d048ec",
    "issue_date": "2026-03-01",
    "payment_terms_days": 30,
    "currency": "USD",
    "items": [
        {
            "description": "Support hours",
            "quantity": "10.5",
            "unit_price": 9500,
            "tax_rate": 1800
        }
    ],
    "notes": "Thank you for your business."
})))]
pub struct InvoiceInput {
    pub client_id: ClientId,
    /// A deal of the same client.
    pub deal_id: Option<DealId>,
    pub project_id: Option<Uuid>,
    /// `YYYY-MM-DD`; set to the day of issue when absent.
    #[cfg_attr(feature = "openapi", schema(format = Date, example = "2026-03-01"))]
    pub issue_date: Option<String>,
    /// 0..=3650, 30 when absent.
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 3650))]
    pub payment_terms_days: Option<i64>,
    /// `YYYY-MM-DD`, not before the issue date; `issue_date + payment_terms_days` when absent.
    #[cfg_attr(feature = "openapi", schema(format = Date, example = "2026-03-31"))]
    pub due_date: Option<String>,
    /// The organization's default currency when absent.
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::currency_or_null))]
    pub currency: Option<String>,
    /// At most 200 lines; a draft may have none, issuing needs one.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 200))]
    pub items: Vec<LineItemInput>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_text::<{ NOTES_MAX }>))]
    pub notes: Option<String>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_text::<{ NOTES_MAX }>))]
    pub terms: Option<String>,
}

/// `PATCH /invoices/{id}` (drafts only): only the fields present change; `items` replaces
/// every line; `null` clears what may be empty.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "due_date": "2026-04-15",
    "notes": null
})))]
pub struct InvoicePatch {
    pub client_id: Option<ClientId>,
    #[serde(default, deserialize_with = "nullable")]
    pub deal_id: Option<Option<DealId>>,
    #[serde(default, deserialize_with = "nullable")]
    pub project_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub issue_date: Option<Option<String>>,
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 3650))]
    pub payment_terms_days: Option<i64>,
    /// `null` goes back to `issue_date + payment_terms_days`.
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub due_date: Option<Option<String>>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::currency_or_null))]
    pub currency: Option<String>,
    #[cfg_attr(feature = "openapi", schema(max_items = 200))]
    pub items: Option<Vec<LineItemInput>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_text::<{ NOTES_MAX }>))]
    pub notes: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_text::<{ NOTES_MAX }>))]
    pub terms: Option<Option<String>>,
}

/// `POST /invoices/{id}/void`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({"reason": "Billed twice"})))]
pub struct VoidInput {
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::text::<{ REASON_MAX }>))]
    pub reason: String,
}

/// `POST /invoices/{id}/send` (the body may be left out).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({"to": "accounts@globex.example"})))]
pub struct SendInput {
    /// The recipient; the client's email when absent.
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_email))]
    pub to: Option<String>,
}
