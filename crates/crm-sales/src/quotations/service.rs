//! `/quotations` and `POST /quotations/{id}/send|accept|reject`.

use super::model::{
    DecimalInput, Quotation, QuotationId, QuotationItem, QuotationStatus, price_line, totals,
};
use crate::common::{
    Errors, MAX_AMOUNT, audit, check_version, currency, date, in_scope, narrowed, not_found,
    nullable, optional_text, owner_filter, reference, require,
};
use crate::deals::{Deal, DealId};
use crate::numbering::QUOTATION_COUNTER;
use crate::ports::SalesPorts;
use chrono::{Datelike, Duration, NaiveDate};
use crm_domain::clients::ClientId;
use crm_domain::kernel::pagination::{FieldKind, FieldSpec, ListQuery, ListSpec, Page};
use crm_domain::{Actor, DomainError, Scope, StoreError, Tx, UserId};
use serde::Deserialize;

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

/// Most lines a quotation may have.
pub const MAX_ITEMS: usize = 200;
const DESCRIPTION_MAX: usize = 1000;
/// `valid_until` when a request names none: this many days after the issue date.
const DEFAULT_VALIDITY_DAYS: i64 = 30;

/// One line of a quotation request. Its amounts are computed, never sent.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "description": "Support hours",
    "quantity": "10.5",
    "unit_price": 9500,
    "tax_rate": 1800
})))]
pub struct QuotationItemInput {
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::text::<{ DESCRIPTION_MAX }>))]
    pub description: String,
    /// More than 0, at most three decimals, as a string (`"1.5"`) or a number (`1.5`).
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::quantity))]
    pub quantity: DecimalInput,
    /// Minor units per unit, 0 or more.
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::int_range::<0, { crate::common::MAX_AMOUNT }>))]
    pub unit_price: i64,
    /// Basis points, 0..=10000 (`1800` = 18 %).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::int_range::<0, 10_000>))]
    pub tax_rate: i64,
}

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
    pub items: Vec<QuotationItemInput>,
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
    pub items: Option<Vec<QuotationItemInput>>,
    /// Reassigning needs the all-records `quotations:write` (`422` on `owner_id` otherwise).
    pub owner_id: Option<UserId>,
}

/// Prices the lines of a request; errors name `items[i].field`.
pub(crate) fn price_items(raw: &[QuotationItemInput], errors: &mut Errors) -> Vec<QuotationItem> {
    if raw.is_empty() {
        errors.add("items", "required", "a quotation needs at least one line");
    } else if raw.len() > MAX_ITEMS {
        errors.add(
            "items",
            "too_many",
            format!("a quotation has at most {MAX_ITEMS} lines"),
        );
    }
    let mut out = Vec::with_capacity(raw.len());
    for (i, item) in raw.iter().enumerate() {
        let f = |name: &str| format!("items[{i}].{name}");
        let description = match optional_text(
            Some(&item.description),
            "description",
            DESCRIPTION_MAX,
            true,
        ) {
            Ok(Some(d)) => Some(d),
            Ok(None) => {
                errors.add(&f("description"), "required", "description is required");
                None
            }
            Err(e) => errors.take(&f("description"), Err(e)),
        };
        let quantity = match item.quantity.quantity() {
            Ok(q) if q.thousandths() > 0 => Some(q),
            Ok(_) => {
                errors.add(
                    &f("quantity"),
                    "out_of_range",
                    "quantity must be more than 0",
                );
                None
            }
            Err(e) => {
                errors.add(&f("quantity"), "invalid", e.to_string());
                None
            }
        };
        let unit_price = if (0..=MAX_AMOUNT).contains(&item.unit_price) {
            Some(item.unit_price)
        } else {
            errors.add(
                &f("unit_price"),
                "out_of_range",
                format!("unit_price must be between 0 and {MAX_AMOUNT} minor units"),
            );
            None
        };
        let rate = match i32::try_from(item.tax_rate) {
            Ok(r) if (0..=10_000).contains(&r) => Some(r),
            _ => {
                errors.add(
                    &f("tax_rate"),
                    "out_of_range",
                    "tax_rate must be between 0 and 10000 basis points",
                );
                None
            }
        };
        if let (Some(d), Some(q), Some(p), Some(r)) = (description, quantity, unit_price, rate) {
            match price_line(d, q, p, r) {
                Ok(line) => out.push(line),
                Err(e) => errors.add(&f("quantity"), "out_of_range", e.to_string()),
            }
        }
    }
    out
}

fn not_draft() -> DomainError {
    DomainError::conflict(
        "quotation-not-draft",
        "only a draft quotation can be edited or deleted",
    )
}

fn expired() -> DomainError {
    DomainError::conflict(
        "quotation-expired",
        "the quotation has expired (its valid_until date has passed)",
    )
}

fn bad_transition(from: QuotationStatus, to: QuotationStatus) -> DomainError {
    DomainError::conflict(
        "quotation-status",
        format!("a {from} quotation cannot become {to}"),
    )
}

/// Quotations: CRUD with the contract's arithmetic, numbering, state changes.
#[derive(Clone)]
pub struct QuotationService {
    p: SalesPorts,
}

impl QuotationService {
    pub fn new(ports: SalesPorts) -> Self {
        Self { p: ports }
    }

    /// Needs `quotations:read` (`:own`: only the caller's quotations).
    pub async fn list(
        &self,
        actor: &Actor,
        query: &ListQuery,
    ) -> Result<Page<Quotation>, DomainError> {
        let scope = require(actor, "quotations", "read")?;
        let owner = owner_filter(actor, scope);
        let today = self.p.today();
        let page = self
            .p
            .quotations
            .list(actor.organization_id, &narrowed(query, owner), owner, today)
            .await?;
        Ok(page.map(|q| q.as_of(today)))
    }

    /// Needs `quotations:read`; `404` when missing, of another organization or outside
    /// `:own`. A sent quotation past `valid_until` reads as `expired`.
    pub async fn get(&self, actor: &Actor, id: QuotationId) -> Result<Quotation, DomainError> {
        let scope = require(actor, "quotations", "read")?;
        Ok(self.visible(actor, scope, id).await?.as_of(self.p.today()))
    }

    /// The stored quotation (status not adjusted for expiry) when within the caller's scope.
    async fn visible(
        &self,
        actor: &Actor,
        scope: Scope,
        id: QuotationId,
    ) -> Result<Quotation, DomainError> {
        let q = self.p.quotations.get(actor.organization_id, id).await?;
        in_scope(actor, scope, q.owner_id)?;
        Ok(q)
    }

    /// As [`Self::visible`], read and locked inside `tx` (see the port's `get_for_update`).
    async fn locked(
        &self,
        tx: &mut (dyn Tx + 'static),
        actor: &Actor,
        scope: Scope,
        id: QuotationId,
    ) -> Result<Quotation, DomainError> {
        let q = self
            .p
            .quotations
            .get_for_update(tx, actor.organization_id, id)
            .await?;
        in_scope(actor, scope, q.owner_id)?;
        Ok(q)
    }

    /// A deal of the organization whose client (if it has one) is `client`.
    async fn check_deal(
        &self,
        actor: &Actor,
        deal: DealId,
        client: ClientId,
        errors: &mut Errors,
    ) -> Result<(), DomainError> {
        let found = self.p.deals.get(actor.organization_id, deal).await;
        deal_of_client(found, client, errors)
    }

    fn validity(&self, issue: NaiveDate, valid_until: NaiveDate, errors: &mut Errors) {
        if valid_until < issue {
            errors.add(
                "valid_until",
                "out_of_range",
                "valid_until must not be before issue_date",
            );
        }
    }

    /// Needs `quotations:write`. Prices the lines (quantity × unit price, then tax, each
    /// rounded half away from zero; totals are sums of lines), takes the next gap-free number
    /// of the organization and issue year in the creating transaction, and starts as
    /// `draft`. `422` per bad field (`items[i].quantity`, …; a client the caller cannot see
    /// or a deal of another client are `client_id` / `deal_id`).
    pub async fn create(
        &self,
        actor: &Actor,
        input: QuotationInput,
    ) -> Result<Quotation, DomainError> {
        let scope = require(actor, "quotations", "write")?;
        let org = actor.organization_id;
        let mut errors = Errors::default();
        let issue = match input.issue_date.as_deref() {
            Some(d) => errors.take("issue_date", date(d)),
            None => Some(self.p.today()),
        };
        let until = match (input.valid_until.as_deref(), issue) {
            (Some(d), _) => errors.take("valid_until", date(d)),
            (None, Some(i)) => Some(i + Duration::days(DEFAULT_VALIDITY_DAYS)),
            (None, None) => None,
        };
        if let (Some(i), Some(u)) = (issue, until) {
            self.validity(i, u, &mut errors);
        }
        let cur = errors.take("currency", currency(&input.currency));
        let items = price_items(&input.items, &mut errors);
        if let Err(e) = self
            .p
            .visible_client(actor, input.client_id, "client_id")
            .await?
        {
            errors.push(e);
        }
        if let Some(d) = input.deal_id {
            self.check_deal(actor, d, input.client_id, &mut errors)
                .await?;
        }
        let owner = input.owner_id.unwrap_or(actor.user_id);
        self.p
            .check_owner(actor, "quotations", scope, owner, None, &mut errors)
            .await?;
        let sums = totals(&items);
        if let Err(e) = &sums {
            errors.add("items", "out_of_range", e.to_string());
        }
        let (Some(issue_date), Some(valid_until), Some(currency), Ok((subtotal, tax_total, total))) =
            (issue, until, cur, sums)
        else {
            return Err(errors
                .finish()
                .err()
                .unwrap_or(DomainError::Unexpected("validation lost a value".into())));
        };
        errors.finish()?;
        let year = issue_date.year();
        let (mut tx, n) = self.p.begin_numbered(org, QUOTATION_COUNTER, year).await?;
        let now = self.p.now();
        let quotation = Quotation {
            id: QuotationId::new(),
            organization_id: org,
            client_id: input.client_id,
            deal_id: input.deal_id,
            owner_id: owner,
            number: Quotation::format_number(year, n),
            issue_date,
            valid_until,
            currency,
            items,
            subtotal,
            tax_total,
            total,
            status: QuotationStatus::Draft,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        self.p.quotations.create(tx.as_mut(), &quotation).await?;
        let entry = audit(
            org,
            Some(actor.user_id),
            "quotation",
            quotation.id.0,
            "created",
            None,
            Some(&quotation),
        );
        self.p.record(tx.as_mut(), entry).await?;
        tx.commit().await?;
        Ok(quotation)
    }

    /// Needs `quotations:write` (`:own`: only the caller's, `404` for others). Drafts only
    /// (`409 quotation-not-draft`); `412` on a stale version; `422` per bad field. Changed
    /// lines are priced again; the number stays.
    pub async fn update(
        &self,
        actor: &Actor,
        id: QuotationId,
        expected_version: Option<i64>,
        patch: QuotationPatch,
    ) -> Result<Quotation, DomainError> {
        let scope = require(actor, "quotations", "write")?;
        let org = actor.organization_id;
        // What the patch names is looked up before the transaction, on the pool (a read that
        // waited for a second connection while holding the transaction's could exhaust it).
        let mut errors = Errors::default();
        let mut client_error = None;
        if let Some(c) = patch.client_id {
            client_error = self.p.visible_client(actor, c, "client_id").await?.err();
        }
        if let Some(owner) = patch.owner_id {
            self.p
                .check_owner(actor, "quotations", scope, owner, None, &mut errors)
                .await?;
        }
        let mut tx = self.p.tx.begin().await?;
        let current = self.locked(tx.as_mut(), actor, scope, id).await?;
        check_version(expected_version, current.version)?;
        if current.status != QuotationStatus::Draft {
            return Err(not_draft());
        }
        let mut next = current.clone();
        if let Some(raw) = &patch.issue_date
            && let Some(d) = errors.take("issue_date", date(raw))
        {
            next.issue_date = d;
        }
        if let Some(raw) = &patch.valid_until
            && let Some(d) = errors.take("valid_until", date(raw))
        {
            next.valid_until = d;
        }
        if patch.issue_date.is_some() || patch.valid_until.is_some() {
            self.validity(next.issue_date, next.valid_until, &mut errors);
        }
        if let Some(raw) = &patch.currency
            && let Some(c) = errors.take("currency", currency(raw))
        {
            next.currency = c;
        }
        if let Some(raw) = &patch.items {
            next.items = price_items(raw, &mut errors);
            match totals(&next.items) {
                Ok((s, t, total)) => {
                    next.subtotal = s;
                    next.tax_total = t;
                    next.total = total;
                }
                Err(e) => errors.add("items", "out_of_range", e.to_string()),
            }
        }
        if let Some(c) = patch.client_id
            && c != current.client_id
        {
            next.client_id = c;
            if let Some(e) = client_error {
                errors.push(e);
            }
        }
        if let Some(d) = patch.deal_id {
            next.deal_id = d;
        }
        if let Some(d) = next.deal_id
            && (next.deal_id != current.deal_id || next.client_id != current.client_id)
        {
            // Read on this transaction, and held: the deal's client cannot change meanwhile.
            let found = self.p.deals.get_for_update(tx.as_mut(), org, d).await;
            deal_of_client(found, next.client_id, &mut errors)?;
        }
        if let Some(owner) = patch.owner_id {
            next.owner_id = owner;
        }
        errors.finish()?;
        if next == current {
            return Ok(current);
        }
        let next = Quotation {
            updated_at: self.p.now(),
            version: current.version + 1,
            ..next
        };
        self.store(tx, actor, &current, &next, "updated").await?;
        Ok(next)
    }

    /// Writes `next` over `current` (read and locked in `tx`) with its audit entry, and commits.
    async fn store(
        &self,
        mut tx: Box<dyn Tx>,
        actor: &Actor,
        current: &Quotation,
        next: &Quotation,
        action: &'static str,
    ) -> Result<(), DomainError> {
        self.p
            .quotations
            .update(tx.as_mut(), next, current.version)
            .await?;
        let entry = audit(
            actor.organization_id,
            Some(actor.user_id),
            "quotation",
            next.id.0,
            action,
            Some(current),
            Some(next),
        );
        self.p.record(tx.as_mut(), entry).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Needs `quotations:delete` (`:own`: only the caller's). Drafts only (`409
    /// quotation-not-draft`); the number is not reused.
    pub async fn delete(&self, actor: &Actor, id: QuotationId) -> Result<(), DomainError> {
        let scope = require(actor, "quotations", "delete")?;
        let mut tx = self.p.tx.begin().await?;
        let current = self.locked(tx.as_mut(), actor, scope, id).await?;
        if current.status != QuotationStatus::Draft {
            return Err(not_draft());
        }
        self.p
            .quotations
            .delete(tx.as_mut(), actor.organization_id, id)
            .await?;
        let entry = audit(
            actor.organization_id,
            Some(actor.user_id),
            "quotation",
            id.0,
            "deleted",
            Some(&current),
            None,
        );
        self.p.record(tx.as_mut(), entry).await?;
        tx.commit().await?;
        Ok(())
    }

    /// `draft → sent`. `409 quotation-status` from any other state, `409 quotation-expired`
    /// when `valid_until` has already passed (edit it first).
    pub async fn send(
        &self,
        actor: &Actor,
        id: QuotationId,
        expected_version: Option<i64>,
    ) -> Result<Quotation, DomainError> {
        self.transition(actor, id, expected_version, QuotationStatus::Sent)
            .await
    }

    /// `sent → accepted`. `409 quotation-expired` once `valid_until` has passed, `409
    /// quotation-status` from any other state.
    pub async fn accept(
        &self,
        actor: &Actor,
        id: QuotationId,
        expected_version: Option<i64>,
    ) -> Result<Quotation, DomainError> {
        self.transition(actor, id, expected_version, QuotationStatus::Accepted)
            .await
    }

    /// `sent → rejected`, under the same rules as [`Self::accept`].
    pub async fn reject(
        &self,
        actor: &Actor,
        id: QuotationId,
        expected_version: Option<i64>,
    ) -> Result<Quotation, DomainError> {
        self.transition(actor, id, expected_version, QuotationStatus::Rejected)
            .await
    }

    async fn transition(
        &self,
        actor: &Actor,
        id: QuotationId,
        expected_version: Option<i64>,
        to: QuotationStatus,
    ) -> Result<Quotation, DomainError> {
        let scope = require(actor, "quotations", "write")?;
        let mut tx = self.p.tx.begin().await?;
        // A concurrent transition waits here, then sees its outcome: 409, never 412.
        let current = self.locked(tx.as_mut(), actor, scope, id).await?;
        check_version(expected_version, current.version)?;
        let today = self.p.today();
        let from = current.status_on(today);
        let allowed = matches!(
            (from, to),
            (QuotationStatus::Draft, QuotationStatus::Sent)
                | (QuotationStatus::Sent, QuotationStatus::Accepted)
                | (QuotationStatus::Sent, QuotationStatus::Rejected)
        );
        if !allowed {
            return Err(if from == QuotationStatus::Expired {
                expired()
            } else {
                bad_transition(from, to)
            });
        }
        if to == QuotationStatus::Sent && today > current.valid_until {
            return Err(expired());
        }
        let next = Quotation {
            status: to,
            updated_at: self.p.now(),
            version: current.version + 1,
            ..current.clone()
        };
        let action = match to {
            QuotationStatus::Sent => "sent",
            QuotationStatus::Accepted => "accepted",
            _ => "rejected",
        };
        self.store(tx, actor, &current, &next, action).await?;
        Ok(next)
    }
}

/// Records a field error unless `found` is a deal of `client` (or of no client).
fn deal_of_client(
    found: Result<Deal, StoreError>,
    client: ClientId,
    errors: &mut Errors,
) -> Result<(), DomainError> {
    match reference(found, not_found("deal_id", "deal"))? {
        Ok(d) if d.client_id.is_some_and(|c| c != client) => {
            errors.add("deal_id", "mismatch", "the deal belongs to another client")
        }
        Ok(_) => {}
        Err(e) => errors.push(e),
    }
    Ok(())
}

/// Field errors of a set of lines, for tests.
#[cfg(test)]
fn item_errors(raw: &[QuotationItemInput]) -> Vec<crm_domain::FieldError> {
    let mut e = Errors::default();
    price_items(raw, &mut e);
    match e.finish() {
        Err(DomainError::Invalid(list)) => list,
        _ => vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::*;
    use crm_domain::StoreError;

    const RW: &[&str] = &[
        "quotations:read",
        "quotations:write",
        "quotations:delete",
        "clients:read",
    ];

    fn line(q: &str, price: i64, rate: i64) -> QuotationItemInput {
        QuotationItemInput {
            description: "Work".into(),
            quantity: q.into(),
            unit_price: price,
            tax_rate: rate,
        }
    }

    fn priced(raw: &[QuotationItemInput]) -> (Vec<QuotationItem>, (i64, i64, i64)) {
        let mut e = Errors::default();
        let items = price_items(raw, &mut e);
        assert!(e.is_empty(), "{e:?}");
        let t = totals(&items).unwrap();
        (items, t)
    }

    #[test]
    fn lines_follow_the_contract_rounding_including_half_way_cases() {
        // 1.5 × 3.33 = 4.995 → 5.00; 18 % of 500 = 90.
        let (items, t) = priced(&[line("1.5", 333, 1800)]);
        assert_eq!(
            (items[0].subtotal, items[0].tax, items[0].total),
            (500, 90, 590)
        );
        assert_eq!(t, (500, 90, 590));
        // Subtotal half-way: 0.5 × 1 = 0.5 → 1; tax half-way: 125 × 2 % = 2.5 → 3.
        let (items, _) = priced(&[line("0.5", 1, 0), line("1", 125, 200)]);
        assert_eq!((items[0].subtotal, items[1].tax), (1, 3));
        // Just below half-way rounds down: 0.499 × 1 = 0.499 → 0; 124 × 2 % = 2.48 → 2.
        let (items, _) = priced(&[line("0.499", 1, 0), line("1", 124, 200)]);
        assert_eq!((items[0].subtotal, items[1].tax), (0, 2));
        // Tax is computed on the rounded subtotal: 2.5 × 0.99 = 2.475 → 2.48 (248);
        // 248 × 12.5 % = 31.0 → 31 (and not 2.475 × 12.5 % = 0.309 → 0.31).
        let (items, _) = priced(&[line("2.5", 99, 1250)]);
        assert_eq!((items[0].subtotal, items[0].tax), (248, 31));
        // Document totals are sums of rounded lines, not rounded sums: 3 × (0.333 × 1 → 0).
        let (_, t) = priced(&[
            line("0.333", 1, 0),
            line("0.333", 1, 0),
            line("0.333", 1, 0),
        ]);
        assert_eq!(t, (0, 0, 0));
        // 18 % of 1250.50 USD.
        let (_, t) = priced(&[line("1", 125_050, 1800)]);
        assert_eq!(t, (125_050, 22_509, 147_559));
    }

    #[test]
    fn quantities_are_strings_or_numbers_with_three_decimals_at_most() {
        let json = r#"{"description":"x","quantity":1.5,"unit_price":333,"tax_rate":1800}"#;
        let item: QuotationItemInput = serde_json::from_str(json).unwrap();
        assert_eq!(item.quantity.quantity().unwrap().thousandths(), 1500);
        let json = r#"{"description":"x","quantity":"0.125","unit_price":1}"#;
        let item: QuotationItemInput = serde_json::from_str(json).unwrap();
        assert_eq!(item.quantity.quantity().unwrap().thousandths(), 125);
        let json = r#"{"description":"x","quantity":2,"unit_price":1}"#;
        let item: QuotationItemInput = serde_json::from_str(json).unwrap();
        assert_eq!(item.quantity.quantity().unwrap().thousandths(), 2000);
        // Computed fields are not accepted.
        let json = r#"{"description":"x","quantity":2,"unit_price":1,"subtotal":2}"#;
        assert!(serde_json::from_str::<QuotationItemInput>(json).is_err());
        let json = r#"{"client_id":"0190c0d8-0000-7000-8000-000000000001","currency":"USD","items":[],"total":5}"#;
        assert!(serde_json::from_str::<QuotationInput>(json).is_err());
        let json = r#"{"client_id":"0190c0d8-0000-7000-8000-000000000001","currency":"USD","items":[],"number":"Q-1"}"#;
        assert!(serde_json::from_str::<QuotationInput>(json).is_err());

        let fields: Vec<(String, String)> = item_errors(&[
            line("1.2345", 1, 0),
            line("0", 1, 0),
            line("1", -1, 10_001),
            QuotationItemInput {
                description: " ".into(),
                quantity: DecimalInput::Number(serde_json::Number::from(1)),
                unit_price: 1,
                tax_rate: 0,
            },
        ])
        .into_iter()
        .map(|e| (e.field, e.code))
        .collect();
        let expect = [
            ("items[0].quantity", "invalid"),
            ("items[1].quantity", "out_of_range"),
            ("items[2].unit_price", "out_of_range"),
            ("items[2].tax_rate", "out_of_range"),
            ("items[3].description", "required"),
        ];
        assert_eq!(fields, expect.map(|(a, b)| (a.to_string(), b.to_string())));
        assert_eq!(item_errors(&[])[0].field, "items");
        // Item amounts serialize with the quantity as a decimal string.
        let (items, _) = priced(&[line("1.500", 100, 0)]);
        let v = serde_json::to_value(&items[0]).unwrap();
        assert_eq!(v["quantity"], "1.5");
    }

    #[tokio::test]
    async fn creation_numbers_the_quotation_in_its_transaction_and_prices_it() {
        let mut env = Env::new();
        let a = actor(ORG, RW);
        let c = client(ORG, a.user_id);
        let cid = c.id;
        env.clients
            .expect_get()
            .returning(move |_, _| Ok(c.clone()));
        // First use of the counter: the row is created outside the transaction, then taken.
        let mut seq = mockall::Sequence::new();
        env.counters
            .expect_next()
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, _, _, _| Err(StoreError::NotFound));
        env.counters
            .expect_ensure()
            .withf(|o, k, y| *o == ORG && k == "quotation" && *y == 2026)
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, _, _| Ok(()));
        env.counters
            .expect_next()
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, _, _, _| Ok(7));
        env.quotations
            .expect_create()
            .withf(|_, q| {
                q.number == "Q-2026-0007" && q.total == 590 && q.status == QuotationStatus::Draft
            })
            .times(1)
            .returning(|_, _| Ok(()));
        let (ports, probe) = env.build();
        let svc = QuotationService::new(ports);
        let q = svc
            .create(
                &a,
                QuotationInput {
                    client_id: cid,
                    deal_id: None,
                    issue_date: Some("2026-03-01".into()),
                    valid_until: None,
                    currency: "USD".into(),
                    items: vec![line("1.5", 333, 1800)],
                    owner_id: None,
                },
            )
            .await
            .unwrap();
        assert_eq!(q.valid_until.to_string(), "2026-03-31");
        assert_eq!((q.subtotal, q.tax_total, q.total), (500, 90, 590));
        assert_eq!(probe.begins(), 2);
        assert!(probe.committed());
    }

    #[tokio::test]
    async fn the_state_machine_refuses_illegal_moves_with_409() {
        let mut env = Env::new();
        let a = actor(ORG, RW);
        let draft = quotation(ORG, a.user_id, QuotationStatus::Draft, today());
        let sent = quotation(ORG, a.user_id, QuotationStatus::Sent, today());
        let accepted = quotation(ORG, a.user_id, QuotationStatus::Accepted, today());
        let all = [draft.clone(), sent.clone(), accepted.clone()];
        env.quotations
            .expect_get_for_update()
            .returning(move |_, _, id| {
                all.iter()
                    .find(|q| q.id == id)
                    .cloned()
                    .ok_or(StoreError::NotFound)
            });
        env.quotations
            .expect_update()
            .times(2)
            .returning(|_, _, _| Ok(()));
        let (ports, probe) = env.build();
        let svc = QuotationService::new(ports);
        let code = |r: Result<Quotation, DomainError>| match r {
            Err(DomainError::Conflict { code, .. }) => code,
            other => panic!("expected 409, got {other:?}"),
        };
        assert_eq!(
            code(svc.accept(&a, draft.id, None).await),
            "quotation-status"
        );
        assert_eq!(
            code(svc.reject(&a, draft.id, None).await),
            "quotation-status"
        );
        assert_eq!(code(svc.send(&a, sent.id, None).await), "quotation-status");
        assert_eq!(
            code(svc.send(&a, accepted.id, None).await),
            "quotation-status"
        );
        assert_eq!(
            code(svc.reject(&a, accepted.id, None).await),
            "quotation-status"
        );
        let patch = QuotationPatch {
            currency: Some("EUR".into()),
            ..Default::default()
        };
        assert_eq!(
            code(svc.update(&a, sent.id, None, patch).await),
            "quotation-not-draft"
        );
        assert_eq!(svc.delete(&a, accepted.id).await, Err(not_draft()));
        assert_eq!(
            svc.send(&a, draft.id, Some(1)).await.unwrap().status,
            QuotationStatus::Sent
        );
        assert_eq!(
            svc.accept(&a, sent.id, Some(1)).await.unwrap().status,
            QuotationStatus::Accepted
        );
        let actions: Vec<_> = probe.audit().iter().map(|e| e.action).collect();
        assert_eq!(actions, ["sent", "accepted"]);
        assert_eq!(
            svc.send(&a, draft.id, Some(9)).await,
            Err(DomainError::Stale)
        );
    }

    #[tokio::test]
    async fn a_sent_quotation_past_valid_until_reads_expired_and_cannot_be_accepted() {
        let mut env = Env::new();
        let a = actor(ORG, RW);
        let yesterday = today() - Duration::days(1);
        let sent = quotation(ORG, a.user_id, QuotationStatus::Sent, yesterday);
        let late_draft = quotation(ORG, a.user_id, QuotationStatus::Draft, yesterday);
        let all = [sent.clone(), late_draft.clone()];
        let locked = all.clone();
        env.quotations.expect_get().returning(move |_, id| {
            all.iter()
                .find(|q| q.id == id)
                .cloned()
                .ok_or(StoreError::NotFound)
        });
        env.quotations
            .expect_get_for_update()
            .returning(move |_, _, id| {
                locked
                    .iter()
                    .find(|q| q.id == id)
                    .cloned()
                    .ok_or(StoreError::NotFound)
            });
        let (ports, probe) = env.build();
        let svc = QuotationService::new(ports);
        assert_eq!(
            svc.get(&a, sent.id).await.unwrap().status,
            QuotationStatus::Expired
        );
        for r in [
            svc.accept(&a, sent.id, None).await,
            svc.reject(&a, sent.id, None).await,
            svc.send(&a, late_draft.id, None).await,
        ] {
            assert!(
                matches!(
                    r,
                    Err(DomainError::Conflict {
                        code: "quotation-expired",
                        ..
                    })
                ),
                "{r:?}"
            );
        }
        // A draft does not expire; it stays editable.
        assert_eq!(
            svc.get(&a, late_draft.id).await.unwrap().status,
            QuotationStatus::Draft
        );
        // Valid on its last day.
        let on_time = quotation(ORG, a.user_id, QuotationStatus::Sent, today());
        assert_eq!(on_time.status_on(today()), QuotationStatus::Sent);
        assert!(!probe.committed());
        assert!(probe.audit().is_empty());
    }

    #[tokio::test]
    async fn own_scope_sees_only_own_quotations() {
        let mut env = Env::new();
        let a = actor(ORG, &["quotations:read:own", "quotations:write:own"]);
        let theirs = quotation(ORG, UserId::new(), QuotationStatus::Draft, today());
        let id = theirs.id;
        let stored = theirs.clone();
        env.quotations
            .expect_get()
            .returning(move |_, _| Ok(stored.clone()));
        env.quotations
            .expect_get_for_update()
            .returning(move |_, _, _| Ok(theirs.clone()));
        let uid = a.user_id;
        env.quotations
            .expect_list()
            .withf(move |_, _, o, _| *o == Some(uid))
            .returning(|_, _, _, _| {
                Ok(Page {
                    data: vec![],
                    next_cursor: None,
                    total: None,
                })
            });
        let (ports, _) = env.build();
        let svc = QuotationService::new(ports);
        assert_eq!(svc.get(&a, id).await, Err(DomainError::NotFound));
        assert_eq!(svc.send(&a, id, None).await, Err(DomainError::NotFound));
        let q = ListQuery::parse(&QUOTATION_LIST_SPEC, &[]).unwrap();
        svc.list(&a, &q).await.unwrap();
    }

    #[tokio::test]
    async fn a_deal_of_another_client_is_refused() {
        let mut env = Env::new();
        let a = actor(ORG, RW);
        let c = client(ORG, a.user_id);
        let cid = c.id;
        env.clients
            .expect_get()
            .returning(move |_, _| Ok(c.clone()));
        let p = pipeline(ORG, true);
        let mut d = deal(ORG, a.user_id, &p);
        d.client_id = Some(ClientId::new());
        let did = d.id;
        env.deals.expect_get().returning(move |_, _| Ok(d.clone()));
        let (ports, _) = env.build();
        let svc = QuotationService::new(ports);
        let input = QuotationInput {
            client_id: cid,
            deal_id: Some(did),
            issue_date: Some("2026-03-10".into()),
            valid_until: Some("2026-03-09".into()),
            currency: "USD".into(),
            items: vec![line("1", 100, 0)],
            owner_id: None,
        };
        let Err(DomainError::Invalid(e)) = svc.create(&a, input).await else {
            panic!("expected 422")
        };
        let fields: Vec<_> = e
            .iter()
            .map(|f| (f.field.as_str(), f.code.as_str()))
            .collect();
        assert_eq!(
            fields,
            [("valid_until", "out_of_range"), ("deal_id", "mismatch")]
        );
    }
}
