//! The event service's rules over mocked ports: who sees, changes and answers an event, and
//! what a write stores in its transaction.

use super::*;
use crate::ports::{CalendarPorts, MockCalendarStore};
use chrono::{DateTime, TimeDelta, Utc};
use crm_domain::kernel::records::MockRecords;
use crm_domain::kernel::testing::{FixedClock, ORG, Probe, actor};
use crm_domain::{Actor, DomainError, UserId};
use std::sync::Arc;

fn ports(
    probe: &Probe,
    events: MockRecords<CalendarEvent>,
    store: MockCalendarStore,
) -> CalendarPorts {
    CalendarPorts {
        tx: probe.tx_manager(),
        activities: Arc::new(probe.activities()),
        clock: Arc::new(FixedClock::default()),
        events: Arc::new(events),
        store: Arc::new(store),
        agenda: Arc::new(crate::agenda::MockAgendaSources::new()),
        feeds: Arc::new(crate::feeds::MockFeedStore::new()),
        generator: Arc::new(crm_domain::identity::MockSecretGenerator::new()),
        hasher: Arc::new(crm_domain::identity::MockSecretHasher::new()),
    }
}

fn stored(organizer: UserId, attendees: Vec<UserId>) -> CalendarEvent {
    let t: DateTime<Utc> = "2027-03-01T08:00:00Z".parse().unwrap();
    CalendarEvent {
        id: CalendarEventId::new(),
        organization_id: ORG,
        title: "Review".into(),
        description: None,
        location: None,
        starts_at: t,
        ends_at: t + TimeDelta::hours(1),
        all_day: false,
        start_date: None,
        end_date: None,
        time_zone: None,
        recurrence: None,
        exdates: vec![],
        attendee_ids: attendees,
        record_type: None,
        record_id: None,
        reminder_minutes: vec![],
        organizer_id: organizer,
        series_until: Some(t + TimeDelta::hours(1)),
        created_at: t,
        updated_at: t,
        version: 1,
    }
}

/// Records that answer `e` for every read.
fn reading(e: &CalendarEvent) -> MockRecords<CalendarEvent> {
    let mut events = MockRecords::new();
    let (a, b) = (e.clone(), e.clone());
    events.expect_get().returning(move |_, _| Ok(a.clone()));
    events
        .expect_get_for_update()
        .returning(move |_, _, _| Ok(b.clone()));
    events
}

fn employee() -> Actor {
    actor(
        ORG,
        &["calendar_events:read:own", "calendar_events:write:own"],
    )
}

#[tokio::test]
async fn an_event_is_seen_by_its_people_and_calendar_readers_only() {
    let (organizer, guest, stranger) = (employee(), employee(), employee());
    let e = stored(organizer.user_id, vec![guest.user_id]);
    let probe = Probe::default();
    let svc = EventService::new(ports(&probe, reading(&e), MockCalendarStore::new()));
    for who in [&organizer, &guest, &actor(ORG, &["calendar_events:read"])] {
        assert_eq!(svc.get(who, e.id).await.unwrap().id, e.id);
    }
    assert_eq!(
        svc.get(&stranger, e.id).await.unwrap_err(),
        DomainError::NotFound
    );
}

#[tokio::test]
async fn only_the_organizer_or_a_writer_changes_it() {
    let (organizer, guest) = (employee(), employee());
    let e = stored(organizer.user_id, vec![guest.user_id]);
    let probe = Probe::default();
    let svc = EventService::new(ports(&probe, reading(&e), MockCalendarStore::new()));
    let patch = EventPatch {
        title: Some("Mine".into()),
        ..Default::default()
    };
    let err = svc
        .update(&guest, e.id, None, patch.clone())
        .await
        .unwrap_err();
    assert!(matches!(err, DomainError::Forbidden { .. }), "{err:?}");
    let err = svc
        .update(&employee(), e.id, None, patch)
        .await
        .unwrap_err();
    assert_eq!(err, DomainError::NotFound);
    assert!(!probe.committed());
    let err = svc.delete(&guest, e.id).await.unwrap_err();
    assert!(matches!(err, DomainError::Forbidden { .. }), "{err:?}");
}

#[tokio::test]
async fn a_change_is_stored_with_its_audit_entry_and_settled_fields() {
    let organizer = employee();
    let e = stored(organizer.user_id, vec![]);
    let probe = Probe::default();
    let mut events = reading(&e);
    events
        .expect_update()
        .withf(|_, next, expected| {
            expected == &1
                && next.version == 2
                && next.recurrence.as_deref() == Some("FREQ=DAILY;COUNT=2")
                && next.series_until == Some("2027-03-02T09:00:00Z".parse().unwrap())
        })
        .times(1)
        .returning(|_, _, _| Ok(()));
    let svc = EventService::new(ports(&probe, events, MockCalendarStore::new()));
    let patch = EventPatch {
        recurrence: Some(Some("freq=daily;count=2".into())),
        time_zone: Some(Some("Europe/Berlin".into())),
        ..Default::default()
    };
    let saved = svc.update(&organizer, e.id, Some(1), patch).await.unwrap();
    assert_eq!(saved.version, 2);
    assert!(probe.committed());
    assert_eq!(probe.audit().len(), 1);
    // A stale If-Match writes nothing.
    let probe = Probe::default();
    let svc = EventService::new(ports(&probe, reading(&e), MockCalendarStore::new()));
    let err = svc
        .update(&organizer, e.id, Some(7), EventPatch::default())
        .await
        .unwrap_err();
    assert_eq!(err, DomainError::Stale);
}

#[tokio::test]
async fn attendees_must_be_users_of_the_organization() {
    let organizer = employee();
    let known = UserId::new();
    let mut store = MockCalendarStore::new();
    store
        .expect_existing_users()
        .returning(move |_, _| Ok(vec![known]));
    let probe = Probe::default();
    let svc = EventService::new(ports(&probe, MockRecords::new(), store));
    let input = EventInput {
        title: "Review".into(),
        starts_at: Some("2027-03-01T09:00:00Z".into()),
        ends_at: Some("2027-03-01T10:00:00Z".into()),
        attendee_ids: Some(vec![known, UserId::new()]),
        ..Default::default()
    };
    let DomainError::Invalid(errors) = svc.create(&organizer, input).await.unwrap_err() else {
        panic!("expected 422");
    };
    assert_eq!(errors[0].field, "attendee_ids[1]");
    assert_eq!(probe.begins(), 0);
}

#[tokio::test]
async fn creating_stores_the_event_its_attendees_and_its_audit_entry() {
    let organizer = employee();
    let guest = UserId::new();
    let mut store = MockCalendarStore::new();
    store
        .expect_existing_users()
        .returning(move |_, _| Ok(vec![guest]));
    store
        .expect_set_attendees()
        .withf(move |_, _, _, ids| ids == [guest])
        .times(1)
        .returning(|_, _, _, _| Ok(()));
    let mut events = MockRecords::new();
    events
        .expect_create()
        .withf(|_, e: &CalendarEvent| {
            e.series_until.is_none() && e.starts_at.timestamp_subsec_nanos() == 0
        })
        .times(1)
        .returning(|_, _| Ok(()));
    let probe = Probe::default();
    let svc = EventService::new(ports(&probe, events, store));
    let input = EventInput {
        title: "Standup".into(),
        starts_at: Some("2027-03-01T09:00:00.5+01:00".into()),
        ends_at: Some("2027-03-01T09:15:00+01:00".into()),
        time_zone: Some("Europe/Berlin".into()),
        recurrence: Some("FREQ=WEEKLY;BYDAY=MO".into()),
        attendee_ids: Some(vec![guest, guest]),
        ..Default::default()
    };
    let e = svc.create(&organizer, input).await.unwrap();
    assert_eq!(e.organizer_id, organizer.user_id);
    assert_eq!(e.attendee_ids, [guest]);
    assert!(probe.committed());
    assert_eq!(probe.audit()[0].action, "created");
    // Without calendar_events:write (either scope) nothing is created.
    let probe = Probe::default();
    let svc = EventService::new(ports(&probe, MockRecords::new(), MockCalendarStore::new()));
    let reader = actor(ORG, &["calendar_events:read"]);
    let err = svc
        .create(&reader, EventInput::default())
        .await
        .unwrap_err();
    assert!(matches!(err, DomainError::Forbidden { .. }), "{err:?}");
}

#[tokio::test]
async fn only_an_attendee_responds() {
    let (organizer, guest) = (employee(), employee());
    let e = stored(organizer.user_id, vec![guest.user_id]);
    let mut store = MockCalendarStore::new();
    store
        .expect_set_response()
        .times(1)
        .returning(|_, _, _, _, _| Ok(AttendeeResponse::NeedsAction));
    let probe = Probe::default();
    let svc = EventService::new(ports(&probe, reading(&e), store));
    let accept = RespondInput {
        response: AttendeeResponse::Accepted,
    };
    let a = svc.respond(&guest, e.id, accept.clone()).await.unwrap();
    assert_eq!(a.response, AttendeeResponse::Accepted);
    assert!(probe.committed());
    assert_eq!(probe.audit()[0].action, "responded");
    let err = svc
        .respond(&organizer, e.id, accept.clone())
        .await
        .unwrap_err();
    assert!(matches!(err, DomainError::Forbidden { .. }), "{err:?}");
    let err = svc.respond(&employee(), e.id, accept).await.unwrap_err();
    assert_eq!(err, DomainError::NotFound);
}
