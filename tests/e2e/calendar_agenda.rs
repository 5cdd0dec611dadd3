//! The agenda (contract section 9, `GET /calendar/agenda`): one item of every kind, from
//! every module it reads, in order; the range rule; another organization's caller sees none.
//! Dates are in 2030, so the day the test runs never tips a rule.

use crate::backend_tests;
use crate::concurrency::json_of;
use crate::helpers::*;
use crate::hr_support::{employee, get, id, patch, post, refused};
use crate::identity_support::create_as;
use reqwest::Method;
use serde_json::{Value, json};

const RANGE: &str = "from=2030-03-01&to=2030-04-01";

async fn agenda(app: &TestApp, t: &str, query: &str) -> Vec<Value> {
    let a = get(app, t, &format!("/api/v1/calendar/agenda?{query}")).await;
    a["items"].as_array().unwrap().clone()
}

/// Files a leave request with `t` and approves it with `approver`.
async fn approved_leave(app: &TestApp, t: &str, approver: &str, body: Value) -> Value {
    let r = json_of(post(app, t, "/api/v1/leave-requests", body).await, 201).await;
    let path = format!("/api/v1/leave-requests/{}/approve", id(&r));
    let done = json_of(post(app, approver, &path, json!({})).await, 200).await;
    assert_eq!(done["status"], "approved", "{done}");
    done
}

backend_tests!(the_agenda_merges_every_kind_in_order, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Agenda Co").await;
    let t = admin.access.as_str();
    let me = app.user_with_roles(&admin, &["employee"]).await;
    let report = app.user_with_roles(&admin, &["employee"]).await;
    let m = me.access.as_str();

    // An event I organize, weekly twice, about a project.
    let project = create_as(&app, t, "/api/v1/projects", json!({"name": "Launch"})).await;
    let event = json_of(
        post(
            &app,
            m,
            "/api/v1/calendar/events",
            json!({"title": "Stand-up", "starts_at": "2030-03-04T09:00:00Z",
                   "ends_at": "2030-03-04T09:30:00Z", "time_zone": "Europe/Berlin",
                   "recurrence": "FREQ=WEEKLY;COUNT=2",
                   "record_type": "project", "record_id": project["id"]}),
        )
        .await,
        201,
    )
    .await;

    // A task due, assigned to me; one cancelled and one of someone else's are left out.
    post(
        &app,
        t,
        &format!("/api/v1/projects/{}/members", id(&project)),
        json!({"user_id": me.user_id, "role": "member"}),
    )
    .await;
    let task = create_as(
        &app,
        t,
        "/api/v1/tasks",
        json!({"project_id": project["id"], "title": "Ship it", "due_date": "2030-03-06",
               "assignee_ids": [me.user_id]}),
    )
    .await;
    create_as(
        &app,
        t,
        "/api/v1/tasks",
        json!({"project_id": project["id"], "title": "Not mine", "due_date": "2030-03-06"}),
    )
    .await;
    let dropped = create_as(
        &app,
        t,
        "/api/v1/tasks",
        json!({"project_id": project["id"], "title": "Dropped", "due_date": "2030-03-06",
               "assignee_ids": [me.user_id]}),
    )
    .await;
    let res = patch(
        &app,
        t,
        &format!("/api/v1/tasks/{}", id(&dropped)),
        json!({"status": "cancelled"}),
    )
    .await;
    json_of(res, 200).await;

    // Leave: mine, my report's and my report's report's (indirect), all approved.
    let mine = employee(&app, t, "Me", "2029-01-01", json!({"user_id": me.user_id})).await;
    let rep = employee(
        &app,
        t,
        "Rita",
        "2029-01-01",
        json!({"user_id": report.user_id, "manager_id": mine["id"]}),
    )
    .await;
    let deep = employee(
        &app,
        t,
        "Dina",
        "2029-01-01",
        json!({"manager_id": rep["id"]}),
    )
    .await;
    let al = create_as(
        &app,
        t,
        "/api/v1/leave-types",
        json!({"name": "Annual", "code": "AL", "allowance_days": 20, "accrual": "upfront"}),
    )
    .await;
    let my_leave = approved_leave(
        &app,
        m,
        t,
        json!({"leave_type_id": al["id"], "start_date": "2030-03-13", "end_date": "2030-03-14"}),
    )
    .await;
    let rep_leave = approved_leave(
        &app,
        &report.access,
        m,
        json!({"leave_type_id": al["id"], "start_date": "2030-03-18", "end_date": "2030-03-19"}),
    )
    .await;
    let deep_leave = approved_leave(
        &app,
        t,
        &report.access,
        json!({"employee_id": deep["id"], "leave_type_id": al["id"],
               "start_date": "2030-03-20", "end_date": "2030-03-20"}),
    )
    .await;

    // An interview I conduct.
    let posting = create_as(
        &app,
        t,
        "/api/v1/job-postings",
        json!({"title": "Engineer", "status": "open"}),
    )
    .await;
    let ada = create_as(
        &app,
        t,
        "/api/v1/candidates",
        json!({"name": "Ada Lovelace", "email": "ada@example.com"}),
    )
    .await;
    let application = create_as(
        &app,
        t,
        "/api/v1/applications",
        json!({"job_posting_id": posting["id"], "candidate_id": ada["id"]}),
    )
    .await;
    let interview = create_as(
        &app,
        t,
        "/api/v1/interviews",
        json!({"application_id": application["id"], "starts_at": "2030-03-07T10:00:00Z",
               "ends_at": "2030-03-07T11:00:00Z", "mode": "video",
               "interviewer_ids": [me.user_id]}),
    )
    .await;

    // A contract I own, active, with its notice (20 days before its end) and end in range.
    let client = create_as(
        &app,
        t,
        "/api/v1/clients",
        json!({"name": "Globex", "kind": "company"}),
    )
    .await;
    let contract = create_as(
        &app,
        t,
        "/api/v1/contracts",
        json!({"client_id": client["id"], "title": "Support", "value": 100_000,
               "start_date": "2029-04-01", "end_date": "2030-03-28", "notice_days": 20,
               "owner_id": me.user_id}),
    )
    .await;
    assert_eq!(contract["notice_date"], "2030-03-08");
    let res = app
        .send_as(
            Method::POST,
            t,
            &format!("/api/v1/contracts/{}/activate", id(&contract)),
            None,
        )
        .await;
    json_of(res, 200).await;

    let items = agenda(&app, m, RANGE).await;
    let shape: Vec<(&str, String, &str)> = items
        .iter()
        .map(|i| {
            (
                i["kind"].as_str().unwrap(),
                i["id"].as_str().unwrap().to_string(),
                i["title"].as_str().unwrap(),
            )
        })
        .collect();
    let ev = id(&event);
    assert_eq!(
        shape,
        vec![
            ("event", ev.clone(), "Stand-up"),
            ("task", id(&task), "Ship it"),
            (
                "interview",
                id(&interview),
                "Interview: Ada Lovelace (round 1)"
            ),
            ("contract", id(&contract), "Notice: Support"),
            ("event", ev.clone(), "Stand-up"),
            ("leave", id(&my_leave), "Leave"),
            ("leave", id(&rep_leave), "Leave: Rita Tester"),
            ("leave", id(&deep_leave), "Leave: Dina Tester"),
            ("contract", id(&contract), "Ends: Support"),
        ]
    );
    // The fields of each kind.
    let first = &items[0];
    assert_eq!(first["starts_at"], "2030-03-04T09:00:00Z");
    assert_eq!(first["ends_at"], "2030-03-04T09:30:00Z");
    assert_eq!(first["recurrence_id"], "2030-03-04T09:00:00Z");
    assert!(first["date"].is_null());
    assert_eq!(
        (first["record_type"].as_str(), &first["record_id"]),
        (Some("project"), &project["id"])
    );
    let tk = &items[1];
    assert_eq!(tk["date"], "2030-03-06");
    assert!(tk["starts_at"].is_null() && tk["ends_at"].is_null());
    assert_eq!(tk["record_id"], project["id"]);
    let iv = &items[2];
    assert_eq!(iv["starts_at"], "2030-03-07T10:00:00Z");
    assert_eq!(iv["record_type"], "application");
    assert_eq!(iv["record_id"], application["id"]);
    let lv = &items[5];
    assert_eq!(
        (lv["date"].as_str(), lv["end_date"].as_str()),
        (Some("2030-03-13"), Some("2030-03-14"))
    );
    assert_eq!(lv["record_id"], mine["id"]);
    assert_eq!(items[8]["date"], "2030-03-28");
    assert_eq!(items[8]["record_id"], client["id"]);

    // A narrower range: only what touches it (the leave of the 13th–14th from the 14th on).
    let narrow = agenda(&app, m, "from=2030-03-14T12:00:00Z&to=2030-03-18").await;
    let kinds: Vec<&str> = narrow.iter().map(|i| i["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["leave"], "{narrow:?}");

    // My report sees their own leave and Dina's, not mine, nor my task, interview, contract.
    let theirs = agenda(&app, &report.access, RANGE).await;
    let titles: Vec<&str> = theirs
        .iter()
        .map(|i| i["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Leave", "Leave: Dina Tester"]);

    // The range rule, as for occurrences.
    refused(
        app.get_as(m, "/api/v1/calendar/agenda?from=2030-01-01&to=2031-01-03")
            .await,
        "to",
    )
    .await;
    refused(
        app.get_as(m, "/api/v1/calendar/agenda?to=2030-01-03").await,
        "from",
    )
    .await;
    refused(
        app.get_as(m, "/api/v1/calendar/agenda?from=soon&to=2030-01-03")
            .await,
        "from",
    )
    .await;

    // Another organization's admin sees nothing of ours.
    let other = app.register_admin("Other Agenda").await;
    assert!(agenda(&app, &other.access, RANGE).await.is_empty());
    // Without a token: 401.
    assert_problem(
        app.get("/api/v1/calendar/agenda?from=2030-03-01&to=2030-04-01")
            .await,
        401,
    )
    .await;
    app.stop().await;
});
