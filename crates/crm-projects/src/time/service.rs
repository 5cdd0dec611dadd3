//! `/time-entries`, `POST /time-entries/start` and `POST /time-entries/{id}/stop`.

use super::model::{
    NOTE_MAX, TimeEntry, TimeEntryId, TimeEntryInput, TimeEntryPatch, TimerStartInput, bill_rate,
    check_day_total, check_not_invoiced, default_billable, minutes, stopped_minutes, timer_running,
};
use crate::ports::ProjectPorts;
use crate::projects::{Project, ProjectId, accepts_work, closed};
use crate::requirements::{TimeEntriesDelete, TimeEntriesRead, TimeEntriesWrite};
use crate::tasks::TaskId;
use crm_domain::kernel::input::{Errors, text};
use crm_domain::kernel::pagination::{ListQuery, Page};
use crm_domain::kernel::records::{Crud, Record as _, get_owned, list_owned};
use crm_domain::kernel::scope::{in_scope, require};
use crm_domain::kernel::text::optional_text;
use crm_domain::kernel::values::date;
use crm_domain::{Actor, DomainError, FieldError, OrganizationId, Scope, UserId, ValueError};

fn note(raw: Option<&str>) -> Result<Option<String>, ValueError> {
    optional_text(raw, "note", NOTE_MAX, true)
}

fn not_running() -> DomainError {
    DomainError::conflict("timer-not-running", "the time entry is not a running timer")
}

/// The project and task an entry is for: the task's project when a task is named (`422
/// task_id` when it is not a task of the organization, or of another project than
/// `project_id`), else `project_id` (`422` when missing or unknown).
async fn target(
    p: &ProjectPorts,
    org: OrganizationId,
    project: Option<ProjectId>,
    task: Option<TaskId>,
    errors: &mut Errors,
) -> Result<Option<Project>, DomainError> {
    let mut project_id = project;
    if let Some(t) = task {
        let found = p.tasks.get(org, t).await;
        match errors.reference("task_id", "task", found)? {
            Some(t) if project.is_some_and(|p| p != t.project_id) => {
                errors.add("task_id", "other_project", "must be a task of project_id");
                return Ok(None);
            }
            Some(t) => project_id = Some(t.project_id),
            None => return Ok(None),
        }
    }
    let Some(id) = project_id else {
        errors.add(
            "project_id",
            "required",
            "a project_id or a task_id is required",
        );
        return Ok(None);
    };
    let found = p.projects.get(org, id).await;
    errors.reference("project_id", "project", found)
}

/// Time entries: logged time and timers.
#[derive(Clone)]
pub struct TimeEntryService {
    p: ProjectPorts,
}

impl TimeEntryService {
    pub fn new(ports: ProjectPorts) -> Self {
        Self { p: ports }
    }

    fn crud(&self) -> Crud<'_, TimeEntry> {
        Crud::new(&*self.p.tx, &*self.p.time_entries, &*self.p.activities)
    }

    /// Needs `time_entries:read`; under `:own` the caller's own time.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn list(
        &self,
        actor: &Actor,
        query: &ListQuery,
    ) -> Result<Page<TimeEntry>, DomainError> {
        list_owned::<TimeEntriesRead, _>(&*self.p.time_entries, actor, query).await
    }

    /// Needs `time_entries:read`; `404` when missing, of another organization or another
    /// person's under `:own`.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn get(&self, actor: &Actor, id: TimeEntryId) -> Result<TimeEntry, DomainError> {
        get_owned::<TimeEntriesRead, _>(&*self.p.time_entries, actor, id).await
    }

    /// The person an entry is for: the caller unless named; another person needs the
    /// all-records scope (`422 user_id`) and must be a user of the organization.
    async fn person(
        &self,
        actor: &Actor,
        scope: Scope,
        user: Option<UserId>,
        errors: &mut Errors,
    ) -> Result<UserId, DomainError> {
        let user = user.unwrap_or(actor.user_id);
        if user == actor.user_id {
            return Ok(user);
        }
        if scope == Scope::Own {
            errors.push(FieldError::new(
                "user_id",
                "not_allowed",
                "logging another person's time needs the time_entries:write permission",
            ));
        } else {
            let found = self.p.users.get(actor.organization_id, user).await;
            errors.reference("user_id", "user", found)?;
        }
        Ok(user)
    }

    /// Needs `time_entries:write`. Minutes 1–1440, and one person's day at most 1440 (`422
    /// minutes`, checked under the person's lock); the project must take work (`409
    /// project-closed`); `billable` defaults to the project not being `non_billable`;
    /// `bill_rate` is the project's hourly rate now.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn create(
        &self,
        actor: &Actor,
        input: TimeEntryInput,
    ) -> Result<TimeEntry, DomainError> {
        let scope = require::<TimeEntriesWrite>(actor)?;
        let org = actor.organization_id;
        let mut errors = Errors::new();
        let minutes = errors.value("minutes", minutes(input.minutes));
        let work_date = match input.work_date.as_deref() {
            Some(d) => errors.take("work_date", date(d)),
            None => Some(self.p.today(org).await?),
        };
        let note = errors.value("note", note(input.note.as_deref()));
        let user = self
            .person(actor, scope, input.user_id, &mut errors)
            .await?;
        let project = target(&self.p, org, input.project_id, input.task_id, &mut errors).await?;
        errors.finish()?;
        let (Some(project), Some(work_date)) = (project, work_date) else {
            return Err(DomainError::NotFound);
        };
        if !accepts_work(project.status) {
            return Err(closed(project.status));
        }
        let mut tx = self.p.tx.begin().await?;
        let others = self
            .p
            .time_store
            .day_minutes(&mut tx, org, user, work_date, None)
            .await?;
        check_day_total(&others, minutes)?;
        let now = self.p.now();
        let entry = TimeEntry {
            id: TimeEntryId::new(),
            organization_id: org,
            project_id: project.id,
            task_id: input.task_id,
            user_id: user,
            work_date,
            minutes: Some(minutes),
            billable: input
                .billable
                .unwrap_or_else(|| default_billable(project.billing)),
            note,
            bill_rate: bill_rate(&project),
            invoice_id: None,
            started_at: None,
            is_running: false,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        self.crud().create_in(actor, tx, entry).await
    }

    /// Needs `time_entries:write` on the entry. An invoiced entry is frozen (`409
    /// time-entry-invoiced`); a running timer has no minutes to change until it stops (`422
    /// minutes`); the day's total is checked again for the date it ends up on.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn update(
        &self,
        actor: &Actor,
        id: TimeEntryId,
        expected_version: Option<i64>,
        patch: TimeEntryPatch,
    ) -> Result<TimeEntry, DomainError> {
        let scope = require::<TimeEntriesWrite>(actor)?;
        let org = actor.organization_id;
        let seen = get_owned::<TimeEntriesWrite, _>(&*self.p.time_entries, actor, id).await?;
        let mut errors = Errors::new();
        if let Some(Some(t)) = patch.task_id {
            target(&self.p, org, Some(seen.project_id), Some(t), &mut errors).await?;
        }
        let mut tx = self.p.tx.begin().await?;
        let current = self
            .crud()
            .locked(&mut tx, actor, id, expected_version, |e| {
                in_scope(actor, scope, e)
            })
            .await?;
        check_not_invoiced(current.invoice_id)?;
        let mut next = current.clone();
        errors.patch(
            "work_date",
            &mut next.work_date,
            patch.work_date.as_deref().map(date),
        );
        errors.patch("note", &mut next.note, text(&patch.note, note));
        if let Some(m) = patch.minutes {
            if current.is_running {
                errors.add(
                    "minutes",
                    "timer_running",
                    "a running timer gets its minutes when it stops",
                );
            } else if let Some(m) = errors.take("minutes", minutes(m)) {
                next.minutes = Some(m);
            }
        }
        if let Some(b) = patch.billable {
            next.billable = b;
        }
        if let Some(t) = patch.task_id {
            next.task_id = t;
        }
        errors.finish()?;
        if let Some(m) = next.minutes
            && (next.minutes != current.minutes || next.work_date != current.work_date)
        {
            let others = self
                .p
                .time_store
                .day_minutes(&mut tx, org, next.user_id, next.work_date, Some(id))
                .await?;
            check_day_total(&others, m)?;
        }
        self.crud()
            .save(actor, tx, current, next, self.p.now())
            .await
    }

    /// Needs `time_entries:delete` on the entry; an invoiced entry stays (`409
    /// time-entry-invoiced`).
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn delete(&self, actor: &Actor, id: TimeEntryId) -> Result<(), DomainError> {
        let scope = require::<TimeEntriesDelete>(actor)?;
        self.crud()
            .delete(actor, id, |e| {
                let e = in_scope(actor, scope, e)?;
                check_not_invoiced(e.invoice_id)?;
                Ok(e)
            })
            .await
    }

    /// Needs `time_entries:write`. A running entry of the caller's, for a task or a project
    /// that takes work, dated the organization's today; one running timer per person (`409
    /// timer-running`, kept by a unique key whatever instance starts it).
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn start(
        &self,
        actor: &Actor,
        input: TimerStartInput,
    ) -> Result<TimeEntry, DomainError> {
        require::<TimeEntriesWrite>(actor)?;
        let org = actor.organization_id;
        let mut errors = Errors::new();
        let note = errors.value("note", note(input.note.as_deref()));
        let project = target(&self.p, org, input.project_id, input.task_id, &mut errors).await?;
        errors.finish()?;
        let Some(project) = project else {
            return Err(DomainError::NotFound);
        };
        if !accepts_work(project.status) {
            return Err(closed(project.status));
        }
        let today = self.p.today(org).await?;
        let now = self.p.now();
        let entry = TimeEntry {
            id: TimeEntryId::new(),
            organization_id: org,
            project_id: project.id,
            task_id: input.task_id,
            user_id: actor.user_id,
            work_date: today,
            minutes: None,
            billable: default_billable(project.billing),
            note,
            bill_rate: bill_rate(&project),
            invoice_id: None,
            started_at: Some(now),
            is_running: true,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        self.crud().create(actor, entry).await.map_err(|e| match e {
            DomainError::Conflict { .. } => timer_running(),
            other => other,
        })
    }

    /// Needs `time_entries:write` on the entry. Stops a running timer (`409
    /// timer-not-running` otherwise): its minutes are the time since it started, rounded up,
    /// capped at what its day has room for (`422 minutes` when the day is full).
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn stop(
        &self,
        actor: &Actor,
        id: TimeEntryId,
        expected_version: Option<i64>,
    ) -> Result<TimeEntry, DomainError> {
        let scope = require::<TimeEntriesWrite>(actor)?;
        let org = actor.organization_id;
        let seen = get_owned::<TimeEntriesWrite, _>(&*self.p.time_entries, actor, id).await?;
        let mut tx = self.p.tx.begin().await?;
        // The person's day first (the lock order of every write of their time), then the entry.
        let others = self
            .p
            .time_store
            .day_minutes(&mut tx, org, seen.user_id, seen.work_date, Some(id))
            .await?;
        let current = self
            .crud()
            .locked(&mut tx, actor, id, expected_version, |e| {
                in_scope(actor, scope, e)
            })
            .await?;
        let (true, Some(started)) = (current.is_running, current.started_at) else {
            return Err(not_running());
        };
        let now = self.p.now();
        let m = stopped_minutes(started, now, &others)?;
        let next = TimeEntry {
            minutes: Some(m),
            is_running: false,
            ..current.clone()
        }
        .touched(now);
        self.crud()
            .change(actor, tx, "updated", &current, next, None)
            .await
    }
}
