//! `/calendar/events` with their attendees and responses.

use super::model::{
    Attendee, CalendarEvent, CalendarEventId, EventInput, EventPatch, RespondInput, attendee_ids,
    description, exdates, instant, location, record_type, recurrence, reminder_minutes, settle,
    time_zone, title,
};
use crate::occurrences::{Occurrence, OccurrencePatch, Override, SplitInput};
use crate::ports::CalendarPorts;
use crate::recurrence::{Series, split};
use crate::requirements::{CalendarEventsDelete, CalendarEventsRead, CalendarEventsWrite};
use chrono::{DateTime, Duration, Utc};
use crm_domain::activity::audit;
use crm_domain::activity::{FieldChange, change_entry};
use crm_domain::kernel::input::{Errors, not_found, text};
use crm_domain::kernel::pagination::{ListQuery, Page};
use crm_domain::kernel::records::Crud;
use crm_domain::kernel::scope::{require, require_all};
use crm_domain::kernel::values::optional_date;
use crm_domain::{Actor, DomainError, Txn, UserId};

/// Whether the caller reads every event of the organization.
pub fn sees_all(actor: &Actor) -> bool {
    require_all::<CalendarEventsRead>(actor).is_ok()
}

/// `event` when the caller may see it (its organizer, an attendee, a holder of
/// `calendar_events:read`), `404` otherwise.
pub fn visible(actor: &Actor, event: CalendarEvent) -> Result<CalendarEvent, DomainError> {
    if sees_all(actor) || event.involves(actor.user_id) {
        Ok(event)
    } else {
        Err(DomainError::NotFound)
    }
}

/// `event` when the caller may change it: its organizer or a holder of
/// `calendar_events:write`; `404` when they cannot see it, `403` when they only see it.
pub fn editable(actor: &Actor, event: CalendarEvent) -> Result<CalendarEvent, DomainError> {
    let event = visible(actor, event)?;
    if event.organizer_id == actor.user_id || require_all::<CalendarEventsWrite>(actor).is_ok() {
        Ok(event)
    } else {
        Err(DomainError::forbidden(
            "only the organizer or a holder of calendar_events:write changes an event",
        ))
    }
}

/// As [`editable`] for a deletion (`calendar_events:delete`).
pub fn deletable(actor: &Actor, event: CalendarEvent) -> Result<CalendarEvent, DomainError> {
    let event = visible(actor, event)?;
    if event.organizer_id == actor.user_id || require_all::<CalendarEventsDelete>(actor).is_ok() {
        Ok(event)
    } else {
        Err(DomainError::forbidden(
            "only the organizer or a holder of calendar_events:delete deletes an event",
        ))
    }
}

/// The original start `raw` names when it is an occurrence of `event` (a recurring event,
/// a start of its rule, not cancelled); `404` otherwise, as for a missing record.
pub fn occurrence_of(event: &CalendarEvent, raw: &str) -> Result<DateTime<Utc>, DomainError> {
    let at = instant(raw).map_err(|_| DomainError::NotFound)?;
    let rule = event.rule().ok_or(DomainError::NotFound)?;
    let series = Series {
        start: event.starts_at,
        duration: event.duration(),
        zone: event.zone(),
        rule: &rule,
    };
    if event.exdates.contains(&at) || !series.is_start(at) {
        return Err(DomainError::NotFound);
    }
    Ok(at)
}

/// Calendar events, their attendees and responses.
#[derive(Clone)]
pub struct EventService {
    p: CalendarPorts,
}

impl EventService {
    pub fn new(ports: CalendarPorts) -> Self {
        Self { p: ports }
    }

    pub(crate) fn crud(&self) -> Crud<'_, CalendarEvent> {
        Crud::new(&*self.p.tx, &*self.p.events, &*self.p.activities)
    }

    /// The events the caller sees: every event with `calendar_events:read`, else those they
    /// organize or attend.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn list(
        &self,
        actor: &Actor,
        query: &ListQuery,
    ) -> Result<Page<CalendarEvent>, DomainError> {
        let scope = (!sees_all(actor)).then_some(actor.user_id);
        Ok(self
            .p
            .events
            .list(actor.organization_id, query, scope)
            .await?)
    }

    /// `404` when missing, of another organization or not visible to the caller.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn get(
        &self,
        actor: &Actor,
        id: CalendarEventId,
    ) -> Result<CalendarEvent, DomainError> {
        visible(actor, self.p.events.get(actor.organization_id, id).await?)
    }

    /// Files `not_found` under `attendee_ids[i]` for each id that is no user of the
    /// organization (one query).
    async fn check_attendees(
        &self,
        actor: &Actor,
        ids: &[UserId],
        errors: &mut Errors,
    ) -> Result<(), DomainError> {
        if ids.is_empty() {
            return Ok(());
        }
        let found = self
            .p
            .store
            .existing_users(actor.organization_id, ids)
            .await?;
        for (i, u) in ids.iter().enumerate() {
            if !found.contains(u) {
                errors.push(not_found(&format!("attendee_ids[{i}]"), "user"));
            }
        }
        Ok(())
    }

    /// Needs `calendar_events:write` (either scope); the caller is the organizer. `422` per
    /// bad field: `ends_at` not after `starts_at`, a `recurrence` outside the supported parts
    /// or without `time_zone`, attendees who are no users of the organization.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn create(
        &self,
        actor: &Actor,
        input: EventInput,
    ) -> Result<CalendarEvent, DomainError> {
        require::<CalendarEventsWrite>(actor)?;
        let mut errors = Errors::new();
        let all_day = input.all_day.unwrap_or(false);
        let now = self.p.now();
        let (mut starts_at, mut ends_at) = (now, now);
        if all_day {
            for (field, v) in [("starts_at", &input.starts_at), ("ends_at", &input.ends_at)] {
                if v.is_some() {
                    errors.add(
                        field,
                        "not_allowed",
                        "an all-day event's times come from start_date and end_date",
                    );
                }
            }
        } else {
            for (field, v, slot) in [
                ("starts_at", &input.starts_at, &mut starts_at),
                ("ends_at", &input.ends_at, &mut ends_at),
            ] {
                match v {
                    None => errors.add(field, "required", "required unless all_day"),
                    Some(raw) => {
                        if let Some(t) = errors.take(field, instant(raw)) {
                            *slot = t;
                        }
                    }
                }
            }
        }
        let attendees = errors.value(
            "attendee_ids",
            attendee_ids(input.attendee_ids.as_deref().unwrap_or_default()),
        );
        let mut event = CalendarEvent {
            id: CalendarEventId::new(),
            organization_id: actor.organization_id,
            title: errors.value("title", title(&input.title)),
            description: errors.value("description", description(input.description.as_deref())),
            location: errors.value("location", location(input.location.as_deref())),
            starts_at,
            ends_at,
            all_day,
            start_date: errors.value("start_date", optional_date(input.start_date.as_deref())),
            end_date: errors.value("end_date", optional_date(input.end_date.as_deref())),
            time_zone: errors.value("time_zone", time_zone(input.time_zone.as_deref())),
            recurrence: errors.value("recurrence", recurrence(input.recurrence.as_deref())),
            exdates: exdates(input.exdates.as_deref().unwrap_or_default(), &mut errors),
            attendee_ids: attendees,
            record_type: errors.value("record_type", record_type(input.record_type.as_deref())),
            record_id: input.record_id,
            reminder_minutes: errors.value(
                "reminder_minutes",
                reminder_minutes(input.reminder_minutes.as_deref().unwrap_or_default()),
            ),
            organizer_id: actor.user_id,
            series_until: None,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        if errors.is_empty() {
            settle(&mut event, &mut errors);
        }
        self.check_attendees(actor, &event.attendee_ids, &mut errors)
            .await?;
        errors.finish()?;
        let mut tx = self.p.tx.begin().await?;
        self.p.events.create(&mut tx, &event).await?;
        self.p
            .store
            .set_attendees(
                &mut tx,
                event.organization_id,
                event.id,
                &event.attendee_ids,
            )
            .await?;
        self.p
            .activities
            .record(&mut tx, audit::created(actor, &event))
            .await?;
        tx.commit().await?;
        Ok(event)
    }

    /// The organizer or a holder of `calendar_events:write` (`403` for another caller who
    /// sees the event, `404` for one who does not). `412` on a stale version.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn update(
        &self,
        actor: &Actor,
        id: CalendarEventId,
        expected_version: Option<i64>,
        patch: EventPatch,
    ) -> Result<CalendarEvent, DomainError> {
        let p = &patch;
        let mut errors = Errors::new();
        // What the body names is looked up on the pool, before the transaction.
        let named = match &p.attendee_ids {
            Some(ids) => errors.take("attendee_ids", attendee_ids(ids)),
            None => None,
        };
        if let Some(ids) = &named {
            self.check_attendees(actor, ids, &mut errors).await?;
        }
        let mut tx = self.p.tx.begin().await?;
        let current = self
            .crud()
            .locked(&mut tx, actor, id, expected_version, |e| editable(actor, e))
            .await?;
        let mut next = current.clone();
        errors.patch("title", &mut next.title, p.title.as_deref().map(title));
        errors.patch(
            "description",
            &mut next.description,
            text(&p.description, description),
        );
        errors.patch("location", &mut next.location, text(&p.location, location));
        if let Some(v) = p.all_day {
            next.all_day = v;
            if !v {
                next.start_date = None;
                next.end_date = None;
            }
        }
        for (field, raw, slot) in [
            ("starts_at", &p.starts_at, &mut next.starts_at),
            ("ends_at", &p.ends_at, &mut next.ends_at),
        ] {
            if raw.is_some() && next.all_day {
                errors.add(
                    field,
                    "not_allowed",
                    "an all-day event's times come from start_date and end_date",
                );
            } else {
                errors.patch(field, slot, raw.as_deref().map(instant));
            }
        }
        errors.patch(
            "start_date",
            &mut next.start_date,
            text(&p.start_date, optional_date),
        );
        errors.patch(
            "end_date",
            &mut next.end_date,
            text(&p.end_date, optional_date),
        );
        errors.patch(
            "time_zone",
            &mut next.time_zone,
            text(&p.time_zone, time_zone),
        );
        errors.patch(
            "recurrence",
            &mut next.recurrence,
            text(&p.recurrence, recurrence),
        );
        if let Some(raw) = &p.exdates {
            next.exdates = exdates(raw, &mut errors);
        }
        if let Some(ids) = named {
            next.attendee_ids = ids;
        }
        errors.patch(
            "record_type",
            &mut next.record_type,
            text(&p.record_type, record_type),
        );
        if let Some(v) = p.record_id {
            next.record_id = v;
        }
        errors.patch(
            "reminder_minutes",
            &mut next.reminder_minutes,
            p.reminder_minutes.as_deref().map(reminder_minutes),
        );
        if errors.is_empty() {
            settle(&mut next, &mut errors);
        }
        errors.finish()?;
        self.save(actor, tx, current, next).await
    }

    /// Stores `next` over `current` (attendee rows kept in step) with its audit entry, and
    /// commits; nothing is written when nothing changed.
    pub(crate) async fn save(
        &self,
        actor: &Actor,
        mut tx: Txn,
        current: CalendarEvent,
        next: CalendarEvent,
    ) -> Result<CalendarEvent, DomainError> {
        if next == current {
            return Ok(current);
        }
        let next = crm_domain::kernel::records::Record::touched(next, self.p.now());
        self.p
            .events
            .update(&mut tx, &next, current.version)
            .await?;
        if next.attendee_ids != current.attendee_ids {
            self.p
                .store
                .set_attendees(&mut tx, next.organization_id, next.id, &next.attendee_ids)
                .await?;
        }
        self.p
            .activities
            .record(&mut tx, audit::updated(actor, &current, &next))
            .await?;
        tx.commit().await?;
        Ok(next)
    }

    /// The organizer or a holder of `calendar_events:delete`; its attendees go with it.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn delete(&self, actor: &Actor, id: CalendarEventId) -> Result<(), DomainError> {
        self.crud().delete(actor, id, |e| deletable(actor, e)).await
    }

    /// The attendees of an event the caller sees, with their responses.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn attendees(
        &self,
        actor: &Actor,
        id: CalendarEventId,
    ) -> Result<Vec<Attendee>, DomainError> {
        self.get(actor, id).await?;
        Ok(self.p.store.attendees(actor.organization_id, id).await?)
    }

    /// The caller answers an invitation: only an attendee (`403` for another caller who sees
    /// the event). The event's version does not move (a response is the attendee's, not the
    /// event's); the answer is audited as `calendar_event.responded`.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn respond(
        &self,
        actor: &Actor,
        id: CalendarEventId,
        input: RespondInput,
    ) -> Result<Attendee, DomainError> {
        let org = actor.organization_id;
        let mut tx = self.p.tx.begin().await?;
        let event = self
            .crud()
            .locked(&mut tx, actor, id, None, |e| visible(actor, e))
            .await?;
        if !event.attendee_ids.contains(&actor.user_id) {
            return Err(DomainError::forbidden(
                "only an attendee responds to an event",
            ));
        }
        let attendee = Attendee {
            user_id: actor.user_id,
            response: input.response,
        };
        let before = self
            .p
            .store
            .set_response(&mut tx, org, id, actor.user_id, input.response)
            .await?;
        if before == attendee.response {
            return Ok(attendee);
        }
        let mut entry = change_entry(
            org,
            Some(actor.user_id),
            "calendar_event",
            id.0,
            "responded",
            None,
            Some(&event),
        );
        entry.changes.push(FieldChange {
            field: format!("responses.{}", actor.user_id.0),
            before: before.as_str().into(),
            after: attendee.response.as_str().into(),
        });
        self.p.activities.record(&mut tx, entry).await?;
        tx.commit().await?;
        Ok(attendee)
    }

    /// Changes one occurrence of a recurring event (the organizer or a
    /// `calendar_events:write` holder): its fields replace the occurrence's, keyed by the
    /// original start. `404` for a start that is no occurrence; `412` on a stale version of
    /// the series, which moves one version on.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn change_occurrence(
        &self,
        actor: &Actor,
        id: CalendarEventId,
        recurrence_id: &str,
        expected_version: Option<i64>,
        patch: OccurrencePatch,
    ) -> Result<Occurrence, DomainError> {
        let org = actor.organization_id;
        let mut tx = self.p.tx.begin().await?;
        let current = self
            .crud()
            .locked(&mut tx, actor, id, expected_version, |e| editable(actor, e))
            .await?;
        let at = occurrence_of(&current, recurrence_id)?;
        let before = self.p.store.override_in_tx(&mut tx, org, id, at).await?;
        let mut o = before.clone().unwrap_or_else(|| Override {
            event_id: id,
            recurrence_id: at,
            title: current.title.clone(),
            description: current.description.clone(),
            location: current.location.clone(),
            starts_at: at,
            ends_at: at + current.duration(),
        });
        let p = &patch;
        let mut errors = Errors::new();
        errors.patch("title", &mut o.title, p.title.as_deref().map(title));
        errors.patch(
            "description",
            &mut o.description,
            text(&p.description, description),
        );
        errors.patch("location", &mut o.location, text(&p.location, location));
        errors.patch(
            "starts_at",
            &mut o.starts_at,
            p.starts_at.as_deref().map(instant),
        );
        errors.patch("ends_at", &mut o.ends_at, p.ends_at.as_deref().map(instant));
        if errors.is_empty() && o.ends_at <= o.starts_at {
            errors.add("ends_at", "out_of_range", "must be after starts_at");
        }
        errors.finish()?;
        if before.as_ref() == Some(&o) {
            return Ok(o.occurrence());
        }
        self.p
            .store
            .put_override(&mut tx, org, &o, self.p.now())
            .await?;
        let mut next = crm_domain::kernel::records::Record::touched(current.clone(), self.p.now());
        // An occurrence moved past the series' end keeps the series in the ranges that
        // reach it.
        if let Some(until) = next.series_until {
            next.series_until = Some(until.max(o.ends_at));
        }
        let change = FieldChange {
            field: format!(
                "occurrences.{}",
                at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ),
            before: before.map_or(serde_json::Value::Null, |b| occurrence_json(&b)),
            after: occurrence_json(&o),
        };
        self.crud()
            .change(
                actor,
                tx,
                "occurrence_changed",
                &current,
                next,
                Some(change),
            )
            .await?;
        Ok(o.occurrence())
    }

    /// Cancels one occurrence: its original start becomes an `exdate` (and a change of it
    /// goes). Who and `412` as for [`Self::change_occurrence`].
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn cancel_occurrence(
        &self,
        actor: &Actor,
        id: CalendarEventId,
        recurrence_id: &str,
        expected_version: Option<i64>,
    ) -> Result<(), DomainError> {
        let org = actor.organization_id;
        let mut tx = self.p.tx.begin().await?;
        let current = self
            .crud()
            .locked(&mut tx, actor, id, expected_version, |e| editable(actor, e))
            .await?;
        let at = occurrence_of(&current, recurrence_id)?;
        self.p.store.remove_override(&mut tx, org, id, at).await?;
        let mut next = crm_domain::kernel::records::Record::touched(current.clone(), self.p.now());
        next.exdates.push(at);
        next.exdates.sort_unstable();
        self.crud()
            .change(actor, tx, "occurrence_cancelled", &current, next, None)
            .await?;
        Ok(())
    }

    /// "This and following": the series ends just before the occurrence `recurrence_id`
    /// (`COUNT` recomputed on both halves when the rule has one, else `UNTIL` a second
    /// before it) and a new series, answered, starts there with the same fields,
    /// organizer and attendees (their responses kept); the exdates and overrides at or after
    /// it move to the new series. One transaction, `If-Match` on the series (`412`). `422
    /// recurrence_id` for a start that is no occurrence, or the first.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn split(
        &self,
        actor: &Actor,
        id: CalendarEventId,
        expected_version: Option<i64>,
        input: SplitInput,
    ) -> Result<CalendarEvent, DomainError> {
        let org = actor.organization_id;
        let mut errors = Errors::new();
        let at = errors.take("recurrence_id", instant(&input.recurrence_id));
        let mut tx = self.p.tx.begin().await?;
        let current = self
            .crud()
            .locked(&mut tx, actor, id, expected_version, |e| editable(actor, e))
            .await?;
        errors.finish()?;
        let at =
            at.ok_or_else(|| DomainError::Unexpected("a checked start went missing".into()))?;
        let Some(rule) = current.rule() else {
            return Err(DomainError::invalid(
                "recurrence_id",
                "invalid",
                "the event does not recur",
            ));
        };
        let series = Series {
            start: current.starts_at,
            duration: current.duration(),
            zone: current.zone(),
            rule: &rule,
        };
        let (old_rule, new_rule) = split(&series, at)
            .map_err(|e| DomainError::Invalid(vec![e.into_field("recurrence_id")]))?;
        let now = self.p.now();
        let mut old = current.clone();
        old.recurrence = Some(old_rule.as_str().to_string());
        old.exdates.retain(|t| *t < at);
        let mut new = current.clone();
        new.id = CalendarEventId::new();
        new.recurrence = Some(new_rule.as_str().to_string());
        new.exdates.retain(|t| *t >= at);
        new.starts_at = at;
        new.ends_at = at + current.duration();
        if let (Some(s), Some(e)) = (current.start_date, current.end_date) {
            let first = at.with_timezone(&current.zone()).date_naive();
            new.start_date = Some(first);
            new.end_date = Some(first + Duration::days((e - s).num_days()));
        }
        new.created_at = now;
        new.updated_at = now;
        new.version = 1;
        let mut errors = Errors::new();
        settle(&mut old, &mut errors);
        settle(&mut new, &mut errors);
        errors.finish()?;
        let old = crm_domain::kernel::records::Record::touched(old, now);
        self.p.events.update(&mut tx, &old, current.version).await?;
        self.p.events.create(&mut tx, &new).await?;
        self.p.store.hand_over(&mut tx, org, id, new.id, at).await?;
        let mut entry = audit::changed(actor, "split", &current, &old);
        entry.changes.push(FieldChange {
            field: "split_into".into(),
            before: serde_json::Value::Null,
            after: new.id.0.to_string().into(),
        });
        self.p.activities.record(&mut tx, entry).await?;
        self.p
            .activities
            .record(&mut tx, audit::created(actor, &new))
            .await?;
        tx.commit().await?;
        Ok(new)
    }
}

fn occurrence_json(o: &Override) -> serde_json::Value {
    serde_json::json!({
        "title": o.title,
        "description": o.description,
        "location": o.location,
        "starts_at": o.starts_at,
        "ends_at": o.ends_at,
    })
}
