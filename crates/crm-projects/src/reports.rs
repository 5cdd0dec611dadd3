//! `GET /projects/{id}/report` and `GET /reports/timesheet`: aggregates the store sums in
//! SQL (time by kind and rate, by person, by day and project; tasks by status; expenses by
//! currency), assembled here.

use crate::milestones::MilestoneStatus;
use crate::ports::{ProjectPorts, StatusTotals, TimeGroup};
use crate::projects::{ProjectId, ProjectService};
use crate::requirements::{ProjectsRead, TimeEntriesRead};
use crate::tasks::TaskStatus;
use chrono::NaiveDate;
use crm_domain::kernel::input::Errors;
use crm_domain::kernel::money::div_round_half_away;
use crm_domain::kernel::scope::require;
use crm_domain::kernel::values::date;
use crm_domain::{Actor, Currency, DomainError, Scope, UserId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The longest timesheet, in days.
pub const MAX_TIMESHEET_DAYS: i64 = 366;

/// Tasks of the project per status, and the open ones past due.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TaskCounts {
    pub todo: i64,
    pub in_progress: i64,
    pub in_review: i64,
    pub done: i64,
    pub cancelled: i64,
    /// Neither done nor cancelled, and due before today (the organization's).
    pub overdue: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MilestoneLine {
    pub id: crate::milestones::MilestoneId,
    pub title: String,
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub due_date: Option<NaiveDate>,
    pub status: MilestoneStatus,
    pub progress: u8,
    pub is_overdue: bool,
}

/// The project's time, in minutes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TimeTotals {
    /// Estimate minutes of the tasks that are not cancelled.
    pub estimated_minutes: i64,
    /// Every stopped entry, billable or not.
    pub logged_minutes: i64,
    pub billable_minutes: i64,
    /// Billable and on no invoice yet.
    pub unbilled_minutes: i64,
}

/// The budget against what was spent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BudgetTotals {
    /// The project's budget currency (the organization's when it has none).
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "USD"))]
    pub currency: Currency,
    /// `budget_amount`, minor units.
    pub amount: Option<i64>,
    /// Billable time at its `bill_rate` plus the project's approved expenses in `currency`.
    pub spent: i64,
    /// `amount − spent` (negative when over budget); null without a budget.
    pub remaining: Option<i64>,
    /// `budget_minutes`.
    pub minutes: Option<i64>,
    /// `budget_minutes − logged minutes` (billable or not); null without a budget.
    pub minutes_remaining: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberTime {
    pub user_id: UserId,
    pub logged_minutes: i64,
}

/// `GET /projects/{id}/report`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "project_id": "019cc2b0-5e80-7566-9b19-1bf4d8441b56",
    "progress": 33,
    "tasks": {"todo": 5, "in_progress": 2, "in_review": 1, "done": 4, "cancelled": 1, "overdue": 1},
    "milestones": [{"id": "019cc2b0-9d00-7a41-8c2e-0b6f3f0e5d12", "title": "Beta launch",
                    "due_date": "2026-05-01", "status": "open", "progress": 50, "is_overdue": false}],
    "time": {"estimated_minutes": 2880, "logged_minutes": 1530, "billable_minutes": 1440,
             "unbilled_minutes": 480},
    "budget": {"currency": "USD", "amount": 4000000, "spent": 240000, "remaining": 3760000,
               "minutes": 24000, "minutes_remaining": 22470},
    "members": [{"user_id": "019bb138-13e8-77a9-a564-12a9b8a1abcd", "logged_minutes": 1530}]
})))]
pub struct ProjectReport {
    pub project_id: ProjectId,
    pub progress: u8,
    pub tasks: TaskCounts,
    pub milestones: Vec<MilestoneLine>,
    pub time: TimeTotals,
    pub budget: BudgetTotals,
    /// The project's members and everyone else who logged time on it, by minutes logged
    /// (most first).
    pub members: Vec<MemberTime>,
}

/// `GET /reports/timesheet` query.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
pub struct TimesheetQuery {
    /// Whose time: the caller when absent; another person's needs `time_entries:read`.
    pub user_id: Option<UserId>,
    /// First day, `YYYY-MM-DD` (required: `422` naming it when absent).
    #[cfg_attr(feature = "openapi", param(value_type = String, format = Date, required = true))]
    pub from: Option<String>,
    /// Last day (inclusive), at most 366 days after `from` (required).
    #[cfg_attr(feature = "openapi", param(value_type = String, format = Date, required = true))]
    pub to: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProjectMinutes {
    pub project_id: ProjectId,
    pub minutes: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TimesheetDay {
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub date: NaiveDate,
    pub projects: Vec<ProjectMinutes>,
    pub minutes: i64,
}

/// Every day from `from` to `to`, with the person's minutes per project (none: an empty list
/// and 0).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "user_id": "019bb138-13e8-77a9-a564-12a9b8a1abcd",
    "days": [
        {"date": "2026-03-09", "projects": [], "minutes": 0},
        {"date": "2026-03-10", "projects": [
            {"project_id": "019cc2b0-5e80-7566-9b19-1bf4d8441b56", "minutes": 450}], "minutes": 450}
    ]
})))]
pub struct Timesheet {
    pub user_id: UserId,
    pub days: Vec<TimesheetDay>,
}

/// The time totals of a project from its groups, and the value of its billable time: minutes
/// × rate / 60 per rate, rounded half away from zero to the minor unit.
pub fn time_totals(groups: &[TimeGroup]) -> (TimeTotals, i64) {
    let mut t = TimeTotals::default();
    let mut value: i128 = 0;
    let mut per_rate: BTreeMap<i64, i64> = BTreeMap::new();
    for g in groups {
        t.logged_minutes += g.minutes;
        if g.billable {
            t.billable_minutes += g.minutes;
            if !g.invoiced {
                t.unbilled_minutes += g.minutes;
            }
            *per_rate.entry(g.bill_rate.unwrap_or(0)).or_default() += g.minutes;
        }
    }
    for (rate, minutes) in per_rate {
        value += div_round_half_away(i128::from(minutes) * i128::from(rate), 60);
    }
    (t, i64::try_from(value).unwrap_or(i64::MAX))
}

/// Task counts per status from the store's totals (of one project).
pub fn task_counts(totals: &[StatusTotals], overdue: i64) -> (TaskCounts, i64) {
    let mut c = TaskCounts {
        overdue,
        ..TaskCounts::default()
    };
    let mut estimated = 0;
    for t in totals {
        let slot = match t.status {
            TaskStatus::Todo => &mut c.todo,
            TaskStatus::InProgress => &mut c.in_progress,
            TaskStatus::InReview => &mut c.in_review,
            TaskStatus::Done => &mut c.done,
            TaskStatus::Cancelled => &mut c.cancelled,
        };
        *slot += t.count;
        if t.status != TaskStatus::Cancelled {
            estimated += t.estimate_minutes;
        }
    }
    (c, estimated)
}

/// Project reports and timesheets.
#[derive(Clone)]
pub struct ReportService {
    p: ProjectPorts,
    projects: ProjectService,
}

impl ReportService {
    pub fn new(ports: ProjectPorts) -> Self {
        Self {
            projects: ProjectService::new(ports.clone()),
            p: ports,
        }
    }

    /// Needs `projects:read` on the project (under `:own` one the caller manages or belongs
    /// to).
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn project(
        &self,
        actor: &Actor,
        id: ProjectId,
    ) -> Result<ProjectReport, DomainError> {
        let org = actor.organization_id;
        // Each read once: the project (scope checked), the organization (its today and
        // currency), the task totals (progress and the counts per status).
        let project = self.projects.reachable::<ProjectsRead>(actor, id).await?;
        let o = self.p.organizations.get(org).await?;
        let today = crm_domain::kernel::clock::local_date(self.p.clock.now(), &o.timezone);
        let s = &self.p.project_store;
        let totals = s.task_totals(org, &[id]).await?;
        let project = crate::projects::computed(project, &totals, today);
        let overdue = s.overdue_tasks(org, id, today).await?;
        let (tasks, estimated) = task_counts(&totals, overdue);
        let milestones = s.milestones_of(org, id).await?;
        let ids: Vec<_> = milestones.iter().map(|m| m.id).collect();
        let statuses = self.p.task_store.milestone_statuses(org, &ids).await?;
        let milestones = milestones
            .into_iter()
            .map(|m| {
                let linked: Vec<TaskStatus> = statuses
                    .iter()
                    .filter(|(mid, _)| *mid == m.id)
                    .map(|(_, s)| *s)
                    .collect();
                let m = m.with_computed(&linked, today);
                MilestoneLine {
                    id: m.id,
                    title: m.title,
                    due_date: m.due_date,
                    status: m.status,
                    progress: m.progress,
                    is_overdue: m.is_overdue,
                }
            })
            .collect();
        let groups = self.p.time_store.project_time(org, id).await?;
        let (mut time, time_value) = time_totals(&groups);
        time.estimated_minutes = estimated;
        let currency = project.budget_currency.unwrap_or(o.default_currency);
        let expenses: i64 = self
            .p
            .time_store
            .approved_expenses(org, id)
            .await?
            .into_iter()
            .filter(|(c, _)| *c == currency)
            .map(|(_, a)| a)
            .sum();
        let spent = time_value.saturating_add(expenses);
        let budget = BudgetTotals {
            currency,
            amount: project.budget_amount,
            spent,
            remaining: project.budget_amount.map(|a| a - spent),
            minutes: project.budget_minutes,
            minutes_remaining: project.budget_minutes.map(|m| m - time.logged_minutes),
        };
        let mut by_user: BTreeMap<UserId, i64> = self
            .p
            .time_store
            .minutes_by_user(org, id)
            .await?
            .into_iter()
            .collect();
        for m in s.members(org, id).await? {
            by_user.entry(m.user_id).or_default();
        }
        by_user.entry(project.owner_id).or_default();
        let mut members: Vec<MemberTime> = by_user
            .into_iter()
            .map(|(user_id, logged_minutes)| MemberTime {
                user_id,
                logged_minutes,
            })
            .collect();
        members.sort_by(|a, b| {
            b.logged_minutes
                .cmp(&a.logged_minutes)
                .then(a.user_id.cmp(&b.user_id))
        });
        Ok(ProjectReport {
            project_id: id,
            progress: project.progress,
            tasks,
            milestones,
            time,
            budget,
            members,
        })
    }

    /// Needs `time_entries:read`; another person's timesheet needs the all-records scope
    /// (`403`). `422` naming `from`/`to` for a bad or reversed range, or one over 366 days.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn timesheet(
        &self,
        actor: &Actor,
        query: TimesheetQuery,
    ) -> Result<Timesheet, DomainError> {
        let scope = require::<TimeEntriesRead>(actor)?;
        let user = query.user_id.unwrap_or(actor.user_id);
        if user != actor.user_id && scope == Scope::Own {
            return Err(DomainError::forbidden(
                "another person's timesheet needs the time_entries:read permission",
            ));
        }
        let mut errors = Errors::new();
        let mut day = |field: &str, raw: &Option<String>| match raw {
            Some(d) => errors.take(field, date(d)),
            None => {
                errors.add(field, "required", "a date (YYYY-MM-DD) is required");
                None
            }
        };
        let from = day("from", &query.from);
        let to = day("to", &query.to);
        if let (Some(f), Some(t)) = (from, to) {
            if t < f {
                errors.add("to", "out_of_range", "must not be before from");
            } else if (t - f).num_days() >= MAX_TIMESHEET_DAYS {
                errors.add(
                    "to",
                    "out_of_range",
                    format!("a timesheet spans at most {MAX_TIMESHEET_DAYS} days"),
                );
            }
        }
        errors.finish()?;
        let (Some(from), Some(to)) = (from, to) else {
            return Err(DomainError::NotFound);
        };
        let org = actor.organization_id;
        if user != actor.user_id {
            self.p.users.get(org, user).await?;
        }
        let rows = self.p.time_store.timesheet(org, user, from, to).await?;
        let days = from
            .iter_days()
            .take_while(|d| *d <= to)
            .map(|d| {
                let projects: Vec<ProjectMinutes> = rows
                    .iter()
                    .filter(|(day, _, _)| *day == d)
                    .map(|(_, p, m)| ProjectMinutes {
                        project_id: *p,
                        minutes: *m,
                    })
                    .collect();
                TimesheetDay {
                    date: d,
                    minutes: projects.iter().map(|p| p.minutes).sum(),
                    projects,
                }
            })
            .collect();
        Ok(Timesheet {
            user_id: user,
            days,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(billable: bool, invoiced: bool, rate: Option<i64>, minutes: i64) -> TimeGroup {
        TimeGroup {
            billable,
            invoiced,
            bill_rate: rate,
            minutes,
        }
    }

    #[test]
    fn time_is_summed_by_kind_and_valued_per_rate() {
        let (t, value) = time_totals(&[
            g(true, false, Some(9000), 90),
            g(true, true, Some(9000), 30),
            g(true, false, Some(6000), 20),
            g(false, false, Some(9000), 45),
            g(true, false, None, 15),
        ]);
        assert_eq!(
            t,
            TimeTotals {
                estimated_minutes: 0,
                logged_minutes: 200,
                billable_minutes: 155,
                unbilled_minutes: 125,
            }
        );
        // 120 min at 90.00/h = 180.00; 20 min at 60.00/h = 20.00; no rate = 0.
        assert_eq!(value, 18_000 + 2_000);
        // A third of a minor unit rounds half away from zero per rate.
        assert_eq!(time_totals(&[g(true, false, Some(1), 30)]).1, 1);
        assert_eq!(time_totals(&[g(true, false, Some(1), 29)]).1, 0);
    }

    #[test]
    fn task_counts_leave_cancelled_estimates_out() {
        let p = ProjectId::new();
        let t = |status, count, estimate_minutes| StatusTotals {
            project_id: p,
            status,
            count,
            estimate_minutes,
        };
        let (c, est) = task_counts(
            &[
                t(TaskStatus::Todo, 3, 120),
                t(TaskStatus::Done, 2, 60),
                t(TaskStatus::Cancelled, 1, 600),
            ],
            1,
        );
        assert_eq!(
            (c.todo, c.done, c.cancelled, c.overdue, est),
            (3, 2, 1, 1, 180)
        );
    }
}
