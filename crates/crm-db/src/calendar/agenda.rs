//! `AgendaSources`: the agenda's rows of the other modules, read on their tables directly
//! (the calendar depends on no other domain crate), one statement per kind, each starting
//! from an index on the user:
//! - tasks: `ix_task_assignees_user (organization_id, user_id, task_id)`, then the tasks by
//!   primary key;
//! - leave: the caller's employee by `ux_employees_user`, their reports down the manager
//!   chain by `ix_employees_manager` (a recursive `WITH`; `UNION` stops even on a loop the
//!   writes would have refused), their approved requests by `ix_leave_requests_person`;
//! - interviews: `ix_interview_interviewers_user`, then the interview, its application and
//!   candidate by primary key;
//! - contracts: `ix_contracts_owner (organization_id, owner_id, …)`.

use crate::error::store_err;
use crate::sales::get;
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use crm_calendar::agenda::{AgendaSources, ContractDates, DueTask, InterviewSlot, LeaveDays};
use crm_domain::{OrganizationId, StoreError, UserId};
use sea_orm::{ConnectionTrait, DatabaseConnection, QueryResult, Value};
use uuid::Uuid;

pub struct SqlAgendaSources {
    db: DatabaseConnection,
}

impl SqlAgendaSources {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// Runs `sql`, written with `?` placeholders.
    async fn rows(&self, sql: &str, values: Vec<Value>) -> Result<Vec<QueryResult>, StoreError> {
        let backend = self.db.get_database_backend();
        self.db
            .query_all_raw(crate::rows::portable(backend, sql, values))
            .await
            .map_err(store_err)
    }
}

#[async_trait]
impl AgendaSources for SqlAgendaSources {
    async fn tasks_due(
        &self,
        org: OrganizationId,
        user: UserId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<DueTask>, StoreError> {
        let rows = self
            .rows(
                "SELECT t.id, t.title, t.due_date, t.project_id \
                 FROM task_assignees a JOIN tasks t ON t.id = a.task_id \
                 WHERE a.organization_id = ? AND a.user_id = ? AND t.organization_id = ? \
                 AND t.status <> 'cancelled' AND t.due_date >= ? AND t.due_date <= ?",
                vec![
                    org.0.into(),
                    user.0.into(),
                    org.0.into(),
                    from.into(),
                    to.into(),
                ],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(DueTask {
                    id: get(r, "id")?,
                    title: get(r, "title")?,
                    due_date: get(r, "due_date")?,
                    project_id: get(r, "project_id")?,
                })
            })
            .collect()
    }

    async fn leave(
        &self,
        org: OrganizationId,
        user: UserId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<LeaveDays>, StoreError> {
        let rows = self
            .rows(
                "WITH RECURSIVE tree (id) AS ( \
                   SELECT id FROM employees WHERE organization_id = ? AND user_id = ? \
                   UNION \
                   SELECT e.id FROM employees e JOIN tree ON e.manager_id = tree.id \
                   WHERE e.organization_id = ? \
                 ) \
                 SELECT l.id, l.employee_id, e.first_name, e.last_name, e.user_id, \
                   l.start_date, l.end_date, l.half_day \
                 FROM tree JOIN employees e ON e.id = tree.id \
                 JOIN leave_requests l ON l.organization_id = ? AND l.employee_id = tree.id \
                 WHERE l.status = 'approved' AND l.start_date <= ? AND l.end_date >= ?",
                vec![
                    org.0.into(),
                    user.0.into(),
                    org.0.into(),
                    org.0.into(),
                    to.into(),
                    from.into(),
                ],
            )
            .await?;
        rows.iter()
            .map(|r| {
                let first: String = get(r, "first_name")?;
                let last: String = get(r, "last_name")?;
                let of: Option<Uuid> = get(r, "user_id")?;
                Ok(LeaveDays {
                    id: get(r, "id")?,
                    employee_id: get(r, "employee_id")?,
                    employee_name: format!("{first} {last}"),
                    own: of == Some(user.0),
                    start_date: get(r, "start_date")?,
                    end_date: get(r, "end_date")?,
                    half_day: get(r, "half_day")?,
                })
            })
            .collect()
    }

    async fn interviews(
        &self,
        org: OrganizationId,
        user: UserId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<InterviewSlot>, StoreError> {
        let rows = self
            .rows(
                "SELECT i.id, i.application_id, c.name, i.round, i.starts_at, i.ends_at \
                 FROM interview_interviewers w JOIN interviews i ON i.id = w.interview_id \
                 JOIN applications a ON a.id = i.application_id \
                 JOIN candidates c ON c.id = a.candidate_id \
                 WHERE w.organization_id = ? AND w.user_id = ? AND i.organization_id = ? \
                 AND i.status <> 'cancelled' AND i.starts_at < ? AND i.ends_at > ?",
                vec![
                    org.0.into(),
                    user.0.into(),
                    org.0.into(),
                    to.into(),
                    from.into(),
                ],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(InterviewSlot {
                    id: get(r, "id")?,
                    application_id: get(r, "application_id")?,
                    candidate_name: get(r, "name")?,
                    round: get(r, "round")?,
                    starts_at: get(r, "starts_at")?,
                    ends_at: get(r, "ends_at")?,
                })
            })
            .collect()
    }

    async fn contract_dates(
        &self,
        org: OrganizationId,
        user: UserId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<ContractDates>, StoreError> {
        let rows = self
            .rows(
                "SELECT id, title, client_id, notice_date, end_date FROM contracts \
                 WHERE organization_id = ? AND owner_id = ? \
                 AND status NOT IN ('draft', 'terminated') \
                 AND ((end_date >= ? AND end_date <= ?) \
                   OR (notice_date >= ? AND notice_date <= ?))",
                vec![
                    org.0.into(),
                    user.0.into(),
                    from.into(),
                    to.into(),
                    from.into(),
                    to.into(),
                ],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(ContractDates {
                    id: get(r, "id")?,
                    title: get(r, "title")?,
                    client_id: get(r, "client_id")?,
                    notice_date: get(r, "notice_date")?,
                    end_date: get(r, "end_date")?,
                })
            })
            .collect()
    }
}
