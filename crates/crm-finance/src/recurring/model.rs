use crate::schedule::{Frequency, Schedule};
use chrono::{DateTime, NaiveDate, Utc};
use crm_domain::activity::audit::Audited;
use crm_domain::clients::ClientId;
use crm_domain::kernel::lines::{LineItem, LineItemInput};
use crm_domain::kernel::pagination::{FieldKind, FieldSpec, ListSpec};
use crm_domain::kernel::rules::nullable;
use crm_domain::{Currency, OrganizationId, UserId};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

crm_domain::typed_id!(
    /// A recurring invoice template of one organization.
    RecurringInvoiceId
);

crm_domain::name_enum!(
    /// Whether a template still makes invoices.
    RecurringStatus, "status" {
        Active => "active",
        Paused => "paused",
        Completed => "completed",
    }
);

/// Most steps between occurrences (`interval`).
pub const MAX_INTERVAL: i64 = 120;
/// Most occurrences a template may be limited to.
pub const MAX_OCCURRENCES: i64 = 10_000;
pub(crate) const NOTES_MAX: usize = 10_000;

/// A template that makes one invoice per due date: every `interval` × `frequency` from
/// `start_date`, until `end_date` or `max_occurrences`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = recurring_example))]
pub struct RecurringInvoice {
    pub id: RecurringInvoiceId,
    pub organization_id: OrganizationId,
    pub client_id: ClientId,
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "USD"))]
    pub currency: Currency,
    pub items: Vec<LineItem>,
    pub subtotal: i64,
    pub tax_total: i64,
    pub total: i64,
    pub payment_terms_days: i32,
    pub frequency: Frequency,
    pub interval: i32,
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub start_date: NaiveDate,
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub end_date: Option<NaiveDate>,
    pub max_occurrences: Option<i32>,
    /// Issue each invoice as it is made (else it stays a draft).
    pub auto_issue: bool,
    /// Mail each issued invoice, its PDF attached, to the client's email address, in the
    /// transaction that makes it (a client without an address: made and issued, not sent).
    /// Needs `auto_issue`: a draft is never sent.
    pub auto_send: bool,
    pub status: RecurringStatus,
    /// The date of the next invoice; `null` once completed.
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub next_issue_date: Option<NaiveDate>,
    /// Invoices made so far (periods skipped while paused count as done).
    pub occurrences_done: i32,
    pub notes: Option<String>,
    pub terms: Option<String>,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

#[cfg(feature = "openapi")]
fn recurring_example() -> serde_json::Value {
    serde_json::json!({
        "id": "019cc2a0-3e80-7566-9b19-1bf4d8441b56",
        "organization_id": "019bb138-1000-71a5-8da4-f9fc3c6da5d7",
        "client_id": "019c2304-2480-7896-8534-f45738d048ec",
        "currency": "USD",
        "items": [crm_domain::kernel::openapi::example_of::<LineItem>()],
        "subtotal": 99750,
        "tax_total": 17955,
        "total": 117705,
        "payment_terms_days": 14,
        "frequency": "monthly",
        "interval": 1,
        "start_date": "2026-01-31",
        "end_date": null,
        "max_occurrences": 12,
        "auto_issue": true,
        "auto_send": false,
        "status": "active",
        "next_issue_date": "2026-03-31",
        "occurrences_done": 2,
        "notes": null,
        "terms": null,
        "created_by": "019bb138-13e8-77a9-a564-12a9b8a1abcd",
        "created_at": "2026-01-20T09:00:00.000000Z",
        "updated_at": "2026-02-28T00:01:00.000000Z",
        "version": 3
    })
}

impl RecurringInvoice {
    pub fn schedule(&self) -> Schedule {
        Schedule {
            start: self.start_date,
            frequency: self.frequency,
            interval: u32::try_from(self.interval).unwrap_or(1).max(1),
            end: self.end_date,
            max_occurrences: self.max_occurrences.map(|m| u32::try_from(m).unwrap_or(0)),
        }
    }

    /// `next_issue_date` and `status` as `occurrences_done` and the schedule say (a paused
    /// template stays paused).
    pub fn rescheduled(mut self) -> Self {
        let done = u32::try_from(self.occurrences_done).unwrap_or(0);
        self.next_issue_date = self.schedule().next(done);
        if self.next_issue_date.is_none() {
            self.status = RecurringStatus::Completed;
        } else if self.status == RecurringStatus::Completed {
            self.status = RecurringStatus::Active;
        }
        self
    }
}

impl Audited for RecurringInvoice {
    const ENTITY: &'static str = "recurring_invoice";
    fn entity_id(&self) -> Uuid {
        self.id.0
    }
}

const RECURRING_FIELDS: &[FieldSpec] = &[
    FieldSpec::new("created_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("updated_at", FieldKind::Timestamp).sort(),
    FieldSpec::new("next_issue_date", FieldKind::Date)
        .range()
        .sort()
        .nullable(),
    FieldSpec::new("start_date", FieldKind::Date).range().sort(),
    FieldSpec::new("total", FieldKind::Integer).range().sort(),
    FieldSpec::new("status", FieldKind::Text)
        .filter()
        .sort()
        .doc("`active`, `paused`, `completed`"),
    FieldSpec::new("frequency", FieldKind::Text)
        .filter()
        .sort()
        .doc("`weekly`, `monthly`, `quarterly`, `yearly`"),
    FieldSpec::new("client_id", FieldKind::Uuid).filter(),
    FieldSpec::new("currency", FieldKind::Text).filter().sort(),
];

/// `GET /recurring-invoices`: newest first; filters `status`, `frequency`, `client_id`,
/// `currency`; ranges `created_at`, `next_issue_date`, `start_date`, `total`.
pub const RECURRING_LIST_SPEC: ListSpec = ListSpec {
    fields: RECURRING_FIELDS,
    default_sort: "-created_at",
    searchable: false,
};

/// `POST /recurring-invoices`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "client_id": "019c2304-2480-7896-8534-f45738d048ec",
    "currency": "USD",
    "items": [{"description": "Monthly retainer", "quantity": 1, "unit_price": 250000, "tax_rate": 1800}],
    "payment_terms_days": 14,
    "frequency": "monthly",
    "interval": 1,
    "start_date": "2026-01-31",
    "max_occurrences": 12
})))]
pub struct RecurringInvoiceInput {
    pub client_id: ClientId,
    /// The organization's default currency when absent.
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::currency_or_null))]
    pub currency: Option<String>,
    /// At least one line.
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 200))]
    pub items: Vec<LineItemInput>,
    /// 0..=3650, 30 when absent.
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 3650))]
    pub payment_terms_days: Option<i64>,
    pub frequency: Frequency,
    /// 1..=120, 1 when absent.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 120))]
    pub interval: Option<i64>,
    /// `YYYY-MM-DD`: the first invoice's date; today (the organization's) when absent.
    #[cfg_attr(feature = "openapi", schema(format = Date, example = "2026-01-31"))]
    pub start_date: Option<String>,
    /// `YYYY-MM-DD`, not before the start: no invoice after it.
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub end_date: Option<String>,
    /// 1..=10000: at most this many invoices.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 10000))]
    pub max_occurrences: Option<i64>,
    /// true when absent.
    pub auto_issue: Option<bool>,
    /// false when absent. With `auto_issue`, each invoice is mailed to the client as it is
    /// made.
    pub auto_send: Option<bool>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_text::<{ NOTES_MAX }>))]
    pub notes: Option<String>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_text::<{ NOTES_MAX }>))]
    pub terms: Option<String>,
}

/// `PATCH /recurring-invoices/{id}`: only the fields present change. The schedule
/// (`start_date`, `frequency`, `interval`) changes only before the first invoice (`409`
/// after); lines, terms and limits change what the next invoices carry.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({"max_occurrences": 24, "notes": null})))]
pub struct RecurringInvoicePatch {
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::currency_or_null))]
    pub currency: Option<String>,
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 200))]
    pub items: Option<Vec<LineItemInput>>,
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 3650))]
    pub payment_terms_days: Option<i64>,
    pub frequency: Option<Frequency>,
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 120))]
    pub interval: Option<i64>,
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub start_date: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub end_date: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>, minimum = 1, maximum = 10000))]
    pub max_occurrences: Option<Option<i64>>,
    pub auto_issue: Option<bool>,
    pub auto_send: Option<bool>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_text::<{ NOTES_MAX }>))]
    pub notes: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_text::<{ NOTES_MAX }>))]
    pub terms: Option<Option<String>>,
}
