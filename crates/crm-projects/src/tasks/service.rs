//! `/tasks`, `/tasks/{id}/dependencies`, `GET /projects/{id}/board`.

use super::model::{
    DESCRIPTION_MAX, MAX_ASSIGNEES, TITLE_MAX, Task, TaskId, TaskInput, TaskPatch, TaskPriority,
    TaskStatus, completed_at, estimate_minutes, is_overdue, labels, position,
};
use crate::board;
use crate::dependencies::{check_can_complete, check_new_dependency, has_subtasks, would_cycle};
use crate::milestones::MilestoneId;
use crate::ports::ProjectPorts;
use crate::projects::{Project, ProjectId, accepts_work, check_dates, closed};
use crate::requirements::{TasksDelete, TasksRead, TasksWrite};
use chrono::NaiveDate;
use crm_domain::activity::audit;
use crm_domain::kernel::input::{Errors, not_found, text};
use crm_domain::kernel::pagination::{ListQuery, Page};
use crm_domain::kernel::records::{Crud, conflict};
use crm_domain::kernel::scope::{owner_filter, require};
use crm_domain::kernel::text::{optional_text, required_text};
use crm_domain::kernel::values::optional_date;
use crm_domain::{Actor, DomainError, FieldError, OrganizationId, Scope, Txn, UserId, ValueError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

fn title(raw: &str) -> Result<String, ValueError> {
    required_text(raw, "title", TITLE_MAX)
}

fn description(raw: Option<&str>) -> Result<Option<String>, ValueError> {
    optional_text(raw, "description", DESCRIPTION_MAX, true)
}

/// Assignees as sent: no duplicates (first kept), at most [`MAX_ASSIGNEES`].
fn assignees(raw: &[UserId]) -> Result<Vec<UserId>, ValueError> {
    let mut out: Vec<UserId> = Vec::with_capacity(raw.len());
    for u in raw {
        if !out.contains(u) {
            out.push(*u);
        }
    }
    if out.len() > MAX_ASSIGNEES {
        return Err(ValueError::new(
            "too_many",
            format!("at most {MAX_ASSIGNEES} assignees"),
        ));
    }
    Ok(out)
}

/// `POST /tasks/{id}/dependencies`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({"depends_on_id": "019cc2b1-0a00-7c1e-9b2a-6f0d7c1e2a31"})))]
pub struct DependencyInput {
    /// A task of the same project (`422`); a cycle at any depth is `409`.
    pub depends_on_id: TaskId,
}

/// A dependency: `task_id` waits for `depends_on_id`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "task_id": "019cc2b1-4f00-7b22-8d3e-1a2b3c4d5e6f",
    "depends_on_id": "019cc2b1-0a00-7c1e-9b2a-6f0d7c1e2a31"
})))]
pub struct Dependency {
    pub task_id: TaskId,
    pub depends_on_id: TaskId,
}

/// One status column of the board.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TaskBoardColumn {
    pub status: TaskStatus,
    /// By `position`.
    pub tasks: Vec<Task>,
}

/// `GET /projects/{id}/board`: every status column in board order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = board_example))]
pub struct TaskBoard {
    pub project_id: ProjectId,
    pub columns: Vec<TaskBoardColumn>,
}

#[cfg(feature = "openapi")]
fn board_example() -> serde_json::Value {
    let task = super::model::task_example();
    serde_json::json!({
        "project_id": task["project_id"],
        "columns": [
            {"status": "todo", "tasks": []},
            {"status": "in_progress", "tasks": [task]},
            {"status": "in_review", "tasks": []},
            {"status": "done", "tasks": []},
            {"status": "cancelled", "tasks": []}
        ]
    })
}

/// `409 parent-done`: a done task takes no open subtask (it could not be done with one), so
/// a subtask is created, moved or reopened under it only done or cancelled.
fn check_parent_open(parent: Option<&Task>, status: TaskStatus) -> Result<(), DomainError> {
    match parent {
        Some(p) if p.status == TaskStatus::Done && !status.is_settled() => {
            Err(DomainError::conflict(
                "parent-done",
                "the parent task is done: reopen it before adding or reopening a subtask",
            ))
        }
        _ => Ok(()),
    }
}

/// Whether the caller reaches `task` with `scope`: all tasks, or (`:own`) those assigned
/// to them.
fn reaches(actor: &Actor, scope: Scope, task: &Task) -> bool {
    scope == Scope::All || task.assignee_ids.contains(&actor.user_id)
}

fn in_scope(actor: &Actor, scope: Scope, task: Task) -> Result<Task, DomainError> {
    if reaches(actor, scope, &task) {
        Ok(task)
    } else {
        Err(DomainError::NotFound)
    }
}

/// Under `:own` a writer keeps themselves among the assignees (else the task would leave
/// their reach): `422 assignee_ids`.
fn check_own_assignment(actor: &Actor, scope: Scope, assignees: &[UserId], errors: &mut Errors) {
    if scope == Scope::Own && !assignees.contains(&actor.user_id) {
        errors.push(FieldError::new(
            "assignee_ids",
            "not_allowed",
            "with tasks:write:own a task stays assigned to you",
        ));
    }
}

/// Tasks, their board and dependencies.
#[derive(Clone)]
pub struct TaskService {
    p: ProjectPorts,
}

impl TaskService {
    pub fn new(ports: ProjectPorts) -> Self {
        Self { p: ports }
    }

    fn crud(&self) -> Crud<'_, Task> {
        Crud::new(&*self.p.tx, &*self.p.tasks, &*self.p.activities)
    }

    fn with_today(tasks: Vec<Task>, today: NaiveDate) -> Vec<Task> {
        tasks
            .into_iter()
            .map(|mut t| {
                t.is_overdue = is_overdue(t.due_date, t.status, today);
                t
            })
            .collect()
    }

    async fn dated(&self, task: Task) -> Result<Task, DomainError> {
        let today = self.p.today(task.organization_id).await?;
        Ok(Self::with_today(vec![task], today).remove(0))
    }

    /// Needs `tasks:read`; under `:own` the tasks assigned to the caller.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn list(&self, actor: &Actor, query: &ListQuery) -> Result<Page<Task>, DomainError> {
        let org = actor.organization_id;
        let assignee = owner_filter(actor, require::<TasksRead>(actor)?);
        let page = self.p.tasks.list(org, query, assignee).await?;
        let today = self.p.today(org).await?;
        Ok(Page {
            data: Self::with_today(page.data, today),
            ..page
        })
    }

    /// Needs `tasks:read`; `404` when missing, of another organization or out of scope.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn get(&self, actor: &Actor, id: TaskId) -> Result<Task, DomainError> {
        let scope = require::<TasksRead>(actor)?;
        let task = in_scope(
            actor,
            scope,
            self.p.tasks.get(actor.organization_id, id).await?,
        )?;
        self.dated(task).await
    }

    /// The task `id` for a caller who may write it (`tasks:write`, under `:own` assigned to
    /// them), else `404`: what a route checks before it reads a body, so that a task out of
    /// reach answers `404` whatever the body holds.
    pub async fn writable(&self, actor: &Actor, id: TaskId) -> Result<Task, DomainError> {
        let scope = require::<TasksWrite>(actor)?;
        in_scope(
            actor,
            scope,
            self.p.tasks.get(actor.organization_id, id).await?,
        )
    }

    /// The project `id` read and locked in `tx`: every write of a project's tasks holds it,
    /// so board moves, dependency inserts and completions of one project run one at a time.
    async fn lock_project(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: ProjectId,
    ) -> Result<Project, DomainError> {
        Ok(self.p.projects.get_for_update(tx, org, id).await?)
    }

    /// The task `id` of `project` named by `field`, read in `tx`: `422` when missing or in
    /// another project.
    async fn same_project(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        project: ProjectId,
        id: TaskId,
        field: &str,
        errors: &mut Errors,
    ) -> Result<Option<Task>, DomainError> {
        let found = self.p.tasks.get_for_update(tx, org, id).await;
        Ok(match errors.reference(field, "task", found)? {
            Some(t) if t.project_id == project => Some(t),
            Some(_) => {
                errors.add(field, "other_project", "must be a task of the same project");
                None
            }
            None => None,
        })
    }

    async fn check_milestone(
        &self,
        org: OrganizationId,
        project: ProjectId,
        id: MilestoneId,
        errors: &mut Errors,
    ) -> Result<(), DomainError> {
        let found = self.p.milestones.get(org, id).await;
        if let Some(m) = errors.reference("milestone_id", "milestone", found)?
            && m.project_id != project
        {
            errors.add(
                "milestone_id",
                "other_project",
                "must be a milestone of the same project",
            );
        }
        Ok(())
    }

    async fn check_assignees(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        project: ProjectId,
        assignees: &[UserId],
        errors: &mut Errors,
    ) -> Result<(), DomainError> {
        if assignees.is_empty() {
            return Ok(());
        }
        let members = self.p.task_store.member_ids(tx, org, project).await?;
        if let Some(u) = assignees.iter().find(|u| !members.contains(u)) {
            errors.add(
                "assignee_ids",
                "not_a_member",
                format!("{} is not a member of the project", u.0),
            );
        }
        Ok(())
    }

    /// Places `task` in the column of its status at `position` (last when `None`), writing a
    /// renumbered column when the gaps ran out; sets its rank.
    async fn place(
        &self,
        tx: &mut Txn,
        task: &mut Task,
        position: Option<i64>,
    ) -> Result<(), DomainError> {
        let org = task.organization_id;
        let column = self
            .p
            .task_store
            .column(tx, org, task.project_id, task.status)
            .await?;
        let others = column.iter().filter(|(id, _)| *id != task.id).count();
        let at = position.unwrap_or(i64::MAX);
        let placement = board::place(&column, task.id, at);
        let renumbered: Vec<(TaskId, i64)> = placement
            .renumbered
            .into_iter()
            .filter(|(id, _)| *id != task.id)
            .collect();
        if !renumbered.is_empty() {
            self.p.task_store.set_ranks(tx, org, &renumbered).await?;
        }
        task.rank = placement.rank;
        task.position = at.clamp(0, i64::try_from(others).unwrap_or(i64::MAX));
        Ok(())
    }

    /// The `assigned` entry (the event `task.assigned`, notifying them) of a change that
    /// added assignees, naming the new ones; `None` when it added none.
    fn assigned_entry(
        actor: &Actor,
        before: Option<&Task>,
        after: &Task,
    ) -> Option<crm_domain::activity::NewActivity> {
        let old: BTreeSet<UserId> = before
            .map(|b| b.assignee_ids.iter().copied().collect())
            .unwrap_or_default();
        let new: Vec<UserId> = after
            .assignee_ids
            .iter()
            .filter(|u| !old.contains(u))
            .copied()
            .collect();
        if new.is_empty() {
            return None;
        }
        let mut e = audit::changed(actor, "assigned", before.unwrap_or(after), after);
        if let Some(d) = e.data.as_mut().and_then(|d| d.as_object_mut()) {
            d.insert("new_assignee_ids".into(), serde_json::json!(new));
        }
        Some(e)
    }

    /// Needs `tasks:write` (under `:own` the task is assigned to the caller). The project
    /// must take work (`409 project-closed`); parent and milestone of the same project,
    /// assignees members of it (`422`); a new task can be `done` only without dependencies
    /// and subtasks, which it has none of yet.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn create(&self, actor: &Actor, input: TaskInput) -> Result<Task, DomainError> {
        let scope = require::<TasksWrite>(actor)?;
        let org = actor.organization_id;
        let mut errors = Errors::new();
        let title = errors.value("title", title(&input.title));
        let description = errors.value("description", description(input.description.as_deref()));
        let start = errors.value("start_date", optional_date(input.start_date.as_deref()));
        let due = errors.value("due_date", optional_date(input.due_date.as_deref()));
        check_dates(start, due, &mut errors);
        let estimate = errors.value(
            "estimate_minutes",
            input.estimate_minutes.map(estimate_minutes).transpose(),
        );
        let at = errors.value("position", input.position.map(position).transpose());
        let labels = errors.value("labels", labels(&input.labels));
        let assignee_ids = errors.value("assignee_ids", assignees(&input.assignee_ids));
        check_own_assignment(actor, scope, &assignee_ids, &mut errors);
        if let Some(m) = input.milestone_id {
            self.check_milestone(org, input.project_id, m, &mut errors)
                .await?;
        }
        let mut tx = self.p.tx.begin().await?;
        let project = match self.lock_project(&mut tx, org, input.project_id).await {
            Ok(p) => Some(p),
            Err(DomainError::NotFound) => {
                errors.push(not_found("project_id", "project"));
                None
            }
            Err(e) => return Err(e),
        };
        let mut parent_task = None;
        if let Some(project) = &project {
            if let Some(parent) = input.parent_id {
                parent_task = self
                    .same_project(&mut tx, org, project.id, parent, "parent_id", &mut errors)
                    .await?;
            }
            self.check_assignees(&mut tx, org, project.id, &assignee_ids, &mut errors)
                .await?;
        }
        errors.finish()?;
        let Some(project) = project else {
            return Err(DomainError::NotFound);
        };
        if !accepts_work(project.status) {
            return Err(closed(project.status));
        }
        let status = input.status.unwrap_or(TaskStatus::Todo);
        check_parent_open(parent_task.as_ref(), status)?;
        let now = self.p.now();
        let mut task = Task {
            id: TaskId::new(),
            organization_id: org,
            project_id: project.id,
            parent_id: input.parent_id,
            milestone_id: input.milestone_id,
            title,
            description,
            status,
            priority: input.priority.unwrap_or(TaskPriority::Medium),
            assignee_ids,
            start_date: start,
            due_date: due,
            estimate_minutes: estimate,
            position: 0,
            rank: 0,
            labels,
            is_overdue: false,
            logged_minutes: 0,
            completed_at: (status == TaskStatus::Done).then_some(now),
            is_blocked: false,
            legacy_id: None,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        self.place(&mut tx, &mut task, at).await?;
        self.p.tasks.create(&mut tx, &task).await?;
        self.p
            .activities
            .record(&mut tx, audit::created(actor, &task))
            .await?;
        if let Some(e) = Self::assigned_entry(actor, None, &task) {
            self.p.activities.record(&mut tx, e).await?;
        }
        tx.commit().await?;
        self.dated(task).await
    }

    /// Needs `tasks:write` on the task. `status` and/or `position` move the card (the other
    /// cards keep their order); `done` needs every dependency and subtask settled (`409
    /// blocked`); `412` on a stale `If-Match`; `422` per bad field.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn update(
        &self,
        actor: &Actor,
        id: TaskId,
        expected_version: Option<i64>,
        patch: TaskPatch,
    ) -> Result<Task, DomainError> {
        let scope = require::<TasksWrite>(actor)?;
        let org = actor.organization_id;
        let p = &patch;
        // The task's project, to lock before the task (the lock order of every task write).
        let seen = in_scope(actor, scope, self.p.tasks.get(org, id).await?)?;
        let mut errors = Errors::new();
        if let Some(Some(m)) = p.milestone_id {
            self.check_milestone(org, seen.project_id, m, &mut errors)
                .await?;
        }
        let mut tx = self.p.tx.begin().await?;
        self.lock_project(&mut tx, org, seen.project_id).await?;
        let current = self
            .crud()
            .locked(&mut tx, actor, id, expected_version, |t| {
                in_scope(actor, scope, t)
            })
            .await?;
        let mut next = current.clone();
        errors.patch("title", &mut next.title, p.title.as_deref().map(title));
        errors.patch(
            "description",
            &mut next.description,
            text(&p.description, description),
        );
        errors.patch(
            "start_date",
            &mut next.start_date,
            text(&p.start_date, optional_date),
        );
        errors.patch(
            "due_date",
            &mut next.due_date,
            text(&p.due_date, optional_date),
        );
        errors.patch(
            "estimate_minutes",
            &mut next.estimate_minutes,
            p.estimate_minutes
                .map(|v| v.map(estimate_minutes).transpose()),
        );
        errors.patch("labels", &mut next.labels, p.labels.as_deref().map(labels));
        errors.patch(
            "assignee_ids",
            &mut next.assignee_ids,
            p.assignee_ids.as_deref().map(assignees),
        );
        let at = errors.value("position", p.position.map(position).transpose());
        if let Some(v) = p.priority {
            next.priority = v;
        }
        if let Some(v) = p.milestone_id {
            next.milestone_id = v;
        }
        if let Some(v) = p.status {
            next.status = v;
        }
        check_dates(next.start_date, next.due_date, &mut errors);
        if p.assignee_ids.is_some() {
            check_own_assignment(actor, scope, &next.assignee_ids, &mut errors);
            self.check_assignees(
                &mut tx,
                org,
                next.project_id,
                &next.assignee_ids,
                &mut errors,
            )
            .await?;
        }
        let mut parent_task = None;
        if let Some(parent) = p.parent_id {
            next.parent_id = parent;
            if let Some(parent) = parent {
                parent_task = self
                    .same_project(
                        &mut tx,
                        org,
                        next.project_id,
                        parent,
                        "parent_id",
                        &mut errors,
                    )
                    .await?;
                let edges = self
                    .p
                    .task_store
                    .parent_edges(&mut tx, org, next.project_id)
                    .await?;
                if would_cycle(&edges, id, parent) {
                    errors.add(
                        "parent_id",
                        "cycle",
                        "a task cannot be a subtask of itself or of its own subtasks",
                    );
                }
            }
        }
        errors.finish()?;
        // An open task under a done parent would leave the parent done with an open subtask.
        if let Some(parent) = next.parent_id
            && (next.parent_id != current.parent_id || next.status != current.status)
        {
            let parent = match parent_task {
                Some(t) => t,
                None => self.p.tasks.get_for_update(&mut tx, org, parent).await?,
            };
            check_parent_open(Some(&parent), next.status)?;
        }
        if next.status == TaskStatus::Done && current.status != TaskStatus::Done {
            let deps = self
                .p
                .task_store
                .dependency_statuses(&mut tx, org, id)
                .await?;
            let subs = self.p.task_store.subtask_statuses(&mut tx, org, id).await?;
            check_can_complete(&deps, &subs)?;
        }
        let now = self.p.now();
        next.completed_at = completed_at(current.status, next.status, current.completed_at, now);
        if p.status.is_some() || p.position.is_some() {
            let keep = (next.status == current.status).then_some(current.position);
            self.place(&mut tx, &mut next, at.or(keep)).await?;
        }
        if next == current {
            return self.dated(current).await;
        }
        let next = next.touched(now);
        self.p.tasks.update(&mut tx, &next, current.version).await?;
        let mut entry = audit::updated(actor, &current, &next);
        if next.status == TaskStatus::Done && current.status != TaskStatus::Done {
            entry = entry.as_event("completed");
        }
        self.p.activities.record(&mut tx, entry).await?;
        if let Some(e) = Self::assigned_entry(actor, Some(&current), &next) {
            self.p.activities.record(&mut tx, e).await?;
        }
        tx.commit().await?;
        self.dated(next).await
    }

    /// Needs `tasks:delete` on the task. A task with subtasks stays (`409
    /// task-has-subtasks`), as one with logged time (`409 task-has-time`).
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn delete(&self, actor: &Actor, id: TaskId) -> Result<(), DomainError> {
        let scope = require::<TasksDelete>(actor)?;
        let org = actor.organization_id;
        let seen = in_scope(actor, scope, self.p.tasks.get(org, id).await?)?;
        let mut tx = self.p.tx.begin().await?;
        self.lock_project(&mut tx, org, seen.project_id).await?;
        let current = self
            .crud()
            .locked(&mut tx, actor, id, None, |t| in_scope(actor, scope, t))
            .await?;
        if !self
            .p
            .task_store
            .subtask_statuses(&mut tx, org, id)
            .await?
            .is_empty()
        {
            return Err(has_subtasks());
        }
        self.p
            .tasks
            .delete(&mut tx, org, id)
            .await
            .map_err(DomainError::from)
            .map_err(conflict(
                "task-has-time",
                "time is logged on the task: a ledger is not deleted (cancel the task instead)",
            ))?;
        self.p
            .activities
            .record(&mut tx, audit::deleted(actor, &current))
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Needs `tasks:read`; the project's tasks (under `:own` those assigned to the caller)
    /// in status columns, each by position. `404` for a project of another organization.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %project))]
    pub async fn board(&self, actor: &Actor, project: ProjectId) -> Result<TaskBoard, DomainError> {
        let org = actor.organization_id;
        let scope = require::<TasksRead>(actor)?;
        let assignee = owner_filter(actor, scope);
        let found = self.p.projects.get(org, project).await?;
        // Under `:own` the board of a project the caller neither manages nor belongs to is
        // not theirs to see, not even empty: `404`, as the project itself is.
        if scope == Scope::Own
            && found.owner_id != actor.user_id
            && !self
                .p
                .project_store
                .is_member(org, project, actor.user_id)
                .await?
        {
            return Err(DomainError::NotFound);
        }
        let tasks = self.p.task_store.board(org, project, assignee).await?;
        let today = self.p.today(org).await?;
        let tasks = Self::with_today(tasks, today);
        let columns = TaskStatus::ALL
            .iter()
            .map(|s| TaskBoardColumn {
                status: *s,
                tasks: tasks.iter().filter(|t| t.status == *s).cloned().collect(),
            })
            .collect();
        Ok(TaskBoard {
            project_id: project,
            columns,
        })
    }

    /// Needs `tasks:read` on the task: the tasks it depends on.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn dependencies(&self, actor: &Actor, id: TaskId) -> Result<Vec<Task>, DomainError> {
        let task = self.get(actor, id).await?;
        let org = actor.organization_id;
        let deps = self.p.task_store.dependencies(org, task.id).await?;
        let today = self.p.today(org).await?;
        Ok(Self::with_today(deps, today))
    }

    /// Needs `tasks:write` on the task. The task depended on must be of the same project
    /// (`422 depends_on_id`); `409 dependency-exists`; `409 dependency-cycle` for a cycle at
    /// any depth, checked on the project's edges read under the project's lock.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn add_dependency(
        &self,
        actor: &Actor,
        id: TaskId,
        input: DependencyInput,
    ) -> Result<Dependency, DomainError> {
        let scope = require::<TasksWrite>(actor)?;
        let org = actor.organization_id;
        let task = in_scope(actor, scope, self.p.tasks.get(org, id).await?)?;
        let mut errors = Errors::new();
        let found = self.p.tasks.get(org, input.depends_on_id).await;
        match errors.reference("depends_on_id", "task", found)? {
            // Under `:own` a task out of the caller's reach is one they cannot name.
            Some(other) if !reaches(actor, scope, &other) => {
                errors.push(not_found("depends_on_id", "task"));
            }
            Some(other) if other.project_id != task.project_id => errors.add(
                "depends_on_id",
                "other_project",
                "must be a task of the same project",
            ),
            _ => {}
        }
        errors.finish()?;
        let mut tx = self.p.tx.begin().await?;
        let depends_on = input.depends_on_id;
        check_new_dependency(
            &*self.p.graph,
            &mut tx,
            org,
            task.project_id,
            id,
            depends_on,
        )
        .await?;
        self.p
            .task_store
            .add_dependency(&mut tx, org, task.project_id, id, depends_on, self.p.now())
            .await
            .map_err(DomainError::from)
            .map_err(conflict(
                "dependency-exists",
                "the task already depends on that task",
            ))?;
        let mut entry = audit::changed(actor, "dependency_added", &task, &task);
        entry.changes.push(crm_domain::activity::FieldChange {
            field: "dependencies".into(),
            before: serde_json::Value::Null,
            after: serde_json::json!(depends_on),
        });
        self.p.activities.record(&mut tx, entry).await?;
        tx.commit().await?;
        Ok(Dependency {
            task_id: id,
            depends_on_id: depends_on,
        })
    }

    /// Needs `tasks:write` on the task; `404` when it does not depend on `depends_on`.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn remove_dependency(
        &self,
        actor: &Actor,
        id: TaskId,
        depends_on: TaskId,
    ) -> Result<(), DomainError> {
        let scope = require::<TasksWrite>(actor)?;
        let org = actor.organization_id;
        let task = in_scope(actor, scope, self.p.tasks.get(org, id).await?)?;
        let mut tx = self.p.tx.begin().await?;
        self.p
            .task_store
            .remove_dependency(&mut tx, org, id, depends_on)
            .await?;
        let mut entry = audit::changed(actor, "dependency_removed", &task, &task);
        entry.changes.push(crm_domain::activity::FieldChange {
            field: "dependencies".into(),
            before: serde_json::json!(depends_on),
            after: serde_json::Value::Null,
        });
        self.p.activities.record(&mut tx, entry).await?;
        tx.commit().await?;
        Ok(())
    }
}

use crm_domain::kernel::records::Record as _;

#[cfg(test)]
mod tests {
    use super::*;
    use crm_domain::activity::NewActivity;
    use uuid::Uuid;

    fn entry(
        entity_type: &'static str,
        action: &'static str,
        data: serde_json::Value,
    ) -> NewActivity {
        NewActivity {
            organization_id: OrganizationId(Uuid::from_u128(9)),
            actor_id: Some(UserId(Uuid::from_u128(1))),
            entity_type,
            entity_id: Uuid::from_u128(2),
            action,
            changes: Vec::new(),
            data: Some(data),
            event_verb: None,
        }
    }

    #[test]
    fn task_assigned_tells_the_new_assignees_only() {
        let (a, b) = (UserId(Uuid::from_u128(3)), UserId(Uuid::from_u128(4)));
        let data = serde_json::json!({"assignee_ids": [a, b], "new_assignee_ids": [b]});
        let assigned = |e| crate::tasks::named_in(&e, "assigned", "new_assignee_ids");
        assert_eq!(assigned(entry("task", "assigned", data.clone())), [b]);
        // Another action or another record: nobody.
        assert!(assigned(entry("task", "updated", data.clone())).is_empty());
        assert!(assigned(entry("project", "assigned", data)).is_empty());
        assert!(assigned(entry("task", "assigned", serde_json::json!({}))).is_empty());
    }
}
