use crate::deals::{DealStatus, MoneyTotal};
use crate::quotations::QuotationStatus;
use chrono::{DateTime, Utc};
use crm_domain::clients::{ClientId, Lifecycle};
use crm_domain::{Currency, UserId};
use serde::Serialize;
use std::collections::BTreeMap;
use uuid::Uuid;

/// Which records of a kind the caller may see.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Visibility {
    Hidden,
    /// Only those owned by this user (`:own` permission).
    Own(UserId),
    All,
}

/// What a summary or timeline may include for the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TrackingScope {
    pub interactions: bool,
    pub deals: Visibility,
    pub quotations: Visibility,
    /// Audit entries: the client's own, and those of its deals and quotations the caller
    /// may see (per `deals` and `quotations`).
    pub activities: bool,
    /// The client's invoices, payments and credit notes (finance reads all or nothing).
    pub invoices: bool,
    pub payments: bool,
    pub credit_notes: bool,
    /// The client's projects (`projects:read`; `:own` the ones the caller manages or belongs
    /// to), and their audit entries with `activities`.
    pub projects: Visibility,
}

/// The store's aggregate of a client's deals in one status and currency.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DealFigure {
    pub status: DealStatus,
    pub currency: Currency,
    pub count: u64,
    pub amount: i64,
}

/// What the store computes for a summary.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientFigures {
    pub deals: Vec<DealFigure>,
    pub last_interaction_at: Option<DateTime<Utc>>,
    /// Quotation counts by status as of the day asked (expired ones counted as `expired`).
    pub quotations: Vec<(QuotationStatus, u64)>,
}

/// Open deals of a client.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "count": 2,
    "totals": [
        {
            "currency": "EUR",
            "amount": 800000
        },
        {
            "currency": "USD",
            "amount": 1250050
        }
    ]
})))]
pub struct OpenDeals {
    pub count: u64,
    /// Per currency, by currency code.
    pub totals: Vec<MoneyTotal>,
}

/// `GET /clients/{id}/summary`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = summary_example))]
pub struct ClientSummary {
    pub client_id: ClientId,
    pub lifecycle: Lifecycle,
    pub open_deals: OpenDeals,
    /// How many deals were won.
    pub won_count: u64,
    /// Won deal values per currency, by currency code.
    pub won_totals: Vec<MoneyTotal>,
    pub last_interaction_at: Option<DateTime<Utc>>,
    /// Every status, zero included.
    #[cfg_attr(feature = "openapi", schema(value_type = BTreeMap<String, u64>))]
    pub quotations_by_status: BTreeMap<QuotationStatus, u64>,
}

/// The summary's example reuses the open deals'.
#[cfg(feature = "openapi")]
fn summary_example() -> serde_json::Value {
    serde_json::json!({
        "client_id": "019c2304-2480-7896-8534-f45738d048ec",
        "lifecycle": "customer",
        "open_deals": crm_domain::kernel::openapi::example_of::<OpenDeals>(),
        "won_count": 1,
        "won_totals": [
            {
                "currency": "USD",
                "amount": 412705
            }
        ],
        "last_interaction_at": "2026-02-10T14:00:00.000000Z",
        "quotations_by_status": {
            "accepted": 1,
            "draft": 1,
            "expired": 0,
            "rejected": 0,
            "sent": 2
        }
    })
}

crm_domain::name_enum!(
    /// What a timeline entry is.
    TimelineKind, "kind" {
        Interaction => "interaction",
        Deal => "deal",
        Quotation => "quotation",
        Invoice => "invoice",
        Payment => "payment",
        CreditNote => "credit_note",
        Project => "project",
        Activity => "activity",
    }
);

/// One entry of a client's timeline.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "kind": "activity",
    "id": "019cadd4-cb50-7819-a34f-806fabf4a07c",
    "occurred_at": "2026-03-02T09:15:30.123456Z",
    "title": "updated",
    "data": {
        "action": "updated",
        "actor_id": "019bb138-13e8-77a9-a564-12a9b8a1abcd",
        "entity_type": "deal",
        "entity_id": "019c2d75-7b80-7bb7-9e08-caa1a0817910"
    }
})))]
pub struct TimelineItem {
    pub kind: TimelineKind,
    /// The id of the interaction, deal, quotation or audit entry.
    pub id: Uuid,
    /// When it happened (an interaction's `occurred_at`, a record's creation, an audit entry's
    /// time).
    pub occurred_at: DateTime<Utc>,
    /// The interaction's summary, the deal's title, the number of the quotation, invoice
    /// (`draft` while it has none) or credit note, the payment's reference (or method), the
    /// audit action.
    pub title: String,
    /// Kind-specific details: interaction `{kind}`; deal `{status, amount, currency}`;
    /// quotation and invoice `{status, total, currency}`; payment `{method, amount,
    /// currency}`; credit note `{total, currency}`; activity `{action, actor_id, entity_type,
    /// entity_id}`, the entity being the client or one of its deals or quotations.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub data: serde_json::Value,
}
