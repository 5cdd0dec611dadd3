//! Contracts (contract section 6): numbered drafts, activation, termination, renewal by hand,
//! and the job that tells, renews or expires each contract once per date, also with two
//! instances on one database. Files attached to finance records follow those records.

use crate::backend_tests;
use crate::concurrency::json_of;
use crate::files::post_parts;
use crate::helpers::*;
use crate::identity_support::create_as;
use chrono::{Duration, NaiveDate, Utc};
use reqwest::Method;
use serde_json::{Value, json};

fn id(v: &Value) -> String {
    v["id"].as_str().expect("an id").to_string()
}

async fn post(app: &TestApp, t: &str, path: &str, body: Option<Value>) -> reqwest::Response {
    app.send_as(Method::POST, t, path, body.as_ref()).await
}

async fn post_if(app: &TestApp, t: &str, path: &str, version: i64) -> reqwest::Response {
    reqwest::Client::new()
        .post(app.url(path))
        .bearer_auth(t)
        .header("if-match", format!("\"{version}\""))
        .send()
        .await
        .unwrap()
}

async fn patch(app: &TestApp, t: &str, path: &str, body: Value) -> reqwest::Response {
    app.send_as(Method::PATCH, t, path, Some(&body)).await
}

/// A `409` or `422` naming `code` (its problem `type` ends with it).
async fn problem(res: reqwest::Response, status: u16, code: &str) -> Value {
    let p = assert_problem(res, status).await;
    let ty = p["type"].as_str().unwrap_or_default();
    assert!(ty.ends_with(&format!("/{code}")), "{code} expected: {p}");
    p
}

/// A `422` whose first field error names `field`.
async fn refused(res: reqwest::Response, field: &str) {
    let p = assert_problem(res, 422).await;
    assert_eq!(p["errors"][0]["field"], field, "{p}");
}

async fn client(app: &TestApp, t: &str, name: &str, owner: Option<&str>) -> String {
    let mut body = json!({"name": name, "kind": "company"});
    if let Some(o) = owner {
        body["owner_id"] = json!(o);
    }
    id(&create_as(app, t, "/api/v1/clients", body).await)
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

fn year() -> String {
    today().format("%Y").to_string()
}

fn support(client: &str, start: NaiveDate, end: NaiveDate) -> Value {
    json!({"client_id": client, "title": "Support and maintenance", "value": 1_200_000,
           "start_date": start.to_string(), "end_date": end.to_string()})
}

fn with(mut body: Value, extra: Value) -> Value {
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    body
}

/// The ids of `/contracts{query}` as `t` sees them.
async fn listed(app: &TestApp, t: &str, query: &str) -> Vec<String> {
    let page = json_of(
        app.get_as(t, &format!("/api/v1/contracts{query}")).await,
        200,
    )
    .await;
    page["data"].as_array().unwrap().iter().map(id).collect()
}

backend_tests!(a_contract_from_draft_to_renewal, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Contracts Co").await;
    let t = admin.access.as_str();
    let c = client(&app, t, "Globex", None).await;
    let (start, end) = (
        NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
    );

    // Numbered at creation, consecutively; a draft in the organization's currency.
    let first = create_as(
        &app,
        t,
        "/api/v1/contracts",
        with(
            support(&c, start, end),
            json!({"notice_days": 60, "auto_renew": true}),
        ),
    )
    .await;
    let second = create_as(&app, t, "/api/v1/contracts", support(&c, start, end)).await;
    let y = year();
    assert_eq!(first["number"], format!("CT-{y}-0001"));
    assert_eq!(second["number"], format!("CT-{y}-0002"));
    assert_eq!(
        (
            first["status"].as_str(),
            first["currency"].as_str(),
            first["renewal_months"].as_i64(),
            first["notice_date"].as_str(),
            first["owner_id"].as_str(),
        ),
        (
            Some("draft"),
            Some("USD"),
            Some(12),
            Some("2026-11-01"),
            Some(admin.user_id.as_str())
        )
    );
    assert!(second["notice_date"].is_null() && second["renewed_from_id"].is_null());
    let path = format!("/api/v1/contracts/{}", id(&first));

    // Bad bodies: each field named; read-only fields refused; nothing numbered.
    let good = support(&c, start, end);
    for (field, extra) in [
        ("end_date", json!({"end_date": "2025-12-31"})),
        ("end_date", json!({"end_date": "2026-01-01"})),
        ("client_id", json!({"client_id": uuid::Uuid::now_v7()})),
        ("file_id", json!({"file_id": uuid::Uuid::now_v7()})),
        ("owner_id", json!({"owner_id": uuid::Uuid::now_v7()})),
        ("renewal_months", json!({"renewal_months": 0})),
        ("notice_days", json!({"notice_days": -1})),
        ("value", json!({"value": -5})),
        ("title", json!({"title": "  "})),
        ("start_date", json!({"start_date": "2026-02-30"})),
    ] {
        refused(
            post(
                &app,
                t,
                "/api/v1/contracts",
                Some(with(good.clone(), extra)),
            )
            .await,
            field,
        )
        .await;
    }
    for extra in [
        json!({"number": "CT-1"}),
        json!({"status": "active"}),
        json!({"notice_date": "2026-01-01"}),
    ] {
        assert_problem(
            post(
                &app,
                t,
                "/api/v1/contracts",
                Some(with(good.clone(), extra)),
            )
            .await,
            422,
        )
        .await;
    }
    let third = create_as(&app, t, "/api/v1/contracts", support(&c, start, end)).await;
    assert_eq!(third["number"], format!("CT-{y}-0003"));

    // Edits move the notice date; an end before the start is refused.
    let edited = json_of(
        patch(
            &app,
            t,
            &path,
            json!({"notice_days": 30, "signed_on": "2025-12-15"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        (edited["notice_date"].as_str(), edited["version"].as_i64()),
        (Some("2026-12-01"), Some(2))
    );
    refused(
        patch(&app, t, &path, json!({"start_date": "2027-01-01"})).await,
        "end_date",
    )
    .await;

    // Activation (with If-Match), then no second activation.
    assert_problem(post_if(&app, t, &format!("{path}/activate"), 1).await, 412).await;
    let active = json_of(post_if(&app, t, &format!("{path}/activate"), 2).await, 200).await;
    assert_eq!(active["status"], "active");
    problem(
        post(&app, t, &format!("{path}/activate"), None).await,
        409,
        "contract-status",
    )
    .await;
    // Only drafts are deleted.
    problem(
        app.send_as(Method::DELETE, t, &path, None).await,
        409,
        "contract-status",
    )
    .await;

    // Renewal by hand: a successor from the day after the end, the old one renewed.
    let res = post(&app, t, &format!("{path}/renew"), None).await;
    assert_eq!(res.status(), 201);
    let location = res
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let successor: Value = res.json().await.unwrap();
    assert_eq!(location, format!("/api/v1/contracts/{}", id(&successor)));
    assert_eq!(successor["number"], format!("CT-{y}-0004"));
    assert_eq!(
        (
            successor["status"].as_str(),
            successor["start_date"].as_str(),
            successor["end_date"].as_str(),
            successor["notice_date"].as_str(),
            successor["renewed_from_id"].as_str(),
        ),
        (
            Some("active"),
            Some("2027-01-01"),
            Some("2027-12-31"),
            Some("2027-12-01"),
            Some(id(&first).as_str())
        )
    );
    for f in [
        "client_id",
        "title",
        "value",
        "currency",
        "auto_renew",
        "renewal_months",
    ] {
        assert_eq!(successor[f], first[f], "{f}");
    }
    let old = json_of(app.get_as(t, &path).await, 200).await;
    assert_eq!(old["status"], "renewed");
    problem(
        post(&app, t, &format!("{path}/renew"), None).await,
        409,
        "contract-status",
    )
    .await;
    problem(
        patch(&app, t, &path, json!({"title": "Late"})).await,
        409,
        "contract-status",
    )
    .await;

    // Termination: a reason and a day of the term.
    let spath = format!("/api/v1/contracts/{}", id(&successor));
    let terminate = format!("{spath}/terminate");
    refused(
        post(&app, t, &terminate, Some(json!({"reason": " "}))).await,
        "reason",
    )
    .await;
    refused(
        post(
            &app,
            t,
            &terminate,
            Some(json!({"reason": "Moved", "effective_date": "2028-01-01"})),
        )
        .await,
        "effective_date",
    )
    .await;
    let ended = json_of(
        post(
            &app,
            t,
            &terminate,
            Some(json!({"reason": "Office closed", "effective_date": "2027-06-30"})),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        (
            ended["status"].as_str(),
            ended["terminated_on"].as_str(),
            ended["termination_reason"].as_str()
        ),
        (
            Some("terminated"),
            Some("2027-06-30"),
            Some("Office closed")
        )
    );
    problem(
        post(&app, t, &terminate, Some(json!({"reason": "Again"}))).await,
        409,
        "contract-status",
    )
    .await;
    // A draft cannot be terminated or renewed, but it can be deleted.
    let spath2 = format!("/api/v1/contracts/{}", id(&second));
    problem(
        post(
            &app,
            t,
            &format!("{spath2}/terminate"),
            Some(json!({"reason": "x"})),
        )
        .await,
        409,
        "contract-status",
    )
    .await;
    problem(
        post(&app, t, &format!("{spath2}/renew"), None).await,
        409,
        "contract-status",
    )
    .await;
    let res = app.send_as(Method::DELETE, t, &spath2, None).await;
    assert_eq!(res.status(), 204);
    assert_problem(app.get_as(t, &spath2).await, 404).await;

    // Lists: filters, search by number, sort.
    assert_eq!(listed(&app, t, "?status=renewed").await, vec![id(&first)]);
    assert_eq!(
        listed(&app, t, &format!("?q=CT-{y}-0003")).await,
        vec![id(&third)]
    );
    assert_eq!(
        listed(&app, t, &format!("?client_id={c}&sort=number")).await,
        vec![id(&first), id(&third), id(&successor)]
    );
    refused(
        app.get_as(t, "/api/v1/contracts?status=signed").await,
        "status",
    )
    .await;

    // The audit trail and the events of the first contract.
    let events = json_of(
        app.get_as(
            t,
            &format!("/api/v1/events?record_id={}&limit=50", id(&first)),
        )
        .await,
        200,
    )
    .await;
    let mut types: Vec<&str> = events["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    types.sort();
    assert_eq!(
        types,
        [
            "contract.activated",
            "contract.created",
            "contract.renewed",
            "contract.updated"
        ]
    );

    // Another organization sees none of it; an employee has no contracts permission.
    let other = app.register_admin("Elsewhere").await;
    assert_problem(app.get_as(&other.access, &path).await, 404).await;
    assert_problem(
        post(&app, &other.access, &format!("{path}/renew"), None).await,
        404,
    )
    .await;
    assert!(listed(&app, &other.access, "").await.is_empty());
    let employee = app.user_with_roles(&admin, &["employee"]).await;
    assert_problem(app.get_as(&employee.access, &path).await, 403).await;
    app.stop().await;
});

/// The record ids of the organization's events of `ty`.
async fn events_of(app: &TestApp, t: &str, ty: &str) -> Vec<String> {
    let page = json_of(
        app.get_as(t, &format!("/api/v1/events?type={ty}&limit=200"))
            .await,
        200,
    )
    .await;
    let mut ids: Vec<String> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["record_id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

/// `(type, record_id)` of the contract notifications of `t`.
async fn told(app: &TestApp, t: &str) -> Vec<(String, String)> {
    let page = json_of(app.get_as(t, "/api/v1/notifications?limit=200").await, 200).await;
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
        .filter(|(ty, _)| ty.starts_with("contract."))
        .collect();
    n.sort();
    n
}

backend_tests!(
    the_contract_job_acts_once_per_contract_and_date,
    |b| async move {
        let app = spawn_app_with(b, &[("CRM__JOBS__POLL_SECS", "1")]).await;
        let admin = app.register_admin("Renewals").await;
        // A second instance on the same database polls too.
        let db = app.db.shared();
        let settings = test_settings(&db.url, db.dir(), &[("CRM__JOBS__POLL_SECS", "1")]);
        let two = start_on(db, settings).await;
        let t = admin.access.as_str();
        let seller = app.user_with_roles(&admin, &["sales"]).await;
        let c = client(&app, t, "Long-standing", Some(&seller.user_id)).await;
        let day = |n: i64| today() + Duration::days(n);
        let owned = |body: Value| with(body, json!({"owner_id": seller.user_id}));

        // Ended three days ago and renews: renewed once, its successor active.
        let renews = create_as(
            &app,
            t,
            "/api/v1/contracts",
            owned(with(
                support(&c, day(-368), day(-3)),
                json!({"auto_renew": true, "renewal_months": 12}),
            )),
        )
        .await;
        // Ended three days ago and does not renew: expired.
        let lapses = create_as(
            &app,
            t,
            "/api/v1/contracts",
            owned(support(&c, day(-368), day(-3))),
        )
        .await;
        // Ends in ten days with thirty days' notice: the owner is told, once.
        let noticed = create_as(
            &app,
            t,
            "/api/v1/contracts",
            owned(with(
                support(&c, day(-200), day(10)),
                json!({"notice_days": 30}),
            )),
        )
        .await;
        // A draft past its end: left alone.
        let draft = create_as(
            &app,
            t,
            "/api/v1/contracts",
            owned(with(
                support(&c, day(-368), day(-3)),
                json!({"auto_renew": true}),
            )),
        )
        .await;
        for x in [&renews, &lapses, &noticed] {
            json_of(
                post(
                    &app,
                    t,
                    &format!("/api/v1/contracts/{}/activate", id(x)),
                    None,
                )
                .await,
                200,
            )
            .await;
        }
        for _ in 0..100 {
            let done = events_of(&app, t, "contract.renewed").await.len()
                + events_of(&app, t, "contract.expired").await.len()
                + events_of(&app, t, "contract.notice_due").await.len();
            if done >= 3 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        // Several more polls of both instances do nothing more.
        tokio::time::sleep(std::time::Duration::from_secs(3)).await;
        assert_eq!(events_of(&app, t, "contract.renewed").await, [id(&renews)]);
        assert_eq!(events_of(&app, t, "contract.expired").await, [id(&lapses)]);
        assert_eq!(
            events_of(&app, t, "contract.notice_due").await,
            [id(&noticed)]
        );

        let get = |x: String| {
            let app = &app;
            async move { json_of(app.get_as(t, &format!("/api/v1/contracts/{x}")).await, 200).await }
        };
        assert_eq!(get(id(&renews)).await["status"], "renewed");
        assert_eq!(get(id(&lapses)).await["status"], "expired");
        assert_eq!(get(id(&noticed)).await["status"], "active");
        assert_eq!(get(id(&draft)).await["status"], "draft");
        // One successor, from the day after the end, a year long, owned as before.
        let successors = listed(&app, t, "?status=active&sort=created_at").await;
        let successor = get(successors.last().unwrap().clone()).await;
        assert_eq!(successor["renewed_from_id"], id(&renews).as_str());
        assert_eq!(successor["start_date"], day(-2).to_string().as_str());
        let expected_end =
            day(-2).checked_add_months(chrono::Months::new(12)).unwrap() - Duration::days(1);
        assert_eq!(successor["end_date"], expected_end.to_string().as_str());
        assert_eq!(successor["owner_id"], seller.user_id.as_str());
        assert_eq!(
            listed(&app, t, &format!("?status=active&client_id={c}"))
                .await
                .len(),
            2
        );
        let renewed_by = json_of(app.get_as(t, "/api/v1/contracts?limit=200").await, 200).await;
        let children = renewed_by["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|x| x["renewed_from_id"] == id(&renews).as_str())
            .count();
        assert_eq!(children, 1);
        // Gap-free: the four created, then the successor; the expiry took no number.
        let mut numbers: Vec<String> = renewed_by["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["number"].as_str().unwrap().to_string())
            .collect();
        numbers.sort();
        let y = year();
        let expected: Vec<String> = (1..=5).map(|n| format!("CT-{y}-{n:04}")).collect();
        assert_eq!(numbers, expected);

        // The owner was told of each, once.
        let mut expected = vec![
            ("contract.expired".to_string(), id(&lapses)),
            ("contract.notice_due".to_string(), id(&noticed)),
            ("contract.renewed".to_string(), id(&renews)),
        ];
        expected.sort();
        assert_eq!(told(&app, &seller.access).await, expected);

        // A new end makes a new notice date, told once more when it comes.
        let npath = format!("/api/v1/contracts/{}", id(&noticed));
        json_of(
            patch(&app, t, &npath, json!({"end_date": day(5).to_string()})).await,
            200,
        )
        .await;
        for _ in 0..100 {
            if events_of(&app, t, "contract.notice_due").await.len() >= 2 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        assert_eq!(
            events_of(&app, t, "contract.notice_due").await,
            [id(&noticed), id(&noticed)]
        );
        two.stop().await;
        app.stop().await;
    }
);

/// Uploads `bytes` attached to `record_type`/`record_id` as `t`.
async fn attach(app: &TestApp, t: &str, record_type: &str, record_id: &str) -> Value {
    let res = post_parts(
        app,
        t,
        &[
            ("file", Some("scan.txt"), Some("text/plain"), b"signed copy"),
            ("record_type", None, None, record_type.as_bytes()),
            ("record_id", None, None, record_id.as_bytes()),
        ],
        None,
    )
    .await;
    json_of(res, 201).await
}

backend_tests!(
    files_attached_to_finance_records_follow_them,
    |b| async move {
        let app = spawn_app(b).await;
        let admin = app.register_admin("Paper Trail").await;
        let t = admin.access.as_str();
        let employee = app.user_with_roles(&admin, &["employee"]).await;
        let colleague = app.user_with_roles(&admin, &["employee"]).await;
        let finance = app.user_with_roles(&admin, &["finance"]).await;
        let c = client(&app, t, "Signed Ltd", None).await;
        let contract = create_as(
            &app,
            t,
            "/api/v1/contracts",
            support(
                &c,
                NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
                NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
            ),
        )
        .await;
        // The signed copy, attached to the contract: finance reads it, an employee does not.
        let scan = attach(&app, t, "contract", &id(&contract)).await;
        assert_eq!(scan["record_type"], "contract");
        let content = format!("/api/v1/files/{}/content", id(&scan));
        let res = app.get_as(&finance.access, &content).await;
        assert_eq!(res.status(), 200);
        assert_problem(app.get_as(&employee.access, &content).await, 404).await;
        let linked = json_of(
            patch(
                &app,
                t,
                &format!("/api/v1/contracts/{}", id(&contract)),
                json!({"file_id": scan["id"]}),
            )
            .await,
            200,
        )
        .await;
        assert_eq!(linked["file_id"], scan["id"]);

        // A receipt attached to an employee's expense: the submitter and finance read it, a
        // colleague does not; a colleague cannot attach to it either.
        let x = create_as(
            &app,
            &employee.access,
            "/api/v1/expenses",
            json!({"description": "Train", "category": "travel", "amount": 4_000}),
        )
        .await;
        let receipt = attach(&app, &employee.access, "expense", &id(&x)).await;
        let content = format!("/api/v1/files/{}/content", id(&receipt));
        assert_eq!(app.get_as(&employee.access, &content).await.status(), 200);
        assert_eq!(app.get_as(&finance.access, &content).await.status(), 200);
        assert_problem(app.get_as(&colleague.access, &content).await, 404).await;
        let listed = json_of(
            app.get_as(
                &finance.access,
                &format!("/api/v1/files?record_type=expense&record_id={}", id(&x)),
            )
            .await,
            200,
        )
        .await;
        assert_eq!(listed["data"][0]["id"], receipt["id"]);
        let res = post_parts(
            &app,
            &colleague.access,
            &[
                ("file", Some("r.txt"), Some("text/plain"), b"not mine"),
                ("record_type", None, None, b"expense"),
                ("record_id", None, None, id(&x).as_bytes()),
            ],
            None,
        )
        .await;
        let p = assert_problem(res, 422).await;
        assert_eq!(p["errors"][0]["field"], "record_id", "{p}");
        // Invoices take files as well.
        let inv = create_as(
            &app,
            t,
            "/api/v1/invoices",
            json!({"client_id": c, "items": [{"description": "Work", "quantity": 1, "unit_price": 100}]}),
        )
        .await;
        let f = attach(&app, t, "invoice", &id(&inv)).await;
        assert_eq!(f["record_id"], inv["id"]);
        app.stop().await;
    }
);
