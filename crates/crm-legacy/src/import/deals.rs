//! `Deals` → deals. The old table has no tenant column (two model versions: `deal_stage`,
//! `deal_price`, `closed_date` or `stage`, `price`, `closedDate`): a deal's tenant is its
//! `client_id` or creator's when it has them, else its pipeline's, else its lead's. Its
//! pipeline and stage are named by id or by name; one that cannot be found puts the deal in
//! the organization's default pipeline or the pipeline's first stage, reported. Owned by
//! its agent, else its creator, else the tenant owner; the price, in whole units, becomes
//! minor units of its currency.

use super::{Ctx, ImportError, Tenant, target_err, upsert};
use crate::report::Step;
use crate::rules;
use crate::source::{Row, Source};
use crm_db::legacy::LegacyTable;
use crm_domain::OrganizationId;
use crm_domain::clients::ClientId;
use crm_sales::deals::{Deal, DealId, DealRepository, DealStatus, StageChange};
use crm_sales::leads::LeadId;
use crm_sales::pipelines::{
    DEFAULT_PIPELINE_NAME, DEFAULT_STAGES, Pipeline, PipelineId, PipelineRepository, Stage, StageId,
};
use std::collections::HashMap;

pub(crate) const DEALS: Step = Step {
    source: "Deals",
    target: "deals",
};

const COLUMNS: &[&str] = &[
    "id",
    "leadTitle",
    "dealName",
    "pipeline",
    "currency",
    "created_by",
    "createdAt",
    "updatedAt",
];

/// Columns of which one model version has the first and another the second.
const EITHER: &[[&str; 2]] = &[
    ["deal_stage", "stage"],
    ["deal_price", "price"],
    ["closed_date", "closedDate"],
];

/// Read when the table has them (no model version read has them all).
const OPTIONAL: &[&str] = &["deal_agent", "client", "client_id", "status"];

/// Longest deal title (the deal module's limit).
const TITLE_MAX: usize = 200;

/// The status of an old deal here, from a `status` column some tables have.
pub(crate) fn deal_status(raw: Option<&str>) -> DealStatus {
    match raw.map(|s| s.trim().to_ascii_lowercase()).as_deref() {
        Some("won" | "closed won" | "closed_won" | "win") => DealStatus::Won,
        Some("lost" | "closed lost" | "closed_lost") => DealStatus::Lost,
        _ => DealStatus::Open,
    }
}

fn first<'r>(row: &'r Row, columns: &[&str; 2]) -> Option<&'r str> {
    row.get(columns[0]).or_else(|| row.get(columns[1]))
}

/// Where a deal goes: its pipeline and stage, and what was not found on the way.
struct Placed {
    pipeline: Pipeline,
    stage: Stage,
    notes: Vec<String>,
}

pub(crate) async fn import(source: &Source, ctx: &mut Ctx<'_>) -> Result<(), ImportError> {
    let columns = source.columns("Deals").await?.unwrap_or_default();
    let mut wanted = COLUMNS.to_vec();
    for pair in EITHER {
        // The first name when the table has neither, so the report says it is missing.
        let present: Vec<&str> = pair
            .iter()
            .copied()
            .filter(|c| columns.contains(*c))
            .collect();
        if present.is_empty() {
            wanted.push(pair[0]);
        } else {
            wanted.extend(present);
        }
    }
    wanted.extend(OPTIONAL.iter().copied().filter(|c| columns.contains(*c)));
    let rows = super::read(source, &mut ctx.report, "Deals", &wanted)
        .await?
        .map(|t| t.rows)
        .unwrap_or_default();
    ctx.report.step(DEALS);
    ctx.progress.start(DEALS, rows.len() as u64);
    let pipeline_ids = ctx.by_legacy_id(LegacyTable::Pipelines);
    let lead_ids = ctx.by_legacy_id(LegacyTable::Leads);
    let mut defaults: HashMap<OrganizationId, Pipeline> = HashMap::new();
    for row in &rows {
        let tenant = ctx.tenant_or_by(
            row,
            &[
                (&pipeline_ids, row.get("pipeline")),
                (&lead_ids, row.get("leadTitle")),
            ],
        );
        let Some(tenant) = tenant else {
            ctx.skip(
                DEALS,
                row.id(),
                "no tenant: no client_id, creator, pipeline or lead of an imported tenant",
            );
            continue;
        };
        one(ctx, row, tenant, &mut defaults).await?;
    }
    ctx.progress.finish();
    Ok(())
}

/// The organization's default pipeline, made as this server makes it when there is none.
async fn default_pipeline(
    ctx: &mut Ctx<'_>,
    defaults: &mut HashMap<OrganizationId, Pipeline>,
    org: OrganizationId,
) -> Result<Pipeline, ImportError> {
    if let Some(p) = defaults.get(&org) {
        return Ok(p.clone());
    }
    let candidate = Pipeline {
        id: PipelineId::new(),
        organization_id: org,
        name: DEFAULT_PIPELINE_NAME.to_string(),
        is_default: true,
        stages: DEFAULT_STAGES
            .iter()
            .enumerate()
            .map(|(i, (name, probability))| Stage {
                id: StageId::new(),
                name: (*name).to_string(),
                position: i32::try_from(i).unwrap_or(i32::MAX),
                probability: *probability,
                legacy_id: None,
            })
            .collect(),
        legacy_id: None,
        created_at: ctx.now,
        updated_at: ctx.now,
        version: 1,
    };
    let (pipeline, _) = ctx
        .target
        .pipelines
        .ensure_default(&mut ctx.tx, org, &candidate)
        .await
        .map_err(target_err("the default pipeline"))?;
    defaults.insert(org, pipeline.clone());
    Ok(pipeline)
}

/// The pipeline and stage of a deal, by id or by name, else the default pipeline and the
/// first stage.
async fn place(
    ctx: &mut Ctx<'_>,
    defaults: &mut HashMap<OrganizationId, Pipeline>,
    org: OrganizationId,
    pipeline_raw: Option<&str>,
    stage_raw: Option<&str>,
) -> Result<Option<Placed>, ImportError> {
    let mut notes = Vec::new();
    let by_id = |raw: &str| ctx.pipelines.get(&(org, raw.to_string()));
    let by_name = |raw: &str| {
        ctx.pipelines
            .iter()
            .filter(|((o, _), _)| *o == org)
            .map(|(_, p)| p)
            .find(|p| p.name.eq_ignore_ascii_case(raw.trim()))
    };
    let of_stage = |raw: &str| {
        ctx.pipelines
            .iter()
            .filter(|((o, _), _)| *o == org)
            .map(|(_, p)| p)
            .find(|p| p.stages.iter().any(|s| s.legacy_id.as_deref() == Some(raw)))
    };
    let found = match pipeline_raw {
        Some(p) => by_id(p).or_else(|| by_name(p)),
        None => None,
    }
    .or_else(|| stage_raw.and_then(of_stage))
    .cloned();
    let pipeline = match found {
        Some(p) => p,
        None => {
            notes.push(match pipeline_raw {
                Some(p) => format!("pipeline {p} not found: put in the default pipeline"),
                None => "no pipeline: put in the default pipeline".to_string(),
            });
            default_pipeline(ctx, defaults, org).await?
        }
    };
    let stage = stage_raw.and_then(|raw| {
        pipeline
            .stages
            .iter()
            .find(|s| s.legacy_id.as_deref() == Some(raw))
            .or_else(|| {
                pipeline
                    .stages
                    .iter()
                    .find(|s| s.name.eq_ignore_ascii_case(raw.trim()))
            })
    });
    let stage = match stage {
        Some(s) => s.clone(),
        None => {
            let Some(first) = pipeline.first_stage() else {
                return Ok(None);
            };
            notes.push(match stage_raw {
                Some(s) => format!(
                    "stage {s} not found in pipeline {}: put in its first stage",
                    pipeline.name
                ),
                None => format!("no stage: put in the first stage of {}", pipeline.name),
            });
            first.clone()
        }
    };
    Ok(Some(Placed {
        pipeline,
        stage,
        notes,
    }))
}

async fn one(
    ctx: &mut Ctx<'_>,
    row: &Row,
    tenant: Tenant,
    defaults: &mut HashMap<OrganizationId, Pipeline>,
) -> Result<(), ImportError> {
    let legacy = row.id().to_string();
    let org = tenant.org;
    let (price_raw, stage_raw, close_raw) = (
        first(row, &EITHER[1]),
        first(row, &EITHER[0]),
        first(row, &EITHER[2]),
    );
    let currency = ctx.currency_or_default(DEALS.source, &legacy, row.get("currency"))?;
    let amount = match price_raw.map(|p| rules::minor_units(p, currency)) {
        None => 0,
        Some(Some(a)) if a >= 0 => a,
        Some(_) => {
            ctx.skip(
                DEALS,
                &legacy,
                format!("price {:?} is not an amount", price_raw.unwrap_or("")),
            );
            return Ok(());
        }
    };
    let Some(placed) = place(ctx, defaults, org, row.get("pipeline"), stage_raw).await? else {
        ctx.skip(DEALS, &legacy, "its pipeline has no stage");
        return Ok(());
    };
    for n in &placed.notes {
        ctx.report.note(DEALS.source, &legacy, n.clone());
    }
    let lead_id = row
        .get("leadTitle")
        .and_then(|l| ctx.known(LegacyTable::Leads, org, l))
        .map(LeadId);
    let client_id = row
        .get("client")
        .and_then(|c| ctx.known(LegacyTable::Clients, org, c))
        .map(ClientId);
    let owner = ctx
        .user_in(org, row.get("deal_agent"))
        .or_else(|| ctx.user_in(org, row.get("created_by")))
        .unwrap_or(tenant.owner);
    let (created, updated) = ctx.stamps(row);
    let status = deal_status(row.get("status"));
    let title: String = row
        .get("dealName")
        .unwrap_or(&legacy)
        .trim()
        .chars()
        .take(TITLE_MAX)
        .collect();
    let expected_close_date = close_raw.and_then(rules::source_date);
    let (pipeline_id, stage) = (placed.pipeline.id, placed.stage);
    // The stage the deal was in before this run: `None` for a new deal.
    let mut before: Option<StageId> = None;
    let build = |stored: Option<&Deal>| {
        before = stored.map(|s| s.stage_id);
        let base = Deal {
            id: DealId::new(),
            organization_id: org,
            title,
            client_id,
            lead_id,
            pipeline_id,
            stage_id: stage.id,
            amount,
            currency,
            probability: stage.probability,
            expected_close_date,
            owner_id: owner,
            status,
            lost_reason: None,
            closed_at: (status != DealStatus::Open).then_some(updated),
            legacy_id: Some(legacy.clone()),
            created_at: created,
            updated_at: updated,
            version: 1,
        };
        match stored {
            // A deal closed here stays as it was closed; links made here stay when the
            // source has none.
            Some(s) if s.is_closed() => Deal {
                status: s.status,
                lost_reason: s.lost_reason.clone(),
                closed_at: s.closed_at,
                pipeline_id: s.pipeline_id,
                stage_id: s.stage_id,
                probability: s.probability,
                ..stored_base(s, base)
            },
            Some(s) => stored_base(s, base),
            None => base,
        }
    };
    let records = ctx.target.deals.clone();
    let deal = upsert(
        ctx,
        &records,
        LegacyTable::Deals,
        DEALS,
        org,
        &legacy,
        updated,
        build,
    )
    .await?;
    // The stage history starts where the deal was made and records each move a later run
    // makes, as the deal service does (by no one: the system).
    if before != Some(deal.stage_id) {
        let change = StageChange {
            id: uuid::Uuid::now_v7(),
            organization_id: org,
            deal_id: deal.id,
            from_stage_id: before,
            to_stage_id: deal.stage_id,
            changed_at: deal.updated_at,
            changed_by: None,
        };
        records
            .record_stage_change(&mut ctx.tx, &change)
            .await
            .map_err(target_err(format!("Deals {legacy}")))?;
    }
    Ok(())
}

/// `base` over the stored deal: what only this server sets is kept (its id, creation,
/// version, and links the source does not name).
fn stored_base(s: &Deal, base: Deal) -> Deal {
    Deal {
        id: s.id,
        client_id: base.client_id.or(s.client_id),
        lead_id: base.lead_id.or(s.lead_id),
        created_at: s.created_at,
        version: s.version,
        ..base
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_column_closes_a_deal_when_it_says_so() {
        assert_eq!(deal_status(Some("Won")), DealStatus::Won);
        assert_eq!(deal_status(Some("closed lost")), DealStatus::Lost);
        assert_eq!(deal_status(Some("negotiation")), DealStatus::Open);
        assert_eq!(deal_status(None), DealStatus::Open);
    }
}
