//! `/deals`, `POST /deals/{id}/won|lost`, `GET /deals/board`, `GET /deals/forecast`.

use super::model::{
    Board, BoardStage, Deal, DealId, DealStatus, Forecast, MoneyTotal, StageChange,
};
use super::ports::ForecastFilter;
use crate::common::{
    Errors, amount, audit, check_version, currency, date, in_scope, narrowed, not_found, nullable,
    optional_text, owner_filter, probability, reference, require, required_text,
};
use crate::leads::LeadId;
use crate::pipelines::{Pipeline, PipelineId, StageId};
use crate::ports::SalesPorts;
use chrono::{Datelike, Months, NaiveDate};
use crm_domain::clients::{ClientId, Lifecycle};
use crm_domain::kernel::pagination::{FieldKind, FieldSpec, ListQuery, ListSpec, Page};
use crm_domain::{Actor, DomainError, FieldError, Scope, StoreError, Tx, UserId};
use serde::Deserialize;
use std::collections::BTreeMap;
use uuid::Uuid;

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

const TITLE_MAX: usize = 200;
const REASON_MAX: usize = 1000;

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
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::text::<{ REASON_MAX }>))]
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

fn month_start(raw: &str) -> Result<NaiveDate, FieldError> {
    NaiveDate::parse_from_str(&format!("{}-01", raw.trim()), "%Y-%m-%d")
        .map_err(|_| FieldError::new("", "invalid", "must be a YYYY-MM month"))
}

fn month_end(raw: &str) -> Result<NaiveDate, FieldError> {
    let start = month_start(raw)?;
    start
        .checked_add_months(Months::new(1))
        .and_then(|d| d.pred_opt())
        .ok_or_else(|| FieldError::new("", "invalid", "month out of range"))
}

fn closed() -> DomainError {
    DomainError::conflict(
        "deal-closed",
        "the deal is closed (won or lost) and can no longer change",
    )
}

fn in_use(e: StoreError) -> DomainError {
    match e {
        StoreError::Conflict { .. } => {
            DomainError::conflict("deal-in-use", "quotations still refer to this deal")
        }
        other => other.into(),
    }
}

/// Deals: CRUD, stage moves, closing, board and forecast.
#[derive(Clone)]
pub struct DealService {
    p: SalesPorts,
}

impl DealService {
    pub fn new(ports: SalesPorts) -> Self {
        Self { p: ports }
    }

    /// Needs `deals:read` (`:own`: only the caller's deals).
    pub async fn list(&self, actor: &Actor, query: &ListQuery) -> Result<Page<Deal>, DomainError> {
        let scope = require(actor, "deals", "read")?;
        let owner = owner_filter(actor, scope);
        Ok(self
            .p
            .deals
            .list(actor.organization_id, &narrowed(query, owner), owner)
            .await?)
    }

    /// Needs `deals:read`; `404` when missing, of another organization or outside `:own`.
    pub async fn get(&self, actor: &Actor, id: DealId) -> Result<Deal, DomainError> {
        let scope = require(actor, "deals", "read")?;
        self.visible(actor, scope, id).await
    }

    async fn visible(&self, actor: &Actor, scope: Scope, id: DealId) -> Result<Deal, DomainError> {
        let deal = self.p.deals.get(actor.organization_id, id).await?;
        in_scope(actor, scope, deal.owner_id)?;
        Ok(deal)
    }

    /// As [`Self::visible`], read and locked inside `tx` (see the port's `get_for_update`).
    async fn locked(
        &self,
        tx: &mut (dyn Tx + 'static),
        actor: &Actor,
        scope: Scope,
        id: DealId,
    ) -> Result<Deal, DomainError> {
        let deal = self
            .p
            .deals
            .get_for_update(tx, actor.organization_id, id)
            .await?;
        in_scope(actor, scope, deal.owner_id)?;
        Ok(deal)
    }

    /// The stage moves of the deal, oldest first; needs `deals:read` as [`Self::get`].
    pub async fn stage_history(
        &self,
        actor: &Actor,
        id: DealId,
    ) -> Result<Vec<StageChange>, DomainError> {
        let scope = require(actor, "deals", "read")?;
        self.visible(actor, scope, id).await?;
        Ok(self
            .p
            .deals
            .stage_history(actor.organization_id, id)
            .await?)
    }

    async fn check_lead(
        &self,
        actor: &Actor,
        id: LeadId,
        errors: &mut Errors,
    ) -> Result<(), DomainError> {
        if let Err(e) = reference(
            self.p.leads.get(actor.organization_id, id).await,
            not_found("lead_id", "lead"),
        )? {
            errors.push(e);
        }
        Ok(())
    }

    /// Needs `deals:write`. `422` per bad field: a `client_id` (`lead_id`, `pipeline_id`) that
    /// is not one of the organization's (visible) clients (leads, pipelines), a `stage_id` not
    /// of the pipeline, an owner as for leads.
    pub async fn create(&self, actor: &Actor, input: DealInput) -> Result<Deal, DomainError> {
        let scope = require(actor, "deals", "write")?;
        let org = actor.organization_id;
        let mut errors = Errors::default();
        let title = errors.take("title", required_text(&input.title, "title", TITLE_MAX));
        let amt = errors.take("amount", amount(input.amount));
        let cur = errors.take("currency", currency(&input.currency));
        let prob = match input.probability {
            Some(v) => errors.take("probability", probability(v)).map(Some),
            None => Some(None),
        };
        let close = match input.expected_close_date.as_deref() {
            Some(d) => errors.take("expected_close_date", date(d)).map(Some),
            None => Some(None),
        };
        if let Some(c) = input.client_id
            && let Err(e) = self.p.visible_client(actor, c, "client_id").await?
        {
            errors.push(e);
        }
        if let Some(l) = input.lead_id {
            self.check_lead(actor, l, &mut errors).await?;
        }
        let owner = input.owner_id.unwrap_or(actor.user_id);
        self.p
            .check_owner(actor, "deals", scope, owner, None, &mut errors)
            .await?;
        let pipeline = match self
            .p
            .pipeline_or_default(actor, input.pipeline_id, "pipeline_id")
            .await?
        {
            Ok(p) => Some(p),
            Err(e) => {
                errors.push(e);
                None
            }
        };
        let stage = pipeline.as_ref().and_then(|p| {
            let s = match input.stage_id {
                Some(id) => p.stage(id),
                None => p.first_stage(),
            };
            if s.is_none() {
                errors.push(not_found("stage_id", "stage in this pipeline"));
            }
            s.cloned()
        });
        let (Some(title), Some(amount), Some(currency), Some(prob), Some(close), Some(stage)) =
            (title, amt, cur, prob, close, stage)
        else {
            return Err(errors
                .finish()
                .err()
                .unwrap_or(DomainError::Unexpected("validation lost a value".into())));
        };
        errors.finish()?;
        let Some(pipeline) = pipeline else {
            return Err(DomainError::Unexpected("validation lost a value".into()));
        };
        let now = self.p.now();
        let deal = Deal {
            id: DealId::new(),
            organization_id: org,
            title,
            client_id: input.client_id,
            lead_id: input.lead_id,
            pipeline_id: pipeline.id,
            stage_id: stage.id,
            amount,
            currency,
            probability: prob.unwrap_or(stage.probability),
            expected_close_date: close,
            owner_id: owner,
            status: DealStatus::Open,
            lost_reason: None,
            closed_at: None,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        let mut tx = self.p.tx.begin().await?;
        self.p.deals.create(tx.as_mut(), &deal).await?;
        self.p
            .deals
            .record_stage_change(tx.as_mut(), &self.change(actor, &deal, None))
            .await?;
        let entry = audit(
            org,
            Some(actor.user_id),
            "deal",
            deal.id.0,
            "created",
            None,
            Some(&deal),
        );
        self.p.record(tx.as_mut(), entry).await?;
        tx.commit().await?;
        Ok(deal)
    }

    fn change(&self, actor: &Actor, deal: &Deal, from: Option<StageId>) -> StageChange {
        StageChange {
            id: Uuid::now_v7(),
            organization_id: deal.organization_id,
            deal_id: deal.id,
            from_stage_id: from,
            to_stage_id: deal.stage_id,
            changed_at: deal.updated_at,
            changed_by: Some(actor.user_id),
        }
    }

    /// Needs `deals:write` (`:own`: only the caller's deals, `404` for others). `409
    /// deal-closed` for a won or lost deal; `412` on a stale version; `422` per bad field. A
    /// stage move is recorded in the stage history in the same transaction.
    pub async fn update(
        &self,
        actor: &Actor,
        id: DealId,
        expected_version: Option<i64>,
        patch: DealPatch,
    ) -> Result<Deal, DomainError> {
        let scope = require(actor, "deals", "write")?;
        let org = actor.organization_id;
        // What the patch names is looked up before the transaction, on the pool (a read that
        // waited for a second connection while holding the transaction's could exhaust it).
        let mut errors = Errors::default();
        // Kept aside: a reference that stays as stored is not checked again.
        let mut client_error = None;
        if let Some(Some(c)) = patch.client_id {
            client_error = self.p.visible_client(actor, c, "client_id").await?.err();
        }
        let mut lead_error = Errors::default();
        if let Some(Some(l)) = patch.lead_id {
            self.check_lead(actor, l, &mut lead_error).await?;
        }
        if let Some(owner) = patch.owner_id {
            self.p
                .check_owner(actor, "deals", scope, owner, None, &mut errors)
                .await?;
        }
        let named_pipeline = match patch.pipeline_id {
            Some(p) => Some(reference(
                self.p.pipelines.get(org, p).await,
                not_found("pipeline_id", "pipeline"),
            )?),
            None => None,
        };
        let mut tx = self.p.tx.begin().await?;
        let current = self.locked(tx.as_mut(), actor, scope, id).await?;
        check_version(expected_version, current.version)?;
        if patch == DealPatch::default() {
            return Ok(current);
        }
        if current.is_closed() {
            return Err(closed());
        }
        let mut next = current.clone();
        if let Some(raw) = &patch.title
            && let Some(v) = errors.take("title", required_text(raw, "title", TITLE_MAX))
        {
            next.title = v;
        }
        if let Some(v) = patch.amount
            && let Some(v) = errors.take("amount", amount(v))
        {
            next.amount = v;
        }
        if let Some(raw) = &patch.currency
            && let Some(v) = errors.take("currency", currency(raw))
        {
            next.currency = v;
        }
        if let Some(raw) = &patch.expected_close_date {
            match raw {
                None => next.expected_close_date = None,
                Some(d) => {
                    if let Some(v) = errors.take("expected_close_date", date(d)) {
                        next.expected_close_date = Some(v);
                    }
                }
            }
        }
        if let Some(c) = patch.client_id {
            next.client_id = c;
            if c != current.client_id
                && let Some(e) = client_error
            {
                errors.push(e);
            }
        }
        if let Some(l) = patch.lead_id {
            next.lead_id = l;
            if l != current.lead_id {
                errors.extend(lead_error);
            }
        }
        if let Some(owner) = patch.owner_id {
            next.owner_id = owner;
        }
        // Pipeline and stage.
        let moved_pipeline = patch.pipeline_id.filter(|p| *p != current.pipeline_id);
        let target_stage = patch.stage_id.filter(|s| *s != current.stage_id);
        if moved_pipeline.is_some() || target_stage.is_some() {
            let pipeline = match named_pipeline {
                Some(named) => named,
                // A stage move within the deal's pipeline: read on this transaction.
                None => reference(
                    self.p
                        .pipelines
                        .get_in_tx(tx.as_mut(), org, current.pipeline_id)
                        .await,
                    not_found("pipeline_id", "pipeline"),
                )?,
            };
            match pipeline {
                Err(e) => errors.push(e),
                Ok(pipeline) => {
                    match self.stage_in(&pipeline, patch.stage_id, moved_pipeline.is_some()) {
                        Some((stage_id, prob)) => {
                            next.pipeline_id = pipeline.id;
                            next.stage_id = stage_id;
                            next.probability = prob;
                        }
                        None => errors.push(not_found("stage_id", "stage in this pipeline")),
                    }
                }
            }
        }
        if let Some(v) = patch.probability
            && let Some(v) = errors.take("probability", probability(v))
        {
            next.probability = v;
        }
        errors.finish()?;
        if next == current {
            return Ok(current);
        }
        let next = Deal {
            updated_at: self.p.now(),
            version: current.version + 1,
            ..next
        };
        self.p
            .deals
            .update(tx.as_mut(), &next, current.version)
            .await?;
        if next.stage_id != current.stage_id {
            self.p
                .deals
                .record_stage_change(
                    tx.as_mut(),
                    &self.change(actor, &next, Some(current.stage_id)),
                )
                .await?;
        }
        let entry = audit(
            org,
            Some(actor.user_id),
            "deal",
            id.0,
            "updated",
            Some(&current),
            Some(&next),
        );
        self.p.record(tx.as_mut(), entry).await?;
        tx.commit().await?;
        Ok(next)
    }

    /// The stage a deal moves to in `pipeline`, with its probability: `stage` when given
    /// (it must be of the pipeline), else the first stage when the pipeline changes.
    fn stage_in(
        &self,
        pipeline: &Pipeline,
        stage: Option<StageId>,
        pipeline_changed: bool,
    ) -> Option<(StageId, i32)> {
        let s = match stage {
            Some(id) => pipeline.stage(id),
            None if pipeline_changed => pipeline.first_stage(),
            None => None,
        };
        s.map(|s| (s.id, s.probability))
    }

    /// Needs `deals:delete` (`:own`: only the caller's deals). `409 deal-in-use` while
    /// quotations refer to it.
    pub async fn delete(&self, actor: &Actor, id: DealId) -> Result<(), DomainError> {
        let scope = require(actor, "deals", "delete")?;
        let mut tx = self.p.tx.begin().await?;
        let current = self.locked(tx.as_mut(), actor, scope, id).await?;
        self.p
            .deals
            .delete(tx.as_mut(), actor.organization_id, id)
            .await
            .map_err(in_use)?;
        let entry = audit(
            actor.organization_id,
            Some(actor.user_id),
            "deal",
            id.0,
            "deleted",
            Some(&current),
            None,
        );
        self.p.record(tx.as_mut(), entry).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Closes the deal as won (probability 100) and makes its client a `customer`, in one
    /// transaction. Needs `deals:write` as [`Self::update`]; `409 deal-closed` when already
    /// closed.
    pub async fn won(
        &self,
        actor: &Actor,
        id: DealId,
        expected_version: Option<i64>,
    ) -> Result<Deal, DomainError> {
        self.close(actor, id, expected_version, DealStatus::Won, None)
            .await
    }

    /// Closes the deal as lost (probability 0) with its reason (required, `422` on
    /// `reason`). Needs `deals:write` as [`Self::update`]; `409 deal-closed` when already
    /// closed.
    pub async fn lost(
        &self,
        actor: &Actor,
        id: DealId,
        expected_version: Option<i64>,
        input: LostInput,
    ) -> Result<Deal, DomainError> {
        let reason = optional_text(Some(&input.reason), "reason", REASON_MAX, true)
            .map_err(|mut e| {
                e.field = "reason".into();
                DomainError::Invalid(vec![e])
            })?
            .ok_or_else(|| {
                DomainError::invalid("reason", "required", "say why the deal was lost")
            })?;
        self.close(actor, id, expected_version, DealStatus::Lost, Some(reason))
            .await
    }

    async fn close(
        &self,
        actor: &Actor,
        id: DealId,
        expected_version: Option<i64>,
        status: DealStatus,
        reason: Option<String>,
    ) -> Result<Deal, DomainError> {
        let scope = require(actor, "deals", "write")?;
        let org = actor.organization_id;
        let mut tx = self.p.tx.begin().await?;
        // A concurrent close waits here, then finds the deal closed: 409, never 412.
        let current = self.locked(tx.as_mut(), actor, scope, id).await?;
        check_version(expected_version, current.version)?;
        if current.is_closed() {
            return Err(closed());
        }
        let now = self.p.now();
        let next = Deal {
            status,
            probability: if status == DealStatus::Won { 100 } else { 0 },
            lost_reason: reason,
            closed_at: Some(now),
            updated_at: now,
            version: current.version + 1,
            ..current.clone()
        };
        self.p
            .deals
            .update(tx.as_mut(), &next, current.version)
            .await?;
        let entry = audit(
            org,
            Some(actor.user_id),
            "deal",
            id.0,
            if status == DealStatus::Won {
                "won"
            } else {
                "lost"
            },
            Some(&current),
            Some(&next),
        );
        self.p.record(tx.as_mut(), entry).await?;
        if status == DealStatus::Won
            && let Some(client_id) = next.client_id
        {
            match self.p.clients.get_for_update(&mut tx, org, client_id).await {
                Ok(client) if client.lifecycle != Lifecycle::Customer => {
                    self.p
                        .clients
                        .set_lifecycle(&mut tx, org, client_id, Lifecycle::Customer)
                        .await?;
                    let mut after = client.clone();
                    after.lifecycle = Lifecycle::Customer;
                    let entry = audit(
                        org,
                        Some(actor.user_id),
                        "client",
                        client_id.0,
                        "updated",
                        Some(&client),
                        Some(&after),
                    );
                    self.p.record(tx.as_mut(), entry).await?;
                }
                Ok(_) => {}
                // The client was deleted meanwhile: the deal still closes.
                Err(StoreError::NotFound) => {
                    tracing::warn!(deal = %id, client = %client_id, "won deal's client is gone");
                }
                Err(e) => return Err(e.into()),
            }
        }
        tx.commit().await?;
        Ok(next)
    }

    /// The open deals of `pipeline_id` (the default pipeline when `None`) stage by stage,
    /// with their count and totals per currency aggregated by the store. Needs `deals:read`
    /// (`:own`: only the caller's deals, in the lists and in the figures). An unknown
    /// pipeline is `422` on `pipeline_id`.
    pub async fn board(
        &self,
        actor: &Actor,
        pipeline_id: Option<PipelineId>,
    ) -> Result<Board, DomainError> {
        let scope = require(actor, "deals", "read")?;
        let org = actor.organization_id;
        let owner = owner_filter(actor, scope);
        let pipeline = self
            .p
            .pipeline_or_default(actor, pipeline_id, "pipeline_id")
            .await?
            .map_err(|e| DomainError::Invalid(vec![e]))?;
        let totals = self.p.deals.board_totals(org, pipeline.id, owner).await?;
        let stage_ids: Vec<StageId> = pipeline.stages.iter().map(|s| s.id).collect();
        let deals = self
            .p
            .deals
            .board_deals(org, pipeline.id, &stage_ids, owner, BOARD_DEALS_PER_STAGE)
            .await?;
        let mut by_stage: BTreeMap<StageId, Vec<Deal>> = BTreeMap::new();
        for d in deals {
            by_stage.entry(d.stage_id).or_default().push(d);
        }
        let mut stages: Vec<BoardStage> = pipeline
            .stages
            .iter()
            .map(|s| {
                let mut sums: Vec<_> = totals.iter().filter(|t| t.stage_id == s.id).collect();
                sums.sort_by(|a, b| a.currency.code().cmp(b.currency.code()));
                BoardStage {
                    stage_id: s.id,
                    name: s.name.clone(),
                    position: s.position,
                    probability: s.probability,
                    count: sums.iter().map(|t| t.count).sum(),
                    totals: sums
                        .iter()
                        .map(|t| MoneyTotal {
                            currency: t.currency,
                            amount: t.amount,
                        })
                        .collect(),
                    deals: by_stage.remove(&s.id).unwrap_or_default(),
                }
            })
            .collect();
        stages.sort_by_key(|s| s.position);
        Ok(Board {
            pipeline_id: pipeline.id,
            stages,
        })
    }

    /// The probability-weighted open amounts per expected-close month and currency,
    /// computed by the store. Needs `deals:read` (`:own`: only the caller's deals). `422` on
    /// `from` / `to` when not `YYYY-MM`.
    pub async fn forecast(
        &self,
        actor: &Actor,
        query: ForecastQuery,
    ) -> Result<Forecast, DomainError> {
        let scope = require(actor, "deals", "read")?;
        let mut errors = Errors::default();
        let from = match query.from.as_deref() {
            Some(m) => errors.take("from", month_start(m)),
            None => None,
        };
        let to = match query.to.as_deref() {
            Some(m) => errors.take("to", month_end(m)),
            None => None,
        };
        if let (Some(f), Some(t)) = (from, to)
            && f > t
        {
            errors.add("to", "out_of_range", "to must not be before from");
        }
        errors.finish()?;
        let owner = match scope {
            Scope::Own => Some(actor.user_id),
            Scope::All => query.owner_id,
        };
        let filter = ForecastFilter {
            pipeline_id: query.pipeline_id,
            owner_id: owner,
            from,
            to,
        };
        let rows = self
            .p
            .deals
            .forecast(actor.organization_id, &filter)
            .await?;
        Ok(Forecast { rows })
    }
}

/// `YYYY-MM` of a date, as the forecast groups it.
pub fn month_of(d: NaiveDate) -> String {
    format!("{:04}-{:02}", d.year(), d.month())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deals::model::StageTotal;
    use crate::test_support::*;
    use crm_domain::Currency;

    const RW: &[&str] = &["deals:read", "deals:write", "deals:delete", "clients:read"];

    fn usd() -> Currency {
        Currency::parse("USD").unwrap()
    }

    #[tokio::test]
    async fn a_new_deal_starts_in_the_default_pipelines_first_stage_with_its_probability() {
        let mut env = Env::new();
        let default = pipeline(ORG, true);
        let first = default.stages[0].clone();
        env.pipelines
            .expect_get_default()
            .returning(move |_| Ok(Some(default.clone())));
        let fid = first.id;
        env.deals
            .expect_create()
            .withf(move |_, d| d.stage_id == fid && d.probability == 10)
            .times(1)
            .returning(|_, _| Ok(()));
        env.deals
            .expect_record_stage_change()
            .withf(move |_, c| c.from_stage_id.is_none() && c.to_stage_id == fid)
            .times(1)
            .returning(|_, _| Ok(()));
        let (ports, probe) = env.build();
        let svc = DealService::new(ports);
        let input = DealInput {
            title: "Renewal".into(),
            client_id: None,
            lead_id: None,
            pipeline_id: None,
            stage_id: None,
            amount: 100_000,
            currency: "usd".into(),
            probability: None,
            expected_close_date: Some("2026-04-30".into()),
            owner_id: None,
        };
        let d = svc.create(&actor(ORG, RW), input).await.unwrap();
        assert_eq!(d.status, DealStatus::Open);
        assert_eq!(
            d.expected_close_date.map(month_of).as_deref(),
            Some("2026-04")
        );
        assert!(probe.committed());
    }

    #[tokio::test]
    async fn moving_a_stage_is_recorded_and_takes_the_stages_probability() {
        let mut env = Env::new();
        let a = actor(ORG, RW);
        let p = pipeline(ORG, true);
        let d = deal(ORG, a.user_id, &p);
        let (did, to) = (d.id, p.stages[2].clone());
        let from = d.stage_id;
        env.deals
            .expect_get_for_update()
            .returning(move |_, _, _| Ok(d.clone()));
        // A stage move reads the deal's pipeline on the deal's transaction.
        env.pipelines
            .expect_get_in_tx()
            .returning(move |_, _, _| Ok(p.clone()));
        let to_id = to.id;
        env.deals
            .expect_update()
            .withf(move |_, d, v| d.stage_id == to_id && d.probability == 70 && *v == 1)
            .times(1)
            .returning(|_, _, _| Ok(()));
        env.deals
            .expect_record_stage_change()
            .withf(move |_, c| c.from_stage_id == Some(from) && c.to_stage_id == to_id)
            .times(1)
            .returning(|_, _| Ok(()));
        let (ports, probe) = env.build();
        let svc = DealService::new(ports);
        let patch = DealPatch {
            stage_id: Some(to_id),
            ..Default::default()
        };
        let moved = svc.update(&a, did, Some(1), patch).await.unwrap();
        assert_eq!((moved.version, moved.probability), (2, 70));
        assert!(probe.committed());
        // A stage of another pipeline is a 422.
        let foreign = DealPatch {
            stage_id: Some(StageId::new()),
            ..Default::default()
        };
        let Err(DomainError::Invalid(e)) = svc.update(&a, did, None, foreign).await else {
            panic!("expected 422")
        };
        assert_eq!(e[0].field, "stage_id");
    }

    #[tokio::test]
    async fn a_closed_deal_cannot_move_change_or_close_again() {
        let mut env = Env::new();
        let a = actor(ORG, RW);
        let p = pipeline(ORG, true);
        let mut d = deal(ORG, a.user_id, &p);
        d.status = DealStatus::Lost;
        let id = d.id;
        env.deals
            .expect_get_for_update()
            .returning(move |_, _, _| Ok(d.clone()));
        let (ports, probe) = env.build();
        let svc = DealService::new(ports);
        let patch = DealPatch {
            stage_id: Some(p.stages[1].id),
            ..Default::default()
        };
        for r in [
            svc.update(&a, id, None, patch).await,
            svc.won(&a, id, None).await,
            svc.lost(&a, id, None, LostInput { reason: "x".into() })
                .await,
        ] {
            assert!(
                matches!(
                    r,
                    Err(DomainError::Conflict {
                        code: "deal-closed",
                        ..
                    })
                ),
                "{r:?}"
            );
        }
        assert!(!probe.committed());
        assert!(probe.audit().is_empty());
    }

    #[tokio::test]
    async fn winning_makes_the_client_a_customer_in_the_same_transaction() {
        let mut env = Env::new();
        let a = actor(ORG, RW);
        let p = pipeline(ORG, true);
        let mut d = deal(ORG, a.user_id, &p);
        let c = client(ORG, a.user_id);
        d.client_id = Some(c.id);
        let (id, cid) = (d.id, c.id);
        env.deals
            .expect_get_for_update()
            .returning(move |_, _, _| Ok(d.clone()));
        env.deals
            .expect_update()
            .withf(|_, d, _| {
                d.status == DealStatus::Won && d.probability == 100 && d.closed_at.is_some()
            })
            .times(1)
            .returning(|_, _, _| Ok(()));
        env.clients
            .expect_get_for_update()
            .returning(move |_, _, _| Ok(c.clone()));
        env.clients
            .expect_set_lifecycle()
            .withf(move |_, o, c, l| *o == ORG && *c == cid && *l == Lifecycle::Customer)
            .times(1)
            .returning(|_, _, _, _| Ok(()));
        let (ports, probe) = env.build();
        let svc = DealService::new(ports);
        let won = svc.won(&a, id, Some(1)).await.unwrap();
        assert_eq!(won.status, DealStatus::Won);
        assert!(probe.committed());
        let kinds: Vec<_> = probe
            .audit()
            .iter()
            .map(|e| (e.entity_type, e.action))
            .collect();
        assert_eq!(kinds, [("deal", "won"), ("client", "updated")]);
    }

    #[tokio::test]
    async fn lost_needs_a_reason() {
        let (ports, _) = Env::new().build();
        let svc = DealService::new(ports);
        let Err(DomainError::Invalid(e)) = svc
            .lost(
                &actor(ORG, RW),
                DealId::new(),
                None,
                LostInput {
                    reason: "  ".into(),
                },
            )
            .await
        else {
            panic!("expected 422")
        };
        assert_eq!(e[0].field, "reason");
    }

    #[tokio::test]
    async fn own_scope_hides_other_deals_and_narrows_board_and_forecast() {
        let mut env = Env::new();
        let a = actor(ORG, &["deals:read:own", "deals:write:own"]);
        let p = pipeline(ORG, true);
        let theirs = deal(ORG, UserId::new(), &p);
        let tid = theirs.id;
        let stored = theirs.clone();
        env.deals
            .expect_get()
            .returning(move |_, _| Ok(stored.clone()));
        env.deals
            .expect_get_for_update()
            .returning(move |_, _, _| Ok(theirs.clone()));
        let pc = p.clone();
        env.pipelines
            .expect_get_default()
            .returning(move |_| Ok(Some(pc.clone())));
        let uid = a.user_id;
        let s0 = p.stages[0].id;
        env.deals
            .expect_board_totals()
            .withf(move |_, _, o| *o == Some(uid))
            .returning(move |_, _, _| {
                Ok(vec![
                    StageTotal {
                        stage_id: s0,
                        currency: Currency::parse("EUR").unwrap(),
                        count: 1,
                        amount: 5,
                    },
                    StageTotal {
                        stage_id: s0,
                        currency: usd(),
                        count: 2,
                        amount: 300,
                    },
                ])
            });
        env.deals
            .expect_board_deals()
            .withf(move |_, _, stages, o, n| stages.len() == 3 && *o == Some(uid) && *n == 100)
            .returning(|_, _, _, _, _| Ok(vec![]));
        env.deals
            .expect_forecast()
            .withf(move |_, f| f.owner_id == Some(uid))
            .returning(|_, _| Ok(vec![]));
        let (ports, _) = env.build();
        let svc = DealService::new(ports);
        assert_eq!(svc.get(&a, tid).await, Err(DomainError::NotFound));
        assert_eq!(
            svc.update(
                &a,
                tid,
                None,
                DealPatch {
                    title: Some("x".into()),
                    ..Default::default()
                }
            )
            .await,
            Err(DomainError::NotFound)
        );
        assert_eq!(svc.won(&a, tid, None).await, Err(DomainError::NotFound));
        let board = svc.board(&a, None).await.unwrap();
        assert_eq!(board.stages.len(), 3);
        assert_eq!(board.stages[0].count, 3);
        let codes: Vec<_> = board.stages[0]
            .totals
            .iter()
            .map(|t| t.currency.code())
            .collect();
        assert_eq!(codes, ["EUR", "USD"]);
        assert_eq!(board.stages[1].count, 0);
        let q = ForecastQuery {
            owner_id: Some(UserId::new()),
            ..Default::default()
        };
        svc.forecast(&a, q).await.unwrap();
    }

    #[tokio::test]
    async fn forecast_months_are_validated() {
        let (ports, _) = Env::new().build();
        let svc = DealService::new(ports);
        let q = ForecastQuery {
            from: Some("2026-13".into()),
            to: Some("soon".into()),
            ..Default::default()
        };
        let Err(DomainError::Invalid(e)) = svc.forecast(&actor(ORG, RW), q).await else {
            panic!("expected 422")
        };
        assert_eq!(e.len(), 2);
        assert_eq!(month_end("2026-02").unwrap().to_string(), "2026-02-28");
        assert_eq!(month_end("2024-12").unwrap().to_string(), "2024-12-31");
    }
}
