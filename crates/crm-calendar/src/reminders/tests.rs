//! Which reminders are due (pure, with properties over random series and runs), and the
//! job over mocked ports: who is told, in the transaction of the marks, and nobody twice.

use super::*;
use crate::ports::{CalendarPorts, MockCalendarStore};
use crm_domain::activity::{FieldChange, NewActivity};
use crm_domain::kernel::records::MockRecords;
use crm_domain::kernel::testing::{FixedClock, ORG, Probe, notified};
use serde_json::Value;

/// Whom the declared `calendar_event.reminder` rule tells of `entry`.
fn recipients_of(entry: &NewActivity) -> Vec<UserId> {
    notified(
        crate::requirements::NOTIFICATION_TYPES,
        "calendar_event.reminder",
        entry,
    )
}
use proptest::prelude::*;
use std::sync::Arc;

fn utc(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn event(starts: &str, recurrence: Option<&str>, minutes: &[i64]) -> CalendarEvent {
    let t = utc(starts);
    CalendarEvent {
        id: CalendarEventId::new(),
        organization_id: ORG,
        title: "Sync".into(),
        description: None,
        location: None,
        starts_at: t,
        ends_at: t + TimeDelta::minutes(30),
        all_day: false,
        start_date: None,
        end_date: None,
        time_zone: Some("Europe/Berlin".into()),
        recurrence: recurrence.map(str::to_string),
        exdates: vec![],
        attendee_ids: vec![],
        record_type: None,
        record_id: None,
        reminder_minutes: minutes.to_vec(),
        organizer_id: UserId::new(),
        series_until: None,
        created_at: t,
        updated_at: t,
        version: 1,
    }
}

fn keys(due: &[DueReminder]) -> Vec<(DateTime<Utc>, i64)> {
    due.iter().map(|r| (r.recurrence_id, r.minutes)).collect()
}

#[test]
fn a_reminder_is_due_once_its_time_has_come_and_before_its_occurrence() {
    let e = event("2027-03-01T09:00:00Z", None, &[10, 60]);
    let at = |s: &str| due(&e, &[], utc(s) - TimeDelta::minutes(1), utc(s));
    assert!(at("2027-03-01T07:59:59Z").is_empty(), "not yet");
    assert_eq!(keys(&at("2027-03-01T08:00:00Z")), [(e.starts_at, 60)]);
    assert_eq!(keys(&at("2027-03-01T08:50:30Z")), [(e.starts_at, 10)]);
    // A run after a long pause still reminds of what is ahead, both at once…
    assert_eq!(
        keys(&due(
            &e,
            &[],
            utc("2027-02-28T00:00:00Z"),
            utc("2027-03-01T08:55:00Z")
        )),
        [(e.starts_at, 10), (e.starts_at, 60)]
    );
    // …never of an occurrence that has started.
    assert!(
        due(
            &e,
            &[],
            utc("2027-02-28T00:00:00Z"),
            utc("2027-03-01T09:00:00Z")
        )
        .is_empty()
    );
    // No reminders, or an empty range: nothing.
    let quiet = event("2027-03-01T09:00:00Z", None, &[]);
    assert!(
        due(
            &quiet,
            &[],
            utc("2027-02-28T00:00:00Z"),
            utc("2027-03-01T08:59:00Z")
        )
        .is_empty()
    );
    assert!(
        due(
            &e,
            &[],
            utc("2027-03-01T08:55:00Z"),
            utc("2027-03-01T08:55:00Z")
        )
        .is_empty()
    );
}

#[test]
fn cancelled_occurrences_have_none_and_moved_ones_remind_at_their_new_start() {
    // Daily at 10:00 Berlin (09:00 UTC in winter).
    let mut e = event("2027-03-01T09:00:00Z", Some("FREQ=DAILY;COUNT=5"), &[15]);
    let second = utc("2027-03-02T09:00:00Z");
    let window = |e: &CalendarEvent, o: &[Override], now: &str| {
        keys(&due(e, o, utc(now) - TimeDelta::minutes(1), utc(now)))
    };
    assert_eq!(window(&e, &[], "2027-03-02T08:45:00Z"), [(second, 15)]);
    e.exdates = vec![second];
    assert!(window(&e, &[], "2027-03-02T08:45:00Z").is_empty());
    e.exdates.clear();
    let moved = Override {
        event_id: e.id,
        recurrence_id: second,
        title: "Moved".into(),
        description: None,
        location: None,
        starts_at: utc("2027-03-02T13:00:00Z"),
        ends_at: utc("2027-03-02T13:30:00Z"),
    };
    let o = [moved];
    assert!(
        window(&e, &o, "2027-03-02T08:45:00Z").is_empty(),
        "not at the old time"
    );
    let r = due(
        &e,
        &o,
        utc("2027-03-02T12:44:00Z"),
        utc("2027-03-02T12:45:00Z"),
    );
    assert_eq!(keys(&r), [(second, 15)]);
    assert_eq!(
        (r[0].starts_at, r[0].title.as_str()),
        (utc("2027-03-02T13:00:00Z"), "Moved")
    );
}

#[test]
fn the_organizer_and_who_did_not_decline_are_reminded_once() {
    let (org, a, b, c) = (UserId::new(), UserId::new(), UserId::new(), UserId::new());
    let att = |u, r| Attendee {
        user_id: u,
        response: r,
    };
    let list = [
        att(a, AttendeeResponse::Accepted),
        att(b, AttendeeResponse::Declined),
        att(c, AttendeeResponse::NeedsAction),
        att(org, AttendeeResponse::Tentative),
    ];
    assert_eq!(recipients(org, &list), [org, a, c]);
    // An organizer who attends and declined is not reminded either.
    assert_eq!(recipients(b, &list), [a, c, org]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100))]

    /// Runs one minute apart over two days tell each (occurrence, minutes) of a daily series
    /// exactly once, at the first run at or after its time, before its occurrence starts.
    #[test]
    fn consecutive_runs_tell_each_reminder_exactly_once(
        start_min in 0i64..1440,
        mut minutes in proptest::collection::vec(0i64..1500, 1..4),
        first_run_sec in 0i64..60,
    ) {
        minutes.sort_unstable();
        minutes.dedup();
        let t0 = utc("2027-03-26T00:00:00Z");
        let e = event(
            &(t0 + TimeDelta::minutes(start_min)).to_rfc3339(),
            Some("FREQ=DAILY"),
            &minutes,
        );
        let mut now = t0 + TimeDelta::seconds(first_run_sec);
        let mut since = now - TimeDelta::hours(LOOK_BACK_HOURS);
        // Windows that follow each other (since the last run) tell each once; the job's
        // day-long look-back finds the same set, its repeats skipped by the marks.
        let mut seen = std::collections::HashSet::new();
        let mut looked_back = std::collections::HashSet::new();
        let end = t0 + TimeDelta::days(2);
        while now < end {
            for r in due(&e, &[], since, now) {
                let time = r.starts_at - TimeDelta::minutes(r.minutes);
                prop_assert!(time <= now && r.starts_at > now);
                prop_assert!(seen.insert((r.recurrence_id, r.minutes)), "twice: {r:?}");
            }
            for r in due(&e, &[], now - TimeDelta::hours(LOOK_BACK_HOURS), now) {
                let time = r.starts_at - TimeDelta::minutes(r.minutes);
                prop_assert!(time <= now && r.starts_at > now);
                looked_back.insert((r.recurrence_id, r.minutes));
            }
            since = now;
            now += TimeDelta::minutes(1);
        }
        prop_assert_eq!(&seen, &looked_back);
        // Every reminder whose time fell within the runs and before its occurrence was told.
        let first = t0 + TimeDelta::seconds(first_run_sec);
        let last = now - TimeDelta::minutes(1);
        let mut expected = std::collections::HashSet::new();
        for occ in expand(&e, &[], first - TimeDelta::days(2), end + TimeDelta::days(2)) {
            for &m in &minutes {
                let time = occ.starts_at - TimeDelta::minutes(m);
                // The first run looks a day back; a time between two runs is told by the
                // next one, unless the occurrence starts before it.
                let next_run = if time <= first {
                    first
                } else {
                    first + TimeDelta::minutes((time - first).num_seconds().div_euclid(60)
                        + i64::from((time - first).num_seconds().rem_euclid(60) != 0))
                };
                if time > first - TimeDelta::hours(LOOK_BACK_HOURS)
                    && next_run <= last
                    && occ.starts_at > next_run
                {
                    expected.insert((occ.recurrence_id, m));
                }
            }
        }
        prop_assert_eq!(seen, expected);
    }
}

fn ports(probe: &Probe, store: MockCalendarStore) -> CalendarPorts {
    CalendarPorts {
        tx: probe.tx_manager(),
        activities: Arc::new(probe.activities()),
        clock: Arc::new(FixedClock::default()),
        events: Arc::new(MockRecords::new()),
        store: Arc::new(store),
        agenda: Arc::new(crate::agenda::MockAgendaSources::new()),
        feeds: Arc::new(crate::feeds::MockFeedStore::new()),
        generator: Arc::new(crm_domain::identity::MockSecretGenerator::new()),
        hasher: Arc::new(crm_domain::identity::MockSecretHasher::new()),
    }
}

fn reminder(e: &CalendarEvent) -> DueReminder {
    DueReminder {
        event_id: e.id,
        organization_id: ORG,
        title: e.title.clone(),
        recurrence_id: e.starts_at,
        starts_at: e.starts_at,
        minutes: 10,
    }
}

#[tokio::test]
async fn telling_marks_and_notifies_in_one_transaction_only_who_was_not_told() {
    let e = event("2027-03-01T09:00:00Z", None, &[10]);
    let (a, b) = (UserId::new(), UserId::new());
    let probe = Probe::default();
    let mut store = MockCalendarStore::new();
    // `b` was told already (another instance, an earlier run).
    store
        .expect_mark_reminded()
        .times(1)
        .returning(move |_, _, _, users, _| {
            Ok(users.iter().copied().filter(|u| *u != b).collect())
        });
    let job = ReminderJob::new(ports(&probe, store));
    assert_eq!(job.tell(&reminder(&e), &[a, b]).await.unwrap(), 1);
    assert!(probe.committed());
    let audit = probe.audit.lock().unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(recipients_of(&audit[0]), [a]);
    let data = audit[0].data.as_ref().unwrap();
    assert_eq!(data["title"], "Sync");
    assert_eq!(data["event_id"], e.id.0.to_string());
    assert_eq!(data["recurrence_id"], "2027-03-01T09:00:00Z");
}

#[tokio::test]
async fn nobody_left_to_tell_writes_nothing() {
    let e = event("2027-03-01T09:00:00Z", None, &[10]);
    let probe = Probe::default();
    let mut store = MockCalendarStore::new();
    store
        .expect_mark_reminded()
        .returning(|_, _, _, _, _| Ok(vec![]));
    let job = ReminderJob::new(ports(&probe, store));
    assert_eq!(job.tell(&reminder(&e), &[UserId::new()]).await.unwrap(), 0);
    assert!(!probe.committed());
    assert!(probe.audit.lock().unwrap().is_empty());
}

#[test]
fn the_rule_reads_only_reminder_entries() {
    let e = event("2027-03-01T09:00:00Z", None, &[10]);
    let mut entry = change_entry(
        ORG,
        None,
        "calendar_event",
        e.id.0,
        "updated",
        None,
        Some(&e),
    );
    let u = UserId::new();
    entry.changes.push(FieldChange {
        field: crm_domain::notifications::rules::NOTIFY_FIELD.into(),
        before: Value::Null,
        after: serde_json::json!([u.0.to_string()]),
    });
    assert!(recipients_of(&entry).is_empty());
    entry.action = "reminder";
    assert_eq!(recipients_of(&entry), [u]);
}

#[test]
fn the_next_check_is_the_next_reminder_time_after_now() {
    // 09:00 UTC daily (10:00 Berlin): reminders at 08:00 and 08:50 UTC.
    let e = event("2027-03-01T09:00:00Z", Some("FREQ=DAILY"), &[10, 60]);
    let at = |s: &str| next_check(&e, &[], utc(s));
    assert_eq!(
        at("2027-03-03T07:00:00Z"),
        Some(utc("2027-03-03T08:00:00Z"))
    );
    assert_eq!(
        at("2027-03-03T08:00:00Z"),
        Some(utc("2027-03-03T08:50:00Z"))
    );
    // Past the last reminder of the day's occurrence: the next day's first.
    assert_eq!(
        at("2027-03-03T08:50:00Z"),
        Some(utc("2027-03-04T08:00:00Z"))
    );
    // A month before the series starts: nothing within the window, so a week later.
    assert_eq!(
        at("2027-02-01T00:00:00Z"),
        Some(utc("2027-02-08T00:00:00Z"))
    );
    // Within a week of it: its first reminder.
    assert_eq!(
        at("2027-02-27T00:00:00Z"),
        Some(utc("2027-03-01T08:00:00Z"))
    );
}

#[test]
fn no_reminders_or_a_series_over_is_never_checked_and_a_far_occurrence_later() {
    let silent = event("2027-03-01T09:00:00Z", Some("FREQ=DAILY"), &[]);
    assert_eq!(next_check(&silent, &[], utc("2027-03-02T00:00:00Z")), None);
    let mut over = event("2027-03-01T09:00:00Z", Some("FREQ=DAILY;COUNT=2"), &[10]);
    over.series_until = Some(utc("2027-03-02T09:30:00Z"));
    assert_eq!(next_check(&over, &[], utc("2027-03-02T09:30:00Z")), None);
    // Its last reminder still ahead: that one, though the series ends before the window's end.
    assert_eq!(
        next_check(&over, &[], utc("2027-03-02T00:00:00Z")),
        Some(utc("2027-03-02T08:50:00Z"))
    );
    // A yearly event with nothing within the window: looked at again a week later.
    let yearly = event("2027-03-01T09:00:00Z", Some("FREQ=YEARLY"), &[10]);
    let now = utc("2027-04-01T00:00:00Z");
    assert_eq!(
        next_check(&yearly, &[], now),
        Some(now + TimeDelta::days(RECHECK_DAYS))
    );
    // A single event: its reminder, then never.
    let once = event("2027-03-01T09:00:00Z", None, &[10]);
    let mut once = once;
    once.series_until = Some(once.ends_at);
    assert_eq!(
        next_check(&once, &[], utc("2027-02-27T00:00:00Z")),
        Some(utc("2027-03-01T08:50:00Z"))
    );
    assert_eq!(next_check(&once, &[], utc("2027-03-01T08:50:00Z")), None);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// The job looks at an event only when its check has come (from its write, then at each
    /// `next_check`) and tells exactly what looking at it every minute tells.
    #[test]
    fn looking_only_at_each_next_check_tells_what_every_minute_tells(
        start_min in 0i64..1440,
        mut minutes in proptest::collection::vec(0i64..3000, 1..4),
        weekly in any::<bool>(),
        first_run_sec in 0i64..60,
    ) {
        minutes.sort_unstable();
        minutes.dedup();
        let t0 = utc("2027-03-26T00:00:00Z");
        let rule = if weekly { "FREQ=WEEKLY" } else { "FREQ=DAILY" };
        let e = event(&(t0 + TimeDelta::minutes(start_min)).to_rfc3339(), Some(rule), &minutes);
        let mut every = std::collections::HashSet::new();
        let mut checked = std::collections::HashSet::new();
        // Written at the first run: its check is then.
        let mut check = e.reminder_check_at().map(|_| t0);
        let mut now = t0 + TimeDelta::seconds(first_run_sec);
        let end = t0 + TimeDelta::days(5);
        while now < end {
            let since = now - TimeDelta::hours(LOOK_BACK_HOURS);
            every.extend(due(&e, &[], since, now).iter().map(|r| (r.recurrence_id, r.minutes)));
            if check.is_some_and(|c| c <= now) {
                checked.extend(due(&e, &[], since, now).iter().map(|r| (r.recurrence_id, r.minutes)));
                let next = next_check(&e, &[], now);
                prop_assert!(next.is_none_or(|n| n > now));
                check = next;
            }
            now += TimeDelta::minutes(1);
        }
        prop_assert_eq!(checked, every);
    }
}
