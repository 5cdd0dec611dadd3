//! `/quotations` and `POST /quotations/{id}/send|accept|reject`.

use super::model::{
    DEFAULT_VALIDITY_DAYS, QUOTATION_COUNTER, Quotation, QuotationId, QuotationInput,
    QuotationPatch, QuotationStatus,
};
use crate::SalesPorts;
use crate::common::{currency, date};
use crate::deals::deal_of_client;
use crate::requirements::{QuotationsDelete, QuotationsRead, QuotationsWrite};
use chrono::{Datelike, Duration, NaiveDate};
use crm_domain::activity::{NewActivity, audit};
use crm_domain::kernel::input::Errors;
use crm_domain::kernel::lines::{price_items, sums};
use crm_domain::kernel::pagination::{ListQuery, Page};
use crm_domain::kernel::rules::check_version;
use crm_domain::kernel::scope::{in_scope, owner_filter, require};
use crm_domain::{Actor, DomainError, Scope, Txn};

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
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn list(
        &self,
        actor: &Actor,
        query: &ListQuery,
    ) -> Result<Page<Quotation>, DomainError> {
        let owner = owner_filter(actor, require::<QuotationsRead>(actor)?);
        let today = self.p.today();
        let page = self
            .p
            .quotations
            .list(actor.organization_id, query, owner, today)
            .await?;
        Ok(page.map(|q| q.as_of(today)))
    }

    /// Needs `quotations:read`; `404` when missing, of another organization or outside
    /// `:own`. A sent quotation past `valid_until` reads as `expired`.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn get(&self, actor: &Actor, id: QuotationId) -> Result<Quotation, DomainError> {
        let scope = require::<QuotationsRead>(actor)?;
        let q = self.p.quotations.get(actor.organization_id, id).await?;
        Ok(in_scope(actor, scope, q)?.as_of(self.p.today()))
    }

    /// The stored quotation `id` (status not adjusted for expiry) within the caller's
    /// `scope`, read and locked inside `tx` (see the port's `get_for_update`).
    async fn locked(
        &self,
        tx: &mut Txn,
        actor: &Actor,
        scope: Scope,
        id: QuotationId,
    ) -> Result<Quotation, DomainError> {
        let q = self
            .p
            .quotations
            .get_for_update(tx, actor.organization_id, id)
            .await?;
        in_scope(actor, scope, q)
    }

    /// Needs `quotations:write`. Prices the lines (quantity × unit price, then tax, each
    /// rounded half away from zero; totals are sums of lines), takes the next gap-free number
    /// of the organization and issue year in the creating transaction, and starts as
    /// `draft`. `422` per bad field (`items[i].quantity`, …; a client the caller cannot see
    /// or a deal of another client are `client_id` / `deal_id`).
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn create(
        &self,
        actor: &Actor,
        input: QuotationInput,
    ) -> Result<Quotation, DomainError> {
        let scope = require::<QuotationsWrite>(actor)?;
        let org = actor.organization_id;
        let mut errors = Errors::new();
        let today = self.p.today();
        let issue_date = errors.value(
            "issue_date",
            input.issue_date.as_deref().map_or(Ok(today), date),
        );
        let valid_until = match input.valid_until.as_deref() {
            Some(d) => errors.value("valid_until", date(d)),
            None => issue_date + Duration::days(DEFAULT_VALIDITY_DAYS),
        };
        // Compared only when both dates parsed.
        if errors.is_empty() {
            validity(issue_date, valid_until, &mut errors);
        }
        let currency = errors.value("currency", currency(&input.currency));
        let items = price_items(&input.items, true, &mut errors);
        self.p
            .visible_client(actor, input.client_id, "client_id", &mut errors)
            .await?;
        if let Some(d) = input.deal_id {
            let found = self.p.deals.get(org, d).await;
            deal_of_client(found, input.client_id, &mut errors)?;
        }
        let owner_id = input.owner_id.unwrap_or(actor.user_id);
        self.p
            .check_owner::<QuotationsWrite>(actor, scope, owner_id, &mut errors)
            .await?;
        let (subtotal, tax_total, total) = errors.value("items", sums(&items));
        errors.finish()?;
        let year = issue_date.year();
        let (mut tx, n) = crm_domain::kernel::numbering::begin_numbered(
            &*self.p.tx,
            &*self.p.counters,
            org,
            QUOTATION_COUNTER,
            year,
        )
        .await?;
        let now = self.p.now();
        let quotation = Quotation {
            id: QuotationId::new(),
            organization_id: org,
            client_id: input.client_id,
            deal_id: input.deal_id,
            owner_id,
            number: Quotation::format_number(year, n),
            issue_date,
            valid_until,
            currency,
            items,
            subtotal,
            tax_total,
            total,
            status: QuotationStatus::Draft,
            legacy_id: None,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        self.p.quotations.create(&mut tx, &quotation).await?;
        self.p
            .record(&mut tx, audit::created(actor, &quotation))
            .await?;
        tx.commit().await?;
        Ok(quotation)
    }

    /// Needs `quotations:write` (`:own`: only the caller's, `404` for others). Drafts only
    /// (`409 quotation-not-draft`); `412` on a stale version; `422` per bad field. Changed
    /// lines are priced again; the number stays.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn update(
        &self,
        actor: &Actor,
        id: QuotationId,
        expected_version: Option<i64>,
        patch: QuotationPatch,
    ) -> Result<Quotation, DomainError> {
        let scope = require::<QuotationsWrite>(actor)?;
        let org = actor.organization_id;
        // What the patch names is looked up before the transaction, on the pool (a read that
        // waited for a second connection while holding the transaction's could exhaust it).
        let mut errors = Errors::new();
        let mut client_errors = Errors::new();
        if let Some(c) = patch.client_id {
            self.p
                .visible_client(actor, c, "client_id", &mut client_errors)
                .await?;
        }
        if let Some(owner) = patch.owner_id {
            self.p
                .check_owner::<QuotationsWrite>(actor, scope, owner, &mut errors)
                .await?;
        }
        let mut tx = self.p.tx.begin().await?;
        let current = self.locked(&mut tx, actor, scope, id).await?;
        check_version(expected_version, current.version)?;
        if current.status != QuotationStatus::Draft {
            return Err(not_draft());
        }
        let mut next = current.clone();
        let p = &patch;
        let issue = p.issue_date.as_deref().map(date);
        errors.patch("issue_date", &mut next.issue_date, issue);
        let until = p.valid_until.as_deref().map(date);
        errors.patch("valid_until", &mut next.valid_until, until);
        if p.issue_date.is_some() || p.valid_until.is_some() {
            validity(next.issue_date, next.valid_until, &mut errors);
        }
        let cur = p.currency.as_deref().map(currency);
        errors.patch("currency", &mut next.currency, cur);
        if let Some(raw) = &p.items {
            next.items = price_items(raw, true, &mut errors);
            (next.subtotal, next.tax_total, next.total) = errors.value("items", sums(&next.items));
        }
        if let Some(c) = p.client_id
            && c != current.client_id
        {
            next.client_id = c;
            errors.extend(client_errors);
        }
        next.deal_id = p.deal_id.unwrap_or(next.deal_id);
        if let Some(d) = next.deal_id
            && (next.deal_id != current.deal_id || next.client_id != current.client_id)
        {
            // Read on this transaction, and held: the deal's client cannot change meanwhile.
            let found = self.p.deals.get_for_update(&mut tx, org, d).await;
            deal_of_client(found, next.client_id, &mut errors)?;
        }
        next.owner_id = p.owner_id.unwrap_or(next.owner_id);
        errors.finish()?;
        if next == current {
            return Ok(current);
        }
        let next = Quotation {
            updated_at: self.p.now(),
            version: current.version + 1,
            ..next
        };
        let entry = audit::updated(actor, &current, &next);
        self.store(tx, &current, &next, entry).await?;
        Ok(next)
    }

    /// Writes `next` over `current` (read and locked in `tx`) with its audit entry, and commits.
    async fn store(
        &self,
        mut tx: Txn,
        current: &Quotation,
        next: &Quotation,
        entry: NewActivity,
    ) -> Result<(), DomainError> {
        self.p
            .quotations
            .update(&mut tx, next, current.version)
            .await?;
        self.p.record(&mut tx, entry).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Needs `quotations:delete` (`:own`: only the caller's). Drafts only (`409
    /// quotation-not-draft`); the number is not reused.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn delete(&self, actor: &Actor, id: QuotationId) -> Result<(), DomainError> {
        let scope = require::<QuotationsDelete>(actor)?;
        let mut tx = self.p.tx.begin().await?;
        let current = self.locked(&mut tx, actor, scope, id).await?;
        if current.status != QuotationStatus::Draft {
            return Err(not_draft());
        }
        self.p
            .quotations
            .delete(&mut tx, actor.organization_id, id)
            .await?;
        self.p
            .record(&mut tx, audit::deleted(actor, &current))
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// `draft → sent`. `409 quotation-status` from any other state, `409 quotation-expired`
    /// when `valid_until` has already passed (edit it first).
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
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
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
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
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
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
        let scope = require::<QuotationsWrite>(actor)?;
        let mut tx = self.p.tx.begin().await?;
        // A concurrent transition waits here, then sees its outcome: 409, never 412.
        let current = self.locked(&mut tx, actor, scope, id).await?;
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
        let entry = audit::changed(actor, action, &current, &next);
        self.store(tx, &current, &next, entry).await?;
        Ok(next)
    }
}

/// `valid_until` must not come before the issue date.
fn validity(issue: NaiveDate, valid_until: NaiveDate, errors: &mut Errors) {
    if valid_until < issue {
        errors.add(
            "valid_until",
            "out_of_range",
            "valid_until must not be before issue_date",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quotations::QUOTATION_LIST_SPEC;
    use crate::test_support::*;
    use crm_domain::StoreError;
    use crm_domain::UserId;
    use crm_domain::kernel::lines::LineItemInput;

    const RW: &[&str] = &[
        "quotations:read",
        "quotations:write",
        "quotations:delete",
        "clients:read",
    ];

    fn line(q: &str, price: i64, rate: i64) -> LineItemInput {
        LineItemInput {
            description: "Work".into(),
            quantity: q.into(),
            unit_price: price,
            tax_rate: rate,
        }
    }

    #[test]
    fn computed_fields_are_not_accepted() {
        let json = r#"{"client_id":"0190c0d8-0000-7000-8000-000000000001","currency":"USD","items":[],"total":5}"#;
        assert!(serde_json::from_str::<QuotationInput>(json).is_err());
        let json = r#"{"client_id":"0190c0d8-0000-7000-8000-000000000001","currency":"USD","items":[],"number":"Q-1"}"#;
        assert!(serde_json::from_str::<QuotationInput>(json).is_err());
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
        d.client_id = Some(crm_domain::clients::ClientId::new());
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
