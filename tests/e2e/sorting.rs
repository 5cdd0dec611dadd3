//! Every list sorts as a table (contract §2): by each field its spec declares sortable, with
//! NULLs at one end, multi-field sorts in mixed directions, and a cursor that walks every row
//! exactly once while rows are inserted.

use crate::backend_tests;
use crate::helpers::*;
use reqwest::Method;
use serde_json::{Value, json};
use std::cmp::Ordering;

async fn ok(res: reqwest::Response, status: u16) -> Value {
    let code = res.status().as_u16();
    let body = res.text().await.unwrap();
    assert_eq!(code, status, "{body}");
    serde_json::from_str(&body).unwrap_or(Value::Null)
}

async fn create(app: &TestApp, t: &str, path: &str, body: Value) -> Value {
    ok(app.send_as(Method::POST, t, path, Some(&body)).await, 201).await
}

/// Every page of `path` (which carries its own `?`), following `next_cursor`; `between` runs
/// after the first page.
async fn walk<F, Fut>(app: &TestApp, t: &str, path: &str, mut between: F) -> Vec<Value>
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut rows = Vec::new();
    let mut url = path.to_string();
    for n in 0.. {
        assert!(n < 500, "{path}: the walk does not end");
        let page = ok(app.get_as(t, &url).await, 200).await;
        rows.extend(page["data"].as_array().unwrap().iter().cloned());
        between(n).await;
        match page["next_cursor"].as_str() {
            Some(c) => url = format!("{path}&cursor={c}"),
            None => break,
        }
    }
    rows
}

fn ids(rows: &[Value]) -> Vec<String> {
    rows.iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

/// Compares two optional values with NULL below every value.
fn nulls_first<T: Ord>(a: Option<T>, b: Option<T>) -> Ordering {
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(a), Some(b)) => a.cmp(&b),
    }
}

fn text(v: &Value, field: &str) -> Option<String> {
    v[field].as_str().map(str::to_string)
}

backend_tests!(leads_sort_by_company_then_name_descending, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Sorting Co").await;
    let t = &admin.access;
    // Lowercase ASCII only, so every backend's collation orders them alike. Same (company,
    // name) pairs leave the order to the `id` tie-breaker.
    let seed: &[(Option<&str>, &str)] = &[
        (Some("beta"), "n04"),
        (None, "n01"),
        (Some("alpha"), "n07"),
        (Some("beta"), "n09"),
        (None, "n05"),
        (Some("alpha"), "n02"),
        (Some("gamma"), "n03"),
        (Some("alpha"), "n07"),
        (None, "n05"),
        (Some("beta"), "n08"),
        (Some("gamma"), "n06"),
        (None, "n10"),
        (Some("alpha"), "n11"),
    ];
    let mut rows = Vec::new();
    for (company, name) in seed {
        let mut body = json!({"name": name});
        if let Some(c) = company {
            body["company"] = json!(c);
        }
        rows.push(create(&app, t, "/api/v1/leads", body).await);
    }
    // company ascending (NULL first), name descending, id descending (the last key's way).
    let by = |a: &Value, b: &Value| {
        nulls_first(text(a, "company"), text(b, "company"))
            .then_with(|| text(b, "name").cmp(&text(a, "name")))
            .then_with(|| b["id"].as_str().cmp(&a["id"].as_str()))
    };

    // While walking, one lead is inserted before the cursor (no company: sorts first) and one
    // after it (company "zeta": sorts last): the first is never returned, the second once.
    let late = std::cell::RefCell::new(Vec::<Value>::new());
    let walked = walk(&app, t, "/api/v1/leads?sort=company,-name&limit=4", |n| {
        let app = &app;
        let late = &late;
        async move {
            if n == 1 {
                let before = create(app, t, "/api/v1/leads", json!({"name": "n00"})).await;
                let z = create(
                    app,
                    t,
                    "/api/v1/leads",
                    json!({"name": "n99", "company": "zeta"}),
                )
                .await;
                late.borrow_mut().extend([before, z]);
            }
        }
    })
    .await;
    let late = late.into_inner();
    let mut expected = rows.clone();
    expected.sort_by(by);
    expected.push(late[1].clone());
    assert_eq!(ids(&walked), ids(&expected));
    let first: Vec<Option<String>> = walked.iter().take(4).map(|r| text(r, "company")).collect();
    assert_eq!(
        first,
        [None, None, None, None],
        "NULL company sorts first ascending"
    );

    // Descending company puts NULL last (name ascending, id ascending within a company).
    let all = walk(
        &app,
        t,
        "/api/v1/leads?sort=-company,name&limit=3",
        |_| async {},
    )
    .await;
    let mut expected = rows.clone();
    expected.extend(late);
    expected.sort_by(|a, b| {
        nulls_first(text(b, "company"), text(a, "company"))
            .then_with(|| text(a, "name").cmp(&text(b, "name")))
            .then_with(|| a["id"].as_str().cmp(&b["id"].as_str()))
    });
    assert_eq!(ids(&all), ids(&expected));
    assert_eq!(text(&all[0], "company").as_deref(), Some("zeta"));
    assert_eq!(text(all.last().unwrap(), "company"), None);
    app.stop().await;
});

backend_tests!(leads_sort_by_nullable_score_both_ways, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Score Co").await;
    let t = &admin.access;
    let scores = [
        Some(40),
        None,
        Some(0),
        Some(90),
        None,
        Some(40),
        Some(7),
        None,
        Some(100),
        Some(0),
    ];
    let mut rows = Vec::new();
    for (i, s) in scores.iter().enumerate() {
        let mut body = json!({"name": format!("lead{i:02}")});
        if let Some(s) = s {
            body["score"] = json!(s);
        }
        rows.push(create(&app, t, "/api/v1/leads", body).await);
    }
    let score = |v: &Value| v["score"].as_i64();
    let id = |v: &Value| v["id"].as_str().unwrap().to_string();

    let mut asc = rows.clone();
    asc.sort_by(|a, b| nulls_first(score(a), score(b)).then_with(|| id(a).cmp(&id(b))));
    let walked = walk(&app, t, "/api/v1/leads?sort=score&limit=3", |_| async {}).await;
    assert_eq!(ids(&walked), ids(&asc));
    assert!(walked.iter().take(3).all(|r| r["score"].is_null()));

    let mut desc = rows.clone();
    desc.sort_by(|a, b| nulls_first(score(b), score(a)).then_with(|| id(b).cmp(&id(a))));
    let walked = walk(&app, t, "/api/v1/leads?sort=-score&limit=3", |_| async {}).await;
    assert_eq!(ids(&walked), ids(&desc));
    assert!(walked.iter().rev().take(3).all(|r| r["score"].is_null()));

    // A cursor of one sort is refused by another.
    let page = ok(app.get_as(t, "/api/v1/leads?sort=score&limit=1").await, 200).await;
    let c = page["next_cursor"].as_str().unwrap();
    let res = app
        .get_as(t, &format!("/api/v1/leads?sort=-score&limit=1&cursor={c}"))
        .await;
    let body = assert_problem(res, 422).await;
    assert_eq!(body["errors"][0]["field"], "cursor");
    app.stop().await;
});

/// The list operations of the API: every GET with a `sort` parameter in the OpenAPI document.
const LIST_ROUTES: &[&str] = &[
    "/api/v1/users",
    "/api/v1/roles",
    "/api/v1/departments",
    "/api/v1/designations",
    "/api/v1/activities",
    "/api/v1/events",
    "/api/v1/clients",
    "/api/v1/clients/{id}/sub-clients",
    "/api/v1/clients/{id}/contacts",
    "/api/v1/clients/{id}/interactions",
    "/api/v1/clients/{id}/timeline",
    "/api/v1/leads",
    "/api/v1/pipelines",
    "/api/v1/deals",
    "/api/v1/quotations",
    "/api/v1/invoices",
    "/api/v1/credit-notes",
    "/api/v1/payments",
    "/api/v1/recurring-invoices",
    "/api/v1/expenses",
    "/api/v1/contracts",
    "/api/v1/proposals",
    "/api/v1/projects",
    "/api/v1/tasks",
    "/api/v1/milestones",
    "/api/v1/time-entries",
    "/api/v1/employees",
    "/api/v1/employees/{id}/reports",
    "/api/v1/work-schedules",
    "/api/v1/holidays",
    "/api/v1/job-postings",
    "/api/v1/candidates",
    "/api/v1/applications",
    "/api/v1/interviews",
    "/api/v1/offers",
    "/api/v1/training-programs",
    "/api/v1/training-sessions",
    "/api/v1/training-sessions/{id}/enrollments",
    "/api/v1/training-enrollments",
    "/api/v1/certifications",
    "/api/v1/attendance",
    "/api/v1/attendance/summary",
    "/api/v1/leave-types",
    "/api/v1/leave-requests",
    "/api/v1/notifications",
    "/api/v1/conversations",
    "/api/v1/files",
    "/api/v1/imports",
    "/api/v1/webhooks",
    "/api/v1/webhooks/{id}/deliveries",
    "/api/v1/calendar/events",
];

/// The sortable fields of `sort`'s pattern, `^[-+]?(a|b)(,[-+]?(a|b))*$`.
fn sortable(pattern: &str) -> Vec<String> {
    let group = pattern
        .strip_prefix("^[-+]?(")
        .and_then(|r| r.split(')').next())
        .unwrap_or_else(|| panic!("sort pattern {pattern}"));
    group.split('|').map(str::to_string).collect()
}

backend_tests!(every_list_sorts_by_each_declared_field, |b| async move {
    // Webhooks on loopback, each delivery failing once for good (no retries), so the delivery
    // log is still while it is walked.
    let app = spawn_app_with(
        b,
        &[
            ("CRM__WEBHOOKS__ALLOW_PRIVATE_TARGETS", "true"),
            ("CRM__WEBHOOKS__RETRY_SCHEDULE_SECS", ""),
            ("CRM__WEBHOOKS__POLL_MILLIS", "100"),
        ],
    )
    .await;
    let admin = app.register_admin("Tables Co").await;
    let t = &admin.access;
    let hook = create(
        &app,
        t,
        "/api/v1/webhooks",
        json!({"url": "http://127.0.0.1:9/all", "event_types": ["*"], "description": "all"}),
    )
    .await;
    let hook_id = hook["id"].as_str().unwrap().to_string();
    create(
        &app,
        t,
        "/api/v1/webhooks",
        json!({"url": "http://127.0.0.1:9/leads", "event_types": ["lead.*"]}),
    )
    .await;
    // Two or more rows in every list, with some optional fields empty, so each sort pages
    // (limit 1) through a cursor holding a value of the field's type, NULL included.
    let parent = create(&app, t, "/api/v1/clients", json!({"name": "parent", "kind": "company", "email": "p@parent.example", "industry": "retail"})).await;
    let cid = parent["id"].as_str().unwrap().to_string();
    for (name, kind) in [("childa", "company"), ("childb", "individual")] {
        create(
            &app,
            t,
            "/api/v1/clients",
            json!({"name": name, "kind": kind, "parent_id": cid}),
        )
        .await;
    }
    for (name, title) in [("ann", Some("cto")), ("bob", None)] {
        let mut body = json!({"name": name});
        if let Some(x) = title {
            body["title"] = json!(x);
        }
        create(&app, t, &format!("/api/v1/clients/{cid}/contacts"), body).await;
    }
    for (kind, at) in [
        ("call", "2026-11-01T10:00:00Z"),
        ("note", "2026-11-02T10:00:00.123456Z"),
    ] {
        create(
            &app,
            t,
            &format!("/api/v1/clients/{cid}/interactions"),
            json!({"kind": kind, "summary": "talk", "occurred_at": at}),
        )
        .await;
    }
    for (name, score) in [("la", Some(3)), ("lb", None)] {
        create(
            &app,
            t,
            "/api/v1/leads",
            json!({"name": name, "score": score, "estimated_amount": score.map(|s| s * 100), "currency": score.map(|_| "USD")}),
        )
        .await;
    }
    for (title, close) in [("da", Some("2026-12-31")), ("db", None)] {
        create(&app, t, "/api/v1/deals", json!({"title": title, "client_id": cid, "amount": 500, "currency": "USD", "expected_close_date": close})).await;
    }
    for valid in ["2099-12-31", "2026-11-15"] {
        create(&app, t, "/api/v1/quotations", json!({"client_id": cid, "currency": "USD", "issue_date": "2026-11-01", "valid_until": valid, "items": [{"description": "Setup", "quantity": 1, "unit_price": 1000, "tax_rate": 0}]})).await;
    }
    // Finance: an issued invoice (due far ahead: an overdue one would make an event, and a
    // delivery, whenever the overdue job polls during the walk) and a draft (no number, no
    // dates), two credit notes, two
    // payments (one with a reference), two recurring templates.
    let issued = create(&app, t, "/api/v1/invoices", json!({"client_id": cid, "currency": "USD", "issue_date": "2026-11-02", "due_date": "2099-12-31", "items": [{"description": "Work", "quantity": 2, "unit_price": 5000}]})).await;
    let inv = issued["id"].as_str().unwrap().to_string();
    ok(
        app.send_as(
            Method::POST,
            t,
            &format!("/api/v1/invoices/{inv}/issue"),
            None,
        )
        .await,
        200,
    )
    .await;
    create(&app, t, "/api/v1/invoices", json!({"client_id": cid, "currency": "EUR", "items": [{"description": "Draft", "quantity": 1, "unit_price": 300}]})).await;
    for (amount, date) in [(100, "2026-11-03"), (250, "2026-11-04")] {
        create(&app, t, &format!("/api/v1/invoices/{inv}/credit-notes"), json!({"reason": "r", "issue_date": date, "items": [{"description": "c", "quantity": 1, "unit_price": amount}]})).await;
    }
    for (amount, reference, method) in [(700, Some("TRX-2"), "cash"), (300, None, "card")] {
        create(&app, t, "/api/v1/payments", json!({"client_id": cid, "amount": amount, "currency": "USD", "method": method, "reference": reference, "received_on": "2026-11-05", "allocations": [{"invoice_id": inv, "amount": 100}]})).await;
    }
    for (category, merchant, amount) in [("travel", Some("City Cabs"), 1_000), ("meals", None, 250)]
    {
        create(&app, t, "/api/v1/expenses", json!({"description": "Claim", "category": category, "merchant": merchant, "amount": amount, "currency": "USD", "incurred_on": "2026-11-06"})).await;
    }
    for (title, value, start, end, renews) in [
        ("Support", 1_000, "2026-01-01", "2026-12-31", true),
        ("Audit", 250, "2026-03-01", "2027-02-28", false),
    ] {
        create(&app, t, "/api/v1/contracts", json!({"client_id": cid, "title": title, "value": value, "start_date": start, "end_date": end, "auto_renew": renews})).await;
    }
    for (title, valid, price) in [("Rollout", Some("2099-06-30"), 700), ("Audit", None, 300)] {
        create(&app, t, "/api/v1/proposals", json!({"client_id": cid, "title": title, "valid_until": valid, "items": [{"description": "Work", "quantity": 1, "unit_price": price}]})).await;
    }
    // Projects: one with every sortable field, one with the optional ones empty; a task and a
    // milestone of each kind (one done, one reached).
    let mut projects = Vec::new();
    for body in [
        json!({"name": "site", "code": "WEB", "status": "active", "start_date": "2026-03-01", "due_date": "2026-06-30", "budget_amount": 5_000}),
        json!({"name": "app"}),
    ] {
        projects.push(create(&app, t, "/api/v1/projects", body).await["id"].clone());
    }
    let mut milestones = Vec::new();
    for (title, due) in [("beta", Some("2026-05-01")), ("alpha", None)] {
        milestones.push(
            create(
                &app,
                t,
                "/api/v1/milestones",
                json!({"project_id": projects[0], "title": title, "due_date": due}),
            )
            .await["id"]
                .clone(),
        );
    }
    for body in [
        json!({"project_id": projects[0], "title": "design", "status": "done", "priority": "high", "start_date": "2026-03-02", "due_date": "2026-03-20", "estimate_minutes": 120, "milestone_id": milestones[1]}),
        json!({"project_id": projects[1], "title": "build"}),
    ] {
        create(&app, t, "/api/v1/tasks", body).await;
    }
    // Time: a logged entry and a running timer (no minutes yet).
    create(&app, t, "/api/v1/time-entries", json!({"project_id": projects[0], "work_date": "2026-03-03", "minutes": 90, "note": "review"})).await;
    create(
        &app,
        t,
        "/api/v1/time-entries/start",
        json!({"project_id": projects[1]}),
    )
    .await;
    let reach = format!(
        "/api/v1/milestones/{}/reach",
        milestones[1].as_str().unwrap()
    );
    ok(app.send_as(Method::POST, t, &reach, None).await, 200).await;
    for (frequency, start) in [("monthly", "2099-01-31"), ("weekly", "2099-02-01")] {
        create(&app, t, "/api/v1/recurring-invoices", json!({"client_id": cid, "currency": "USD", "frequency": frequency, "start_date": start, "items": [{"description": "Retainer", "quantity": 1, "unit_price": 1000}]})).await;
    }
    let dept = create(
        &app,
        t,
        "/api/v1/departments",
        json!({"name": "sales", "code": "S"}),
    )
    .await;
    create(&app, t, "/api/v1/departments", json!({"name": "ops"})).await;
    create(
        &app,
        t,
        "/api/v1/designations",
        json!({"title": "lead", "level": 3, "department_id": dept["id"]}),
    )
    .await;
    create(&app, t, "/api/v1/designations", json!({"title": "junior"})).await;
    // Recruitment: two postings (one with every optional sort field, one with none), two
    // candidates, an application each (one rated), an interview each, an offer each.
    let mut postings = Vec::new();
    for body in [
        json!({"title": "engineer", "status": "open", "employment_type": "contract", "openings": 3, "closes_on": "2026-12-31", "salary_min": 100, "salary_max": 200, "salary_currency": "USD", "department_id": dept["id"]}),
        json!({"title": "designer", "status": "open"}),
    ] {
        postings.push(create(&app, t, "/api/v1/job-postings", body).await["id"].clone());
    }
    let mut applications = Vec::new();
    for (i, (name, source, rating)) in [("zed", Some("referral"), Some(4)), ("amy", None, None)]
        .into_iter()
        .enumerate()
    {
        let c = create(
            &app,
            t,
            "/api/v1/candidates",
            json!({"name": name, "email": format!("{name}@tables.example"), "source": source}),
        )
        .await;
        applications.push(
            create(&app, t, "/api/v1/applications", json!({"job_posting_id": postings[i], "candidate_id": c["id"], "rating": rating, "source": source})).await["id"]
                .clone(),
        );
    }
    for (i, (round, starts, ends, mode)) in [
        (2, "2026-03-10T09:00:00Z", "2026-03-10T10:00:00Z", "video"),
        (1, "2026-03-09T09:00:00Z", "2026-03-09T11:00:00Z", "onsite"),
    ]
    .into_iter()
    .enumerate()
    {
        create(&app, t, "/api/v1/interviews", json!({"application_id": applications[i], "round": round, "starts_at": starts, "ends_at": ends, "mode": mode})).await;
    }
    for (i, body) in [
        json!({"salary_amount": 500, "salary_currency": "USD", "start_date": "2026-05-01", "expires_on": "2099-01-01"}),
        json!({"salary_amount": 300, "salary_currency": "EUR"}),
    ]
    .into_iter()
    .enumerate()
    {
        let mut body = body;
        body["application_id"] = applications[i].clone();
        create(&app, t, "/api/v1/offers", body).await;
    }
    create(&app, t, "/api/v1/users", json!({"name": "second", "email": "second@tables.example", "password": "correct horse battery"})).await;
    // Two notifications for the caller: leads a colleague gives them.
    let colleague = app.user_with_roles(&admin, &["manager"]).await;
    for name in ["given one", "given two"] {
        create(
            &app,
            &colleague.access,
            "/api/v1/leads",
            json!({"name": name, "owner_id": admin.user_id}),
        )
        .await;
    }
    create(
        &app,
        t,
        "/api/v1/pipelines",
        json!({"name": "other", "stages": [{"name": "s1", "probability": 10}]}),
    )
    .await;
    // Calendar: two events, one all-day about a record, one recurring.
    create(&app, t, "/api/v1/calendar/events", json!({"title": "Retro", "starts_at": "2027-03-02T15:00:00Z", "ends_at": "2027-03-02T16:00:00Z", "time_zone": "Europe/Berlin", "recurrence": "FREQ=WEEKLY"})).await;
    create(&app, t, "/api/v1/calendar/events", json!({"title": "Audit day", "all_day": true, "start_date": "2027-02-10", "record_type": "client", "record_id": "019c2304-2480-7896-8534-f45738d048ec"})).await;
    // HR: a manager with two reports, a second schedule, two holidays.
    let boss = create(&app, t, "/api/v1/employees", json!({"first_name": "Zoe", "last_name": "Boss", "hire_date": "2020-01-06", "email": "zoe@tables.example"})).await;
    let boss_id = boss["id"].as_str().unwrap().to_string();
    create(&app, t, "/api/v1/employees", json!({"first_name": "Adam", "last_name": "Report", "hire_date": "2021-03-01", "manager_id": boss_id, "employment_type": "part_time", "phone": "+1 555 0100"})).await;
    create(&app, t, "/api/v1/employees", json!({"first_name": "Mia", "last_name": "Alpha", "hire_date": "2022-07-15", "manager_id": boss_id, "email": "mia@tables.example"})).await;
    create(&app, t, "/api/v1/work-schedules", json!({"name": "Night", "time_zone": "Asia/Kolkata", "days": [{"weekday": 1, "start": "22:00", "end": "06:00"}], "is_default": true})).await;
    create(
        &app,
        t,
        "/api/v1/holidays",
        json!({"date": "2026-12-25", "name": "Christmas"}),
    )
    .await;
    create(
        &app,
        t,
        "/api/v1/holidays",
        json!({"date": "2026-01-01", "name": "New Year"}),
    )
    .await;
    // Training: two programs (one without category nor validity), a session of each (one
    // without location, trainer nor capacity), two enrollments in the first (one passed with
    // a score, one with neither) and a pass of the second: two certifications, one that
    // never expires.
    let mut training = Vec::new();
    for (program, session) in [
        (
            json!({"title": "first aid", "category": "safety", "validity_months": 12}),
            json!({"starts_at": "2026-03-10T09:00:00Z", "ends_at": "2026-03-10T17:00:00Z", "location": "room", "trainer": "red cross", "capacity": 5}),
        ),
        (
            json!({"title": "onboarding"}),
            json!({"starts_at": "2026-02-10T09:00:00Z", "ends_at": "2026-02-10T10:00:00Z"}),
        ),
    ] {
        let p = create(&app, t, "/api/v1/training-programs", program).await;
        let mut session = session;
        session["program_id"] = p["id"].clone();
        let s = create(&app, t, "/api/v1/training-sessions", session).await;
        training.push(s["id"].as_str().unwrap().to_string());
    }
    let reporter = json!({"first_name": "Ann", "last_name": "Trainee", "hire_date": "2023-01-02"});
    let trainee = create(&app, t, "/api/v1/employees", reporter).await["id"].clone();
    for (session, employee, pass) in [
        (
            &training[0],
            &trainee,
            Some(json!({"status": "passed", "score": 90})),
        ),
        (&training[1], &trainee, Some(json!({"status": "passed"}))),
        (&training[0], &json!(boss_id), None),
    ] {
        let e = create(
            &app,
            t,
            &format!("/api/v1/training-sessions/{session}/enrollments"),
            json!({"employee_id": employee}),
        )
        .await;
        if let Some(body) = pass {
            let path = format!("/api/v1/training-enrollments/{}", e["id"].as_str().unwrap());
            ok(app.send_as(Method::PATCH, t, &path, Some(&body)).await, 200).await;
        }
    }
    // Attendance: a closed punch of the trainee, an open one of the boss (HR records).
    for (employee, check_in_at, check_out_at) in [
        (
            &trainee,
            "2026-03-10T09:00:00Z",
            json!("2026-03-10T17:00:00Z"),
        ),
        (&json!(boss_id), "2026-03-11T08:30:00Z", Value::Null),
    ] {
        let body = json!({"employee_id": employee, "check_in_at": check_in_at,
            "check_out_at": check_out_at, "note": "fixture"});
        create(&app, t, "/api/v1/attendance", body).await;
    }
    // Leave: two types (different names, codes, allowances), three requests of the trainee
    // (different dates, days, statuses; one half day).
    let mut leave_types = Vec::new();
    for (name, code, allowance) in [("annual", "AL", 25), ("sick", "SK", 10)] {
        let ty = create(
            &app,
            t,
            "/api/v1/leave-types",
            json!({"name": name, "code": code, "allowance_days": allowance, "accrual": "upfront"}),
        )
        .await;
        leave_types.push(ty["id"].clone());
    }
    for (ty, start, end, half) in [
        (&leave_types[0], "2030-03-04", "2030-03-06", None),
        (&leave_types[1], "2030-02-11", "2030-02-11", Some("am")),
        (&leave_types[0], "2030-05-06", "2030-05-07", None),
    ] {
        let r = create(
            &app,
            t,
            "/api/v1/leave-requests",
            json!({"employee_id": trainee, "leave_type_id": ty, "start_date": start,
                   "end_date": end, "half_day": half}),
        )
        .await;
        if start == "2030-05-06" {
            let path = format!(
                "/api/v1/leave-requests/{}/cancel",
                r["id"].as_str().unwrap()
            );
            ok(app.send_as(Method::POST, t, &path, None).await, 200).await;
        }
    }
    // Two files of different names, sizes and types.
    crate::files::upload(&app, t, "b-notes.txt", b"plain words").await;
    crate::files::upload(&app, t, "a-data.bin", &[0u8, 1, 2, 3, 4, 5, 6, 7, 8]).await;
    // Two finished imports of different resources and sizes.
    for (resource, csv) in [("leads", "name\nImported\n"), ("clients", "name\nC1\nC2\n")] {
        let started = crate::imports::import(&app, t, resource, csv, &[]).await;
        crate::imports::finished(&app, t, started["id"].as_str().unwrap()).await;
    }
    // Two conversations of the admin's, one with a message (a later activity).
    let mate = app.user_with_roles(&admin, &["employee"]).await;
    let talk = create(
        &app,
        t,
        "/api/v1/conversations",
        json!({"kind": "group", "title": "Tables talk", "member_ids": [mate.user_id]}),
    )
    .await;
    create(
        &app,
        t,
        "/api/v1/conversations",
        json!({"kind": "direct", "member_ids": [mate.user_id]}),
    )
    .await;
    create(
        &app,
        t,
        &format!(
            "/api/v1/conversations/{}/messages",
            talk["id"].as_str().unwrap()
        ),
        json!({"body": "first"}),
    )
    .await;

    // Every delivery attempted (and failed) before the log is walked.
    for _ in 0..300 {
        let pending = ok(
            app.get_as(
                t,
                &format!("/api/v1/webhooks/{hook_id}/deliveries?status=pending&limit=1"),
            )
            .await,
            200,
        )
        .await;
        if pending["data"].as_array().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let doc = ok(app.get("/api/v1/openapi.json").await, 200).await;
    let mut seen = Vec::new();
    let mut exported = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        let Some(params) = item["get"]["parameters"].as_array() else {
            continue;
        };
        let Some(sort) = params.iter().find(|p| p["name"] == "sort") else {
            continue;
        };
        // A CSV export takes its list's sort: the same rows in the same order, each field
        // both ways.
        if let Some(list) = path.strip_suffix("/export") {
            // Every contact of the organization: its rows of one client are that client's
            // list's, in the same order.
            let (list, filter) = match list {
                "/api/v1/contacts" => {
                    ("/api/v1/clients/{id}/contacts", format!("client_id={cid}&"))
                }
                list => (list, String::new()),
            };
            exported.push(list.to_string());
            let url = list.replace("{id}", &cid);
            let export_url = format!(
                "{}/export?{filter}",
                path.strip_suffix("/export").unwrap().replace("{id}", &cid)
            );
            for f in &sortable(sort["schema"]["pattern"].as_str().unwrap()) {
                let desc = format!("-{f}");
                for s in [f.as_str(), desc.as_str()] {
                    let all = ok(
                        app.get_as(t, &format!("{url}?sort={s}&limit=200")).await,
                        200,
                    )
                    .await;
                    let res = app.get_as(t, &format!("{export_url}sort={s}")).await;
                    assert_eq!(res.status(), 200, "{path}?sort={s}");
                    let text = res.text().await.unwrap();
                    let mut csv = csv::Reader::from_reader(text.as_bytes());
                    let at = csv.headers().unwrap().iter().position(|h| h == "id");
                    let exported_ids: Vec<String> = csv
                        .records()
                        .map(|r| r.unwrap()[at.unwrap()].to_string())
                        .collect();
                    assert_eq!(
                        exported_ids,
                        ids(all["data"].as_array().unwrap()),
                        "{path}?sort={s}: the export's order is not the list's"
                    );
                }
            }
            continue;
        }
        seen.push(path.clone());
        let fields = sortable(sort["schema"]["pattern"].as_str().unwrap());
        assert!(
            fields
                .iter()
                .any(|f| f == "created_at" || f == "occurred_at"),
            "{path}: {fields:?}"
        );
        let url = if path.starts_with("/api/v1/webhooks/") {
            path.replace("{id}", &hook_id)
        } else if path.starts_with("/api/v1/employees/") {
            path.replace("{id}", &boss_id)
        } else if path.starts_with("/api/v1/training-sessions/") {
            path.replace("{id}", &training[0])
        } else {
            path.replace("{id}", &cid)
        };
        for f in &fields {
            let desc = format!("-{f}");
            for s in [f.as_str(), desc.as_str()] {
                let all = ok(
                    app.get_as(t, &format!("{url}?sort={s}&limit=200")).await,
                    200,
                )
                .await;
                let all = ids(all["data"].as_array().unwrap());
                assert!(all.len() >= 2, "{path} has too few rows to page");
                let walked = walk(&app, t, &format!("{url}?sort={s}&limit=1"), |_| async {}).await;
                assert_eq!(
                    ids(&walked),
                    all,
                    "{path}?sort={s}: pages differ from one page"
                );
            }
        }
        let res = app.get_as(t, &format!("{url}?sort=no_such_field")).await;
        let body = assert_problem(res, 422).await;
        assert_eq!(body["errors"][0]["field"], "sort", "{path}");
    }
    seen.sort();
    let mut expected: Vec<String> = LIST_ROUTES.iter().map(|s| s.to_string()).collect();
    expected.sort();
    assert_eq!(seen, expected);
    exported.sort();
    assert_eq!(exported.len(), 10, "{exported:?}");
    assert!(
        exported.iter().all(|e| expected.contains(e)),
        "{exported:?}"
    );
    app.stop().await;
});
