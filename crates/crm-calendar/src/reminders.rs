//! Reminders (contract section 9: "each attendee is notified `reminder_minutes` before each
//! occurrence, once"): the `calendar_reminders` job, run once a minute (claimed per minute in
//! `job_runs`), and the rule of which reminders are due ([`due`]).
//!
//! - The job reads only the events whose check has come (`next_reminder_at`, indexed): a
//!   write of an event with reminders sets it to the write's time
//!   ([`CalendarEvent::reminder_check_at`]); after telling what is due the job sets it to
//!   the next reminder time ([`next_check`]), so an event is looked at about when it has
//!   something to tell, never every minute for every series.
//! - A reminder is due when its time (`starts_at - minutes`, the moved start for an
//!   override) has come within the look-back and its occurrence has not started: a server
//!   down for a while still reminds of what is ahead, never of what is past. Cancelled
//!   occurrences (exdates) have none.
//! - The look-back is a day, on every run, not "since the last run": a reminder set after
//!   its time had come (an event made five minutes ahead with a ten-minute reminder) is
//!   told at once, and which instance ran the minutes before does not matter. So a run
//!   looks at what was told already: one read of the marks of the batch's events made
//!   within the look-back skips those, and the store's `calendar_reminders_sent` row, keyed
//!   by (event, original start, minutes, user), decides, inserted or skipped in the
//!   transaction of the notifications, so a retry, a crash or a second instance racing on
//!   the same reminder never tells anyone twice.
//! - Who: the organizer and every attendee who has not declined.
//! - What: one `reminder` entry per (event, occurrence, minutes) naming the users it tells
//!   in its `notify` change (the kernel's `listed` rule reads them), with the event's
//!   title, the occurrence's start, `event_id` and `recurrence_id` as its data.

use crate::events::{Attendee, AttendeeResponse, CalendarEvent, CalendarEventId};
use crate::occurrences::{Override, expand};
use crate::ports::CalendarPorts;
use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use crm_domain::activity::change_entry;
use crm_domain::jobs::{Job, Period};
use crm_domain::notifications::rules::notify_change;
use crm_domain::{DomainError, OrganizationId, UserId};
use serde::Serialize;
use std::collections::HashMap;

/// Candidate events read per batch.
const BATCH: u64 = 500;

/// The furthest back a run looks for reminders whose time has come.
pub const LOOK_BACK_HOURS: i64 = 24;

/// One reminder whose time has come: of an occurrence (by its original start), `minutes`
/// before its start. What the `reminder` entry carries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DueReminder {
    pub event_id: CalendarEventId,
    #[serde(skip)]
    pub organization_id: OrganizationId,
    pub title: String,
    /// The occurrence's original start (what exdates and overrides match).
    pub recurrence_id: DateTime<Utc>,
    /// Its start now (moved by an override).
    pub starts_at: DateTime<Utc>,
    pub minutes: i64,
}

/// The reminders of `event` whose time (`starts_at - minutes`) is in `(since, now]` for an
/// occurrence that has not started at `now` (`starts_at > now`); exdates excluded,
/// overrides (of `overrides`, any events') at their moved start. By start, then minutes.
pub fn due(
    event: &CalendarEvent,
    overrides: &[Override],
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Vec<DueReminder> {
    let Some(&furthest) = event.reminder_minutes.iter().max() else {
        return Vec::new();
    };
    if since >= now {
        return Vec::new();
    }
    // Every occurrence starting in (now, now + furthest] overlaps this range.
    let to = now + TimeDelta::minutes(furthest) + TimeDelta::seconds(1);
    let mut out = Vec::new();
    for occ in expand(event, overrides, now, to) {
        if occ.starts_at <= now {
            continue;
        }
        for &m in &event.reminder_minutes {
            let at = occ.starts_at - TimeDelta::minutes(m);
            if at > since && at <= now {
                out.push(DueReminder {
                    event_id: event.id,
                    organization_id: event.organization_id,
                    title: occ.title.clone(),
                    recurrence_id: occ.recurrence_id,
                    starts_at: occ.starts_at,
                    minutes: m,
                });
            }
        }
    }
    out
}

/// How far beyond its longest reminder [`next_check`] expands an event; with nothing
/// found there it looks again this much later (a lower bound of the true next time).
pub const RECHECK_DAYS: i64 = 7;

/// When the job next needs to look at `event` once everything due at `now` is told: the
/// earliest reminder time after `now` of an occurrence starting after `now`; `None` when it
/// has no reminders or its series is over. Occurrences are expanded only up to `now` + its
/// longest reminder + [`RECHECK_DAYS`]: one starting later reminds after `now` +
/// [`RECHECK_DAYS`] at the earliest, so the answer is at most that while the series goes on.
pub fn next_check(
    event: &CalendarEvent,
    overrides: &[Override],
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let &furthest = event.reminder_minutes.iter().max()?;
    if event.series_until.is_some_and(|u| u <= now) {
        return None;
    }
    let recheck = now + TimeDelta::days(RECHECK_DAYS);
    let to = recheck + TimeDelta::minutes(furthest) + TimeDelta::seconds(1);
    let found = expand(event, overrides, now, to)
        .into_iter()
        .filter(|occ| occ.starts_at > now)
        .flat_map(|occ| {
            let start = occ.starts_at;
            event
                .reminder_minutes
                .iter()
                .map(move |&m| start - TimeDelta::minutes(m))
        })
        .filter(|at| *at > now)
        .min();
    let goes_on = event.series_until.is_none_or(|u| u > to);
    match (found, goes_on) {
        (Some(at), true) => Some(at.min(recheck)),
        (Some(at), false) => Some(at),
        (None, true) => Some(recheck),
        (None, false) => None,
    }
}

/// Whom an event reminds: its organizer and each attendee who has not declined, once each.
pub fn recipients(organizer: UserId, attendees: &[Attendee]) -> Vec<UserId> {
    let declined = |u: UserId| {
        attendees
            .iter()
            .any(|a| a.user_id == u && a.response == AttendeeResponse::Declined)
    };
    let mut out = Vec::with_capacity(attendees.len() + 1);
    for u in std::iter::once(organizer).chain(attendees.iter().map(|a| a.user_id)) {
        if !declined(u) && !out.contains(&u) {
            out.push(u);
        }
    }
    out
}

/// A reminder told to one user (a `calendar_reminders_sent` row).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Told {
    pub event_id: CalendarEventId,
    pub recurrence_id: DateTime<Utc>,
    pub minutes: i64,
    pub user_id: UserId,
}

/// Reminds the people of each occurrence whose reminder time has come.
pub struct ReminderJob {
    p: CalendarPorts,
}

impl ReminderJob {
    pub fn new(ports: CalendarPorts) -> Self {
        Self { p: ports }
    }

    /// Tells `users` of `r` who were not told of it yet, in one transaction with the marks
    /// that say so: how many it told.
    pub async fn tell(&self, r: &DueReminder, users: &[UserId]) -> Result<usize, DomainError> {
        let org = r.organization_id;
        let mut tx = self.p.tx.begin().await?;
        let fresh = self
            .p
            .store
            .mark_reminded(&mut tx, org, r, users, self.p.now())
            .await?;
        if fresh.is_empty() {
            return Ok(0);
        }
        let mut entry = change_entry(
            org,
            None,
            "calendar_event",
            r.event_id.0,
            "reminder",
            None,
            Some(r),
        );
        entry.changes.push(notify_change(&fresh));
        self.p.activities.record(&mut tx, entry).await?;
        tx.commit().await?;
        Ok(fresh.len())
    }

    /// The reminders of the events of one organization in `(since, now]`, told, and each
    /// event's next check set: how many people were told (an event that fails is logged and
    /// keeps its check, so the next run tries again).
    async fn remind(
        &self,
        org: OrganizationId,
        events: &[&CalendarEvent],
        since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<usize, DomainError> {
        let recurring: Vec<CalendarEventId> = events
            .iter()
            .filter(|e| e.recurrence.is_some())
            .map(|e| e.id)
            .collect();
        let overrides = if recurring.is_empty() {
            Vec::new()
        } else {
            self.p.store.overrides(org, &recurring).await?
        };
        let due: Vec<(&CalendarEvent, Vec<DueReminder>)> = events
            .iter()
            .map(|e| (*e, due(e, &overrides, since, now)))
            .collect();
        let ids: Vec<CalendarEventId> = due
            .iter()
            .filter(|(_, d)| !d.is_empty())
            .map(|(e, _)| e.id)
            .collect();
        let already = if ids.is_empty() {
            Vec::new()
        } else {
            self.p.store.reminded(org, &ids, since).await?
        };
        let mut told = 0;
        for (e, reminders) in &due {
            if !reminders.is_empty() {
                match self.tell_event(e, reminders, &already).await {
                    Ok(n) => told += n,
                    Err(err) => {
                        // Its check stays where it is: the next run tries again.
                        tracing::warn!(org = %org, event = %e.id, error = %err,
                            "calendar reminders not told; retried next run");
                        continue;
                    }
                }
            }
            let next = next_check(e, &overrides, now);
            self.p
                .store
                .reminder_checked(org, e.id, e.version, next)
                .await?;
        }
        Ok(told)
    }

    /// Tells `reminders` of `e` to whoever `already` does not list: how many were told.
    async fn tell_event(
        &self,
        e: &CalendarEvent,
        reminders: &[DueReminder],
        already: &[Told],
    ) -> Result<usize, DomainError> {
        let org = e.organization_id;
        let everyone = recipients(e.organizer_id, &self.p.store.attendees(org, e.id).await?);
        let mut told = 0;
        for r in reminders {
            let users: Vec<UserId> = everyone
                .iter()
                .copied()
                .filter(|u| {
                    !already.contains(&Told {
                        event_id: r.event_id,
                        recurrence_id: r.recurrence_id,
                        minutes: r.minutes,
                        user_id: *u,
                    })
                })
                .collect();
            if !users.is_empty() {
                told += self.tell(r, &users).await?;
            }
        }
        Ok(told)
    }
}

#[async_trait]
impl Job for ReminderJob {
    fn name(&self) -> &'static str {
        "calendar_reminders"
    }

    fn period(&self) -> Period {
        Period::Minutes(1)
    }

    async fn run(&self, now: DateTime<Utc>) -> Result<String, DomainError> {
        let since = now - TimeDelta::hours(LOOK_BACK_HOURS);
        let mut told = 0;
        let mut after = None;
        loop {
            let batch = self.p.store.reminder_candidates(now, after, BATCH).await?;
            let mut by_org: HashMap<OrganizationId, Vec<&CalendarEvent>> = HashMap::new();
            for e in &batch {
                by_org.entry(e.organization_id).or_default().push(e);
            }
            for (org, events) in by_org {
                match self.remind(org, &events, since, now).await {
                    Ok(n) => told += n,
                    Err(err) => {
                        tracing::warn!(org = %org, error = %err,
                            "calendar reminders not told; retried next run");
                    }
                }
            }
            after = batch.last().map(|e| e.id);
            if (batch.len() as u64) < BATCH {
                break;
            }
        }
        Ok(if told == 0 {
            String::new()
        } else {
            format!("{told} calendar reminders told")
        })
    }
}

#[cfg(test)]
mod tests;
