//! `Projects` → projects of their tenant, managed by their creator (else the tenant owner),
//! the client resolved when it was imported, `project_members` as members. `budget` is whole
//! units of `currency`; `estimatedhours` becomes the budget of minutes.

use super::{Ctx, ImportError, target_err, upsert};
use super::{NO_TENANT, step_rows};
use crate::report::Step;
use crate::rules;
use crate::source::{Row, Source};
use chrono::NaiveDate;
use crm_db::legacy::LegacyTable;
use crm_domain::clients::ClientId;
use crm_domain::{OrganizationId, UserId};
use crm_projects::ports::{ProjectStore, TaskStore};
use crm_projects::projects::{
    Billing, DESCRIPTION_MAX, MAX_MINUTES_BUDGET, Member, MemberRole, NAME_MAX, ProgressMethod,
    Project, ProjectId, ProjectStatus,
};
use serde_json::Value;

pub(crate) const PROJECTS: Step = Step {
    source: "Projects",
    target: "projects",
};

const COLUMNS: &[&str] = &[
    "id",
    "project_name",
    "startDate",
    "endDate",
    "project_members",
    "project_description",
    "client",
    "currency",
    "budget",
    "estimatedhours",
    "status",
    "client_id",
    "created_by",
    "createdAt",
    "updatedAt",
];

/// A Node.js project status (free text) as this server's, and a note when it had to be
/// guessed.
pub(crate) fn project_status(raw: Option<&str>) -> (ProjectStatus, Option<String>) {
    let Some(raw) = raw else {
        return (ProjectStatus::Planned, None);
    };
    let s = raw.trim().to_ascii_lowercase().replace(['-', '_'], " ");
    match s.as_str() {
        "planned" | "not started" | "pending" | "new" | "open" | "upcoming" => {
            (ProjectStatus::Planned, None)
        }
        "active" | "in progress" | "inprogress" | "ongoing" | "started" | "running" => {
            (ProjectStatus::Active, None)
        }
        "on hold" | "onhold" | "paused" | "hold" => (ProjectStatus::OnHold, None),
        "completed" | "complete" | "finished" | "done" | "closed" => {
            (ProjectStatus::Completed, None)
        }
        "cancelled" | "canceled" | "rejected" | "abandoned" => (ProjectStatus::Cancelled, None),
        _ => (
            ProjectStatus::Planned,
            Some(format!("status {raw} is unknown: imported as planned")),
        ),
    }
}

/// Every id-like string a JSON column of user ids holds, whatever its shape: an array, an
/// object wrapping one (`{"project_members": [...]}`), or nested deeper; first occurrence kept.
pub(crate) fn json_ids(raw: Option<&str>) -> Vec<String> {
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::String(s) => {
                let s = s.trim();
                if !s.is_empty() && !out.iter().any(|o| o == s) {
                    out.push(s.to_string());
                }
            }
            Value::Number(n) => walk(&Value::String(n.to_string()), out),
            Value::Array(items) => items.iter().for_each(|i| walk(i, out)),
            Value::Object(map) => map.values().for_each(|i| walk(i, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    match raw.map(|r| rules::decode_json(r).unwrap_or_else(|| Value::String(r.to_string()))) {
        // A plain comma-separated text rather than JSON.
        Some(Value::String(s)) => s
            .split(',')
            .for_each(|p| walk(&Value::String(p.to_string()), &mut out)),
        Some(v) => walk(&v, &mut out),
        None => {}
    }
    out
}

pub(crate) use crate::rules::clip;

/// `start` and `due` as this server accepts them (due not before start): a due date before
/// the start is dropped, with the reason.
pub(crate) fn dates(
    start: Option<NaiveDate>,
    due: Option<NaiveDate>,
) -> (Option<NaiveDate>, Option<NaiveDate>, Option<String>) {
    match (start, due) {
        (Some(s), Some(d)) if d < s => (
            start,
            None,
            Some(format!(
                "end date {d} is before the start date {s}: left empty"
            )),
        ),
        _ => (start, due, None),
    }
}

/// Makes each of `users` a member of `project` unless they are (members added here stay).
pub(crate) async fn ensure_members(
    ctx: &mut Ctx<'_>,
    org: OrganizationId,
    project: ProjectId,
    users: &[UserId],
) -> Result<(), ImportError> {
    if users.is_empty() {
        return Ok(());
    }
    let target = ctx.target;
    let present = target
        .tasks
        .member_ids(&mut ctx.tx, org, project)
        .await
        .map_err(target_err("reading project members"))?;
    for user in users {
        if present.contains(user) {
            continue;
        }
        let member = Member {
            user_id: *user,
            role: MemberRole::Member,
        };
        target
            .projects
            .add_member(&mut ctx.tx, org, project, &member, ctx.now)
            .await
            .map_err(target_err("adding a project member"))?;
    }
    Ok(())
}

pub(crate) async fn import(source: &Source, ctx: &mut Ctx<'_>) -> Result<(), ImportError> {
    let rows = step_rows(source, ctx, PROJECTS, COLUMNS).await?;
    for row in &rows {
        one(ctx, row).await?;
    }
    ctx.progress.finish();
    Ok(())
}

async fn one(ctx: &mut Ctx<'_>, row: &Row) -> Result<(), ImportError> {
    let legacy = row.id().to_string();
    let Some((_, tenant)) = ctx.tenant_of(row) else {
        ctx.skip(PROJECTS, &legacy, NO_TENANT);
        return Ok(());
    };
    let org = tenant.org;
    let note =
        |ctx: &mut Ctx<'_>, reason: String| ctx.report.note(PROJECTS.source, &legacy, reason);
    let (status, status_note) = project_status(row.get("status"));
    if let Some(n) = status_note {
        note(ctx, n);
    }
    let client = match row.get("client") {
        Some(c) => match ctx.known(LegacyTable::Clients, org, c) {
            Some(id) => Some(ClientId(id)),
            None => {
                note(
                    ctx,
                    format!(
                        "client {c} was not imported (missing, or of another tenant): left empty"
                    ),
                );
                None
            }
        },
        None => None,
    };
    let (start, due, date_note) = dates(
        row.get("startDate").and_then(rules::source_date),
        row.get("endDate").and_then(rules::source_date),
    );
    if let Some(n) = date_note {
        note(ctx, n);
    }
    let currency = ctx
        .currency(row.get("currency"))
        .or_else(|| super::default_currency().ok());
    let budget = row
        .get("budget")
        .and_then(|b| rules::minor_units(b, currency?))
        .filter(|b| *b >= 0);
    if row.get("budget").is_some() && budget.is_none() {
        note(
            ctx,
            format!(
                "budget {:?} is not an amount: left empty",
                row.get("budget").unwrap_or("")
            ),
        );
    }
    let budget_minutes = row
        .get("estimatedhours")
        .and_then(|h| h.parse::<i64>().ok())
        .and_then(|h| h.checked_mul(60))
        .filter(|m| (0..=MAX_MINUTES_BUDGET).contains(m));
    let owner = ctx
        .user_in(org, row.get("created_by"))
        .unwrap_or(tenant.owner);
    let mut members = Vec::new();
    for id in json_ids(row.get("project_members")) {
        match ctx.user_in(org, Some(&id)) {
            Some(u) => members.push(u),
            None => note(
                ctx,
                format!("project member {id} is not a user of the tenant here: left out"),
            ),
        }
    }
    let (created, updated) = ctx.stamps(row);
    let name = clip(row.get("project_name").unwrap_or(&legacy), NAME_MAX);
    let description = row
        .get("project_description")
        .map(|d| clip(d, DESCRIPTION_MAX));
    let budget_currency = budget.and(currency);
    let build = |stored: Option<&Project>| match stored {
        Some(s) => Project {
            name: name.clone(),
            description: description.clone(),
            client_id: client,
            status,
            start_date: start,
            due_date: due,
            budget_amount: budget,
            budget_currency: budget_currency.or(s.hourly_rate.and(s.budget_currency)),
            budget_minutes,
            updated_at: updated,
            ..s.clone()
        },
        None => Project {
            id: ProjectId::new(),
            organization_id: org,
            name: name.clone(),
            code: None,
            description: description.clone(),
            client_id: client,
            deal_id: None,
            owner_id: owner,
            status,
            start_date: start,
            due_date: due,
            billing: Billing::NonBillable,
            hourly_rate: None,
            budget_amount: budget,
            budget_currency,
            budget_minutes,
            progress_method: ProgressMethod::Tasks,
            progress: 0,
            tasks_total: 0,
            tasks_done: 0,
            is_overdue: false,
            legacy_id: Some(legacy.clone()),
            created_at: created,
            updated_at: updated,
            version: 1,
        },
    };
    let records = ctx.target.projects.clone();
    let project = upsert(
        ctx,
        &records,
        LegacyTable::Projects,
        PROJECTS,
        org,
        &legacy,
        updated,
        build,
    )
    .await?;
    ctx.projects.add(org, &legacy, &project.name, project.id.0);
    ensure_members(ctx, org, project.id, &members).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_the_nearest_and_unknown_ones_are_reported() {
        assert_eq!(project_status(None).0, ProjectStatus::Planned);
        assert_eq!(project_status(Some("In-Progress")).0, ProjectStatus::Active);
        assert_eq!(project_status(Some("on hold")).0, ProjectStatus::OnHold);
        assert_eq!(project_status(Some("Finished")).0, ProjectStatus::Completed);
        let (s, n) = project_status(Some("Someday"));
        assert_eq!(s, ProjectStatus::Planned);
        assert!(n.unwrap().contains("Someday"));
    }

    #[test]
    fn member_lists_are_read_in_any_shape() {
        assert_eq!(
            json_ids(Some(r#""{\"project_members\": [\"a\", \"b\", \"a\"]}""#)),
            ["a", "b"]
        );
        assert_eq!(json_ids(Some(r#"["x"]"#)), ["x"]);
        assert_eq!(json_ids(Some("p, q")), ["p", "q"]);
        assert!(json_ids(None).is_empty());
    }

    #[test]
    fn a_due_date_before_the_start_is_dropped() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
        let (s, e, n) = dates(d("2024-03-05"), d("2024-03-01"));
        assert_eq!((s, e), (d("2024-03-05"), None));
        assert!(n.is_some());
        assert_eq!(dates(d("2024-03-01"), d("2024-03-01")).2, None);
    }
}
