//! Time entries (contract section 7): the ledger of logged time and timers, the 1,440-minute
//! day, `:own`; project invoicing with the release of its entries and expenses when the
//! draft is deleted; the project report and the timesheet; the overdue job; projects on the
//! client timeline.

use crate::backend_tests;
use crate::concurrency::json_of;
use crate::helpers::*;
use crate::identity_support::create_as;
use chrono::{Duration, Utc};
use reqwest::Method;
use serde_json::{Value, json};

fn id(v: &Value) -> String {
    v["id"].as_str().expect("an id").to_string()
}

async fn post(app: &TestApp, t: &str, path: &str, body: Option<Value>) -> reqwest::Response {
    app.send_as(Method::POST, t, path, body.as_ref()).await
}

async fn patch(app: &TestApp, t: &str, path: &str, body: Value) -> reqwest::Response {
    app.send_as(Method::PATCH, t, path, Some(&body)).await
}

async fn delete(app: &TestApp, t: &str, path: &str) -> reqwest::Response {
    app.send_as(Method::DELETE, t, path, None).await
}

/// A problem of `status` whose `type` ends with `code`.
async fn problem(res: reqwest::Response, status: u16, code: &str) -> Value {
    let p = assert_problem(res, status).await;
    let ty = p["type"].as_str().unwrap_or_default();
    assert!(ty.ends_with(&format!("/{code}")), "{code} expected: {p}");
    p
}

/// A `422` whose first field error names `field`.
async fn refused(res: reqwest::Response, field: &str) -> Value {
    let p = assert_problem(res, 422).await;
    assert_eq!(p["errors"][0]["field"], field, "{p}");
    p
}

async fn client(app: &TestApp, t: &str, name: &str) -> String {
    id(&create_as(
        app,
        t,
        "/api/v1/clients",
        json!({"name": name, "kind": "company"}),
    )
    .await)
}

async fn project(app: &TestApp, t: &str, body: Value) -> Value {
    create_as(app, t, "/api/v1/projects", body).await
}

async fn task(app: &TestApp, t: &str, project: &str, title: &str) -> String {
    id(&create_as(
        app,
        t,
        "/api/v1/tasks",
        json!({"project_id": project, "title": title}),
    )
    .await)
}

async fn log(app: &TestApp, t: &str, body: Value) -> Value {
    create_as(app, t, "/api/v1/time-entries", body).await
}

async fn get(app: &TestApp, t: &str, path: &str) -> Value {
    json_of(app.get_as(t, path).await, 200).await
}

backend_tests!(time_is_a_ledger_of_days_and_timers, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Timekeepers").await;
    let t = admin.access.as_str();
    let p = project(
        &app,
        t,
        json!({"name": "Relaunch", "billing": "hourly", "hourly_rate": 9000}),
    )
    .await;
    let pid = id(&p);
    let a = task(&app, t, &pid, "Design").await;

    // The project is taken from the task; billable by the project's billing; the rate kept.
    let first = log(
        &app,
        t,
        json!({"task_id": a, "work_date": "2026-03-10", "minutes": 600, "note": "Layouts"}),
    )
    .await;
    assert_eq!(
        (
            first["project_id"].as_str(),
            first["user_id"].as_str(),
            first["billable"].as_bool(),
            first["bill_rate"].as_i64(),
            first["is_running"].as_bool(),
            first["invoice_id"].is_null(),
        ),
        (
            Some(pid.as_str()),
            Some(admin.user_id.as_str()),
            Some(true),
            Some(9000),
            Some(false),
            true
        )
    );
    // The day holds 1,440 minutes: 840 more fit, one more does not.
    let second = log(
        &app,
        t,
        json!({"project_id": pid, "work_date": "2026-03-10", "minutes": 840}),
    )
    .await;
    let full = refused(
        post(
            &app,
            t,
            "/api/v1/time-entries",
            Some(json!({"project_id": pid, "work_date": "2026-03-10", "minutes": 1})),
        )
        .await,
        "minutes",
    )
    .await;
    assert_eq!(full["errors"][0]["code"], "day_full", "{full}");
    // Another day is another day.
    log(
        &app,
        t,
        json!({"project_id": pid, "work_date": "2026-03-11", "minutes": 1440}),
    )
    .await;
    // Bad bodies name their field.
    for (field, body) in [
        ("minutes", json!({"project_id": pid, "minutes": 0})),
        ("minutes", json!({"project_id": pid, "minutes": 1441})),
        ("project_id", json!({"minutes": 30})),
        (
            "project_id",
            json!({"project_id": uuid::Uuid::now_v7(), "minutes": 30}),
        ),
        (
            "task_id",
            json!({"task_id": uuid::Uuid::now_v7(), "minutes": 30}),
        ),
        (
            "work_date",
            json!({"project_id": pid, "minutes": 30, "work_date": "2026-02-30"}),
        ),
        (
            "user_id",
            json!({"project_id": pid, "minutes": 30, "user_id": uuid::Uuid::now_v7()}),
        ),
    ] {
        refused(
            post(&app, t, "/api/v1/time-entries", Some(body)).await,
            field,
        )
        .await;
    }
    // Read-only fields are refused.
    for extra in ["bill_rate", "invoice_id", "is_running"] {
        let mut body = json!({"project_id": pid, "minutes": 30});
        body[extra] = json!(null);
        assert_problem(post(&app, t, "/api/v1/time-entries", Some(body)).await, 422).await;
    }
    // A change is checked against the day it ends up on.
    let path = format!("/api/v1/time-entries/{}", id(&first));
    refused(
        patch(&app, t, &path, json!({"minutes": 601})).await,
        "minutes",
    )
    .await;
    let edited = json_of(patch(&app, t, &path, json!({"minutes": 500})).await, 200).await;
    assert_eq!(
        (edited["minutes"].as_i64(), edited["version"].as_i64()),
        (Some(500), Some(2))
    );
    refused(
        patch(&app, t, &path, json!({"work_date": "2026-03-11"})).await,
        "minutes",
    )
    .await;
    // The task shows its logged minutes.
    let tk = get(&app, t, &format!("/api/v1/tasks/{a}")).await;
    assert_eq!(tk["logged_minutes"], 500);

    // Time on a non-billable project is not billable unless said.
    let internal = id(&project(&app, t, json!({"name": "Internal"})).await);
    let e = log(&app, t, json!({"project_id": internal, "minutes": 15})).await;
    assert_eq!(e["billable"], false);
    assert_eq!(
        e["work_date"].as_str(),
        Some(Utc::now().date_naive().to_string().as_str())
    );

    // Timers: one running per person; stopping rounds up to whole minutes.
    let started = create_as(&app, t, "/api/v1/time-entries/start", json!({"task_id": a})).await;
    assert_eq!(
        (
            started["is_running"].as_bool(),
            started["minutes"].is_null(),
            started["started_at"].is_string()
        ),
        (Some(true), true, true)
    );
    problem(
        post(
            &app,
            t,
            "/api/v1/time-entries/start",
            Some(json!({"project_id": pid})),
        )
        .await,
        409,
        "timer-running",
    )
    .await;
    let timer = format!("/api/v1/time-entries/{}", id(&started));
    refused(
        patch(&app, t, &timer, json!({"minutes": 5})).await,
        "minutes",
    )
    .await;
    let stopped = json_of(post(&app, t, &format!("{timer}/stop"), None).await, 200).await;
    assert_eq!(
        (stopped["is_running"].as_bool(), stopped["minutes"].as_i64()),
        (Some(false), Some(1))
    );
    problem(
        post(&app, t, &format!("{timer}/stop"), None).await,
        409,
        "timer-not-running",
    )
    .await;
    // The next timer may start once the last stopped.
    let again = create_as(
        &app,
        t,
        "/api/v1/time-entries/start",
        json!({"project_id": pid}),
    )
    .await;
    json_of(
        post(
            &app,
            t,
            &format!("/api/v1/time-entries/{}/stop", id(&again)),
            None,
        )
        .await,
        200,
    )
    .await;

    // Filters: by project and running state.
    let page = get(
        &app,
        t,
        &format!("/api/v1/time-entries?project_id={pid}&is_running=false&limit=200"),
    )
    .await;
    assert_eq!(page["data"].as_array().unwrap().len(), 5, "{page}");

    // A closed project takes no new time.
    json_of(
        patch(
            &app,
            t,
            &format!("/api/v1/projects/{pid}"),
            json!({"status": "completed"}),
        )
        .await,
        200,
    )
    .await;
    problem(
        post(
            &app,
            t,
            "/api/v1/time-entries",
            Some(json!({"project_id": pid, "minutes": 5})),
        )
        .await,
        409,
        "project-closed",
    )
    .await;
    problem(
        post(
            &app,
            t,
            "/api/v1/time-entries/start",
            Some(json!({"project_id": pid})),
        )
        .await,
        409,
        "project-closed",
    )
    .await;

    // Deleting: 204, then 404.
    let second_path = format!("/api/v1/time-entries/{}", id(&second));
    assert_eq!(delete(&app, t, &second_path).await.status(), 204);
    assert_eq!(app.get_as(t, &second_path).await.status(), 404);

    // The timesheet: every day of the range, minutes per project.
    let sheet = get(
        &app,
        t,
        "/api/v1/reports/timesheet?from=2026-03-09&to=2026-03-11",
    )
    .await;
    let days = sheet["days"].as_array().unwrap();
    assert_eq!(days.len(), 3, "{sheet}");
    assert_eq!(
        (days[0]["date"].as_str(), days[0]["minutes"].as_i64()),
        (Some("2026-03-09"), Some(0))
    );
    assert_eq!(days[1]["minutes"], 500, "{sheet}");
    assert_eq!(
        days[1]["projects"],
        json!([{"project_id": pid, "minutes": 500}])
    );
    assert_eq!(days[2]["minutes"], 1440);
    for q in [
        "from=2026-03-11&to=2026-03-09",
        "from=2026-01-01&to=2027-06-01",
        "from=2026-13-01&to=2026-12-31",
    ] {
        assert_problem(
            app.get_as(t, &format!("/api/v1/reports/timesheet?{q}"))
                .await,
            422,
        )
        .await;
    }
    assert_problem(app.get_as(t, "/api/v1/reports/timesheet").await, 422).await;
});

backend_tests!(an_employee_keeps_their_own_time, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Own Time").await;
    let t = admin.access.as_str();
    let emp = app.user_with_roles(&admin, &["employee"]).await;
    let e = emp.access.as_str();
    let pid = id(&project(&app, t, json!({"name": "Shared"})).await);
    let theirs = log(&app, e, json!({"project_id": pid, "minutes": 45})).await;
    assert_eq!(theirs["user_id"].as_str(), Some(emp.user_id.as_str()));
    let mine = log(&app, t, json!({"project_id": pid, "minutes": 30})).await;
    // Logging for someone else needs the all-records scope; the admin may.
    refused(
        post(
            &app,
            e,
            "/api/v1/time-entries",
            Some(json!({"project_id": pid, "minutes": 5, "user_id": admin.user_id})),
        )
        .await,
        "user_id",
    )
    .await;
    let for_them = log(
        &app,
        t,
        json!({"project_id": pid, "minutes": 5, "user_id": emp.user_id}),
    )
    .await;
    assert_eq!(for_them["user_id"].as_str(), Some(emp.user_id.as_str()));
    // The employee sees their own entries only; another's is 404 to read, change or delete.
    let page = get(&app, e, "/api/v1/time-entries?limit=200").await;
    let mut ids: Vec<String> = page["data"].as_array().unwrap().iter().map(id).collect();
    ids.sort();
    let mut want = vec![id(&theirs), id(&for_them)];
    want.sort();
    assert_eq!(ids, want);
    let other = format!("/api/v1/time-entries/{}", id(&mine));
    assert_eq!(app.get_as(e, &other).await.status(), 404);
    assert_eq!(
        patch(&app, e, &other, json!({"minutes": 1})).await.status(),
        404
    );
    assert_eq!(delete(&app, e, &other).await.status(), 404);
    assert_eq!(
        post(&app, e, &format!("{other}/stop"), None).await.status(),
        404
    );
    // Their own timesheet, not the admin's.
    let today = Utc::now().date_naive().to_string();
    let sheet = get(
        &app,
        e,
        &format!("/api/v1/reports/timesheet?from={today}&to={today}"),
    )
    .await;
    assert_eq!(sheet["days"][0]["minutes"], 50, "{sheet}");
    assert_eq!(
        app.get_as(
            e,
            &format!(
                "/api/v1/reports/timesheet?from={today}&to={today}&user_id={}",
                admin.user_id
            )
        )
        .await
        .status(),
        403
    );
    // Another organization's entry is 404 even for its admin's peers.
    let other_org = app.register_admin("Elsewhere").await;
    assert_eq!(app.get_as(&other_org.access, &other).await.status(), 404);
});

backend_tests!(
    project_invoicing_bills_once_and_releases_on_delete,
    |b| async move {
        let app = spawn_app(b).await;
        let admin = app.register_admin("Billing Co").await;
        let t = admin.access.as_str();
        let approver = app.user_with_roles(&admin, &["finance"]).await;
        let c = client(&app, t, "Initech").await;
        let p = project(
            &app,
            t,
            json!({"name": "Portal", "client_id": c, "billing": "hourly", "hourly_rate": 9000,
               "budget_amount": 100_000, "budget_currency": "USD", "budget_minutes": 600}),
        )
        .await;
        let pid = id(&p);
        let a = task(&app, t, &pid, "Backend").await;
        let bt = task(&app, t, &pid, "Frontend").await;
        let day = "2026-03-10";
        let entries = [
            log(
                &app,
                t,
                json!({"task_id": a, "work_date": day, "minutes": 90}),
            )
            .await,
            log(
                &app,
                t,
                json!({"task_id": a, "work_date": day, "minutes": 30}),
            )
            .await,
            log(
                &app,
                t,
                json!({"task_id": bt, "work_date": day, "minutes": 45}),
            )
            .await,
            log(
                &app,
                t,
                json!({"project_id": pid, "work_date": day, "minutes": 60}),
            )
            .await,
        ];
        // Not billable, and worked after `up_to`: neither is billed.
        let unbillable = log(
            &app,
            t,
            json!({"project_id": pid, "work_date": day, "minutes": 20, "billable": false}),
        )
        .await;
        let later = log(
            &app,
            t,
            json!({"task_id": a, "work_date": "2026-04-02", "minutes": 60}),
        )
        .await;
        // An approved billable expense of the project.
        let expense = create_as(
            &app,
            t,
            "/api/v1/expenses",
            json!({"description": "Hosting", "category": "infrastructure", "amount": 12000,
               "currency": "USD", "incurred_on": day, "project_id": pid, "billable": true}),
        )
        .await;
        let epath = format!("/api/v1/expenses/{}", id(&expense));
        json_of(post(&app, t, &format!("{epath}/submit"), None).await, 200).await;
        json_of(
            post(
                &app,
                &approver.access,
                &format!("{epath}/approve"),
                Some(json!({})),
            )
            .await,
            200,
        )
        .await;
        // An expense naming a project of no one is refused.
        refused(
            post(
                &app,
                t,
                "/api/v1/expenses",
                Some(
                    json!({"description": "x", "category": "y", "amount": 1, "incurred_on": day,
                        "project_id": uuid::Uuid::now_v7()}),
                ),
            )
            .await,
            "project_id",
        )
        .await;

        // The report before invoicing.
        let r = get(&app, t, &format!("/api/v1/projects/{pid}/report")).await;
        assert_eq!(
            r["time"],
            json!({"estimated_minutes": 0, "logged_minutes": 305, "billable_minutes": 285,
               "unbilled_minutes": 285})
        );
        // 285 minutes at 90.00 an hour = 427.50, and the 120.00 expense.
        assert_eq!(
            r["budget"],
            json!({"currency": "USD", "amount": 100_000, "spent": 54_750, "remaining": 45_250,
               "minutes": 600, "minutes_remaining": 295})
        );
        assert_eq!(
            r["members"][0]["user_id"].as_str(),
            Some(admin.user_id.as_str())
        );
        assert_eq!(r["members"][0]["logged_minutes"], 305);

        let path = format!("/api/v1/projects/{pid}/invoice");
        refused(
            post(&app, t, &path, Some(json!({"up_to": "2026-02-30"}))).await,
            "up_to",
        )
        .await;
        let inv = json_of(
            post(&app, t, &path, Some(json!({"up_to": "2026-03-31"}))).await,
            201,
        )
        .await;
        assert_eq!(
            (
                inv["status"].as_str(),
                inv["client_id"].as_str(),
                inv["project_id"].as_str(),
                inv["currency"].as_str()
            ),
            (
                Some("draft"),
                Some(c.as_str()),
                Some(pid.as_str()),
                Some("USD")
            )
        );
        let lines: Vec<(String, i64, i64)> = inv["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                (
                    l["quantity"].as_str().unwrap().to_string(),
                    l["unit_price"].as_i64().unwrap(),
                    l["subtotal"].as_i64().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            lines,
            [
                ("2".to_string(), 9000, 18_000),
                ("0.75".to_string(), 9000, 6_750),
                ("1".to_string(), 9000, 9_000),
                ("1".to_string(), 12_000, 12_000),
            ],
            "{inv}"
        );
        assert!(
            inv["items"][0]["description"]
                .as_str()
                .unwrap()
                .starts_with("Backend")
        );
        assert_eq!(inv["total"], 45_750);
        let iid = id(&inv);
        // The billed entries and the expense carry it; the others do not.
        for e in &entries {
            let e = get(&app, t, &format!("/api/v1/time-entries/{}", id(e))).await;
            assert_eq!(e["invoice_id"].as_str(), Some(iid.as_str()), "{e}");
        }
        for e in [&unbillable, &later] {
            let e = get(&app, t, &format!("/api/v1/time-entries/{}", id(e))).await;
            assert!(e["invoice_id"].is_null(), "{e}");
        }
        assert_eq!(
            get(&app, t, &epath).await["invoice_id"].as_str(),
            Some(iid.as_str())
        );
        // A billed entry is frozen.
        let billed = format!("/api/v1/time-entries/{}", id(&entries[0]));
        problem(
            patch(&app, t, &billed, json!({"minutes": 10})).await,
            409,
            "time-entry-invoiced",
        )
        .await;
        problem(delete(&app, t, &billed).await, 409, "time-entry-invoiced").await;
        // Nothing left to bill up to that day.
        problem(
            post(&app, t, &path, Some(json!({"up_to": "2026-03-31"}))).await,
            409,
            "nothing-to-bill",
        )
        .await;
        let r = get(&app, t, &format!("/api/v1/projects/{pid}/report")).await;
        assert_eq!(r["time"]["unbilled_minutes"], 60);

        // Deleting the draft releases them all; invoicing again bills them again.
        assert_eq!(
            delete(&app, t, &format!("/api/v1/invoices/{iid}"))
                .await
                .status(),
            204
        );
        let e = get(&app, t, &billed).await;
        assert!(e["invoice_id"].is_null(), "{e}");
        assert!(get(&app, t, &epath).await["invoice_id"].is_null());
        json_of(
            patch(&app, t, &billed, json!({"note": "released"})).await,
            200,
        )
        .await;
        let again = json_of(post(&app, t, &path, None).await, 201).await;
        // Now with the later hour too.
        assert_eq!(again["total"], 45_750 + 9_000, "{again}");

        // A project without a client has no one to bill.
        let orphan = id(&project(&app, t, json!({"name": "No client", "billing": "hourly"})).await);
        log(&app, t, json!({"project_id": orphan, "minutes": 30})).await;
        problem(
            post(&app, t, &format!("/api/v1/projects/{orphan}/invoice"), None).await,
            409,
            "project-without-client",
        )
        .await;
        // Another organization's project is 404.
        let other = app.register_admin("Other Billing").await;
        assert_eq!(post(&app, &other.access, &path, None).await.status(), 404);

        // The client timeline lists the project.
        let tl = get(
            &app,
            t,
            &format!("/api/v1/clients/{c}/timeline?kind=project"),
        )
        .await;
        let kinds: Vec<(&str, &str)> = tl["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| (i["kind"].as_str().unwrap(), i["id"].as_str().unwrap()))
            .collect();
        assert_eq!(kinds, [("project", pid.as_str())], "{tl}");
    }
);

backend_tests!(
    an_overdue_task_is_told_once_to_its_assignees,
    |b| async move {
        let app = spawn_app_with(b, &[("CRM__JOBS__POLL_SECS", "1")]).await;
        let admin = app.register_admin("Deadlines").await;
        let t = admin.access.as_str();
        let emp = app.user_with_roles(&admin, &["employee"]).await;
        let pid = id(&project(&app, t, json!({"name": "Late"})).await);
        json_of(
            post(
                &app,
                t,
                &format!("/api/v1/projects/{pid}/members"),
                Some(json!({"user_id": emp.user_id, "role": "member"})),
            )
            .await,
            201,
        )
        .await;
        let yesterday = (Utc::now().date_naive() - Duration::days(2)).to_string();
        let late = create_as(
            &app,
            t,
            "/api/v1/tasks",
            json!({"project_id": pid, "title": "Overdue", "due_date": yesterday,
               "assignee_ids": [emp.user_id]}),
        )
        .await;
        // Done tasks are never overdue.
        create_as(
            &app,
            t,
            "/api/v1/tasks",
            json!({"project_id": pid, "title": "Finished", "due_date": yesterday, "status": "done",
               "assignee_ids": [emp.user_id]}),
        )
        .await;
        let notes = |token: &str| {
            let token = token.to_string();
            let url = app.url("/api/v1/notifications?limit=200");
            async move {
                let res = reqwest::Client::new()
                    .get(url)
                    .bearer_auth(token)
                    .send()
                    .await
                    .unwrap();
                let page = json_of(res, 200).await;
                page["data"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|n| {
                        (
                            n["type"].as_str().unwrap().to_string(),
                            n["record_id"].as_str().unwrap().to_string(),
                        )
                    })
                    .collect::<Vec<_>>()
            }
        };
        // Assigned on creation: told at once.
        assert!(
            notes(&emp.access)
                .await
                .contains(&("task.assigned".to_string(), id(&late))),
        );
        let mut overdue = 0;
        for _ in 0..100 {
            overdue = notes(&emp.access)
                .await
                .iter()
                .filter(|(ty, _)| ty == "task.overdue")
                .count();
            if overdue > 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(overdue, 1);
        // Several more polls tell nobody again.
        tokio::time::sleep(std::time::Duration::from_secs(3)).await;
        let n = notes(&emp.access).await;
        let overdue: Vec<_> = n.iter().filter(|(ty, _)| ty == "task.overdue").collect();
        assert_eq!(overdue, [&("task.overdue".to_string(), id(&late))]);
        let events = get(&app, t, "/api/v1/events?type=task.overdue&limit=200").await;
        assert_eq!(events["data"].as_array().unwrap().len(), 1, "{events}");
        // A new due date (still past) is told once more.
        let day_before = (Utc::now().date_naive() - Duration::days(3)).to_string();
        json_of(
            patch(
                &app,
                t,
                &format!("/api/v1/tasks/{}", id(&late)),
                json!({"due_date": day_before}),
            )
            .await,
            200,
        )
        .await;
        for _ in 0..100 {
            let e = get(&app, t, "/api/v1/events?type=task.overdue&limit=200").await;
            if e["data"].as_array().unwrap().len() == 2 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let events = get(&app, t, "/api/v1/events?type=task.overdue&limit=200").await;
        assert_eq!(events["data"].as_array().unwrap().len(), 2, "{events}");
    }
);
