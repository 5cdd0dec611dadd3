use chrono::{DateTime, NaiveDate, Utc};
use crm_domain::clients::ClientId;
use crm_domain::files::FileId;
use crm_domain::kernel::pagination::{FieldKind, FieldSpec, ListSpec};
use crm_domain::kernel::rules::nullable;
use crm_domain::kernel::scope::Owned;
use crm_domain::{Currency, OrganizationId, UserId};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

crm_domain::typed_id!(
    /// An expense a member of an organization paid and claims back.
    ExpenseId
);

crm_domain::name_enum!(
    /// An expense's way from its draft to the money paid back: `draft → submitted →
    /// approved → reimbursed`, or `submitted → rejected`.
    ExpenseStatus, "status" {
        Draft => "draft",
        Submitted => "submitted",
        Approved => "approved",
        Rejected => "rejected",
        Reimbursed => "reimbursed",
    }
);

pub(crate) const DESCRIPTION_MAX: usize = 1000;
pub(crate) const CATEGORY_MAX: usize = 100;
/// 191, not 200: the column is indexed for sorting, and a utf8mb4 key of at most 191
/// characters fits MySQL's 767-byte limit on older row formats (as payment references).
pub(crate) const MERCHANT_MAX: usize = 191;
pub(crate) const REASON_MAX: usize = 1000;

/// An expense: what was paid, by whom, and where its claim stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = expense_example))]
pub struct Expense {
    pub id: ExpenseId,
    pub organization_id: OrganizationId,
    pub description: String,
    /// Free text (`travel`, `meals`, …).
    pub category: String,
    /// Minor units of `currency`, above 0.
    pub amount: i64,
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "USD"))]
    pub currency: Currency,
    /// The day it was paid (any date, past or future).
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub incurred_on: NaiveDate,
    pub merchant: Option<String>,
    pub project_id: Option<Uuid>,
    pub client_id: Option<ClientId>,
    /// To be billed on to the client.
    pub billable: bool,
    /// A file of the organization: the receipt.
    pub receipt_file_id: Option<FileId>,
    /// Who claims it: the user who created it (read-only).
    pub submitted_by: UserId,
    pub status: ExpenseStatus,
    /// What was approved (at most `amount`); `null` until approved.
    pub approved_amount: Option<i64>,
    /// Who approved or rejected it, and when.
    pub decided_by: Option<UserId>,
    pub decided_at: Option<DateTime<Utc>>,
    pub rejection_reason: Option<String>,
    pub reimbursed_at: Option<DateTime<Utc>>,
    /// Read-only: the invoice that bills it to the client (project invoicing); cleared when
    /// that draft is deleted.
    pub invoice_id: Option<Uuid>,
    /// The record's id in the original Node.js server's database when it came from there
    /// (`crm import legacy`); `null` for records made here. Read-only.
    pub legacy_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

#[cfg(feature = "openapi")]
fn expense_example() -> serde_json::Value {
    serde_json::json!({
        "id": "019cc2b0-5e80-7566-9b19-1bf4d8441b56",
        "organization_id": "019bb138-1000-71a5-8da4-f9fc3c6da5d7",
        "description": "Taxi from the airport to the client's office",
        "category": "travel",
        "amount": 4250,
        "currency": "USD",
        "incurred_on": "2026-03-10",
        "merchant": "City Cabs",
        "project_id": null,
        "client_id": "019c2304-2480-7896-8534-f45738d048ec",
        "billable": true,
        "receipt_file_id": "019c2308-b860-7c79-86d4-ac7a5c3902b3",
        "submitted_by": "019bb138-13e8-77a9-a564-12a9b8a1abcd",
        "status": "approved",
        "approved_amount": 4000,
        "decided_by": "019bb138-13e8-77a9-a564-12a9b8a1ef01",
        "decided_at": "2026-03-12T15:30:00.000000Z",
        "rejection_reason": null,
        "reimbursed_at": null,
        "invoice_id": null,
        "legacy_id": null,
        "created_at": "2026-03-10T18:00:00.000000Z",
        "updated_at": "2026-03-12T15:30:00.000000Z",
        "version": 3
    })
}

crm_domain::record!(Expense, ExpenseId, "expense", scope: Option<UserId>);

/// `:own` is the expenses the caller submitted.
impl Owned for Expense {
    fn owner_id(&self) -> UserId {
        self.submitted_by
    }
}

const EXPENSE_FIELDS: &[FieldSpec] = &[
    FieldSpec::new("created_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("updated_at", FieldKind::Timestamp).sort(),
    FieldSpec::new("incurred_on", FieldKind::Date)
        .range()
        .sort(),
    FieldSpec::new("amount", FieldKind::Integer).range().sort(),
    FieldSpec::new("status", FieldKind::Text)
        .filter()
        .sort()
        .one_of(&["draft", "submitted", "approved", "rejected", "reimbursed"]),
    FieldSpec::new("category", FieldKind::Text).filter().sort(),
    FieldSpec::new("merchant", FieldKind::Text)
        .sort()
        .nullable(),
    FieldSpec::new("client_id", FieldKind::Uuid).filter(),
    FieldSpec::new("project_id", FieldKind::Uuid).filter(),
    FieldSpec::new("submitted_by", FieldKind::Uuid).filter(),
    FieldSpec::new("currency", FieldKind::Text).filter(),
    FieldSpec::new("billable", FieldKind::Bool).filter(),
];

/// `GET /expenses`: newest first; filters `status`, `category`, `client_id`, `project_id`,
/// `submitted_by`, `currency`, `billable`; ranges `created_at`, `incurred_on`, `amount`; `q`
/// searches the description and the merchant. `:own` callers see the expenses they submitted.
pub const EXPENSE_LIST_SPEC: ListSpec = ListSpec {
    fields: EXPENSE_FIELDS,
    default_sort: "-created_at",
    searchable: true,
};

/// `POST /expenses`: a draft claimed by the caller. `submitted_by`, `status` and the
/// decision fields are assigned, never sent.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "description": "Taxi from the airport to the client's office",
    "category": "travel",
    "amount": 4250,
    "currency": "USD",
    "incurred_on": "2026-03-10",
    "merchant": "City Cabs",
    "client_id": "019c2304-2480-7896-8534-f45738d048ec",
    "billable": true,
    "receipt_file_id": "019c2308-b860-7c79-86d4-ac7a5c3902b3"
})))]
pub struct ExpenseInput {
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::text::<{ DESCRIPTION_MAX }>))]
    pub description: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::line::<{ CATEGORY_MAX }>))]
    pub category: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::int_range::<1, { crm_domain::kernel::values::MAX_AMOUNT }>))]
    pub amount: i64,
    /// The organization's default currency when absent.
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::currency_or_null))]
    pub currency: Option<String>,
    /// `YYYY-MM-DD`, today (the organization's) when absent; any date is accepted.
    #[cfg_attr(feature = "openapi", schema(format = Date, example = "2026-03-10"))]
    pub incurred_on: Option<String>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_line::<{ MERCHANT_MAX }>))]
    pub merchant: Option<String>,
    /// Projects do not exist yet: any value is `422`.
    pub project_id: Option<Uuid>,
    /// A client the caller may see.
    pub client_id: Option<ClientId>,
    /// `false` when absent.
    #[serde(default)]
    pub billable: bool,
    /// A file of the organization (`POST /files`).
    pub receipt_file_id: Option<FileId>,
}

/// `PATCH /expenses/{id}` (drafts only): only the fields present change; `null` clears what
/// may be empty.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "amount": 3900,
    "merchant": null
})))]
pub struct ExpensePatch {
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::text_or_null::<{ DESCRIPTION_MAX }>))]
    pub description: Option<String>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::line_or_null::<{ CATEGORY_MAX }>))]
    pub category: Option<String>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_int_range::<1, { crm_domain::kernel::values::MAX_AMOUNT }>))]
    pub amount: Option<i64>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::currency_or_null))]
    pub currency: Option<String>,
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub incurred_on: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_line::<{ MERCHANT_MAX }>))]
    pub merchant: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub project_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "nullable")]
    pub client_id: Option<Option<ClientId>>,
    pub billable: Option<bool>,
    #[serde(default, deserialize_with = "nullable")]
    pub receipt_file_id: Option<Option<FileId>>,
}

/// `POST /expenses/{id}/approve`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({"approved_amount": 4000})))]
pub struct ApproveInput {
    /// 1..=the expense's amount; the whole amount when absent.
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_int_range::<1, { crm_domain::kernel::values::MAX_AMOUNT }>))]
    pub approved_amount: Option<i64>,
}

/// `POST /expenses/{id}/reject`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({"reason": "No receipt attached"})))]
pub struct RejectInput {
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::text::<{ REASON_MAX }>))]
    pub reason: String,
}
