//! `/leads` and `POST /leads/{id}/convert`.

use super::model::{
    ConvertDealInput, ConvertLeadInput, Lead, LeadConversion, LeadId, LeadInput, LeadPatch,
    LeadStatus, NAME_MAX, company, name, source, status,
};
use crate::SalesPorts;
use crate::common::{
    amount, clearable, currency, email, optional_currency, phone, probability, required_text, text,
};
use crate::deals::{Deal, DealId, DealStatus, StageChange};
use crate::requirements::{DealsWrite, LeadsDelete, LeadsRead, LeadsWrite};
use crm_domain::activity::{audit, change_entry};
use crm_domain::clients::{Client, ClientId, ClientKind, Lifecycle};
use crm_domain::kernel::input::Errors;
use crm_domain::kernel::pagination::{ListQuery, Page};
use crm_domain::kernel::records::{get_owned, list_owned, locked_owned};
use crm_domain::kernel::rules::check_version;
use crm_domain::kernel::scope::require;
use crm_domain::{Actor, DomainError, Scope, StoreError, Txn};
use uuid::Uuid;

fn duplicate(existing: Option<LeadId>) -> DomainError {
    DomainError::Conflict {
        code: "lead-duplicate",
        message: "an open lead with this email already exists".into(),
        existing_id: existing.map(|l| l.0),
    }
}

/// A lead patch whose permission and named owner are checked (on the pool), ready for
/// [`LeadService::apply_patch`] inside a transaction.
pub struct CheckedPatch {
    scope: Scope,
    errors: Errors,
    patch: LeadPatch,
}

/// What [`LeadService::apply_patch`] did.
pub enum Patched {
    /// Nothing changed; nothing was written.
    Unchanged(Lead),
    /// Written with its audit entry.
    Saved(Lead),
    /// The update hit the open-email key (the transaction may be spoiled): the lead as it
    /// would have been.
    Duplicate(StoreError, Lead),
}

impl Patched {
    /// The lead as written (or left unchanged); a duplicate email is `409 lead-duplicate`,
    /// without the holder's id (looking it up needs a transaction the conflict has not
    /// spoiled: [`LeadService::update`] does that after its rollback).
    pub fn written(self) -> Result<Lead, DomainError> {
        match self {
            Patched::Unchanged(lead) | Patched::Saved(lead) => Ok(lead),
            Patched::Duplicate(..) => Err(duplicate(None)),
        }
    }
}

fn already_converted() -> DomainError {
    DomainError::conflict("lead-converted", "the lead has already been converted")
}

/// An amount needs its currency.
fn check_money(lead: &Lead, errors: &mut Errors) {
    if lead.estimated_amount.is_some() && lead.currency.is_none() {
        errors.add(
            "currency",
            "required",
            "an estimated amount needs a currency",
        );
    }
}

/// Leads: CRUD, duplicate detection, conversion.
#[derive(Clone)]
pub struct LeadService {
    p: SalesPorts,
}

impl LeadService {
    pub fn new(ports: SalesPorts) -> Self {
        Self { p: ports }
    }

    /// Needs `leads:read` (`:own`: only the caller's leads).
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn list(&self, actor: &Actor, query: &ListQuery) -> Result<Page<Lead>, DomainError> {
        list_owned::<LeadsRead, _>(&*self.p.leads, actor, query).await
    }

    /// Needs `leads:read`; `404` when missing, of another organization or outside `:own`.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn get(&self, actor: &Actor, id: LeadId) -> Result<Lead, DomainError> {
        get_owned::<LeadsRead, _>(&*self.p.leads, actor, id).await
    }

    /// A store conflict on a lead write can only be the open-email key (a concurrent insert):
    /// answered as the duplicate it is.
    async fn write_error(&self, e: StoreError, lead: &Lead) -> DomainError {
        let StoreError::Conflict { .. } = e else {
            return e.into();
        };
        self.duplicate_of(lead).await
    }

    /// `409 lead-duplicate` naming the open lead that holds `lead`'s email, when one is found.
    async fn duplicate_of(&self, lead: &Lead) -> DomainError {
        duplicate(self.open_duplicate(lead).await.ok().flatten())
    }

    /// Needs `leads:write`. `422` per bad field (an `owner_id` other than the caller under
    /// `:own` is `not_allowed`, one not of the organization `not_found`; `status: converted`
    /// is `not_allowed`; an amount without currency needs `currency`); `409 lead-duplicate`
    /// with `existing_id` when an open lead of the organization has the same email.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn create(&self, actor: &Actor, input: LeadInput) -> Result<Lead, DomainError> {
        let lead = self.check_create(actor, input).await?;
        let mut tx = self.p.tx.begin().await?;
        match self.insert(&mut tx, actor, &lead).await {
            Ok(()) => {}
            Err(DomainError::Conflict {
                code: "lead-duplicate",
                ..
            }) => {
                drop(tx);
                return Err(self.duplicate_of(&lead).await);
            }
            Err(e) => return Err(e),
        }
        tx.commit().await?;
        Ok(lead)
    }

    /// The checks of [`Self::create`], without writing: the lead as it would be stored, or
    /// `403`/`422` as the create answers them. Reads only on the pool (the owner), so an
    /// import checks its rows before it opens the transaction of their batch.
    pub async fn check_create(&self, actor: &Actor, input: LeadInput) -> Result<Lead, DomainError> {
        let scope = require::<LeadsWrite>(actor)?;
        let mut errors = Errors::new();
        let now = self.p.now();
        let lead = Lead {
            id: LeadId::new(),
            organization_id: actor.organization_id,
            name: errors.value("name", name(&input.name)),
            email: errors.value("email", email(input.email.as_deref())),
            phone: errors.value("phone", phone(input.phone.as_deref())),
            company: errors.value("company", company(input.company.as_deref())),
            source: errors.value("source", source(input.source.as_deref())),
            status: errors.value(
                "status",
                input.status.as_deref().map_or(Ok(LeadStatus::New), status),
            ),
            owner_id: input.owner_id.unwrap_or(actor.user_id),
            estimated_amount: errors.value(
                "estimated_amount",
                input.estimated_amount.map(amount).transpose(),
            ),
            currency: errors.value("currency", optional_currency(input.currency.as_deref())),
            score: errors.value("score", input.score.map(probability).transpose()),
            converted_client_id: None,
            converted_deal_id: None,
            legacy_id: None,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        // The amount rule speaks of values that parsed.
        let parsed = errors.is_empty();
        self.p
            .check_owner::<LeadsWrite>(actor, scope, lead.owner_id, &mut errors)
            .await?;
        if parsed {
            check_money(&lead, &mut errors);
        }
        errors.finish()?;
        Ok(lead)
    }

    /// The write of [`Self::create`]: a lead from [`Self::check_create`] and its audit entry,
    /// on the caller's transaction. A duplicate open email is caught by the unique key on the
    /// insert itself: `409 lead-duplicate` without `existing_id` (on PostgreSQL the
    /// transaction is then spoiled).
    pub async fn insert(
        &self,
        tx: &mut Txn,
        actor: &Actor,
        lead: &Lead,
    ) -> Result<(), DomainError> {
        if let Err(e) = self.p.leads.create(tx, lead).await {
            return Err(match e {
                StoreError::Conflict { .. } => duplicate(None),
                e => e.into(),
            });
        }
        self.p.record(tx, audit::created(actor, lead)).await
    }

    /// The open lead of the organization with this lead's email, other than itself (the key
    /// an import calls a duplicate). Read on the pool.
    pub async fn open_duplicate(&self, lead: &Lead) -> Result<Option<LeadId>, DomainError> {
        match &lead.email {
            Some(m) => Ok(self
                .p
                .lead_emails
                .find_open_by_email(lead.organization_id, m, Some(lead.id))
                .await?),
            None => Ok(None),
        }
    }

    /// Needs `leads:write` (`:own`: only the caller's leads, `404` for others). `412` on a
    /// stale `If-Match`; `422` per bad field; `409 lead-converted` when the status of a
    /// converted lead would change; `409 lead-duplicate` as for [`Self::create`]. A patch that
    /// changes nothing answers the lead as it is. Without `If-Match` the patch applies to the
    /// lead as stored when its lock is taken, so a concurrent edit never turns into a `412`.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn update(
        &self,
        actor: &Actor,
        id: LeadId,
        expected_version: Option<i64>,
        patch: LeadPatch,
    ) -> Result<Lead, DomainError> {
        let checked = self.check_patch(actor, patch).await?;
        let mut tx = self.p.tx.begin().await?;
        match self
            .apply_patch(&mut tx, actor, id, expected_version, checked)
            .await?
        {
            Patched::Unchanged(lead) => Ok(lead),
            Patched::Saved(lead) => {
                tx.commit().await?;
                Ok(lead)
            }
            Patched::Duplicate(e, lead) => {
                drop(tx);
                Err(self.write_error(e, &lead).await)
            }
        }
    }

    /// What [`Self::update`] checks before its transaction: the permission and, on the pool,
    /// the owner the patch names.
    pub async fn check_patch(
        &self,
        actor: &Actor,
        patch: LeadPatch,
    ) -> Result<CheckedPatch, DomainError> {
        let scope = require::<LeadsWrite>(actor)?;
        let mut errors = Errors::new();
        // A named owner is looked up before the transaction, on the pool: a read that waited
        // for a second connection while holding the transaction's could exhaust the pool.
        if let Some(owner) = patch.owner_id {
            self.p
                .check_owner::<LeadsWrite>(actor, scope, owner, &mut errors)
                .await?;
        }
        Ok(CheckedPatch {
            scope,
            errors,
            patch,
        })
    }

    /// The write of [`Self::update`] on the caller's transaction: locks the lead, applies the
    /// patch with its checks, and writes it with its audit entry (nothing when nothing
    /// changes). The caller commits.
    pub async fn apply_patch(
        &self,
        tx: &mut Txn,
        actor: &Actor,
        id: LeadId,
        expected_version: Option<i64>,
        checked: CheckedPatch,
    ) -> Result<Patched, DomainError> {
        let CheckedPatch {
            scope,
            mut errors,
            patch,
        } = checked;
        let current = locked_owned(&*self.p.leads, tx, actor, scope, id).await?;
        check_version(expected_version, current.version)?;
        let mut next = current.clone();
        let p = &patch;
        errors.patch("name", &mut next.name, p.name.as_deref().map(name));
        errors.patch("email", &mut next.email, text(&p.email, email));
        errors.patch("phone", &mut next.phone, text(&p.phone, phone));
        errors.patch("company", &mut next.company, text(&p.company, company));
        errors.patch("source", &mut next.source, text(&p.source, source));
        errors.patch("status", &mut next.status, p.status.as_deref().map(status));
        let amount = clearable(p.estimated_amount, amount);
        errors.patch("estimated_amount", &mut next.estimated_amount, amount);
        let currency = text(&p.currency, optional_currency);
        errors.patch("currency", &mut next.currency, currency);
        errors.patch("score", &mut next.score, clearable(p.score, probability));
        next.owner_id = p.owner_id.unwrap_or(next.owner_id);
        if errors.is_empty() {
            check_money(&next, &mut errors);
        }
        errors.finish()?;
        if current.status == LeadStatus::Converted && next.status != current.status {
            return Err(already_converted());
        }
        if next == current {
            return Ok(Patched::Unchanged(current));
        }
        let next = Lead {
            updated_at: self.p.now(),
            version: current.version + 1,
            ..next
        };
        // A duplicate open email is caught by the unique key on the update itself.
        if let Err(e) = self.p.leads.update(tx, &next, current.version).await {
            return match e {
                StoreError::Conflict { .. } => Ok(Patched::Duplicate(e, next)),
                e => Err(e.into()),
            };
        }
        self.p
            .record(tx, audit::updated(actor, &current, &next))
            .await?;
        Ok(Patched::Saved(next))
    }

    /// Needs `leads:delete` (`:own`: only the caller's leads).
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn delete(&self, actor: &Actor, id: LeadId) -> Result<(), DomainError> {
        let scope = require::<LeadsDelete>(actor)?;
        let mut tx = self.p.tx.begin().await?;
        let current = locked_owned(&*self.p.leads, &mut tx, actor, scope, id).await?;
        self.p
            .leads
            .delete(&mut tx, actor.organization_id, id)
            .await?;
        self.p
            .record(&mut tx, audit::deleted(actor, &current))
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The deal a conversion asks for, checked before the lead is locked (with its
    /// `deals:write` scope); its client is set once known.
    async fn deal_draft(
        &self,
        actor: &Actor,
        lead: LeadId,
        input: &ConvertDealInput,
        errors: &mut Errors,
    ) -> Result<(Scope, Option<Deal>), DomainError> {
        let scope = require::<DealsWrite>(actor)?;
        let title = errors.value(
            "create_deal.title",
            required_text(&input.title, "title", NAME_MAX),
        );
        let amount = errors.value("create_deal.amount", amount(input.amount));
        let currency = errors.value("create_deal.currency", currency(&input.currency));
        let found = self.p.pipeline_or_default(actor, input.pipeline_id).await?;
        let Some(pipeline) = errors.take("create_deal.pipeline_id", found) else {
            return Ok((scope, None));
        };
        let Some(stage) = pipeline.first_stage() else {
            return Err(DomainError::Unexpected(format!(
                "pipeline {} has no stage",
                pipeline.id
            )));
        };
        let now = self.p.now();
        // Owner, client and times are set when the lead is converted.
        let deal = Deal {
            id: DealId::new(),
            organization_id: actor.organization_id,
            title,
            client_id: None,
            lead_id: Some(lead),
            pipeline_id: pipeline.id,
            stage_id: stage.id,
            amount,
            currency,
            probability: stage.probability,
            expected_close_date: None,
            owner_id: actor.user_id,
            status: DealStatus::Open,
            lost_reason: None,
            closed_at: None,
            legacy_id: None,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        Ok((scope, Some(deal)))
    }

    /// Converts the lead: links `client_id` (a client the caller may see, `422 client_id
    /// not_found` otherwise) or creates a client from the lead, optionally creates a deal
    /// (owned by the lead's owner, in the first stage of the named or default pipeline;
    /// needs `deals:write`), and marks the lead `converted` — all in one transaction with
    /// their audit entries. Needs `leads:write` (`:own`: only the caller's leads). `409
    /// lead-converted` when the lead was converted before (also when a concurrent conversion
    /// won); `412` on a stale `expected_version`.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn convert(
        &self,
        actor: &Actor,
        id: LeadId,
        expected_version: Option<i64>,
        input: ConvertLeadInput,
    ) -> Result<LeadConversion, DomainError> {
        let scope = require::<LeadsWrite>(actor)?;
        let org = actor.organization_id;
        // What the input names is resolved before the transaction, on the pool (a read waiting
        // for a second connection while holding the transaction's could exhaust the pool);
        // what depends on the lead, after its lock is taken.
        let mut errors = Errors::new();
        let existing_client = match input.client_id {
            Some(c) => {
                self.p
                    .visible_client(actor, c, "client_id", &mut errors)
                    .await?
            }
            None => None,
        };
        let draft = match &input.create_deal {
            Some(d) => Some(self.deal_draft(actor, id, d, &mut errors).await?),
            None => None,
        };
        let mut tx = self.p.tx.begin().await?;
        let lead = locked_owned(&*self.p.leads, &mut tx, actor, scope, id).await?;
        check_version(expected_version, lead.version)?;
        if lead.status == LeadStatus::Converted {
            return Err(already_converted());
        }
        if let Some((Scope::Own, _)) = draft
            && lead.owner_id != actor.user_id
        {
            return Err(DomainError::forbidden(
                "creating a deal for another owner's lead needs deals:write",
            ));
        }
        errors.finish()?;

        let now = self.p.now();
        let (client, new_client) = match existing_client {
            Some(c) => (c, false),
            None => (client_from(&lead, now), true),
        };
        let deal = draft.and_then(|(_, d)| d).map(|d| Deal {
            client_id: Some(client.id),
            owner_id: lead.owner_id,
            created_at: now,
            updated_at: now,
            ..d
        });
        let converted = Lead {
            status: LeadStatus::Converted,
            converted_client_id: Some(client.id),
            converted_deal_id: deal.as_ref().map(|d| d.id),
            updated_at: now,
            version: lead.version + 1,
            ..lead.clone()
        };

        // The new client first (the lead refers to it), then the lead. A concurrent
        // conversion waited for the lead's lock above and then found it converted.
        if new_client {
            self.p.clients.create(&mut tx, &client).await?;
        }
        self.p
            .leads
            .update(&mut tx, &converted, lead.version)
            .await?;
        if new_client {
            // `Client` is not `Audited` in this base; the entry is spelled out.
            let entry = change_entry(
                org,
                Some(actor.user_id),
                "client",
                client.id.0,
                "created",
                None,
                Some(&client),
            );
            self.p.record(&mut tx, entry).await?;
        }
        if let Some(d) = &deal {
            self.p.deals.create(&mut tx, d).await?;
            let change = StageChange {
                id: Uuid::now_v7(),
                organization_id: org,
                deal_id: d.id,
                from_stage_id: None,
                to_stage_id: d.stage_id,
                changed_at: now,
                changed_by: Some(actor.user_id),
            };
            self.p
                .deal_stages
                .record_stage_change(&mut tx, &change)
                .await?;
            self.p.record(&mut tx, audit::created(actor, d)).await?;
        }
        let entry = audit::changed(actor, "converted", &lead, &converted);
        self.p.record(&mut tx, entry).await?;
        tx.commit().await?;
        Ok(LeadConversion {
            lead: converted,
            client,
            deal,
        })
    }
}

/// The client a conversion creates: the lead's company (or, without one, the lead as an
/// individual), with the lead's contact details and owner, as a prospect.
fn client_from(lead: &Lead, now: chrono::DateTime<chrono::Utc>) -> Client {
    let (name, kind) = match &lead.company {
        Some(c) => (c.clone(), ClientKind::Company),
        None => (lead.name.clone(), ClientKind::Individual),
    };
    Client {
        id: ClientId::new(),
        organization_id: lead.organization_id,
        name,
        kind,
        email: lead.email.clone(),
        phone: lead.phone.clone(),
        website: None,
        industry: None,
        parent_id: None,
        owner_id: lead.owner_id,
        status: Client::DEFAULT_STATUS.to_string(),
        tags: Vec::new(),
        address: None,
        lifecycle: Lifecycle::Prospect,
        legacy_id: None,
        created_at: now,
        updated_at: now,
        version: 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::leads::LEAD_LIST_SPEC;
    use crate::test_support::*;
    use crm_domain::UserId;

    fn mail(s: &str) -> crm_domain::identity::EmailAddress {
        crm_domain::identity::EmailAddress::parse(s).unwrap()
    }

    const WRITE: &[&str] = &["leads:read", "leads:write", "leads:delete"];
    const OWN: &[&str] = &["leads:read:own", "leads:write:own", "leads:delete:own"];

    fn input(name: &str, email: Option<&str>) -> LeadInput {
        LeadInput {
            name: name.into(),
            email: email.map(str::to_string),
            phone: None,
            company: Some("Acme".into()),
            source: Some("website".into()),
            status: None,
            owner_id: None,
            estimated_amount: Some(125_050),
            currency: Some("usd".into()),
            score: Some(40),
        }
    }

    #[tokio::test]
    async fn a_lead_is_created_owned_by_the_caller_and_audited() {
        let mut env = Env::new();
        env.lead_emails
            .expect_find_open_by_email()
            .returning(|_, _, _| Ok(None));
        env.leads
            .expect_create()
            .withf(|_, l| l.status == LeadStatus::New && l.version == 1)
            .times(1)
            .returning(|_, _| Ok(()));
        let (ports, probe) = env.build();
        let svc = LeadService::new(ports);
        let a = actor(ORG, OWN);
        let lead = svc
            .create(&a, input("Ann", Some("Ann@Acme.io")))
            .await
            .unwrap();
        assert_eq!(lead.owner_id, a.user_id);
        assert_eq!(lead.email, Some(mail("ann@acme.io")));
        assert_eq!(lead.currency.unwrap().code(), "USD");
        assert!(probe.committed());
        let audit = probe.audit();
        assert_eq!((audit[0].entity_type, audit[0].action), ("lead", "created"));
        assert!(audit[0].changes.iter().any(|c| c.field == "name"));
    }

    #[tokio::test]
    async fn a_duplicate_open_email_caught_by_the_insert_is_a_409_naming_the_existing_lead() {
        // No read before the insert: the unique key on open emails decides, also between two
        // concurrent creations, and only the losing path looks the winner up.
        let mut env = Env::new();
        let existing = LeadId::new();
        env.leads.expect_create().times(1).returning(|_, _| {
            Err(StoreError::Conflict {
                constraint: "ux_leads_open_email".into(),
            })
        });
        env.lead_emails
            .expect_find_open_by_email()
            .withf(|o, e, _| *o == ORG && e.as_str() == "ann@acme.io")
            .times(1)
            .returning(move |_, _, _| Ok(Some(existing)));
        let (ports, probe) = env.build();
        let svc = LeadService::new(ports);
        let err = svc
            .create(&actor(ORG, WRITE), input("Ann", Some("ANN@acme.io")))
            .await
            .unwrap_err();
        assert_eq!(
            err,
            DomainError::Conflict {
                code: "lead-duplicate",
                message: "an open lead with this email already exists".into(),
                existing_id: Some(existing.0),
            }
        );
        assert!(!probe.committed());
        assert!(probe.audit().is_empty());
    }

    #[tokio::test]
    async fn inputs_are_validated_field_by_field() {
        let mut env = Env::new();
        env.users
            .expect_get()
            .returning(|_, _| Err(StoreError::NotFound));
        let (ports, _) = env.build();
        let svc = LeadService::new(ports);
        let bad = LeadInput {
            name: " ".into(),
            email: Some("nope".into()),
            phone: None,
            company: None,
            source: None,
            status: Some("converted".into()),
            owner_id: Some(UserId::new()),
            estimated_amount: Some(-5),
            currency: Some("XYZ".into()),
            score: Some(101),
        };
        let Err(DomainError::Invalid(e)) = svc.create(&actor(ORG, WRITE), bad).await else {
            panic!("expected 422")
        };
        let fields: Vec<(&str, &str)> = e
            .iter()
            .map(|f| (f.field.as_str(), f.code.as_str()))
            .collect();
        assert_eq!(
            fields,
            [
                ("name", "required"),
                ("email", "invalid"),
                ("status", "not_allowed"),
                ("estimated_amount", "out_of_range"),
                ("currency", "invalid"),
                ("score", "out_of_range"),
                ("owner_id", "not_found"),
            ]
        );
        // An amount needs its currency.
        let mut no_currency = input("Bob", None);
        no_currency.currency = None;
        let Err(DomainError::Invalid(e)) = svc.create(&actor(ORG, WRITE), no_currency).await else {
            panic!("expected 422")
        };
        assert_eq!(e[0].field, "currency");
    }

    #[tokio::test]
    async fn own_scope_hides_other_owners_leads_and_cannot_reassign() {
        let mut env = Env::new();
        let other_owner = UserId::new();
        let theirs = lead(ORG, other_owner, LeadStatus::New);
        let theirs_id = theirs.id;
        let a = actor(ORG, OWN);
        let mine = lead(ORG, a.user_id, LeadStatus::New);
        let mine_id = mine.id;
        let (theirs2, mine2) = (theirs.clone(), mine.clone());
        env.leads.expect_get().returning(move |_, id| {
            if id == theirs_id {
                Ok(theirs2.clone())
            } else if id == mine_id {
                Ok(mine2.clone())
            } else {
                Err(StoreError::NotFound)
            }
        });
        env.leads
            .expect_get_for_update()
            .returning(move |_, _, id| {
                if id == theirs_id {
                    Ok(theirs.clone())
                } else if id == mine_id {
                    Ok(mine.clone())
                } else {
                    Err(StoreError::NotFound)
                }
            });
        let uid = a.user_id;
        env.leads
            .expect_list()
            // The narrowing is passed once, as the owner argument, not also as a filter.
            .withf(move |_, q, owner| {
                *owner == Some(uid) && !q.filters.iter().any(|f| f.field == "owner_id")
            })
            .times(1)
            .returning(|_, _, _| {
                Ok(Page {
                    data: vec![],
                    next_cursor: None,
                    total: None,
                })
            });
        let (ports, probe) = env.build();
        let svc = LeadService::new(ports);
        assert_eq!(svc.get(&a, theirs_id).await, Err(DomainError::NotFound));
        assert_eq!(
            svc.update(&a, theirs_id, None, LeadPatch::default()).await,
            Err(DomainError::NotFound)
        );
        assert_eq!(svc.delete(&a, theirs_id).await, Err(DomainError::NotFound));
        assert_eq!(
            svc.convert(&a, theirs_id, None, ConvertLeadInput::default())
                .await
                .map(|_| ()),
            Err(DomainError::NotFound)
        );
        let reassign = LeadPatch {
            owner_id: Some(other_owner),
            ..Default::default()
        };
        let Err(DomainError::Invalid(e)) = svc.update(&a, mine_id, None, reassign).await else {
            panic!("expected 422")
        };
        assert_eq!(
            (e[0].field.as_str(), e[0].code.as_str()),
            ("owner_id", "not_allowed")
        );
        let q = ListQuery::parse(&LEAD_LIST_SPEC, &[]).unwrap();
        svc.list(&a, &q).await.unwrap();
        assert!(!probe.committed());
        assert!(probe.audit().is_empty());
        assert!(matches!(
            svc.get(&actor(ORG, &[]), mine_id).await,
            Err(DomainError::Forbidden { .. })
        ));
    }

    #[tokio::test]
    async fn conversion_creates_client_and_deal_in_one_transaction() {
        let mut env = Env::new();
        let a = actor(ORG, &["leads:write", "deals:write", "clients:read"]);
        let l = lead(ORG, a.user_id, LeadStatus::Qualified);
        let lid = l.id;
        let stored = l.clone();
        env.leads
            .expect_get_for_update()
            .returning(move |_, _, _| Ok(stored.clone()));
        let default = pipeline(ORG, true);
        let first = default.stages[0].clone();
        env.pipelines
            .expect_get_default()
            .returning(move |_| Ok(Some(default.clone())));
        env.leads
            .expect_update()
            .withf(move |_, l, v| {
                l.status == LeadStatus::Converted
                    && l.converted_client_id.is_some()
                    && l.converted_deal_id.is_some()
                    && *v == 1
            })
            .times(1)
            .returning(|_, _, _| Ok(()));
        env.clients
            .expect_create()
            .withf(|_, c| c.name == "Acme" && c.lifecycle == Lifecycle::Prospect)
            .times(1)
            .returning(|_, _| Ok(()));
        let first_id = first.id;
        env.deals
            .expect_create()
            .withf(move |_, d| {
                d.stage_id == first_id && d.probability == 10 && d.lead_id == Some(lid)
            })
            .times(1)
            .returning(|_, _| Ok(()));
        env.deal_stages
            .expect_record_stage_change()
            .withf(move |_, c| c.from_stage_id.is_none() && c.to_stage_id == first_id)
            .times(1)
            .returning(|_, _| Ok(()));
        let (ports, probe) = env.build();
        let svc = LeadService::new(ports);
        let out = svc
            .convert(
                &a,
                lid,
                Some(1),
                ConvertLeadInput {
                    client_id: None,
                    create_deal: Some(ConvertDealInput {
                        title: "Big one".into(),
                        amount: 500_000,
                        currency: "EUR".into(),
                        pipeline_id: None,
                    }),
                },
            )
            .await
            .unwrap();
        let deal = out.deal.unwrap();
        assert_eq!(deal.client_id, Some(out.client.id));
        assert_eq!(out.lead.converted_client_id, Some(out.client.id));
        assert_eq!(out.lead.converted_deal_id, Some(deal.id));
        assert_eq!(probe.begins(), 1);
        assert!(probe.committed());
        let kinds: Vec<(&str, &str)> = probe
            .audit()
            .iter()
            .map(|e| (e.entity_type, e.action))
            .collect();
        assert_eq!(
            kinds,
            [
                ("client", "created"),
                ("deal", "created"),
                ("lead", "converted")
            ]
        );
    }

    #[tokio::test]
    async fn converting_twice_is_a_409() {
        let mut env = Env::new();
        let a = actor(ORG, WRITE);
        let done = lead(ORG, a.user_id, LeadStatus::Converted);
        let id = done.id;
        env.leads
            .expect_get_for_update()
            .returning(move |_, _, _| Ok(done.clone()));
        let (ports, probe) = env.build();
        let svc = LeadService::new(ports);
        let err = svc
            .convert(&a, id, None, ConvertLeadInput::default())
            .await
            .unwrap_err();
        assert!(matches!(
            err,
            DomainError::Conflict {
                code: "lead-converted",
                ..
            }
        ));
        assert!(!probe.committed());
        // Its status cannot be changed either.
        let patch = LeadPatch {
            status: Some("new".into()),
            ..Default::default()
        };
        assert!(matches!(
            svc.update(&a, id, None, patch).await,
            Err(DomainError::Conflict {
                code: "lead-converted",
                ..
            })
        ));
    }

    #[tokio::test]
    async fn losing_a_concurrent_conversion_is_a_409_and_commits_nothing() {
        // The loser waited for the lead's lock; what it then reads is the winner's conversion.
        let mut env = Env::new();
        let a = actor(ORG, &["leads:write", "clients:read"]);
        let mut converted = lead(ORG, a.user_id, LeadStatus::Converted);
        converted.version = 2;
        let id = converted.id;
        env.leads
            .expect_get_for_update()
            .times(1)
            .returning(move |_, _, _| Ok(converted.clone()));
        env.clients.expect_create().times(0);
        env.leads.expect_update().times(0);
        let (ports, probe) = env.build();
        let svc = LeadService::new(ports);
        let err = svc
            .convert(&a, id, None, ConvertLeadInput::default())
            .await
            .unwrap_err();
        assert!(matches!(
            err,
            DomainError::Conflict {
                code: "lead-converted",
                ..
            }
        ));
        assert!(!probe.committed());
        assert!(probe.audit().is_empty());
    }

    #[tokio::test]
    async fn linking_a_client_of_another_organization_is_a_422() {
        let mut env = Env::new();
        let a = actor(ORG, &["leads:write", "clients:read"]);
        let open = lead(ORG, a.user_id, LeadStatus::New);
        let id = open.id;
        env.leads
            .expect_get_for_update()
            .returning(move |_, _, _| Ok(open.clone()));
        env.clients
            .expect_get()
            .withf(|o, _| *o == ORG)
            .returning(|_, _| Err(StoreError::NotFound));
        let (ports, _) = env.build();
        let svc = LeadService::new(ports);
        let input = ConvertLeadInput {
            client_id: Some(ClientId::new()),
            create_deal: None,
        };
        let Err(DomainError::Invalid(e)) = svc.convert(&a, id, None, input).await else {
            panic!("expected 422")
        };
        assert_eq!(
            (e[0].field.as_str(), e[0].code.as_str()),
            ("client_id", "not_found")
        );
    }
}
