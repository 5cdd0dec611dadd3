//! `pipelines` and `stages` → pipelines of their tenant with their stages. The old tables have
//! no tenant column: a pipeline's tenant is its creator's, a stage's is its pipeline's. Old
//! stages of type `lead` are not deal stages (leads here have none) and are left out; the
//! old stages have no win probability, so the stages of a pipeline get an even spread.

use super::NO_TENANT;
use super::{Ctx, ImportError, read, target_err};
use crate::report::{Outcome, Step};
use crate::source::{Row, Source};
use crm_db::legacy::LegacyTable;
use crm_sales::pipelines::{
    MAX_STAGES, Pipeline, PipelineId, PipelineRepository, STAGE_NAME_MAX, Stage, StageId,
};
use std::collections::{HashMap, HashSet};

pub(crate) const PIPELINES: Step = Step {
    source: "pipelines",
    target: "pipelines",
};
pub(crate) const STAGES: Step = Step {
    source: "stages",
    target: "pipeline_stages",
};

const PIPELINE_COLUMNS: &[&str] = &[
    "id",
    "pipeline_name",
    "client_id",
    "created_by",
    "createdAt",
    "updatedAt",
];

const STAGE_COLUMNS: &[&str] = &[
    "id",
    "stageType",
    "stageName",
    "pipeline",
    "createdAt",
    "updatedAt",
];

/// The win probability of stage `i` of `n` when nothing says it: evenly spread between 0 and
/// 100, both left out (a deal in the first stage may still be lost, one in the last not yet won).
pub(crate) fn spread_probability(i: usize, n: usize) -> i32 {
    let p = (i + 1) * 100 / (n + 1);
    i32::try_from(p).unwrap_or(50)
}

/// Whether an old stage is a lead's (the Node.js server kept lead and deal stages in one table).
pub(crate) fn is_lead_stage(stage_type: Option<&str>) -> bool {
    stage_type.is_some_and(|t| t.trim().eq_ignore_ascii_case("lead"))
}

use crate::rules::clip;

/// A stage of the source, as it will be named here.
struct SourceStage {
    legacy: String,
    name: String,
}

pub(crate) async fn import(source: &Source, ctx: &mut Ctx<'_>) -> Result<(), ImportError> {
    let pipelines = read(source, &mut ctx.report, "pipelines", PIPELINE_COLUMNS)
        .await?
        .map(|t| t.rows)
        .unwrap_or_default();
    let stages = read(source, &mut ctx.report, "stages", STAGE_COLUMNS)
        .await?
        .map(|t| t.rows)
        .unwrap_or_default();
    ctx.report.step(PIPELINES);
    ctx.report.step(STAGES);
    let known_pipelines: HashSet<&str> = pipelines.iter().map(Row::id).collect();
    let mut by_pipeline: HashMap<&str, Vec<&Row>> = HashMap::new();
    for stage in &stages {
        let legacy = stage.id();
        match stage.get("pipeline") {
            _ if is_lead_stage(stage.get("stageType")) => ctx.report.skip(
                STAGES,
                legacy,
                "a lead stage: leads here have no stages, only deals do",
            ),
            Some(p) if known_pipelines.contains(p) => {
                by_pipeline.entry(p).or_default().push(stage);
            }
            Some(p) => ctx
                .report
                .skip(STAGES, legacy, format!("pipeline {p} not found")),
            None => ctx.report.skip(STAGES, legacy, "no pipeline"),
        }
    }
    ctx.progress.start(PIPELINES, pipelines.len() as u64);
    for row in &pipelines {
        let stages = by_pipeline.remove(row.id()).unwrap_or_default();
        one(ctx, row, &stages).await?;
    }
    ctx.progress.finish();
    Ok(())
}

/// The stages of one pipeline as they will be named: at most `MAX_STAGES`, names unique
/// ignoring case (a repeated name gets its number), the rest skipped with the reason.
fn source_stages(ctx: &mut Ctx<'_>, rows: &[&Row]) -> Vec<SourceStage> {
    let mut names = HashSet::new();
    let mut out = Vec::new();
    for row in rows {
        let legacy = row.id().to_string();
        if out.len() == MAX_STAGES {
            ctx.report.skip(
                STAGES,
                &legacy,
                format!("the pipeline has more than {MAX_STAGES} stages"),
            );
            continue;
        }
        let base = clip(row.get("stageName").unwrap_or(&legacy), STAGE_NAME_MAX);
        let mut name = base.clone();
        let mut n = 2;
        while !names.insert(name.to_lowercase()) {
            let suffix = format!(" ({n})");
            let keep = STAGE_NAME_MAX.saturating_sub(suffix.len());
            name = format!("{}{suffix}", base.chars().take(keep).collect::<String>());
            n += 1;
        }
        if name != base {
            ctx.report.note(
                STAGES.source,
                &legacy,
                format!("another stage of the pipeline is named {base}: imported as {name}"),
            );
        }
        out.push(SourceStage { legacy, name });
    }
    out
}

async fn one(ctx: &mut Ctx<'_>, row: &Row, stage_rows: &[&Row]) -> Result<(), ImportError> {
    let legacy = row.id().to_string();
    let Some((_, tenant)) = ctx.tenant_of(row) else {
        for s in stage_rows {
            ctx.report
                .skip(STAGES, s.id(), "its pipeline has no tenant");
        }
        ctx.skip(PIPELINES, &legacy, NO_TENANT);
        return Ok(());
    };
    let org = tenant.org;
    let wanted = source_stages(ctx, stage_rows);
    let stored = match ctx.known(LegacyTable::Pipelines, org, &legacy) {
        Some(id) => Some(
            ctx.target
                .pipelines
                .get_for_update(&mut ctx.tx, org, PipelineId(id))
                .await
                .map_err(target_err(format!("pipelines {legacy}")))?,
        ),
        None => None,
    };
    if wanted.is_empty() && stored.is_none() {
        ctx.skip(
            PIPELINES,
            &legacy,
            "no deal stages: a pipeline here has at least one",
        );
        return Ok(());
    }
    let name = clip(row.get("pipeline_name").unwrap_or(&legacy), STAGE_NAME_MAX);
    let (created, updated) = ctx.stamps(row);
    let n = wanted.len();
    let old: HashMap<&str, &Stage> = stored
        .iter()
        .flat_map(|p| &p.stages)
        .filter_map(|s| Some((s.legacy_id.as_deref()?, s)))
        .collect();
    // The source's stages in its order, then those made here (or gone from the source),
    // which may still hold deals, in their order.
    let mut stages: Vec<Stage> = Vec::with_capacity(n);
    let mut outcomes = Vec::with_capacity(n);
    for (i, s) in wanted.iter().enumerate() {
        let position = i32::try_from(i).unwrap_or(i32::MAX);
        let stage = match old.get(s.legacy.as_str()) {
            Some(o) => {
                let next = Stage {
                    name: s.name.clone(),
                    position,
                    ..(*o).clone()
                };
                outcomes.push(if next == **o {
                    Outcome::Unchanged
                } else {
                    Outcome::Updated
                });
                next
            }
            None => {
                outcomes.push(Outcome::Created);
                Stage {
                    id: StageId::new(),
                    name: s.name.clone(),
                    position,
                    probability: spread_probability(i, n),
                    legacy_id: Some(s.legacy.clone()),
                }
            }
        };
        stages.push(stage);
    }
    let wanted_ids: HashSet<&str> = wanted.iter().map(|s| s.legacy.as_str()).collect();
    let mut names: HashSet<String> = stages.iter().map(|s| s.name.to_lowercase()).collect();
    for s in stored.iter().flat_map(|p| &p.stages) {
        if s.legacy_id
            .as_deref()
            .is_some_and(|l| wanted_ids.contains(l))
        {
            continue;
        }
        let mut kept = s.clone();
        if !names.insert(kept.name.to_lowercase()) {
            // A name the source now uses for another stage: kept apart by its old place.
            kept.name = clip(&format!("{} ({})", s.name, s.position + 1), STAGE_NAME_MAX);
            names.insert(kept.name.to_lowercase());
        }
        kept.position = i32::try_from(stages.len()).unwrap_or(i32::MAX);
        stages.push(kept);
    }
    let what = || format!("pipelines {legacy}");
    let pipeline = match stored {
        Some(stored) => {
            let next = Pipeline {
                name,
                stages,
                ..stored.clone()
            };
            if next == stored {
                ctx.done(PIPELINES, Outcome::Unchanged);
                next
            } else {
                let next = Pipeline {
                    updated_at: updated,
                    version: stored.version + 1,
                    ..next
                };
                ctx.target
                    .pipelines
                    .update(&mut ctx.tx, &next, stored.version)
                    .await
                    .map_err(target_err(what()))?;
                ctx.done(PIPELINES, Outcome::Updated);
                next
            }
        }
        None => {
            let pipeline = Pipeline {
                id: PipelineId::new(),
                organization_id: org,
                name,
                // The organization's default stays the one this server makes ("Sales"):
                // deals and conversions that name no pipeline go there as before.
                is_default: false,
                stages,
                legacy_id: Some(legacy.clone()),
                created_at: created,
                updated_at: updated,
                version: 1,
            };
            ctx.target
                .pipelines
                .create(&mut ctx.tx, &pipeline)
                .await
                .map_err(target_err(what()))?;
            ctx.remember(LegacyTable::Pipelines, org, &legacy, pipeline.id.0);
            ctx.done(PIPELINES, Outcome::Created);
            pipeline
        }
    };
    for outcome in outcomes {
        ctx.report.counted(STAGES, outcome);
    }
    for s in &pipeline.stages {
        if let Some(l) = &s.legacy_id {
            ctx.remember(LegacyTable::Stages, org, l, s.id.0);
        }
    }
    ctx.pipelines.insert((org, legacy), pipeline);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_get_an_even_spread_and_lead_stages_are_told_apart() {
        assert_eq!(spread_probability(0, 1), 50);
        let four: Vec<i32> = (0..4).map(|i| spread_probability(i, 4)).collect();
        assert_eq!(four, [20, 40, 60, 80]);
        assert!(is_lead_stage(Some(" Lead ")));
        assert!(!is_lead_stage(Some("deal")));
        assert!(!is_lead_stage(None));
    }
}
