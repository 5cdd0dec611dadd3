use crate::leads::LeadId;
use crate::pipelines::{PipelineId, StageId};
use chrono::{DateTime, NaiveDate, Utc};
use crm_domain::clients::ClientId;
use crm_domain::kernel::pagination::{FieldKind, FieldSpec, ListSpec};
use crm_domain::kernel::rules::nullable;
use crm_domain::kernel::scope::Owned;
use crm_domain::{Currency, OrganizationId, UserId, ValueError};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

crm_domain::typed_id!(
    /// A deal of one organization.
    DealId
);

crm_domain::name_enum!(
    /// `open` until won or lost; closed deals are final.
    DealStatus, "status" { Open => "open", Won => "won", Lost => "lost" }
);

/// A sale in progress (or closed).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "id": "019c2d75-7b80-7bb7-9e08-caa1a0817910",
    "organization_id": "019bb138-1000-71a5-8da4-f9fc3c6da5d7",
    "title": "Prospect Ltd: onboarding",
    "client_id": "019c2304-2480-7896-8534-f45738d048ec",
    "lead_id": "019c057e-76e0-7f14-b6e2-f24b43000de0",
    "pipeline_id": "019bb138-10c8-7d40-8690-5269ed6f0b09",
    "stage_id": "019bb138-10dc-7319-8591-42deccea2645",
    "amount": 1250050,
    "currency": "USD",
    "probability": 40,
    "expected_close_date": "2026-06-30",
    "owner_id": "019bb138-13e8-77a9-a564-12a9b8a1abcd",
    "status": "open",
    "lost_reason": null,
    "closed_at": null,
    "legacy_id": null,
    "created_at": "2026-02-05T11:00:00.000000Z",
    "updated_at": "2026-02-18T15:30:00.000000Z",
    "version": 2
})))]
pub struct Deal {
    pub id: DealId,
    pub organization_id: OrganizationId,
    pub title: String,
    pub client_id: Option<ClientId>,
    /// The lead it came from, if any.
    pub lead_id: Option<LeadId>,
    pub pipeline_id: PipelineId,
    pub stage_id: StageId,
    /// Minor units of `currency`.
    pub amount: i64,
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "USD"))]
    pub currency: Currency,
    /// Win probability in percent; the stage's unless set.
    pub probability: i32,
    pub expected_close_date: Option<NaiveDate>,
    /// Drives the `:own` permission scope.
    pub owner_id: UserId,
    pub status: DealStatus,
    pub lost_reason: Option<String>,
    pub closed_at: Option<DateTime<Utc>>,
    /// The record's id in the original Node.js server's database when it came from there
    /// (`crm import legacy`); `null` for records made here. Read-only.
    pub legacy_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

impl Deal {
    pub fn is_closed(&self) -> bool {
        self.status != DealStatus::Open
    }
}

crm_domain::record!(Deal, DealId, "deal", scope: Option<UserId>);

impl Owned for Deal {
    fn owner_id(&self) -> UserId {
        self.owner_id
    }
}

/// One move of a deal between stages (`from_stage_id` is `None` for the stage it was
/// created in).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "id": "019c715f-58c0-7161-9f55-2773e14b0190",
    "organization_id": "019bb138-1000-71a5-8da4-f9fc3c6da5d7",
    "deal_id": "019c2d75-7b80-7bb7-9e08-caa1a0817910",
    "from_stage_id": "019bb138-10d2-742b-8e80-c4b0a4042bb3",
    "to_stage_id": "019bb138-10dc-7319-8591-42deccea2645",
    "changed_at": "2026-02-18T15:30:00.000000Z",
    "changed_by": "019bb138-13e8-77a9-a564-12a9b8a1abcd"
})))]
pub struct StageChange {
    pub id: Uuid,
    pub organization_id: OrganizationId,
    pub deal_id: DealId,
    pub from_stage_id: Option<StageId>,
    pub to_stage_id: StageId,
    pub changed_at: DateTime<Utc>,
    /// `None` for changes made by the system.
    pub changed_by: Option<UserId>,
}

/// A sum of amounts in one currency.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "currency": "USD",
    "amount": 1250050
})))]
pub struct MoneyTotal {
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "USD"))]
    pub currency: Currency,
    pub amount: i64,
}

/// The store's aggregate of the open deals of one stage in one currency.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StageTotal {
    pub stage_id: StageId,
    pub currency: Currency,
    pub count: u64,
    pub amount: i64,
}

/// One column of the board.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BoardStage {
    pub stage_id: StageId,
    pub name: String,
    pub position: i32,
    pub probability: i32,
    /// Open deals in the stage.
    pub count: u64,
    /// Their amounts per currency, by currency code.
    pub totals: Vec<MoneyTotal>,
    /// The most recently updated open deals of the stage (at most
    /// [`crate::deals::BOARD_DEALS_PER_STAGE`]; `count` tells how many there are).
    pub deals: Vec<Deal>,
}

/// `GET /deals/board`: the open deals of a pipeline, stage by stage in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = board_example))]
pub struct Board {
    pub pipeline_id: PipelineId,
    pub stages: Vec<BoardStage>,
}

/// The open deals expected to close in one month, in one currency.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "month": "2026-06",
    "currency": "USD",
    "count": 3,
    "amount": 4200000,
    "weighted_amount": 1680000
})))]
pub struct ForecastRow {
    /// `YYYY-MM`; `None` for open deals without an expected close date.
    pub month: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "USD"))]
    pub currency: Currency,
    /// How many open deals.
    pub count: u64,
    /// Their amounts, unweighted.
    pub amount: i64,
    /// Σ amount × probability / 100, rounded half away from zero to the minor unit.
    pub weighted_amount: i64,
}

/// `GET /deals/forecast`: by month (undated last), then currency.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "rows": [
        {
            "month": "2026-06",
            "currency": "USD",
            "count": 3,
            "amount": 4200000,
            "weighted_amount": 1680000
        },
        {
            "month": "2026-07",
            "currency": "EUR",
            "count": 1,
            "amount": 800000,
            "weighted_amount": 560000
        },
        {
            "month": null,
            "currency": "USD",
            "count": 2,
            "amount": 300000,
            "weighted_amount": 30000
        }
    ]
})))]
pub struct Forecast {
    pub rows: Vec<ForecastRow>,
}

/// The board's example reuses the deal's.
#[cfg(feature = "openapi")]
fn board_example() -> serde_json::Value {
    let deal = crm_domain::kernel::openapi::example_of::<Deal>();
    serde_json::json!({
        "pipeline_id": "019bb138-10c8-7d40-8690-5269ed6f0b09",
        "stages": [
            {"stage_id": "019bb138-10d2-742b-8e80-c4b0a4042bb3", "name": "Qualification", "position": 0, "probability": 10,
             "count": 0, "totals": [], "deals": []},
            {"stage_id": "019bb138-10dc-7319-8591-42deccea2645", "name": "Proposal", "position": 1, "probability": 40,
             "count": 1, "totals": [{"currency": "USD", "amount": 1250050}], "deals": [deal]},
            {"stage_id": "019bb138-10e6-74a1-8f52-53a02a318785", "name": "Negotiation", "position": 2, "probability": 70,
             "count": 0, "totals": [], "deals": []}
        ]
    })
}

const DEAL_FIELDS: &[FieldSpec] = &[
    FieldSpec::new("created_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("updated_at", FieldKind::Timestamp).sort(),
    FieldSpec::new("title", FieldKind::Text).sort(),
    FieldSpec::new("amount", FieldKind::Integer).range().sort(),
    FieldSpec::new("probability", FieldKind::Integer).sort(),
    // A deal without an expected close date sorts after every dated one.
    FieldSpec::new("expected_close_date", FieldKind::Date)
        .range()
        .sort()
        .nulls_last(),
    FieldSpec::new("status", FieldKind::Text)
        .filter()
        .sort()
        .doc("`open`, `won`, `lost`"),
    FieldSpec::new("pipeline_id", FieldKind::Uuid).filter(),
    FieldSpec::new("stage_id", FieldKind::Uuid).filter(),
    FieldSpec::new("client_id", FieldKind::Uuid).filter(),
    FieldSpec::new("lead_id", FieldKind::Uuid).filter(),
    FieldSpec::new("owner_id", FieldKind::Uuid).filter(),
    FieldSpec::new("currency", FieldKind::Text).filter().sort(),
];

/// `GET /deals`: newest first by default; filters `status`, `pipeline_id`, `stage_id`,
/// `client_id`, `lead_id`, `owner_id`, `currency`; ranges `created_at`, `amount`,
/// `expected_close_date`; sorts `created_at`, `updated_at`, `title`, `amount`, `probability`,
/// `expected_close_date` (undated deals sort last ascending); `q` searches the title.
pub const DEAL_LIST_SPEC: ListSpec = ListSpec {
    fields: DEAL_FIELDS,
    default_sort: "-created_at",
    searchable: true,
};

/// How many deals each board column lists (its `count` and `totals` cover all of them).
pub const BOARD_DEALS_PER_STAGE: u32 = 100;

pub(crate) const TITLE_MAX: usize = 200;

pub(crate) fn title(raw: &str) -> Result<String, ValueError> {
    crate::common::required_text(raw, "title", TITLE_MAX)
}
pub(crate) const REASON_MAX: usize = 1000;

/// `POST /deals`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "title": "Prospect Ltd: onboarding",
    "client_id": "019c2304-2480-7896-8534-f45738d048ec",
    "pipeline_id": "019bb138-10c8-7d40-8690-5269ed6f0b09",
    "stage_id": "019bb138-10d2-742b-8e80-c4b0a4042bb3",
    "amount": 1250050,
    "currency": "USD",
    "expected_close_date": "2026-06-30"
})))]
pub struct DealInput {
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::line::<{ TITLE_MAX }>))]
    pub title: String,
    pub client_id: Option<ClientId>,
    pub lead_id: Option<LeadId>,
    /// The default pipeline when absent.
    pub pipeline_id: Option<PipelineId>,
    /// A stage of the pipeline; its first stage when absent.
    pub stage_id: Option<StageId>,
    /// Minor units of `currency`, 0 or more.
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::int_range::<0, { crate::common::MAX_AMOUNT }>))]
    pub amount: i64,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::currency))]
    pub currency: String,
    /// The stage's probability when absent.
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_int_range::<0, 100>))]
    pub probability: Option<i32>,
    /// `YYYY-MM-DD`.
    #[cfg_attr(feature = "openapi", schema(format = Date, example = "2026-06-30"))]
    pub expected_close_date: Option<String>,
    /// The caller when absent; another user needs the all-records `deals:write`.
    pub owner_id: Option<UserId>,
}

/// `PATCH /deals/{id}`: only the fields present change; `null` clears a clearable field.
/// Moving to another stage records it in the deal's stage history and, unless `probability`
/// is given too, takes the new stage's probability. A closed deal cannot be changed (`409`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "stage_id": "019bb138-10dc-7319-8591-42deccea2645",
    "probability": 40,
    "expected_close_date": "2026-07-15"
})))]
pub struct DealPatch {
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::line_or_null::<{ TITLE_MAX }>))]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub client_id: Option<Option<ClientId>>,
    #[serde(default, deserialize_with = "nullable")]
    pub lead_id: Option<Option<LeadId>>,
    /// Another pipeline: the deal goes to `stage_id`, or to that pipeline's first stage.
    pub pipeline_id: Option<PipelineId>,
    pub stage_id: Option<StageId>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_int_range::<0, { crate::common::MAX_AMOUNT }>))]
    pub amount: Option<i64>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::currency_or_null))]
    pub currency: Option<String>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_int_range::<0, 100>))]
    pub probability: Option<i32>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub expected_close_date: Option<Option<String>>,
    /// Reassigning needs the all-records `deals:write` (`422` on `owner_id` otherwise).
    pub owner_id: Option<UserId>,
}

/// `POST /deals/{id}/lost`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "reason": "Chose a competitor on price"
})))]
pub struct LostInput {
    /// Required: a missing one is refused like a blank one, by the service after it has found
    /// the deal, so a deal the caller cannot see is `404` whatever the body says.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true, schema_with = crm_domain::kernel::openapi::text::<{ REASON_MAX }>))]
    pub reason: String,
}

/// `GET /deals/forecast` parameters.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
pub struct ForecastQuery {
    /// Only deals of this pipeline (all pipelines when absent).
    pub pipeline_id: Option<PipelineId>,
    /// Only deals of this owner (`:own` callers always see only theirs).
    pub owner_id: Option<UserId>,
    /// First month, `YYYY-MM` (undated deals are then left out).
    pub from: Option<String>,
    /// Last month, `YYYY-MM` (undated deals are then left out).
    pub to: Option<String>,
}

/// Files a refusal under `deal_id` unless `found` is a deal of `client` (or of no client):
/// what a document that names a client and a deal (quotation, invoice) checks.
pub fn deal_of_client(
    found: Result<Deal, crm_domain::StoreError>,
    client: ClientId,
    errors: &mut crm_domain::kernel::input::Errors,
) -> Result<(), crm_domain::DomainError> {
    if let Some(d) = errors.reference("deal_id", "deal", found)?
        && d.client_id.is_some_and(|c| c != client)
    {
        errors.add("deal_id", "mismatch", "the deal belongs to another client");
    }
    Ok(())
}
