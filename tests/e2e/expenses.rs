//! Expenses (contract section 6): an employee's claim from draft to reimbursement, who may
//! move it, what each of them sees and is told, and concurrent edits.

use crate::backend_tests;
use crate::concurrency::{assert_concurrent_patches, json_of};
use crate::helpers::*;
use crate::identity_support::create_as;
use reqwest::Method;
use serde_json::{Value, json};

fn id(v: &Value) -> String {
    v["id"].as_str().expect("an id").to_string()
}

async fn post(app: &TestApp, t: &str, path: &str, body: Option<Value>) -> reqwest::Response {
    app.send_as(Method::POST, t, path, body.as_ref()).await
}

/// `POST path` with `If-Match: "<version>"`.
async fn post_if(
    app: &TestApp,
    t: &str,
    path: &str,
    version: i64,
    body: Option<Value>,
) -> reqwest::Response {
    let mut req = reqwest::Client::new()
        .post(app.url(path))
        .bearer_auth(t)
        .header("if-match", format!("\"{version}\""));
    if let Some(b) = body {
        req = req.json(&b);
    }
    req.send().await.unwrap()
}

async fn patch(app: &TestApp, t: &str, path: &str, body: Value) -> reqwest::Response {
    app.send_as(Method::PATCH, t, path, Some(&body)).await
}

/// The problem's `type` ends with `/code`.
async fn problem(res: reqwest::Response, status: u16, code: &str) -> Value {
    let p = assert_problem(res, status).await;
    let ty = p["type"].as_str().unwrap_or_default();
    assert!(ty.ends_with(&format!("/{code}")), "{code} expected: {p}");
    p
}

fn field_of(p: &Value) -> &str {
    p["errors"][0]["field"].as_str().unwrap_or_default()
}

/// The ids of the caller's expense list at `query`.
async fn listed(app: &TestApp, t: &str, query: &str) -> Vec<String> {
    let page = json_of(
        app.get_as(t, &format!("/api/v1/expenses{query}")).await,
        200,
    )
    .await;
    page["data"].as_array().unwrap().iter().map(id).collect()
}

/// `(type, record_id)` of the caller's notifications.
async fn told(app: &TestApp, t: &str) -> Vec<(String, String)> {
    let page = json_of(app.get_as(t, "/api/v1/notifications?limit=200").await, 200).await;
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
        .collect()
}

fn has(notes: &[(String, String)], ty: &str, record: &str) -> bool {
    notes.iter().any(|(t, r)| t == ty && r == record)
}

fn taxi() -> Value {
    json!({"description": "Taxi from the airport", "category": "travel", "amount": 10_000,
           "merchant": "City Cabs", "incurred_on": "2026-03-10"})
}

backend_tests!(
    an_employees_claim_from_draft_to_reimbursement,
    |b| async move {
        let app = spawn_app(b).await;
        let admin = app.register_admin("Claims Co").await;
        let employee = app.user_with_roles(&admin, &["employee"]).await;
        let colleague = app.user_with_roles(&admin, &["employee"]).await;
        let manager = app.user_with_roles(&admin, &["manager"]).await;
        let other_manager = app.user_with_roles(&admin, &["manager"]).await;
        let finance = app.user_with_roles(&admin, &["finance"]).await;
        // The employee reports to the manager: the manager decides their claims.
        crate::hr_support::reports_to(&app, &admin.access, &employee.user_id, &manager.user_id)
            .await;
        let (e, m, f) = (
            employee.access.as_str(),
            manager.access.as_str(),
            finance.access.as_str(),
        );

        // The employee's draft: theirs, in the organization's currency.
        let x = create_as(&app, e, "/api/v1/expenses", taxi()).await;
        let xid = id(&x);
        let path = format!("/api/v1/expenses/{xid}");
        assert_eq!(x["status"], "draft");
        assert_eq!(x["submitted_by"], employee.user_id.as_str());
        assert_eq!(x["currency"], "USD");
        assert_eq!(x["billable"], false);
        assert!(x["approved_amount"].is_null() && x["decided_by"].is_null());
        // Read-only fields are refused, not ignored; references are checked.
        for body in [
            json!({"submitted_by": manager.user_id}),
            json!({"status": "approved"}),
            json!({"approved_amount": 1}),
        ] {
            let mut b = taxi();
            b.as_object_mut()
                .unwrap()
                .extend(body.as_object().unwrap().clone());
            assert_problem(post(&app, e, "/api/v1/expenses", Some(b)).await, 422).await;
            assert_problem(patch(&app, e, &path, body).await, 422).await;
        }
        for (field, value) in [
            ("project_id", json!(uuid::Uuid::now_v7())),
            ("receipt_file_id", json!(uuid::Uuid::now_v7())),
            // An employee sees no client.
            ("client_id", json!(uuid::Uuid::now_v7())),
            ("amount", json!(0)),
            ("description", json!("  ")),
        ] {
            let mut b = taxi();
            b[field] = value;
            let p = assert_problem(post(&app, e, "/api/v1/expenses", Some(b)).await, 422).await;
            assert_eq!(field_of(&p), field, "{p}");
        }
        // A receipt the employee uploaded.
        let receipt = crate::files::upload(&app, e, "receipt.txt", b"Taxi 100.00").await;
        let x = json_of(
            patch(
                &app,
                e,
                &path,
                json!({"amount": 12_000, "receipt_file_id": receipt["id"]}),
            )
            .await,
            200,
        )
        .await;
        assert_eq!(
            (x["amount"].as_i64(), x["version"].as_i64()),
            (Some(12_000), Some(2))
        );
        assert_eq!(x["receipt_file_id"], receipt["id"]);

        // Another employee sees nothing of it; the manager and finance see it.
        let c = colleague.access.as_str();
        assert_problem(app.get_as(c, &path).await, 404).await;
        assert_problem(patch(&app, c, &path, json!({"amount": 1})).await, 404).await;
        assert_problem(post(&app, c, &format!("{path}/submit"), None).await, 404).await;
        assert_problem(app.send_as(Method::DELETE, c, &path, None).await, 404).await;
        let theirs = create_as(&app, c, "/api/v1/expenses", taxi()).await;
        assert_eq!(listed(&app, c, "").await, vec![id(&theirs)]);
        assert_eq!(listed(&app, e, "").await, vec![xid.clone()]);
        let by_employee = listed(&app, m, &format!("?submitted_by={}", employee.user_id)).await;
        assert_eq!(by_employee, vec![xid.clone()]);
        assert_eq!(
            listed(&app, f, "?sort=-amount").await,
            vec![xid.clone(), id(&theirs)]
        );
        assert_eq!(
            listed(&app, f, "?q=AIRPORT&amount_from=11000").await,
            vec![xid.clone()]
        );

        // Only the submitter submits: finance (every expense in reach) 403, the manager (own
        // expenses only) 404.
        let submit = format!("{path}/submit");
        problem(
            post(&app, f, &submit, None).await,
            403,
            "expense-not-submitter",
        )
        .await;
        assert_problem(post(&app, m, &submit, None).await, 404).await;
        // Not yet submitted: nothing to decide.
        problem(
            post(&app, m, &format!("{path}/approve"), Some(json!({}))).await,
            409,
            "expense-status",
        )
        .await;
        assert_problem(post_if(&app, e, &submit, 1, None).await, 412).await;
        let x = json_of(post_if(&app, e, &submit, 2, None).await, 200).await;
        assert_eq!(
            (x["status"].as_str(), x["version"].as_i64()),
            (Some("submitted"), Some(3))
        );
        // Submitted: no more edits, deletion or submission.
        problem(
            patch(&app, e, &path, json!({"amount": 1})).await,
            409,
            "expense-not-draft",
        )
        .await;
        problem(
            app.send_as(Method::DELETE, e, &path, None).await,
            409,
            "expense-not-draft",
        )
        .await;
        problem(post(&app, e, &submit, None).await, 409, "expense-status").await;
        problem(
            post(&app, f, &format!("{path}/reimburse"), None).await,
            409,
            "expense-status",
        )
        .await;
        // The approvers are told (the manager, finance, the admin), the submitter is not.
        for t in [m, f, admin.access.as_str()] {
            assert!(has(&told(&app, t).await, "expense.submitted", &xid));
        }
        assert!(!has(&told(&app, e).await, "expense.submitted", &xid));
        assert!(!has(&told(&app, c).await, "expense.submitted", &xid));

        assert!(!has(
            &told(&app, &other_manager.access).await,
            "expense.submitted",
            &xid
        ));

        // The employee cannot decide, nor a manager who is not theirs (a reader of every
        // expense: 403); their own manager approves part of it.
        let approve = format!("{path}/approve");
        assert_problem(post(&app, e, &approve, Some(json!({}))).await, 403).await;
        problem(
            post(&app, &other_manager.access, &approve, Some(json!({}))).await,
            403,
            "not-approver",
        )
        .await;
        let p = assert_problem(
            post(&app, m, &approve, Some(json!({"approved_amount": 12_001}))).await,
            422,
        )
        .await;
        assert_eq!(field_of(&p), "approved_amount");
        assert_problem(post_if(&app, m, &approve, 2, Some(json!({}))).await, 412).await;
        let x = json_of(
            post_if(
                &app,
                m,
                &approve,
                3,
                Some(json!({"approved_amount": 9_000})),
            )
            .await,
            200,
        )
        .await;
        assert_eq!(x["status"], "approved");
        assert_eq!(x["approved_amount"], 9_000);
        assert_eq!(x["decided_by"], manager.user_id.as_str());
        assert!(x["decided_at"].is_string());
        problem(
            post(&app, m, &approve, Some(json!({}))).await,
            409,
            "expense-status",
        )
        .await;
        problem(
            post(
                &app,
                m,
                &format!("{path}/reject"),
                Some(json!({"reason": "late"})),
            )
            .await,
            409,
            "expense-status",
        )
        .await;
        assert!(has(&told(&app, e).await, "expense.approved", &xid));
        assert!(!has(&told(&app, m).await, "expense.approved", &xid));

        // Finance pays it back, once.
        let reimburse = format!("{path}/reimburse");
        assert_problem(post(&app, e, &reimburse, None).await, 403).await;
        let x = json_of(post(&app, f, &reimburse, None).await, 200).await;
        assert_eq!(x["status"], "reimbursed");
        assert!(x["reimbursed_at"].is_string());
        assert_eq!(x["approved_amount"], 9_000);
        problem(post(&app, f, &reimburse, None).await, 409, "expense-status").await;
        assert!(has(&told(&app, e).await, "expense.reimbursed", &xid));
        let got = json_of(app.get_as(e, &path).await, 200).await;
        assert_eq!(got, x);

        // Every step is an event.
        let ev = json_of(
            app.get_as(
                &admin.access,
                &format!("/api/v1/events?record_id={xid}&limit=200"),
            )
            .await,
            200,
        )
        .await;
        let mut types: Vec<&str> = ev["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["type"].as_str().unwrap())
            .collect();
        types.sort();
        assert_eq!(
            types,
            [
                "expense.approved",
                "expense.created",
                "expense.reimbursed",
                "expense.submitted",
                "expense.updated",
            ]
        );
        app.stop().await;
    }
);

backend_tests!(
    a_rejection_needs_a_reason_and_nobody_decides_their_own,
    |b| async move {
        let app = spawn_app(b).await;
        let admin = app.register_admin("Rejects Co").await;
        let employee = app.user_with_roles(&admin, &["employee"]).await;
        let manager = app.user_with_roles(&admin, &["manager"]).await;
        let finance = app.user_with_roles(&admin, &["finance"]).await;
        crate::hr_support::reports_to(&app, &admin.access, &employee.user_id, &manager.user_id)
            .await;
        let (e, m, f) = (
            employee.access.as_str(),
            manager.access.as_str(),
            finance.access.as_str(),
        );
        let x = create_as(&app, e, "/api/v1/expenses", taxi()).await;
        let path = format!("/api/v1/expenses/{}", id(&x));
        json_of(post(&app, e, &format!("{path}/submit"), None).await, 200).await;
        let reject = format!("{path}/reject");
        for body in [json!({}), json!({"reason": "   "})] {
            let p = assert_problem(post(&app, m, &reject, Some(body)).await, 422).await;
            assert_eq!(field_of(&p), "reason", "{p}");
        }
        let x = json_of(
            post(&app, m, &reject, Some(json!({"reason": " No receipt "}))).await,
            200,
        )
        .await;
        assert_eq!(x["status"], "rejected");
        assert_eq!(x["rejection_reason"], "No receipt");
        assert_eq!(x["decided_by"], manager.user_id.as_str());
        assert!(has(&told(&app, e).await, "expense.rejected", &id(&x)));
        // Rejected is final.
        for verb in ["submit", "reimburse"] {
            problem(
                post(&app, f, &format!("{path}/{verb}"), None).await,
                if verb == "submit" { 403 } else { 409 },
                if verb == "submit" {
                    "expense-not-submitter"
                } else {
                    "expense-status"
                },
            )
            .await;
        }
        problem(
            post(&app, f, &format!("{path}/approve"), Some(json!({}))).await,
            409,
            "expense-status",
        )
        .await;

        // Finance's own claim: submitted, but never approved or rejected by finance itself.
        let own = create_as(&app, f, "/api/v1/expenses", taxi()).await;
        let own_path = format!("/api/v1/expenses/{}", id(&own));
        json_of(
            post(&app, f, &format!("{own_path}/submit"), None).await,
            200,
        )
        .await;
        problem(
            post(&app, f, &format!("{own_path}/approve"), Some(json!({}))).await,
            403,
            "expense-own-claim",
        )
        .await;
        problem(
            post(
                &app,
                f,
                &format!("{own_path}/reject"),
                Some(json!({"reason": "mine"})),
            )
            .await,
            403,
            "expense-own-claim",
        )
        .await;
        // The manager is not finance's manager (403); the admin (expenses:approve) approves it
        // whole; finance is told, not the admin.
        problem(
            post(&app, m, &format!("{own_path}/approve"), Some(json!({}))).await,
            403,
            "not-approver",
        )
        .await;
        let a = admin.access.as_str();
        let own = json_of(
            post(&app, a, &format!("{own_path}/approve"), Some(json!({}))).await,
            200,
        )
        .await;
        assert_eq!(own["approved_amount"], 10_000);
        assert!(has(&told(&app, f).await, "expense.approved", &id(&own)));
        assert!(!has(&told(&app, a).await, "expense.approved", &id(&own)));
        // Finance was not told of its own submission; the admin was, not the manager (no
        // reporting line between them).
        assert!(!has(&told(&app, f).await, "expense.submitted", &id(&own)));
        assert!(has(&told(&app, a).await, "expense.submitted", &id(&own)));
        assert!(!has(&told(&app, m).await, "expense.submitted", &id(&own)));

        // A draft is deleted by its submitter.
        let d = create_as(&app, e, "/api/v1/expenses", taxi()).await;
        let d_path = format!("/api/v1/expenses/{}", id(&d));
        let res = app.send_as(Method::DELETE, e, &d_path, None).await;
        assert_eq!(res.status(), 204);
        assert_problem(app.get_as(e, &d_path).await, 404).await;
        app.stop().await;
    }
);

backend_tests!(concurrent_expense_patches, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Racing Claims Co").await;
    let employee = app.user_with_roles(&admin, &["employee"]).await;
    let x = create_as(&app, &employee.access, "/api/v1/expenses", taxi()).await;
    assert_concurrent_patches(
        &app,
        &employee.access,
        &format!("/api/v1/expenses/{}", id(&x)),
        |v| json!({"merchant": v}),
        |r| r["merchant"].as_str().unwrap_or_default().to_string(),
    )
    .await;
    app.stop().await;
});

/// The ids of `made` at `at`, in that order.
fn pick(made: &[String], at: &[usize]) -> Vec<String> {
    at.iter().map(|i| made[*i].clone()).collect()
}

/// Every page of `path` (which carries its own `?`) at one row a page, following the cursor.
async fn walk_ids(app: &TestApp, t: &str, path: &str) -> Vec<String> {
    let items = walk(app, t, &format!("{path}&limit=1")).await;
    items.iter().map(id).collect()
}

// `tests/e2e/sorting.rs` walks the lists of the modules before finance; this walks the
// expenses' sorts the same way: each sortable field, both directions, page by page.
backend_tests!(
    expenses_sort_and_page_by_each_declared_field,
    |b| async move {
        let app = spawn_app(b).await;
        let admin = app.register_admin("Sorted Claims Co").await;
        let t = admin.access.as_str();
        let employee = app.user_with_roles(&admin, &["employee"]).await;
        let mut made = Vec::new();
        for (merchant, category, amount, day) in [
            (Some("beta"), "travel", 300, "2026-03-02"),
            (None, "meals", 100, "2026-03-01"),
            (Some("alpha"), "travel", 200, "2026-03-03"),
            (None, "office", 200, "2026-03-01"),
        ] {
            let mut body = json!({"description": "d", "category": category, "amount": amount,
                              "incurred_on": day});
            if let Some(m) = merchant {
                body["merchant"] = json!(m);
            }
            made.push(id(&create_as(
                &app,
                &employee.access,
                "/api/v1/expenses",
                body,
            )
            .await));
        }
        json_of(
            post(
                &app,
                &employee.access,
                &format!("/api/v1/expenses/{}/submit", made[2]),
                None,
            )
            .await,
            200,
        )
        .await;
        let doc = json_of(app.get("/api/v1/openapi.json").await, 200).await;
        let sort = doc["paths"]["/api/v1/expenses"]["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "sort")
            .unwrap()["schema"]["pattern"]
            .as_str()
            .unwrap()
            .to_string();
        let fields: Vec<&str> = sort
            .strip_prefix("^[-+]?(")
            .and_then(|r| r.split(')').next())
            .unwrap()
            .split('|')
            .collect();
        let mut want = vec![
            "created_at",
            "updated_at",
            "incurred_on",
            "amount",
            "status",
            "category",
            "merchant",
        ];
        let mut got = fields.clone();
        want.sort();
        got.sort();
        assert_eq!(got, want);
        for f in fields {
            for s in [f.to_string(), format!("-{f}")] {
                let one = json_of(
                    app.get_as(t, &format!("/api/v1/expenses?sort={s}&limit=200"))
                        .await,
                    200,
                )
                .await;
                let one: Vec<String> = one["data"].as_array().unwrap().iter().map(id).collect();
                assert_eq!(one.len(), 4, "{s}");
                assert_eq!(
                    walk_ids(&app, t, &format!("/api/v1/expenses?sort={s}")).await,
                    one,
                    "{s}"
                );
            }
        }
        // NULL below every value; ties broken by id.
        let by_merchant = walk_ids(&app, t, "/api/v1/expenses?sort=merchant").await;
        assert_eq!(by_merchant, pick(&made, &[1, 3, 2, 0]));
        let by_amount = walk_ids(&app, t, "/api/v1/expenses?sort=-amount,incurred_on").await;
        assert_eq!(by_amount, pick(&made, &[0, 3, 2, 1]));
        // Filters and ranges.
        let q = |s: &'static str| walk_ids(&app, t, s);
        assert_eq!(
            q("/api/v1/expenses?status=submitted").await,
            pick(&made, &[2])
        );
        assert_eq!(
            q("/api/v1/expenses?category=travel&sort=amount").await,
            pick(&made, &[2, 0])
        );
        assert_eq!(
            q("/api/v1/expenses?incurred_on_from=2026-03-02&sort=incurred_on").await,
            pick(&made, &[0, 2])
        );
        assert_eq!(
            q("/api/v1/expenses?billable=true").await,
            Vec::<String>::new()
        );
        let p = assert_problem(app.get_as(t, "/api/v1/expenses?status=paid").await, 422).await;
        assert_eq!(field_of(&p), "status");
        app.stop().await;
    }
);
