//! `Tasks` → tasks of their project (`project`, else `related_id`; a task of a lead has no
//! project here and is reported). The tenant is the project's. Assignees (`assignTo`) that
//! are users of the tenant become members of the project if they were not (a task is only
//! assigned to members). Each new task goes last in its status column, in the source's
//! order (oldest first), as a task created here does; a re-run that changes the status moves
//! the card last in its new column, as a `PATCH` of `status` alone does.

use super::projects::{clip, dates, ensure_members, json_ids};
use super::step_rows;
use super::{Ctx, ImportError, target_err, upsert};
use crate::report::Step;
use crate::rules;
use crate::source::{Row, Source};
use crm_db::legacy::LegacyTable;
use crm_domain::OrganizationId;
use crm_domain::kernel::records::Records;
use crm_projects::board;
use crm_projects::ports::TaskStore;
use crm_projects::projects::ProjectId;
use crm_projects::tasks::{
    DESCRIPTION_MAX, LABEL_MAX_CHARS, MAX_ASSIGNEES, TITLE_MAX, Task, TaskId, TaskPriority,
    TaskStatus,
};
use std::collections::HashMap;
use std::collections::hash_map::Entry;

pub(crate) const TASKS: Step = Step {
    source: "Tasks",
    target: "tasks",
};

const COLUMNS: &[&str] = &[
    "id",
    "related_id",
    "project",
    "lead",
    "taskName",
    "category",
    "startDate",
    "dueDate",
    "assignTo",
    "status",
    "priority",
    "description",
    "created_by",
    "createdAt",
    "updatedAt",
];

/// A Node.js task status as this server's board column; an unknown one is `todo`, reported.
pub(crate) fn task_status(raw: Option<&str>) -> (TaskStatus, Option<String>) {
    let Some(raw) = raw else {
        return (TaskStatus::Todo, None);
    };
    let s = raw.trim().to_ascii_lowercase().replace(['-', '_'], " ");
    match s.as_str() {
        "todo" | "to do" | "pending" | "not started" | "new" | "open" | "incomplete" => {
            (TaskStatus::Todo, None)
        }
        "in progress" | "inprogress" | "ongoing" | "started" | "working" | "doing" => {
            (TaskStatus::InProgress, None)
        }
        "in review" | "review" | "testing" | "awaiting feedback" | "waiting" => {
            (TaskStatus::InReview, None)
        }
        "done" | "completed" | "complete" | "finished" | "closed" | "resolved" => {
            (TaskStatus::Done, None)
        }
        "cancelled" | "canceled" | "rejected" | "abandoned" => (TaskStatus::Cancelled, None),
        _ => (
            TaskStatus::Todo,
            Some(format!("status {raw} is unknown: imported as todo")),
        ),
    }
}

/// A Node.js priority as this server's; an unknown one is `medium`, reported.
pub(crate) fn task_priority(raw: Option<&str>) -> (TaskPriority, Option<String>) {
    let Some(raw) = raw else {
        return (TaskPriority::Medium, None);
    };
    match raw.trim().to_ascii_lowercase().as_str() {
        "low" | "lowest" => (TaskPriority::Low, None),
        "medium" | "normal" | "moderate" => (TaskPriority::Medium, None),
        "high" => (TaskPriority::High, None),
        "urgent" | "highest" | "critical" | "immediate" => (TaskPriority::Urgent, None),
        _ => (
            TaskPriority::Medium,
            Some(format!("priority {raw} is unknown: imported as medium")),
        ),
    }
}

/// The last rank of each status column of the projects this run has placed tasks in: read
/// once from the store, then followed, so a large import reads each column once.
type Columns = HashMap<(ProjectId, TaskStatus), Vec<(TaskId, i64)>>;

/// The rank of `task` put last in its status column.
async fn last_rank(
    ctx: &mut Ctx<'_>,
    columns: &mut Columns,
    org: OrganizationId,
    task: &Task,
) -> Result<i64, ImportError> {
    let key = (task.project_id, task.status);
    let column = match columns.entry(key) {
        Entry::Occupied(e) => e.into_mut(),
        Entry::Vacant(e) => e.insert(
            ctx.target
                .tasks
                .column(&mut ctx.tx, org, task.project_id, task.status)
                .await
                .map_err(target_err("reading a board column"))?,
        ),
    };
    let placement = board::place(column, task.id, i64::MAX);
    if placement.renumbered.is_empty() {
        column.retain(|(id, _)| *id != task.id);
        column.push((task.id, placement.rank));
    } else {
        ctx.target
            .tasks
            .set_ranks(&mut ctx.tx, org, &placement.renumbered)
            .await
            .map_err(target_err("renumbering a board column"))?;
        *column = placement.renumbered;
    }
    Ok(placement.rank)
}

pub(crate) async fn import(source: &Source, ctx: &mut Ctx<'_>) -> Result<(), ImportError> {
    let rows = step_rows(source, ctx, TASKS, COLUMNS).await?;
    let projects = ctx.by_legacy_id(LegacyTable::Projects);
    let mut columns = Columns::new();
    for row in &rows {
        one(ctx, row, &projects, &mut columns).await?;
    }
    ctx.progress.finish();
    Ok(())
}

async fn one(
    ctx: &mut Ctx<'_>,
    row: &Row,
    projects: &HashMap<String, (OrganizationId, uuid::Uuid)>,
    columns: &mut Columns,
) -> Result<(), ImportError> {
    let legacy = row.id().to_string();
    let parent = [row.get("project"), row.get("related_id")]
        .into_iter()
        .flatten()
        .find_map(|p| projects.get(p));
    let Some(&(org, project)) = parent else {
        let reason = match (
            row.get("project").or(row.get("related_id")),
            row.get("lead"),
        ) {
            (_, Some(lead)) => format!("a task of lead {lead}: tasks here belong to projects"),
            (Some(p), None) => format!("project {p} was not imported (missing, or skipped)"),
            (None, None) => "no project".to_string(),
        };
        ctx.skip(TASKS, &legacy, reason);
        return Ok(());
    };
    let project = ProjectId(project);
    let note = |ctx: &mut Ctx<'_>, reason: String| ctx.report.note(TASKS.source, &legacy, reason);
    let (status, status_note) = task_status(row.get("status"));
    if let Some(n) = status_note {
        note(ctx, n);
    }
    let (priority, priority_note) = task_priority(row.get("priority"));
    if let Some(n) = priority_note {
        note(ctx, n);
    }
    let (start, due, date_note) = dates(
        row.get("startDate").and_then(rules::source_date),
        row.get("dueDate").and_then(rules::source_date),
    );
    if let Some(n) = date_note {
        note(ctx, n);
    }
    let mut assignees = Vec::new();
    for id in json_ids(row.get("assignTo")) {
        match ctx.user_in(org, Some(&id)) {
            Some(u) if !assignees.contains(&u) && assignees.len() < MAX_ASSIGNEES => {
                assignees.push(u)
            }
            Some(_) => {}
            None => note(
                ctx,
                format!("assignee {id} is not a user of the tenant here: left out"),
            ),
        }
    }
    ensure_members(ctx, org, project, &assignees).await?;
    let (created, updated) = ctx.stamps(row);
    let title = clip(row.get("taskName").unwrap_or(&legacy), TITLE_MAX);
    let description = row.get("description").map(|d| clip(d, DESCRIPTION_MAX));
    let labels: Vec<String> = row
        .get("category")
        .map(|c| clip(c, LABEL_MAX_CHARS))
        .into_iter()
        .collect();
    // The stored task, when an earlier run imported it: its place on the board is kept
    // unless its status changes.
    let stored_place = match ctx.known(LegacyTable::Tasks, org, &legacy) {
        Some(id) => {
            let s = ctx
                .target
                .tasks
                .get_for_update(&mut ctx.tx, org, TaskId(id))
                .await
                .map_err(target_err(format!("Tasks {legacy}")))?;
            Some((s.status, s.rank, s.project_id))
        }
        None => None,
    };
    let mut probe = Task {
        id: TaskId::new(),
        organization_id: org,
        project_id: project,
        parent_id: None,
        milestone_id: None,
        title,
        description,
        status,
        priority,
        assignee_ids: assignees,
        start_date: start,
        due_date: due,
        estimate_minutes: None,
        position: 0,
        rank: 0,
        labels,
        is_overdue: false,
        logged_minutes: 0,
        completed_at: (status == TaskStatus::Done).then_some(updated),
        is_blocked: false,
        legacy_id: Some(legacy.clone()),
        created_at: created,
        updated_at: updated,
        version: 1,
    };
    let rank = match stored_place {
        Some((s, rank, p)) if s == status && p == project => rank,
        Some(_) => {
            if let Some(id) = ctx.known(LegacyTable::Tasks, org, &legacy) {
                probe.id = TaskId(id);
            }
            last_rank(ctx, columns, org, &probe).await?
        }
        None => last_rank(ctx, columns, org, &probe).await?,
    };
    let build = |stored: Option<&Task>| match stored {
        Some(s) => Task {
            project_id: probe.project_id,
            title: probe.title.clone(),
            description: probe.description.clone(),
            status: probe.status,
            priority: probe.priority,
            assignee_ids: probe.assignee_ids.clone(),
            start_date: probe.start_date,
            due_date: probe.due_date,
            rank,
            labels: probe.labels.clone(),
            // Done before and done still: when it became done is kept.
            completed_at: match (s.status, probe.status) {
                (TaskStatus::Done, TaskStatus::Done) => s.completed_at,
                _ => probe.completed_at,
            },
            updated_at: updated,
            ..s.clone()
        },
        None => Task {
            rank,
            ..probe.clone()
        },
    };
    let records = ctx.target.tasks.clone();
    upsert(
        ctx,
        &records,
        LegacyTable::Tasks,
        TASKS,
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
    fn statuses_and_priorities_map_to_the_nearest_with_a_default() {
        assert_eq!(task_status(Some("In Progress")).0, TaskStatus::InProgress);
        assert_eq!(task_status(Some("completed")).0, TaskStatus::Done);
        assert_eq!(task_status(None), (TaskStatus::Todo, None));
        let (s, n) = task_status(Some("Blocked"));
        assert_eq!(s, TaskStatus::Todo);
        assert!(n.unwrap().contains("Blocked"));
        assert_eq!(task_priority(Some("High")).0, TaskPriority::High);
        assert_eq!(task_priority(Some("critical")).0, TaskPriority::Urgent);
        assert!(task_priority(Some("p9")).1.is_some());
    }
}
