//! The calendar module (contract section 9, "Calendar events"): events with attendees and
//! their responses, and the occurrences of recurring events — entities, rules and ports.
//!
//! Architecture invariant: no sea-orm, sqlx, actix or lettre in this crate's dependency tree
//! (`scripts/check-architecture.sh`). It depends on `crm-domain` only.
//!
//! Rules and where they are enforced:
//! - tenancy: every port method takes the organization of the caller's token;
//! - visibility ([`events::service::visible`]): an event is seen by its organizer, its
//!   attendees and holders of `calendar_events:read` (all records); others get `404`, in
//!   lists and occurrences too (the store narrows by organizer or attendee row);
//! - who changes it ([`events::service::editable`], [`events::service::deletable`]): the
//!   organizer, or a holder of `calendar_events:write` / `calendar_events:delete` over all
//!   records; another caller who sees it gets `403`. Creating needs `calendar_events:write`
//!   in either scope (every seeded role holds `:own`); the creator is the organizer;
//! - responses: only an attendee answers (`403`), one row per attendee and event, kept
//!   when the attendee list changes;
//! - fields ([`events::settle`]): `ends_at` after `starts_at`; an all-day event takes dates
//!   and derives its times in its zone; a `recurrence` needs a `time_zone` and takes only the
//!   parts the contract names ([`recurrence::Rule::parse`]); `exdates` need a recurrence;
//! - expansion ([`recurrence`]): on the wall clock of the event's IANA zone with the `rrule`
//!   crate, then UTC; exdates match an occurrence's original start; a range of at most 366
//!   days ([`occurrences::window`]); candidate events are selected in SQL by range through
//!   their stored `series_until` (the end of the last occurrence, NULL when endless);
//! - single occurrences ([`occurrences::Override`]): changed or cancelled by their original
//!   start, the series one version on; split ([`recurrence::split`]) ends the series just
//!   before an occurrence and starts a new one there, every occurrence kept once;
//! - reminders ([`reminders`]): each due reminder ([`reminders::due`]) told once per
//!   organizer or non-declining attendee, occurrence and minutes, by the
//!   `calendar_reminders` job;
//! - the agenda ([`agenda`]): the occurrences, tasks due, approved leave (the caller's and
//!   their reports'), interviews and contract dates of a range, read through
//!   [`agenda::AgendaSources`] and merged by start ([`agenda::merge`]);
//! - feeds ([`feeds`]): a user's tokenised iCalendar feeds, the token stored as a keyed
//!   hash, the document rendered by [`feeds::render`] (stable UIDs, `RRULE`, `EXDATE`,
//!   `RECURRENCE-ID`), `404` once revoked or when the owner is no longer active.

pub mod agenda;
pub mod events;
pub mod feeds;
pub mod occurrences;
pub mod ports;
pub mod recurrence;
pub mod reminders;

/// The services of the calendar module.
#[derive(Clone)]
pub struct CalendarServices {
    pub events: events::EventService,
    pub occurrences: occurrences::OccurrenceService,
    pub agenda: agenda::AgendaService,
    pub feeds: feeds::FeedService,
    ports: ports::CalendarPorts,
}

impl CalendarServices {
    pub fn new(ports: ports::CalendarPorts) -> Self {
        Self {
            events: events::EventService::new(ports.clone()),
            occurrences: occurrences::OccurrenceService::new(ports.clone()),
            agenda: agenda::AgendaService::new(ports.clone()),
            feeds: feeds::FeedService::new(ports.clone()),
            ports,
        }
    }

    /// The module's scheduled work, for the server's scheduler.
    pub fn jobs(&self) -> Vec<std::sync::Arc<dyn crm_domain::jobs::Job>> {
        vec![std::sync::Arc::new(reminders::ReminderJob::new(
            self.ports.clone(),
        ))]
    }
}

/// The permissions of the calendar routes and services, as types, with the module's event
/// types.
pub mod requirements {
    crm_domain::requirements! {
        CalendarEventsRead = "calendar_events":"read";
        CalendarEventsWrite = "calendar_events":"write";
        CalendarEventsDelete = "calendar_events":"delete";
    }

    crm_domain::event_types! {
        "calendar_event.created" => "A calendar event was created",
        "calendar_event.updated" => "A calendar event was changed",
        "calendar_event.deleted" => "A calendar event was deleted",
        "calendar_event.responded" => "An attendee answered an invitation to a calendar event",
        "calendar_event.occurrence_changed" => "One occurrence of a recurring calendar event was changed",
        "calendar_event.occurrence_cancelled" => "One occurrence of a recurring calendar event was cancelled",
        "calendar_event.split" => "A recurring calendar event was split: it ends before an occurrence and a new series (created) starts there",
        "calendar_feed.created" => "A user made an iCalendar feed of their calendar (its token is never in the event)",
        "calendar_feed.deleted" => "A user revoked one of their iCalendar feeds",
        "calendar_event.reminder" => "An occurrence's reminder time came: its organizer and the attendees who did not decline are reminded (once each per occurrence and reminder)",
    }

    crm_domain::notification_types! {
        "calendar_event.reminder" => "A calendar event you organize or attend starts soon": listed("calendar_event", "reminder");
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn event_types_are_unique_and_of_this_module() {
            let mut seen = std::collections::HashSet::new();
            for e in super::EVENT_TYPES {
                assert!(seen.insert(e.r#type), "{} twice", e.r#type);
                assert!(
                    e.r#type.starts_with("calendar_event.")
                        || e.r#type.starts_with("calendar_feed."),
                    "{}",
                    e.r#type
                );
            }
        }
    }
}
