//! `/leads` and `POST /leads/{id}/convert`.

use super::model::{Lead, LeadId, LeadStatus};
use crate::common::{
    Errors, amount, audit, check_version, currency, email, in_scope, narrowed, nullable,
    optional_text, owner_filter, phone, require, required_text,
};
use crate::deals::{Deal, DealId, DealStatus, StageChange};
use crate::pipelines::PipelineId;
use crate::ports::SalesPorts;
use crm_domain::clients::{Client, ClientId, ClientKind, Lifecycle};
use crm_domain::kernel::pagination::{FieldKind, FieldSpec, ListQuery, ListSpec, Page};
use crm_domain::{Actor, DomainError, FieldError, Scope, StoreError, Tx, UserId};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

const LEAD_FIELDS: &[FieldSpec] = &[
    FieldSpec::new("created_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("updated_at", FieldKind::Timestamp).sort(),
    FieldSpec::new("name", FieldKind::Text).sort(),
    FieldSpec::new("email", FieldKind::Text).sort().nullable(),
    FieldSpec::new("company", FieldKind::Text).sort().nullable(),
    FieldSpec::new("score", FieldKind::Integer)
        .sort()
        .nullable(),
    FieldSpec::new("estimated_amount", FieldKind::Integer)
        .range()
        .sort()
        .nullable(),
    FieldSpec::new("currency", FieldKind::Text)
        .sort()
        .nullable(),
    FieldSpec::new("status", FieldKind::Text)
        .filter()
        .sort()
        .doc("`new`, `contacted`, `qualified`, `unqualified`, `converted`"),
    FieldSpec::new("source", FieldKind::Text)
        .filter()
        .sort()
        .nullable(),
    FieldSpec::new("owner_id", FieldKind::Uuid).filter(),
];

/// `GET /leads`: newest first by default; filters `status`, `source`, `owner_id`; ranges
/// `created_at_from/_to`, `estimated_amount_from/_to`; sorts `created_at`, `updated_at`,
/// `name`, `score`, `estimated_amount` (leads without a score or amount sort as lowest);
/// `q` searches name, email and company.
pub const LEAD_LIST_SPEC: ListSpec = ListSpec {
    fields: LEAD_FIELDS,
    default_sort: "-created_at",
    searchable: true,
};

const NAME_MAX: usize = 200;
const SOURCE_MAX: usize = 100;

/// `POST /leads`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "name": "Jane Prospect",
    "email": "jane@prospect.example",
    "phone": "+1 555 0100",
    "company": "Prospect Ltd",
    "source": "website",
    "status": "new",
    "estimated_amount": 1250050,
    "currency": "USD",
    "score": 40
})))]
pub struct LeadInput {
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::line::<{ NAME_MAX }>))]
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_email))]
    pub email: Option<String>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_phone))]
    pub phone: Option<String>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_line::<{ NAME_MAX }>))]
    pub company: Option<String>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_line::<{ SOURCE_MAX }>))]
    pub source: Option<String>,
    /// `new` when absent; `converted` only through conversion.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<LeadStatusInput>))]
    pub status: Option<String>,
    /// The caller when absent; another user needs the all-records `leads:write`.
    pub owner_id: Option<UserId>,
    /// Minor units; needs `currency`.
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_int_range::<0, { crate::common::MAX_AMOUNT }>))]
    pub estimated_amount: Option<i64>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::currency_or_null))]
    pub currency: Option<String>,
    /// 0..=100.
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_int_range::<0, 100>))]
    pub score: Option<i32>,
}

/// `PATCH /leads/{id}`: only the fields present change; `null` clears a clearable field.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "status": "qualified",
    "score": 65,
    "phone": null
})))]
pub struct LeadPatch {
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::line_or_null::<{ NAME_MAX }>))]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_email))]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_phone))]
    pub phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_line::<{ NAME_MAX }>))]
    pub company: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_line::<{ SOURCE_MAX }>))]
    pub source: Option<Option<String>>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<LeadStatusInput>))]
    pub status: Option<String>,
    /// Reassigning needs the all-records `leads:write` (`422` on `owner_id` otherwise).
    pub owner_id: Option<UserId>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_int_range::<0, { crate::common::MAX_AMOUNT }>))]
    pub estimated_amount: Option<Option<i64>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::currency_or_null))]
    pub currency: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_int_range::<0, 100>))]
    pub score: Option<Option<i32>>,
}

/// The deal a conversion creates.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "title": "Prospect Ltd: onboarding",
    "amount": 1250050,
    "currency": "USD",
    "pipeline_id": "019bb138-10c8-7d40-8690-5269ed6f0b09"
})))]
pub struct ConvertDealInput {
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::line::<{ NAME_MAX }>))]
    pub title: String,
    /// Minor units of `currency`.
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::int_range::<0, { crate::common::MAX_AMOUNT }>))]
    pub amount: i64,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::currency))]
    pub currency: String,
    /// The default pipeline when absent; the deal starts in the pipeline's first stage.
    pub pipeline_id: Option<PipelineId>,
}

/// `POST /leads/{id}/convert`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "create_deal": {
        "title": "Prospect Ltd: onboarding",
        "amount": 1250050,
        "currency": "USD"
    }
})))]
pub struct ConvertLeadInput {
    /// Links this existing client; without it a client is created from the lead (a company
    /// named after the lead's company, or an individual named after the lead).
    pub client_id: Option<ClientId>,
    pub create_deal: Option<ConvertDealInput>,
}

/// What a conversion answers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LeadConversion {
    pub lead: Lead,
    pub client: Client,
    pub deal: Option<Deal>,
}

/// The statuses a request may set (`converted` comes only from `POST /leads/{id}/convert`);
/// for the OpenAPI document only.
#[cfg(feature = "openapi")]
#[derive(utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum LeadStatusInput {
    New,
    Contacted,
    Qualified,
    Unqualified,
}

fn status_input(raw: &str) -> Result<LeadStatus, FieldError> {
    match raw.parse::<LeadStatus>()? {
        LeadStatus::Converted => Err(FieldError::new(
            "status",
            "not_allowed",
            "a lead becomes converted only through POST /leads/{id}/convert",
        )),
        s => Ok(s),
    }
}

fn score(v: i32) -> Result<i32, FieldError> {
    if (0..=100).contains(&v) {
        Ok(v)
    } else {
        Err(FieldError::new(
            "score",
            "out_of_range",
            "must be between 0 and 100",
        ))
    }
}

fn duplicate(existing: Option<LeadId>) -> DomainError {
    DomainError::Conflict {
        code: "lead-duplicate",
        message: "an open lead with this email already exists".into(),
        existing_id: existing.map(|l| l.0),
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
    pub async fn list(&self, actor: &Actor, query: &ListQuery) -> Result<Page<Lead>, DomainError> {
        let scope = require(actor, "leads", "read")?;
        let owner = owner_filter(actor, scope);
        Ok(self
            .p
            .leads
            .list(actor.organization_id, &narrowed(query, owner), owner)
            .await?)
    }

    /// Needs `leads:read`; `404` when missing, of another organization or outside `:own`.
    pub async fn get(&self, actor: &Actor, id: LeadId) -> Result<Lead, DomainError> {
        let scope = require(actor, "leads", "read")?;
        self.visible(actor, scope, id).await
    }

    async fn visible(&self, actor: &Actor, scope: Scope, id: LeadId) -> Result<Lead, DomainError> {
        let lead = self.p.leads.get(actor.organization_id, id).await?;
        in_scope(actor, scope, lead.owner_id)?;
        Ok(lead)
    }

    /// As [`Self::visible`], read and locked inside `tx` (see the port's `get_for_update`).
    async fn locked(
        &self,
        tx: &mut (dyn Tx + 'static),
        actor: &Actor,
        scope: Scope,
        id: LeadId,
    ) -> Result<Lead, DomainError> {
        let lead = self
            .p
            .leads
            .get_for_update(tx, actor.organization_id, id)
            .await?;
        in_scope(actor, scope, lead.owner_id)?;
        Ok(lead)
    }

    /// A store conflict on a lead write can only be the open-email key (a concurrent insert):
    /// answered as the duplicate it is.
    async fn write_error(&self, e: StoreError, lead: &Lead) -> DomainError {
        match e {
            StoreError::Conflict { .. } => {
                let existing = match &lead.email {
                    Some(m) => self
                        .p
                        .leads
                        .find_open_by_email(lead.organization_id, m, Some(lead.id))
                        .await
                        .ok()
                        .flatten(),
                    None => None,
                };
                duplicate(existing)
            }
            other => other.into(),
        }
    }

    /// Needs `leads:write`. `422` per bad field (an `owner_id` other than the caller under
    /// `:own` is `not_allowed`, one not of the organization `not_found`; `status: converted`
    /// is `not_allowed`; an amount without currency needs `currency`); `409 lead-duplicate`
    /// with `existing_id` when an open lead of the organization has the same email.
    pub async fn create(&self, actor: &Actor, input: LeadInput) -> Result<Lead, DomainError> {
        let scope = require(actor, "leads", "write")?;
        let org = actor.organization_id;
        let mut errors = Errors::default();
        let name = errors.take("name", required_text(&input.name, "name", NAME_MAX));
        let mail = errors.take("email", email(input.email.as_deref()));
        let tel = errors.take("phone", phone(input.phone.as_deref()));
        let company = errors.take(
            "company",
            optional_text(input.company.as_deref(), "company", NAME_MAX, false),
        );
        let source = errors.take(
            "source",
            optional_text(input.source.as_deref(), "source", SOURCE_MAX, false),
        );
        let status = match input.status.as_deref() {
            Some(s) => errors.take("status", status_input(s)),
            None => Some(LeadStatus::New),
        };
        let estimated = match input.estimated_amount {
            Some(v) => errors.take("estimated_amount", amount(v)).map(Some),
            None => Some(None),
        };
        let cur = match input.currency.as_deref() {
            Some(c) => errors.take("currency", currency(c)).map(Some),
            None => Some(None),
        };
        let sc = match input.score {
            Some(v) => errors.take("score", score(v)).map(Some),
            None => Some(None),
        };
        let owner = input.owner_id.unwrap_or(actor.user_id);
        self.p
            .check_owner(actor, "leads", scope, owner, None, &mut errors)
            .await?;
        let (
            Some(name),
            Some(email),
            Some(phone),
            Some(company),
            Some(source),
            Some(status),
            Some(estimated_amount),
            Some(currency),
            Some(score),
        ) = (name, mail, tel, company, source, status, estimated, cur, sc)
        else {
            return Err(errors
                .finish()
                .err()
                .unwrap_or(DomainError::Unexpected("validation lost a value".into())));
        };
        let now = self.p.now();
        let lead = Lead {
            id: LeadId::new(),
            organization_id: org,
            name,
            email,
            phone,
            company,
            source,
            status,
            owner_id: owner,
            estimated_amount,
            currency,
            score,
            converted_client_id: None,
            converted_deal_id: None,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        check_money(&lead, &mut errors);
        errors.finish()?;
        // A duplicate open email is caught by the unique key on the insert itself.
        let mut tx = self.p.tx.begin().await?;
        if let Err(e) = self.p.leads.create(tx.as_mut(), &lead).await {
            drop(tx);
            return Err(self.write_error(e, &lead).await);
        }
        let entry = audit(
            org,
            Some(actor.user_id),
            "lead",
            lead.id.0,
            "created",
            None,
            Some(&lead),
        );
        self.p.record(tx.as_mut(), entry).await?;
        tx.commit().await?;
        Ok(lead)
    }

    /// Needs `leads:write` (`:own`: only the caller's leads, `404` for others). `412` on a
    /// stale `If-Match`; `422` per bad field; `409 lead-converted` when the status of a
    /// converted lead would change; `409 lead-duplicate` as for [`Self::create`]. A patch that
    /// changes nothing answers the lead as it is. Without `If-Match` the patch applies to the
    /// lead as stored when its lock is taken, so a concurrent edit never turns into a `412`.
    pub async fn update(
        &self,
        actor: &Actor,
        id: LeadId,
        expected_version: Option<i64>,
        patch: LeadPatch,
    ) -> Result<Lead, DomainError> {
        let scope = require(actor, "leads", "write")?;
        let mut errors = Errors::default();
        // A named owner is looked up before the transaction, on the pool: a read that waited
        // for a second connection while holding the transaction's could exhaust the pool.
        if let Some(owner) = patch.owner_id {
            self.p
                .check_owner(actor, "leads", scope, owner, None, &mut errors)
                .await?;
        }
        let mut tx = self.p.tx.begin().await?;
        let current = self.locked(tx.as_mut(), actor, scope, id).await?;
        check_version(expected_version, current.version)?;
        let mut next = current.clone();
        if let Some(raw) = &patch.name
            && let Some(v) = errors.take("name", required_text(raw, "name", NAME_MAX))
        {
            next.name = v;
        }
        if let Some(raw) = &patch.email
            && let Some(v) = errors.take("email", email(raw.as_deref()))
        {
            next.email = v;
        }
        if let Some(raw) = &patch.phone
            && let Some(v) = errors.take("phone", phone(raw.as_deref()))
        {
            next.phone = v;
        }
        if let Some(raw) = &patch.company
            && let Some(v) = errors.take(
                "company",
                optional_text(raw.as_deref(), "company", NAME_MAX, false),
            )
        {
            next.company = v;
        }
        if let Some(raw) = &patch.source
            && let Some(v) = errors.take(
                "source",
                optional_text(raw.as_deref(), "source", SOURCE_MAX, false),
            )
        {
            next.source = v;
        }
        if let Some(raw) = &patch.status
            && let Some(v) = errors.take("status", status_input(raw))
        {
            next.status = v;
        }
        if let Some(v) = patch.estimated_amount {
            match v {
                None => next.estimated_amount = None,
                Some(v) => {
                    if let Some(v) = errors.take("estimated_amount", amount(v)) {
                        next.estimated_amount = Some(v);
                    }
                }
            }
        }
        if let Some(raw) = &patch.currency {
            match raw {
                None => next.currency = None,
                Some(c) => {
                    if let Some(c) = errors.take("currency", currency(c)) {
                        next.currency = Some(c);
                    }
                }
            }
        }
        if let Some(v) = patch.score {
            match v {
                None => next.score = None,
                Some(v) => {
                    if let Some(v) = errors.take("score", score(v)) {
                        next.score = Some(v);
                    }
                }
            }
        }
        if let Some(owner) = patch.owner_id {
            next.owner_id = owner;
        }
        if errors.is_empty() {
            check_money(&next, &mut errors);
        }
        errors.finish()?;
        if current.status == LeadStatus::Converted && next.status != current.status {
            return Err(already_converted());
        }
        if next == current {
            return Ok(current);
        }
        let next = Lead {
            updated_at: self.p.now(),
            version: current.version + 1,
            ..next
        };
        // A duplicate open email is caught by the unique key on the update itself.
        if let Err(e) = self
            .p
            .leads
            .update(tx.as_mut(), &next, current.version)
            .await
        {
            drop(tx);
            return Err(self.write_error(e, &next).await);
        }
        let entry = audit(
            actor.organization_id,
            Some(actor.user_id),
            "lead",
            id.0,
            "updated",
            Some(&current),
            Some(&next),
        );
        self.p.record(tx.as_mut(), entry).await?;
        tx.commit().await?;
        Ok(next)
    }

    /// Needs `leads:delete` (`:own`: only the caller's leads).
    pub async fn delete(&self, actor: &Actor, id: LeadId) -> Result<(), DomainError> {
        let scope = require(actor, "leads", "delete")?;
        let mut tx = self.p.tx.begin().await?;
        let current = self.locked(tx.as_mut(), actor, scope, id).await?;
        self.p
            .leads
            .delete(tx.as_mut(), actor.organization_id, id)
            .await?;
        let entry = audit(
            actor.organization_id,
            Some(actor.user_id),
            "lead",
            id.0,
            "deleted",
            Some(&current),
            None,
        );
        self.p.record(tx.as_mut(), entry).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Converts the lead: links `client_id` (a client the caller may see, `422 client_id
    /// not_found` otherwise) or creates a client from the lead, optionally creates a deal
    /// (owned by the lead's owner, in the first stage of the named or default pipeline;
    /// needs `deals:write`), and marks the lead `converted` — all in one transaction with
    /// their audit entries. Needs `leads:write` (`:own`: only the caller's leads). `409
    /// lead-converted` when the lead was converted before (also when a concurrent conversion
    /// won); `412` on a stale `expected_version`.
    pub async fn convert(
        &self,
        actor: &Actor,
        id: LeadId,
        expected_version: Option<i64>,
        input: ConvertLeadInput,
    ) -> Result<LeadConversion, DomainError> {
        let scope = require(actor, "leads", "write")?;
        let org = actor.organization_id;
        // What the input names is resolved before the transaction, on the pool (a read waiting
        // for a second connection while holding the transaction's could exhaust the pool);
        // what depends on the lead, after its lock is taken.
        let mut errors = Errors::default();
        let existing_client = match input.client_id {
            Some(c) => match self.p.visible_client(actor, c, "client_id").await? {
                Ok(client) => Some(client),
                Err(e) => {
                    errors.push(e);
                    None
                }
            },
            None => None,
        };
        let deal_parts = match &input.create_deal {
            Some(d) => {
                let deal_scope = require(actor, "deals", "write")?;
                let title = errors.take(
                    "create_deal.title",
                    required_text(&d.title, "title", NAME_MAX),
                );
                let amt = errors.take("create_deal.amount", amount(d.amount));
                let cur = errors.take("create_deal.currency", currency(&d.currency));
                let pipeline = match self
                    .p
                    .pipeline_or_default(actor, d.pipeline_id, "create_deal.pipeline_id")
                    .await?
                {
                    Ok(p) => Some(p),
                    Err(e) => {
                        errors.push(e);
                        None
                    }
                };
                Some((deal_scope, title, amt, cur, pipeline))
            }
            None => None,
        };
        let mut tx = self.p.tx.begin().await?;
        let lead = self.locked(tx.as_mut(), actor, scope, id).await?;
        check_version(expected_version, lead.version)?;
        if lead.status == LeadStatus::Converted {
            return Err(already_converted());
        }
        let now = self.p.now();
        let deal = match deal_parts {
            Some((deal_scope, title, amt, cur, pipeline)) => {
                if deal_scope == Scope::Own && lead.owner_id != actor.user_id {
                    return Err(DomainError::forbidden(
                        "creating a deal for another owner's lead needs deals:write",
                    ));
                }
                match (title, amt, cur, pipeline) {
                    (Some(title), Some(amount), Some(currency), Some(pipeline)) => {
                        let Some(stage) = pipeline.first_stage() else {
                            return Err(DomainError::Unexpected(format!(
                                "pipeline {} has no stage",
                                pipeline.id
                            )));
                        };
                        Some(Deal {
                            id: DealId::new(),
                            organization_id: org,
                            title,
                            client_id: None,
                            lead_id: Some(lead.id),
                            pipeline_id: pipeline.id,
                            stage_id: stage.id,
                            amount,
                            currency,
                            probability: stage.probability,
                            expected_close_date: None,
                            owner_id: lead.owner_id,
                            status: DealStatus::Open,
                            lost_reason: None,
                            closed_at: None,
                            created_at: now,
                            updated_at: now,
                            version: 1,
                        })
                    }
                    _ => None,
                }
            }
            None => None,
        };
        errors.finish()?;

        let (client, new_client) = match existing_client {
            Some(c) => (c, false),
            None => (client_from(&lead, now), true),
        };
        let deal = deal.map(|d| Deal {
            client_id: Some(client.id),
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
            .update(tx.as_mut(), &converted, lead.version)
            .await?;
        if new_client {
            let entry = audit(
                org,
                Some(actor.user_id),
                "client",
                client.id.0,
                "created",
                None,
                Some(&client),
            );
            self.p.record(tx.as_mut(), entry).await?;
        }
        if let Some(d) = &deal {
            self.p.deals.create(tx.as_mut(), d).await?;
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
                .deals
                .record_stage_change(tx.as_mut(), &change)
                .await?;
            let entry = audit(
                org,
                Some(actor.user_id),
                "deal",
                d.id.0,
                "created",
                None,
                Some(d),
            );
            self.p.record(tx.as_mut(), entry).await?;
        }
        let entry = audit(
            org,
            Some(actor.user_id),
            "lead",
            id.0,
            "converted",
            Some(&lead),
            Some(&converted),
        );
        self.p.record(tx.as_mut(), entry).await?;
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
        created_at: now,
        updated_at: now,
        version: 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::*;

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
        env.leads
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
        env.leads
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
            .withf(move |_, q, owner| {
                *owner == Some(uid) && q.filters.iter().any(|f| f.field == "owner_id")
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
        env.deals
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
