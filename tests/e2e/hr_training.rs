//! Training (contract section 8): programs and sessions with their rules, enrollments with
//! their seats (also two people racing for the last one), results and the pass stamp in the
//! organization's time zone, certifications and their statuses on known dates, the
//! `certification.expiring` notification told once per person however often the job runs,
//! `:own`, tenancy and concurrent patches.

use crate::backend_tests;
use crate::concurrency::{assert_concurrent_patches, json_of};
use crate::helpers::*;
use crate::hr_support::{delete, get, id, page_ids as ids, patch, post, problem, send_if};
use crate::identity_support::{create_as, db_exec, db_string};
use chrono::{Duration, Months, NaiveDate, Utc};
use futures_util::future::join_all;
use reqwest::Method;
use serde_json::{Value, json};

/// Today (UTC: the organizations of these tests are in UTC unless said otherwise; dates
/// keep days away from today, so the moment the test runs cannot tip a comparison).
fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// Noon UTC of `d`, as sent.
fn noon(d: NaiveDate) -> String {
    format!("{d}T12:00:00Z")
}

fn months(d: NaiveDate, n: u32) -> NaiveDate {
    d.checked_add_months(Months::new(n)).unwrap()
}

async fn patch_if(
    app: &TestApp,
    t: &str,
    path: &str,
    version: i64,
    body: Value,
) -> reqwest::Response {
    send_if(app, t, Method::PATCH, path, version, Some(body)).await
}

/// A `422` naming `field` with `code`.
async fn invalid(res: reqwest::Response, field: &str, code: &str) {
    let p = assert_problem(res, 422).await;
    let errs = p["errors"].as_array().unwrap();
    assert!(
        errs.iter()
            .any(|e| e["field"] == field && e["code"] == code),
        "{field}/{code} expected: {p}"
    );
}

async fn employee(app: &TestApp, t: &str, first: &str, user: Option<&str>) -> String {
    let extra = match user {
        Some(u) => json!({"user_id": u}),
        None => json!({}),
    };
    id(&crate::hr_support::employee(app, t, first, "2020-01-06", extra).await)
}

async fn program(app: &TestApp, t: &str, title: &str, validity: Option<i64>) -> String {
    let body = json!({"title": title, "validity_months": validity, "category": "safety"});
    id(&create_as(app, t, "/api/v1/training-programs", body).await)
}

/// A session of `program` ending at `ends_at` (started an hour before), of `capacity` seats.
async fn session(
    app: &TestApp,
    t: &str,
    program: &str,
    ends_at: &str,
    capacity: Option<i64>,
) -> String {
    let end: chrono::DateTime<Utc> = ends_at.parse().unwrap();
    let body = json!({"program_id": program, "starts_at": (end - Duration::hours(1)).to_rfc3339(),
        "ends_at": ends_at, "capacity": capacity, "location": "Room 1"});
    id(&create_as(app, t, "/api/v1/training-sessions", body).await)
}

async fn enroll(app: &TestApp, t: &str, session: &str, employee: &str) -> reqwest::Response {
    post(
        app,
        t,
        &format!("/api/v1/training-sessions/{session}/enrollments"),
        json!({"employee_id": employee}),
    )
    .await
}

async fn enrolled(app: &TestApp, t: &str, session: &str, employee: &str) -> Value {
    json_of(enroll(app, t, session, employee).await, 201).await
}

/// Enrolls `employee` in `session` and records a pass.
async fn pass(app: &TestApp, t: &str, session: &str, employee: &str) -> Value {
    let e = enrolled(app, t, session, employee).await;
    set_status(app, t, &id(&e), "passed").await
}

async fn set_status(app: &TestApp, t: &str, enrollment: &str, status: &str) -> Value {
    json_of(
        patch(
            app,
            t,
            &format!("/api/v1/training-enrollments/{enrollment}"),
            json!({"status": status}),
        )
        .await,
        200,
    )
    .await
}

async fn set_timezone(app: &TestApp, t: &str, zone: &str) {
    json_of(
        patch(app, t, "/api/v1/organization", json!({"timezone": zone})).await,
        200,
    )
    .await;
}

backend_tests!(programs_and_sessions_with_their_rules, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Training Co").await;
    let t = admin.access.as_str();

    // Programs: created with defaults, checked field by field.
    let res = post(
        &app,
        t,
        "/api/v1/training-programs",
        json!({"title": "First aid", "validity_months": 36}),
    )
    .await;
    assert_eq!(res.status(), 201);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(res.headers()["etag"], "\"1\"");
    let aid = json_of(res, 201).await;
    assert_eq!(location, format!("/api/v1/training-programs/{}", id(&aid)));
    assert_eq!(aid["is_mandatory"], false);
    assert_eq!(aid["validity_months"], 36);
    assert_eq!(aid["category"], Value::Null);
    assert_eq!(aid["version"], 1);
    let res = post(
        &app,
        t,
        "/api/v1/training-programs",
        json!({"title": "  ", "validity_months": 0}),
    )
    .await;
    let p = assert_problem(res, 422).await;
    let fields: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["title", "validity_months"], "{p}");
    invalid(
        post(
            &app,
            t,
            "/api/v1/training-programs",
            json!({"title": "X", "validity_months": 601}),
        )
        .await,
        "validity_months",
        "out_of_range",
    )
    .await;
    invalid(
        post(
            &app,
            t,
            "/api/v1/training-programs",
            json!({"title": "X", "is_mandatory": "yes"}),
        )
        .await,
        "is_mandatory",
        "invalid",
    )
    .await;
    let fire = id(&create_as(
        &app,
        t,
        "/api/v1/training-programs",
        json!({"title": "Fire warden", "is_mandatory": true, "category": "safety"}),
    )
    .await);
    let aid_id = id(&aid);
    let aid_path = format!("/api/v1/training-programs/{aid_id}");
    // Patch: a validity cleared (never expires), a category set; unknown fields refused.
    let changed = json_of(
        patch(
            &app,
            t,
            &aid_path,
            json!({"validity_months": null, "category": "health"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(changed["validity_months"], Value::Null);
    assert_eq!(changed["category"], "health");
    assert_eq!(changed["version"], 2);
    let res = patch(&app, t, &aid_path, json!({"id": fire})).await;
    assert_eq!(res.status(), 422);
    problem(
        patch_if(&app, t, &aid_path, 1, json!({"title": "Stale"})).await,
        412,
        "precondition-failed",
    )
    .await;
    let got = app.get_as(t, &aid_path).await;
    assert_eq!(got.headers()["etag"], "\"2\"");
    // Lists: by title; filters; search.
    let all = get(&app, t, "/api/v1/training-programs").await;
    assert_eq!(ids(&all), [fire.clone(), aid_id.clone()]);
    let mandatory = get(&app, t, "/api/v1/training-programs?is_mandatory=true").await;
    assert_eq!(ids(&mandatory), std::slice::from_ref(&fire));
    let safety = get(&app, t, "/api/v1/training-programs?category=safety").await;
    assert_eq!(ids(&safety), std::slice::from_ref(&fire));
    let found = get(&app, t, "/api/v1/training-programs?q=WARDEN").await;
    assert_eq!(ids(&found), std::slice::from_ref(&fire));
    let by = get(&app, t, "/api/v1/training-programs?sort=-title&count=true").await;
    assert_eq!(ids(&by), [aid_id.clone(), fire.clone()]);
    assert_eq!(by["total"], 2);

    // Sessions: of a program of the organization, ends after it starts.
    let s_body = json!({"program_id": aid_id, "starts_at": "2026-03-10T09:00:00+01:00",
            "ends_at": "2026-03-10T17:00:00+01:00", "capacity": 2, "trainer": "Red Cross"});
    let res = post(&app, t, "/api/v1/training-sessions", s_body.clone()).await;
    assert_eq!(res.status(), 201);
    let s = json_of(res, 201).await;
    assert_eq!(s["status"], "scheduled");
    assert_eq!(s["starts_at"], "2026-03-10T08:00:00Z");
    assert_eq!(s["capacity"], 2);
    let sid = id(&s);
    let s_path = format!("/api/v1/training-sessions/{sid}");
    let mut bad = s_body.clone();
    bad["program_id"] = json!(uuid::Uuid::now_v7());
    invalid(
        post(&app, t, "/api/v1/training-sessions", bad).await,
        "program_id",
        "not_found",
    )
    .await;
    let mut bad = s_body.clone();
    bad["ends_at"] = json!("2026-03-10T08:59:59+01:00");
    invalid(
        post(&app, t, "/api/v1/training-sessions", bad).await,
        "ends_at",
        "not_after_start",
    )
    .await;
    let mut bad = s_body.clone();
    bad["starts_at"] = json!("10 March");
    bad["capacity"] = json!(0);
    bad["status"] = json!("postponed");
    let res = post(&app, t, "/api/v1/training-sessions", bad).await;
    assert_eq!(res.status(), 422);
    let mut bad = s_body.clone();
    bad["starts_at"] = json!("10 March");
    bad["capacity"] = json!(0);
    let p = assert_problem(post(&app, t, "/api/v1/training-sessions", bad).await, 422).await;
    let fields: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["starts_at", "capacity"], "{p}");
    // The program is fixed; times are checked together; the capacity never drops below
    // the enrollments.
    invalid(
        patch(&app, t, &s_path, json!({"program_id": fire})).await,
        "program_id",
        "not_allowed",
    )
    .await;
    invalid(
        patch(
            &app,
            t,
            &s_path,
            json!({"starts_at": "2026-03-10T18:00:00+01:00"}),
        )
        .await,
        "ends_at",
        "not_after_start",
    )
    .await;
    let moved = json_of(patch(&app, t, &s_path, json!({"starts_at": "2026-03-10T10:00:00+01:00", "location": "Room 2", "trainer": null})).await, 200).await;
    assert_eq!(moved["starts_at"], "2026-03-10T09:00:00Z");
    assert_eq!(moved["trainer"], Value::Null);
    assert_eq!(moved["location"], "Room 2");
    let a = employee(&app, t, "Ann", None).await;
    let bb = employee(&app, t, "Bob", None).await;
    enrolled(&app, t, &sid, &a).await;
    enrolled(&app, t, &sid, &bb).await;
    invalid(
        patch(&app, t, &s_path, json!({"capacity": 1})).await,
        "capacity",
        "below_enrolled",
    )
    .await;
    let unlimited = json_of(
        patch(&app, t, &s_path, json!({"capacity": null})).await,
        200,
    )
    .await;
    assert_eq!(unlimited["capacity"], Value::Null);
    json_of(patch(&app, t, &s_path, json!({"capacity": 2})).await, 200).await;
    // A program with sessions, a session with enrollments: not deletable.
    problem(
        delete(&app, t, &aid_path).await,
        409,
        "training-program-in-use",
    )
    .await;
    problem(
        delete(&app, t, &s_path).await,
        409,
        "training-session-in-use",
    )
    .await;
    // Nor is an employee who has enrollments.
    problem(
        delete(&app, t, &format!("/api/v1/employees/{a}")).await,
        409,
        "employee-in-use",
    )
    .await;
    // A session without enrollments goes, then its program.
    let other = session(&app, t, &fire, "2026-04-01T12:00:00Z", None).await;
    let cancelled = json_of(
        patch(
            &app,
            t,
            &format!("/api/v1/training-sessions/{other}"),
            json!({"status": "cancelled"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(cancelled["status"], "cancelled");
    let list = get(
        &app,
        t,
        &format!("/api/v1/training-sessions?program_id={fire}"),
    )
    .await;
    assert_eq!(ids(&list), std::slice::from_ref(&other));
    let list = get(&app, t, "/api/v1/training-sessions?status=scheduled").await;
    assert_eq!(ids(&list), std::slice::from_ref(&sid));
    let list = get(&app, t, "/api/v1/training-sessions?sort=-starts_at").await;
    assert_eq!(ids(&list), [other.clone(), sid.clone()]);
    let list = get(&app, t, "/api/v1/training-sessions?q=room%202").await;
    assert_eq!(ids(&list), std::slice::from_ref(&sid));
    invalid(
        app.get_as(t, "/api/v1/training-sessions?status=postponed")
            .await,
        "status",
        "invalid",
    )
    .await;
    let res = delete(&app, t, &format!("/api/v1/training-sessions/{other}")).await;
    assert_eq!(res.status(), 204);
    assert_eq!(
        app.get_as(t, &format!("/api/v1/training-sessions/{other}"))
            .await
            .status(),
        404
    );
    assert_eq!(
        delete(&app, t, &format!("/api/v1/training-programs/{fire}"))
            .await
            .status(),
        204
    );
    assert_eq!(
        app.get_as(t, &format!("/api/v1/training-programs/{fire}"))
            .await
            .status(),
        404
    );

    // Each change is an event.
    let events = get(&app, t, "/api/v1/events?limit=200").await;
    let types: Vec<&str> = events["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    for ty in [
        "training_program.created",
        "training_program.updated",
        "training_program.deleted",
        "training_session.created",
        "training_session.updated",
        "training_session.deleted",
        "training_enrollment.created",
    ] {
        assert!(types.contains(&ty), "{ty} missing: {types:?}");
    }
    app.stop().await;
});

backend_tests!(
    enrollments_take_seats_once_and_record_results,
    |b| async move {
        let app = spawn_app(b).await;
        let admin = app.register_admin("Seats Co").await;
        let t = admin.access.as_str();
        let p = program(&app, t, "Forklift", Some(24)).await;
        let ended = today() - Duration::days(5);
        let s = session(&app, t, &p, &noon(ended), Some(2)).await;
        let (a, bb, c) = (
            employee(&app, t, "Ann", None).await,
            employee(&app, t, "Bob", None).await,
            employee(&app, t, "Cid", None).await,
        );
        let res = enroll(&app, t, &s, &a).await;
        assert_eq!(res.status(), 201);
        let location = res.headers()["location"].to_str().unwrap().to_string();
        let ea = json_of(res, 201).await;
        assert_eq!(
            location,
            format!("/api/v1/training-enrollments/{}", id(&ea))
        );
        assert_eq!(ea["status"], "enrolled");
        assert_eq!(ea["program_id"], p.as_str());
        assert_eq!(ea["session_id"], s.as_str());
        assert_eq!(
            (ea["completed_on"].clone(), ea["valid_until"].clone()),
            (Value::Null, Value::Null)
        );
        // Twice: 409; full: 409; nobody, another organization's nobody: 422; no session: 404.
        problem(
            enroll(&app, t, &s, &a).await,
            409,
            "training-enrollment-exists",
        )
        .await;
        let eb = enrolled(&app, t, &s, &bb).await;
        problem(enroll(&app, t, &s, &c).await, 409, "training-session-full").await;
        invalid(
            enroll(&app, t, &s, &uuid::Uuid::now_v7().to_string()).await,
            "employee_id",
            "not_found",
        )
        .await;
        invalid(
            post(
                &app,
                t,
                &format!("/api/v1/training-sessions/{s}/enrollments"),
                json!({"employee_id": "nope"}),
            )
            .await,
            "employee_id",
            "invalid",
        )
        .await;
        assert_eq!(
            enroll(&app, t, &uuid::Uuid::now_v7().to_string(), &c)
                .await
                .status(),
            404
        );
        // A cancelled session takes nobody; a terminated employee takes no session.
        let other = session(&app, t, &p, &noon(ended), None).await;
        json_of(
            patch(
                &app,
                t,
                &format!("/api/v1/training-sessions/{other}"),
                json!({"status": "cancelled"}),
            )
            .await,
            200,
        )
        .await;
        problem(
            enroll(&app, t, &other, &c).await,
            409,
            "training-session-cancelled",
        )
        .await;
        json_of(
            patch(
                &app,
                t,
                &format!("/api/v1/training-sessions/{other}"),
                json!({"status": "completed"}),
            )
            .await,
            200,
        )
        .await;
        enrolled(&app, t, &other, &c).await;
        json_of(
            post(
                &app,
                t,
                &format!("/api/v1/employees/{c}/terminate"),
                json!({"date": today().to_string(), "reason": "Left"}),
            )
            .await,
            200,
        )
        .await;
        let third = session(&app, t, &p, &noon(ended), None).await;
        problem(
            enroll(&app, t, &third, &c).await,
            409,
            "employee-terminated",
        )
        .await;

        // The session's enrollments, and every enrollment.
        let list = get(
            &app,
            t,
            &format!("/api/v1/training-sessions/{s}/enrollments"),
        )
        .await;
        assert_eq!(ids(&list), [id(&ea), id(&eb)]);
        let list = get(
            &app,
            t,
            &format!("/api/v1/training-sessions/{s}/enrollments?employee_id={bb}&count=true"),
        )
        .await;
        assert_eq!(ids(&list), [id(&eb)]);
        assert_eq!(list["total"], 1);
        let list = get(
            &app,
            t,
            &format!("/api/v1/training-enrollments?session_id={s}&sort=-created_at"),
        )
        .await;
        assert_eq!(ids(&list), [id(&eb), id(&ea)]);
        assert_eq!(
            app.get_as(
                t,
                &format!(
                    "/api/v1/training-sessions/{}/enrollments",
                    uuid::Uuid::now_v7()
                )
            )
            .await
            .status(),
            404
        );

        // Results: a pass stamps the session's end date and the validity; leaving it clears.
        let path = format!("/api/v1/training-enrollments/{}", id(&ea));
        let got = app.get_as(t, &path).await;
        assert_eq!(got.headers()["etag"], "\"1\"");
        let passed = json_of(
            patch_if(
                &app,
                t,
                &path,
                1,
                json!({"status": "passed", "score": 95, "notes": "Safe driver"}),
            )
            .await,
            200,
        )
        .await;
        assert_eq!(passed["completed_on"], ended.to_string());
        assert_eq!(passed["valid_until"], months(ended, 24).to_string());
        assert_eq!(passed["score"], 95);
        assert_eq!(passed["version"], 2);
        problem(
            patch_if(&app, t, &path, 1, json!({"score": 20})).await,
            412,
            "precondition-failed",
        )
        .await;
        // Still passed: a new score keeps the stamp.
        let rescored = json_of(patch(&app, t, &path, json!({"score": 90})).await, 200).await;
        assert_eq!(rescored["completed_on"], ended.to_string());
        let failed = set_status(&app, t, &id(&ea), "failed").await;
        assert_eq!(
            (
                failed["completed_on"].clone(),
                failed["valid_until"].clone()
            ),
            (Value::Null, Value::Null)
        );
        assert_eq!(failed["score"], 90);
        let cleared = json_of(
            patch(&app, t, &path, json!({"score": null, "notes": null})).await,
            200,
        )
        .await;
        assert_eq!(
            (cleared["score"].clone(), cleared["notes"].clone()),
            (Value::Null, Value::Null)
        );
        invalid(
            patch(&app, t, &path, json!({"score": 101})).await,
            "score",
            "out_of_range",
        )
        .await;
        invalid(
            patch(&app, t, &path, json!({"score": -1})).await,
            "score",
            "out_of_range",
        )
        .await;
        invalid(
            patch(&app, t, &path, json!({"status": "graduated"})).await,
            "status",
            "invalid",
        )
        .await;
        invalid(
            patch(&app, t, &path, json!({"completed_on": "2026-01-01"})).await,
            "completed_on",
            "not_allowed",
        )
        .await;
        for status in ["enrolled", "attended", "no_show", "passed"] {
            assert_eq!(
                set_status(&app, t, &id(&ea), status).await["status"],
                status
            );
        }
        // A cancelled session gives no results, but a no-show can be said.
        let s_path = format!("/api/v1/training-sessions/{s}");
        json_of(
            patch(&app, t, &s_path, json!({"status": "cancelled"})).await,
            200,
        )
        .await;
        let eb_path = format!("/api/v1/training-enrollments/{}", id(&eb));
        problem(
            patch(&app, t, &eb_path, json!({"status": "passed"})).await,
            409,
            "training-session-cancelled",
        )
        .await;
        problem(
            patch(&app, t, &eb_path, json!({"status": "attended"})).await,
            409,
            "training-session-cancelled",
        )
        .await;
        assert_eq!(
            set_status(&app, t, &id(&eb), "no_show").await["status"],
            "no_show"
        );
        // Lists filter by status and sort by score.
        let list = get(&app, t, "/api/v1/training-enrollments?status=passed").await;
        assert_eq!(ids(&list), [id(&ea)]);
        let events = get(
            &app,
            t,
            "/api/v1/events?type=training_enrollment.updated&limit=200",
        )
        .await;
        assert!(events["data"].as_array().unwrap().len() >= 8, "{events}");
        app.stop().await;
    }
);

backend_tests!(
    two_people_racing_for_the_last_seat_one_wins,
    |b| async move {
        let app = spawn_app(b).await;
        let admin = app.register_admin("Race Seats").await;
        let t = admin.access.clone();
        let p = program(&app, &t, "Crane", None).await;
        let mut people = Vec::new();
        for n in 0..6 {
            people.push(employee(&app, &t, &format!("P{n}"), None).await);
        }
        for round in 0..3 {
            // One seat left of three: two others hold two of them.
            let s = session(&app, &t, &p, "2026-05-01T12:00:00Z", Some(3)).await;
            enrolled(&app, &t, &s, &people[4]).await;
            enrolled(&app, &t, &s, &people[5]).await;
            let (x, y) = (&people[round * 2 % 4], &people[round * 2 % 4 + 1]);
            let sends = [x, y].map(|e| {
                let url = app.url(&format!("/api/v1/training-sessions/{s}/enrollments"));
                let req = reqwest::Client::new()
                    .post(url)
                    .bearer_auth(&t)
                    .json(&json!({"employee_id": e}));
                async move { req.send().await.unwrap() }
            });
            let mut codes = Vec::new();
            for res in join_all(sends).await {
                let status = res.status().as_u16();
                let body: Value = res.json().await.unwrap();
                if status == 409 {
                    assert!(
                        body["type"]
                            .as_str()
                            .unwrap()
                            .ends_with("/training-session-full"),
                        "{body}"
                    );
                }
                codes.push(status);
            }
            codes.sort();
            assert_eq!(codes, [201, 409], "round {round}");
            let list = get(
                &app,
                &t,
                &format!("/api/v1/training-sessions/{s}/enrollments?count=true"),
            )
            .await;
            assert_eq!(list["total"], 3, "round {round}");
        }
        // The same person twice at once: one enrollment.
        let s = session(&app, &t, &p, "2026-05-02T12:00:00Z", None).await;
        let sends = (0..2).map(|_| {
            let url = app.url(&format!("/api/v1/training-sessions/{s}/enrollments"));
            let req = reqwest::Client::new()
                .post(url)
                .bearer_auth(&t)
                .json(&json!({"employee_id": people[0]}));
            async move { req.send().await.unwrap().status().as_u16() }
        });
        let mut codes = join_all(sends).await;
        codes.sort();
        assert_eq!(codes, [201, 409]);
        app.stop().await;
    }
);

backend_tests!(
    a_pass_completes_on_the_sessions_end_date_in_the_organizations_zone,
    |b| async move {
        let app = spawn_app(b).await;
        let admin = app.register_admin("Kiwi Co").await;
        let t = admin.access.as_str();
        set_timezone(&app, t, "Pacific/Auckland").await;
        let yearly = program(&app, t, "Yearly", Some(12)).await;
        let monthly = program(&app, t, "Monthly", Some(1)).await;
        let ann = employee(&app, t, "Ann", None).await;
        // 22:30 UTC on 10 March is 11:30 on 11 March in Auckland (daylight time, UTC+13).
        let late = session(&app, t, &yearly, "2026-03-10T22:30:00Z", None).await;
        let e = pass(&app, t, &late, &ann).await;
        assert_eq!(e["completed_on"], "2026-03-11");
        assert_eq!(e["valid_until"], "2027-03-11");
        // 12:00 UTC on 30 January is 01:00 on 31 January there; a month on is 28 February.
        let month_end = session(&app, t, &monthly, "2026-01-30T12:00:00Z", None).await;
        let m = pass(&app, t, &month_end, &ann).await;
        assert_eq!(m["completed_on"], "2026-01-31");
        assert_eq!(m["valid_until"], "2026-02-28");
        // In winter (UTC+12), 11:59 UTC is still the same day, 12:00 the next.
        let winter = session(&app, t, &yearly, "2026-07-01T11:59:00Z", None).await;
        let bob = employee(&app, t, "Bob", None).await;
        assert_eq!(
            pass(&app, t, &winter, &bob).await["completed_on"],
            "2026-07-01"
        );
        // The organization's zone when the pass is recorded: back in UTC, a new pass of the
        // late session is the 10th.
        set_timezone(&app, t, "UTC").await;
        set_status(&app, t, &id(&e), "attended").await;
        let again = set_status(&app, t, &id(&e), "passed").await;
        assert_eq!(again["completed_on"], "2026-03-10");
        assert_eq!(again["valid_until"], "2027-03-10");
        // The certification reads the stamp.
        let certs = get(
            &app,
            t,
            &format!("/api/v1/certifications?employee_id={ann}&program_id={yearly}"),
        )
        .await;
        assert_eq!(certs["data"][0]["completed_on"], "2026-03-10");
        assert_eq!(certs["data"][0]["id"], id(&e).as_str());
        app.stop().await;
    }
);

backend_tests!(certification_statuses_on_known_dates, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Certs Co").await;
    let t = admin.access.as_str();
    let yearly = program(&app, t, "Yearly", Some(12)).await;
    let monthly = program(&app, t, "Monthly", Some(1)).await;
    let forever = program(&app, t, "Forever", None).await;
    let (ann, bob) = (
        employee(&app, t, "Ann", None).await,
        employee(&app, t, "Bob", None).await,
    );
    let long_ago = NaiveDate::from_ymd_opt(2020, 1, 15).unwrap();
    // Ann: yearly passed in 2020 (expired in 2021) and again 10 days ago (valid: the
    // latest pass is the certification); monthly 20 days ago (expiring in 8 to 11
    // days); forever in 2020 (valid, never expires).
    let old_yearly = pass(
        &app,
        t,
        &session(&app, t, &yearly, &noon(long_ago), None).await,
        &ann,
    )
    .await;
    assert_eq!(old_yearly["valid_until"], "2021-01-15");
    let recent = today() - Duration::days(10);
    let new_yearly = pass(
        &app,
        t,
        &session(&app, t, &yearly, &noon(recent), None).await,
        &ann,
    )
    .await;
    let soon = today() - Duration::days(20);
    let ann_monthly = pass(
        &app,
        t,
        &session(&app, t, &monthly, &noon(soon), None).await,
        &ann,
    )
    .await;
    let ann_forever = pass(
        &app,
        t,
        &session(&app, t, &forever, &noon(long_ago), None).await,
        &ann,
    )
    .await;
    // Bob: yearly in 2020 only (expired); monthly 60 days ago failed (no certification);
    // forever attended (none).
    let bob_yearly = pass(
        &app,
        t,
        &session(&app, t, &yearly, &noon(long_ago), None).await,
        &bob,
    )
    .await;
    let s = session(&app, t, &monthly, &noon(today() - Duration::days(60)), None).await;
    let failed = enrolled(&app, t, &s, &bob).await;
    set_status(&app, t, &id(&failed), "failed").await;
    let s = session(&app, t, &forever, &noon(long_ago), None).await;
    let attended = enrolled(&app, t, &s, &bob).await;
    set_status(&app, t, &id(&attended), "attended").await;

    let all = get(&app, t, "/api/v1/certifications?count=true").await;
    // Soonest to expire first, never-expiring last.
    assert_eq!(
        ids(&all),
        [
            id(&bob_yearly),
            id(&ann_monthly),
            id(&new_yearly),
            id(&ann_forever)
        ],
        "{all}"
    );
    assert_eq!(all["total"], 4);
    let row = |cid: &str| {
        all["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == cid)
            .unwrap()
            .clone()
    };
    let c = row(&id(&bob_yearly));
    assert_eq!(c["status"], "expired");
    assert_eq!(c["employee_id"], bob.as_str());
    assert_eq!(c["program_id"], yearly.as_str());
    assert_eq!(
        (c["completed_on"].as_str(), c["valid_until"].as_str()),
        (Some("2020-01-15"), Some("2021-01-15"))
    );
    let c = row(&id(&ann_monthly));
    assert_eq!(c["status"], "expiring");
    assert_eq!(c["completed_on"], soon.to_string());
    assert_eq!(c["valid_until"], months(soon, 1).to_string());
    let c = row(&id(&new_yearly));
    assert_eq!(c["status"], "valid");
    assert_eq!(c["valid_until"], months(recent, 12).to_string());
    let c = row(&id(&ann_forever));
    assert_eq!(
        (c["status"].as_str(), c["valid_until"].clone()),
        (Some("valid"), Value::Null)
    );
    // Filters: status, expiring_before (expired ones included, never-expiring never),
    // employee, program; sorts; pages.
    let q = |query: &str| {
        let url = format!("/api/v1/certifications?{query}");
        let app = &app;
        async move { ids(&get(app, t, &url).await) }
    };
    assert_eq!(q("status=expired").await, [id(&bob_yearly)]);
    assert_eq!(q("status=expiring").await, [id(&ann_monthly)]);
    assert_eq!(q("status=valid").await, [id(&new_yearly), id(&ann_forever)]);
    let before = today() + Duration::days(40);
    assert_eq!(
        q(&format!("expiring_before={before}")).await,
        [id(&bob_yearly), id(&ann_monthly)]
    );
    assert_eq!(
        q(&format!("expiring_before={before}&status=expiring")).await,
        [id(&ann_monthly)]
    );
    assert_eq!(q(&format!("employee_id={bob}")).await, [id(&bob_yearly)]);
    assert_eq!(
        q(&format!("program_id={yearly}&sort=completed_on")).await,
        [id(&bob_yearly), id(&new_yearly)]
    );
    assert_eq!(
        q("sort=-valid_until").await,
        [
            id(&ann_forever),
            id(&new_yearly),
            id(&ann_monthly),
            id(&bob_yearly)
        ]
    );
    let walked = walk(&app, t, "/api/v1/certifications?limit=1").await;
    assert_eq!(ids(&json!({ "data": walked })), ids(&all));
    invalid(
        app.get_as(t, "/api/v1/certifications?status=lapsed").await,
        "status",
        "invalid",
    )
    .await;
    invalid(
        app.get_as(t, "/api/v1/certifications?expiring_before=soon")
            .await,
        "expiring_before",
        "invalid",
    )
    .await;
    invalid(
        app.get_as(t, "/api/v1/certifications?sort=status").await,
        "sort",
        "invalid",
    )
    .await;
    // A later pass that fails again leaves the older pass as the certification.
    set_status(&app, t, &id(&new_yearly), "failed").await;
    assert_eq!(
        q(&format!("employee_id={ann}&program_id={yearly}")).await,
        [id(&old_yearly)]
    );
    app.stop().await;
});

/// The notifications of `token`'s user of `ty`, as (type, record id).
async fn notes(app: &TestApp, token: &str, ty: &str) -> Vec<String> {
    let page = get(app, token, "/api/v1/notifications?limit=200").await;
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["type"] == ty)
        .map(|n| n["record_id"].as_str().unwrap().to_string())
        .collect()
}

/// Lets the next poll run the expiry job again (this hour's period is claimed already) and
/// waits for it to finish.
async fn run_expiry_job(app: &TestApp) {
    db_exec(
        app,
        "DELETE FROM job_runs WHERE job = 'certifications_expiring'",
        vec![],
    )
    .await;
    let finished = "SELECT CAST(COUNT(*) AS CHAR(20)) FROM job_runs \
                    WHERE job = 'certifications_expiring' AND finished_at IS NOT NULL";
    for _ in 0..100 {
        let n = db_string(app, finished, vec![]).await.unwrap_or_default();
        if n.trim() == "1" {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the expiry job did not run");
}

backend_tests!(
    an_expiring_certification_is_told_once_to_the_person_and_hr,
    |b| async move {
        let app = spawn_app_with(b, &[("CRM__JOBS__POLL_SECS", "1")]).await;
        let admin = app.register_admin("Expiry Co").await;
        let t = admin.access.as_str();
        let hr = app.user_with_roles(&admin, &["hr"]).await;
        let manager = app.user_with_roles(&admin, &["manager"]).await;
        let person = app.user_with_roles(&admin, &["employee"]).await;
        let ann = employee(&app, t, "Ann", Some(&person.user_id)).await;
        let monthly = program(&app, t, "Monthly", Some(1)).await;
        let yearly = program(&app, t, "Yearly", Some(12)).await;
        // Expiring in 8 to 11 days; another expired long ago; another valid for a year.
        let soon = pass(
            &app,
            t,
            &session(&app, t, &monthly, &noon(today() - Duration::days(20)), None).await,
            &ann,
        )
        .await;
        let gone = pass(
            &app,
            t,
            &session(&app, t, &yearly, "2020-01-15T12:00:00Z", None).await,
            &ann,
        )
        .await;
        let s = session(
            &app,
            &hr.access,
            &monthly,
            &noon(today() - Duration::days(2)),
            None,
        )
        .await;
        let fresh = enrolled(&app, &hr.access, &s, &ann).await;
        assert_eq!(gone["valid_until"], "2021-01-15");

        run_expiry_job(&app).await;
        let expected = vec![id(&soon)];
        for who in [&person, &hr, &admin] {
            assert_eq!(
                notes(&app, &who.access, "certification.expiring").await,
                expected,
                "{}",
                who.email
            );
        }
        assert!(
            notes(&app, &manager.access, "certification.expiring")
                .await
                .is_empty()
        );
        // The job runs again (a later hour, another instance): nobody is told twice.
        run_expiry_job(&app).await;
        run_expiry_job(&app).await;
        for who in [&person, &hr, &admin] {
            assert_eq!(
                notes(&app, &who.access, "certification.expiring").await,
                expected,
                "{}",
                who.email
            );
        }
        let events = get(
            &app,
            t,
            "/api/v1/events?type=certification.expiring&limit=200",
        )
        .await;
        let events = events["data"].as_array().unwrap();
        assert_eq!(events.len(), 1, "{events:?}");
        assert_eq!(events[0]["data"]["status"], "expiring");
        assert_eq!(events[0]["data"]["id"], id(&soon).as_str());
        // A new pass of the program (two days ago: a month on is 26 to 29 days away) is a
        // new certification, told once in its turn.
        set_status(&app, t, &id(&fresh), "passed").await;
        run_expiry_job(&app).await;
        run_expiry_job(&app).await;
        let latest = get(
            &app,
            t,
            &format!("/api/v1/certifications?employee_id={ann}&program_id={monthly}"),
        )
        .await;
        assert_eq!(ids(&latest), [id(&fresh)]);
        assert_eq!(latest["data"][0]["status"], "expiring");
        for who in [&person, &hr, &admin] {
            let mut told = notes(&app, &who.access, "certification.expiring").await;
            told.sort();
            let mut both = vec![id(&soon), id(&fresh)];
            both.sort();
            assert_eq!(told, both, "{}", who.email);
        }
        app.stop().await;
    }
);

backend_tests!(
    own_enrollments_and_certifications_are_the_callers,
    |b| async move {
        let app = spawn_app(b).await;
        let admin = app.register_admin("Own Co").await;
        let t = admin.access.as_str();
        let me = app.user_with_roles(&admin, &["employee"]).await;
        let nobody_record = app.user_with_roles(&admin, &["employee"]).await;
        let mine = employee(&app, t, "Me", Some(&me.user_id)).await;
        let theirs = employee(&app, t, "Them", None).await;
        let p = program(&app, t, "Yearly", Some(12)).await;
        let s = session(&app, t, &p, &noon(today() - Duration::days(3)), None).await;
        let my_e = pass(&app, t, &s, &mine).await;
        let their_e = pass(&app, t, &s, &theirs).await;
        let m = me.access.as_str();
        assert_eq!(
            ids(&get(&app, m, "/api/v1/training-enrollments").await),
            [id(&my_e)]
        );
        assert_eq!(
            ids(&get(
                &app,
                m,
                &format!("/api/v1/training-enrollments?employee_id={theirs}")
            )
            .await),
            Vec::<String>::new()
        );
        assert_eq!(
            ids(&get(
                &app,
                m,
                &format!("/api/v1/training-sessions/{s}/enrollments")
            )
            .await),
            [id(&my_e)]
        );
        assert_eq!(
            get(
                &app,
                m,
                &format!("/api/v1/training-enrollments/{}", id(&my_e))
            )
            .await["id"],
            id(&my_e).as_str()
        );
        assert_eq!(
            app.get_as(m, &format!("/api/v1/training-enrollments/{}", id(&their_e)))
                .await
                .status(),
            404
        );
        assert_eq!(
            ids(&get(&app, m, "/api/v1/certifications").await),
            [id(&my_e)]
        );
        // Reading is all `:own` gives.
        assert_eq!(enroll(&app, m, &s, &mine).await.status(), 403);
        assert_eq!(
            patch(
                &app,
                m,
                &format!("/api/v1/training-enrollments/{}", id(&my_e)),
                json!({"score": 100})
            )
            .await
            .status(),
            403
        );
        assert_eq!(
            app.get_as(m, "/api/v1/training-sessions").await.status(),
            403
        );
        assert_eq!(
            app.get_as(m, "/api/v1/training-programs").await.status(),
            403
        );
        // Without an employee record, nothing is one's own.
        let n = nobody_record.access.as_str();
        assert!(ids(&get(&app, n, "/api/v1/training-enrollments?count=true").await).is_empty());
        assert!(ids(&get(&app, n, "/api/v1/certifications").await).is_empty());
        assert_eq!(
            app.get_as(n, &format!("/api/v1/training-enrollments/{}", id(&my_e)))
                .await
                .status(),
            404
        );
        // HR reads everyone's.
        let hr = app.user_with_roles(&admin, &["hr"]).await;
        assert_eq!(
            get(&app, &hr.access, "/api/v1/certifications").await["data"]
                .as_array()
                .unwrap()
                .len(),
            2
        );
        // A manager reads every enrollment but changes none.
        let manager = app.user_with_roles(&admin, &["manager"]).await;
        assert_eq!(
            ids(&get(&app, &manager.access, "/api/v1/training-enrollments").await).len(),
            2
        );
        assert_eq!(
            patch(
                &app,
                &manager.access,
                &format!("/api/v1/training-enrollments/{}", id(&my_e)),
                json!({"score": 1})
            )
            .await
            .status(),
            403
        );
        app.stop().await;
    }
);

backend_tests!(
    another_organizations_training_is_out_of_reach,
    |b| async move {
        let app = spawn_app(b).await;
        let a = app.register_admin("Tenant A").await;
        let bb = app.register_admin("Tenant B").await;
        let (ta, tb) = (a.access.as_str(), bb.access.as_str());
        let pa = program(&app, ta, "A's", Some(12)).await;
        let sa = session(&app, ta, &pa, &noon(today() - Duration::days(3)), Some(5)).await;
        let ea = employee(&app, ta, "Ann", None).await;
        let enr = pass(&app, ta, &sa, &ea).await;
        let pb = program(&app, tb, "B's", Some(12)).await;
        let sb = session(&app, tb, &pb, &noon(today() - Duration::days(3)), Some(5)).await;
        let eb = employee(&app, tb, "Bea", None).await;
        // B cannot enroll in A's session, nor enroll A's employee in its own, nor schedule a
        // session of A's program.
        assert_eq!(enroll(&app, tb, &sa, &eb).await.status(), 404);
        invalid(enroll(&app, tb, &sb, &ea).await, "employee_id", "not_found").await;
        let body = json!({"program_id": pa, "starts_at": "2026-03-10T09:00:00Z", "ends_at": "2026-03-10T10:00:00Z"});
        invalid(
            post(&app, tb, "/api/v1/training-sessions", body).await,
            "program_id",
            "not_found",
        )
        .await;
        for path in [
            format!("/api/v1/training-programs/{pa}"),
            format!("/api/v1/training-sessions/{sa}"),
            format!("/api/v1/training-sessions/{sa}/enrollments"),
            format!("/api/v1/training-enrollments/{}", id(&enr)),
        ] {
            assert_eq!(app.get_as(tb, &path).await.status(), 404, "{path}");
        }
        assert_eq!(
            patch(
                &app,
                tb,
                &format!("/api/v1/training-enrollments/{}", id(&enr)),
                json!({"status": "failed"})
            )
            .await
            .status(),
            404
        );
        pass(&app, tb, &sb, &eb).await;
        for path in [
            "/api/v1/certifications",
            "/api/v1/training-enrollments",
            "/api/v1/training-sessions",
            "/api/v1/training-programs",
        ] {
            let text = app.get_as(tb, path).await.text().await.unwrap();
            for a_id in [&pa, &sa, &ea, &id(&enr)] {
                assert!(!text.contains(a_id.as_str()), "{path} shows A's {a_id}");
            }
        }
        assert_eq!(
            get(&app, tb, "/api/v1/certifications").await["data"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
        // A's record is untouched.
        assert_eq!(
            get(
                &app,
                ta,
                &format!("/api/v1/training-enrollments/{}", id(&enr))
            )
            .await["version"],
            2
        );
        app.stop().await;
    }
);

backend_tests!(simultaneous_training_patches, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Race Training").await;
    let t = admin.access.as_str();
    let p = program(&app, t, "Racy", None).await;
    let s = session(&app, t, &p, "2026-05-01T12:00:00Z", None).await;
    let e = employee(&app, t, "Ann", None).await;
    let enr = id(&enrolled(&app, t, &s, &e).await);
    let text =
        |field: &'static str| move |r: &Value| r[field].as_str().unwrap_or_default().to_string();
    assert_concurrent_patches(
        &app,
        t,
        &format!("/api/v1/training-programs/{p}"),
        |v| json!({"title": v}),
        text("title"),
    )
    .await;
    assert_concurrent_patches(
        &app,
        t,
        &format!("/api/v1/training-sessions/{s}"),
        |v| json!({"location": v}),
        text("location"),
    )
    .await;
    assert_concurrent_patches(
        &app,
        t,
        &format!("/api/v1/training-enrollments/{enr}"),
        |v| json!({"notes": v, "status": "passed"}),
        text("notes"),
    )
    .await;
    let stored = get(&app, t, &format!("/api/v1/training-enrollments/{enr}")).await;
    assert_eq!(stored["completed_on"], "2026-05-01");
    app.stop().await;
});
