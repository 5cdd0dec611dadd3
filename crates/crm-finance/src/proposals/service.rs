//! `/proposals`, `POST /proposals/{id}/send|accept|decline|quotation`.

use super::model::{
    BODY_MAX, Proposal, ProposalId, ProposalInput, ProposalPatch, ProposalScope, ProposalStatus,
    SendProposalInput, TITLE_MAX,
};
use crate::FinancePorts;
use crate::requirements::{ProposalsDelete, ProposalsRead, ProposalsWrite};
use chrono::{Datelike, Duration};
use crm_domain::activity::audit;
use crm_domain::clients::ClientId;
use crm_domain::identity::EmailAddress;
use crm_domain::kernel::input::{Errors, invalid, not_found};
use crm_domain::kernel::lines::{price_items, sums};
use crm_domain::kernel::numbering::begin_numbered;
use crm_domain::kernel::pagination::{ListQuery, Page};
use crm_domain::kernel::records::{Crud, Record};
use crm_domain::kernel::references::{check_owner, visible_client};
use crm_domain::kernel::scope::{Requirement, in_scope, owner_filter, require, within};
use crm_domain::kernel::text::{optional_text, required_text};
use crm_domain::kernel::values::{currency, date};
use crm_domain::{Actor, DomainError, Scope, StoreError, Txn, ValueError};
use crm_sales::deals::{Deal, DealId};
use crm_sales::leads::LeadId;
use crm_sales::quotations::{QUOTATION_COUNTER, Quotation, QuotationId, QuotationStatus};
use crm_sales::requirements::{DealsRead, LeadsRead, QuotationsWrite};

/// A quotation made from a proposal without a `valid_until` still ahead is valid this many
/// days from its issue date (the default of `POST /quotations`).
const QUOTATION_VALIDITY_DAYS: i64 = 30;

fn title(raw: &str) -> Result<String, ValueError> {
    required_text(raw, "title", TITLE_MAX)
}

fn body(raw: Option<&str>) -> Result<Option<String>, ValueError> {
    optional_text(raw, "body", BODY_MAX, true)
}

fn not_draft(what: &str) -> DomainError {
    DomainError::conflict(
        "proposal-not-draft",
        format!("only a draft proposal can be {what}"),
    )
}

fn expired() -> DomainError {
    DomainError::conflict(
        "proposal-expired",
        "the proposal has expired (its valid_until date has passed)",
    )
}

fn bad_transition(from: ProposalStatus, to: &str) -> DomainError {
    DomainError::conflict(
        "proposal-status",
        format!("a {from} proposal cannot be {to}"),
    )
}

/// Files the one-of rule: exactly one of `lead_id` and `client_id`.
fn one_party(lead: Option<LeadId>, client: Option<ClientId>, errors: &mut Errors) {
    match (lead, client) {
        (None, None) => {
            let m = "a proposal is for a lead or a client: give lead_id or client_id";
            errors.add("client_id", "required", m);
        }
        (Some(_), Some(_)) => errors.add(
            "lead_id",
            "not_allowed",
            "a proposal is for a lead or a client, not both: give lead_id or client_id",
        ),
        _ => {}
    }
}

/// Proposals: drafts of their owner, mailing, the client's answer, quotations made of them.
#[derive(Clone)]
pub struct ProposalService {
    p: FinancePorts,
}

impl ProposalService {
    pub fn new(ports: FinancePorts) -> Self {
        Self { p: ports }
    }

    fn crud(&self) -> Crud<'_, Proposal> {
        Crud::new(&*self.p.tx, &*self.p.proposals, &*self.p.activities)
    }

    /// Needs `proposals:read`; under `:own` only the caller's. `status` reads (and filters,
    /// and sorts) as of the organization's today.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn list(
        &self,
        actor: &Actor,
        query: &ListQuery,
    ) -> Result<Page<Proposal>, DomainError> {
        let owner = owner_filter(actor, require::<ProposalsRead>(actor)?);
        let today = self.p.today(actor.organization_id).await?;
        let scope = ProposalScope { owner, today };
        let page = self
            .p
            .proposals
            .list(actor.organization_id, query, scope)
            .await?;
        Ok(page.map(|p| p.as_of(today)))
    }

    /// Needs `proposals:read`; `404` when missing, of another organization or outside `:own`.
    /// A sent proposal past `valid_until` reads as `expired`.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn get(&self, actor: &Actor, id: ProposalId) -> Result<Proposal, DomainError> {
        let scope = require::<ProposalsRead>(actor)?;
        let p = self.p.proposals.get(actor.organization_id, id).await?;
        let p = in_scope(actor, scope, p)?;
        Ok(p.as_of(self.p.today(actor.organization_id).await?))
    }

    /// `404` unless the proposal `id` is one the caller may write: what the action routes
    /// with a body check first, so another organization's proposal answers `404` whatever
    /// the body holds.
    pub async fn exists(&self, actor: &Actor, id: ProposalId) -> Result<(), DomainError> {
        let scope = require::<ProposalsWrite>(actor)?;
        let p = self.p.proposals.get(actor.organization_id, id).await?;
        in_scope(actor, scope, p)?;
        Ok(())
    }

    /// Files `lead_id` unless `id` is a lead the caller may see (`leads:read`, its own under
    /// `:own`).
    async fn visible_lead(
        &self,
        actor: &Actor,
        id: LeadId,
        errors: &mut Errors,
    ) -> Result<(), DomainError> {
        let Some(scope) = actor.scope(LeadsRead::RESOURCE, LeadsRead::ACTION) else {
            errors.push(not_found("lead_id", "lead"));
            return Ok(());
        };
        let found = self.p.leads.get(actor.organization_id, id).await;
        if let Some(l) = errors.reference("lead_id", "lead", found)?
            && !within(actor, scope, l.owner_id)
        {
            errors.push(not_found("lead_id", "lead"));
        }
        Ok(())
    }

    /// Files `deal_id` unless `id` is a deal the caller may see (`deals:read`, its own under
    /// `:own`) of the proposal's client or lead (or of none).
    async fn visible_deal(
        &self,
        actor: &Actor,
        id: DealId,
        lead: Option<LeadId>,
        client: Option<ClientId>,
        errors: &mut Errors,
    ) -> Result<(), DomainError> {
        let found = self.p.deals.get(actor.organization_id, id).await;
        self.check_deal(actor, found, lead, client, errors)
    }

    /// Needs `proposals:write` (`:own` is enough: the caller owns it unless `owner_id` says
    /// otherwise, which needs the all-records form). A draft; `currency` the organization's
    /// when absent. `422` per bad field: neither or both of `lead_id` and `client_id`, a
    /// lead, client or deal the caller cannot see, `body` over 100,000 characters, lines.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn create(
        &self,
        actor: &Actor,
        input: ProposalInput,
    ) -> Result<Proposal, DomainError> {
        let scope = require::<ProposalsWrite>(actor)?;
        let org = actor.organization_id;
        let o = self.p.organizations.get(org).await?;
        let mut errors = Errors::new();
        one_party(input.lead_id, input.client_id, &mut errors);
        let title = errors.value("title", title(&input.title));
        let body = errors.value("body", body(input.body.as_deref()));
        let currency = match input.currency.as_deref() {
            Some(c) => errors.value("currency", currency(c)),
            None => o.default_currency,
        };
        let valid_until = match input.valid_until.as_deref() {
            Some(d) => errors.take("valid_until", date(d)),
            None => None,
        };
        let items = price_items(&input.items, false, &mut errors);
        let (subtotal, tax_total, total) = errors.value("items", sums(&items));
        if let Some(l) = input.lead_id {
            self.visible_lead(actor, l, &mut errors).await?;
        }
        if let Some(c) = input.client_id {
            visible_client(&*self.p.clients, actor, c, "client_id", &mut errors).await?;
        }
        if let Some(d) = input.deal_id {
            self.visible_deal(actor, d, input.lead_id, input.client_id, &mut errors)
                .await?;
        }
        let owner_id = input.owner_id.unwrap_or(actor.user_id);
        check_owner::<ProposalsWrite>(&*self.p.users, actor, scope, owner_id, &mut errors).await?;
        errors.finish()?;
        let now = self.p.now();
        let proposal = Proposal {
            id: ProposalId::new(),
            organization_id: org,
            lead_id: input.lead_id,
            client_id: input.client_id,
            deal_id: input.deal_id,
            owner_id,
            title,
            body,
            currency,
            items,
            subtotal,
            tax_total,
            total,
            valid_until,
            status: ProposalStatus::Draft,
            sent_at: None,
            quotation_id: None,
            legacy_id: None,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        self.crud().create(actor, proposal).await
    }

    /// Needs `proposals:write` (`:own`: the caller's). Drafts only (`409
    /// proposal-not-draft`); `412` on a stale version; `422` per bad field, the one-of rule
    /// checked on the result. Changed lines are priced again.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn update(
        &self,
        actor: &Actor,
        id: ProposalId,
        expected_version: Option<i64>,
        patch: ProposalPatch,
    ) -> Result<Proposal, DomainError> {
        let scope = require::<ProposalsWrite>(actor)?;
        let p = &patch;
        // What the body names is looked up on the pool, before the transaction.
        let mut refs = Errors::new();
        if let Some(Some(l)) = p.lead_id {
            self.visible_lead(actor, l, &mut refs).await?;
        }
        if let Some(Some(c)) = p.client_id {
            visible_client(&*self.p.clients, actor, c, "client_id", &mut refs).await?;
        }
        if let Some(owner) = p.owner_id {
            check_owner::<ProposalsWrite>(&*self.p.users, actor, scope, owner, &mut refs).await?;
        }
        // The deal is checked against the parties as they will be, so it is read here too
        // (the parties of a draft change only under its lock, which this read does not need:
        // a deal's own client and lead are what is compared).
        let deal = match p.deal_id {
            Some(Some(d)) => Some(self.p.deals.get(actor.organization_id, d).await),
            _ => None,
        };
        let mut tx = self.p.tx.begin().await?;
        let current = self
            .crud()
            .locked(&mut tx, actor, id, expected_version, |r| {
                in_scope(actor, scope, r)
            })
            .await?;
        if current.status != ProposalStatus::Draft {
            return Err(not_draft("edited"));
        }
        let mut errors = Errors::new();
        let mut next = current.clone();
        if let Some(v) = p.lead_id {
            next.lead_id = v;
        }
        if let Some(v) = p.client_id {
            next.client_id = v;
        }
        one_party(next.lead_id, next.client_id, &mut errors);
        errors.extend(refs);
        errors.patch("title", &mut next.title, p.title.as_deref().map(title));
        errors.patch_nullable("body", &mut next.body, p.body.clone(), body);
        errors.patch(
            "currency",
            &mut next.currency,
            p.currency.as_deref().map(currency),
        );
        if let Some(v) = &p.valid_until {
            let parsed = v.as_deref().map(date).transpose();
            errors.patch("valid_until", &mut next.valid_until, Some(parsed));
        }
        if let Some(raw) = &p.items {
            next.items = price_items(raw, false, &mut errors);
            (next.subtotal, next.tax_total, next.total) = errors.value("items", sums(&next.items));
        }
        if let Some(v) = p.deal_id {
            next.deal_id = v;
        }
        if let Some(d) = next.deal_id
            && (next.deal_id != current.deal_id
                || next.lead_id != current.lead_id
                || next.client_id != current.client_id)
        {
            let found = match deal {
                Some(found) => found,
                // The parties changed under a deal the patch did not name: read it here.
                None => {
                    self.p
                        .deals
                        .get_for_update(&mut tx, actor.organization_id, d)
                        .await
                }
            };
            self.check_deal(actor, found, next.lead_id, next.client_id, &mut errors)?;
        }
        if let Some(owner) = p.owner_id {
            next.owner_id = owner;
        }
        errors.finish()?;
        self.crud()
            .save(actor, tx, current, next, self.p.now())
            .await
    }

    /// As [`Self::visible_deal`], on a deal already read.
    fn check_deal(
        &self,
        actor: &Actor,
        found: Result<Deal, StoreError>,
        lead: Option<LeadId>,
        client: Option<ClientId>,
        errors: &mut Errors,
    ) -> Result<(), DomainError> {
        let scope = actor.scope(DealsRead::RESOURCE, DealsRead::ACTION);
        let Some(d) = errors.reference("deal_id", "deal", found)? else {
            return Ok(());
        };
        if !scope.is_some_and(|s| within(actor, s, d.owner_id)) {
            errors.push(not_found("deal_id", "deal"));
        } else if !deal_fits(&d, lead, client) {
            errors.add(
                "deal_id",
                "mismatch",
                "the deal belongs to another client or lead",
            );
        }
        Ok(())
    }

    /// Needs `proposals:delete` (`:own`: the caller's). Drafts only (`409
    /// proposal-not-draft`).
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn delete(&self, actor: &Actor, id: ProposalId) -> Result<(), DomainError> {
        let scope = require::<ProposalsDelete>(actor)?;
        self.crud()
            .delete(actor, id, |r| {
                let r = in_scope(actor, scope, r)?;
                if r.status != ProposalStatus::Draft {
                    return Err(not_draft("deleted"));
                }
                Ok(r)
            })
            .await
    }

    /// The proposal `id` locked in `tx` within `scope` (`404` outside it), held to `If-Match`.
    async fn locked(
        &self,
        tx: &mut Txn,
        actor: &Actor,
        scope: Scope,
        id: ProposalId,
        expected_version: Option<i64>,
    ) -> Result<Proposal, DomainError> {
        self.crud()
            .locked(tx, actor, id, expected_version, |r| {
                in_scope(actor, scope, r)
            })
            .await
    }

    /// Needs `proposals:write` (`:own`: the caller's). Mails the proposal to `to`, else its
    /// client's (or lead's) email (`422 to` when there is none); `draft` or `sent` (sent
    /// again) → `sent`, `409 proposal-status` otherwise, `409 proposal-expired` once
    /// `valid_until` has passed. The mail is queued in the outbox in the transaction that
    /// records `sent_at` and the `sent` entry, so it goes out once, later if the mail server
    /// is down.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn send(
        &self,
        actor: &Actor,
        id: ProposalId,
        expected_version: Option<i64>,
        input: SendProposalInput,
    ) -> Result<Proposal, DomainError> {
        let scope = require::<ProposalsWrite>(actor)?;
        let org = actor.organization_id;
        let mut errors = Errors::new();
        let to = errors.value(
            "to",
            input
                .to
                .as_deref()
                .map_or(Ok(None), EmailAddress::parse_optional),
        );
        errors.finish()?;
        let o = self.p.organizations.get(org).await?;
        let today = crm_domain::kernel::clock::local_date(self.p.clock.now(), &o.timezone);
        let mut tx = self.p.tx.begin().await?;
        let current = self
            .locked(&mut tx, actor, scope, id, expected_version)
            .await?;
        match current.status_on(today) {
            ProposalStatus::Draft | ProposalStatus::Sent => {}
            ProposalStatus::Expired => return Err(expired()),
            other => return Err(bad_transition(other, "sent")),
        }
        if current.valid_until.is_some_and(|v| today > v) {
            return Err(expired());
        }
        // The party's address, read on this transaction.
        let to = match to {
            Some(t) => Some(t),
            None => match (current.client_id, current.lead_id) {
                (Some(c), _) => self.p.clients.get_for_update(&mut tx, org, c).await?.email,
                (None, Some(l)) => self.p.leads.get_for_update(&mut tx, org, l).await?.email,
                (None, None) => None,
            },
        };
        let Some(to) = to else {
            return Err(invalid(
                "to",
                "required",
                "the proposal's client or lead has no email address: name the recipient in `to`",
            ));
        };
        let money = |a: i64| crate::document::format_money(a, current.currency);
        let mut summary = vec![format!("Proposal: {}", current.title)];
        if !current.items.is_empty() {
            summary.push(format!("Total: {}", money(current.total)));
        }
        if let Some(d) = current.valid_until {
            summary.push(format!("Valid until: {d}"));
        }
        let mail = self.p.mail.proposal(
            to.as_str(),
            &o.name,
            &current.title,
            &summary,
            current.body.as_deref().unwrap_or_default(),
        );
        self.p.outbox.enqueue(&mut tx, Some(org), mail).await?;
        let now = self.p.now();
        let next = Proposal {
            status: ProposalStatus::Sent,
            sent_at: Some(now),
            ..current.clone()
        }
        .touched(now);
        Ok(self
            .crud()
            .change(actor, tx, "sent", &current, next, None)
            .await?
            .as_of(today))
    }

    /// Needs `proposals:write` (`:own`: the caller's). `sent → accepted`; `409
    /// proposal-expired` once `valid_until` has passed, `409 proposal-status` from any other
    /// state.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn accept(
        &self,
        actor: &Actor,
        id: ProposalId,
        expected_version: Option<i64>,
    ) -> Result<Proposal, DomainError> {
        self.decide(actor, id, expected_version, ProposalStatus::Accepted)
            .await
    }

    /// `sent → declined`, under the same rules as [`Self::accept`].
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn decline(
        &self,
        actor: &Actor,
        id: ProposalId,
        expected_version: Option<i64>,
    ) -> Result<Proposal, DomainError> {
        self.decide(actor, id, expected_version, ProposalStatus::Declined)
            .await
    }

    async fn decide(
        &self,
        actor: &Actor,
        id: ProposalId,
        expected_version: Option<i64>,
        to: ProposalStatus,
    ) -> Result<Proposal, DomainError> {
        let scope = require::<ProposalsWrite>(actor)?;
        let today = self.p.today(actor.organization_id).await?;
        let mut tx = self.p.tx.begin().await?;
        // A concurrent decision waits here, then sees its outcome: 409, never 412.
        let current = self
            .locked(&mut tx, actor, scope, id, expected_version)
            .await?;
        let (action, verb) = match to {
            ProposalStatus::Accepted => ("accepted", "accepted"),
            _ => ("declined", "declined"),
        };
        match current.status_on(today) {
            ProposalStatus::Sent => {}
            ProposalStatus::Expired => return Err(expired()),
            other => return Err(bad_transition(other, verb)),
        }
        let next = Proposal {
            status: to,
            ..current.clone()
        }
        .touched(self.p.now());
        self.crud()
            .change(actor, tx, action, &current, next, None)
            .await
    }

    /// Needs `proposals:write` (`:own`: the caller's) and `quotations:write`. `201` a draft
    /// quotation owned by the caller with the proposal's lines, currency and deal (kept when
    /// it is of the quotation's client or of none), issued today and valid until the
    /// proposal's `valid_until` when that is still ahead (else 30 days). Its client is the
    /// proposal's, or its lead's converted client (`409 proposal-lead-not-converted`
    /// otherwise). Any status but `declined` (`409 proposal-status`); once per proposal
    /// (`409 proposal-quoted` while its quotation exists); a proposal without lines is `422
    /// items`. The quotation, its entry and the proposal's `quoted` entry (with
    /// `quotation_id` set) are one transaction.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn quotation(
        &self,
        actor: &Actor,
        id: ProposalId,
        expected_version: Option<i64>,
    ) -> Result<Quotation, DomainError> {
        let scope = require::<ProposalsWrite>(actor)?;
        require::<QuotationsWrite>(actor)?;
        let org = actor.organization_id;
        let today = self.p.today(org).await?;
        // The proposal before the number: its refusals take no number.
        let seen = in_scope(actor, scope, self.p.proposals.get(org, id).await?)?;
        check_quotable(&seen)?;
        let year = today.year();
        let (mut tx, n) =
            begin_numbered(&*self.p.tx, &*self.p.counters, org, QUOTATION_COUNTER, year).await?;
        let current = self
            .locked(&mut tx, actor, scope, id, expected_version)
            .await?;
        check_quotable(&current)?;
        let client = match (current.client_id, current.lead_id) {
            (Some(c), _) => c,
            (None, Some(l)) => {
                let lead = self.p.leads.get_for_update(&mut tx, org, l).await?;
                lead.converted_client_id.ok_or_else(|| {
                    DomainError::conflict(
                        "proposal-lead-not-converted",
                        "the proposal's lead has not been converted into a client yet",
                    )
                })?
            }
            (None, None) => {
                return Err(DomainError::conflict(
                    "proposal-no-party",
                    "the proposal names neither a lead nor a client",
                ));
            }
        };
        let deal = match current.deal_id {
            Some(d) => match self.p.deals.get_for_update(&mut tx, org, d).await {
                Ok(deal) if deal.client_id.is_none_or(|c| c == client) => Some(d),
                Ok(_) | Err(StoreError::NotFound) => None,
                Err(e) => return Err(e.into()),
            },
            None => None,
        };
        let now = self.p.now();
        let valid_until = current
            .valid_until
            .filter(|v| *v >= today)
            .unwrap_or(today + Duration::days(QUOTATION_VALIDITY_DAYS));
        let quotation = Quotation {
            id: QuotationId::new(),
            organization_id: org,
            client_id: client,
            deal_id: deal,
            owner_id: actor.user_id,
            number: Quotation::format_number(year, n),
            issue_date: today,
            valid_until,
            currency: current.currency,
            items: current.items.clone(),
            subtotal: current.subtotal,
            tax_total: current.tax_total,
            total: current.total,
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
        let next = Proposal {
            quotation_id: Some(quotation.id),
            ..current.clone()
        }
        .touched(now);
        self.p
            .proposals
            .update(&mut tx, &next, current.version)
            .await?;
        self.p
            .record(&mut tx, audit::changed(actor, "quoted", &current, &next))
            .await?;
        tx.commit().await?;
        Ok(quotation)
    }
}

/// Whether `deal` may go with a proposal for `lead` or `client`: a deal of that party, or
/// of none.
fn deal_fits(deal: &Deal, lead: Option<LeadId>, client: Option<ClientId>) -> bool {
    match (client, lead) {
        (Some(c), _) => deal.client_id.is_none_or(|dc| dc == c),
        (None, Some(l)) => deal.lead_id.is_none_or(|dl| dl == l),
        (None, None) => true,
    }
}

/// The refusals of `POST /proposals/{id}/quotation` that the proposal alone decides.
fn check_quotable(p: &Proposal) -> Result<(), DomainError> {
    if p.status == ProposalStatus::Declined {
        return Err(bad_transition(p.status, "quoted"));
    }
    if p.quotation_id.is_some() {
        return Err(DomainError::conflict(
            "proposal-quoted",
            "a quotation has already been made from this proposal",
        ));
    }
    if p.items.is_empty() {
        return Err(invalid(
            "items",
            "required",
            "the proposal has no lines to quote: add items first",
        ));
    }
    Ok(())
}
