//! `GET /calendar/agenda?from=&to=`: one list of what a caller has on in a range of at most
//! 366 days: the occurrences of the events they see, the tasks due that are assigned to them,
//! their approved leave and their reports', the interviews they conduct and the notice and
//! end dates of the contracts they own.
//!
//! The other modules' rows are read through [`AgendaSources`] (one indexed query per kind,
//! implemented by `crm-db` on the tables), so this crate depends on `crm-domain` only; the
//! merge and its order are [`merge`], pure.
//!
//! Which rows count:
//! - tasks: assigned to the caller (`task_assignees`), `due_date` within the range's days, not
//!   `cancelled` (a done task stays: it was due then);
//! - leave: approved requests touching the range's days of the caller's employee record and
//!   of every employee below it in the manager chain (direct and indirect reports);
//! - interviews: the caller among the interviewers, overlapping the range, not `cancelled`;
//! - contracts: owned by the caller, neither `draft` nor `terminated`, one item for a
//!   `notice_date` and one for an `end_date` within the range's days.
//!
//! A date is within the range when its UTC day overlaps `[from, to)`.

use crate::occurrences::{OccurrenceQuery, window};
use crate::ports::CalendarPorts;
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, Utc};
use crm_domain::{Actor, DomainError, OrganizationId, StoreError, UserId};
use serde::Serialize;
use std::cmp::Ordering;
use uuid::Uuid;

crm_domain::name_enum!(
    /// What an agenda item is.
    AgendaKind, "kind" {
        Event => "event",
        Task => "task",
        Leave => "leave",
        Interview => "interview",
        Contract => "contract",
    }
);

/// One item of an agenda. Timed items (`event`, `interview`) have `starts_at` and `ends_at`
/// and no `date`; all-day items (`task`, `leave`, `contract`) have `date` (and `end_date`)
/// and no times.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "kind": "task",
    "id": "019cd0a0-0b00-7000-8000-0000000000a1",
    "title": "Send the signed offer",
    "starts_at": null,
    "ends_at": null,
    "date": "2027-03-04",
    "end_date": "2027-03-04",
    "recurrence_id": null,
    "record_type": "project",
    "record_id": "019cd0a0-0b00-7000-8000-0000000000b2"
})))]
pub struct AgendaItem {
    pub kind: AgendaKind,
    /// The id of the event, task, leave request, interview or contract.
    pub id: Uuid,
    /// event: its title (an occurrence's, when changed); task: its title; leave: `Leave`,
    /// or `Leave: <first> <last>` for a report's (` (am)`/` (pm)` for a half day);
    /// interview: `Interview: <candidate> (round N)`; contract: `Notice: <title>` or
    /// `Ends: <title>`.
    pub title: String,
    /// event, interview: the start (an occurrence's); null for the other kinds.
    pub starts_at: Option<DateTime<Utc>>,
    /// event, interview: the end; null for the other kinds.
    pub ends_at: Option<DateTime<Utc>>,
    /// task: the due date; leave: the first day; contract: the notice or end date; null for
    /// events and interviews.
    pub date: Option<NaiveDate>,
    /// The last day of an all-day item (leave: the last day of the leave, else `date`); null
    /// for events and interviews.
    pub end_date: Option<NaiveDate>,
    /// event: the occurrence's original start (as in `/calendar/occurrences`); null for the
    /// other kinds.
    pub recurrence_id: Option<DateTime<Utc>>,
    /// The record the item belongs to: event: the event's `record_type` (or null); task:
    /// `project`; leave: `employee`; interview: `application`; contract: `client`.
    pub record_type: Option<String>,
    /// The id of that record.
    pub record_id: Option<Uuid>,
}

/// The answer of `GET /calendar/agenda`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = agenda_example))]
pub struct Agenda {
    /// By start: timed items by `starts_at`, all-day items by `date` (their UTC midnight,
    /// before a timed item starting at that instant), then by kind, id and original start.
    pub items: Vec<AgendaItem>,
}

#[cfg(feature = "openapi")]
fn agenda_example() -> serde_json::Value {
    serde_json::json!({"items": [crm_domain::kernel::openapi::example_of::<AgendaItem>()]})
}

/// A task due, assigned to the caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DueTask {
    pub id: Uuid,
    pub title: String,
    pub due_date: NaiveDate,
    pub project_id: Uuid,
}

/// An approved leave request of the caller or of one of their reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeaveDays {
    pub id: Uuid,
    pub employee_id: Uuid,
    /// `<first> <last>` of the employee.
    pub employee_name: String,
    /// Whether the employee is the caller.
    pub own: bool,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    /// `am` or `pm` for a half day.
    pub half_day: Option<String>,
}

/// An interview the caller conducts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InterviewSlot {
    pub id: Uuid,
    pub application_id: Uuid,
    pub candidate_name: String,
    pub round: i64,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

/// A contract the caller owns, with its dates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContractDates {
    pub id: Uuid,
    pub title: String,
    pub client_id: Uuid,
    pub notice_date: Option<NaiveDate>,
    pub end_date: NaiveDate,
}

/// The agenda's rows of the other modules, each one indexed query for one user and range
/// (days `from..=to`, or instants `[from, to)`). `Unavailable`/`Unexpected` on store trouble.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait AgendaSources: Send + Sync {
    /// The tasks assigned to `user`, not cancelled, due within `from..=to`.
    async fn tasks_due(
        &self,
        org: OrganizationId,
        user: UserId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<DueTask>, StoreError>;

    /// The approved leave touching `from..=to` of `user`'s employee record and of the
    /// employees below it in the manager chain (none when `user` has no employee record).
    async fn leave(
        &self,
        org: OrganizationId,
        user: UserId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<LeaveDays>, StoreError>;

    /// The interviews `user` conducts, not cancelled, overlapping `[from, to)`.
    async fn interviews(
        &self,
        org: OrganizationId,
        user: UserId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<InterviewSlot>, StoreError>;

    /// The contracts `user` owns, neither draft nor terminated, with a notice date or an end
    /// date within `from..=to`.
    async fn contract_dates(
        &self,
        org: OrganizationId,
        user: UserId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<ContractDates>, StoreError>;
}

/// The days `[from, to)` overlaps, in UTC: `from`'s day to the day of `to`'s last instant.
pub fn days_of(from: DateTime<Utc>, to: DateTime<Utc>) -> (NaiveDate, NaiveDate) {
    (
        from.date_naive(),
        (to - TimeDelta::microseconds(1)).date_naive(),
    )
}

/// What the sources found, before the merge.
#[derive(Clone, Debug, Default)]
pub struct Found {
    pub events: Vec<AgendaItem>,
    pub tasks: Vec<DueTask>,
    pub leave: Vec<LeaveDays>,
    pub interviews: Vec<InterviewSlot>,
    pub contracts: Vec<ContractDates>,
}

fn all_day(kind: AgendaKind, id: Uuid, title: String, date: NaiveDate) -> AgendaItem {
    AgendaItem {
        kind,
        id,
        title,
        starts_at: None,
        ends_at: None,
        date: Some(date),
        end_date: Some(date),
        recurrence_id: None,
        record_type: None,
        record_id: None,
    }
}

/// The instant an item sorts by: its start, or its date's UTC midnight.
fn sort_instant(i: &AgendaItem) -> Option<DateTime<Utc>> {
    i.starts_at
        .or_else(|| i.date.map(|d| d.and_time(NaiveTime::MIN).and_utc()))
}

/// The agenda's order: by start (timed items by `starts_at`, all-day items by their date's
/// UTC midnight), all-day before timed at one instant, then kind, id, original start and
/// title (a contract's notice and end on one day).
pub fn order(a: &AgendaItem, b: &AgendaItem) -> Ordering {
    sort_instant(a)
        .cmp(&sort_instant(b))
        .then_with(|| a.starts_at.is_some().cmp(&b.starts_at.is_some()))
        .then_with(|| a.kind.as_str().cmp(b.kind.as_str()))
        .then_with(|| a.id.cmp(&b.id))
        .then_with(|| a.recurrence_id.cmp(&b.recurrence_id))
        .then_with(|| a.title.cmp(&b.title))
}

/// The items of what the sources found, for the days `from..=to`, in [`order`].
pub fn merge(found: Found, from: NaiveDate, to: NaiveDate) -> Vec<AgendaItem> {
    let within = |d: NaiveDate| from <= d && d <= to;
    let mut items = found.events;
    items.extend(found.tasks.into_iter().map(|t| AgendaItem {
        record_type: Some("project".into()),
        record_id: Some(t.project_id),
        ..all_day(AgendaKind::Task, t.id, t.title, t.due_date)
    }));
    items.extend(found.leave.into_iter().map(|l| {
        let mut title = if l.own {
            "Leave".to_string()
        } else {
            format!("Leave: {}", l.employee_name)
        };
        if let Some(h) = &l.half_day {
            title.push_str(&format!(" ({h})"));
        }
        AgendaItem {
            end_date: Some(l.end_date),
            record_type: Some("employee".into()),
            record_id: Some(l.employee_id),
            ..all_day(AgendaKind::Leave, l.id, title, l.start_date)
        }
    }));
    items.extend(found.interviews.into_iter().map(|i| AgendaItem {
        kind: AgendaKind::Interview,
        id: i.id,
        title: format!("Interview: {} (round {})", i.candidate_name, i.round),
        starts_at: Some(i.starts_at),
        ends_at: Some(i.ends_at),
        date: None,
        end_date: None,
        recurrence_id: None,
        record_type: Some("application".into()),
        record_id: Some(i.application_id),
    }));
    for c in found.contracts {
        let of = |title: String, date: NaiveDate| AgendaItem {
            record_type: Some("client".into()),
            record_id: Some(c.client_id),
            ..all_day(AgendaKind::Contract, c.id, title, date)
        };
        if let Some(n) = c.notice_date.filter(|d| within(*d)) {
            items.push(of(format!("Notice: {}", c.title), n));
        }
        if within(c.end_date) {
            items.push(of(format!("Ends: {}", c.title), c.end_date));
        }
    }
    items.sort_by(order);
    items
}

/// The agenda of a caller.
#[derive(Clone)]
pub struct AgendaService {
    p: CalendarPorts,
}

impl AgendaService {
    pub fn new(ports: CalendarPorts) -> Self {
        Self { p: ports }
    }

    /// The caller's agenda over `[from, to)` (at most 366 days, `422` naming the field).
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn agenda(
        &self,
        actor: &Actor,
        query: &OccurrenceQuery,
    ) -> Result<Agenda, DomainError> {
        let (from, to) = window(query.from.as_deref(), query.to.as_deref())?;
        let (from_day, to_day) = days_of(from, to);
        let (org, user) = (actor.organization_id, actor.user_id);
        let occurrences = crate::occurrences::OccurrenceService::new(self.p.clone());
        let (events, data) = occurrences.expanded(actor, from, to).await?;
        let src = &self.p.agenda;
        let found = Found {
            events: data
                .into_iter()
                .map(|o| {
                    let e = events.iter().find(|e| e.id == o.event_id);
                    AgendaItem {
                        kind: AgendaKind::Event,
                        id: o.event_id.0,
                        title: o.title,
                        starts_at: Some(o.starts_at),
                        ends_at: Some(o.ends_at),
                        date: None,
                        end_date: None,
                        recurrence_id: Some(o.recurrence_id),
                        record_type: e.and_then(|e| e.record_type.clone()),
                        record_id: e.and_then(|e| e.record_id),
                    }
                })
                .collect(),
            tasks: src.tasks_due(org, user, from_day, to_day).await?,
            leave: src.leave(org, user, from_day, to_day).await?,
            interviews: src.interviews(org, user, from, to).await?,
            contracts: src.contract_dates(org, user, from_day, to_day).await?,
        };
        Ok(Agenda {
            items: merge(found, from_day, to_day),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn event(n: u128, start: &str) -> AgendaItem {
        AgendaItem {
            kind: AgendaKind::Event,
            id: id(n),
            title: format!("Event {n}"),
            starts_at: Some(utc(start)),
            ends_at: Some(utc(start) + TimeDelta::hours(1)),
            date: None,
            end_date: None,
            recurrence_id: Some(utc(start)),
            record_type: None,
            record_id: None,
        }
    }

    fn found() -> Found {
        Found {
            events: vec![
                event(1, "2027-03-03T09:00:00Z"),
                event(2, "2027-03-02T00:00:00Z"),
            ],
            tasks: vec![DueTask {
                id: id(10),
                title: "Send offer".into(),
                due_date: day("2027-03-02"),
                project_id: id(11),
            }],
            leave: vec![
                LeaveDays {
                    id: id(20),
                    employee_id: id(21),
                    employee_name: "Ada Lovelace".into(),
                    own: false,
                    start_date: day("2027-02-27"),
                    end_date: day("2027-03-04"),
                    half_day: None,
                },
                LeaveDays {
                    id: id(22),
                    employee_id: id(23),
                    employee_name: "Me Myself".into(),
                    own: true,
                    start_date: day("2027-03-05"),
                    end_date: day("2027-03-05"),
                    half_day: Some("pm".into()),
                },
            ],
            interviews: vec![InterviewSlot {
                id: id(30),
                application_id: id(31),
                candidate_name: "Grace Hopper".into(),
                round: 2,
                starts_at: utc("2027-03-02T10:00:00Z"),
                ends_at: utc("2027-03-02T11:00:00Z"),
            }],
            contracts: vec![
                ContractDates {
                    id: id(40),
                    title: "Support".into(),
                    client_id: id(41),
                    notice_date: Some(day("2027-03-04")),
                    end_date: day("2027-03-04"),
                },
                // Its end is outside the range: only the notice counts.
                ContractDates {
                    id: id(42),
                    title: "Hosting".into(),
                    client_id: id(43),
                    notice_date: Some(day("2027-03-01")),
                    end_date: day("2027-05-31"),
                },
            ],
        }
    }

    #[test]
    fn every_kind_is_merged_by_start_with_its_fields() {
        let items = merge(found(), day("2027-03-01"), day("2027-03-07"));
        let shape: Vec<(&str, &str)> = items
            .iter()
            .map(|i| (i.kind.as_str(), i.title.as_str()))
            .collect();
        assert_eq!(
            shape,
            [
                ("leave", "Leave: Ada Lovelace"),
                ("contract", "Notice: Hosting"),
                // All-day before timed at the same instant, then kinds in name order.
                ("task", "Send offer"),
                ("event", "Event 2"),
                ("interview", "Interview: Grace Hopper (round 2)"),
                ("event", "Event 1"),
                // A contract's notice and end on one day: both, by title.
                ("contract", "Ends: Support"),
                ("contract", "Notice: Support"),
                ("leave", "Leave (pm)"),
            ]
        );
        let task = &items[2];
        assert_eq!(task.date, Some(day("2027-03-02")));
        assert_eq!((task.starts_at, task.ends_at), (None, None));
        assert_eq!(task.record_type.as_deref(), Some("project"));
        assert_eq!(task.record_id, Some(id(11)));
        let leave = &items[0];
        assert_eq!(
            (leave.date, leave.end_date),
            (Some(day("2027-02-27")), Some(day("2027-03-04")))
        );
        assert_eq!(leave.record_id, Some(id(21)));
        let interview = &items[4];
        assert_eq!(interview.date, None);
        assert_eq!(interview.starts_at, Some(utc("2027-03-02T10:00:00Z")));
        assert_eq!(interview.record_type.as_deref(), Some("application"));
    }

    #[test]
    fn the_order_is_total_and_stable() {
        let mut a = merge(found(), day("2027-03-01"), day("2027-03-07"));
        let mut b = a.clone();
        b.reverse();
        b.sort_by(order);
        assert_eq!(a, b);
        // Two occurrences of one event at one instant differ by original start.
        let mut x = event(5, "2027-03-03T09:00:00Z");
        let y = event(5, "2027-03-03T09:00:00Z");
        x.recurrence_id = Some(utc("2027-03-01T09:00:00Z"));
        assert_eq!(order(&x, &y), Ordering::Less);
        a.sort_by(order);
        assert!(
            a.windows(2)
                .all(|w| order(&w[0], &w[1]) != Ordering::Greater)
        );
    }

    #[test]
    fn the_days_of_a_range_are_those_it_touches() {
        assert_eq!(
            days_of(utc("2027-03-01T00:00:00Z"), utc("2027-03-08T00:00:00Z")),
            (day("2027-03-01"), day("2027-03-07"))
        );
        assert_eq!(
            days_of(utc("2027-03-01T12:00:00Z"), utc("2027-03-01T12:30:00Z")),
            (day("2027-03-01"), day("2027-03-01"))
        );
    }
}
