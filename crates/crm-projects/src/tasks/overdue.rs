//! `task.overdue`: once per task and due date, on the first poll after an open task falls
//! due in its organization's time zone, the task's `overdue` entry is written (the event) and
//! its assignees are notified. The task row carries the due date it was told of
//! (`overdue_told_for`), set in the same transaction as the entry, under the task's lock:
//! instances share the work and none tells twice; a new due date is told once again.

use super::model::{TaskId, is_overdue};
use crate::ports::ProjectPorts;
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use crm_domain::activity::{NewActivity, change_entry};
use crm_domain::jobs::{Job, Period, act_on_each};
use crm_domain::kernel::clock::local_date;
use crm_domain::{DomainError, OrganizationId, UserId};

/// Tasks looked at per poll (oldest due date first); the next poll takes the rest.
const BATCH: u64 = 500;

/// The users a task entry's record names in `field` (`assignee_ids`, `new_assignee_ids`),
/// for the entries of `verb` only.
pub fn named_in(entry: &NewActivity, verb: &str, field: &str) -> Vec<UserId> {
    if entry.entity_type != "task" || entry.event_verb.unwrap_or(entry.action) != verb {
        return Vec::new();
    }
    entry
        .data
        .as_ref()
        .and_then(|d| d.get(field))
        .and_then(|v| v.as_array())
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str())
        .filter_map(|s| uuid::Uuid::parse_str(s).ok())
        .map(UserId)
        .collect()
}

/// Writes the `overdue` entry of each task that fell due.
pub struct TaskOverdueJob {
    p: ProjectPorts,
}

impl TaskOverdueJob {
    pub fn new(ports: ProjectPorts) -> Self {
        Self { p: ports }
    }

    /// Tells of task `id` if it is overdue in its organization now and nobody has told of
    /// its due date yet: whether it did.
    pub async fn tell(
        &self,
        org: OrganizationId,
        id: TaskId,
        now: DateTime<Utc>,
    ) -> Result<bool, DomainError> {
        let o = self.p.organizations.get(org).await?;
        let today = local_date(now, &o.timezone);
        let mut tx = self.p.tx.begin().await?;
        let task = self.p.tasks.get_for_update(&mut tx, org, id).await?;
        let (Some(due), true) = (task.due_date, is_overdue(task.due_date, task.status, today))
        else {
            return Ok(false);
        };
        if !self
            .p
            .task_store
            .mark_overdue_told(&mut tx, org, id, due)
            .await?
        {
            return Ok(false);
        }
        let task = crate::tasks::Task {
            is_overdue: true,
            ..task
        };
        let entry = change_entry(org, None, "task", id.0, "overdue", None, Some(&task));
        self.p.activities.record(&mut tx, entry).await?;
        tx.commit().await?;
        Ok(true)
    }
}

#[async_trait]
impl Job for TaskOverdueJob {
    fn name(&self) -> &'static str {
        "tasks_overdue"
    }

    fn period(&self) -> Period {
        Period::EveryPoll
    }

    async fn run(&self, now: DateTime<Utc>) -> Result<String, DomainError> {
        // Due before today somewhere: no organization's today is a day past UTC's.
        let horizon = now.date_naive() + Duration::days(1);
        let due = self.p.task_store.overdue_candidates(horizon, BATCH).await?;
        let told = act_on_each("overdue task told", &due, |org, id| self.tell(org, id, now)).await;
        Ok(if told == 0 {
            String::new()
        } else {
            format!("{told} tasks overdue")
        })
    }
}
