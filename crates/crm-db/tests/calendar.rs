//! The calendar adapters against a real database: an event's JSON fields and
//! `series_until` round-trip, the range query selects exactly the events that may have an
//! occurrence in the range (narrowed to a viewer's by organizer or attendee row), attendee
//! rows keep their answers, overrides are replaced, removed and handed over by a split.

// clippy.toml allows these only inside #[test] functions; the helpers here are test code too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use chrono::{DateTime, Duration, Utc};
use crm_calendar::events::{AttendeeResponse, CalendarEvent, CalendarEventId, settle};
use crm_calendar::occurrences::Override;
use crm_calendar::ports::CalendarStore;
use crm_db::SqlTxManager;
use crm_db::calendar::SqlCalendarEventRepository;
use crm_domain::kernel::input::Errors;
use crm_domain::kernel::records::Records;
use crm_domain::{OrganizationId, StoreError, TxManager, UserId};
use support::in_tx;

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

struct Env {
    org: OrganizationId,
    tx: SqlTxManager,
    events: SqlCalendarEventRepository,
}

async fn env(db: &support::TestDb) -> Env {
    Env {
        org: support::organization(db).await.id,
        tx: SqlTxManager::new(db.conn()),
        events: SqlCalendarEventRepository::new(db.conn()),
    }
}

/// An event of `org` from `start` for an hour, recurring by `rule` in Berlin when given,
/// settled as the service stores it.
fn event(org: OrganizationId, organizer: UserId, start: &str, rule: Option<&str>) -> CalendarEvent {
    let t = at(start);
    let mut e = CalendarEvent {
        id: CalendarEventId::new(),
        organization_id: org,
        title: "Sync".into(),
        description: Some("notes".into()),
        location: None,
        starts_at: t,
        ends_at: t + Duration::hours(1),
        all_day: false,
        start_date: None,
        end_date: None,
        time_zone: rule.map(|_| "Europe/Berlin".to_string()),
        recurrence: rule.map(str::to_string),
        exdates: vec![],
        attendee_ids: vec![],
        record_type: None,
        record_id: None,
        reminder_minutes: vec![10, 60],
        organizer_id: organizer,
        series_until: None,
        created_at: crm_domain::kernel::clock::now(),
        updated_at: crm_domain::kernel::clock::now(),
        version: 1,
    };
    let mut errors = Errors::new();
    settle(&mut e, &mut errors);
    errors.finish().unwrap();
    e
}

async fn store(env: &Env, e: &CalendarEvent) {
    in_tx!(env, |tx| {
        async {
            env.events.create(&mut tx, e).await?;
            env.events
                .set_attendees(&mut tx, e.organization_id, e.id, &e.attendee_ids)
                .await
        }
        .await
    })
    .unwrap();
}

fn ids(events: &[CalendarEvent]) -> Vec<CalendarEventId> {
    let mut v: Vec<_> = events.iter().map(|e| e.id).collect();
    v.sort();
    v
}

#[tokio::test]
async fn events_round_trip_and_ranges_select_by_series_until() {
    let db = support::database().await;
    let env = env(&db).await;
    let (me, guest) = (UserId::new(), UserId::new());
    let mut weekly = event(env.org, me, "2027-03-01T08:00:00Z", Some("FREQ=WEEKLY"));
    weekly.exdates = vec![at("2027-03-08T08:00:00Z")];
    weekly.attendee_ids = vec![guest];
    let counted = event(
        env.org,
        me,
        "2027-01-04T08:00:00Z",
        Some("FREQ=DAILY;COUNT=3"),
    );
    let single = event(env.org, guest, "2027-03-10T08:00:00Z", None);
    for e in [&weekly, &counted, &single] {
        store(&env, e).await;
    }
    let back = env.events.get(env.org, weekly.id).await.unwrap();
    assert_eq!(back, weekly);
    assert_eq!(back.series_until, None);
    assert_eq!(
        env.events
            .get(env.org, counted.id)
            .await
            .unwrap()
            .series_until,
        Some(at("2027-01-06T09:00:00Z"))
    );
    // Another organization's id is not found.
    let other = support::organization(&db).await.id;
    assert_eq!(
        env.events.get(other, weekly.id).await.unwrap_err(),
        StoreError::NotFound
    );

    let range = |from: &str, to: &str, viewer: Option<UserId>| {
        let (from, to) = (at(from), at(to));
        let events = &env.events;
        let org = env.org;
        async move { events.in_range(org, viewer, from, to).await.unwrap() }
    };
    // March: the endless weekly and the single; the counted series ended in January.
    let march = range("2027-03-01T00:00:00Z", "2027-04-01T00:00:00Z", None).await;
    assert_eq!(ids(&march), ids(&[weekly.clone(), single.clone()]));
    // January: the counted series only (the weekly starts later).
    let jan = range("2027-01-01T00:00:00Z", "2027-02-01T00:00:00Z", None).await;
    assert_eq!(ids(&jan), [counted.id]);
    // The single event's end is exclusive.
    let after = range("2027-03-10T09:00:00Z", "2027-03-11T00:00:00Z", None).await;
    assert_eq!(ids(&after), [weekly.id]);
    // A viewer sees what they organize or attend.
    let mine = range("2027-01-01T00:00:00Z", "2027-12-31T00:00:00Z", Some(me)).await;
    assert_eq!(ids(&mine), ids(&[weekly.clone(), counted.clone()]));
    let theirs = range("2027-01-01T00:00:00Z", "2027-12-31T00:00:00Z", Some(guest)).await;
    assert_eq!(ids(&theirs), ids(&[weekly.clone(), single.clone()]));
    assert!(
        env.events
            .in_range(
                other,
                None,
                at("2027-01-01T00:00:00Z"),
                at("2027-12-31T00:00:00Z")
            )
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn attendees_keep_their_answers_and_overrides_follow_a_split() {
    let db = support::database().await;
    let env = env(&db).await;
    let (a, b, c) = (UserId::new(), UserId::new(), UserId::new());
    let mut e = event(
        env.org,
        UserId::new(),
        "2027-03-01T08:00:00Z",
        Some("FREQ=WEEKLY"),
    );
    e.attendee_ids = vec![a, b];
    store(&env, &e).await;
    let (org, id) = (env.org, e.id);
    let before = in_tx!(env, |tx| {
        env.events
            .set_response(&mut tx, org, id, a, AttendeeResponse::Accepted)
            .await
    })
    .unwrap();
    assert_eq!(before, AttendeeResponse::NeedsAction);
    let outsider = in_tx!(env, |tx| {
        env.events
            .set_response(&mut tx, org, id, c, AttendeeResponse::Accepted)
            .await
    });
    assert_eq!(outsider.unwrap_err(), StoreError::NotFound);
    in_tx!(env, |tx| env
        .events
        .set_attendees(&mut tx, org, id, &[a, c])
        .await)
    .unwrap();
    let mut got: Vec<_> = env
        .events
        .attendees(org, id)
        .await
        .unwrap()
        .into_iter()
        .map(|x| (x.user_id, x.response))
        .collect();
    got.sort_by_key(|x| x.0);
    let mut want = vec![
        (a, AttendeeResponse::Accepted),
        (c, AttendeeResponse::NeedsAction),
    ];
    want.sort_by_key(|x| x.0);
    assert_eq!(got, want);

    // Overrides: put twice (replaced), removed, and handed over from a split point on.
    let o = |rid: &str, title: &str| Override {
        event_id: id,
        recurrence_id: at(rid),
        title: title.into(),
        description: None,
        location: Some("Room".into()),
        starts_at: at(rid) + Duration::hours(2),
        ends_at: at(rid) + Duration::hours(3),
    };
    let now = crm_domain::kernel::clock::now();
    for x in [
        o("2027-03-08T08:00:00Z", "first"),
        o("2027-03-08T08:00:00Z", "second"),
        o("2027-03-15T08:00:00Z", "kept"),
        o("2027-03-29T07:00:00Z", "moves"),
    ] {
        in_tx!(env, |tx| env
            .events
            .put_override(&mut tx, org, &x, now)
            .await)
        .unwrap();
    }
    let all = env.events.overrides(org, &[id]).await.unwrap();
    assert_eq!(all.len(), 3);
    assert!(all.iter().any(|x| x.title == "second"));
    in_tx!(env, |tx| {
        env.events
            .remove_override(&mut tx, org, id, at("2027-03-08T08:00:00Z"))
            .await
    })
    .unwrap();
    let new = event(
        env.org,
        e.organizer_id,
        "2027-03-22T08:00:00Z",
        Some("FREQ=WEEKLY"),
    );
    in_tx!(env, |tx| {
        async {
            env.events.create(&mut tx, &new).await?;
            env.events
                .hand_over(&mut tx, org, id, new.id, at("2027-03-22T08:00:00Z"))
                .await
        }
        .await
    })
    .unwrap();
    let old_side = env.events.overrides(org, &[id]).await.unwrap();
    let new_side = env.events.overrides(org, &[new.id]).await.unwrap();
    assert_eq!(
        old_side
            .iter()
            .map(|x| x.title.as_str())
            .collect::<Vec<_>>(),
        ["kept"]
    );
    assert_eq!(
        new_side
            .iter()
            .map(|x| (x.title.as_str(), x.event_id))
            .collect::<Vec<_>>(),
        [("moves", new.id)]
    );
    let mut copied: Vec<_> = env
        .events
        .attendees(org, new.id)
        .await
        .unwrap()
        .into_iter()
        .map(|x| (x.user_id, x.response))
        .collect();
    copied.sort_by_key(|x| x.0);
    assert_eq!(copied, want);
    let found = in_tx!(env, |tx| {
        env.events
            .override_in_tx(&mut tx, org, new.id, at("2027-03-29T07:00:00Z"))
            .await
    })
    .unwrap();
    assert_eq!(found.map(|x| x.title), Some("moves".to_string()));
}

#[tokio::test]
async fn reminder_marks_are_inserted_once_and_candidates_are_the_checks_that_came() {
    let db = support::database().await;
    let env = env(&db).await;
    let me = UserId::new();
    let written = at("2027-03-01T00:00:00Z");
    let as_written = |mut e: CalendarEvent| {
        e.created_at = written;
        e.updated_at = written;
        e
    };
    let ended = as_written(event(
        env.org,
        me,
        "2027-01-04T08:00:00Z",
        Some("FREQ=DAILY;COUNT=3"),
    ));
    let weekly = as_written(event(
        env.org,
        me,
        "2027-03-01T08:00:00Z",
        Some("FREQ=WEEKLY"),
    ));
    let mut silent = as_written(event(
        env.org,
        me,
        "2027-03-01T08:00:00Z",
        Some("FREQ=WEEKLY"),
    ));
    silent.reminder_minutes.clear();
    for e in [&ended, &weekly, &silent] {
        store(&env, e).await;
    }
    let candidates = |now: DateTime<Utc>| {
        let env = &env;
        let mine = [ended.id, weekly.id, silent.id];
        async move {
            let mut found = Vec::new();
            let mut after = None;
            loop {
                let page = env.events.reminder_candidates(now, after, 2).await.unwrap();
                after = page.last().map(|e| e.id);
                let short = page.len() < 2;
                found.extend(page.into_iter().filter(|e| mine.contains(&e.id)));
                if short {
                    break;
                }
            }
            ids(&found)
        }
    };
    // Written with reminders and a series not over: looked at from the write on. The ended
    // series and the event without reminders never.
    assert!(candidates(written - Duration::seconds(1)).await.is_empty());
    assert_eq!(candidates(written).await, [weekly.id]);
    // The job set its next check: not before it comes.
    let next = at("2027-03-22T07:00:00Z");
    env.events
        .reminder_checked(env.org, weekly.id, weekly.version, Some(next))
        .await
        .unwrap();
    assert!(candidates(at("2027-03-20T00:00:00Z")).await.is_empty());
    assert_eq!(candidates(next).await, [weekly.id]);
    // A check computed from a version written over since changes nothing.
    env.events
        .reminder_checked(env.org, weekly.id, weekly.version + 1, None)
        .await
        .unwrap();
    assert_eq!(candidates(next).await, [weekly.id]);

    let now = at("2027-03-20T00:00:00Z");
    let r = crm_calendar::reminders::DueReminder {
        event_id: weekly.id,
        organization_id: env.org,
        title: "Sync".into(),
        recurrence_id: at("2027-03-22T08:00:00Z"),
        starts_at: at("2027-03-22T08:00:00Z"),
        minutes: 10,
    };
    let (a, b) = (UserId::new(), UserId::new());
    let mark = |users: Vec<UserId>, r: crm_calendar::reminders::DueReminder| {
        let env = &env;
        async move {
            in_tx!(env, |tx| {
                env.events
                    .mark_reminded(&mut tx, env.org, &r, &users, now)
                    .await
            })
            .unwrap()
        }
    };
    assert_eq!(mark(vec![a], r.clone()).await, [a]);
    // Told already: skipped, without failing the transaction for the others.
    assert_eq!(mark(vec![a, b], r.clone()).await, [b]);
    assert!(mark(vec![a, b], r.clone()).await.is_empty());
    // Another reminder of the same occurrence, or another occurrence, is its own.
    let sixty = crm_calendar::reminders::DueReminder {
        minutes: 60,
        ..r.clone()
    };
    assert_eq!(mark(vec![a], sixty).await, [a]);
    let next = crm_calendar::reminders::DueReminder {
        recurrence_id: at("2027-03-29T07:00:00Z"),
        ..r
    };
    assert_eq!(mark(vec![a, b], next).await, [a, b]);
}
