//! Projects (contract section 7): projects with their members and computed progress, tasks
//! with their rules, the board and its moves, dependencies and their cycles, milestones, the
//! `:own` scopes of an employee, and the events, notifications and audit entries they make.
//! Time entries, invoicing and reports are not tested here.

use crate::backend_tests;
use crate::concurrency::{assert_concurrent_patches, json_of};
use crate::helpers::*;
use crate::identity_support::create_as;
use chrono::{Duration, Utc};
use futures_util::future::join_all;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::HashMap;

const STATUSES: [&str; 5] = ["todo", "in_progress", "in_review", "done", "cancelled"];

fn id(v: &Value) -> String {
    v["id"].as_str().expect("an id").to_string()
}

fn ids(v: &Value) -> Vec<String> {
    v["data"]
        .as_array()
        .expect("a page")
        .iter()
        .map(id)
        .collect()
}

fn version(v: &Value) -> i64 {
    v["version"].as_i64().expect("a version")
}

/// A date `days` from today (UTC; tests keep two days away from today, so the
/// organization's own date cannot tip a comparison).
fn day(days: i64) -> String {
    (Utc::now().date_naive() + Duration::days(days)).to_string()
}

async fn post(app: &TestApp, t: &str, path: &str, body: Value) -> reqwest::Response {
    app.send_as(Method::POST, t, path, Some(&body)).await
}

async fn patch(app: &TestApp, t: &str, path: &str, body: Value) -> reqwest::Response {
    app.send_as(Method::PATCH, t, path, Some(&body)).await
}

async fn delete(app: &TestApp, t: &str, path: &str) -> reqwest::Response {
    app.send_as(Method::DELETE, t, path, None).await
}

async fn patch_if(
    app: &TestApp,
    t: &str,
    path: &str,
    version: i64,
    body: Value,
) -> reqwest::Response {
    reqwest::Client::new()
        .patch(app.url(path))
        .bearer_auth(t)
        .header("if-match", format!("\"{version}\""))
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn get(app: &TestApp, t: &str, path: &str) -> Value {
    json_of(app.get_as(t, path).await, 200).await
}

/// A problem of `status` whose `type` ends in `/<code>`.
async fn problem(res: reqwest::Response, status: u16, code: &str) -> Value {
    let p = assert_problem(res, status).await;
    let ty = p["type"].as_str().unwrap_or_default();
    assert!(ty.ends_with(&format!("/{code}")), "{code} expected: {p}");
    p
}

/// A `422` naming `field` among its errors.
async fn refused(res: reqwest::Response, field: &str) -> Value {
    let p = assert_problem(res, 422).await;
    assert!(
        p["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["field"] == field),
        "{field} expected among the errors: {p}"
    );
    p
}

fn with(mut body: Value, extra: Value) -> Value {
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    body
}

async fn project(app: &TestApp, t: &str, body: Value) -> Value {
    create_as(app, t, "/api/v1/projects", body).await
}

/// A task of `project` titled `title`, with `extra` fields.
async fn task(app: &TestApp, t: &str, project: &str, title: &str, extra: Value) -> Value {
    create_as(
        app,
        t,
        "/api/v1/tasks",
        with(json!({"project_id": project, "title": title}), extra),
    )
    .await
}

async fn add_member(app: &TestApp, t: &str, project: &str, user: &str, role: &str) -> Value {
    json_of(
        post(
            app,
            t,
            &format!("/api/v1/projects/{project}/members"),
            json!({"user_id": user, "role": role}),
        )
        .await,
        201,
    )
    .await
}

/// The board of `project` as `t` sees it: each status column's task ids, in board order.
/// Checks the board's shape, and that each card's `position` is its index.
async fn board(app: &TestApp, t: &str, project: &str) -> Vec<(String, Vec<String>)> {
    let b = get(app, t, &format!("/api/v1/projects/{project}/board")).await;
    assert_eq!(b["project_id"], project, "{b}");
    let columns = b["columns"].as_array().unwrap();
    let statuses: Vec<&str> = columns
        .iter()
        .map(|c| c["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, STATUSES, "columns in status order");
    columns
        .iter()
        .map(|c| {
            let status = c["status"].as_str().unwrap().to_string();
            let tasks = c["tasks"].as_array().unwrap();
            for (i, t) in tasks.iter().enumerate() {
                assert_eq!(t["status"], status.as_str(), "{t}");
                assert_eq!(t["position"], i, "position of {} in {status}", t["title"]);
            }
            (status, tasks.iter().map(id).collect())
        })
        .collect()
}

fn column<'a>(b: &'a [(String, Vec<String>)], status: &str) -> &'a [String] {
    &b.iter().find(|(s, _)| s == status).unwrap().1
}

async fn set_status(app: &TestApp, t: &str, task: &str, status: &str) -> Value {
    json_of(
        patch(
            app,
            t,
            &format!("/api/v1/tasks/{task}"),
            json!({"status": status}),
        )
        .await,
        200,
    )
    .await
}

backend_tests!(
    projects_with_defaults_computed_fields_and_members,
    |b| async move {
        let app = spawn_app(b).await;
        let admin = app.register_admin("Projects Co").await;
        let t = admin.access.as_str();

        // Created with its defaults; the computed fields are computed, the ETag is the version.
        let res = post(&app, t, "/api/v1/projects", json!({"name": "Website"})).await;
        assert_eq!(res.status(), 201);
        let location = res.headers()["location"].to_str().unwrap().to_string();
        let etag = res.headers()["etag"].to_str().unwrap().to_string();
        let web: Value = res.json().await.unwrap();
        let path = format!("/api/v1/projects/{}", id(&web));
        assert_eq!(location, path);
        assert_eq!(etag, "\"1\"");
        for (field, expected) in [
            ("name", json!("Website")),
            ("code", Value::Null),
            ("description", Value::Null),
            ("client_id", Value::Null),
            ("deal_id", Value::Null),
            ("owner_id", json!(admin.user_id)),
            ("status", json!("planned")),
            ("billing", json!("non_billable")),
            ("progress_method", json!("tasks")),
            ("hourly_rate", Value::Null),
            ("budget_amount", Value::Null),
            ("budget_currency", Value::Null),
            ("budget_minutes", Value::Null),
            ("progress", json!(0)),
            ("tasks_total", json!(0)),
            ("tasks_done", json!(0)),
            ("is_overdue", json!(false)),
            ("organization_id", json!(admin.organization_id)),
            ("version", json!(1)),
        ] {
            assert_eq!(web[field], expected, "{field} of {web}");
        }
        let res = app.get_as(t, &path).await;
        assert_eq!(res.headers()["etag"], "\"1\"");
        assert_eq!(json_of(res, 200).await, web);

        // A budget without a currency is in the organization's; a code is unique per
        // organization, at creation and by a change.
        let client = create_as(
            &app,
            t,
            "/api/v1/clients",
            json!({"name": "Globex", "kind": "company"}),
        )
        .await;
        let full = project(
            &app,
            t,
            json!({"name": "Relaunch", "code": "WEB-1", "client_id": client["id"],
                   "status": "active", "billing": "hourly", "hourly_rate": 9_500,
                   "budget_amount": 400_000, "budget_minutes": 24_000,
                   "start_date": day(-30), "due_date": day(30),
                   "progress_method": "estimates", "description": "The new site"}),
        )
        .await;
        assert_eq!(
            (
                full["code"].as_str(),
                full["budget_currency"].as_str(),
                full["billing"].as_str(),
                full["client_id"].as_str(),
                full["is_overdue"].as_bool(),
            ),
            (
                Some("WEB-1"),
                Some("USD"),
                Some("hourly"),
                client["id"].as_str(),
                Some(false)
            )
        );
        problem(
            post(
                &app,
                t,
                "/api/v1/projects",
                json!({"name": "Copy", "code": "WEB-1"}),
            )
            .await,
            409,
            "project-code-taken",
        )
        .await;
        problem(
            patch(&app, t, &path, json!({"code": "WEB-1"})).await,
            409,
            "project-code-taken",
        )
        .await;
        let other = app.register_admin("Elsewhere").await;
        project(
            &app,
            &other.access,
            json!({"name": "Theirs", "code": "WEB-1"}),
        )
        .await;

        // Computed and read-only fields are refused on create and patch, each named.
        for field in [
            "progress",
            "tasks_total",
            "tasks_done",
            "is_overdue",
            "id",
            "version",
            "created_at",
            "organization_id",
        ] {
            let mut body = json!({"name": "Sneaky"});
            body[field] = match field {
                "created_at" => json!("2026-01-01T00:00:00Z"),
                "is_overdue" => json!(true),
                "id" | "organization_id" => json!(uuid::Uuid::now_v7()),
                _ => json!(50),
            };
            refused(post(&app, t, "/api/v1/projects", body.clone()).await, field).await;
            body.as_object_mut().unwrap().remove("name");
            refused(patch(&app, t, &path, body).await, field).await;
        }
        // Bad fields, each named.
        for (field, body) in [
            ("name", json!({"name": "  "})),
            ("code", json!({"name": "x", "code": "has space"})),
            (
                "due_date",
                json!({"name": "x", "start_date": day(5), "due_date": day(4)}),
            ),
            ("status", json!({"name": "x", "status": "open"})),
            (
                "client_id",
                json!({"name": "x", "client_id": uuid::Uuid::now_v7()}),
            ),
            (
                "owner_id",
                json!({"name": "x", "owner_id": uuid::Uuid::now_v7()}),
            ),
            (
                "deal_id",
                json!({"name": "x", "deal_id": uuid::Uuid::now_v7()}),
            ),
            ("budget_minutes", json!({"name": "x", "budget_minutes": -1})),
            ("hourly_rate", json!({"name": "x", "hourly_rate": -1})),
            (
                "budget_currency",
                json!({"name": "x", "budget_currency": "XYZ"}),
            ),
        ] {
            refused(post(&app, t, "/api/v1/projects", body).await, field).await;
        }
        refused(
            patch(
                &app,
                t,
                &path,
                json!({"start_date": day(10), "due_date": day(9)}),
            )
            .await,
            "due_date",
        )
        .await;

        // Overdue: due before today and still open; a completed project is not.
        let late = project(
            &app,
            t,
            json!({"name": "Late", "status": "active", "due_date": day(-3)}),
        )
        .await;
        assert_eq!(late["is_overdue"], true);
        let late_path = format!("/api/v1/projects/{}", id(&late));
        let done = json_of(
            patch(&app, t, &late_path, json!({"status": "completed"})).await,
            200,
        )
        .await;
        assert_eq!(done["is_overdue"], false);

        // Progress by tasks and by estimates, rounded down, cancelled tasks left out:
        // done 20 min, todo 10 min, todo without estimate, cancelled (and done would not
        // matter) 500 min.
        let p = id(&web);
        let a = task(&app, t, &p, "A", json!({"estimate_minutes": 20})).await;
        task(&app, t, &p, "B", json!({"estimate_minutes": 10})).await;
        task(&app, t, &p, "C", json!({})).await;
        let d = task(&app, t, &p, "D", json!({"estimate_minutes": 500})).await;
        set_status(&app, t, &id(&a), "done").await;
        set_status(&app, t, &id(&d), "cancelled").await;
        let by_tasks = get(&app, t, &path).await;
        assert_eq!(
            (
                by_tasks["progress"].as_i64(),
                by_tasks["tasks_total"].as_i64(),
                by_tasks["tasks_done"].as_i64()
            ),
            (Some(33), Some(3), Some(1)),
            "1 of 3 not-cancelled tasks done: {by_tasks}"
        );
        let v = version(&by_tasks);
        let by_estimates = json_of(
            patch_if(&app, t, &path, v, json!({"progress_method": "estimates"})).await,
            200,
        )
        .await;
        assert_eq!(
            by_estimates["progress"], 66,
            "20 of 30 estimated minutes, rounded down: {by_estimates}"
        );
        assert_eq!(by_estimates["version"], v + 1);
        // The list shows the same computed fields.
        let listed = get(&app, t, "/api/v1/projects?limit=200").await;
        let row = listed["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == web["id"])
            .unwrap()
            .clone();
        assert_eq!(row, by_estimates);

        // A stale If-Match is 412 and changes nothing.
        assert_problem(
            patch_if(&app, t, &path, v, json!({"name": "Stale"})).await,
            412,
        )
        .await;
        assert_eq!(get(&app, t, &path).await["name"], "Website");

        // Lists: filters and search.
        assert_eq!(
            ids(&get(&app, t, "/api/v1/projects?code=WEB-1").await),
            [id(&full)]
        );
        assert_eq!(
            ids(&get(&app, t, "/api/v1/projects?status=completed").await),
            [id(&late)]
        );
        assert_eq!(
            ids(&get(&app, t, "/api/v1/projects?q=new%20site").await),
            [id(&full)]
        );
        refused(
            app.get_as(t, "/api/v1/projects?status=open").await,
            "status",
        )
        .await;

        // Members: none yet; added, refused twice, given another role, removed.
        let members = format!("{path}/members");
        assert_eq!(
            get(&app, t, &members).await,
            json!({"data": [], "next_cursor": null})
        );
        let emp = app.user_with_roles(&admin, &["employee"]).await;
        let res = post(
            &app,
            t,
            &members,
            json!({"user_id": emp.user_id, "role": "member"}),
        )
        .await;
        assert_eq!(
            json_of(res, 201).await,
            json!({"user_id": emp.user_id, "role": "member"})
        );
        problem(
            post(
                &app,
                t,
                &members,
                json!({"user_id": emp.user_id, "role": "viewer"}),
            )
            .await,
            409,
            "member-exists",
        )
        .await;
        refused(
            post(
                &app,
                t,
                &members,
                json!({"user_id": uuid::Uuid::now_v7(), "role": "member"}),
            )
            .await,
            "user_id",
        )
        .await;
        refused(
            post(
                &app,
                t,
                &members,
                json!({"user_id": other.user_id, "role": "member"}),
            )
            .await,
            "user_id",
        )
        .await;
        refused(
            post(
                &app,
                t,
                &members,
                json!({"user_id": admin.user_id, "role": "owner"}),
            )
            .await,
            "role",
        )
        .await;
        let member = format!("{members}/{}", emp.user_id);
        assert_eq!(
            json_of(
                patch(&app, t, &member, json!({"role": "viewer"})).await,
                200
            )
            .await,
            json!({"user_id": emp.user_id, "role": "viewer"})
        );
        add_member(&app, t, &id(&web), &admin.user_id, "manager").await;
        assert_eq!(
            get(&app, t, &members).await,
            json!({"data": [{"user_id": emp.user_id, "role": "viewer"},
                            {"user_id": admin.user_id, "role": "manager"}],
                   "next_cursor": null})
        );
        assert_eq!(delete(&app, t, &member).await.status(), 204);
        assert_problem(delete(&app, t, &member).await, 404).await;
        assert_problem(
            patch(&app, t, &member, json!({"role": "member"})).await,
            404,
        )
        .await;
        assert_problem(
            patch(
                &app,
                t,
                &format!("{members}/{}", uuid::Uuid::now_v7()),
                json!({"role": "member"}),
            )
            .await,
            404,
        )
        .await;
        assert_eq!(
            get(&app, t, &members).await,
            json!({"data": [{"user_id": admin.user_id, "role": "manager"}], "next_cursor": null})
        );

        // Deleted with its tasks; then 404 everywhere.
        assert_eq!(delete(&app, t, &path).await.status(), 204);
        assert_problem(app.get_as(t, &path).await, 404).await;
        assert_problem(app.get_as(t, &members).await, 404).await;
        assert_problem(
            app.get_as(t, &format!("/api/v1/tasks/{}", id(&a))).await,
            404,
        )
        .await;
        assert_problem(delete(&app, t, &path).await, 404).await;
        app.stop().await;
    }
);

backend_tests!(tasks_follow_the_rules_of_their_project, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Tasks Co").await;
    let t = admin.access.as_str();
    let emp = app.user_with_roles(&admin, &["employee"]).await;
    let outsider = app.user_with_roles(&admin, &["employee"]).await;
    let p = id(&project(&app, t, json!({"name": "Build", "status": "active"})).await);
    let q = id(&project(&app, t, json!({"name": "Other"})).await);
    add_member(&app, t, &p, &emp.user_id, "member").await;

    // Defaults.
    let res = post(
        &app,
        t,
        "/api/v1/tasks",
        json!({"project_id": p, "title": "Plan"}),
    )
    .await;
    assert_eq!(res.status(), 201);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    let plan: Value = res.json().await.unwrap();
    assert_eq!(location, format!("/api/v1/tasks/{}", id(&plan)));
    for (field, expected) in [
        ("project_id", json!(p)),
        ("parent_id", Value::Null),
        ("milestone_id", Value::Null),
        ("title", json!("Plan")),
        ("description", Value::Null),
        ("status", json!("todo")),
        ("priority", json!("medium")),
        ("assignee_ids", json!([])),
        ("labels", json!([])),
        ("start_date", Value::Null),
        ("due_date", Value::Null),
        ("estimate_minutes", Value::Null),
        ("position", json!(0)),
        ("is_overdue", json!(false)),
        ("logged_minutes", json!(0)),
        ("completed_at", Value::Null),
        ("is_blocked", json!(false)),
        ("version", json!(1)),
    ] {
        assert_eq!(plan[field], expected, "{field} of {plan}");
    }
    assert!(plan.get("rank").is_none() && plan.get("board_rank").is_none());
    let plan_path = format!("/api/v1/tasks/{}", id(&plan));

    // Computed fields refused on create and patch; a task stays in its project.
    for (field, value) in [
        ("is_overdue", json!(true)),
        ("logged_minutes", json!(5)),
        ("completed_at", json!("2026-01-01T00:00:00Z")),
        ("is_blocked", json!(false)),
        ("version", json!(3)),
    ] {
        let mut body = json!({"project_id": p, "title": "x"});
        body[field] = value.clone();
        refused(post(&app, t, "/api/v1/tasks", body).await, field).await;
        refused(
            patch(&app, t, &plan_path, json!({field: value})).await,
            field,
        )
        .await;
    }
    refused(
        patch(&app, t, &plan_path, json!({"project_id": q})).await,
        "project_id",
    )
    .await;

    // Assignees must be members; parent and milestone of the same project.
    refused(
        post(
            &app,
            t,
            "/api/v1/tasks",
            json!({"project_id": p, "title": "x", "assignee_ids": [outsider.user_id]}),
        )
        .await,
        "assignee_ids",
    )
    .await;
    refused(
        patch(
            &app,
            t,
            &plan_path,
            json!({"assignee_ids": [emp.user_id, outsider.user_id]}),
        )
        .await,
        "assignee_ids",
    )
    .await;
    let mine = task(
        &app,
        t,
        &p,
        "Mine",
        json!({"assignee_ids": [emp.user_id, emp.user_id], "labels": [" ui ", "ui", "api"],
               "priority": "high", "start_date": day(-10), "due_date": day(-3),
               "estimate_minutes": 90, "description": "Both ends"}),
    )
    .await;
    assert_eq!(mine["assignee_ids"], json!([emp.user_id]));
    assert_eq!(mine["labels"], json!(["ui", "api"]));
    assert_eq!(mine["is_overdue"], true, "due before today and open");
    let elsewhere = task(&app, t, &q, "Elsewhere", json!({})).await;
    let other_milestone = create_as(
        &app,
        t,
        "/api/v1/milestones",
        json!({"project_id": q, "title": "Theirs"}),
    )
    .await;
    for (field, extra) in [
        ("parent_id", json!({"parent_id": elsewhere["id"]})),
        ("parent_id", json!({"parent_id": uuid::Uuid::now_v7()})),
        (
            "milestone_id",
            json!({"milestone_id": other_milestone["id"]}),
        ),
        (
            "milestone_id",
            json!({"milestone_id": uuid::Uuid::now_v7()}),
        ),
        (
            "due_date",
            json!({"start_date": day(3), "due_date": day(2)}),
        ),
        ("title", json!({"title": " "})),
        ("estimate_minutes", json!({"estimate_minutes": -1})),
        ("position", json!({"position": -1})),
        ("priority", json!({"priority": "asap"})),
    ] {
        refused(
            post(
                &app,
                t,
                "/api/v1/tasks",
                with(json!({"project_id": p, "title": "x"}), extra.clone()),
            )
            .await,
            field,
        )
        .await;
        refused(patch(&app, t, &plan_path, extra).await, field).await;
    }
    refused(
        post(
            &app,
            t,
            "/api/v1/tasks",
            json!({"project_id": uuid::Uuid::now_v7(), "title": "x"}),
        )
        .await,
        "project_id",
    )
    .await;

    // Lists: filters.
    assert_eq!(
        ids(&get(
            &app,
            t,
            &format!("/api/v1/tasks?assignee_id={}", emp.user_id)
        )
        .await),
        [id(&mine)]
    );
    assert_eq!(
        ids(&get(&app, t, "/api/v1/tasks?label=api").await),
        [id(&mine)]
    );
    assert_eq!(
        ids(&get(&app, t, &format!("/api/v1/tasks?project_id={q}")).await),
        [id(&elsewhere)]
    );
    assert_eq!(
        ids(&get(
            &app,
            t,
            &format!("/api/v1/tasks?project_id={p}&priority=high")
        )
        .await),
        [id(&mine)]
    );

    // `done` waits for an open dependency; completed_at is set, and cleared on reopening.
    let first = task(&app, t, &p, "First", json!({})).await;
    let then = task(&app, t, &p, "Then", json!({})).await;
    let then_path = format!("/api/v1/tasks/{}", id(&then));
    json_of(
        post(
            &app,
            t,
            &format!("{then_path}/dependencies"),
            json!({"depends_on_id": first["id"]}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(get(&app, t, &then_path).await["is_blocked"], true);
    problem(
        patch(&app, t, &then_path, json!({"status": "done"})).await,
        409,
        "blocked",
    )
    .await;
    let still = get(&app, t, &then_path).await;
    assert_eq!(
        (still["status"].as_str(), still["version"].as_i64()),
        (Some("todo"), Some(1))
    );
    set_status(&app, t, &id(&first), "in_review").await;
    problem(
        patch(&app, t, &then_path, json!({"status": "done"})).await,
        409,
        "blocked",
    )
    .await;
    let first_done = set_status(&app, t, &id(&first), "done").await;
    assert!(first_done["completed_at"].is_string());
    assert_eq!(get(&app, t, &then_path).await["is_blocked"], false);
    let before = Utc::now() - Duration::seconds(5);
    let done = set_status(&app, t, &id(&then), "done").await;
    let at: chrono::DateTime<Utc> = done["completed_at"].as_str().unwrap().parse().unwrap();
    assert!(
        at >= before && at <= Utc::now() + Duration::seconds(5),
        "{done}"
    );
    // Staying done keeps the time; leaving done clears it.
    let renamed = json_of(
        patch(&app, t, &then_path, json!({"title": "Then, renamed"})).await,
        200,
    )
    .await;
    assert_eq!(renamed["completed_at"], done["completed_at"]);
    let reopened = set_status(&app, t, &id(&then), "in_progress").await;
    assert_eq!(reopened["completed_at"], Value::Null);
    // A cancelled dependency does not block either.
    set_status(&app, t, &id(&first), "cancelled").await;
    assert_eq!(get(&app, t, &then_path).await["is_blocked"], false);
    set_status(&app, t, &id(&then), "done").await;

    // `done` waits for an open subtask; a cancelled one does not hold it.
    let parent = task(&app, t, &p, "Parent", json!({})).await;
    let parent_path = format!("/api/v1/tasks/{}", id(&parent));
    let sub = task(&app, t, &p, "Sub", json!({"parent_id": parent["id"]})).await;
    let sub2 = task(&app, t, &p, "Sub 2", json!({"parent_id": parent["id"]})).await;
    assert_eq!(sub["parent_id"], parent["id"]);
    problem(
        patch(&app, t, &parent_path, json!({"status": "done"})).await,
        409,
        "blocked",
    )
    .await;
    set_status(&app, t, &id(&sub), "done").await;
    problem(
        patch(&app, t, &parent_path, json!({"status": "done"})).await,
        409,
        "blocked",
    )
    .await;
    set_status(&app, t, &id(&sub2), "cancelled").await;
    set_status(&app, t, &id(&parent), "done").await;
    // A task cannot become a subtask of its own subtask, nor of itself.
    refused(
        patch(&app, t, &parent_path, json!({"parent_id": sub["id"]})).await,
        "parent_id",
    )
    .await;
    refused(
        patch(&app, t, &parent_path, json!({"parent_id": parent["id"]})).await,
        "parent_id",
    )
    .await;
    assert_eq!(
        ids(&get(
            &app,
            t,
            &format!("/api/v1/tasks?parent_id={}&sort=created_at", id(&parent))
        )
        .await),
        [id(&sub), id(&sub2)]
    );

    // A task with subtasks is kept; without them it goes.
    problem(
        delete(&app, t, &parent_path).await,
        409,
        "task-has-subtasks",
    )
    .await;
    for s in [&sub, &sub2] {
        let path = format!("/api/v1/tasks/{}", id(s));
        assert_eq!(delete(&app, t, &path).await.status(), 204);
        assert_problem(app.get_as(t, &path).await, 404).await;
    }
    assert_eq!(delete(&app, t, &parent_path).await.status(), 204);
    assert_problem(app.get_as(t, &parent_path).await, 404).await;
    assert_problem(delete(&app, t, &parent_path).await, 404).await;

    // A completed or cancelled project takes no new task; on hold it does.
    let ppath = format!("/api/v1/projects/{p}");
    for (status, open) in [
        ("on_hold", true),
        ("completed", false),
        ("cancelled", false),
        ("active", true),
    ] {
        json_of(patch(&app, t, &ppath, json!({"status": status})).await, 200).await;
        let res = post(
            &app,
            t,
            "/api/v1/tasks",
            json!({"project_id": p, "title": format!("In {status}")}),
        )
        .await;
        if open {
            assert_eq!(res.status(), 201, "{status}");
        } else {
            problem(res, 409, "project-closed").await;
        }
    }
    app.stop().await;
});

/// The moves of the board test: `(card, status, position)`, `None` keeping what is.
type Move = (usize, Option<&'static str>, Option<i64>);

backend_tests!(board_moves_keep_the_other_cards_in_order, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Board Co").await;
    let t = admin.access.as_str();
    let p = id(&project(&app, t, json!({"name": "Kanban"})).await);

    // Seven cards: created last in their column unless a position says otherwise.
    let mut cards = Vec::new();
    for n in 0..6 {
        cards.push(id(&task(&app, t, &p, &format!("card {n}"), json!({})).await));
    }
    let first = task(&app, t, &p, "card 6", json!({"position": 0})).await;
    assert_eq!(first["position"], 0);
    cards.push(id(&first));
    let mut model: HashMap<&str, Vec<String>> = STATUSES.iter().map(|s| (*s, Vec::new())).collect();
    model
        .get_mut("todo")
        .unwrap()
        .extend([6, 0, 1, 2, 3, 4, 5].iter().map(|i| cards[*i].clone()));
    let same = |b: &[(String, Vec<String>)], model: &HashMap<&str, Vec<String>>| {
        for s in STATUSES {
            assert_eq!(column(b, s), model[s].as_slice(), "column {s}");
        }
    };
    same(&board(&app, t, &p).await, &model);

    // Moves: inside a column, across columns (with and without a position), past the end,
    // and many to the same place (the stored order runs out of room there and is renumbered).
    let mut moves: Vec<Move> = vec![
        (3, None, Some(0)),
        (0, Some("in_progress"), None),
        (5, Some("in_progress"), Some(0)),
        (1, None, Some(99)),
        (2, Some("in_review"), Some(5)),
        (6, Some("done"), None),
        (5, Some("todo"), Some(2)),
        (4, Some("in_progress"), Some(1)),
        (0, None, Some(0)),
    ];
    for round in 0..24 {
        // Always to the second place of the todo column, from wherever the card is.
        moves.push((round % 7, Some("todo"), Some(1)));
    }
    for (n, (card, status, position)) in moves.into_iter().enumerate() {
        let cid = &cards[card];
        let path = format!("/api/v1/tasks/{cid}");
        let current = get(&app, t, &path).await;
        let from = current["status"].as_str().unwrap().to_string();
        let to = status.unwrap_or(from.as_str()).to_string();
        let mut body = json!({});
        if let Some(s) = status {
            body["status"] = json!(s);
        }
        if let Some(p) = position {
            body["position"] = json!(p);
        }
        let moved = json_of(patch_if(&app, t, &path, version(&current), body).await, 200).await;
        // The model: out of its column, into the target at the place (last when none or
        // past the end; a move inside a column without a place keeps it where it was).
        let old_at = model[from.as_str()].iter().position(|c| c == cid).unwrap();
        model.get_mut(from.as_str()).unwrap().remove(old_at);
        let target = model.get_mut(to.as_str()).unwrap();
        let at = match position {
            Some(p) => usize::try_from(p).unwrap().min(target.len()),
            None if to == from => old_at,
            None => target.len(),
        };
        target.insert(at, cid.clone());
        // A move that changes the card's place is a change: one version more.
        if from != to || old_at != at {
            assert_eq!(moved["version"], version(&current) + 1, "move {n}");
        }
        assert_eq!(moved["status"], to.as_str(), "move {n}");
        assert_eq!(moved["position"], at, "move {n}: {moved}");
        same(&board(&app, t, &p).await, &model);
        // What a card says of itself agrees with the board.
        assert_eq!(get(&app, t, &path).await["position"], at, "move {n}");
    }

    // A stale If-Match moves nothing.
    let path = format!("/api/v1/tasks/{}", cards[1]);
    let current = get(&app, t, &path).await;
    assert_problem(
        patch_if(
            &app,
            t,
            &path,
            version(&current) - 1,
            json!({"position": 0}),
        )
        .await,
        412,
    )
    .await;
    same(&board(&app, t, &p).await, &model);

    // Two people drag one card at once with the same If-Match: one wins, one gets 412, and
    // the card is on the board once, where the winner put it.
    for (round, card) in cards.iter().enumerate().take(4) {
        let path = format!("/api/v1/tasks/{card}");
        let current = get(&app, t, &path).await;
        let v = version(&current);
        let bodies = [
            json!({"status": "in_review", "position": 0}),
            json!({"status": "done", "position": 0}),
        ];
        let sends = bodies.iter().map(|body| {
            let req = reqwest::Client::new()
                .patch(app.url(&path))
                .bearer_auth(t)
                .header("if-match", format!("\"{v}\""))
                .json(body);
            async move { req.send().await.unwrap() }
        });
        let mut answers = Vec::new();
        for res in join_all(sends).await {
            let status = res.status().as_u16();
            answers.push((status, res.json::<Value>().await.unwrap()));
        }
        let mut codes: Vec<u16> = answers.iter().map(|(s, _)| *s).collect();
        codes.sort();
        assert_eq!(codes, [200, 412], "round {round}");
        let won = &answers.iter().find(|(s, _)| *s == 200).unwrap().1;
        let to = won["status"].as_str().unwrap();
        for col in model.values_mut() {
            col.retain(|c| c != card);
        }
        model.get_mut(to).unwrap().insert(0, card.clone());
        let b = board(&app, t, &p).await;
        same(&b, &model);
        let seen: usize = b
            .iter()
            .map(|(_, c)| c.iter().filter(|x| *x == card).count())
            .sum();
        assert_eq!(seen, 1);
        assert_eq!(get(&app, t, &path).await["version"], v + 1);
    }
    app.stop().await;
});

backend_tests!(dependencies_never_close_a_cycle, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Graph Co").await;
    let t = admin.access.as_str();
    let p = id(&project(&app, t, json!({"name": "Graph"})).await);
    let q = id(&project(&app, t, json!({"name": "Elsewhere"})).await);
    let mut n = Vec::new();
    for i in 0..7 {
        n.push(id(&task(&app, t, &p, &format!("t{i}"), json!({})).await));
    }
    let deps = |task: &str| format!("/api/v1/tasks/{task}/dependencies");
    let add = |from: usize, to: usize| {
        let (app, n) = (&app, &n);
        async move { post(app, t, &deps(&n[from]), json!({"depends_on_id": n[to]})).await }
    };

    // t0 waits for t1: 201 with the pair and its Location.
    let res = add(0, 1).await;
    assert_eq!(res.status(), 201);
    assert_eq!(
        res.headers()["location"],
        format!("/api/v1/tasks/{}/dependencies/{}", n[0], n[1]).as_str()
    );
    assert_eq!(
        json_of(res, 201).await,
        json!({"task_id": n[0], "depends_on_id": n[1]})
    );
    let listed = get(&app, t, &deps(&n[0])).await;
    assert_eq!(ids(&listed), [n[1].clone()]);
    assert_eq!(listed["data"][0]["title"], "t1", "the tasks themselves");
    assert_eq!(get(&app, t, &deps(&n[1])).await["data"], json!([]));
    assert_eq!(
        get(&app, t, &format!("/api/v1/tasks/{}", n[0])).await["is_blocked"],
        true
    );
    assert_eq!(
        get(&app, t, &format!("/api/v1/tasks/{}", n[1])).await["is_blocked"],
        false
    );

    // A cycle of two, a task waiting for itself, the same edge twice.
    problem(add(1, 0).await, 409, "dependency-cycle").await;
    problem(add(3, 3).await, 409, "dependency-cycle").await;
    problem(add(0, 1).await, 409, "dependency-exists").await;
    // A chain t1 → t2 → … → t5, then t5 → t0 would close a cycle of six.
    for i in 1..5 {
        json_of(add(i, i + 1).await, 201).await;
    }
    problem(add(5, 0).await, 409, "dependency-cycle").await;
    problem(add(5, 2).await, 409, "dependency-cycle").await;
    // A shortcut is no cycle.
    json_of(add(0, 5).await, 201).await;
    json_of(add(6, 0).await, 201).await;
    assert_eq!(
        get(&app, t, &deps(&n[0])).await["data"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // Other projects and unknown tasks.
    let there = id(&task(&app, t, &q, "there", json!({})).await);
    refused(
        post(&app, t, &deps(&n[0]), json!({"depends_on_id": there})).await,
        "depends_on_id",
    )
    .await;
    refused(
        post(
            &app,
            t,
            &deps(&n[0]),
            json!({"depends_on_id": uuid::Uuid::now_v7()}),
        )
        .await,
        "depends_on_id",
    )
    .await;
    assert_problem(
        post(
            &app,
            t,
            &deps(&uuid::Uuid::now_v7().to_string()),
            json!({"depends_on_id": n[0]}),
        )
        .await,
        404,
    )
    .await;

    // Removed once (204), then 404; the task is no longer blocked by it.
    let edge = format!("{}/{}", deps(&n[4]), n[5]);
    assert_eq!(delete(&app, t, &edge).await.status(), 204);
    assert_problem(delete(&app, t, &edge).await, 404).await;
    assert_eq!(get(&app, t, &deps(&n[4])).await["data"], json!([]));
    assert_eq!(
        get(&app, t, &format!("/api/v1/tasks/{}", n[4])).await["is_blocked"],
        false
    );
    // Now t5 → t4 closes nothing.
    json_of(add(5, 4).await, 201).await;

    // Two inserts that would close a cycle together, at once: one of them at most.
    for round in 0..5 {
        let x = id(&task(&app, t, &p, &format!("x{round}"), json!({})).await);
        let y = id(&task(&app, t, &p, &format!("y{round}"), json!({})).await);
        let sends = [(x.clone(), y.clone()), (y.clone(), x.clone())].map(|(from, to)| {
            let req = reqwest::Client::new()
                .post(app.url(&deps(&from)))
                .bearer_auth(t)
                .json(&json!({"depends_on_id": to}));
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
                        .ends_with("/dependency-cycle"),
                    "{body}"
                );
            }
            codes.push(status);
        }
        codes.sort();
        assert_eq!(codes, [201, 409], "round {round}");
        let edges = get(&app, t, &deps(&x)).await["data"]
            .as_array()
            .unwrap()
            .len()
            + get(&app, t, &deps(&y)).await["data"]
                .as_array()
                .unwrap()
                .len();
        assert_eq!(edges, 1, "round {round}");
    }

    // Deleting a task takes its edges with it.
    let t2 = format!("/api/v1/tasks/{}", n[2]);
    assert_eq!(delete(&app, t, &t2).await.status(), 204);
    assert_eq!(get(&app, t, &deps(&n[1])).await["data"], json!([]));
    app.stop().await;
});

backend_tests!(
    milestones_are_reached_when_their_tasks_are,
    |b| async move {
        let app = spawn_app(b).await;
        let admin = app.register_admin("Milestones Co").await;
        let t = admin.access.as_str();
        let p = id(&project(&app, t, json!({"name": "Launch"})).await);

        let res = post(
        &app,
        t,
        "/api/v1/milestones",
        json!({"project_id": p, "title": "Beta", "due_date": day(-3), "description": "first users"}),
    )
    .await;
        assert_eq!(res.status(), 201);
        let location = res.headers()["location"].to_str().unwrap().to_string();
        let beta: Value = res.json().await.unwrap();
        let path = format!("/api/v1/milestones/{}", id(&beta));
        assert_eq!(location, path);
        for (field, expected) in [
            ("project_id", json!(p)),
            ("title", json!("Beta")),
            ("status", json!("open")),
            ("progress", json!(0)),
            ("is_overdue", json!(true)),
            ("reached_at", Value::Null),
            ("version", json!(1)),
        ] {
            assert_eq!(beta[field], expected, "{field} of {beta}");
        }
        // Computed fields are refused; the project must exist.
        for (field, value) in [
            ("status", json!("reached")),
            ("progress", json!(100)),
            ("reached_at", json!("2026-01-01T00:00:00Z")),
            ("is_overdue", json!(false)),
        ] {
            let mut body = json!({"project_id": p, "title": "x"});
            body[field] = value.clone();
            refused(post(&app, t, "/api/v1/milestones", body).await, field).await;
            refused(patch(&app, t, &path, json!({field: value})).await, field).await;
        }
        refused(
            post(
                &app,
                t,
                "/api/v1/milestones",
                json!({"project_id": uuid::Uuid::now_v7(), "title": "x"}),
            )
            .await,
            "project_id",
        )
        .await;
        refused(patch(&app, t, &path, json!({"title": ""})).await, "title").await;

        // Progress over the linked tasks: done over not-cancelled.
        let link = json!({"milestone_id": beta["id"]});
        let a = id(&task(&app, t, &p, "a", link.clone()).await);
        let b2 = id(&task(&app, t, &p, "b", link.clone()).await);
        let c = id(&task(&app, t, &p, "c", link.clone()).await);
        let d = id(&task(&app, t, &p, "d", link.clone()).await);
        task(&app, t, &p, "unlinked", json!({"status": "done"})).await;
        set_status(&app, t, &a, "done").await;
        set_status(&app, t, &c, "cancelled").await;
        set_status(&app, t, &d, "in_review").await;
        let m = get(&app, t, &path).await;
        assert_eq!(m["progress"], 33, "1 of 3: {m}");
        assert_eq!(
            ids(&get(
                &app,
                t,
                &format!("/api/v1/tasks?milestone_id={}&sort=title", id(&beta))
            )
            .await),
            [a.clone(), b2.clone(), c.clone(), d.clone()]
        );

        // Not reached while a linked task is open.
        let reach = format!("{path}/reach");
        problem(
            app.send_as(Method::POST, t, &reach, None).await,
            409,
            "milestone-open",
        )
        .await;
        set_status(&app, t, &b2, "done").await;
        problem(
            app.send_as(Method::POST, t, &reach, None).await,
            409,
            "milestone-open",
        )
        .await;
        set_status(&app, t, &d, "cancelled").await;
        let m = get(&app, t, &path).await;
        assert_eq!(
            (m["progress"].as_i64(), m["status"].as_str()),
            (Some(100), Some("open"))
        );
        // A stale If-Match is 412.
        let stale = reqwest::Client::new()
            .post(app.url(&reach))
            .bearer_auth(t)
            .header("if-match", format!("\"{}\"", version(&m) + 1))
            .send()
            .await
            .unwrap();
        assert_problem(stale, 412).await;

        // Reached: status, reached_at, a new version, no longer overdue.
        let before = Utc::now() - Duration::seconds(5);
        let reached = json_of(app.send_as(Method::POST, t, &reach, None).await, 200).await;
        assert_eq!(reached["status"], "reached");
        assert_eq!(reached["is_overdue"], false);
        assert_eq!(reached["version"], version(&m) + 1);
        let at: chrono::DateTime<Utc> = reached["reached_at"].as_str().unwrap().parse().unwrap();
        assert!(at >= before && at <= Utc::now() + Duration::seconds(5));
        assert_eq!(get(&app, t, &path).await, reached);
        problem(
            app.send_as(Method::POST, t, &reach, None).await,
            409,
            "milestone-reached",
        )
        .await;
        assert_eq!(
            ids(&get(
                &app,
                t,
                &format!("/api/v1/milestones?project_id={p}&reached_at_from=2000-01-01T00:00:00Z")
            )
            .await),
            [id(&beta)]
        );

        // A milestone without tasks is reached at once; editing keeps it reached.
        let empty = create_as(
            &app,
            t,
            "/api/v1/milestones",
            json!({"project_id": p, "title": "Kick-off", "due_date": day(10)}),
        )
        .await;
        assert_eq!(empty["is_overdue"], false);
        let epath = format!("/api/v1/milestones/{}", id(&empty));
        let r = json_of(
            app.send_as(Method::POST, t, &format!("{epath}/reach"), None)
                .await,
            200,
        )
        .await;
        assert_eq!(r["status"], "reached");
        let edited = json_of(
            patch(
                &app,
                t,
                &epath,
                json!({"title": "Kick-off!", "description": null}),
            )
            .await,
            200,
        )
        .await;
        assert_eq!(
            (edited["status"].as_str(), edited["reached_at"].clone()),
            (Some("reached"), r["reached_at"].clone())
        );

        // Deleted: its tasks stay, unlinked.
        assert_eq!(delete(&app, t, &path).await.status(), 204);
        assert_problem(app.get_as(t, &path).await, 404).await;
        assert_eq!(
            get(&app, t, &format!("/api/v1/tasks/{a}")).await["milestone_id"],
            Value::Null
        );

        // An employee has no milestones permission.
        let emp = app.user_with_roles(&admin, &["employee"]).await;
        assert_problem(app.get_as(&emp.access, &epath).await, 403).await;
        assert_problem(
            post(
                &app,
                &emp.access,
                "/api/v1/milestones",
                json!({"project_id": p, "title": "x"}),
            )
            .await,
            403,
        )
        .await;
        app.stop().await;
    }
);

backend_tests!(
    an_employee_sees_their_own_projects_and_tasks,
    |b| async move {
        let app = spawn_app(b).await;
        let admin = app.register_admin("Scopes Co").await;
        let t = admin.access.as_str();
        let emp = app.user_with_roles(&admin, &["employee"]).await;
        let mate = app.user_with_roles(&admin, &["employee"]).await;
        let manager = app.user_with_roles(&admin, &["manager"]).await;
        let e = emp.access.as_str();

        // Member of `ours`, manager of `led`, nothing of `theirs`.
        let ours = id(&project(&app, t, json!({"name": "Ours"})).await);
        let led = id(&project(&app, t, json!({"name": "Led", "owner_id": emp.user_id})).await);
        let theirs = id(&project(&app, t, json!({"name": "Theirs"})).await);
        add_member(&app, t, &ours, &emp.user_id, "member").await;
        add_member(&app, t, &ours, &mate.user_id, "member").await;
        add_member(&app, t, &theirs, &mate.user_id, "member").await;
        let mine = id(&task(
            &app,
            t,
            &ours,
            "mine",
            json!({"assignee_ids": [emp.user_id, mate.user_id]}),
        )
        .await);
        let matey = id(&task(
            &app,
            t,
            &ours,
            "mate's",
            json!({"assignee_ids": [mate.user_id]}),
        )
        .await);
        let nobody = id(&task(&app, t, &ours, "nobody's", json!({})).await);
        let far = id(&task(
            &app,
            t,
            &theirs,
            "far",
            json!({"assignee_ids": [mate.user_id]}),
        )
        .await);

        // Projects: the ones they manage or belong to.
        let mut seen = ids(&get(&app, e, "/api/v1/projects").await);
        seen.sort();
        let mut expected = vec![ours.clone(), led.clone()];
        expected.sort();
        assert_eq!(seen, expected);
        get(&app, e, &format!("/api/v1/projects/{ours}")).await;
        get(&app, e, &format!("/api/v1/projects/{led}")).await;
        get(&app, e, &format!("/api/v1/projects/{ours}/members")).await;
        for path in [
            format!("/api/v1/projects/{theirs}"),
            format!("/api/v1/projects/{theirs}/members"),
            format!("/api/v1/projects/{theirs}/board"),
        ] {
            assert_problem(app.get_as(e, &path).await, 404).await;
        }
        assert!(ids(&get(&app, e, "/api/v1/projects?q=Theirs").await).is_empty());

        // Tasks: the ones assigned to them, in the list, by id and on the board.
        assert_eq!(ids(&get(&app, e, "/api/v1/tasks").await), [mine.as_str()]);
        assert_eq!(
            ids(&get(&app, e, &format!("/api/v1/tasks?project_id={theirs}")).await),
            Vec::<String>::new()
        );
        get(&app, e, &format!("/api/v1/tasks/{mine}")).await;
        for other in [&matey, &nobody, &far] {
            assert_problem(app.get_as(e, &format!("/api/v1/tasks/{other}")).await, 404).await;
            assert_problem(
                app.get_as(e, &format!("/api/v1/tasks/{other}/dependencies"))
                    .await,
                404,
            )
            .await;
            assert_problem(
                patch(
                    &app,
                    e,
                    &format!("/api/v1/tasks/{other}"),
                    json!({"title": "mine now"}),
                )
                .await,
                404,
            )
            .await;
        }
        let b = board(&app, e, &ours).await;
        assert_eq!(column(&b, "todo"), [mine.as_str()]);
        assert!(b.iter().all(|(s, c)| s == "todo" || c.is_empty()));
        // The admin sees every card.
        assert_eq!(column(&board(&app, t, &ours).await, "todo").len(), 3);

        // They move their own card, and make tasks of their projects assigned to themselves.
        let moved = json_of(
            patch(
                &app,
                e,
                &format!("/api/v1/tasks/{mine}"),
                json!({"status": "in_progress"}),
            )
            .await,
            200,
        )
        .await;
        assert_eq!(moved["status"], "in_progress");
        refused(
            patch(
                &app,
                e,
                &format!("/api/v1/tasks/{mine}"),
                json!({"assignee_ids": [mate.user_id]}),
            )
            .await,
            "assignee_ids",
        )
        .await;
        let made = create_as(
            &app,
            e,
            "/api/v1/tasks",
            json!({"project_id": ours, "title": "my own", "assignee_ids": [emp.user_id]}),
        )
        .await;
        assert_eq!(made["assignee_ids"], json!([emp.user_id]));
        refused(
            post(
                &app,
                e,
                "/api/v1/tasks",
                json!({"project_id": ours, "title": "for nobody"}),
            )
            .await,
            "assignee_ids",
        )
        .await;
        refused(
            post(
                &app,
                e,
                "/api/v1/tasks",
                json!({"project_id": theirs, "title": "intruding", "assignee_ids": [emp.user_id]}),
            )
            .await,
            "assignee_ids",
        )
        .await;

        // What the employee role does not hold: 403.
        for (method, path, body) in [
            (
                Method::POST,
                "/api/v1/projects".to_string(),
                Some(json!({"name": "x"})),
            ),
            (
                Method::PATCH,
                format!("/api/v1/projects/{ours}"),
                Some(json!({"name": "x"})),
            ),
            (Method::DELETE, format!("/api/v1/projects/{ours}"), None),
            (
                Method::POST,
                format!("/api/v1/projects/{ours}/members"),
                Some(json!({"user_id": manager.user_id, "role": "member"})),
            ),
            (Method::DELETE, format!("/api/v1/tasks/{mine}"), None),
            (Method::GET, "/api/v1/milestones".to_string(), None),
        ] {
            assert_problem(app.send_as(method, e, &path, body.as_ref()).await, 403).await;
        }

        // A manager holds every project and task.
        let m = manager.access.as_str();
        assert_eq!(
            get(&app, m, "/api/v1/projects").await["data"]
                .as_array()
                .unwrap()
                .len(),
            3
        );
        get(&app, m, &format!("/api/v1/tasks/{far}")).await;
        json_of(
            patch(
                &app,
                m,
                &format!("/api/v1/projects/{theirs}"),
                json!({"status": "active"}),
            )
            .await,
            200,
        )
        .await;
        app.stop().await;
    }
);

/// The `(type, record_id)` of `t`'s notifications, sorted.
async fn notified(app: &TestApp, t: &str) -> Vec<(String, String)> {
    let page = get(app, t, "/api/v1/notifications?limit=200").await;
    let mut n: Vec<(String, String)> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["type"].as_str().unwrap().to_string(),
                n["record_id"].as_str().unwrap().to_string(),
            )
        })
        .filter(|(ty, _)| ty.starts_with("task.") || ty.starts_with("project."))
        .collect();
    n.sort();
    n
}

/// The types of the events of `record`, oldest first.
async fn event_types(app: &TestApp, t: &str, record: &str) -> Vec<String> {
    let page = get(
        app,
        t,
        &format!("/api/v1/events?record_id={record}&limit=200"),
    )
    .await;
    let mut types: Vec<String> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_string())
        .collect();
    types.reverse();
    types
}

backend_tests!(
    changes_are_events_notifications_and_audit_entries,
    |b| async move {
        let app = spawn_app(b).await;
        let admin = app.register_admin("Events Co").await;
        let t = admin.access.as_str();
        let emp = app.user_with_roles(&admin, &["employee"]).await;
        let mate = app.user_with_roles(&admin, &["employee"]).await;

        let created = project(&app, t, json!({"name": "Eventful"})).await;
        let p = id(&created);
        let ppath = format!("/api/v1/projects/{p}");
        add_member(&app, t, &p, &emp.user_id, "member").await;
        add_member(&app, t, &p, &mate.user_id, "viewer").await;
        json_of(
            patch(
                &app,
                t,
                &format!("{ppath}/members/{}", mate.user_id),
                json!({"role": "member"}),
            )
            .await,
            200,
        )
        .await;
        let updated = json_of(
            patch(&app, t, &ppath, json!({"status": "active"})).await,
            200,
        )
        .await;

        // A task given to the employee: they are told; the admin (who acted) is not.
        let job = task(
            &app,
            t,
            &p,
            "Write copy",
            json!({"assignee_ids": [emp.user_id]}),
        )
        .await;
        let j = id(&job);
        let jpath = format!("/api/v1/tasks/{j}");
        assert_eq!(
            notified(&app, &emp.access).await,
            [("task.assigned".to_string(), j.clone())]
        );
        assert!(notified(&app, &mate.access).await.is_empty());
        assert!(notified(&app, t).await.is_empty());
        // A second assignee is told; the first is not told again.
        json_of(
            patch(
                &app,
                t,
                &jpath,
                json!({"assignee_ids": [emp.user_id, mate.user_id]}),
            )
            .await,
            200,
        )
        .await;
        assert_eq!(
            notified(&app, &mate.access).await,
            [("task.assigned".to_string(), j.clone())]
        );
        assert_eq!(notified(&app, &emp.access).await.len(), 1);
        // Nobody is told of their own assignment.
        let own = create_as(
            &app,
            &emp.access,
            "/api/v1/tasks",
            json!({"project_id": p, "title": "Self-assigned", "assignee_ids": [emp.user_id]}),
        )
        .await;
        assert_eq!(notified(&app, &emp.access).await.len(), 1);

        // Completion is an event; so are the other changes.
        let blocker = id(&task(&app, t, &p, "Blocker", json!({"status": "done"})).await);
        json_of(
            post(
                &app,
                t,
                &format!("{jpath}/dependencies"),
                json!({"depends_on_id": blocker}),
            )
            .await,
            201,
        )
        .await;
        let done = set_status(&app, t, &j, "done").await;
        assert_eq!(
            delete(&app, t, &format!("{jpath}/dependencies/{blocker}"))
                .await
                .status(),
            204
        );
        let types = event_types(&app, t, &j).await;
        for ty in [
            "task.created",
            "task.assigned",
            "task.updated",
            "task.dependency_added",
            "task.completed",
            "task.dependency_removed",
        ] {
            assert!(types.iter().any(|x| x == ty), "{ty} missing: {types:?}");
        }
        let completed = get(&app, t, "/api/v1/events?type=task.completed&limit=200").await;
        let completed = completed["data"].as_array().unwrap();
        assert_eq!(completed.len(), 1, "{completed:?}");
        assert_eq!(completed[0]["record_id"], j.as_str());
        assert_eq!(completed[0]["record_type"], "task");
        assert_eq!(completed[0]["actor_id"], admin.user_id.as_str());
        assert_eq!(completed[0]["data"]["status"], "done");
        assert_eq!(completed[0]["data"]["completed_at"], done["completed_at"]);

        let ptypes = event_types(&app, t, &p).await;
        assert_eq!(
            ptypes,
            [
                "project.created",
                "project.member_added",
                "project.member_added",
                "project.member_updated",
                "project.updated"
            ]
        );
        let made = get(&app, t, "/api/v1/events?type=project.created&limit=200").await;
        let made = made["data"].as_array().unwrap();
        assert_eq!(made.len(), 1);
        assert_eq!(made[0]["record_id"], p.as_str());
        assert_eq!(made[0]["data"], created);
        // Every type recorded is in the catalogue.
        let catalogue = get(&app, t, "/api/v1/event-types").await;
        for ty in types.iter().chain(ptypes.iter()) {
            assert!(
                catalogue["data"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|c| c["type"] == ty.as_str()),
                "{ty} not in /event-types"
            );
        }

        // The audit log: who changed what, before and after.
        let log = get(
            &app,
            t,
            &format!("/api/v1/activities?entity_type=project&entity_id={p}&limit=200"),
        )
        .await;
        let entries = log["data"].as_array().unwrap();
        let actions: Vec<&str> = entries
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        for a in ["created", "member_added", "member_updated", "updated"] {
            assert!(actions.contains(&a), "{a} missing: {actions:?}");
        }
        let upd = entries.iter().find(|e| e["action"] == "updated").unwrap();
        assert_eq!(upd["actor_id"], admin.user_id.as_str());
        let change = upd["changes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["field"] == "status")
            .unwrap();
        assert_eq!(
            (change["before"].as_str(), change["after"].as_str()),
            (Some("planned"), Some("active"))
        );
        assert_eq!(updated["version"], 2);
        let log = get(
            &app,
            t,
            &format!("/api/v1/activities?entity_type=task&entity_id={j}&limit=200"),
        )
        .await;
        let entries = log["data"].as_array().unwrap();
        let status_change = entries
            .iter()
            .filter(|e| e["action"] == "updated")
            .flat_map(|e| e["changes"].as_array().unwrap().iter())
            .find(|c| c["field"] == "status")
            .unwrap();
        assert_eq!(
            (
                status_change["before"].as_str(),
                status_change["after"].as_str()
            ),
            (Some("todo"), Some("done"))
        );
        // A deletion is logged with the record as it was.
        let opath = format!("/api/v1/tasks/{}", id(&own));
        assert_eq!(delete(&app, t, &opath).await.status(), 204);
        let gone = get(
            &app,
            t,
            &format!(
                "/api/v1/activities?entity_type=task&entity_id={}&action=deleted",
                id(&own)
            ),
        )
        .await;
        assert_eq!(gone["data"].as_array().unwrap().len(), 1, "{gone}");
        assert_eq!(
            event_types(&app, t, &id(&own)).await.last().unwrap(),
            "task.deleted"
        );
        app.stop().await;
    }
);

fn text(field: &'static str) -> impl Fn(&Value) -> String {
    move |r| r[field].as_str().unwrap_or_default().to_string()
}

backend_tests!(
    simultaneous_project_task_and_milestone_patches,
    |b| async move {
        let app = spawn_app(b).await;
        let admin = app.register_admin("Race Projects").await;
        let t = admin.access.as_str();
        let p = id(&project(&app, t, json!({"name": "Racy"})).await);
        assert_concurrent_patches(
            &app,
            t,
            &format!("/api/v1/projects/{p}"),
            |v| json!({"description": v}),
            text("description"),
        )
        .await;
        let k = id(&task(&app, t, &p, "Racy task", json!({})).await);
        assert_concurrent_patches(
            &app,
            t,
            &format!("/api/v1/tasks/{k}"),
            |v| json!({"title": v}),
            text("title"),
        )
        .await;
        let m = id(&create_as(
            &app,
            t,
            "/api/v1/milestones",
            json!({"project_id": p, "title": "Racy"}),
        )
        .await);
        assert_concurrent_patches(
            &app,
            t,
            &format!("/api/v1/milestones/{m}"),
            |v| json!({"description": v}),
            text("description"),
        )
        .await;
        app.stop().await;
    }
);

backend_tests!(a_done_parent_takes_no_open_subtask, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Parents").await;
    let t = admin.access.as_str();
    let pid = id(&project(&app, t, json!({"name": "Nested"})).await);
    let parent = id(&task(&app, t, &pid, "Parent", json!({})).await);
    let child = id(&task(
        &app,
        t,
        &pid,
        "Child",
        json!({"parent_id": parent, "status": "done"}),
    )
    .await);
    set_status(&app, t, &parent, "done").await;
    // A new open subtask, an open task moved under it, a subtask reopened: each would leave
    // the parent done with an open subtask.
    problem(
        post(
            &app,
            t,
            "/api/v1/tasks",
            json!({"project_id": pid, "title": "Late", "parent_id": parent}),
        )
        .await,
        409,
        "parent-done",
    )
    .await;
    let loose = id(&task(&app, t, &pid, "Loose", json!({})).await);
    problem(
        patch(
            &app,
            t,
            &format!("/api/v1/tasks/{loose}"),
            json!({"parent_id": parent}),
        )
        .await,
        409,
        "parent-done",
    )
    .await;
    problem(
        patch(
            &app,
            t,
            &format!("/api/v1/tasks/{child}"),
            json!({"status": "todo"}),
        )
        .await,
        409,
        "parent-done",
    )
    .await;
    // Settled subtasks may come and go; reopened, the parent takes open ones again.
    task(
        &app,
        t,
        &pid,
        "Dropped",
        json!({"parent_id": parent, "status": "cancelled"}),
    )
    .await;
    set_status(&app, t, &parent, "in_progress").await;
    set_status(&app, t, &child, "todo").await;
    json_of(
        patch(
            &app,
            t,
            &format!("/api/v1/tasks/{loose}"),
            json!({"parent_id": parent}),
        )
        .await,
        200,
    )
    .await;

    // Under tasks:write:own a task out of reach cannot be named as a dependency.
    let emp = app.user_with_roles(&admin, &["employee"]).await;
    add_member(&app, t, &pid, &emp.user_id, "member").await;
    let mine = id(&task(
        &app,
        t,
        &pid,
        "Mine",
        json!({"assignee_ids": [emp.user_id]}),
    )
    .await);
    refused(
        post(
            &app,
            &emp.access,
            &format!("/api/v1/tasks/{mine}/dependencies"),
            json!({"depends_on_id": loose}),
        )
        .await,
        "depends_on_id",
    )
    .await;
});
