//! HR people core (contract section 8): employees with their numbers, manager chains,
//! termination, personal data and `:own`; work schedules with one default per organization;
//! holidays.

use crate::backend_tests;
use crate::concurrency::{assert_concurrent_patches, json_of};
use crate::helpers::*;
use crate::hr_support::*;
use reqwest::Method;
use serde_json::{Value, json};

backend_tests!(
    employees_are_numbered_linked_once_and_read_by_scope,
    |b| async move {
        let app = spawn_app(b).await;
        let admin = app.register_admin("People Co").await;
        let t = admin.access.as_str();
        let staff = app.user_with_roles(&admin, &["employee"]).await;
        let other_staff = app.user_with_roles(&admin, &["employee"]).await;

        // Numbered from the organization's counter; the default schedule is created on need.
        let res = post(
        &app,
        t,
        "/api/v1/employees",
        json!({"first_name": "Ada", "last_name": "Lovelace", "hire_date": "2026-01-05",
               "user_id": staff.user_id, "email": "Ada@Example.com",
               "date_of_birth": "1990-12-10", "address": "12 Square",
               "emergency_contact": {"name": "Maria", "phone": "+39 06 1234", "relation": "spouse"}}),
    )
    .await;
        assert_eq!(res.status(), 201);
        assert_eq!(res.headers()["etag"], "\"1\"");
        let location = res.headers()["location"].to_str().unwrap().to_string();
        let ada: Value = res.json().await.unwrap();
        assert_eq!(location, format!("/api/v1/employees/{}", id(&ada)));
        assert_eq!(ada["employee_number"], "EMP-0001");
        assert_eq!(ada["status"], "active");
        assert_eq!(ada["employment_type"], "full_time");
        assert_eq!(ada["termination_date"], Value::Null);
        let schedules = get(&app, t, "/api/v1/work-schedules").await;
        let default = &schedules["data"][0];
        assert_eq!(default["is_default"], true);
        assert_eq!(ada["work_schedule_id"], default["id"]);
        let org = get(&app, t, "/api/v1/organization").await;
        assert_eq!(default["time_zone"], org["timezone"]);
        assert_eq!(default["days"].as_array().unwrap().len(), 5);
        assert_eq!(
            default["days"][0],
            json!({"weekday": 1, "start": "09:00", "end": "17:00", "break_minutes": 0})
        );

        let bob = employee(
            &app,
            t,
            "Bob",
            "2026-02-01",
            json!({"user_id": other_staff.user_id}),
        )
        .await;
        assert_eq!(bob["employee_number"], "EMP-0002");

        // A user is linked to at most one employee.
        let res = post(
        &app,
        t,
        "/api/v1/employees",
        json!({"first_name": "Dup", "last_name": "Link", "hire_date": "2026-01-05", "user_id": staff.user_id}),
    )
    .await;
        problem(res, 409, "employee-user-taken").await;
        let res = patch(
            &app,
            t,
            &format!("/api/v1/employees/{}", id(&bob)),
            json!({"user_id": staff.user_id}),
        )
        .await;
        problem(res, 409, "employee-user-taken").await;

        // Every bad field named, nested ones by their path.
        let res = post(
            &app,
            t,
            "/api/v1/employees",
            json!({"first_name": " ", "last_name": "X", "hire_date": "2026-13-01",
               "email": "not-an-email", "emergency_contact": {"name": "M", "phone": "call me"},
               "manager_id": uuid::Uuid::now_v7(), "department_id": uuid::Uuid::now_v7()}),
        )
        .await;
        let p = refused(res, "first_name").await;
        for field in [
            "hire_date",
            "email",
            "emergency_contact.phone",
            "manager_id",
            "department_id",
        ] {
            assert!(
                p["errors"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|e| e["field"] == field),
                "{field}: {p}"
            );
        }
        let res = post(
        &app,
        t,
        "/api/v1/employees",
        json!({"first_name": "A", "last_name": "B", "hire_date": "2026-01-05", "employment_type": "slave"}),
    )
    .await;
        refused(res, "employment_type").await;
        let res = post(
        &app,
        t,
        "/api/v1/employees",
        json!({"first_name": "A", "last_name": "B", "hire_date": "2026-01-05", "date_of_birth": "2027-01-01"}),
    )
    .await;
        refused(res, "date_of_birth").await;

        // An employee sees their own record, personal data included, and nobody else's.
        let mine = get(&app, &staff.access, "/api/v1/employees").await;
        assert_eq!(page_ids(&mine), vec![id(&ada)]);
        assert_eq!(mine["data"][0]["address"], "12 Square");
        assert_eq!(mine["data"][0]["emergency_contact"]["relation"], "spouse");
        let res = app
            .get_as(&staff.access, &format!("/api/v1/employees/{}", id(&bob)))
            .await;
        assert_eq!(res.status(), 404);
        let res = post(
            &app,
            &staff.access,
            "/api/v1/employees",
            json!({"first_name": "Me", "last_name": "Too", "hire_date": "2026-01-05"}),
        )
        .await;
        assert_eq!(res.status(), 403);
        // The manager role reads everyone, personal data included.
        let manager = app.user_with_roles(&admin, &["manager"]).await;
        let seen = get(
            &app,
            &manager.access,
            &format!("/api/v1/employees/{}", id(&ada)),
        )
        .await;
        assert_eq!(seen["date_of_birth"], "1990-12-10");
        let res = patch(
            &app,
            &manager.access,
            &format!("/api/v1/employees/{}", id(&ada)),
            json!({"phone": "+1 555"}),
        )
        .await;
        assert_eq!(res.status(), 403);

        // Another organization's employee is not found; lists filter and search.
        let other = app.register_admin("Elsewhere Co").await;
        let res = app
            .get_as(&other.access, &format!("/api/v1/employees/{}", id(&ada)))
            .await;
        assert_eq!(res.status(), 404);
        let found = get(&app, t, "/api/v1/employees?q=lovelace").await;
        assert_eq!(page_ids(&found), vec![id(&ada)]);
        let found = get(
            &app,
            t,
            &format!("/api/v1/employees?user_id={}", other_staff.user_id),
        )
        .await;
        assert_eq!(page_ids(&found), vec![id(&bob)]);

        // Audit entries for the writes.
        let acts = get(
            &app,
            t,
            &format!(
                "/api/v1/activities?entity_type=employee&entity_id={}",
                id(&ada)
            ),
        )
        .await;
        assert_eq!(acts["data"][0]["action"], "created");

        assert_concurrent_patches(
            &app,
            t,
            &format!("/api/v1/employees/{}", id(&bob)),
            |v| json!({"last_name": v}),
            |r| r["last_name"].as_str().unwrap().to_string(),
        )
        .await;
        app.stop().await;
    }
);

backend_tests!(
    manager_chains_never_loop_and_termination_is_final,
    |b| async move {
        let app = spawn_app(b).await;
        let admin = app.register_admin("Chain Co").await;
        let t = admin.access.as_str();
        let a = employee(&app, t, "Alice", "2020-01-06", json!({})).await;
        let b_ = employee(&app, t, "Bert", "2021-01-04", json!({"manager_id": id(&a)})).await;
        let c = employee(
            &app,
            t,
            "Cleo",
            "2022-01-03",
            json!({"manager_id": id(&b_)}),
        )
        .await;
        let path = |e: &Value| format!("/api/v1/employees/{}", id(e));

        // Alice under Cleo would close a loop at depth three; under herself at depth one.
        let res = patch(&app, t, &path(&a), json!({"manager_id": id(&c)})).await;
        let p = refused(res, "manager_id").await;
        assert_eq!(p["errors"][0]["code"], "cycle");
        let res = patch(&app, t, &path(&a), json!({"manager_id": id(&a)})).await;
        refused(res, "manager_id").await;
        // Moving Cleo under Alice is fine; clearing a manager too.
        let moved = json_of(
            patch(&app, t, &path(&c), json!({"manager_id": id(&a)})).await,
            200,
        )
        .await;
        assert_eq!(moved["manager_id"], a["id"]);

        // Direct reports, as a list.
        let reports = get(&app, t, &format!("{}/reports?sort=first_name", path(&a))).await;
        assert_eq!(page_ids(&reports), vec![id(&b_), id(&c)]);
        let reports = get(&app, t, &format!("{}/reports", path(&c))).await;
        assert!(page_ids(&reports).is_empty());
        let res = app
            .get_as(
                t,
                &format!("/api/v1/employees/{}/reports", uuid::Uuid::now_v7()),
            )
            .await;
        assert_eq!(res.status(), 404);

        // A manager with reports is not deleted.
        problem(
            delete(&app, t, &path(&a)).await,
            409,
            "employee-has-reports",
        )
        .await;

        // Termination: not before the hire date, a stale version refused, then final.
        let current = get(&app, t, &path(&b_)).await;
        let term = format!("{}/terminate", path(&b_));
        let res = post(&app, t, &term, json!({"date": "2020-12-31", "reason": "x"})).await;
        refused(res, "date").await;
        let res = send_if(
            &app,
            t,
            Method::POST,
            &term,
            version(&current) + 5,
            Some(json!({"date": "2026-06-30"})),
        )
        .await;
        assert_eq!(res.status(), 412);
        let res = send_if(
            &app,
            t,
            Method::POST,
            &term,
            version(&current),
            Some(json!({"date": "2026-06-30", "reason": "Resigned"})),
        )
        .await;
        let done = json_of(res, 200).await;
        assert_eq!(done["status"], "terminated");
        assert_eq!(done["termination_date"], "2026-06-30");
        assert_eq!(done["termination_reason"], "Resigned");
        problem(
            post(&app, t, &term, json!({"date": "2026-07-01"})).await,
            409,
            "employee-terminated",
        )
        .await;
        let listed = get(&app, t, "/api/v1/employees?status=terminated").await;
        assert_eq!(page_ids(&listed), vec![id(&b_)]);
        let acts = get(
            &app,
            t,
            &format!(
                "/api/v1/activities?entity_type=employee&entity_id={}",
                id(&b_)
            ),
        )
        .await;
        assert_eq!(acts["data"][0]["action"], "terminated");

        // A leaf goes.
        let res = patch(&app, t, &path(&c), json!({"manager_id": null})).await;
        assert_eq!(res.status(), 200);
        assert_eq!(delete(&app, t, &path(&c)).await.status(), 204);
        assert_eq!(app.get_as(t, &path(&c)).await.status(), 404);
        app.stop().await;
    }
);

backend_tests!(one_default_schedule_and_checked_hours, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Shifts Co").await;
    let t = admin.access.as_str();
    let first = get(&app, t, "/api/v1/work-schedules").await;
    let standard = first["data"][0].clone();
    assert_eq!(first["data"].as_array().unwrap().len(), 1);

    // Bad hours are named by their place.
    let res = post(
        &app,
        t,
        "/api/v1/work-schedules",
        json!({"name": "Bad", "time_zone": "Mars/Olympus", "days": [
            {"weekday": 1, "start": "09:00", "end": "09:00"},
            {"weekday": 8, "start": "25:00", "end": "17:00"},
            {"weekday": 1, "start": "09:00", "end": "10:00", "break_minutes": 60}]}),
    )
    .await;
    let p = refused(res, "time_zone").await;
    for field in [
        "days[0].end",
        "days[1].weekday",
        "days[1].start",
        "days[2].weekday",
        "days[2].break_minutes",
    ] {
        assert!(
            p["errors"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["field"] == field),
            "{field}: {p}"
        );
    }

    // A night shift in a far zone, made the default: the previous default lets go.
    let night = json_of(
        post(
            &app,
            t,
            "/api/v1/work-schedules",
            json!({"name": "Night", "time_zone": "Pacific/Auckland", "is_default": true,
                   "days": [{"weekday": 1, "start": "22:00", "end": "06:00", "break_minutes": 30}]}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(night["is_default"], true);
    assert_eq!(night["half_day_minutes"], 225);
    assert_eq!(night["late_grace_minutes"], 15);
    let old = get(
        &app,
        t,
        &format!("/api/v1/work-schedules/{}", id(&standard)),
    )
    .await;
    assert_eq!(old["is_default"], false);
    assert_eq!(version(&old), version(&standard) + 1);
    let defaults = get(&app, t, "/api/v1/work-schedules?is_default=true").await;
    assert_eq!(page_ids(&defaults), vec![id(&night)]);
    // New employees follow the new default.
    let e = employee(&app, t, "Nora", "2026-01-05", json!({})).await;
    assert_eq!(e["work_schedule_id"], night["id"]);

    // The default stays one: not unset, not deleted; a schedule in use not deleted.
    let night_path = format!("/api/v1/work-schedules/{}", id(&night));
    refused(
        patch(&app, t, &night_path, json!({"is_default": false})).await,
        "is_default",
    )
    .await;
    problem(
        delete(&app, t, &night_path).await,
        409,
        "work-schedule-is-default",
    )
    .await;
    let std_path = format!("/api/v1/work-schedules/{}", id(&standard));
    let back = json_of(
        patch(&app, t, &std_path, json!({"is_default": true})).await,
        200,
    )
    .await;
    assert_eq!(back["is_default"], true);
    problem(
        delete(&app, t, &night_path).await,
        409,
        "work-schedule-in-use",
    )
    .await;
    // A patch of hours is checked as a whole.
    let changed = json_of(
        patch(&app, t, &std_path, json!({"days": [{"weekday": 6, "start": "10:00", "end": "14:00"}], "half_day_minutes": 120})).await,
        200,
    )
    .await;
    assert_eq!(
        changed["days"],
        json!([{"weekday": 6, "start": "10:00", "end": "14:00", "break_minutes": 0}])
    );
    assert_eq!(changed["time_zone"], standard["time_zone"]);
    refused(
        patch(&app, t, &std_path, json!({"time_zone": "Nowhere/City"})).await,
        "time_zone",
    )
    .await;

    assert_concurrent_patches(
        &app,
        t,
        &night_path,
        |v| json!({"name": v}),
        |r| r["name"].as_str().unwrap().to_string(),
    )
    .await;
    app.stop().await;
});

backend_tests!(holidays_one_per_date_by_year, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Days Off Co").await;
    let t = admin.access.as_str();
    let xmas = json_of(
        post(
            &app,
            t,
            "/api/v1/holidays",
            json!({"date": "2026-12-25", "name": "Christmas"}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(xmas["year"], 2026);
    let ny = json_of(
        post(
            &app,
            t,
            "/api/v1/holidays",
            json!({"date": "2027-01-01", "name": "New Year"}),
        )
        .await,
        201,
    )
    .await;
    let res = post(
        &app,
        t,
        "/api/v1/holidays",
        json!({"date": "2026-12-25", "name": "Again"}),
    )
    .await;
    problem(res, 409, "holiday-date-taken").await;
    refused(
        post(
            &app,
            t,
            "/api/v1/holidays",
            json!({"date": "25/12/2026", "name": "x"}),
        )
        .await,
        "date",
    )
    .await;
    let y2026 = get(&app, t, "/api/v1/holidays?year=2026").await;
    assert_eq!(page_ids(&y2026), vec![id(&xmas)]);
    let all = get(&app, t, "/api/v1/holidays").await;
    assert_eq!(page_ids(&all), vec![id(&xmas), id(&ny)]);
    // Moving a holiday onto a taken date is refused; into the next year follows the filter.
    let path = format!("/api/v1/holidays/{}", id(&ny));
    problem(
        patch(&app, t, &path, json!({"date": "2026-12-25"})).await,
        409,
        "holiday-date-taken",
    )
    .await;
    let moved = json_of(
        patch(&app, t, &path, json!({"date": "2026-12-31"})).await,
        200,
    )
    .await;
    assert_eq!(moved["year"], 2026);
    assert_eq!(
        get(&app, t, "/api/v1/holidays?year=2027").await["data"],
        json!([])
    );
    // Everyone reads holidays; only HR writes them.
    let staff = app.user_with_roles(&admin, &["employee"]).await;
    assert_eq!(
        get(&app, &staff.access, "/api/v1/holidays?year=2026").await["data"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        post(
            &app,
            &staff.access,
            "/api/v1/holidays",
            json!({"date": "2026-05-01", "name": "May Day"})
        )
        .await
        .status(),
        403
    );
    assert_concurrent_patches(
        &app,
        t,
        &path,
        |v| json!({"name": v}),
        |r| r["name"].as_str().unwrap().to_string(),
    )
    .await;
    assert_eq!(delete(&app, t, &path).await.status(), 204);
    app.stop().await;
});
