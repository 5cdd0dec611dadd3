//! `milestones` → milestones of their project (`related_id`); the tenant is the project's.
//! A milestone the Node.js server marked completed is reached (at its `updatedAt`). Its cost
//! (`milestone_cost`) has no place here and is reported.

use super::projects::clip;
use super::step_rows;
use super::{Ctx, ImportError, upsert};
use crate::report::Step;
use crate::rules;
use crate::source::{Row, Source};
use crm_db::legacy::LegacyTable;
use crm_domain::OrganizationId;
use crm_projects::milestones::{
    DESCRIPTION_MAX, Milestone, MilestoneId, MilestoneStatus, TITLE_MAX,
};
use crm_projects::projects::ProjectId;
use std::collections::HashMap;

pub(crate) const MILESTONES: Step = Step {
    source: "milestones",
    target: "milestones",
};

const COLUMNS: &[&str] = &[
    "id",
    "related_id",
    "milestone_title",
    "milestone_status",
    "milestone_cost",
    "currency",
    "milestone_summary",
    "milestone_start_date",
    "milestone_end_date",
    "created_by",
    "createdAt",
    "updatedAt",
];

/// Whether an old milestone status means it was reached.
pub(crate) fn reached(raw: Option<&str>) -> bool {
    matches!(
        raw.map(|s| s.trim().to_ascii_lowercase()).as_deref(),
        Some("completed" | "complete" | "done" | "reached" | "achieved" | "finished" | "closed")
    )
}

pub(crate) async fn import(source: &Source, ctx: &mut Ctx<'_>) -> Result<(), ImportError> {
    let rows = step_rows(source, ctx, MILESTONES, COLUMNS).await?;
    let projects = ctx.by_legacy_id(LegacyTable::Projects);
    for row in &rows {
        one(ctx, row, &projects).await?;
    }
    ctx.progress.finish();
    Ok(())
}

async fn one(
    ctx: &mut Ctx<'_>,
    row: &Row,
    projects: &HashMap<String, (OrganizationId, uuid::Uuid)>,
) -> Result<(), ImportError> {
    let legacy = row.id().to_string();
    let Some(&(org, project)) = row.get("related_id").and_then(|p| projects.get(p)) else {
        let reason = match row.get("related_id") {
            Some(p) => format!("project {p} was not imported (missing, or skipped)"),
            None => "no project (related_id)".to_string(),
        };
        ctx.skip(MILESTONES, &legacy, reason);
        return Ok(());
    };
    if let Some(cost) = row.get("milestone_cost").filter(|c| {
        let currency = super::default_currency().ok();
        currency.and_then(|cur| rules::minor_units(c, cur)) != Some(0)
    }) {
        ctx.report.note(
            MILESTONES.source,
            &legacy,
            format!("milestone_cost {cost} not imported: milestones here carry no cost"),
        );
    }
    let (created, updated) = ctx.stamps(row);
    let title = clip(row.get("milestone_title").unwrap_or(&legacy), TITLE_MAX);
    let description = row
        .get("milestone_summary")
        .map(|d| clip(d, DESCRIPTION_MAX));
    let due_date = row.get("milestone_end_date").and_then(rules::source_date);
    let is_reached = reached(row.get("milestone_status"));
    let build = |stored: Option<&Milestone>| match stored {
        Some(s) => Milestone {
            project_id: ProjectId(project),
            title: title.clone(),
            description: description.clone(),
            due_date,
            // Reached stays reached at the first time; reached here stays reached.
            reached_at: s.reached_at.or(is_reached.then_some(updated)),
            status: if s.reached_at.is_some() || is_reached {
                MilestoneStatus::Reached
            } else {
                MilestoneStatus::Open
            },
            updated_at: updated,
            ..s.clone()
        },
        None => Milestone {
            id: MilestoneId::new(),
            organization_id: org,
            project_id: ProjectId(project),
            title: title.clone(),
            description: description.clone(),
            due_date,
            status: if is_reached {
                MilestoneStatus::Reached
            } else {
                MilestoneStatus::Open
            },
            progress: 0,
            is_overdue: false,
            reached_at: is_reached.then_some(updated),
            legacy_id: Some(legacy.clone()),
            created_at: created,
            updated_at: updated,
            version: 1,
        },
    };
    let records = ctx.target.milestones.clone();
    upsert(
        ctx,
        &records,
        LegacyTable::Milestones,
        MILESTONES,
        org,
        &legacy,
        updated,
        build,
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completed_milestones_are_reached() {
        assert!(reached(Some("Completed")));
        assert!(!reached(Some("in progress")));
        assert!(!reached(None));
    }
}
