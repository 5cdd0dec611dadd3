use chrono::{DateTime, Duration, Months, NaiveDate, Utc};
use crm_domain::clients::ClientId;
use crm_domain::files::FileId;
use crm_domain::kernel::pagination::{FieldKind, FieldSpec, ListSpec};
use crm_domain::kernel::rules::nullable;
use crm_domain::{Currency, OrganizationId, UserId};
use serde::{Deserialize, Serialize};

crm_domain::typed_id!(
    /// A contract with a client: a term, a value and what happens at its end.
    ContractId
);

crm_domain::name_enum!(
    /// A contract's life: `draft → active`, then `terminated` early, `renewed` (a successor
    /// takes over) or `expired` (its end passed without renewal).
    ContractStatus, "status" {
        Draft => "draft",
        Active => "active",
        Expired => "expired",
        Terminated => "terminated",
        Renewed => "renewed",
    }
);

pub(crate) const TITLE_MAX: usize = 200;
pub(crate) const DESCRIPTION_MAX: usize = 10_000;
pub(crate) const REASON_MAX: usize = 1000;
/// Ten years: a renewal term or a notice period beyond that is a typing error.
pub(crate) const MAX_RENEWAL_MONTHS: i64 = 120;
pub(crate) const MAX_NOTICE_DAYS: i64 = 3650;
/// A successor lasts a year unless the contract says otherwise.
pub(crate) const DEFAULT_RENEWAL_MONTHS: i32 = 12;

/// The document counter of contract numbers (`CT-2026-0001`).
pub const CONTRACT_COUNTER: &str = "contract";

/// A contract with a client.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = contract_example))]
pub struct Contract {
    pub id: ContractId,
    pub organization_id: OrganizationId,
    /// `CT-YYYY-NNNN`, assigned on creation from the organization's gap-free counter of
    /// the year it was created in (its local date).
    pub number: String,
    pub client_id: ClientId,
    pub title: String,
    /// Minor units of `currency`, 0 or more.
    pub value: i64,
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "USD"))]
    pub currency: Currency,
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub start_date: NaiveDate,
    /// The last day of the term (after `start_date`).
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub end_date: NaiveDate,
    pub status: ContractStatus,
    /// Renewed by the server for `renewal_months` when an active contract's end passes.
    pub auto_renew: bool,
    /// How long a successor lasts (1–120 months).
    pub renewal_months: i32,
    /// Days before the end when the owner is told (`contract.notice_due`); `null`: never.
    pub notice_days: Option<i32>,
    /// `end_date − notice_days` (computed); `null` without `notice_days`.
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub notice_date: Option<NaiveDate>,
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub signed_on: Option<NaiveDate>,
    pub description: Option<String>,
    /// A file of the organization: the signed document.
    pub file_id: Option<FileId>,
    /// The contract this one renewed.
    pub renewed_from_id: Option<ContractId>,
    /// Who is told of the notice date, an expiry or a renewal.
    pub owner_id: UserId,
    /// Why it was terminated, and from which day (`POST /contracts/{id}/terminate`).
    pub termination_reason: Option<String>,
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub terminated_on: Option<NaiveDate>,
    /// The notice date the owner was last told of: a new `end_date` or `notice_days` makes a
    /// new notice date, told again once it comes.
    #[serde(skip)]
    pub notice_told_for: Option<NaiveDate>,
    /// The record's id in the original Node.js server's database when it came from there
    /// (`crm import legacy`); `null` for records made here. Read-only (a renewal's successor
    /// has none).
    pub legacy_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

#[cfg(feature = "openapi")]
fn contract_example() -> serde_json::Value {
    serde_json::json!({
        "id": "019cc2b0-5e80-7566-9b19-1bf4d8441b77",
        "organization_id": "019bb138-1000-71a5-8da4-f9fc3c6da5d7",
        "number": "CT-2026-0004",
        "client_id": "019c2304-2480-7896-8534-f45738d048ec",
        "title": "Support and maintenance 2026",
        "value": 1200000,
        "currency": "USD",
        "start_date": "2026-01-01",
        "end_date": "2026-12-31",
        "status": "active",
        "auto_renew": true,
        "renewal_months": 12,
        "notice_days": 60,
        "notice_date": "2026-11-01",
        "signed_on": "2025-12-15",
        "description": "Business-hours support, two releases a year.",
        "file_id": "019c2308-b860-7c79-86d4-ac7a5c3902b3",
        "renewed_from_id": null,
        "owner_id": "019bb138-13e8-77a9-a564-12a9b8a1abcd",
        "termination_reason": null,
        "terminated_on": null,
        "legacy_id": null,
        "created_at": "2025-12-10T09:00:00.000000Z",
        "updated_at": "2025-12-16T10:00:00.000000Z",
        "version": 2
    })
}

crm_domain::record!(Contract, ContractId, "contract", scope: ());

impl Contract {
    pub fn format_number(year: i32, n: i64) -> String {
        crm_domain::kernel::numbering::format_number("CT", year, n)
    }

    /// Its notice date as its end and notice days make it.
    pub fn with_notice_date(self) -> Self {
        Self {
            notice_date: notice_date(self.end_date, self.notice_days),
            ..self
        }
    }

    /// Whether its owner is still to be told of its notice date, as of `today`.
    pub fn notice_due(&self, today: NaiveDate) -> bool {
        self.status == ContractStatus::Active
            && self
                .notice_date
                .is_some_and(|d| d <= today && self.notice_told_for != Some(d))
    }

    /// Whether its term is over as of `today` while it is still active.
    pub fn ended(&self, today: NaiveDate) -> bool {
        self.status == ContractStatus::Active && self.end_date < today
    }

    /// The term of its successor: from the day after its end, `renewal_months` long.
    pub fn successor_term(&self) -> (NaiveDate, NaiveDate) {
        successor_term(self.end_date, self.renewal_months)
    }
}

/// `end − days`; none without notice days.
pub fn notice_date(end: NaiveDate, days: Option<i32>) -> Option<NaiveDate> {
    days.map(|d| end - Duration::days(i64::from(d)))
}

/// The term that follows one ending on `end`: it starts the day after and lasts `months`
/// months, ending the day before the same day of month `months` later (a month from
/// Jan 31 ends Feb 27 or 28, the day before Feb's last; a year from Mar 1 ends Feb 28 or 29).
pub fn successor_term(end: NaiveDate, months: i32) -> (NaiveDate, NaiveDate) {
    let start = end + Duration::days(1);
    let months = u32::try_from(months.max(1)).unwrap_or(1);
    let next = start
        .checked_add_months(Months::new(months))
        .unwrap_or(NaiveDate::MAX);
    (start, next - Duration::days(1))
}

const CONTRACT_FIELDS: &[FieldSpec] = &[
    FieldSpec::new("created_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("updated_at", FieldKind::Timestamp).sort(),
    FieldSpec::new("start_date", FieldKind::Date).range().sort(),
    FieldSpec::new("end_date", FieldKind::Date).range().sort(),
    FieldSpec::new("value", FieldKind::Integer).range().sort(),
    FieldSpec::new("number", FieldKind::Text).filter().sort(),
    FieldSpec::new("title", FieldKind::Text).sort(),
    FieldSpec::new("status", FieldKind::Text)
        .filter()
        .sort()
        .one_of(&["draft", "active", "expired", "terminated", "renewed"]),
    FieldSpec::new("client_id", FieldKind::Uuid).filter(),
    FieldSpec::new("owner_id", FieldKind::Uuid).filter(),
    FieldSpec::new("currency", FieldKind::Text).filter(),
    FieldSpec::new("auto_renew", FieldKind::Bool).filter(),
];

/// `GET /contracts`: newest first; filters `status`, `number`, `client_id`, `owner_id`,
/// `currency`, `auto_renew`; ranges `created_at`, `start_date`, `end_date`, `value`; `q`
/// searches the title and the number.
pub const CONTRACT_LIST_SPEC: ListSpec = ListSpec {
    fields: CONTRACT_FIELDS,
    default_sort: "-created_at",
    searchable: true,
};

/// `POST /contracts`: a draft, numbered at once.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "client_id": "019c2304-2480-7896-8534-f45738d048ec",
    "title": "Support and maintenance 2026",
    "value": 1200000,
    "currency": "USD",
    "start_date": "2026-01-01",
    "end_date": "2026-12-31",
    "auto_renew": true,
    "renewal_months": 12,
    "notice_days": 60
})))]
pub struct ContractInput {
    /// A client the caller may see.
    pub client_id: ClientId,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::line::<{ TITLE_MAX }>))]
    pub title: String,
    /// Minor units; 0 when absent.
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_int_range::<0, { crm_domain::kernel::values::MAX_AMOUNT }>))]
    pub value: Option<i64>,
    /// The organization's default currency when absent.
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::currency_or_null))]
    pub currency: Option<String>,
    #[cfg_attr(feature = "openapi", schema(format = Date, example = "2026-01-01"))]
    pub start_date: String,
    /// After `start_date`.
    #[cfg_attr(feature = "openapi", schema(format = Date, example = "2026-12-31"))]
    pub end_date: String,
    /// `false` when absent.
    #[serde(default)]
    pub auto_renew: bool,
    /// 1–120; 12 when absent.
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_int_range::<1, 120>))]
    pub renewal_months: Option<i64>,
    /// 0–3650; no notice when absent.
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_int_range::<0, 3650>))]
    pub notice_days: Option<i64>,
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub signed_on: Option<String>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_text::<{ DESCRIPTION_MAX }>))]
    pub description: Option<String>,
    /// A file of the organization (`POST /files`).
    pub file_id: Option<FileId>,
    /// The caller when absent.
    pub owner_id: Option<UserId>,
}

/// `PATCH /contracts/{id}` (drafts and active contracts): only the fields present change;
/// `null` clears what may be empty.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "signed_on": "2025-12-15",
    "notice_days": 90
})))]
pub struct ContractPatch {
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::line_or_null::<{ TITLE_MAX }>))]
    pub title: Option<String>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_int_range::<0, { crm_domain::kernel::values::MAX_AMOUNT }>))]
    pub value: Option<i64>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::currency_or_null))]
    pub currency: Option<String>,
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub start_date: Option<String>,
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub end_date: Option<String>,
    pub auto_renew: Option<bool>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_int_range::<1, 120>))]
    pub renewal_months: Option<i64>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_int_range::<0, 3650>))]
    pub notice_days: Option<Option<i64>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub signed_on: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_text::<{ DESCRIPTION_MAX }>))]
    pub description: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub file_id: Option<Option<FileId>>,
    pub owner_id: Option<UserId>,
}

/// `POST /contracts/{id}/terminate`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "reason": "The client closed its Lisbon office",
    "effective_date": "2026-06-30"
})))]
pub struct TerminateInput {
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::text::<{ REASON_MAX }>))]
    pub reason: String,
    /// Within the term (from `start_date` to `end_date`); today (the organization's) when
    /// absent.
    #[cfg_attr(feature = "openapi", schema(format = Date, example = "2026-06-30"))]
    pub effective_date: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_successor_starts_the_day_after_and_lasts_its_months() {
        assert_eq!(
            successor_term(d("2026-12-31"), 12),
            (d("2027-01-01"), d("2027-12-31"))
        );
        assert_eq!(
            successor_term(d("2027-02-28"), 12),
            (d("2027-03-01"), d("2028-02-29"))
        );
        assert_eq!(
            successor_term(d("2026-01-30"), 1),
            (d("2026-01-31"), d("2026-02-27"))
        );
        assert_eq!(
            successor_term(d("2026-03-31"), 3),
            (d("2026-04-01"), d("2026-06-30"))
        );
    }

    #[test]
    fn the_notice_date_is_the_end_less_the_notice_days() {
        assert_eq!(
            notice_date(d("2026-12-31"), Some(60)),
            Some(d("2026-11-01"))
        );
        assert_eq!(notice_date(d("2026-12-31"), Some(0)), Some(d("2026-12-31")));
        assert_eq!(notice_date(d("2026-12-31"), None), None);
    }
}
