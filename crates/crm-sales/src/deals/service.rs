//! `/deals`, `POST /deals/{id}/won|lost`, `GET /deals/board`, `GET /deals/forecast`.

use super::model::{
    BOARD_DEALS_PER_STAGE, Board, BoardStage, Deal, DealId, DealInput, DealPatch, DealStatus,
    Forecast, ForecastQuery, LostInput, MoneyTotal, REASON_MAX, StageChange, title,
};
use super::ports::ForecastFilter;
use crate::SalesPorts;
use crate::common::{amount, currency, optional_date, optional_text, probability, text};
use crate::leads::LeadId;
use crate::pipelines::{Pipeline, PipelineId, Stage, StageId};
use crate::requirements::{DealsDelete, DealsRead, DealsWrite};
use chrono::{Datelike, Months, NaiveDate};
use crm_domain::activity::audit;
use crm_domain::clients::{Client, Lifecycle};
use crm_domain::kernel::input::{Errors, Refusal, invalid, not_found};
use crm_domain::kernel::pagination::{ListQuery, Page};
use crm_domain::kernel::records::{get_owned, list_owned, locked_owned};
use crm_domain::kernel::rules::check_version;
use crm_domain::kernel::scope::{owner_filter, require};
use crm_domain::{Actor, DomainError, StoreError, ValueError};
use std::collections::BTreeMap;
use uuid::Uuid;

fn month_start(raw: &str) -> Result<NaiveDate, ValueError> {
    NaiveDate::parse_from_str(&format!("{}-01", raw.trim()), "%Y-%m-%d")
        .map_err(|_| ValueError::new("invalid", "must be a YYYY-MM month"))
}

fn month_end(raw: &str) -> Result<NaiveDate, ValueError> {
    month_start(raw)?
        .checked_add_months(Months::new(1))
        .and_then(|d| d.pred_opt())
        .ok_or_else(|| ValueError::new("invalid", "month out of range"))
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

/// The stage a deal moves to in `pipeline`: `stage` when given (it must be of the pipeline),
/// else the first stage when the pipeline changes.
fn stage_in(pipeline: &Pipeline, stage: Option<StageId>, pipeline_changed: bool) -> Option<&Stage> {
    match stage {
        Some(id) => pipeline.stage(id),
        None if pipeline_changed => pipeline.first_stage(),
        None => None,
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
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn list(&self, actor: &Actor, query: &ListQuery) -> Result<Page<Deal>, DomainError> {
        list_owned::<DealsRead, _>(&*self.p.deals, actor, query).await
    }

    /// Needs `deals:read`; `404` when missing, of another organization or outside `:own`.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn get(&self, actor: &Actor, id: DealId) -> Result<Deal, DomainError> {
        get_owned::<DealsRead, _>(&*self.p.deals, actor, id).await
    }

    /// The stage moves of the deal, oldest first; needs `deals:read` as [`Self::get`].
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn stage_history(
        &self,
        actor: &Actor,
        id: DealId,
    ) -> Result<Vec<StageChange>, DomainError> {
        self.get(actor, id).await?;
        Ok(self
            .p
            .deal_stages
            .stage_history(actor.organization_id, id)
            .await?)
    }

    /// Files `not_found` on `lead_id` unless the lead is one of the organization's.
    async fn check_lead(
        &self,
        actor: &Actor,
        id: LeadId,
        errors: &mut Errors,
    ) -> Result<(), DomainError> {
        let found = self.p.leads.get(actor.organization_id, id).await;
        errors.reference("lead_id", "lead", found)?;
        Ok(())
    }

    /// Needs `deals:write`. `422` per bad field: a `client_id` (`lead_id`, `pipeline_id`) that
    /// is not one of the organization's (visible) clients (leads, pipelines), a `stage_id` not
    /// of the pipeline, an owner as for leads.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn create(&self, actor: &Actor, input: DealInput) -> Result<Deal, DomainError> {
        let scope = require::<DealsWrite>(actor)?;
        let mut errors = Errors::new();
        let title = errors.value("title", title(&input.title));
        let amount = errors.value("amount", amount(input.amount));
        let currency = errors.value("currency", currency(&input.currency));
        let chosen = errors.value(
            "probability",
            input.probability.map(probability).transpose(),
        );
        let expected_close_date = errors.value(
            "expected_close_date",
            optional_date(input.expected_close_date.as_deref()),
        );
        if let Some(c) = input.client_id {
            self.p
                .visible_client(actor, c, "client_id", &mut errors)
                .await?;
        }
        if let Some(l) = input.lead_id {
            self.check_lead(actor, l, &mut errors).await?;
        }
        let owner_id = input.owner_id.unwrap_or(actor.user_id);
        self.p
            .check_owner::<DealsWrite>(actor, scope, owner_id, &mut errors)
            .await?;
        let found = self.p.pipeline_or_default(actor, input.pipeline_id).await?;
        let start = errors.take("pipeline_id", found).and_then(|pipeline| {
            let stage = match input.stage_id {
                Some(id) => pipeline.stage(id),
                None => pipeline.first_stage(),
            };
            let start = stage.map(|s| (pipeline.id, s.id, s.probability));
            if start.is_none() {
                errors.push(not_found("stage_id", "stage in this pipeline"));
            }
            start
        });
        let (pipeline_id, stage_id, stage_probability) = start.unwrap_or_default();
        let now = self.p.now();
        let deal = Deal {
            id: DealId::new(),
            organization_id: actor.organization_id,
            title,
            client_id: input.client_id,
            lead_id: input.lead_id,
            pipeline_id,
            stage_id,
            amount,
            currency,
            probability: chosen.unwrap_or(stage_probability),
            expected_close_date,
            owner_id,
            status: DealStatus::Open,
            lost_reason: None,
            closed_at: None,
            legacy_id: None,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        errors.finish()?;
        let mut tx = self.p.tx.begin().await?;
        self.p.deals.create(&mut tx, &deal).await?;
        self.p
            .deal_stages
            .record_stage_change(&mut tx, &self.change(actor, &deal, None))
            .await?;
        self.p.record(&mut tx, audit::created(actor, &deal)).await?;
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
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn update(
        &self,
        actor: &Actor,
        id: DealId,
        expected_version: Option<i64>,
        patch: DealPatch,
    ) -> Result<Deal, DomainError> {
        let scope = require::<DealsWrite>(actor)?;
        let org = actor.organization_id;
        // What the patch names is looked up before the transaction, on the pool (a read that
        // waited for a second connection while holding the transaction's could exhaust it).
        // Client and lead refusals are kept aside: a reference that stays as stored is not
        // checked again.
        let mut errors = Errors::new();
        let mut client_errors = Errors::new();
        if let Some(Some(c)) = patch.client_id {
            self.p
                .visible_client(actor, c, "client_id", &mut client_errors)
                .await?;
        }
        let mut lead_errors = Errors::new();
        if let Some(Some(l)) = patch.lead_id {
            self.check_lead(actor, l, &mut lead_errors).await?;
        }
        if let Some(owner) = patch.owner_id {
            self.p
                .check_owner::<DealsWrite>(actor, scope, owner, &mut errors)
                .await?;
        }
        let named_pipeline = match patch.pipeline_id {
            Some(p) => Some(self.p.pipelines.get(org, p).await),
            None => None,
        };
        let mut tx = self.p.tx.begin().await?;
        let current = locked_owned(&*self.p.deals, &mut tx, actor, scope, id).await?;
        check_version(expected_version, current.version)?;
        if patch == DealPatch::default() {
            return Ok(current);
        }
        if current.is_closed() {
            return Err(closed());
        }
        let mut next = current.clone();
        let p = &patch;
        errors.patch("title", &mut next.title, p.title.as_deref().map(title));
        errors.patch("amount", &mut next.amount, p.amount.map(amount));
        let cur = p.currency.as_deref().map(currency);
        errors.patch("currency", &mut next.currency, cur);
        let close = text(&p.expected_close_date, optional_date);
        errors.patch("expected_close_date", &mut next.expected_close_date, close);
        next.client_id = p.client_id.unwrap_or(next.client_id);
        if next.client_id != current.client_id {
            errors.extend(client_errors);
        }
        next.lead_id = p.lead_id.unwrap_or(next.lead_id);
        if next.lead_id != current.lead_id {
            errors.extend(lead_errors);
        }
        next.owner_id = p.owner_id.unwrap_or(next.owner_id);
        // Pipeline and stage.
        let moved_pipeline = p.pipeline_id.filter(|p| *p != current.pipeline_id);
        let target_stage = p.stage_id.filter(|s| *s != current.stage_id);
        if moved_pipeline.is_some() || target_stage.is_some() {
            let found = match named_pipeline {
                Some(named) => named,
                // A stage move within the deal's pipeline: read on this transaction.
                None => {
                    self.p
                        .pipelines
                        .get_in_tx(&mut tx, org, current.pipeline_id)
                        .await
                }
            };
            if let Some(pipeline) = errors.reference("pipeline_id", "pipeline", found)? {
                match stage_in(&pipeline, p.stage_id, moved_pipeline.is_some()) {
                    Some(stage) => {
                        next.pipeline_id = pipeline.id;
                        next.stage_id = stage.id;
                        next.probability = stage.probability;
                    }
                    None => errors.push(not_found("stage_id", "stage in this pipeline")),
                }
            }
        }
        let chosen = p.probability.map(probability);
        errors.patch("probability", &mut next.probability, chosen);
        errors.finish()?;
        if next == current {
            return Ok(current);
        }
        let next = Deal {
            updated_at: self.p.now(),
            version: current.version + 1,
            ..next
        };
        self.p.deals.update(&mut tx, &next, current.version).await?;
        if next.stage_id != current.stage_id {
            let change = self.change(actor, &next, Some(current.stage_id));
            self.p
                .deal_stages
                .record_stage_change(&mut tx, &change)
                .await?;
        }
        let mut entry = audit::updated(actor, &current, &next);
        if next.stage_id != current.stage_id {
            entry = entry.as_event("stage_changed");
        }
        self.p.record(&mut tx, entry).await?;
        tx.commit().await?;
        Ok(next)
    }

    /// Needs `deals:delete` (`:own`: only the caller's deals). `409 deal-in-use` while
    /// quotations refer to it.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn delete(&self, actor: &Actor, id: DealId) -> Result<(), DomainError> {
        let scope = require::<DealsDelete>(actor)?;
        let mut tx = self.p.tx.begin().await?;
        let current = locked_owned(&*self.p.deals, &mut tx, actor, scope, id).await?;
        self.p
            .deals
            .delete(&mut tx, actor.organization_id, id)
            .await
            .map_err(in_use)?;
        self.p
            .record(&mut tx, audit::deleted(actor, &current))
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Closes the deal as won (probability 100) and makes its client a `customer`, in one
    /// transaction. Needs `deals:write` as [`Self::update`]; `409 deal-closed` when already
    /// closed.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
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
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn lost(
        &self,
        actor: &Actor,
        id: DealId,
        expected_version: Option<i64>,
        input: LostInput,
    ) -> Result<Deal, DomainError> {
        self.close(actor, id, expected_version, DealStatus::Lost, Some(input))
            .await
    }

    async fn close(
        &self,
        actor: &Actor,
        id: DealId,
        expected_version: Option<i64>,
        status: DealStatus,
        lost: Option<LostInput>,
    ) -> Result<Deal, DomainError> {
        let scope = require::<DealsWrite>(actor)?;
        let org = actor.organization_id;
        let mut tx = self.p.tx.begin().await?;
        // A concurrent close waits here, then finds the deal closed: 409, never 412.
        let current = locked_owned(&*self.p.deals, &mut tx, actor, scope, id).await?;
        check_version(expected_version, current.version)?;
        let reason = match lost {
            Some(input) => Some(
                optional_text(Some(&input.reason), "reason", REASON_MAX, true)
                    .map_err(|e| DomainError::Invalid(vec![e.at("reason")]))?
                    .ok_or_else(|| invalid("reason", "required", "say why the deal was lost"))?,
            ),
            None => None,
        };
        if current.is_closed() {
            return Err(closed());
        }
        let now = self.p.now();
        let won = status == DealStatus::Won;
        let next = Deal {
            status,
            probability: if won { 100 } else { 0 },
            lost_reason: reason,
            closed_at: Some(now),
            updated_at: now,
            version: current.version + 1,
            ..current.clone()
        };
        self.p.deals.update(&mut tx, &next, current.version).await?;
        let entry = audit::changed(actor, if won { "won" } else { "lost" }, &current, &next);
        self.p.record(&mut tx, entry).await?;
        if won && let Some(client_id) = next.client_id {
            match self.p.clients.get_for_update(&mut tx, org, client_id).await {
                Ok(client) if client.lifecycle != Lifecycle::Customer => {
                    self.p
                        .client_lifecycle
                        .set_lifecycle(&mut tx, org, client_id, Lifecycle::Customer)
                        .await?;
                    let after = Client {
                        lifecycle: Lifecycle::Customer,
                        ..client.clone()
                    };
                    self.p
                        .record(&mut tx, audit::updated(actor, &client, &after))
                        .await?;
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
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn board(
        &self,
        actor: &Actor,
        pipeline_id: Option<PipelineId>,
    ) -> Result<Board, DomainError> {
        let owner = owner_filter(actor, require::<DealsRead>(actor)?);
        let org = actor.organization_id;
        let pipeline = self
            .p
            .pipeline_or_default(actor, pipeline_id)
            .await?
            .map_err(|e| DomainError::Invalid(vec![e]))?;
        let totals = self
            .p
            .deal_stages
            .board_totals(org, pipeline.id, owner)
            .await?;
        let stage_ids: Vec<StageId> = pipeline.stages.iter().map(|s| s.id).collect();
        let deals = self
            .p
            .deal_stages
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
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn forecast(
        &self,
        actor: &Actor,
        query: ForecastQuery,
    ) -> Result<Forecast, DomainError> {
        let scope = require::<DealsRead>(actor)?;
        let mut errors = Errors::new();
        let from = errors.value("from", query.from.as_deref().map(month_start).transpose());
        let to = errors.value("to", query.to.as_deref().map(month_end).transpose());
        if let (Some(f), Some(t)) = (from, to)
            && f > t
        {
            errors.add("to", "out_of_range", "to must not be before from");
        }
        errors.finish()?;
        let filter = ForecastFilter {
            pipeline_id: query.pipeline_id,
            owner_id: owner_filter(actor, scope).or(query.owner_id),
            from,
            to,
        };
        let rows = self
            .p
            .deal_stages
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
    use crm_domain::UserId;

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
        env.deal_stages
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
        env.deal_stages
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
        env.client_lifecycle
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
        let mut env = Env::new();
        let a = actor(ORG, RW);
        let d = deal(ORG, a.user_id, &pipeline(ORG, true));
        let id = d.id;
        env.deals
            .expect_get_for_update()
            .returning(move |_, _, _| Ok(d.clone()));
        let (ports, probe) = env.build();
        let svc = DealService::new(ports);
        let Err(DomainError::Invalid(e)) = svc
            .lost(
                &a,
                id,
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
        assert!(!probe.committed());
    }

    #[tokio::test]
    async fn losing_a_missing_deal_is_404_whatever_the_reason() {
        let mut env = Env::new();
        env.deals
            .expect_get_for_update()
            .returning(|_, _, _| Err(StoreError::NotFound));
        let (ports, _) = env.build();
        let svc = DealService::new(ports);
        let lost = LostInput { reason: " ".into() };
        let r = svc.lost(&actor(ORG, RW), DealId::new(), None, lost).await;
        assert_eq!(r.unwrap_err(), DomainError::NotFound);
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
        env.deal_stages
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
        env.deal_stages
            .expect_board_deals()
            .withf(move |_, _, stages, o, n| stages.len() == 3 && *o == Some(uid) && *n == 100)
            .returning(|_, _, _, _, _| Ok(vec![]));
        env.deal_stages
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
