//! `/offers`: the offer made to the candidate of an application, and its life.
//!
//! | action     | from          | to          |
//! |------------|---------------|-------------|
//! | `send`     | `draft`       | `sent`      |
//! | `accept`   | `sent`        | `accepted`  |
//! | `decline`  | `sent`        | `declined`  |
//! | `withdraw` | `draft`, `sent` | `withdrawn` |
//!
//! Any other action is `409 offer-status` naming the status. `expired` is never stored: a
//! `sent` offer whose `expires_on` is before the organization's today reads `expired` (in
//! the record, in the `status` filter and sort), and then takes only `withdraw`; sending an
//! offer whose `expires_on` has passed is `409 offer-expired`. Only a `draft` is edited or
//! deleted (`409 offer-not-draft`). Each action stamps `sent_at` or `decided_at` and is its
//! own event (`offer.sent`, `offer.accepted`, …). An offer does not move its application:
//! the stage moves by `/move`, the hire by `/hire`.

use crate::ports::HrPorts;
use crate::recruitment::applications::{ApplicationId, closed};
use crate::requirements::{OffersDelete, OffersRead, OffersWrite};
use chrono::{DateTime, NaiveDate, Utc};
use crm_domain::kernel::input::{Errors, not_found, text};
use crm_domain::kernel::pagination::{FieldKind, FieldSpec, ListQuery, ListSpec, Page};
use crm_domain::kernel::records::{Crud, Record as _};
use crm_domain::kernel::rules::nullable;
use crm_domain::kernel::scope::require_all;
use crm_domain::kernel::values::{amount, currency, optional_date};
use crm_domain::{Actor, Currency, DomainError, OrganizationId, StoreError};
use serde::{Deserialize, Serialize};

crm_domain::typed_id!(
    /// An offer of employment.
    OfferId
);

crm_domain::name_enum!(
    /// Where an offer stands. `expired` is read, never stored: a `sent` offer past its
    /// `expires_on`.
    OfferStatus, "status" {
        Draft => "draft",
        Sent => "sent",
        Accepted => "accepted",
        Declined => "declined",
        Expired => "expired",
        Withdrawn => "withdrawn",
    }
);

/// What is done to an offer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OfferAction {
    Send,
    Accept,
    Decline,
    Withdraw,
}

impl OfferAction {
    /// The audit action, and the verb of its event (`offer.<verb>`).
    pub fn verb(self) -> &'static str {
        match self {
            Self::Send => "sent",
            Self::Accept => "accepted",
            Self::Decline => "declined",
            Self::Withdraw => "withdrawn",
        }
    }
}

/// The status `action` leads to from `status` (as read, `expired` included), or `409
/// offer-status`.
pub fn transition(status: OfferStatus, action: OfferAction) -> Result<OfferStatus, DomainError> {
    use OfferAction::*;
    use OfferStatus::*;
    match (status, action) {
        (Draft, Send) => Ok(Sent),
        (Sent, Accept) => Ok(Accepted),
        (Sent, Decline) => Ok(Declined),
        (Draft | Sent | Expired, Withdraw) => Ok(Withdrawn),
        (status, action) => Err(DomainError::conflict(
            "offer-status",
            format!("a {status} offer cannot be {}", action.verb()),
        )),
    }
}

/// The status as read on `today`: a `sent` offer past its `expires_on` is `expired`.
pub fn status_on(
    stored: OfferStatus,
    expires_on: Option<NaiveDate>,
    today: NaiveDate,
) -> OfferStatus {
    match (stored, expires_on) {
        (OfferStatus::Sent, Some(d)) if d < today => OfferStatus::Expired,
        (s, _) => s,
    }
}

/// An offer of employment to the candidate of an application.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "id": "019cd1a0-5000-7e3f-9a11-223344556677",
    "organization_id": "019bb138-1000-71a5-8da4-f9fc3c6da5d7",
    "application_id": "019cd1a0-3000-7c1e-9b2a-6f0d7c1e2a31",
    "salary_amount": 7200000,
    "salary_currency": "EUR",
    "start_date": "2026-05-01",
    "expires_on": "2026-03-20",
    "status": "sent",
    "sent_at": "2026-03-12T09:00:00.000000Z",
    "decided_at": null,
    "created_at": "2026-03-11T09:00:00.000000Z",
    "updated_at": "2026-03-12T09:00:00.000000Z",
    "version": 2
})))]
pub struct Offer {
    pub id: OfferId,
    pub organization_id: OrganizationId,
    pub application_id: ApplicationId,
    /// Minor units of `salary_currency` (a yearly amount, say, as the organization writes it).
    pub salary_amount: i64,
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "EUR"))]
    pub salary_currency: Currency,
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub start_date: Option<NaiveDate>,
    /// The last day it may be accepted.
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub expires_on: Option<NaiveDate>,
    /// As read on the organization's today (`expired` is a `sent` offer past `expires_on`).
    pub status: OfferStatus,
    pub sent_at: Option<DateTime<Utc>>,
    /// When it was accepted, declined or withdrawn.
    pub decided_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

// The scope of a list is the day its `status` is read on.
crm_domain::record!(Offer, OfferId, "offer", scope: NaiveDate);

impl Offer {
    /// Itself with `status` as read on `today`.
    pub fn on(self, today: NaiveDate) -> Self {
        Self {
            status: status_on(self.status, self.expires_on, today),
            ..self
        }
    }
}

const STATUSES: &[&str] = &[
    "draft",
    "sent",
    "accepted",
    "declined",
    "expired",
    "withdrawn",
];

const OFFER_FIELDS: &[FieldSpec] = &[
    FieldSpec::new("created_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("updated_at", FieldKind::Timestamp).sort(),
    FieldSpec::new("application_id", FieldKind::Uuid).filter(),
    FieldSpec::new("status", FieldKind::Text)
        .filter()
        .sort()
        .one_of(STATUSES)
        .doc("As read today: `expired` is a sent offer past its `expires_on`"),
    FieldSpec::new("salary_amount", FieldKind::Integer)
        .range()
        .sort(),
    FieldSpec::new("salary_currency", FieldKind::Text).filter(),
    FieldSpec::new("start_date", FieldKind::Date)
        .range()
        .sort()
        .nullable(),
    FieldSpec::new("expires_on", FieldKind::Date)
        .range()
        .sort()
        .nullable(),
];

/// `GET /offers`: newest first; filters `application_id`, `status` (as read today),
/// `salary_currency`; ranges of salary, start and expiry. No text to search.
pub const OFFER_LIST_SPEC: ListSpec = ListSpec {
    fields: OFFER_FIELDS,
    default_sort: "-created_at",
    searchable: false,
};

/// `POST /offers`: a `draft`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "application_id": "019cd1a0-3000-7c1e-9b2a-6f0d7c1e2a31",
    "salary_amount": 7200000,
    "salary_currency": "EUR",
    "start_date": "2026-05-01",
    "expires_on": "2026-03-20"
})))]
pub struct OfferInput {
    /// An application that is not in a final stage (`409 application-closed`).
    pub application_id: ApplicationId,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::int_range::<0, { crm_domain::kernel::values::MAX_AMOUNT }>))]
    pub salary_amount: i64,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::currency))]
    pub salary_currency: String,
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub start_date: Option<String>,
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub expires_on: Option<String>,
}

/// `PATCH /offers/{id}` (a draft only): only the fields present change; `null` clears a date.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({"salary_amount": 7500000})))]
pub struct OfferPatch {
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_int_range::<0, { crm_domain::kernel::values::MAX_AMOUNT }>))]
    pub salary_amount: Option<i64>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::currency_or_null))]
    pub salary_currency: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub start_date: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub expires_on: Option<Option<String>>,
}

fn not_draft(status: OfferStatus) -> DomainError {
    DomainError::conflict(
        "offer-not-draft",
        format!("the offer is {status}: only a draft is changed or deleted"),
    )
}

/// Offers: CRUD of drafts and their actions.
#[derive(Clone)]
pub struct OfferService {
    p: HrPorts,
}

impl OfferService {
    pub fn new(ports: HrPorts) -> Self {
        Self { p: ports }
    }

    fn crud(&self) -> Crud<'_, Offer> {
        Crud::new(&*self.p.tx, &*self.p.offers, &*self.p.activities)
    }

    /// Needs `offers:read`; `status` as read on the organization's today.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn list(&self, actor: &Actor, query: &ListQuery) -> Result<Page<Offer>, DomainError> {
        require_all::<OffersRead>(actor)?;
        let org = actor.organization_id;
        let today = self.p.today(org).await?;
        let page = self.p.offers.list(org, query, today).await?;
        Ok(Page {
            data: page.data.into_iter().map(|o| o.on(today)).collect(),
            ..page
        })
    }

    /// Needs `offers:read`; `404` when missing or of another organization.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn get(&self, actor: &Actor, id: OfferId) -> Result<Offer, DomainError> {
        require_all::<OffersRead>(actor)?;
        let org = actor.organization_id;
        let offer = self.p.offers.get(org, id).await?;
        Ok(offer.on(self.p.today(org).await?))
    }

    /// Needs `offers:write`. A `draft` for an application of the organization (`422`) that
    /// is not in a final stage (`409 application-closed`, read under its lock).
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn create(&self, actor: &Actor, input: OfferInput) -> Result<Offer, DomainError> {
        require_all::<OffersWrite>(actor)?;
        let org = actor.organization_id;
        let mut errors = Errors::new();
        let now = self.p.now();
        let offer = Offer {
            id: OfferId::new(),
            organization_id: org,
            application_id: input.application_id,
            salary_amount: errors.value("salary_amount", amount(input.salary_amount)),
            salary_currency: errors.value("salary_currency", currency(&input.salary_currency)),
            start_date: errors.value("start_date", optional_date(input.start_date.as_deref())),
            expires_on: errors.value("expires_on", optional_date(input.expires_on.as_deref())),
            status: OfferStatus::Draft,
            sent_at: None,
            decided_at: None,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        let mut tx = self.p.tx.begin().await?;
        let stage = match self
            .p
            .applications
            .get_for_update(&mut tx, org, input.application_id)
            .await
        {
            Ok(a) => Some(a.stage),
            Err(StoreError::NotFound) => {
                errors.push(not_found("application_id", "application"));
                None
            }
            Err(e) => return Err(e.into()),
        };
        errors.finish()?;
        if let Some(stage) = stage.filter(|s| s.is_final()) {
            return Err(closed(stage));
        }
        let offer = self.crud().create_in(actor, tx, offer).await?;
        Ok(offer.on(self.p.today(org).await?))
    }

    /// Needs `offers:write`; a `draft` only (`409 offer-not-draft`). `412` on a stale
    /// `If-Match`; `422` per bad field.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn update(
        &self,
        actor: &Actor,
        id: OfferId,
        expected_version: Option<i64>,
        patch: OfferPatch,
    ) -> Result<Offer, DomainError> {
        require_all::<OffersWrite>(actor)?;
        let p = &patch;
        let mut tx = self.p.tx.begin().await?;
        let current = self
            .crud()
            .locked(&mut tx, actor, id, expected_version, Ok)
            .await?;
        let mut errors = Errors::new();
        let mut next = current.clone();
        errors.patch(
            "salary_amount",
            &mut next.salary_amount,
            p.salary_amount.map(amount),
        );
        errors.patch(
            "salary_currency",
            &mut next.salary_currency,
            p.salary_currency.as_deref().map(currency),
        );
        errors.patch(
            "start_date",
            &mut next.start_date,
            text(&p.start_date, optional_date),
        );
        errors.patch(
            "expires_on",
            &mut next.expires_on,
            text(&p.expires_on, optional_date),
        );
        errors.finish()?;
        if current.status != OfferStatus::Draft {
            let today = self.p.today(actor.organization_id).await?;
            return Err(not_draft(current.on(today).status));
        }
        let saved = self
            .crud()
            .save(actor, tx, current, next, self.p.now())
            .await?;
        Ok(saved.on(self.p.today(actor.organization_id).await?))
    }

    /// Needs `offers:delete`; a `draft` only (`409 offer-not-draft`).
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn delete(&self, actor: &Actor, id: OfferId) -> Result<(), DomainError> {
        require_all::<OffersDelete>(actor)?;
        self.crud()
            .delete(actor, id, |o| {
                if o.status == OfferStatus::Draft {
                    Ok(o)
                } else {
                    Err(not_draft(o.status))
                }
            })
            .await
    }

    /// Needs `offers:write`: `action` by the table of the module docs, on the offer as read
    /// under its lock on the organization's today. `412` on a stale `If-Match`.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn act(
        &self,
        actor: &Actor,
        id: OfferId,
        expected_version: Option<i64>,
        action: OfferAction,
    ) -> Result<Offer, DomainError> {
        require_all::<OffersWrite>(actor)?;
        let org = actor.organization_id;
        let today = self.p.today(org).await?;
        let mut tx = self.p.tx.begin().await?;
        let current = self
            .crud()
            .locked(&mut tx, actor, id, expected_version, Ok)
            .await?;
        let status = transition(current.clone().on(today).status, action)?;
        if action == OfferAction::Send && current.expires_on.is_some_and(|d| d < today) {
            return Err(DomainError::conflict(
                "offer-expired",
                "the offer's expires_on has passed: change it before sending",
            ));
        }
        let now = self.p.now();
        let mut next = Offer {
            status,
            ..current.clone()
        };
        if action == OfferAction::Send {
            next.sent_at = Some(now);
        } else {
            next.decided_at = Some(now);
        }
        let next = next.touched(now);
        let saved = self
            .crud()
            .change(actor, tx, action.verb(), &current, next, None)
            .await?;
        Ok(saved.on(today))
    }

    pub async fn send(
        &self,
        actor: &Actor,
        id: OfferId,
        expected_version: Option<i64>,
    ) -> Result<Offer, DomainError> {
        self.act(actor, id, expected_version, OfferAction::Send)
            .await
    }

    pub async fn accept(
        &self,
        actor: &Actor,
        id: OfferId,
        expected_version: Option<i64>,
    ) -> Result<Offer, DomainError> {
        self.act(actor, id, expected_version, OfferAction::Accept)
            .await
    }

    pub async fn decline(
        &self,
        actor: &Actor,
        id: OfferId,
        expected_version: Option<i64>,
    ) -> Result<Offer, DomainError> {
        self.act(actor, id, expected_version, OfferAction::Decline)
            .await
    }

    pub async fn withdraw(
        &self,
        actor: &Actor,
        id: OfferId,
        expected_version: Option<i64>,
    ) -> Result<Offer, DomainError> {
        self.act(actor, id, expected_version, OfferAction::Withdraw)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use OfferAction::*;
    use OfferStatus::*;

    #[test]
    fn the_transition_table() {
        let actions = [Send, Accept, Decline, Withdraw];
        let legal = [
            (Draft, Send, Sent),
            (Sent, Accept, Accepted),
            (Sent, Decline, Declined),
            (Draft, Withdraw, Withdrawn),
            (Sent, Withdraw, Withdrawn),
            (Expired, Withdraw, Withdrawn),
        ];
        for from in OfferStatus::ALL {
            for action in actions {
                let expected = legal
                    .iter()
                    .find(|(f, a, _)| f == from && *a == action)
                    .map(|(_, _, to)| *to);
                match (transition(*from, action), expected) {
                    (Ok(to), Some(e)) => assert_eq!(to, e),
                    (Err(DomainError::Conflict { code, .. }), None) => {
                        assert_eq!(code, "offer-status")
                    }
                    (got, want) => panic!("{from} {action:?}: {got:?}, expected {want:?}"),
                }
            }
        }
    }

    #[test]
    fn a_sent_offer_past_its_expiry_reads_expired() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let today = d("2026-03-10");
        assert_eq!(status_on(Sent, Some(d("2026-03-09")), today), Expired);
        assert_eq!(status_on(Sent, Some(d("2026-03-10")), today), Sent);
        assert_eq!(status_on(Sent, None, today), Sent);
        assert_eq!(status_on(Draft, Some(d("2026-03-01")), today), Draft);
        assert_eq!(status_on(Accepted, Some(d("2026-03-01")), today), Accepted);
    }

    #[test]
    fn listed_names_match_the_enum() {
        assert_eq!(OfferStatus::ALL.len(), STATUSES.len());
        for (s, name) in OfferStatus::ALL.iter().zip(STATUSES) {
            assert_eq!(s.as_str(), *name);
        }
    }
}
