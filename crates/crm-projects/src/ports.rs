//! The ports of the projects services: every store they use, and what they share with the
//! other modules (transactions, audit log, organizations, users, clients, the clock).

use crate::dependencies::TaskGraph;
use crate::milestones::{Milestone, MilestoneId};
use crate::projects::{Member, Project, ProjectId};
use crate::tasks::{Task, TaskId, TaskStatus};
use crate::time::{TimeEntry, TimeEntryId};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use crm_domain::activity::ActivityRepository;
use crm_domain::clients::Client;
use crm_domain::identity::{Clock, OrganizationRepository, UserRepository};
use crm_domain::kernel::records::Records;
use crm_domain::{Currency, DomainError, OrganizationId, StoreError, TxManager, Txn, UserId};
use std::sync::Arc;
use uuid::Uuid;

/// How many tasks of one project are in one status, and their estimate minutes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StatusTotals {
    pub project_id: ProjectId,
    pub status: TaskStatus,
    pub count: i64,
    /// The sum of the tasks' `estimate_minutes` (none counts 0).
    pub estimate_minutes: i64,
}

/// What projects need besides their rows: members, task totals, the deals they name.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ProjectStore: Send + Sync {
    /// Per project of `projects` and task status: the count and estimate minutes (statuses
    /// without tasks are left out).
    async fn task_totals(
        &self,
        org: OrganizationId,
        projects: &[ProjectId],
    ) -> Result<Vec<StatusTotals>, StoreError>;

    /// Whether `user` is a member of `project` (in any role).
    async fn is_member(
        &self,
        org: OrganizationId,
        project: ProjectId,
        user: UserId,
    ) -> Result<bool, StoreError>;

    /// The members of `project`, by when they joined.
    async fn members(
        &self,
        org: OrganizationId,
        project: ProjectId,
    ) -> Result<Vec<Member>, StoreError>;

    /// Adds `member`; `Conflict` when the user already is one.
    async fn add_member(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        project: ProjectId,
        member: &Member,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Sets a member's role; `NotFound` when the user is not a member.
    async fn set_role(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        project: ProjectId,
        member: &Member,
    ) -> Result<(), StoreError>;

    /// Removes a member; `NotFound` when the user is not one.
    async fn remove_member(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        project: ProjectId,
        user: UserId,
    ) -> Result<(), StoreError>;

    /// The milestones of `project`, oldest first.
    async fn milestones_of(
        &self,
        org: OrganizationId,
        project: ProjectId,
    ) -> Result<Vec<Milestone>, StoreError>;

    /// How many of the project's tasks are open and due before `today`.
    async fn overdue_tasks(
        &self,
        org: OrganizationId,
        project: ProjectId,
        today: NaiveDate,
    ) -> Result<i64, StoreError>;

    /// Whether `deal` is a deal of `org`.
    async fn deal_exists(&self, org: OrganizationId, deal: Uuid) -> Result<bool, StoreError>;
}

/// What tasks need besides their rows: board columns, what blocks them, their time.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait TaskStore: Send + Sync {
    /// The `(task, rank)` pairs of the `status` column of `project`, read in `tx` (the
    /// caller holds the project's row, so no other move reads the same column meanwhile).
    async fn column(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        project: ProjectId,
        status: TaskStatus,
    ) -> Result<Vec<(TaskId, i64)>, StoreError>;

    /// Writes the ranks of a renumbered column (no new version: the order is the server's
    /// own, and each card's place among the others is unchanged).
    async fn set_ranks(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        ranks: &[(TaskId, i64)],
    ) -> Result<(), StoreError>;

    /// The statuses of the tasks `task` depends on, read in `tx`.
    async fn dependency_statuses(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        task: TaskId,
    ) -> Result<Vec<TaskStatus>, StoreError>;

    /// The statuses of the subtasks of `task`, read in `tx`.
    async fn subtask_statuses(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        task: TaskId,
    ) -> Result<Vec<TaskStatus>, StoreError>;

    /// The members of `project` (user ids), read in `tx`: who tasks may be assigned to.
    async fn member_ids(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        project: ProjectId,
    ) -> Result<Vec<UserId>, StoreError>;

    /// The parent links `(task, parent)` of the project's tasks that have one, read in `tx`.
    async fn parent_edges(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        project: ProjectId,
    ) -> Result<Vec<(TaskId, TaskId)>, StoreError>;

    /// The tasks `task` depends on (the caller checks the task is visible).
    async fn dependencies(
        &self,
        org: OrganizationId,
        task: TaskId,
    ) -> Result<Vec<Task>, StoreError>;

    /// Adds the edge `task → depends_on` in `tx`; `Conflict` when it exists.
    async fn add_dependency(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        project: ProjectId,
        task: TaskId,
        depends_on: TaskId,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Removes the edge; `NotFound` when there is none.
    async fn remove_dependency(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        task: TaskId,
        depends_on: TaskId,
    ) -> Result<(), StoreError>;

    /// Every task of `project` in board order (status, then position), assignee-narrowed
    /// when `assignee` is given.
    async fn board(
        &self,
        org: OrganizationId,
        project: ProjectId,
        assignee: Option<UserId>,
    ) -> Result<Vec<Task>, StoreError>;

    /// The statuses of the tasks linked to each of `milestones`.
    async fn milestone_statuses(
        &self,
        org: OrganizationId,
        milestones: &[MilestoneId],
    ) -> Result<Vec<(MilestoneId, TaskStatus)>, StoreError>;

    /// As [`Self::milestone_statuses`] for one milestone, read in `tx`.
    async fn milestone_statuses_in_tx(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        milestone: MilestoneId,
    ) -> Result<Vec<TaskStatus>, StoreError>;

    /// Open tasks of every organization due before `before` whose assignees have not been
    /// told of that due date, at most `limit`.
    async fn overdue_candidates(
        &self,
        before: NaiveDate,
        limit: u64,
    ) -> Result<Vec<(OrganizationId, TaskId)>, StoreError>;

    /// Marks that the assignees were told of due date `date` (no new version), in `tx`;
    /// `false` when another transaction told them first or the task changed meanwhile.
    async fn mark_overdue_told(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        task: TaskId,
        date: NaiveDate,
    ) -> Result<bool, StoreError>;
}

/// Minutes of a project's stopped time entries of one kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeGroup {
    pub billable: bool,
    pub invoiced: bool,
    pub bill_rate: Option<i64>,
    pub minutes: i64,
}

/// What time entries need besides their rows: a person's day, their running timer, what a
/// project invoices, the reports.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait TimeStore: Send + Sync {
    /// The minutes of `user`'s entries of `day`, except `except`, read in `tx` after locking
    /// the user's day (their user row), so two entries of one day are checked one after the
    /// other.
    async fn day_minutes(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        user: UserId,
        day: NaiveDate,
        except: Option<TimeEntryId>,
    ) -> Result<Vec<i64>, StoreError>;

    /// The project's stopped, billable, not invoiced entries, read and locked in `tx`.
    async fn unbilled(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        project: ProjectId,
    ) -> Result<Vec<TimeEntry>, StoreError>;

    /// The project's stopped entries summed by billability, invoicing and bill rate.
    async fn project_time(
        &self,
        org: OrganizationId,
        project: ProjectId,
    ) -> Result<Vec<TimeGroup>, StoreError>;

    /// The minutes of the project's stopped entries per person.
    async fn minutes_by_user(
        &self,
        org: OrganizationId,
        project: ProjectId,
    ) -> Result<Vec<(UserId, i64)>, StoreError>;

    /// The approved (or reimbursed) expenses of the project, summed per currency (the
    /// approved amount).
    async fn approved_expenses(
        &self,
        org: OrganizationId,
        project: ProjectId,
    ) -> Result<Vec<(Currency, i64)>, StoreError>;

    /// `user`'s stopped minutes per day and project, from `from` to `to` (inclusive).
    async fn timesheet(
        &self,
        org: OrganizationId,
        user: UserId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(NaiveDate, ProjectId, i64)>, StoreError>;

    /// Sets `invoice` on the entries `ids` (one version on each), in `tx`.
    async fn mark_invoiced(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        ids: &[TimeEntryId],
        invoice: Uuid,
    ) -> Result<(), StoreError>;
}

/// The ports of the projects services.
#[derive(Clone)]
pub struct ProjectPorts {
    pub tx: Arc<dyn TxManager>,
    pub activities: Arc<dyn ActivityRepository>,
    /// The organization's time zone (what `is_overdue` is read against).
    pub organizations: Arc<dyn OrganizationRepository>,
    pub users: Arc<dyn UserRepository>,
    pub clients: Arc<dyn Records<Client>>,
    pub clock: Arc<dyn Clock>,
    pub projects: Arc<dyn Records<Project>>,
    pub project_store: Arc<dyn ProjectStore>,
    pub tasks: Arc<dyn Records<Task>>,
    pub task_store: Arc<dyn TaskStore>,
    pub graph: Arc<dyn TaskGraph>,
    pub milestones: Arc<dyn Records<Milestone>>,
    pub time_entries: Arc<dyn Records<TimeEntry>>,
    pub time_store: Arc<dyn TimeStore>,
}

impl ProjectPorts {
    /// Now, as stored.
    pub fn now(&self) -> DateTime<Utc> {
        crm_domain::kernel::clock::stored(self.clock.now())
    }

    /// Today's date in the organization's time zone.
    pub async fn today(&self, org: OrganizationId) -> Result<NaiveDate, DomainError> {
        let o = self.organizations.get(org).await?;
        Ok(crm_domain::kernel::clock::local_date(
            self.clock.now(),
            &o.timezone,
        ))
    }
}
