//! Recruitment (contract section 8): job postings, candidates with their unique email,
//! applications through the pipeline with their history, the hire in one transaction,
//! interviews with the double-booking rule and interviewer-only feedback, offers and their
//! transitions, the recruitment report on a known history, files, events and tenancy.

use crate::backend_tests;
use crate::concurrency::{assert_concurrent_patches, json_of};
use crate::helpers::*;
use crate::identity_support::{create_as, db_exec};
use chrono::{Duration, Utc};
use futures_util::future::join_all;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

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

async fn post(app: &TestApp, t: &str, path: &str, body: Value) -> reqwest::Response {
    app.send_as(Method::POST, t, path, Some(&body)).await
}

async fn patch(app: &TestApp, t: &str, path: &str, body: Value) -> reqwest::Response {
    app.send_as(Method::PATCH, t, path, Some(&body)).await
}

async fn delete(app: &TestApp, t: &str, path: &str) -> reqwest::Response {
    app.send_as(Method::DELETE, t, path, None).await
}

async fn get(app: &TestApp, t: &str, path: &str) -> Value {
    json_of(app.get_as(t, path).await, 200).await
}

/// `POST path` with `If-Match: "<version>"`.
async fn post_if(
    app: &TestApp,
    t: &str,
    path: &str,
    version: i64,
    body: Option<Value>,
) -> reqwest::Response {
    let mut r = reqwest::Client::new()
        .post(app.url(path))
        .bearer_auth(t)
        .header("if-match", format!("\"{version}\""));
    if let Some(b) = body {
        r = r.json(&b);
    }
    r.send().await.unwrap()
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

/// An open posting titled `title`, with `extra` fields.
async fn posting(app: &TestApp, t: &str, title: &str, extra: Value) -> Value {
    let mut body = json!({"title": title, "status": "open"});
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    create_as(app, t, "/api/v1/job-postings", body).await
}

async fn candidate(app: &TestApp, t: &str, name: &str, email: &str) -> Value {
    create_as(
        app,
        t,
        "/api/v1/candidates",
        json!({"name": name, "email": email, "phone": "+1 555 0100"}),
    )
    .await
}

async fn apply(app: &TestApp, t: &str, posting: &Value, candidate: &Value) -> Value {
    create_as(
        app,
        t,
        "/api/v1/applications",
        json!({"job_posting_id": posting["id"], "candidate_id": candidate["id"]}),
    )
    .await
}

/// Moves `application` to `stage` (with `reason`), expecting `200`.
async fn move_to(app: &TestApp, t: &str, application: &str, stage: &str) -> Value {
    json_of(
        post(
            app,
            t,
            &format!("/api/v1/applications/{application}/move"),
            json!({"stage": stage}),
        )
        .await,
        200,
    )
    .await
}

/// The `(from_stage, to_stage)` pairs of an application's history, oldest first.
async fn history(app: &TestApp, t: &str, application: &str) -> Vec<(Value, String)> {
    let h = get(
        app,
        t,
        &format!("/api/v1/applications/{application}/history"),
    )
    .await;
    h["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["from_stage"].clone(),
                e["to_stage"].as_str().unwrap().to_string(),
            )
        })
        .collect()
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

/// An instant `hours` from now, on the hour (UTC), as RFC 3339.
fn at(hours: i64) -> String {
    let base = Utc::now()
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc();
    (base + Duration::days(30) + Duration::hours(hours)).to_rfc3339()
}

fn day(days: i64) -> String {
    (Utc::now().date_naive() + Duration::days(days)).to_string()
}

backend_tests!(
    job_postings_with_their_salary_rules_and_references,
    |b| async move {
        let app = spawn_app(b).await;
        let admin = app.register_admin("Postings Co").await;
        let t = admin.access.as_str();
        let other = app.register_admin("Other Co").await;
        let dept = create_as(
            &app,
            t,
            "/api/v1/departments",
            json!({"name": "Engineering"}),
        )
        .await;

        // Defaults: a draft full-time posting with one opening.
        let res = post(
            &app,
            t,
            "/api/v1/job-postings",
            json!({"title": " Backend engineer "}),
        )
        .await;
        assert_eq!(res.status(), 201);
        let location = res.headers()["location"].to_str().unwrap().to_string();
        assert_eq!(res.headers()["etag"], "\"1\"");
        let p: Value = res.json().await.unwrap();
        assert_eq!(location, format!("/api/v1/job-postings/{}", id(&p)));
        for (field, expected) in [
            ("title", json!("Backend engineer")),
            ("status", json!("draft")),
            ("employment_type", json!("full_time")),
            ("openings", json!(1)),
            ("salary_min", Value::Null),
            ("salary_currency", Value::Null),
            ("department_id", Value::Null),
            ("version", json!(1)),
        ] {
            assert_eq!(p[field], expected, "{field}: {p}");
        }

        // Every field, and its references.
        let full = posting(
            &app,
            t,
            "Data engineer",
            json!({"department_id": dept["id"], "location": "Lisbon", "employment_type": "contract",
                   "openings": 3, "closes_on": day(30), "salary_min": 6_000_000,
                   "salary_max": 8_000_000, "salary_currency": "eur",
                   "hiring_manager_id": admin.user_id, "description": "Pipelines."}),
        )
        .await;
        assert_eq!(full["salary_currency"], "EUR");
        assert_eq!(full["salary_max"], 8_000_000);
        assert_eq!(full["hiring_manager_id"], admin.user_id.as_str());

        // The salary rules, on create and on the posting as it will be stored.
        let bad = |extra: Value| {
            let mut body = json!({"title": "X"});
            body.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            body
        };
        refused(
            post(
                &app,
                t,
                "/api/v1/job-postings",
                bad(json!({"salary_min": 10, "salary_max": 9, "salary_currency": "USD"})),
            )
            .await,
            "salary_max",
        )
        .await;
        refused(
            post(
                &app,
                t,
                "/api/v1/job-postings",
                bad(json!({"salary_min": 10})),
            )
            .await,
            "salary_currency",
        )
        .await;
        refused(
            post(
                &app,
                t,
                "/api/v1/job-postings",
                bad(json!({"salary_min": -1, "salary_currency": "USD"})),
            )
            .await,
            "salary_min",
        )
        .await;
        refused(
            post(&app, t, "/api/v1/job-postings", bad(json!({"openings": 0}))).await,
            "openings",
        )
        .await;
        refused(
            post(
                &app,
                t,
                "/api/v1/job-postings",
                bad(json!({"status": "paused"})),
            )
            .await,
            "status",
        )
        .await;
        // References of another organization are unknown here.
        let theirs = create_as(
            &app,
            &other.access,
            "/api/v1/departments",
            json!({"name": "Theirs"}),
        )
        .await;
        refused(
            post(
                &app,
                t,
                "/api/v1/job-postings",
                bad(json!({"department_id": theirs["id"]})),
            )
            .await,
            "department_id",
        )
        .await;
        refused(
            post(
                &app,
                t,
                "/api/v1/job-postings",
                bad(json!({"hiring_manager_id": other.user_id})),
            )
            .await,
            "hiring_manager_id",
        )
        .await;
        let path = format!("/api/v1/job-postings/{}", id(&full));
        refused(
            patch(&app, t, &path, json!({"salary_min": 9_000_000})).await,
            "salary_max",
        )
        .await;
        refused(
            patch(&app, t, &path, json!({"salary_currency": null})).await,
            "salary_currency",
        )
        .await;
        // Computed or fixed fields are refused, never applied.
        refused(
            patch(&app, t, &path, json!({"version": 7})).await,
            "version",
        )
        .await;

        let changed = json_of(
            patch(
                &app,
                t,
                &path,
                json!({"status": "on_hold", "salary_min": null, "location": null}),
            )
            .await,
            200,
        )
        .await;
        assert_eq!(changed["status"], "on_hold");
        assert_eq!(changed["salary_min"], Value::Null);
        assert_eq!(changed["location"], Value::Null);
        assert_eq!(changed["version"], 2);

        // Lists: filters, search.
        let open = get(&app, t, "/api/v1/job-postings?status=draft").await;
        assert_eq!(ids(&open), [id(&p)]);
        let found = get(&app, t, "/api/v1/job-postings?q=PIPELINES").await;
        assert_eq!(ids(&found), [id(&full)]);
        let by_dept = get(
            &app,
            t,
            &format!(
                "/api/v1/job-postings?department_id={}",
                dept["id"].as_str().unwrap()
            ),
        )
        .await;
        assert_eq!(ids(&by_dept), [id(&full)]);

        assert_concurrent_patches(
            &app,
            t,
            &path,
            |v| json!({"title": v}),
            |r| r["title"].as_str().unwrap().to_string(),
        )
        .await;

        assert_eq!(
            delete(&app, t, &format!("/api/v1/job-postings/{}", id(&p)))
                .await
                .status(),
            204
        );
        assert_problem(
            app.get_as(t, &format!("/api/v1/job-postings/{}", id(&p)))
                .await,
            404,
        )
        .await;
        // Another organization's posting is not found.
        assert_problem(app.get_as(&other.access, &path).await, 404).await;
        let types = event_types(&app, t, &id(&full)).await;
        assert_eq!(types[0], "job_posting.created", "{types:?}");
        assert!(
            types.contains(&"job_posting.updated".to_string()),
            "{types:?}"
        );
        app.stop().await;
    }
);

backend_tests!(
    candidates_are_unique_per_organization_by_email_whatever_its_case,
    |b| async move {
        let app = spawn_app(b).await;
        let admin = app.register_admin("Candidates Co").await;
        let t = admin.access.as_str();
        let other = app.register_admin("Other Talent").await;

        let ada = create_as(
            &app,
            t,
            "/api/v1/candidates",
            json!({"name": "Ada Lovelace", "email": " Ada@Example.COM ", "source": "referral",
                   "tags": ["rust", " senior ", "rust"], "notes": "Met at RustConf."}),
        )
        .await;
        assert_eq!(ada["email"], "ada@example.com");
        assert_eq!(ada["tags"], json!(["rust", "senior"]));
        assert_eq!(ada["resume_file_id"], Value::Null);

        // The same address in another case: 409 naming the candidate that has it.
        let p = problem(
            post(
                &app,
                t,
                "/api/v1/candidates",
                json!({"name": "Ada L.", "email": "ADA@example.com"}),
            )
            .await,
            409,
            "candidate-duplicate",
        )
        .await;
        assert_eq!(p["existing_id"], ada["id"], "{p}");
        // Another organization has its own candidates.
        let theirs = candidate(&app, &other.access, "Ada (theirs)", "ada@example.com").await;
        assert_ne!(theirs["id"], ada["id"]);

        // A change of email to one taken is the same 409.
        let grace = candidate(&app, t, "Grace Hopper", "grace@example.com").await;
        let grace_path = format!("/api/v1/candidates/{}", id(&grace));
        let p = problem(
            patch(&app, t, &grace_path, json!({"email": "Ada@example.com"})).await,
            409,
            "candidate-duplicate",
        )
        .await;
        assert_eq!(p["existing_id"], ada["id"], "{p}");
        // Its own address in another case is no change at all.
        let same = json_of(
            patch(&app, t, &grace_path, json!({"email": "GRACE@example.com"})).await,
            200,
        )
        .await;
        assert_eq!(same["version"], 1);

        // Concurrent creations of one address: one wins, the others name it.
        let sends = (0..6).map(|i| {
            let client = reqwest::Client::new();
            let req = client
                .post(app.url("/api/v1/candidates"))
                .bearer_auth(t)
                .json(&json!({"name": format!("Twin {i}"), "email": format!("TWIN@example.com")}));
            async move { req.send().await.unwrap() }
        });
        let mut created = Vec::new();
        let mut named = Vec::new();
        for res in join_all(sends).await {
            match res.status().as_u16() {
                201 => created.push(res.json::<Value>().await.unwrap()),
                409 => named.push(res.json::<Value>().await.unwrap()["existing_id"].clone()),
                s => panic!("{s}: {}", res.text().await.unwrap()),
            }
        }
        assert_eq!(created.len(), 1);
        assert!(named.iter().all(|e| *e == created[0]["id"]), "{named:?}");

        // Bad input names its field.
        refused(
            post(
                &app,
                t,
                "/api/v1/candidates",
                json!({"name": "X", "email": "not-an-address"}),
            )
            .await,
            "email",
        )
        .await;
        refused(
            post(
                &app,
                t,
                "/api/v1/candidates",
                json!({"name": " ", "email": "x@example.com"}),
            )
            .await,
            "name",
        )
        .await;
        refused(
            post(
                &app,
                t,
                "/api/v1/candidates",
                json!({"name": "X", "email": "x@example.com", "phone": "call me"}),
            )
            .await,
            "phone",
        )
        .await;
        refused(
            post(
                &app,
                t,
                "/api/v1/candidates",
                json!({"name": "X", "email": "x@example.com", "tags": [""]}),
            )
            .await,
            "tags",
        )
        .await;
        // A résumé is a file of the organization.
        let their_file = crate::files::upload(&app, &other.access, "cv.txt", b"their cv").await;
        refused(
            post(
                &app,
                t,
                "/api/v1/candidates",
                json!({"name": "X", "email": "x@example.com", "resume_file_id": their_file["id"]}),
            )
            .await,
            "resume_file_id",
        )
        .await;
        let cv = crate::files::upload(&app, t, "cv.txt", b"grace's cv").await;
        let with_cv = json_of(
            patch(&app, t, &grace_path, json!({"resume_file_id": cv["id"]})).await,
            200,
        )
        .await;
        assert_eq!(with_cv["resume_file_id"], cv["id"]);

        // Search and filters.
        assert_eq!(
            ids(&get(&app, t, "/api/v1/candidates?q=RUSTCONF").await),
            [id(&ada)]
        );
        assert_eq!(
            ids(&get(&app, t, "/api/v1/candidates?email=grace@example.com").await),
            [id(&grace)]
        );
        assert_eq!(
            ids(&get(&app, t, "/api/v1/candidates?source=referral").await),
            [id(&ada)]
        );

        assert_concurrent_patches(
            &app,
            t,
            &grace_path,
            |v| json!({"notes": v}),
            |r| r["notes"].as_str().unwrap().to_string(),
        )
        .await;

        // A candidate with an application is kept; without, deleted.
        let open = posting(&app, t, "Anything", json!({})).await;
        apply(&app, t, &open, &ada).await;
        problem(
            delete(&app, t, &format!("/api/v1/candidates/{}", id(&ada))).await,
            409,
            "candidate-in-use",
        )
        .await;
        assert_eq!(delete(&app, t, &grace_path).await.status(), 204);
        assert_problem(app.get_as(t, &grace_path).await, 404).await;
        assert_problem(
            app.get_as(&other.access, &format!("/api/v1/candidates/{}", id(&ada)))
                .await,
            404,
        )
        .await;
        // Every write is an event (and an audit entry).
        let types = event_types(&app, t, &id(&grace)).await;
        assert_eq!(
            types.first().map(String::as_str),
            Some("candidate.created"),
            "{types:?}"
        );
        assert_eq!(
            types.last().map(String::as_str),
            Some("candidate.deleted"),
            "{types:?}"
        );
        assert!(
            types.iter().filter(|t| *t == "candidate.updated").count() > 36,
            "{types:?}"
        );
        app.stop().await;
    }
);

backend_tests!(
    applications_move_through_the_pipeline_with_their_history,
    |b| async move {
        let app = spawn_app(b).await;
        let admin = app.register_admin("Pipeline Co").await;
        let t = admin.access.as_str();
        let draft = create_as(&app, t, "/api/v1/job-postings", json!({"title": "Not yet"})).await;
        let open = posting(&app, t, "Backend engineer", json!({})).await;
        let ada = candidate(&app, t, "Ada Lovelace", "ada@example.com").await;
        let grace = candidate(&app, t, "Grace Hopper", "grace@example.com").await;

        // Only an open posting takes applications.
        for status in [None, Some("on_hold"), Some("closed")] {
            if let Some(s) = status {
                json_of(
                    patch(
                        &app,
                        t,
                        &format!("/api/v1/job-postings/{}", id(&draft)),
                        json!({"status": s}),
                    )
                    .await,
                    200,
                )
                .await;
            }
            problem(
                post(
                    &app,
                    t,
                    "/api/v1/applications",
                    json!({"job_posting_id": draft["id"], "candidate_id": ada["id"]}),
                )
                .await,
                409,
                "job-posting-not-open",
            )
            .await;
        }
        let a = create_as(
            &app,
            t,
            "/api/v1/applications",
            json!({"job_posting_id": open["id"], "candidate_id": ada["id"], "source": "careers page",
                   "rating": 4, "cover_letter": "Hello."}),
        )
        .await;
        assert_eq!(a["stage"], "applied");
        assert_eq!(a["rating"], 4);
        assert_eq!(a["employee_id"], Value::Null);
        let aid = id(&a);
        let path = format!("/api/v1/applications/{aid}");
        // Once per candidate and posting, naming the first.
        let p = problem(
            post(
                &app,
                t,
                "/api/v1/applications",
                json!({"job_posting_id": open["id"], "candidate_id": ada["id"]}),
            )
            .await,
            409,
            "application-exists",
        )
        .await;
        assert_eq!(p["existing_id"], a["id"]);
        // References of nowhere, bad fields and final stages are 422, each named.
        let nowhere = uuid::Uuid::now_v7().to_string();
        refused(
            post(
                &app,
                t,
                "/api/v1/applications",
                json!({"job_posting_id": nowhere, "candidate_id": grace["id"]}),
            )
            .await,
            "job_posting_id",
        )
        .await;
        refused(
            post(
                &app,
                t,
                "/api/v1/applications",
                json!({"job_posting_id": open["id"], "candidate_id": nowhere}),
            )
            .await,
            "candidate_id",
        )
        .await;
        refused(
            post(
                &app,
                t,
                "/api/v1/applications",
                json!({"job_posting_id": open["id"], "candidate_id": grace["id"], "rating": 6}),
            )
            .await,
            "rating",
        )
        .await;
        refused(post(&app, t, "/api/v1/applications", json!({"job_posting_id": open["id"], "candidate_id": grace["id"], "stage": "hired"})).await, "stage").await;
        refused(post(&app, t, "/api/v1/applications", json!({"job_posting_id": open["id"], "candidate_id": grace["id"], "stage": "unknown"})).await, "stage").await;
        // PATCH never moves the stage, nor changes posting or candidate.
        refused(
            patch(&app, t, &path, json!({"stage": "offer"})).await,
            "stage",
        )
        .await;
        refused(
            patch(&app, t, &path, json!({"candidate_id": grace["id"]})).await,
            "candidate_id",
        )
        .await;
        refused(patch(&app, t, &path, json!({"rating": 0})).await, "rating").await;
        let rated = json_of(
            patch(
                &app,
                t,
                &path,
                json!({"rating": null, "source": "referral"}),
            )
            .await,
            200,
        )
        .await;
        assert_eq!(rated["rating"], Value::Null);
        assert_eq!(rated["source"], "referral");

        // Moves, forwards and back, each in the history with who and why.
        let moved = json_of(
            post(
                &app,
                t,
                &format!("{path}/move"),
                json!({"stage": "screening", "reason": "Good CV"}),
            )
            .await,
            200,
        )
        .await;
        assert_eq!(moved["stage"], "screening");
        assert_ne!(moved["stage_changed_at"], a["stage_changed_at"]);
        move_to(&app, t, &aid, "interview").await;
        move_to(&app, t, &aid, "screening").await;
        // A move to the stage it is in changes nothing.
        let same = move_to(&app, t, &aid, "screening").await;
        let v = version(&same);
        // `hired` only through the hire; unknown stages are 422; If-Match is honoured.
        let p = refused(
            post(&app, t, &format!("{path}/move"), json!({"stage": "hired"})).await,
            "stage",
        )
        .await;
        assert_eq!(p["errors"][0]["code"], "hire_required", "{p}");
        refused(
            post(
                &app,
                t,
                &format!("{path}/move"),
                json!({"stage": "nowhere"}),
            )
            .await,
            "stage",
        )
        .await;
        assert_problem(
            post_if(
                &app,
                t,
                &format!("{path}/move"),
                v - 1,
                Some(json!({"stage": "offer"})),
            )
            .await,
            412,
        )
        .await;
        let offered = json_of(
            post_if(
                &app,
                t,
                &format!("{path}/move"),
                v,
                Some(json!({"stage": "offer"})),
            )
            .await,
            200,
        )
        .await;
        assert_eq!(offered["version"], v + 1);
        // Rejected is final; its reason is the rejection reason.
        let rejected = json_of(
            post(
                &app,
                t,
                &format!("{path}/move"),
                json!({"stage": "rejected", "reason": "Salary expectations"}),
            )
            .await,
            200,
        )
        .await;
        assert_eq!(rejected["rejection_reason"], "Salary expectations");
        for stage in ["applied", "offer", "withdrawn", "rejected"] {
            problem(
                post(&app, t, &format!("{path}/move"), json!({"stage": stage})).await,
                409,
                "application-closed",
            )
            .await;
        }
        let h = get(&app, t, &format!("{path}/history")).await;
        let entries = h["data"].as_array().unwrap();
        let moves: Vec<(Value, &str)> = entries
            .iter()
            .map(|e| (e["from_stage"].clone(), e["to_stage"].as_str().unwrap()))
            .collect();
        assert_eq!(
            moves,
            [
                (Value::Null, "applied"),
                (json!("applied"), "screening"),
                (json!("screening"), "interview"),
                (json!("interview"), "screening"),
                (json!("screening"), "offer"),
                (json!("offer"), "rejected"),
            ]
        );
        assert!(
            entries
                .iter()
                .all(|e| e["moved_by"] == admin.user_id.as_str())
        );
        assert_eq!(entries[1]["reason"], "Good CV");
        assert_eq!(entries[5]["reason"], "Salary expectations");
        assert_eq!(entries[0]["reason"], Value::Null);

        // Withdrawn is final too.
        let g = apply(&app, t, &open, &grace).await;
        move_to(&app, t, &id(&g), "withdrawn").await;
        problem(
            post(
                &app,
                t,
                &format!("/api/v1/applications/{}/move", id(&g)),
                json!({"stage": "screening"}),
            )
            .await,
            409,
            "application-closed",
        )
        .await;
        assert_eq!(
            history(&app, t, &id(&g)).await,
            [
                (Value::Null, "applied".to_string()),
                (json!("applied"), "withdrawn".to_string())
            ]
        );

        // Lists filter by posting, candidate and stage.
        assert_eq!(
            ids(&get(&app, t, "/api/v1/applications?stage=withdrawn").await),
            [id(&g)]
        );
        assert_eq!(
            ids(&get(
                &app,
                t,
                &format!("/api/v1/applications?candidate_id={}", id(&ada))
            )
            .await),
            std::slice::from_ref(&aid)
        );
        assert_eq!(
            get(
                &app,
                t,
                &format!(
                    "/api/v1/applications?job_posting_id={}&count=true",
                    id(&open)
                )
            )
            .await["total"],
            2
        );

        assert_concurrent_patches(
            &app,
            t,
            &path,
            |v| json!({"source": v}),
            |r| r["source"].as_str().unwrap().to_string(),
        )
        .await;

        // Events: created, updated, each move.
        let types = event_types(&app, t, &aid).await;
        assert_eq!(types[0], "application.created");
        assert_eq!(
            types
                .iter()
                .filter(|t| *t == "application.stage_changed")
                .count(),
            5,
            "{types:?}"
        );
        // A posting with applications is kept; deleting an application takes its history.
        problem(
            delete(&app, t, &format!("/api/v1/job-postings/{}", id(&open))).await,
            409,
            "job-posting-in-use",
        )
        .await;
        assert_eq!(delete(&app, t, &path).await.status(), 204);
        assert_problem(app.get_as(t, &format!("{path}/history")).await, 404).await;
        app.stop().await;
    }
);

/// The number of employees of the organization.
async fn employees(app: &TestApp, t: &str) -> i64 {
    get(app, t, "/api/v1/employees?count=true&limit=1").await["total"]
        .as_i64()
        .unwrap()
}

backend_tests!(
    a_hire_makes_the_employee_and_closes_a_full_posting_in_one_transaction,
    |b| async move {
        let app = spawn_app(b).await;
        let admin = app.register_admin("Hiring Co").await;
        let t = admin.access.as_str();
        let dept = create_as(
            &app,
            t,
            "/api/v1/departments",
            json!({"name": "Engineering"}),
        )
        .await;
        let other_dept =
            create_as(&app, t, "/api/v1/departments", json!({"name": "Research"})).await;
        let desig = create_as(
            &app,
            t,
            "/api/v1/designations",
            json!({"title": "Engineer"}),
        )
        .await;
        let open = posting(
            &app,
            t,
            "Engineers",
            json!({"openings": 2, "department_id": dept["id"], "designation_id": desig["id"],
                   "employment_type": "contract"}),
        )
        .await;
        let people: Vec<Value> = [
            ("Ada King Lovelace", "Ada@Example.com"),
            ("Grace Hopper", "grace@example.com"),
            ("Barbara Liskov", "barbara@example.com"),
        ]
        .iter()
        .map(|(n, e)| (n.to_string(), e.to_string()))
        .collect::<Vec<_>>()
        .into_iter()
        .map(|(n, e)| json!({"name": n, "email": e}))
        .collect();
        let mut apps = Vec::new();
        for p in &people {
            let c = create_as(&app, t, "/api/v1/candidates", p.clone()).await;
            apps.push(apply(&app, t, &open, &c).await);
        }
        let before = employees(&app, t).await;

        // A hire that fails leaves nothing behind: a bad department (422), a stale version
        // (412), a caller without employees:write (403).
        let hire = |a: &Value| format!("/api/v1/applications/{}/hire", id(a));
        refused(
            post(&app, t, &hire(&apps[0]), json!({"hire_date": "2026-13-01"})).await,
            "hire_date",
        )
        .await;
        refused(
            post(
                &app,
                t,
                &hire(&apps[0]),
                json!({"hire_date": "2026-04-01", "department_id": uuid::Uuid::now_v7()}),
            )
            .await,
            "department_id",
        )
        .await;
        assert_problem(
            post_if(
                &app,
                t,
                &hire(&apps[0]),
                7,
                Some(json!({"hire_date": "2026-04-01"})),
            )
            .await,
            412,
        )
        .await;
        let recruiter_role = create_as(
            &app,
            t,
            "/api/v1/roles",
            json!({"name": "recruiter", "permissions": ["applications:read", "applications:write"]}),
        )
        .await;
        let recruiter = app.user_with_roles(&admin, &["recruiter"]).await;
        assert_eq!(recruiter_role["name"], "recruiter");
        assert_problem(
            post(
                &app,
                &recruiter.access,
                &hire(&apps[0]),
                json!({"hire_date": "2026-04-01"}),
            )
            .await,
            403,
        )
        .await;
        assert_eq!(employees(&app, t).await, before);
        assert_eq!(
            get(&app, t, &format!("/api/v1/applications/{}", id(&apps[0]))).await["version"],
            1
        );

        // The first hire: the employee from the candidate, the application hired.
        let res = post(
            &app,
            t,
            &hire(&apps[0]),
            json!({"hire_date": "2026-04-01", "department_id": other_dept["id"]}),
        )
        .await;
        let h = json_of(res, 200).await;
        let e = &h["employee"];
        let a = &h["application"];
        assert_eq!(a["stage"], "hired");
        assert_eq!(a["employee_id"], e["id"]);
        assert_eq!(a["version"], 2);
        assert_eq!(e["first_name"], "Ada King");
        assert_eq!(e["last_name"], "Lovelace");
        assert_eq!(e["email"], "ada@example.com");
        assert_eq!(e["hire_date"], "2026-04-01");
        assert_eq!(e["department_id"], other_dept["id"]);
        assert_eq!(e["designation_id"], desig["id"]);
        assert_eq!(e["employment_type"], "contract");
        assert_eq!(e["status"], "active");
        let number = e["employee_number"].as_str().unwrap().to_string();
        assert!(number.starts_with("EMP-"), "{number}");
        let n: i64 = number[4..].parse().unwrap();
        assert_eq!(employees(&app, t).await, before + 1);
        let stored = get(
            &app,
            t,
            &format!("/api/v1/employees/{}", e["id"].as_str().unwrap()),
        )
        .await;
        assert_eq!(stored["employee_number"], number.as_str());
        assert_eq!(
            history(&app, t, &id(&apps[0])).await.last().unwrap(),
            &(json!("applied"), "hired".to_string())
        );
        // One of two openings filled: the posting stays open.
        assert_eq!(
            get(&app, t, &format!("/api/v1/job-postings/{}", id(&open))).await["status"],
            "open"
        );
        let types = event_types(&app, t, e["id"].as_str().unwrap()).await;
        assert_eq!(types, ["employee.created", "employee.hired"]);
        assert!(
            event_types(&app, t, &id(&apps[0]))
                .await
                .contains(&"application.hired".to_string())
        );

        // A hired application is final, and kept.
        problem(
            post(&app, t, &hire(&apps[0]), json!({"hire_date": "2026-04-01"})).await,
            409,
            "application-closed",
        )
        .await;
        problem(
            post(
                &app,
                t,
                &format!("/api/v1/applications/{}/move", id(&apps[0])),
                json!({"stage": "rejected"}),
            )
            .await,
            409,
            "application-closed",
        )
        .await;
        problem(
            delete(&app, t, &format!("/api/v1/applications/{}", id(&apps[0]))).await,
            409,
            "application-hired",
        )
        .await;

        // The second hire reaches the openings: the posting closes in the same transaction.
        let h2 = json_of(
            post(&app, t, &hire(&apps[1]), json!({"hire_date": "2026-04-02"})).await,
            200,
        )
        .await;
        assert_eq!(
            h2["employee"]["employee_number"],
            format!("EMP-{:04}", n + 1)
        );
        assert_eq!(
            h2["employee"]["department_id"], dept["id"],
            "the posting's department"
        );
        let closed = get(&app, t, &format!("/api/v1/job-postings/{}", id(&open))).await;
        assert_eq!(closed["status"], "closed");
        assert_eq!(closed["version"], 2);
        assert!(
            event_types(&app, t, &id(&open))
                .await
                .contains(&"job_posting.closed".to_string())
        );
        // A full posting hires no more, and takes no application; nothing is left behind.
        problem(
            post(&app, t, &hire(&apps[2]), json!({"hire_date": "2026-04-03"})).await,
            409,
            "job-posting-filled",
        )
        .await;
        let late = candidate(&app, t, "Late Comer", "late@example.com").await;
        problem(
            post(
                &app,
                t,
                "/api/v1/applications",
                json!({"job_posting_id": open["id"], "candidate_id": late["id"]}),
            )
            .await,
            409,
            "job-posting-not-open",
        )
        .await;
        assert_eq!(employees(&app, t).await, before + 2);
        assert_eq!(
            get(&app, t, &format!("/api/v1/applications/{}", id(&apps[2]))).await["stage"],
            "applied"
        );
        // The number the failed hires took was given back.
        let next = create_as(
            &app,
            t,
            "/api/v1/employees",
            json!({"first_name": "Next", "last_name": "One", "hire_date": "2026-04-04"}),
        )
        .await;
        assert_eq!(next["employee_number"], format!("EMP-{:04}", n + 2));

        // Two hires racing for the last opening: one wins.
        let racing = posting(&app, t, "One seat", json!({"openings": 1})).await;
        let mut contenders = Vec::new();
        for i in 0..4 {
            let c = candidate(
                &app,
                t,
                &format!("Racer {i}"),
                &format!("racer{i}@example.com"),
            )
            .await;
            contenders.push(apply(&app, t, &racing, &c).await);
        }
        let sends = contenders.iter().map(|a| {
            let req = reqwest::Client::new()
                .post(app.url(&hire(a)))
                .bearer_auth(t)
                .json(&json!({"hire_date": "2026-05-01"}));
            async move { req.send().await.unwrap().status().as_u16() }
        });
        let mut statuses = join_all(sends).await;
        statuses.sort();
        assert_eq!(statuses, [200, 409, 409, 409]);
        assert_eq!(employees(&app, t).await, before + 4);
        app.stop().await;
    }
);

/// The interviews `t`'s notifications of type `interview.scheduled` name, sorted.
async fn told_of(app: &TestApp, t: &str) -> Vec<String> {
    let page = get(app, t, "/api/v1/notifications?limit=200").await;
    let mut n: Vec<String> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["type"] == "interview.scheduled")
        .map(|n| n["record_id"].as_str().unwrap().to_string())
        .collect();
    n.sort();
    n
}

backend_tests!(
    interviews_book_their_interviewers_once_and_take_their_feedback,
    |b| async move {
        let app = spawn_app(b).await;
        let admin = app.register_admin("Interviews Co").await;
        let t = admin.access.as_str();
        let other = app.register_admin("Other Interviews").await;
        let ivy = app.user_with_roles(&admin, &["employee"]).await;
        let ian = app.user_with_roles(&admin, &["employee"]).await;
        let bystander = app.user_with_roles(&admin, &["employee"]).await;
        let open = posting(&app, t, "Engineer", json!({})).await;
        let ada = candidate(&app, t, "Ada Lovelace", "ada@example.com").await;
        let grace = candidate(&app, t, "Grace Hopper", "grace@example.com").await;
        let a = apply(&app, t, &open, &ada).await;
        let g = apply(&app, t, &open, &grace).await;
        let interview = |application: &Value, from: i64, to: i64, who: Vec<&str>| {
            json!({"application_id": application["id"], "starts_at": at(from), "ends_at": at(to),
                   "mode": "video", "location": "https://meet.example.com/x", "interviewer_ids": who})
        };

        // Scheduled with two interviewers: each is told.
        let first = create_as(
            &app,
            t,
            "/api/v1/interviews",
            interview(&a, 10, 11, vec![&ivy.user_id, &ian.user_id]),
        )
        .await;
        assert_eq!(first["status"], "scheduled");
        assert_eq!(first["round"], 1);
        assert_eq!(first["interviewer_ids"], json!([ivy.user_id, ian.user_id]));
        assert_eq!(told_of(&app, &ivy.access).await, [id(&first)]);
        assert_eq!(told_of(&app, &ian.access).await, [id(&first)]);
        assert!(told_of(&app, &bystander.access).await.is_empty());
        let types = event_types(&app, t, &id(&first)).await;
        assert_eq!(types, ["interview.created", "interview.scheduled"]);

        // An interviewer booked twice at once: 409 naming the other interview.
        let p = problem(
            post(
                &app,
                t,
                "/api/v1/interviews",
                interview(&g, 10, 12, vec![&ian.user_id]),
            )
            .await,
            409,
            "interviewer-busy",
        )
        .await;
        assert_eq!(p["existing_id"], first["id"]);
        // Starts as the other ends: no overlap. Another interviewer at the same time: fine.
        let after = create_as(
            &app,
            t,
            "/api/v1/interviews",
            interview(&g, 11, 12, vec![&ian.user_id]),
        )
        .await;
        let parallel = create_as(
            &app,
            t,
            "/api/v1/interviews",
            interview(&g, 10, 11, vec![&bystander.user_id]),
        )
        .await;
        assert_eq!(parallel["status"], "scheduled");
        // A change into a busy slot is refused too; a cancelled interview books nobody.
        let after_path = format!("/api/v1/interviews/{}", id(&after));
        problem(
            patch(
                &app,
                t,
                &after_path,
                json!({"starts_at": at(9), "ends_at": at(11)}),
            )
            .await,
            409,
            "interviewer-busy",
        )
        .await;
        problem(patch(&app, t, &after_path, json!({"interviewer_ids": [ian.user_id, bystander.user_id], "starts_at": at(10), "ends_at": at(11)})).await, 409, "interviewer-busy").await;
        let first_path = format!("/api/v1/interviews/{}", id(&first));
        json_of(
            patch(&app, t, &first_path, json!({"status": "cancelled"})).await,
            200,
        )
        .await;
        let moved = json_of(
            patch(
                &app,
                t,
                &after_path,
                json!({"starts_at": at(10), "ends_at": at(11), "round": 2}),
            )
            .await,
            200,
        )
        .await;
        assert_eq!(moved["round"], 2);
        // …and scheduling the cancelled one again now collides.
        problem(
            patch(&app, t, &first_path, json!({"status": "scheduled"})).await,
            409,
            "interviewer-busy",
        )
        .await;
        // Moving an interview tells its interviewers again; adding one tells the new one.
        assert_eq!(told_of(&app, &ian.access).await.len(), 3);
        json_of(
            patch(
                &app,
                t,
                &after_path,
                json!({"interviewer_ids": [ian.user_id, ivy.user_id]}),
            )
            .await,
            200,
        )
        .await;
        assert!(told_of(&app, &ivy.access).await.contains(&id(&after)));
        assert_eq!(
            told_of(&app, &ian.access).await.len(),
            3,
            "ian was already on it"
        );

        // Bad input names its field.
        refused(
            post(&app, t, "/api/v1/interviews", interview(&a, 11, 10, vec![])).await,
            "ends_at",
        )
        .await;
        refused(
            post(&app, t, "/api/v1/interviews", interview(&a, 10, 10, vec![])).await,
            "ends_at",
        )
        .await;
        refused(
            post(&app, t, "/api/v1/interviews", interview(&a, 10, 40, vec![])).await,
            "ends_at",
        )
        .await;
        let mut bad = interview(&a, 10, 11, vec![]);
        bad["starts_at"] = json!("tomorrow at ten");
        refused(
            post(&app, t, "/api/v1/interviews", bad.clone()).await,
            "starts_at",
        )
        .await;
        // Past 2037 no backend keeps a bound instant (MariaDB binds a TIMESTAMP): 422.
        bad["starts_at"] = json!("2099-01-01T10:00:00Z");
        bad["ends_at"] = json!("2099-01-01T11:00:00Z");
        let p = refused(post(&app, t, "/api/v1/interviews", bad).await, "starts_at").await;
        assert_eq!(p["errors"][0]["code"], "out_of_range", "{p}");
        let mut bad = interview(&a, 10, 11, vec![]);
        bad["mode"] = json!("carrier_pigeon");
        refused(post(&app, t, "/api/v1/interviews", bad).await, "mode").await;
        refused(
            post(
                &app,
                t,
                "/api/v1/interviews",
                interview(&a, 10, 11, vec![&other.user_id]),
            )
            .await,
            "interviewer_ids",
        )
        .await;
        refused(
            patch(&app, t, &after_path, json!({"ends_at": at(9)})).await,
            "ends_at",
        )
        .await;
        // An interview keeps to its offset-less instant: the same instant in another zone.
        let zoned = create_as(
            &app,
            t,
            "/api/v1/interviews",
            json!({"application_id": a["id"], "starts_at": "2030-01-10T15:00:00+05:30",
                   "ends_at": "2030-01-10T16:00:00+05:30", "mode": "onsite"}),
        )
        .await;
        assert_eq!(zoned["starts_at"], "2030-01-10T09:30:00Z");

        // `:own`: an interviewer sees the interviews they are on, nothing else.
        let mine = get(&app, &ivy.access, "/api/v1/interviews?sort=created_at").await;
        assert_eq!(ids(&mine), [id(&first), id(&after)]);
        assert_problem(
            app.get_as(
                &ivy.access,
                &format!("/api/v1/interviews/{}", id(&parallel)),
            )
            .await,
            404,
        )
        .await;
        assert_problem(
            post(
                &app,
                &ivy.access,
                "/api/v1/interviews",
                interview(&a, 20, 21, vec![]),
            )
            .await,
            403,
        )
        .await;

        // Feedback: only a listed interviewer, once each.
        let feedback = format!("/api/v1/interviews/{}/feedback", id(&after));
        problem(
            post(
                &app,
                t,
                &feedback,
                json!({"rating": 4, "recommendation": "yes"}),
            )
            .await,
            403,
            "not-an-interviewer",
        )
        .await;
        assert_problem(
            post(
                &app,
                &bystander.access,
                &feedback,
                json!({"rating": 4, "recommendation": "yes"}),
            )
            .await,
            404,
        )
        .await;
        refused(
            post(
                &app,
                &ian.access,
                &feedback,
                json!({"rating": 6, "recommendation": "yes"}),
            )
            .await,
            "rating",
        )
        .await;
        refused(
            post(
                &app,
                &ian.access,
                &feedback,
                json!({"rating": 3, "recommendation": "maybe"}),
            )
            .await,
            "recommendation",
        )
        .await;
        let f = json_of(
            post(
                &app,
                &ian.access,
                &feedback,
                json!({"rating": 4, "recommendation": "strong_yes", "notes": "Sharp."}),
            )
            .await,
            201,
        )
        .await;
        assert_eq!(f["interviewer_id"], ian.user_id.as_str());
        assert_eq!(f["recommendation"], "strong_yes");
        problem(
            post(
                &app,
                &ian.access,
                &feedback,
                json!({"rating": 2, "recommendation": "no"}),
            )
            .await,
            409,
            "feedback-given",
        )
        .await;
        // Once each, also when one interviewer sends it twice at the same moment.
        let sends = (0..4).map(|_| {
            let req = reqwest::Client::new()
                .post(app.url(&feedback))
                .bearer_auth(&ivy.access)
                .json(&json!({"rating": 3, "recommendation": "yes"}));
            async move { req.send().await.unwrap().status().as_u16() }
        });
        let mut statuses = join_all(sends).await;
        statuses.sort();
        assert_eq!(statuses, [201, 409, 409, 409]);
        // Read by its interviewers and by holders of interviews:read; not by others.
        let given = get(&app, &ivy.access, &feedback).await;
        assert_eq!(given["data"].as_array().unwrap().len(), 2);
        assert_eq!(get(&app, t, &feedback).await["data"][0]["notes"], "Sharp.");
        assert_problem(app.get_as(&bystander.access, &feedback).await, 404).await;
        assert_problem(app.get_as(&other.access, &feedback).await, 404).await;
        assert!(
            event_types(&app, t, &id(&after))
                .await
                .contains(&"interview.feedback_added".to_string())
        );
        // A cancelled interview takes no feedback.
        problem(
            post(
                &app,
                &ian.access,
                &format!("{first_path}/feedback"),
                json!({"rating": 3, "recommendation": "yes"}),
            )
            .await,
            409,
            "interview-cancelled",
        )
        .await;

        // An application in a final stage gets no new interview.
        move_to(&app, t, &id(&g), "rejected").await;
        problem(
            post(&app, t, "/api/v1/interviews", interview(&g, 30, 31, vec![])).await,
            409,
            "application-closed",
        )
        .await;

        // Concurrent bookings of one interviewer at one time: exactly one is made.
        let sends = (0..6).map(|i| {
            let body = interview(&a, 50 + i % 2, 51 + i % 2, vec![&bystander.user_id]);
            let req = reqwest::Client::new()
                .post(app.url("/api/v1/interviews"))
                .bearer_auth(t)
                .json(&body);
            async move { req.send().await.unwrap().status().as_u16() }
        });
        let statuses = join_all(sends).await;
        // Slots 50–51 and 51–52 do not overlap: one of each.
        assert_eq!(
            statuses.iter().filter(|s| **s == 201).count(),
            2,
            "{statuses:?}"
        );
        assert_eq!(
            statuses.iter().filter(|s| **s == 409).count(),
            4,
            "{statuses:?}"
        );

        assert_concurrent_patches(
            &app,
            t,
            &after_path,
            |v| json!({"location": v}),
            |r| r["location"].as_str().unwrap().to_string(),
        )
        .await;
        // Deleting an interview takes its feedback.
        assert_eq!(delete(&app, t, &after_path).await.status(), 204);
        assert_problem(app.get_as(t, &feedback).await, 404).await;
        app.stop().await;
    }
);

backend_tests!(offers_follow_their_transitions, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Offers Co").await;
    let t = admin.access.as_str();
    let open = posting(&app, t, "Engineer", json!({})).await;
    let mut apps = Vec::new();
    for i in 0..3 {
        let c = candidate(
            &app,
            t,
            &format!("Person {i}"),
            &format!("p{i}@example.com"),
        )
        .await;
        apps.push(apply(&app, t, &open, &c).await);
    }
    let offer = |a: &Value, extra: Value| {
        let mut body = json!({"application_id": a["id"], "salary_amount": 7_200_000,
                              "salary_currency": "eur", "start_date": day(60)});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        body
    };
    let act = |o: &Value, verb: &str| format!("/api/v1/offers/{}/{verb}", id(o));

    // A draft, edited while it is one.
    let o = create_as(
        &app,
        t,
        "/api/v1/offers",
        offer(&apps[0], json!({"expires_on": day(10)})),
    )
    .await;
    assert_eq!(o["status"], "draft");
    assert_eq!(o["salary_currency"], "EUR");
    assert_eq!(o["sent_at"], Value::Null);
    let path = format!("/api/v1/offers/{}", id(&o));
    refused(
        post(
            &app,
            t,
            "/api/v1/offers",
            offer(&apps[0], json!({"salary_amount": -5})),
        )
        .await,
        "salary_amount",
    )
    .await;
    refused(
        post(
            &app,
            t,
            "/api/v1/offers",
            offer(&apps[0], json!({"salary_currency": "XXX"})),
        )
        .await,
        "salary_currency",
    )
    .await;
    refused(
        post(
            &app,
            t,
            "/api/v1/offers",
            offer(&apps[0], json!({"start_date": "soon"})),
        )
        .await,
        "start_date",
    )
    .await;
    refused(
        post(
            &app,
            t,
            "/api/v1/offers",
            offer(&apps[0], json!({"status": "sent"})),
        )
        .await,
        "status",
    )
    .await;
    refused(post(&app, t, "/api/v1/offers", json!({"application_id": uuid::Uuid::now_v7(), "salary_amount": 1, "salary_currency": "EUR"})).await, "application_id").await;
    refused(
        patch(&app, t, &path, json!({"status": "accepted"})).await,
        "status",
    )
    .await;
    let edited = json_of(
        patch(
            &app,
            t,
            &path,
            json!({"salary_amount": 7_500_000, "start_date": null}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(edited["salary_amount"], 7_500_000);
    assert_eq!(edited["start_date"], Value::Null);
    // Concurrent edits of a draft: the amounts stand for the values written.
    let written: Arc<Mutex<HashMap<i64, String>>> = Arc::default();
    let (w1, w2) = (written.clone(), written.clone());
    assert_concurrent_patches(
        &app,
        t,
        &path,
        move |v| {
            let mut map = w1.lock().unwrap();
            let amount = 1_000 + map.len() as i64;
            map.insert(amount, v.to_string());
            json!({"salary_amount": amount})
        },
        move |r| w2.lock().unwrap()[&r["salary_amount"].as_i64().unwrap()].clone(),
    )
    .await;
    let current = get(&app, t, &path).await;

    // draft → sent (If-Match honoured), then frozen.
    assert_problem(
        post_if(&app, t, &act(&o, "send"), version(&current) - 1, None).await,
        412,
    )
    .await;
    let sent = json_of(
        post_if(&app, t, &act(&o, "send"), version(&current), None).await,
        200,
    )
    .await;
    assert_eq!(sent["status"], "sent");
    assert!(sent["sent_at"].is_string());
    problem(
        patch(&app, t, &path, json!({"salary_amount": 1})).await,
        409,
        "offer-not-draft",
    )
    .await;
    problem(delete(&app, t, &path).await, 409, "offer-not-draft").await;
    problem(
        post(&app, t, &act(&o, "send"), json!({})).await,
        409,
        "offer-status",
    )
    .await;
    // sent → accepted, and nothing after.
    let accepted = json_of(post(&app, t, &act(&o, "accept"), json!({})).await, 200).await;
    assert_eq!(accepted["status"], "accepted");
    assert!(accepted["decided_at"].is_string());
    for verb in ["send", "accept", "decline", "withdraw"] {
        problem(
            post(&app, t, &act(&o, verb), json!({})).await,
            409,
            "offer-status",
        )
        .await;
    }
    // sent → declined; draft → withdrawn; sent → withdrawn; a draft cannot be accepted.
    let d = create_as(&app, t, "/api/v1/offers", offer(&apps[1], json!({}))).await;
    problem(
        post(&app, t, &act(&d, "accept"), json!({})).await,
        409,
        "offer-status",
    )
    .await;
    problem(
        post(&app, t, &act(&d, "decline"), json!({})).await,
        409,
        "offer-status",
    )
    .await;
    json_of(post(&app, t, &act(&d, "send"), json!({})).await, 200).await;
    assert_eq!(
        json_of(post(&app, t, &act(&d, "decline"), json!({})).await, 200).await["status"],
        "declined"
    );
    problem(
        post(&app, t, &act(&d, "withdraw"), json!({})).await,
        409,
        "offer-status",
    )
    .await;
    let w = create_as(&app, t, "/api/v1/offers", offer(&apps[1], json!({}))).await;
    assert_eq!(
        json_of(post(&app, t, &act(&w, "withdraw"), json!({})).await, 200).await["status"],
        "withdrawn"
    );
    problem(
        post(&app, t, &act(&w, "send"), json!({})).await,
        409,
        "offer-status",
    )
    .await;
    let sw = create_as(&app, t, "/api/v1/offers", offer(&apps[1], json!({}))).await;
    json_of(post(&app, t, &act(&sw, "send"), json!({})).await, 200).await;
    assert_eq!(
        json_of(post(&app, t, &act(&sw, "withdraw"), json!({})).await, 200).await["status"],
        "withdrawn"
    );

    // Expiry is read on the organization's today, never stored: a draft past its date cannot
    // be sent; a sent offer past it reads expired, takes only withdraw.
    let late = create_as(
        &app,
        t,
        "/api/v1/offers",
        offer(&apps[2], json!({"expires_on": day(-2)})),
    )
    .await;
    problem(
        post(&app, t, &act(&late, "send"), json!({})).await,
        409,
        "offer-expired",
    )
    .await;
    let x = create_as(
        &app,
        t,
        "/api/v1/offers",
        offer(&apps[2], json!({"expires_on": day(5)})),
    )
    .await;
    json_of(post(&app, t, &act(&x, "send"), json!({})).await, 200).await;
    let n = db_exec(
        &app,
        "UPDATE offers SET expires_on = ? WHERE id = ?",
        vec![
            (Utc::now().date_naive() - Duration::days(2)).into(),
            uuid::Uuid::parse_str(&id(&x)).unwrap().into(),
        ],
    )
    .await;
    assert_eq!(n, 1);
    let xp = get(&app, t, &format!("/api/v1/offers/{}", id(&x))).await;
    assert_eq!(xp["status"], "expired");
    assert_eq!(
        ids(&get(&app, t, "/api/v1/offers?status=expired").await),
        [id(&x)]
    );
    assert!(!ids(&get(&app, t, "/api/v1/offers?status=sent").await).contains(&id(&x)));
    let by_status = get(&app, t, "/api/v1/offers?sort=status,created_at&limit=200").await;
    let statuses: Vec<&str> = by_status["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["status"].as_str().unwrap())
        .collect();
    let mut sorted = statuses.clone();
    sorted.sort();
    assert_eq!(statuses, sorted, "sorted by status as read");
    problem(
        post(&app, t, &act(&x, "accept"), json!({})).await,
        409,
        "offer-status",
    )
    .await;
    assert_eq!(
        json_of(post(&app, t, &act(&x, "withdraw"), json!({})).await, 200).await["status"],
        "withdrawn"
    );

    // Events name each action.
    let types = event_types(&app, t, &id(&o)).await;
    assert!(
        types.starts_with(&["offer.created".to_string(), "offer.updated".to_string()]),
        "{types:?}"
    );
    assert_eq!(&types[types.len() - 2..], ["offer.sent", "offer.accepted"]);
    // A final application takes no offer; a draft offer is deleted.
    move_to(&app, t, &id(&apps[1]), "withdrawn").await;
    problem(
        post(&app, t, "/api/v1/offers", offer(&apps[1], json!({}))).await,
        409,
        "application-closed",
    )
    .await;
    let gone = create_as(&app, t, "/api/v1/offers", offer(&apps[2], json!({}))).await;
    assert_eq!(
        delete(&app, t, &format!("/api/v1/offers/{}", id(&gone)))
            .await
            .status(),
        204
    );
    app.stop().await;
});

/// Moves the stage `application` is in `days` into the past (its history row not left yet),
/// as if it had entered it then.
async fn entered_days_ago(app: &TestApp, application: &str, days: i64) {
    let n = db_exec(
        app,
        "UPDATE application_stages SET moved_at = ? WHERE application_id = ? AND left_at IS NULL",
        vec![
            (Utc::now() - Duration::days(days)).into(),
            uuid::Uuid::parse_str(application).unwrap().into(),
        ],
    )
    .await;
    assert_eq!(n, 1);
}

/// `(stage, count, average_days)` of a report, in its order.
fn rows(report: &Value) -> Vec<(String, i64, Value)> {
    report["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["stage"].as_str().unwrap().to_string(),
                s["count"].as_i64().unwrap(),
                s["average_days"].clone(),
            )
        })
        .collect()
}

backend_tests!(
    the_recruitment_report_counts_stages_and_their_days,
    |b| async move {
        let app = spawn_app(b).await;
        let admin = app.register_admin("Funnel Co").await;
        let t = admin.access.as_str();
        let other = app.register_admin("Other Funnel").await;
        let open = posting(&app, t, "Engineer", json!({})).await;
        let elsewhere = posting(&app, t, "Designer", json!({})).await;
        let mut apps = Vec::new();
        for i in 0..3 {
            let c = candidate(
                &app,
                t,
                &format!("Person {i}"),
                &format!("p{i}@example.com"),
            )
            .await;
            apps.push(id(&apply(&app, t, &open, &c).await));
        }
        let d = candidate(&app, t, "Designer", "d@example.com").await;
        apply(&app, t, &elsewhere, &d).await;

        // A known history: app 0 applied 14 days, screened 4 days, now in interview; app 1
        // applied 3 days, screened 1 day, then rejected; app 2 still applied.
        entered_days_ago(&app, &apps[0], 14).await;
        move_to(&app, t, &apps[0], "screening").await;
        entered_days_ago(&app, &apps[0], 4).await;
        move_to(&app, t, &apps[0], "interview").await;
        entered_days_ago(&app, &apps[1], 3).await;
        move_to(&app, t, &apps[1], "screening").await;
        entered_days_ago(&app, &apps[1], 1).await;
        move_to(&app, t, &apps[1], "rejected").await;
        let h = get(
            &app,
            t,
            &format!("/api/v1/applications/{}/history", apps[0]),
        )
        .await;
        assert_eq!(h["data"].as_array().unwrap().len(), 3);

        let report = get(
            &app,
            t,
            &format!("/api/v1/reports/recruitment?job_posting_id={}", id(&open)),
        )
        .await;
        // applied: 3 reached it; apps 0 and 1 left it after 14 and 3 days: 8.5 on average.
        // screening: 2 reached and left it after 4 and 1 days: 2.5. interview: reached by one
        // still in it; rejected is final: no mean.
        assert_eq!(
            rows(&report),
            [
                ("applied".to_string(), 3, json!(8.5)),
                ("screening".to_string(), 2, json!(2.5)),
                ("interview".to_string(), 1, Value::Null),
                ("offer".to_string(), 0, Value::Null),
                ("hired".to_string(), 0, Value::Null),
                ("rejected".to_string(), 1, Value::Null),
                ("withdrawn".to_string(), 0, Value::Null),
            ]
        );
        // Every posting: the designer's application counts in `applied`, not in its mean.
        let all = get(&app, t, "/api/v1/reports/recruitment").await;
        assert_eq!(rows(&all)[0], ("applied".to_string(), 4, json!(8.5)));
        // Back and forth: a stage entered twice counts its application once, both stays summed.
        move_to(&app, t, &apps[0], "screening").await;
        let again = get(
            &app,
            t,
            &format!("/api/v1/reports/recruitment?job_posting_id={}", id(&open)),
        )
        .await;
        assert_eq!(rows(&again)[1].1, 2);
        assert_eq!(rows(&again)[2], ("interview".to_string(), 1, json!(0)));
        // Another organization sees none of it; a bad id is 422.
        let theirs = get(&app, &other.access, "/api/v1/reports/recruitment").await;
        assert!(
            rows(&theirs)
                .iter()
                .all(|(_, n, avg)| *n == 0 && avg.is_null())
        );
        let theirs = get(
            &app,
            &other.access,
            &format!("/api/v1/reports/recruitment?job_posting_id={}", id(&open)),
        )
        .await;
        assert!(rows(&theirs).iter().all(|(_, n, _)| *n == 0));
        assert_problem(
            app.get_as(t, "/api/v1/reports/recruitment?job_posting_id=nope")
                .await,
            422,
        )
        .await;
        let employee = app.user_with_roles(&admin, &["employee"]).await;
        assert_problem(
            app.get_as(&employee.access, "/api/v1/reports/recruitment")
                .await,
            403,
        )
        .await;
        app.stop().await;
    }
);

backend_tests!(
    files_of_candidates_and_applications_follow_them,
    |b| async move {
        let app = spawn_app(b).await;
        let admin = app.register_admin("Files Co").await;
        let t = admin.access.as_str();
        let hr = app.user_with_roles(&admin, &["hr"]).await;
        let employee = app.user_with_roles(&admin, &["employee"]).await;
        let open = posting(&app, t, "Engineer", json!({})).await;
        let ada = candidate(&app, t, "Ada Lovelace", "ada@example.com").await;
        let a = apply(&app, t, &open, &ada).await;
        for (kind, record) in [("candidate", &ada), ("application", &a)] {
            let res = crate::files::post_parts(
                &app,
                t,
                &[
                    ("file", Some("cv.txt"), Some("text/plain"), b"a cv"),
                    ("record_type", None, None, kind.as_bytes()),
                    ("record_id", None, None, id(record).as_bytes()),
                ],
                None,
            )
            .await;
            let f = json_of(res, 201).await;
            assert_eq!(f["record_type"], kind);
            let content = format!("/api/v1/files/{}/content", id(&f));
            assert_eq!(app.get_as(&hr.access, &content).await.status(), 200);
            assert_problem(app.get_as(&employee.access, &content).await, 404).await;
            let listed = get(
                &app,
                &hr.access,
                &format!("/api/v1/files?record_type={kind}&record_id={}", id(record)),
            )
            .await;
            assert_eq!(ids(&listed), [id(&f)]);
        }
        app.stop().await;
    }
);
