//! Calendar events (contract section 9): events with attendees and responses, who sees and
//! changes them, and their occurrences expanded on the wall clock of their time zone.

use crate::backend_tests;
use crate::concurrency::{assert_concurrent_patches, json_of};
use crate::helpers::*;
use crate::hr_support::{delete, get, id, patch, post, refused, send_if, version};
use chrono::{DateTime, Datelike, Timelike, Utc};
use reqwest::Method;
use serde_json::{Value, json};

const EVENTS: &str = "/api/v1/calendar/events";

async fn event(app: &TestApp, t: &str, body: Value) -> Value {
    json_of(post(app, t, EVENTS, body).await, 201).await
}

fn path(e: &Value) -> String {
    format!("{EVENTS}/{}", id(e))
}

/// The ids of the events of a page, in order.
fn event_ids(page: &Value) -> Vec<String> {
    page["data"].as_array().unwrap().iter().map(id).collect()
}

/// `(user_id, response)` of each attendee.
async fn responses(app: &TestApp, t: &str, e: &Value) -> Vec<(String, String)> {
    let page = get(app, t, &format!("{}/attendees", path(e))).await;
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["user_id"].as_str().unwrap().to_string(),
                a["response"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

async fn occurrences(app: &TestApp, t: &str, from: &str, to: &str) -> Vec<Value> {
    let page = get(
        app,
        t,
        &format!("/api/v1/calendar/occurrences?from={from}&to={to}"),
    )
    .await;
    page["data"].as_array().unwrap().clone()
}

fn instant(v: &Value) -> DateTime<Utc> {
    v.as_str().unwrap().parse().unwrap()
}

/// The occurrences of `event` among `all`.
fn of<'a>(all: &'a [Value], event: &Value) -> Vec<&'a Value> {
    all.iter()
        .filter(|o| o["event_id"] == event["id"])
        .collect()
}

backend_tests!(
    events_are_seen_and_changed_by_their_people,
    |b| async move {
        let app = spawn_app(b).await;
        let admin = app.register_admin("Calendar Co").await;
        let organizer = app.user_with_roles(&admin, &["employee"]).await;
        let guest = app.user_with_roles(&admin, &["employee"]).await;
        let outsider = app.user_with_roles(&admin, &["employee"]).await;
        let manager = app.user_with_roles(&admin, &["manager"]).await;
        let (o, g, x) = (
            organizer.access.as_str(),
            guest.access.as_str(),
            outsider.access.as_str(),
        );

        // Created by an employee (calendar_events:write:own), who is its organizer.
        let res = post(
            &app,
            o,
            EVENTS,
            json!({
                "title": "Planning",
                "description": "Next quarter",
                "location": "Room 2",
                "starts_at": "2027-03-01T09:00:00+01:00",
                "ends_at": "2027-03-01T10:00:00+01:00",
                "time_zone": "Europe/Berlin",
                "attendee_ids": [guest.user_id],
                "reminder_minutes": [60, 10, 10],
                "record_type": "deal",
                "record_id": "019c2304-2480-7896-8534-f45738d048ec"
            }),
        )
        .await;
        assert_eq!(res.status(), 201);
        let location = res.headers()["location"].to_str().unwrap().to_string();
        assert_eq!(res.headers()["etag"], "\"1\"");
        let e: Value = res.json().await.unwrap();
        assert_eq!(location, path(&e));
        for (field, expected) in [
            ("title", json!("Planning")),
            ("starts_at", json!("2027-03-01T08:00:00Z")),
            ("ends_at", json!("2027-03-01T09:00:00Z")),
            ("all_day", json!(false)),
            ("start_date", Value::Null),
            ("time_zone", json!("Europe/Berlin")),
            ("recurrence", Value::Null),
            ("exdates", json!([])),
            ("attendee_ids", json!([guest.user_id])),
            ("reminder_minutes", json!([10, 60])),
            ("organizer_id", json!(organizer.user_id)),
            ("version", json!(1)),
        ] {
            assert_eq!(e[field], expected, "{field}: {e}");
        }
        assert!(e.get("series_until").is_none(), "internal: {e}");

        // Seen by its organizer, its attendee, holders of calendar_events:read; 404 for others.
        let p = path(&e);
        for t in [o, g, manager.access.as_str(), admin.access.as_str()] {
            assert_eq!(get(&app, t, &p).await["id"], e["id"]);
        }
        assert_problem(app.get_as(x, &p).await, 404).await;
        assert_eq!(event_ids(&get(&app, g, EVENTS).await), [id(&e)]);
        assert!(event_ids(&get(&app, x, EVENTS).await).is_empty());
        assert_eq!(
            event_ids(&get(&app, &manager.access, EVENTS).await),
            [id(&e)]
        );

        // Only the organizer (or calendar_events:write) changes it: 403 for the attendee, 404
        // for whoever does not see it; If-Match as everywhere.
        assert_problem(patch(&app, g, &p, json!({"title": "Mine"})).await, 403).await;
        assert_problem(patch(&app, x, &p, json!({"title": "Mine"})).await, 404).await;
        assert_problem(
            send_if(
                &app,
                o,
                Method::PATCH,
                &p,
                7,
                Some(json!({"title": "Late"})),
            )
            .await,
            412,
        )
        .await;
        let e2 = json_of(
            send_if(
                &app,
                o,
                Method::PATCH,
                &p,
                1,
                Some(json!({"title": "Quarter planning", "location": null})),
            )
            .await,
            200,
        )
        .await;
        assert_eq!(
            (version(&e2), &e2["title"], &e2["location"]),
            (2, &json!("Quarter planning"), &Value::Null)
        );
        // The admin holds calendar_events:write.
        let e3 = json_of(
            patch(
                &app,
                &admin.access,
                &p,
                json!({"description": "By the admin"}),
            )
            .await,
            200,
        )
        .await;
        assert_eq!(version(&e3), 3);
        assert_eq!(e3["organizer_id"], json!(organizer.user_id));

        // Field rules, each named.
        let timed = |extra: Value| {
            let mut b = json!({"title": "T", "starts_at": "2027-03-01T09:00:00Z", "ends_at": "2027-03-01T10:00:00Z"});
            b.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            b
        };
        for (body, field) in [
            (timed(json!({"ends_at": "2027-03-01T09:00:00Z"})), "ends_at"),
            (timed(json!({"ends_at": "2027-03-01T08:00:00Z"})), "ends_at"),
            (timed(json!({"starts_at": "yesterday"})), "starts_at"),
            (
                timed(json!({"recurrence": "FREQ=HOURLY", "time_zone": "UTC"})),
                "recurrence",
            ),
            (
                timed(json!({"recurrence": "FREQ=WEEKLY;BYHOUR=9", "time_zone": "UTC"})),
                "recurrence",
            ),
            (
                timed(
                    json!({"recurrence": "FREQ=WEEKLY;COUNT=2;UNTIL=20271231T000000Z", "time_zone": "UTC"}),
                ),
                "recurrence",
            ),
            (
                timed(json!({"recurrence": "not a rule", "time_zone": "UTC"})),
                "recurrence",
            ),
            (timed(json!({"recurrence": "FREQ=WEEKLY"})), "time_zone"),
            (timed(json!({"time_zone": "Mars/Olympus"})), "time_zone"),
            (
                timed(json!({"exdates": ["2027-03-08T09:00:00Z"]})),
                "exdates",
            ),
            (
                timed(json!({"attendee_ids": [uuid::Uuid::now_v7()]})),
                "attendee_ids[0]",
            ),
            (
                timed(json!({"attendee_ids": [admin.user_id, uuid::Uuid::now_v7()]})),
                "attendee_ids[1]",
            ),
            (
                timed(json!({"organizer_id": admin.user_id})),
                "organizer_id",
            ),
            (timed(json!({"reminder_minutes": [-5]})), "reminder_minutes"),
            (timed(json!({"record_type": "deal"})), "record_id"),
            (timed(json!({"all_day": true})), "starts_at"),
            (json!({"title": "T", "all_day": true}), "start_date"),
            (
                json!({"title": "T", "all_day": true, "start_date": "2027-03-02", "end_date": "2027-03-01"}),
                "end_date",
            ),
            (json!({"title": "T"}), "starts_at"),
        ] {
            refused(post(&app, o, EVENTS, body.clone()).await, field).await;
        }
        refused(
            patch(&app, o, &p, json!({"ends_at": "2027-03-01T07:00:00Z"})).await,
            "ends_at",
        )
        .await;
        refused(patch(&app, o, &p, json!({"version": 9})).await, "version").await;

        // An all-day event: its times are the days' midnights in its zone.
        let day = event(
            &app,
            o,
            json!({"title": "Offsite", "all_day": true, "start_date": "2027-03-27", "end_date": "2027-03-28", "time_zone": "Europe/Berlin"}),
        )
        .await;
        assert_eq!(day["starts_at"], "2027-03-26T23:00:00Z");
        assert_eq!(day["ends_at"], "2027-03-28T22:00:00Z");
        assert_eq!(day["end_date"], "2027-03-28");

        // Attendees answer; only an attendee does.
        assert_eq!(
            responses(&app, o, &e).await,
            [(guest.user_id.clone(), "needs_action".to_string())]
        );
        let r = json_of(
            post(
                &app,
                g,
                &format!("{p}/respond"),
                json!({"response": "accepted"}),
            )
            .await,
            200,
        )
        .await;
        assert_eq!(r, json!({"user_id": guest.user_id, "response": "accepted"}));
        assert_problem(
            post(
                &app,
                o,
                &format!("{p}/respond"),
                json!({"response": "declined"}),
            )
            .await,
            403,
        )
        .await;
        assert_problem(
            post(
                &app,
                x,
                &format!("{p}/respond"),
                json!({"response": "declined"}),
            )
            .await,
            404,
        )
        .await;
        refused(
            post(
                &app,
                g,
                &format!("{p}/respond"),
                json!({"response": "maybe"}),
            )
            .await,
            "response",
        )
        .await;
        assert_problem(app.get_as(x, &format!("{p}/attendees")).await, 404).await;
        // The event's version does not move with a response.
        assert_eq!(version(&get(&app, o, &p).await), 3);

        // A new attendee starts at needs_action; one who stays keeps their answer.
        let e4 = json_of(
            patch(
                &app,
                o,
                &p,
                json!({"attendee_ids": [outsider.user_id, guest.user_id]}),
            )
            .await,
            200,
        )
        .await;
        assert_eq!(e4["attendee_ids"], json!([outsider.user_id, guest.user_id]));
        let mut got = responses(&app, o, &e).await;
        got.sort();
        let mut want = vec![
            (guest.user_id.clone(), "accepted".to_string()),
            (outsider.user_id.clone(), "needs_action".to_string()),
        ];
        want.sort();
        assert_eq!(got, want);
        assert_eq!(get(&app, x, &p).await["id"], e["id"]);
        json_of(
            post(
                &app,
                x,
                &format!("{p}/respond"),
                json!({"response": "tentative"}),
            )
            .await,
            200,
        )
        .await;

        // Concurrent edits by the organizer never lose a write.
        assert_concurrent_patches(
            &app,
            o,
            &p,
            |v| json!({"title": v}),
            |r| r["title"].as_str().unwrap().to_string(),
        )
        .await;

        // The audit log holds the response.
        let acts = get(
            &app,
            &admin.access,
            &format!(
                "/api/v1/activities?entity_type=calendar_event&entity_id={}",
                id(&e)
            ),
        )
        .await;
        assert!(
            acts["data"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a["action"] == "responded"),
            "{acts}"
        );

        // Deleted by its organizer (403 for an attendee), then gone.
        assert_problem(delete(&app, g, &p).await, 403).await;
        assert_eq!(delete(&app, o, &p).await.status(), 204);
        assert_problem(app.get_as(o, &p).await, 404).await;
        assert_problem(app.get_as(o, &format!("{p}/attendees")).await, 404).await;
        app.stop().await;
    }
);

backend_tests!(
    occurrences_keep_the_wall_clock_of_their_zone,
    |b| async move {
        let app = spawn_app(b).await;
        let admin = app.register_admin("Occurrences Co").await;
        let emp = app.user_with_roles(&admin, &["employee"]).await;
        let other = app.user_with_roles(&admin, &["employee"]).await;
        let t = emp.access.as_str();

        // Weekly 09:00 in Berlin and in New York across their 2027 spring changes (New York
        // 14 March, Berlin 28 March): 09:00 on the wall clock every Monday.
        let berlin = event(
            &app,
            t,
            json!({"title": "Berlin standup", "starts_at": "2027-03-01T09:00:00+01:00", "ends_at": "2027-03-01T09:30:00+01:00", "time_zone": "Europe/Berlin", "recurrence": "FREQ=WEEKLY;BYDAY=MO"}),
        )
        .await;
        assert_eq!(berlin["recurrence"], "FREQ=WEEKLY;BYDAY=MO");
        let york = event(
            &app,
            t,
            json!({"title": "New York standup", "location": "HQ", "starts_at": "2027-03-01T09:00:00-05:00", "ends_at": "2027-03-01T09:30:00-05:00", "time_zone": "America/New_York", "recurrence": "FREQ=WEEKLY"}),
        )
        .await;
        let all = occurrences(&app, t, "2027-03-01T00:00:00Z", "2027-04-26T00:00:00Z").await;
        // 09:00 local is 08:00 UTC in Berlin winter, 07:00 in summer; 14:00 and 13:00 UTC in New
        // York.
        for (e, before, after, change) in
            [(&berlin, 8, 7, "2027-03-28"), (&york, 14, 13, "2027-03-14")]
        {
            let mine = of(&all, e);
            assert_eq!(mine.len(), 8, "{}: {all:?}", e["title"]);
            let change: chrono::NaiveDate = change.parse().unwrap();
            for o in &mine {
                let start = instant(&o["starts_at"]);
                assert_eq!(
                    (start.minute(), start.weekday()),
                    (0, chrono::Weekday::Mon),
                    "{o}"
                );
                let utc_hour = if start.date_naive() < change {
                    before
                } else {
                    after
                };
                assert_eq!(start.hour(), utc_hour, "{o}");
                assert_eq!(o["recurrence_id"], o["starts_at"]);
                assert_eq!(
                    instant(&o["ends_at"]) - start,
                    chrono::Duration::minutes(30)
                );
                assert_eq!(o["is_override"], false);
                assert_eq!(o["title"], e["title"]);
            }
        }
        assert_eq!(of(&all, &york)[0]["location"], "HQ");
        // In order of start.
        let starts: Vec<DateTime<Utc>> = all.iter().map(|o| instant(&o["starts_at"])).collect();
        assert!(starts.windows(2).all(|w| w[0] <= w[1]), "{starts:?}");

        // An exdate (the original start) cancels one occurrence, the one after the change.
        let after_change = of(&all, &berlin)[4]["recurrence_id"].clone();
        assert_eq!(after_change, "2027-03-29T07:00:00Z");
        json_of(
            patch(&app, t, &path(&berlin), json!({"exdates": [after_change]})).await,
            200,
        )
        .await;
        let all = occurrences(&app, t, "2027-03-01T00:00:00Z", "2027-04-26T00:00:00Z").await;
        let mine = of(&all, &berlin);
        assert_eq!(mine.len(), 7);
        assert!(mine.iter().all(|o| o["recurrence_id"] != after_change));

        // BYMONTHDAY=31 skips the short months; COUNT and UNTIL end a series.
        let monthly = event(
            &app,
            t,
            json!({"title": "Month end", "starts_at": "2027-01-31T15:00:00Z", "ends_at": "2027-01-31T16:00:00Z", "time_zone": "UTC", "recurrence": "FREQ=MONTHLY;BYMONTHDAY=31"}),
        )
        .await;
        let counted = event(
            &app,
            t,
            json!({"title": "Three days", "starts_at": "2027-06-01T09:00:00Z", "ends_at": "2027-06-01T10:00:00Z", "time_zone": "Europe/Paris", "recurrence": "FREQ=DAILY;COUNT=3"}),
        )
        .await;
        let until = event(
            &app,
            t,
            json!({"title": "Until", "starts_at": "2027-06-01T09:00:00Z", "ends_at": "2027-06-01T10:00:00Z", "time_zone": "UTC", "recurrence": "FREQ=DAILY;UNTIL=20270604T090000Z"}),
        )
        .await;
        let year = occurrences(&app, t, "2027-01-01", "2028-01-01").await;
        let months: Vec<u32> = of(&year, &monthly)
            .iter()
            .map(|o| instant(&o["starts_at"]).month())
            .collect();
        assert_eq!(months, [1, 3, 5, 7, 8, 10, 12]);
        assert_eq!(of(&year, &counted).len(), 3);
        assert_eq!(of(&year, &until).len(), 4);
        // A single event and a finished series are found by their range only.
        let single = event(
            &app,
            t,
            json!({"title": "Once", "starts_at": "2027-07-01T09:00:00Z", "ends_at": "2027-07-01T10:00:00Z"}),
        )
        .await;
        let july = occurrences(&app, t, "2027-07-01T09:30:00Z", "2027-07-02").await;
        assert_eq!(of(&july, &single).len(), 1);
        assert!(of(&july, &counted).is_empty());
        assert!(
            occurrences(&app, t, "2027-07-01T10:00:00Z", "2027-07-02")
                .await
                .iter()
                .all(|o| o["event_id"] != single["id"])
        );

        // Another user sees only what they organize or attend.
        assert!(
            occurrences(&app, &other.access, "2027-01-01", "2028-01-01")
                .await
                .is_empty()
        );
        json_of(
            patch(
                &app,
                t,
                &path(&single),
                json!({"attendee_ids": [other.user_id]}),
            )
            .await,
            200,
        )
        .await;
        let theirs = occurrences(&app, &other.access, "2027-01-01", "2028-01-01").await;
        assert_eq!(theirs.len(), 1);
        assert_eq!(theirs[0]["event_id"], single["id"]);

        // Another organization's admin sees none of it, in lists or occurrences.
        let b_admin = app.register_admin("Elsewhere Co").await;
        let theirs = get(&app, &b_admin.access, EVENTS).await;
        assert!(event_ids(&theirs).is_empty(), "{theirs}");
        assert!(
            occurrences(&app, &b_admin.access, "2027-01-01", "2028-01-01")
                .await
                .is_empty()
        );
        assert_problem(app.get_as(&b_admin.access, &path(&single)).await, 404).await;

        // The range: both bounds, `to` after `from`, at most 366 days.
        let occ = "/api/v1/calendar/occurrences";
        for (q, field) in [
            ("?from=2027-01-01&to=2028-01-03", "to"),
            ("?from=2027-01-02&to=2027-01-01", "to"),
            ("?to=2027-01-01", "from"),
            ("?from=soon&to=2027-01-01", "from"),
        ] {
            refused(app.get_as(t, &format!("{occ}{q}")).await, field).await;
        }
        json_of(
            app.get_as(t, &format!("{occ}?from=2027-01-01&to=2028-01-02"))
                .await,
            200,
        )
        .await;
        app.stop().await;
    }
);

/// `(recurrence_id, starts_at, ends_at, title)` of every occurrence, whatever its series.
fn shape(all: &[Value]) -> Vec<(String, String, String, String)> {
    let mut v: Vec<_> = all
        .iter()
        .map(|o| {
            (
                o["recurrence_id"].as_str().unwrap().to_string(),
                o["starts_at"].as_str().unwrap().to_string(),
                o["ends_at"].as_str().unwrap().to_string(),
                o["title"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

backend_tests!(
    single_occurrences_change_cancel_and_split_keeping_each_once,
    |b| async move {
        let app = spawn_app(b).await;
        let admin = app.register_admin("Split Co").await;
        let organizer = app.user_with_roles(&admin, &["employee"]).await;
        let guest = app.user_with_roles(&admin, &["employee"]).await;
        let t = organizer.access.as_str();
        // Ten Mondays and Wednesdays at 09:00 Berlin from 1 March 2027 (across the change).
        let series = event(
            &app,
            t,
            json!({"title": "Sync", "location": "Room 1", "starts_at": "2027-03-01T09:00:00+01:00", "ends_at": "2027-03-01T10:00:00+01:00", "time_zone": "Europe/Berlin", "recurrence": "FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10", "attendee_ids": [guest.user_id]}),
        )
        .await;
        let p = path(&series);
        json_of(
            post(
                &app,
                &guest.access,
                &format!("{p}/respond"),
                json!({"response": "accepted"}),
            )
            .await,
            200,
        )
        .await;
        let (from, to) = ("2027-02-01", "2027-06-01");
        let before = occurrences(&app, t, from, to).await;
        assert_eq!(before.len(), 10);
        let rid = |i: usize| before[i]["recurrence_id"].as_str().unwrap().to_string();
        let occ = |i: usize| format!("{p}/occurrences/{}", rid(i));

        // Change the third: moved an hour later, retitled; it stays keyed by its start.
        assert_problem(
            patch(&app, &guest.access, &occ(2), json!({"title": "x"})).await,
            403,
        )
        .await;
        assert_problem(
            send_if(
                &app,
                t,
                Method::PATCH,
                &occ(2),
                9,
                Some(json!({"title": "x"})),
            )
            .await,
            412,
        )
        .await;
        assert_problem(
            patch(
                &app,
                t,
                &format!("{p}/occurrences/2027-03-02T08:00:00Z"),
                json!({"title": "x"}),
            )
            .await,
            404,
        )
        .await;
        refused(
            patch(&app, t, &occ(2), json!({"ends_at": "2027-03-01T00:00:00Z"})).await,
            "ends_at",
        )
        .await;
        let moved = json_of(
            send_if(&app, t, Method::PATCH, &occ(2), 1, Some(json!({"title": "Sync (moved)", "starts_at": "2027-03-08T11:00:00+01:00", "ends_at": "2027-03-08T12:00:00+01:00"}))).await,
            200,
        )
        .await;
        assert_eq!(moved["recurrence_id"], rid(2));
        assert_eq!(moved["starts_at"], "2027-03-08T10:00:00Z");
        assert_eq!(
            (&moved["is_override"], &moved["location"]),
            (&json!(true), &json!("Room 1"))
        );
        assert_eq!(version(&get(&app, t, &p).await), 2, "the series moves on");
        // Change the ninth too (after the split point below), and cancel the fifth and tenth.
        json_of(
            patch(&app, t, &occ(8), json!({"location": "Room 9"})).await,
            200,
        )
        .await;
        assert_eq!(delete(&app, t, &occ(4)).await.status(), 204);
        assert_eq!(delete(&app, t, &occ(9)).await.status(), 204);
        assert_problem(delete(&app, t, &occ(4)).await, 404).await;
        let e = get(&app, t, &p).await;
        assert_eq!(e["exdates"], json!([rid(4), rid(9)]));
        let changed = occurrences(&app, t, from, to).await;
        assert_eq!(changed.len(), 8);
        let third = changed
            .iter()
            .find(|o| o["recurrence_id"] == rid(2).as_str())
            .unwrap();
        assert_eq!(
            (&third["title"], &third["is_override"]),
            (&json!("Sync (moved)"), &json!(true))
        );
        // A range holding only the moved time finds it; one holding only its old time does not.
        let only_new = occurrences(&app, t, "2027-03-08T10:00:00Z", "2027-03-08T10:30:00Z").await;
        assert_eq!(shape(&only_new), shape(std::slice::from_ref(third)));
        assert!(
            occurrences(&app, t, &rid(2), "2027-03-08T09:00:00Z")
                .await
                .iter()
                .all(|o| o["recurrence_id"] != rid(2).as_str())
        );

        // Split at the seventh: both halves keep every occurrence once.
        let split_path = format!("{p}/split");
        let v = version(&e);
        assert_problem(
            send_if(
                &app,
                t,
                Method::POST,
                &split_path,
                v + 5,
                Some(json!({"recurrence_id": rid(6)})),
            )
            .await,
            412,
        )
        .await;
        refused(
            post(&app, t, &split_path, json!({"recurrence_id": rid(0)})).await,
            "recurrence_id",
        )
        .await;
        refused(
            post(
                &app,
                t,
                &split_path,
                json!({"recurrence_id": "2027-03-02T08:00:00Z"}),
            )
            .await,
            "recurrence_id",
        )
        .await;
        refused(
            post(&app, t, &split_path, json!({"recurrence_id": "later"})).await,
            "recurrence_id",
        )
        .await;
        assert_problem(
            post(
                &app,
                &guest.access,
                &split_path,
                json!({"recurrence_id": rid(6)}),
            )
            .await,
            403,
        )
        .await;
        let res = send_if(
            &app,
            t,
            Method::POST,
            &split_path,
            v,
            Some(json!({"recurrence_id": rid(6)})),
        )
        .await;
        assert_eq!(res.status(), 201);
        let location = res.headers()["location"].to_str().unwrap().to_string();
        let new: Value = res.json().await.unwrap();
        assert_eq!(location, path(&new));
        assert_eq!(new["starts_at"], rid(6));
        assert_eq!(new["recurrence"], "FREQ=WEEKLY;BYDAY=MO,WE;COUNT=4");
        assert_eq!(new["exdates"], json!([rid(9)]));
        assert_eq!(new["organizer_id"], json!(organizer.user_id));
        let old = get(&app, t, &p).await;
        assert_eq!(old["recurrence"], "FREQ=WEEKLY;BYDAY=MO,WE;COUNT=6");
        assert_eq!(old["exdates"], json!([rid(4)]));
        assert_eq!(version(&old), v + 1);
        let after = occurrences(&app, t, from, to).await;
        assert_eq!(
            shape(&after),
            shape(&changed),
            "every occurrence once, as it was"
        );
        for o in &after {
            let first_half = o["recurrence_id"].as_str().unwrap() < rid(6).as_str();
            let owner = if first_half {
                &series["id"]
            } else {
                &new["id"]
            };
            assert_eq!(&o["event_id"], owner, "{o}");
        }
        let ninth = after
            .iter()
            .find(|o| o["recurrence_id"] == rid(8).as_str())
            .unwrap();
        assert_eq!(
            (&ninth["location"], &ninth["event_id"]),
            (&json!("Room 9"), &new["id"])
        );
        // The attendee, with their answer, is in the new series too.
        assert_eq!(
            responses(&app, t, &new).await,
            [(guest.user_id.clone(), "accepted".to_string())]
        );
        assert_eq!(
            of(&occurrences(&app, &guest.access, from, to).await, &new).len(),
            3
        );
        app.stop().await;
    }
);

/// The `calendar_event.reminder` notifications of `token`'s user: (event id, body).
async fn reminders(app: &TestApp, token: &str) -> Vec<(String, String)> {
    let page = get(app, token, "/api/v1/notifications?limit=200").await;
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["type"] == "calendar_event.reminder")
        .map(|n| {
            assert_eq!(n["record_type"], "calendar_event", "{n}");
            (
                n["record_id"].as_str().unwrap().to_string(),
                n["body"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Lets the next poll run the reminder job again (this minute's period may be claimed
/// already) and waits until a run has finished.
async fn run_reminder_job(app: &TestApp) {
    use crate::identity_support::{db_exec, db_string};
    db_exec(
        app,
        "DELETE FROM job_runs WHERE job = 'calendar_reminders'",
        vec![],
    )
    .await;
    let finished = "SELECT CAST(COUNT(*) AS CHAR(20)) FROM job_runs \
                    WHERE job = 'calendar_reminders' AND finished_at IS NOT NULL";
    for _ in 0..100 {
        let n = db_string(app, finished, vec![]).await.unwrap_or_default();
        if n.trim().parse::<u32>().unwrap_or(0) >= 1 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the reminder job did not run");
}

backend_tests!(a_reminder_reaches_each_attendee_once, |b| async move {
    let app = spawn_app_with(b, &[("CRM__JOBS__POLL_SECS", "1")]).await;
    let admin = app.register_admin("Reminder Co").await;
    let organizer = app.user_with_roles(&admin, &["employee"]).await;
    let guest = app.user_with_roles(&admin, &["employee"]).await;
    let decliner = app.user_with_roles(&admin, &["employee"]).await;
    let outsider = app.user_with_roles(&admin, &["employee"]).await;
    let o = organizer.access.as_str();
    // Starting in 50 seconds: a one-minute reminder's time came ten seconds ago.
    let now = Utc::now().with_nanosecond(0).unwrap();
    let start = now + chrono::Duration::seconds(50);
    let (s, e) = (
        start.to_rfc3339(),
        (start + chrono::Duration::minutes(30)).to_rfc3339(),
    );
    // Set up without reminders, so no run tells of them before the answers are in.
    let meeting = event(
            &app,
            o,
            json!({"title": "Standup", "starts_at": s, "ends_at": e, "attendee_ids": [guest.user_id, decliner.user_id]}),
        )
        .await;
    let daily = event(
            &app,
            o,
            json!({"title": "Daily", "starts_at": s, "ends_at": e, "time_zone": "UTC", "recurrence": "FREQ=DAILY;COUNT=3", "attendee_ids": [guest.user_id]}),
        )
        .await;
    json_of(
        post(
            &app,
            &decliner.access,
            &format!("{}/respond", path(&meeting)),
            json!({"response": "declined"}),
        )
        .await,
        200,
    )
    .await;
    // The daily event's first occurrence, the only one due, is cancelled.
    let rid = daily["starts_at"].as_str().unwrap();
    let res = delete(&app, o, &format!("{}/occurrences/{rid}", path(&daily))).await;
    assert_eq!(res.status(), 204);
    for ev in [&meeting, &daily] {
        json_of(
            patch(&app, o, &path(ev), json!({"reminder_minutes": [1]})).await,
            200,
        )
        .await;
    }

    run_reminder_job(&app).await;
    let told = vec![(id(&meeting), "Standup".to_string())];
    for who in [&organizer, &guest] {
        assert_eq!(reminders(&app, &who.access).await, told, "{}", who.email);
    }
    for who in [&decliner, &outsider, &admin] {
        assert!(
            reminders(&app, &who.access).await.is_empty(),
            "{}",
            who.email
        );
    }
    // Run again, and by a second instance on the same database: nobody is told twice.
    run_reminder_job(&app).await;
    let two = {
        let db = app.db.shared();
        let settings = test_settings(&db.url, db.dir(), &[("CRM__JOBS__POLL_SECS", "1")]);
        start_on(db, settings).await
    };
    run_reminder_job(&app).await;
    run_reminder_job(&two).await;
    for who in [&organizer, &guest] {
        assert_eq!(reminders(&app, &who.access).await, told, "{}", who.email);
    }
    assert!(reminders(&app, &decliner.access).await.is_empty());
    // One entry tells of the occurrence: its title, start, event and recurrence id.
    let events = get(
        &app,
        &admin.access,
        "/api/v1/events?type=calendar_event.reminder&limit=200",
    )
    .await;
    let events = events["data"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    let data = &events[0]["data"];
    assert_eq!(data["event_id"], meeting["id"]);
    assert_eq!(data["title"], "Standup");
    assert_eq!(instant(&data["recurrence_id"]), start);
    assert_eq!(instant(&data["starts_at"]), start);
    assert_eq!(data["minutes"], 1);
    two.stop().await;
    app.stop().await;
});
