//! iCalendar feeds (`/calendar/feeds`): a tokenised URL a calendar client subscribes to,
//! answering the owner's events (with their rules, exdates and changed occurrences) and the
//! agenda's tasks and leave as all-day events, in RFC 5545.
//!
//! - The token is 32 random bytes in base64url (the refresh tokens' generator), shown once in
//!   the creating answer; only its keyed hash is stored (`SecretHasher`, as refresh tokens).
//! - Scope `mine`: the events the owner organizes or attends (whatever else their
//!   permissions let them read), their tasks due and their leave and their reports'.
//! - Window: a year back to two years ahead: the events whose series overlaps it (each with
//!   its whole `RRULE`), the tasks due and the leave touching it.
//! - A feed answers only while its owner is active: a deactivated user's feeds are `404`.
//! - UIDs: `<event id>@crm` (an override: the same UID with its `RECURRENCE-ID`),
//!   `task-<id>@crm`, `leave-<id>@crm`; `DTSTAMP` is the event's `updated_at` (the item's day
//!   for tasks and leave), so the same data gives the same bytes and the same `ETag`.

use crate::agenda::{DueTask, LeaveDays};
use crate::events::CalendarEvent;
use crate::occurrences::Override;
use crate::ports::CalendarPorts;
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, Utc};
use chrono_tz::Tz;
use crm_domain::activity::change_entry;
use crm_domain::{Actor, DomainError, OrganizationId, StoreError, Txn, UserId};
use icalendar::{
    Calendar, CalendarDateTime, Component, DatePerhapsTime, Event, EventLike, Property,
};
use serde::{Deserialize, Serialize};

crm_domain::typed_id!(
    /// An iCalendar feed of a user.
    CalendarFeedId
);

crm_domain::name_enum!(
    /// What a feed shows: `mine`, the owner's own calendar.
    FeedScope, "scope" {
        Mine => "mine",
    }
);

/// A feed as listed (its token is never shown again).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "id": "019cd0a0-0b00-7000-8000-0000000000f1",
    "scope": "mine",
    "created_at": "2027-03-01T08:00:00Z",
    "last_used_at": "2027-03-02T06:00:00Z"
})))]
pub struct Feed {
    pub id: CalendarFeedId,
    #[serde(skip)]
    pub user_id: UserId,
    pub scope: FeedScope,
    pub created_at: DateTime<Utc>,
    /// When a client last downloaded it (null: never).
    pub last_used_at: Option<DateTime<Utc>>,
}

/// The answer of `POST /calendar/feeds`: the only time the URL (with its token) is shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "id": "019cd0a0-0b00-7000-8000-0000000000f1",
    "url": "/api/v1/calendar/feeds/3q2-7wAAAAB0aGlzIGlzIG5vdCBhIHJlYWwgdG9rZW4hIQ.ics",
    "scope": "mine",
    "created_at": "2027-03-01T08:00:00Z"
})))]
pub struct CreatedFeed {
    pub id: CalendarFeedId,
    /// Absolute path of the feed (`/api/v1/calendar/feeds/{token}.ics`); the token in it is
    /// the credential: no `Authorization` header is needed, and it is not shown again.
    pub url: String,
    pub scope: FeedScope,
    pub created_at: DateTime<Utc>,
}

/// `POST /calendar/feeds`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({"scope": "mine"})))]
pub struct FeedInput {
    /// `mine`, the owner's own calendar (the only scope).
    pub scope: FeedScope,
}

/// The feeds of the users.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait FeedStore: Send + Sync {
    /// Stores `feed` with the hash of its token, in `tx`.
    async fn insert(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        feed: &Feed,
        token_hash: &str,
    ) -> Result<(), StoreError>;

    /// The feeds of `user`, oldest first.
    async fn of_user(&self, org: OrganizationId, user: UserId) -> Result<Vec<Feed>, StoreError>;

    /// Removes feed `id` of `user` in `tx`, answering it; `NotFound` when they have none of
    /// that id.
    async fn remove(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        user: UserId,
        id: CalendarFeedId,
    ) -> Result<Feed, StoreError>;

    /// The feed whose token hashes to `token_hash`, with its organization, when its owner is
    /// an active user; stamps its `last_used_at` with `now`.
    async fn by_token(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(OrganizationId, Feed)>, StoreError>;
}

/// The path of a feed with token `token`.
pub fn url_of(token: &str) -> String {
    format!("/api/v1/calendar/feeds/{token}.ics")
}

/// How far back and ahead the feed reads.
pub const BACK_DAYS: i64 = 365;
pub const AHEAD_DAYS: i64 = 730;

/// The feeds of a caller, and the documents of their tokens.
#[derive(Clone)]
pub struct FeedService {
    p: CalendarPorts,
}

impl FeedService {
    pub fn new(ports: CalendarPorts) -> Self {
        Self { p: ports }
    }

    /// A new feed of the caller: its id and URL (with the token, shown this once).
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn create(
        &self,
        actor: &Actor,
        input: FeedInput,
    ) -> Result<CreatedFeed, DomainError> {
        let token = self.p.generator.refresh_token();
        let hash = self.p.hasher.hash(&token);
        let feed = Feed {
            id: CalendarFeedId::new(),
            user_id: actor.user_id,
            scope: input.scope,
            created_at: self.p.now(),
            last_used_at: None,
        };
        let org = actor.organization_id;
        let mut tx = self.p.tx.begin().await?;
        self.p
            .feeds
            .insert(&mut tx, org, &feed, hash.as_str())
            .await?;
        let entry = change_entry(
            org,
            Some(actor.user_id),
            "calendar_feed",
            feed.id.0,
            "created",
            None,
            Some(&feed),
        );
        self.p.activities.record(&mut tx, entry).await?;
        tx.commit().await?;
        Ok(CreatedFeed {
            id: feed.id,
            url: url_of(&token),
            scope: feed.scope,
            created_at: feed.created_at,
        })
    }

    /// The caller's feeds.
    pub async fn list(&self, actor: &Actor) -> Result<Vec<Feed>, DomainError> {
        Ok(self
            .p
            .feeds
            .of_user(actor.organization_id, actor.user_id)
            .await?)
    }

    /// Revokes one of the caller's feeds (`404` for another's), audited.
    pub async fn delete(&self, actor: &Actor, id: CalendarFeedId) -> Result<(), DomainError> {
        let org = actor.organization_id;
        let mut tx = self.p.tx.begin().await?;
        let feed = self.p.feeds.remove(&mut tx, org, actor.user_id, id).await?;
        let entry = change_entry(
            org,
            Some(actor.user_id),
            "calendar_feed",
            id.0,
            "deleted",
            Some(&feed),
            None,
        );
        self.p.activities.record(&mut tx, entry).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The document of the feed with `token` (`NotFound` for an unknown or revoked token, or
    /// an owner no longer active).
    #[tracing::instrument(skip_all)]
    pub async fn document(&self, token: &str) -> Result<String, DomainError> {
        if token.len() != 43
            || !token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(DomainError::NotFound);
        }
        let now = self.p.now();
        let hash = self.p.hasher.hash(token);
        let Some((org, feed)) = self.p.feeds.by_token(hash.as_str(), now).await? else {
            return Err(DomainError::NotFound);
        };
        let user = feed.user_id;
        let from = now - TimeDelta::days(BACK_DAYS);
        let to = now + TimeDelta::days(AHEAD_DAYS);
        let events = self.p.store.in_range(org, Some(user), from, to).await?;
        let recurring: Vec<_> = events
            .iter()
            .filter(|e| e.recurrence.is_some())
            .map(|e| e.id)
            .collect();
        let overrides = self.p.store.overrides(org, &recurring).await?;
        let (d0, d1) = (from.date_naive(), to.date_naive());
        let tasks = self.p.agenda.tasks_due(org, user, d0, d1).await?;
        let leave = self.p.agenda.leave(org, user, d0, d1).await?;
        Ok(render(&events, &overrides, &tasks, &leave))
    }
}

/// A moment of an event as iCalendar writes it: a date for an all-day event, the wall clock
/// with `TZID` for a zoned one, UTC otherwise.
fn moment(e: &CalendarEvent, t: DateTime<Utc>) -> DatePerhapsTime {
    match e.time_zone.as_deref().and_then(|z| z.parse::<Tz>().ok()) {
        _ if e.all_day => DatePerhapsTime::Date(t.with_timezone(&e.zone()).date_naive()),
        Some(z) => DatePerhapsTime::DateTime(CalendarDateTime::WithTimezone {
            date_time: t.with_timezone(&z).naive_local(),
            tzid: z.name().to_string(),
        }),
        None => DatePerhapsTime::DateTime(CalendarDateTime::Utc(t)),
    }
}

fn sequence(version: i64) -> u32 {
    u32::try_from(version.saturating_sub(1)).unwrap_or(0)
}

fn midnight(d: NaiveDate) -> DateTime<Utc> {
    d.and_time(NaiveTime::MIN).and_utc()
}

fn next_day(d: NaiveDate) -> NaiveDate {
    d.succ_opt().unwrap_or(d)
}

/// The feed document: one `VEVENT` per event (its `RRULE` and `EXDATE`s), one per changed
/// occurrence (same `UID`, `RECURRENCE-ID`), one all-day `VEVENT` per task and leave.
pub fn render(
    events: &[CalendarEvent],
    overrides: &[Override],
    tasks: &[DueTask],
    leave: &[LeaveDays],
) -> String {
    let mut cal = Calendar::new();
    cal.name("CRM");
    for e in events {
        let uid = format!("{}@crm", e.id);
        let mut v = Event::new();
        v.uid(&uid)
            .timestamp(e.updated_at)
            .sequence(sequence(e.version))
            .summary(&e.title);
        if e.all_day {
            let first = e.start_date.unwrap_or_else(|| e.starts_at.date_naive());
            let last = e.end_date.unwrap_or(first);
            v.starts(first).ends(next_day(last));
        } else {
            v.starts(moment(e, e.starts_at)).ends(moment(e, e.ends_at));
        }
        if let Some(d) = &e.description {
            v.description(d);
        }
        if let Some(l) = &e.location {
            v.location(l);
        }
        if let Some(r) = &e.recurrence {
            v.add_property("RRULE", r.as_str());
            for x in &e.exdates {
                v.append_multi_property(moment(e, *x).to_property("EXDATE"));
            }
        }
        cal.push(v.done());
        for o in overrides.iter().filter(|o| {
            o.event_id == e.id && e.recurrence.is_some() && !e.exdates.contains(&o.recurrence_id)
        }) {
            let mut v = Event::new();
            v.uid(&uid)
                .timestamp(e.updated_at)
                .sequence(sequence(e.version))
                .summary(&o.title)
                .recurrence_id(moment(e, o.recurrence_id));
            if e.all_day {
                let first = o.starts_at.with_timezone(&e.zone()).date_naive();
                let last = (o.ends_at - TimeDelta::seconds(1))
                    .with_timezone(&e.zone())
                    .date_naive();
                v.starts(first).ends(next_day(last.max(first)));
            } else {
                v.starts(moment(e, o.starts_at)).ends(moment(e, o.ends_at));
            }
            if let Some(d) = &o.description {
                v.description(d);
            }
            if let Some(l) = &o.location {
                v.location(l);
            }
            cal.push(v.done());
        }
    }
    for t in tasks {
        let mut v = Event::new();
        v.uid(&format!("task-{}@crm", t.id))
            .timestamp(midnight(t.due_date))
            .summary(&format!("Due: {}", t.title))
            .starts(t.due_date)
            .ends(next_day(t.due_date));
        cal.push(v.done());
    }
    for l in leave {
        let title = if l.own {
            "Leave".to_string()
        } else {
            format!("Leave: {}", l.employee_name)
        };
        let mut v = Event::new();
        v.uid(&format!("leave-{}@crm", l.id))
            .timestamp(midnight(l.start_date))
            .summary(&title)
            .starts(l.start_date)
            .ends(next_day(l.end_date));
        v.append_property(Property::new("TRANSP", "TRANSPARENT"));
        cal.push(v.done());
    }
    cal.done().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::CalendarEventId;
    use uuid::Uuid;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn weekly() -> CalendarEvent {
        let t = utc("2027-03-01T08:00:00Z");
        CalendarEvent {
            id: CalendarEventId(Uuid::from_u128(1)),
            organization_id: OrganizationId::new(),
            title: "Sync".into(),
            description: Some("Weekly; with a comma, too".into()),
            location: None,
            starts_at: t,
            ends_at: t + TimeDelta::hours(1),
            all_day: false,
            start_date: None,
            end_date: None,
            time_zone: Some("Europe/Berlin".into()),
            recurrence: Some("FREQ=WEEKLY;COUNT=4".into()),
            exdates: vec![utc("2027-03-15T08:00:00Z")],
            attendee_ids: vec![],
            record_type: None,
            record_id: None,
            reminder_minutes: vec![],
            organizer_id: UserId::new(),
            series_until: None,
            created_at: t,
            updated_at: t,
            version: 3,
        }
    }

    /// The document's lines, unfolded.
    fn lines(doc: &str) -> Vec<String> {
        doc.replace("\r\n ", "")
            .split("\r\n")
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn events_carry_their_rule_exdates_and_overrides_with_stable_uids() {
        let e = weekly();
        let moved = Override {
            event_id: e.id,
            recurrence_id: utc("2027-03-08T08:00:00Z"),
            title: "Moved".into(),
            description: None,
            location: Some("Room 5".into()),
            starts_at: utc("2027-03-09T09:00:00Z"),
            ends_at: utc("2027-03-09T10:00:00Z"),
        };
        let task = DueTask {
            id: Uuid::from_u128(2),
            title: "Ship".into(),
            due_date: "2027-03-04".parse().unwrap(),
            project_id: Uuid::from_u128(3),
        };
        let leave = LeaveDays {
            id: Uuid::from_u128(4),
            employee_id: Uuid::from_u128(5),
            employee_name: "Ada Lovelace".into(),
            own: false,
            start_date: "2027-03-10".parse().unwrap(),
            end_date: "2027-03-11".parse().unwrap(),
            half_day: None,
        };
        let doc = render(
            std::slice::from_ref(&e),
            std::slice::from_ref(&moved),
            &[task],
            &[leave],
        );
        assert_eq!(
            doc,
            render(
                std::slice::from_ref(&e),
                &[moved],
                &[task_again()],
                &[leave_again()]
            ),
            "the same data, the same bytes"
        );
        let l = lines(&doc);
        let has = |s: &str| l.iter().any(|x| x == s);
        assert!(has("BEGIN:VCALENDAR") && has("VERSION:2.0"), "{doc}");
        let uid = format!("UID:{}@crm", e.id);
        assert_eq!(l.iter().filter(|x| **x == uid).count(), 2, "{doc}");
        assert!(has("DTSTART;TZID=Europe/Berlin:20270301T090000"), "{doc}");
        assert!(has("DTEND;TZID=Europe/Berlin:20270301T100000"), "{doc}");
        assert!(has("RRULE:FREQ=WEEKLY;COUNT=4"), "{doc}");
        assert!(has("EXDATE;TZID=Europe/Berlin:20270315T090000"), "{doc}");
        assert!(
            has("RECURRENCE-ID;TZID=Europe/Berlin:20270308T090000"),
            "{doc}"
        );
        assert!(has("DTSTART;TZID=Europe/Berlin:20270309T100000"), "{doc}");
        assert!(has("SEQUENCE:2"), "{doc}");
        assert!(has("DTSTAMP:20270301T080000Z"), "{doc}");
        assert!(
            has("UID:task-00000000-0000-0000-0000-000000000002@crm"),
            "{doc}"
        );
        assert!(has("DTSTART;VALUE=DATE:20270304"), "{doc}");
        assert!(has("DTEND;VALUE=DATE:20270305"), "{doc}");
        assert!(has("SUMMARY:Leave: Ada Lovelace"), "{doc}");
        assert!(has("DTEND;VALUE=DATE:20270312"), "{doc}");
        assert!(has("DESCRIPTION:Weekly\\; with a comma\\, too"), "{doc}");
        assert_eq!(l.iter().filter(|x| *x == "BEGIN:VEVENT").count(), 4);
    }

    fn task_again() -> DueTask {
        DueTask {
            id: Uuid::from_u128(2),
            title: "Ship".into(),
            due_date: "2027-03-04".parse().unwrap(),
            project_id: Uuid::from_u128(3),
        }
    }

    fn leave_again() -> LeaveDays {
        LeaveDays {
            id: Uuid::from_u128(4),
            employee_id: Uuid::from_u128(5),
            employee_name: "Ada Lovelace".into(),
            own: false,
            start_date: "2027-03-10".parse().unwrap(),
            end_date: "2027-03-11".parse().unwrap(),
            half_day: None,
        }
    }

    #[test]
    fn all_day_and_utc_events_use_dates_and_z_times() {
        let mut e = weekly();
        e.recurrence = None;
        e.exdates.clear();
        e.time_zone = None;
        let doc = render(&[e.clone()], &[], &[], &[]);
        assert!(
            lines(&doc).contains(&"DTSTART:20270301T080000Z".to_string()),
            "{doc}"
        );
        e.all_day = true;
        e.start_date = Some("2027-03-01".parse().unwrap());
        e.end_date = Some("2027-03-02".parse().unwrap());
        let doc = render(&[e], &[], &[], &[]);
        let l = lines(&doc);
        assert!(
            l.contains(&"DTSTART;VALUE=DATE:20270301".to_string()),
            "{doc}"
        );
        assert!(
            l.contains(&"DTEND;VALUE=DATE:20270303".to_string()),
            "{doc}"
        );
    }
}
