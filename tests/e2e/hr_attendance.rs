//! Attendance (contract section 8): check-in and check-out with their `409`s, concurrent
//! check-ins (one wins), HR records with the overlap rule, the days of a known past week in a
//! zone far from UTC (late, half day, absent, holiday, weekend), a night shift in
//! Pacific/Kiritimati (UTC+14), the monthly summary, and the `employee` role end to end.
//! Approved leave (`on_leave`, and a half-day leave plus a half day worked) is filed through
//! the leave routes and read through the real calendar adapter.

use crate::backend_tests;
use crate::concurrency::json_of;
use crate::helpers::*;
use crate::hr_support::{delete, get, id, page_ids as ids, patch, post, problem, refused, send_if};
use crate::identity_support::create_as;
use futures_util::future::join_all;
use reqwest::Method;
use serde_json::{Value, json};

async fn employee(app: &TestApp, t: &str, first: &str, extra: Value) -> String {
    id(&crate::hr_support::employee(app, t, first, "2026-01-05", extra).await)
}

/// A Monday–Friday schedule from `start` to `end` in `zone`.
async fn schedule(
    app: &TestApp,
    t: &str,
    name: &str,
    zone: &str,
    start: &str,
    end: &str,
    grace: i64,
) -> String {
    let days: Vec<Value> = (1..=5)
        .map(|w| json!({"weekday": w, "start": start, "end": end}))
        .collect();
    let body = json!({"name": name, "time_zone": zone, "days": days,
        "late_grace_minutes": grace, "half_day_minutes": 240});
    id(&create_as(app, t, "/api/v1/work-schedules", body).await)
}

async fn record(
    app: &TestApp,
    t: &str,
    employee: &str,
    i: &str,
    o: Option<&str>,
) -> reqwest::Response {
    post(
        app,
        t,
        "/api/v1/attendance",
        json!({"employee_id": employee, "check_in_at": i, "check_out_at": o}),
    )
    .await
}

async fn days(app: &TestApp, t: &str, employee: &str, from: &str, to: &str) -> Vec<Value> {
    let v = get(
        app,
        t,
        &format!("/api/v1/attendance/days?employee_id={employee}&from={from}&to={to}"),
    )
    .await;
    v["data"].as_array().unwrap().clone()
}

fn instant(v: &Value) -> chrono::DateTime<chrono::Utc> {
    v.as_str().expect("an instant").parse().expect("RFC 3339")
}

fn statuses(days: &[Value]) -> Vec<Value> {
    days.iter().map(|d| d["status"].clone()).collect()
}

backend_tests!(punches_and_hr_records_keep_their_rules, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Punch Co").await;
    let t = admin.access.as_str();

    // No employee record: nothing to punch.
    assert_eq!(
        post(&app, t, "/api/v1/attendance/check-in", json!({}))
            .await
            .status(),
        404
    );
    let me = employee(&app, t, "Me", json!({"user_id": admin.user_id})).await;

    let res = post(
        &app,
        t,
        "/api/v1/attendance/check-in",
        json!({"note": " early "}),
    )
    .await;
    assert_eq!(res.status(), 201);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    let open = json_of(res, 201).await;
    assert_eq!(location, format!("/api/v1/attendance/{}", id(&open)));
    assert_eq!(open["employee_id"], me.as_str());
    assert_eq!(open["check_out_at"], Value::Null);
    assert_eq!(open["note"], "early");
    assert_eq!(open["source"], "self");
    // A second check-in, even without a body, while the first is open.
    let res = app
        .send_as(Method::POST, t, "/api/v1/attendance/check-in", None)
        .await;
    let p = problem(res, 409, "attendance-open").await;
    assert_eq!(p["existing_id"], id(&open).as_str());
    let res = app
        .send_as(Method::POST, t, "/api/v1/attendance/check-out", None)
        .await;
    let closed = json_of(res, 200).await;
    assert_eq!(closed["id"], open["id"]);
    assert_ne!(closed["check_out_at"], Value::Null);
    assert_eq!(closed["note"], "early");
    assert_eq!(closed["version"], 2);
    let res = post(&app, t, "/api/v1/attendance/check-out", json!({})).await;
    problem(res, 409, "attendance-not-open").await;
    refused(
        post(&app, t, "/api/v1/attendance/check-in", json!({"note": 5})).await,
        "note",
    )
    .await;

    // Eight check-ins at once: one opens, the others see it open.
    let tries = (0..8).map(|_| post(&app, t, "/api/v1/attendance/check-in", json!({})));
    let statuses: Vec<u16> = join_all(tries)
        .await
        .into_iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        7,
        "{statuses:?}"
    );
    let res = post(
        &app,
        t,
        "/api/v1/attendance/check-out",
        json!({"note": "done"}),
    )
    .await;
    assert_eq!(json_of(res, 200).await["note"], "done");

    // HR records of another person.
    let bea = employee(&app, t, "Bea", json!({})).await;
    let day = json_of(
        record(
            &app,
            t,
            &bea,
            "2026-03-10T09:00:00+01:00",
            Some("2026-03-10T17:00:00+01:00"),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(day["source"], "hr");
    assert_eq!(
        instant(&day["check_in_at"]),
        instant(&json!("2026-03-10T08:00:00Z"))
    );
    let res = record(
        &app,
        t,
        &bea,
        "2026-03-10T15:00:00Z",
        Some("2026-03-10T18:00:00Z"),
    )
    .await;
    let p = problem(res, 409, "attendance-overlap").await;
    assert_eq!(p["existing_id"], id(&day).as_str());
    // Touching is not overlapping.
    let evening = json_of(
        record(
            &app,
            t,
            &bea,
            "2026-03-10T16:00:00Z",
            Some("2026-03-10T18:00:00Z"),
        )
        .await,
        201,
    )
    .await;
    // An open record reaches forever: nothing after it fits, and she cannot check in.
    json_of(
        record(&app, t, &bea, "2026-03-11T09:00:00Z", None).await,
        201,
    )
    .await;
    problem(
        record(
            &app,
            t,
            &bea,
            "2026-03-12T09:00:00Z",
            Some("2026-03-12T10:00:00Z"),
        )
        .await,
        409,
        "attendance-overlap",
    )
    .await;
    // Bad input, each field named.
    refused(
        record(
            &app,
            t,
            &bea,
            "2026-03-09T09:00:00Z",
            Some("2026-03-09T09:00:00Z"),
        )
        .await,
        "check_out_at",
    )
    .await;
    refused(
        record(&app, t, &bea, "2040-03-09T09:00:00Z", None).await,
        "check_in_at",
    )
    .await;
    refused(
        record(&app, t, &bea, "yesterday", None).await,
        "check_in_at",
    )
    .await;
    refused(
        record(
            &app,
            t,
            "00000000-0000-7000-8000-000000000000",
            "2026-03-09T09:00:00Z",
            None,
        )
        .await,
        "employee_id",
    )
    .await;

    // Changes: the overlap rule again (itself left out), If-Match, then a delete.
    let path = format!("/api/v1/attendance/{}", id(&evening));
    problem(
        patch(
            &app,
            t,
            &path,
            json!({"check_in_at": "2026-03-10T15:30:00Z"}),
        )
        .await,
        409,
        "attendance-overlap",
    )
    .await;
    refused(
        patch(&app, t, &path, json!({"employee_id": me})).await,
        "employee_id",
    )
    .await;
    let moved = json_of(
        patch(
            &app,
            t,
            &path,
            json!({"check_in_at": "2026-03-10T16:30:00Z", "note": "late shift"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(moved["version"], 2);
    assert_eq!(moved["note"], "late shift");
    let res = send_if(&app, t, Method::PATCH, &path, 1, Some(json!({"note": "x"}))).await;
    assert_eq!(res.status(), 412);
    assert_eq!(delete(&app, t, &path).await.status(), 204);
    assert_eq!(app.get_as(t, &path).await.status(), 404);

    // The list: by person and check-in dates, latest first.
    let listed = get(
        &app,
        t,
        &format!("/api/v1/attendance?employee_id={bea}&from=2026-03-10&to=2026-03-10"),
    )
    .await;
    assert_eq!(ids(&listed), [id(&day)]);
    let all = get(&app, t, &format!("/api/v1/attendance?employee_id={bea}")).await;
    assert_eq!(ids(&all).len(), 2);
    assert_eq!(all["data"][1]["id"], day["id"]);
    refused(app.get_as(t, "/api/v1/attendance?from=march").await, "from").await;
    app.stop().await;
});

backend_tests!(
    days_in_far_zones_night_shifts_and_the_summary,
    |b| async move {
        let app = spawn_app(b).await;
        let admin = app.register_admin("Days Co").await;
        let t = admin.access.as_str();
        let auckland = schedule(
            &app,
            t,
            "Auckland",
            "Pacific/Auckland",
            "09:00",
            "17:00",
            15,
        )
        .await;
        let night = schedule(&app, t, "Night", "Pacific/Kiritimati", "22:00", "06:00", 5).await;
        let dept = create_as(&app, t, "/api/v1/departments", json!({"name": "Nights"})).await;
        let kiwi = employee(&app, t, "Kiwi", json!({"work_schedule_id": auckland})).await;
        let owl = employee(
            &app,
            t,
            "Owl",
            json!({"work_schedule_id": night, "department_id": dept["id"]}),
        )
        .await;
        create_as(
            &app,
            t,
            "/api/v1/holidays",
            json!({"date": "2026-03-13", "name": "A holiday"}),
        )
        .await;

        // Auckland is UTC+13 in March: 09:00 there is 20:00 UTC the day before.
        for (i, o) in [
            ("2026-03-08T19:55:00Z", "2026-03-09T04:05:00Z"), // Mon 9th 08:55–17:05
            ("2026-03-09T20:40:00Z", "2026-03-10T04:40:00Z"), // Tue 10th 09:40, 40 late
            ("2026-03-10T20:00:00Z", "2026-03-10T22:00:00Z"), // Wed 11th two hours
            ("2026-03-13T21:00:00Z", "2026-03-13T23:00:00Z"), // Sat 14th two hours
        ] {
            json_of(record(&app, t, &kiwi, i, Some(o)).await, 201).await;
        }
        let week = days(&app, t, &kiwi, "2026-03-09", "2026-03-15").await;
        assert_eq!(
            statuses(&week),
            [
                "present", "late", "half_day", "absent", "holiday", "weekend", "weekend"
            ]
        );
        assert_eq!(week[0]["date"], "2026-03-09");
        assert_eq!(week[0]["employee_id"], kiwi.as_str());
        assert_eq!(week[0]["worked_minutes"], 490);
        assert_eq!(week[0]["late_minutes"], 0);
        assert_eq!(week[1]["late_minutes"], 40);
        assert_eq!(
            instant(&week[1]["first_in"]),
            instant(&json!("2026-03-09T20:40:00Z"))
        );
        assert_eq!(
            instant(&week[1]["last_out"]),
            instant(&json!("2026-03-10T04:40:00Z"))
        );
        assert_eq!(week[2]["worked_minutes"], 120);
        assert_eq!(week[3]["first_in"], Value::Null);
        assert_eq!(week[5]["worked_minutes"], 120);
        assert_eq!(week[6]["leave_request_id"], Value::Null);

        // Approved leave, through the leave routes (a type approved at once): a whole day on
        // Thursday 19th, the morning of Friday 20th with the afternoon worked.
        let leave_type = json_of(
            app.send_as(
                Method::POST,
                t,
                "/api/v1/leave-types",
                Some(
                    &json!({"name": "Annual", "code": "AL", "allowance_days": 20,
                    "accrual": "upfront", "allow_negative_days": 5, "requires_approval": false}),
                ),
            )
            .await,
            201,
        )
        .await;
        let mut leave_ids = Vec::new();
        for (date, half) in [("2026-03-19", None), ("2026-03-20", Some("am"))] {
            let leave = json_of(
                app.send_as(
                    Method::POST,
                    t,
                    "/api/v1/leave-requests",
                    Some(
                        &json!({"employee_id": kiwi, "leave_type_id": leave_type["id"],
                        "start_date": date, "end_date": date, "half_day": half}),
                    ),
                )
                .await,
                201,
            )
            .await;
            assert_eq!(leave["status"], "approved");
            leave_ids.push(leave["id"].as_str().unwrap().to_string());
        }
        // Friday 20th 13:00–17:00 in Auckland.
        json_of(
            record(
                &app,
                t,
                &kiwi,
                "2026-03-20T00:00:00Z",
                Some("2026-03-20T04:00:00Z"),
            )
            .await,
            201,
        )
        .await;
        let leave = days(&app, t, &kiwi, "2026-03-19", "2026-03-20").await;
        assert_eq!(statuses(&leave), ["on_leave", "present"]);
        assert_eq!(leave[0]["leave_request_id"], leave_ids[0].as_str());
        assert_eq!(leave[1]["leave_request_id"], leave_ids[1].as_str());

        // Kiritimati is UTC+14: Monday 22:00 there is Monday 08:00 UTC, Tuesday 06:00 is
        // Monday 16:00 UTC. Tuesday's shift, checked in at 00:30 on Wednesday, stays Tuesday's.
        json_of(
            record(
                &app,
                t,
                &owl,
                "2026-03-09T08:10:00Z",
                Some("2026-03-09T16:00:00Z"),
            )
            .await,
            201,
        )
        .await;
        json_of(
            record(
                &app,
                t,
                &owl,
                "2026-03-10T10:30:00Z",
                Some("2026-03-10T16:00:00Z"),
            )
            .await,
            201,
        )
        .await;
        let nights = days(&app, t, &owl, "2026-03-09", "2026-03-11").await;
        assert_eq!(statuses(&nights), ["late", "late", "absent"]);
        assert_eq!(nights[0]["late_minutes"], 10);
        assert_eq!(nights[0]["worked_minutes"], 470);
        assert_eq!(nights[1]["late_minutes"], 150);
        assert_eq!(nights[1]["worked_minutes"], 330);

        // The month, per employee.
        let summary = get(
            &app,
            t,
            "/api/v1/attendance/summary?month=2026-03&sort=first_name",
        )
        .await;
        let rows = summary["data"].as_array().unwrap();
        assert_eq!(rows.len(), 2);
        let k = &rows[0];
        assert_eq!(k["employee_id"], kiwi.as_str());
        assert_eq!(k["month"], "2026-03");
        for (field, n) in [
            ("present", 2),
            ("late", 1),
            ("half_day", 1),
            ("absent", 16),
            ("on_leave", 1),
            ("holiday", 1),
            ("weekend", 9),
            ("unset", 0),
            ("worked_minutes", 1450),
            ("late_minutes", 40),
        ] {
            assert_eq!(k[field], n, "{field}: {k}");
        }
        assert_eq!(rows[1]["late"], 2);
        let nights_only = get(
            &app,
            t,
            &format!(
                "/api/v1/attendance/summary?month=2026-03&department_id={}",
                id(&dept)
            ),
        )
        .await;
        assert_eq!(ids(&nights_only), [owl.as_str()]);
        let paged = get(
            &app,
            t,
            "/api/v1/attendance/summary?month=2026-03&limit=1&sort=first_name",
        )
        .await;
        assert_eq!(ids(&paged), [kiwi.as_str()]);
        assert!(paged["next_cursor"].is_string());

        // Ranges and bad parameters.
        let res = app
            .get_as(
                t,
                &format!(
                    "/api/v1/attendance/days?employee_id={kiwi}&from=2026-01-01&to=2027-01-02"
                ),
            )
            .await;
        refused(res, "to").await;
        let res = app
            .get_as(
                t,
                &format!(
                    "/api/v1/attendance/days?employee_id={kiwi}&from=2026-03-02&to=2026-03-01"
                ),
            )
            .await;
        refused(res, "to").await;
        refused(
            app.get_as(t, "/api/v1/attendance/days?from=03/01/2026")
                .await,
            "from",
        )
        .await;
        refused(
            app.get_as(t, "/api/v1/attendance/summary?month=2026-13")
                .await,
            "month",
        )
        .await;
        assert_eq!(
            days(&app, t, &kiwi, "2026-01-01", "2027-01-01").await.len(),
            366
        );
        // The admin has no employee record: their own days cannot be read.
        assert_eq!(app.get_as(t, "/api/v1/attendance/days").await.status(), 404);
        app.stop().await;
    }
);

backend_tests!(
    the_employee_role_punches_and_reads_its_own,
    |b| async move {
        let app = spawn_app(b).await;
        let admin = app.register_admin("Own Co").await;
        let t = admin.access.as_str();
        let user = app.user_with_roles(&admin, &["employee"]).await;
        let u = user.access.as_str();
        let mine = employee(&app, t, "Mine", json!({"user_id": user.user_id})).await;
        let theirs = employee(&app, t, "Theirs", json!({})).await;
        let their_record = json_of(
            record(
                &app,
                t,
                &theirs,
                "2026-03-10T09:00:00Z",
                Some("2026-03-10T17:00:00Z"),
            )
            .await,
            201,
        )
        .await;

        let open = json_of(
            post(&app, u, "/api/v1/attendance/check-in", json!({})).await,
            201,
        )
        .await;
        assert_eq!(open["employee_id"], mine.as_str());
        assert_eq!(ids(&get(&app, u, "/api/v1/attendance").await), [id(&open)]);
        assert_eq!(
            get(&app, u, &format!("/api/v1/attendance/{}", id(&open))).await["id"],
            open["id"]
        );
        let other = format!("/api/v1/attendance/{}", id(&their_record));
        assert_eq!(app.get_as(u, &other).await.status(), 404);
        // Own days by default (this month), today's row with the open punch.
        let today = chrono::Utc::now().date_naive().to_string();
        let month = get(&app, u, "/api/v1/attendance/days").await;
        let row = month["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["date"] == today.as_str())
            .cloned()
            .unwrap();
        assert_eq!(row["employee_id"], mine.as_str());
        assert_eq!(instant(&row["first_in"]), instant(&open["check_in_at"]));
        assert_eq!(row["last_out"], Value::Null);
        let res = app
            .get_as(u, &format!("/api/v1/attendance/days?employee_id={theirs}"))
            .await;
        assert_eq!(res.status(), 404);
        let summary = get(&app, u, "/api/v1/attendance/summary").await;
        assert_eq!(ids(&summary), [mine.as_str()]);
        // Writing records is HR's.
        let res = record(&app, u, &mine, "2026-03-10T09:00:00Z", None).await;
        assert_eq!(res.status(), 403);
        assert_eq!(
            patch(&app, u, &other, json!({"note": "x"})).await.status(),
            403
        );
        assert_eq!(delete(&app, u, &other).await.status(), 403);
        let closed = json_of(
            post(&app, u, "/api/v1/attendance/check-out", json!({})).await,
            200,
        )
        .await;
        assert_eq!(closed["id"], open["id"]);
        app.stop().await;
    }
);
