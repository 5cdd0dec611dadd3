use chrono::{DateTime, NaiveDate, Utc};
use crm_domain::clients::ClientId;
use crm_domain::kernel::lines::{LineItem, LineItemInput};
use crm_domain::kernel::pagination::{FieldKind, FieldSpec, ListSpec};
use crm_domain::kernel::rules::nullable;
use crm_domain::kernel::scope::Owned;
use crm_domain::{Currency, OrganizationId, UserId};
use crm_sales::deals::DealId;
use crm_sales::leads::LeadId;
use crm_sales::quotations::QuotationId;
use serde::{Deserialize, Serialize};

crm_domain::typed_id!(
    /// A proposal of one organization.
    ProposalId
);

crm_domain::name_enum!(
    /// Where a proposal stands: `draft → sent → accepted | declined`. `expired` is never
    /// stored: a `sent` proposal whose `valid_until` has passed reads as `expired`.
    ProposalStatus, "status" {
        Draft => "draft",
        Sent => "sent",
        Accepted => "accepted",
        Declined => "declined",
        Expired => "expired",
    }
);

/// Longest title, in characters (one line).
pub const TITLE_MAX: usize = 200;
/// Longest body, in characters (Markdown).
pub const BODY_MAX: usize = 100_000;

/// A sales document for a lead or a client, before a quotation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = proposal_example))]
pub struct Proposal {
    pub id: ProposalId,
    pub organization_id: OrganizationId,
    /// The lead it is for; exactly one of `lead_id` and `client_id` is set.
    pub lead_id: Option<LeadId>,
    /// The client it is for; exactly one of `lead_id` and `client_id` is set.
    pub client_id: Option<ClientId>,
    pub deal_id: Option<DealId>,
    /// Drives the `:own` permission scope; the creator by default.
    pub owner_id: UserId,
    pub title: String,
    /// Markdown, at most 100,000 characters.
    pub body: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "USD"))]
    pub currency: Currency,
    /// Optional priced lines (possibly none).
    pub items: Vec<LineItem>,
    /// Σ line subtotals.
    pub subtotal: i64,
    /// Σ line taxes.
    pub tax_total: i64,
    /// subtotal + tax_total.
    pub total: i64,
    /// The last day the offer stands; a sent proposal reads `expired` after it.
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub valid_until: Option<NaiveDate>,
    pub status: ProposalStatus,
    /// When it was last mailed.
    pub sent_at: Option<DateTime<Utc>>,
    /// The quotation made from it (`POST /proposals/{id}/quotation`), read-only; `null` again
    /// when that quotation is deleted.
    pub quotation_id: Option<QuotationId>,
    /// The record's id in the original Node.js server's database when it came from there
    /// (`crm import legacy`); `null` for records made here. Read-only.
    pub legacy_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

#[cfg(feature = "openapi")]
fn proposal_example() -> serde_json::Value {
    serde_json::json!({
        "id": "019ca8a1-5e80-7566-9b19-1bf4d8441b56",
        "organization_id": "019bb138-1000-71a5-8da4-f9fc3c6da5d7",
        "lead_id": null,
        "client_id": "019c2304-2480-7896-8534-f45738d048ec",
        "deal_id": "019c2d75-7b80-7bb7-9e08-caa1a0817910",
        "owner_id": "019bb138-13e8-77a9-a564-12a9b8a1abcd",
        "title": "CRM roll-out for Globex",
        "body": "## Scope\n\nTwo workshops, then support hours as needed.",
        "currency": "USD",
        "items": [crm_domain::kernel::openapi::example_of::<LineItem>()],
        "subtotal": 99750,
        "tax_total": 17955,
        "total": 117705,
        "valid_until": "2026-03-31",
        "status": "sent",
        "sent_at": "2026-03-02T10:00:00.000000Z",
        "quotation_id": null,
        "legacy_id": null,
        "created_at": "2026-03-01T09:00:00.000000Z",
        "updated_at": "2026-03-02T10:00:00.000000Z",
        "version": 2
    })
}

impl Proposal {
    /// The status as of `today`: a sent proposal past its `valid_until` is expired.
    pub fn status_on(&self, today: NaiveDate) -> ProposalStatus {
        if self.status == ProposalStatus::Sent && self.valid_until.is_some_and(|v| today > v) {
            ProposalStatus::Expired
        } else {
            self.status
        }
    }

    /// The proposal as it reads on `today`.
    pub fn as_of(mut self, today: NaiveDate) -> Self {
        self.status = self.status_on(today);
        self
    }
}

/// What narrows a list of proposals besides the organization: the owner under `:own`, and
/// the day whose status a `status` filter or sort means (`expired` is read, not stored).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProposalScope {
    pub owner: Option<UserId>,
    pub today: NaiveDate,
}

crm_domain::record!(Proposal, ProposalId, "proposal", scope: ProposalScope);

/// `:own` is the proposals the caller owns.
impl Owned for Proposal {
    fn owner_id(&self) -> UserId {
        self.owner_id
    }
}

const PROPOSAL_FIELDS: &[FieldSpec] = &[
    FieldSpec::new("created_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("updated_at", FieldKind::Timestamp).sort(),
    FieldSpec::new("title", FieldKind::Text).sort(),
    FieldSpec::new("valid_until", FieldKind::Date)
        .range()
        .sort()
        .nullable(),
    FieldSpec::new("total", FieldKind::Integer).range().sort(),
    // As read: a sent proposal past `valid_until` filters and sorts as `expired`.
    FieldSpec::new("status", FieldKind::Text)
        .filter()
        .sort()
        .one_of(&["draft", "sent", "accepted", "declined", "expired"]),
    FieldSpec::new("client_id", FieldKind::Uuid).filter(),
    FieldSpec::new("lead_id", FieldKind::Uuid).filter(),
    FieldSpec::new("deal_id", FieldKind::Uuid).filter(),
    FieldSpec::new("owner_id", FieldKind::Uuid).filter(),
    FieldSpec::new("currency", FieldKind::Text).filter().sort(),
];

/// `GET /proposals`: newest first by default; filters `status` (as read: `expired` finds
/// sent proposals past `valid_until`), `client_id`, `lead_id`, `deal_id`, `owner_id`,
/// `currency`; ranges `created_at`, `valid_until`, `total`; sorts `created_at`,
/// `updated_at`, `title`, `valid_until` (proposals without one sort lowest), `total`,
/// `status`, `currency`; `q` searches the title. `:own` callers see the proposals they own.
pub const PROPOSAL_LIST_SPEC: ListSpec = ListSpec {
    fields: PROPOSAL_FIELDS,
    default_sort: "-created_at",
    searchable: true,
};

/// `POST /proposals`: a draft. Exactly one of `lead_id` and `client_id`; `status`, the
/// totals, `sent_at` and `quotation_id` are assigned, never sent.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "client_id": "019c2304-2480-7896-8534-f45738d048ec",
    "deal_id": "019c2d75-7b80-7bb7-9e08-caa1a0817910",
    "title": "CRM roll-out for Globex",
    "body": "## Scope\n\nTwo workshops, then support hours as needed.",
    "currency": "USD",
    "valid_until": "2026-03-31",
    "items": [
        {
            "description": "Support hours",
            "quantity": "10.5",
            "unit_price": 9500,
            "tax_rate": 1800
        }
    ]
})))]
pub struct ProposalInput {
    /// A lead the caller may see; give this or `client_id`, not both.
    pub lead_id: Option<LeadId>,
    /// A client the caller may see; give this or `lead_id`, not both.
    pub client_id: Option<ClientId>,
    /// A deal the caller may see, of the same client (or lead), or of none.
    pub deal_id: Option<DealId>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::line::<{ TITLE_MAX }>))]
    pub title: String,
    /// Markdown.
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_text::<{ BODY_MAX }>))]
    pub body: Option<String>,
    /// At most 200 lines (`MAX_ITEMS`); none when absent.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 200))]
    pub items: Vec<LineItemInput>,
    /// The organization's default currency when absent.
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::currency_or_null))]
    pub currency: Option<String>,
    /// `YYYY-MM-DD`; any date.
    #[cfg_attr(feature = "openapi", schema(format = Date, example = "2026-03-31"))]
    pub valid_until: Option<String>,
    /// The caller when absent; another user needs the all-records `proposals:write`.
    pub owner_id: Option<UserId>,
}

/// `PATCH /proposals/{id}` (drafts only): only the fields present change; `null` clears what
/// may be empty; `items` replaces every line. Afterwards exactly one of `lead_id` and
/// `client_id` must be set (send `{"lead_id": null, "client_id": …}` to move it).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "title": "CRM roll-out for Globex, phase 1",
    "valid_until": "2026-04-15"
})))]
pub struct ProposalPatch {
    #[serde(default, deserialize_with = "nullable")]
    pub lead_id: Option<Option<LeadId>>,
    #[serde(default, deserialize_with = "nullable")]
    pub client_id: Option<Option<ClientId>>,
    #[serde(default, deserialize_with = "nullable")]
    pub deal_id: Option<Option<DealId>>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::line_or_null::<{ TITLE_MAX }>))]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_text::<{ BODY_MAX }>))]
    pub body: Option<Option<String>>,
    #[cfg_attr(feature = "openapi", schema(max_items = 200))]
    pub items: Option<Vec<LineItemInput>>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::currency_or_null))]
    pub currency: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub valid_until: Option<Option<String>>,
    /// Reassigning needs the all-records `proposals:write` (`422` on `owner_id` otherwise).
    pub owner_id: Option<UserId>,
}

/// `POST /proposals/{id}/send` (the body may be left out).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({"to": "buyer@globex.example"})))]
pub struct SendProposalInput {
    /// The recipient; the client's (or the lead's) email when absent.
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_email))]
    pub to: Option<String>,
}
