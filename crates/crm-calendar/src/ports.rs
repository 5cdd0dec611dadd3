//! The ports of the calendar services: the events (`Records<CalendarEvent>`), what they need
//! besides their rows ([`CalendarStore`]), and what they share with the other modules.

use crate::events::{Attendee, AttendeeResponse, CalendarEvent, CalendarEventId};
use crate::occurrences::Override;
use crate::reminders::{DueReminder, Told};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use crm_domain::activity::ActivityRepository;
use crm_domain::identity::Clock;
use crm_domain::kernel::records::Records;
use crm_domain::{OrganizationId, StoreError, TxManager, Txn, UserId};
use std::sync::Arc;

/// Attendees and their responses, the users an event names, the events of a range.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait CalendarStore: Send + Sync {
    /// Which of `ids` are users of `org` (one statement).
    async fn existing_users(
        &self,
        org: OrganizationId,
        ids: &[UserId],
    ) -> Result<Vec<UserId>, StoreError>;

    /// The attendees of `event` with their responses, in the order of the event's
    /// `attendee_ids`' insertion (by user id for equal times).
    async fn attendees(
        &self,
        org: OrganizationId,
        event: CalendarEventId,
    ) -> Result<Vec<Attendee>, StoreError>;

    /// Makes the attendee rows of `event` the users `ids`, in `tx`: a user who stays keeps
    /// their response, a new one starts at `needs_action`, one left out goes.
    async fn set_attendees(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        event: CalendarEventId,
        ids: &[UserId],
    ) -> Result<(), StoreError>;

    /// Sets `user`'s response to `event`, in `tx`, answering the response it replaced;
    /// `NotFound` when they are no attendee.
    async fn set_response(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        event: CalendarEventId,
        user: UserId,
        response: AttendeeResponse,
    ) -> Result<AttendeeResponse, StoreError>;

    /// The overrides of `events`.
    async fn overrides(
        &self,
        org: OrganizationId,
        events: &[CalendarEventId],
    ) -> Result<Vec<Override>, StoreError>;

    /// The override of one occurrence, read in `tx`.
    async fn override_in_tx(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        event: CalendarEventId,
        recurrence_id: DateTime<Utc>,
    ) -> Result<Option<Override>, StoreError>;

    /// Stores `o` (replacing the override of its occurrence, if any), in `tx`.
    async fn put_override(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        o: &Override,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Removes the override of one occurrence, if any, in `tx`.
    async fn remove_override(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        event: CalendarEventId,
        recurrence_id: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Moves the overrides of `from` whose original start is `since` or later to `to`, and
    /// gives `to` the attendees of `from` with their responses, in `tx` (a split).
    async fn hand_over(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        from: CalendarEventId,
        to: CalendarEventId,
        since: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// The events of `org` that may have an occurrence in `[from, to)`: starting before `to`
    /// and ending (`series_until`, the end of the last occurrence) after `from` or never;
    /// narrowed to those `viewer` organizes or attends when given.
    async fn in_range(
        &self,
        org: OrganizationId,
        viewer: Option<UserId>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<CalendarEvent>, StoreError>;

    /// The events of every organization whose reminder check has come
    /// (`next_reminder_at <= now`, [`CalendarEvent::reminder_check_at`] after a write, then
    /// what the job set), by id after `after`, at most `limit`.
    async fn reminder_candidates(
        &self,
        now: DateTime<Utc>,
        after: Option<CalendarEventId>,
        limit: u64,
    ) -> Result<Vec<CalendarEvent>, StoreError>;

    /// Sets when the job next looks at event `id` (`None`: never), unless it was written
    /// since the job read it at `version` (that write set its own check).
    async fn reminder_checked(
        &self,
        org: OrganizationId,
        id: CalendarEventId,
        version: i64,
        next: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError>;

    /// The reminders of `events` told since `since` (marked then or later).
    async fn reminded(
        &self,
        org: OrganizationId,
        events: &[CalendarEventId],
        since: DateTime<Utc>,
    ) -> Result<Vec<Told>, StoreError>;

    /// Marks `r` told to each of `users` who was not told of it yet (insert or skip on the
    /// unique key of event, original start, minutes and user), in `tx`: the users it marked.
    async fn mark_reminded(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        r: &DueReminder,
        users: &[UserId],
        now: DateTime<Utc>,
    ) -> Result<Vec<UserId>, StoreError>;
}

/// The ports of the calendar services.
#[derive(Clone)]
pub struct CalendarPorts {
    pub tx: Arc<dyn TxManager>,
    pub activities: Arc<dyn ActivityRepository>,
    pub clock: Arc<dyn Clock>,
    pub events: Arc<dyn Records<CalendarEvent>>,
    pub store: Arc<dyn CalendarStore>,
    /// The agenda's rows of the other modules.
    pub agenda: Arc<dyn crate::agenda::AgendaSources>,
    /// The iCalendar feeds.
    pub feeds: Arc<dyn crate::feeds::FeedStore>,
    /// Feed tokens: drawn as refresh tokens are, stored as their keyed hash.
    pub generator: Arc<dyn crm_domain::identity::SecretGenerator>,
    pub hasher: Arc<dyn crm_domain::identity::SecretHasher>,
}

impl CalendarPorts {
    /// Now, as stored.
    pub fn now(&self) -> DateTime<Utc> {
        crm_domain::kernel::clock::stored(self.clock.now())
    }
}
