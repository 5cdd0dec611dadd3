//! The statement budget of the hot requests (issue: fewer database round trips per request).
//! Authentication is one statement; a read is one more; a create or update of a plain
//! resource is its transaction and nothing else. A change that adds a statement fails here,
//! so every later module keeps the same budget.

use crate::backend_tests;
use crate::helpers::*;
use reqwest::Method;
use serde_json::{Value, json};

/// The statements `send` causes, less the outbox's background polling.
async fn statements_of<F, Fut>(app: &TestApp, send: F) -> (reqwest::Response, Vec<String>)
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = reqwest::Response>,
{
    let log = app.statements.as_ref().expect("statement log on");
    log.take();
    let res = send().await;
    let sent = log
        .take()
        .into_iter()
        .filter(|s| !s.contains("outbox"))
        .collect();
    (res, sent)
}

fn assert_budget(what: &str, sent: &[String], expected: usize) {
    assert_eq!(
        sent.len(),
        expected,
        "{what}: {} statements, budget {expected}:\n{}",
        sent.len(),
        sent.join("\n")
    );
}

backend_tests!(
    lead_requests_stay_within_their_statement_budget,
    |b| async move {
        let app = spawn_app_with(b, &[("CRM__DATABASE__COUNT_STATEMENTS", "true")]).await;
        let admin = app.register_admin("Budget Co").await;
        let t = admin.access.clone();

        let body = json!({"name": "Counted", "email": "counted@example.com", "company": "C"});
        let (res, sent) = statements_of(&app, || {
            app.send_as(Method::POST, &t, "/api/v1/leads", Some(&body))
        })
        .await;
        assert_eq!(res.status().as_u16(), 201);
        // authenticate; BEGIN, INSERT lead, INSERT activity, COMMIT
        assert_budget("POST /leads", &sent, 5);
        let lead: Value = res.json().await.unwrap();
        let path = format!("/api/v1/leads/{}", lead["id"].as_str().unwrap());

        let (res, sent) = statements_of(&app, || app.get_as(&t, &path)).await;
        assert_eq!(res.status().as_u16(), 200);
        // authenticate; the lead
        assert_budget("GET /leads/{id}", &sent, 2);

        let patch = json!({"company": "Counted Ltd"});
        let (res, sent) =
            statements_of(&app, || app.send_as(Method::PATCH, &t, &path, Some(&patch))).await;
        assert_eq!(res.status().as_u16(), 200);
        // authenticate; BEGIN, the lead locked, UPDATE, INSERT activity, COMMIT
        assert_budget("PATCH /leads/{id}", &sent, 6);

        let (res, sent) = statements_of(&app, || app.get_as(&t, "/api/v1/leads?status=new")).await;
        assert_eq!(res.status().as_u16(), 200);
        // authenticate; the page
        assert_budget("GET /leads", &sent, 2);
        app.stop().await;
    }
);

backend_tests!(
    board_and_login_stay_within_their_statement_budget,
    |b| async move {
        let app = spawn_app_with(b, &[("CRM__DATABASE__COUNT_STATEMENTS", "true")]).await;
        let admin = app.register_admin("Budget Board").await;
        let t = admin.access.clone();

        // The organization's first board makes its default pipeline; the budget is the next one's.
        assert_eq!(
            app.get_as(&t, "/api/v1/deals/board")
                .await
                .status()
                .as_u16(),
            200
        );
        let (res, sent) = statements_of(&app, || app.get_as(&t, "/api/v1/deals/board")).await;
        assert_eq!(res.status().as_u16(), 200);
        // authenticate; the default pipeline; its stages; the totals; the deals of each of the
        // three stages (at most 100 each)
        assert_budget("GET /deals/board", &sent, 7);

        let body = json!({"email": admin.email, "password": admin.password});
        let (res, sent) = statements_of(&app, || app.post_json("/api/v1/auth/login", &body)).await;
        assert_eq!(res.status().as_u16(), 200);
        // the attempt counted for the address and the account every instance shares (one
        // upsert, which PostgreSQL answers with RETURNING; the others read the counters
        // back); the user by email; BEGIN, INSERT refresh token, stamp last_login_at, COMMIT
        let counted = if b == Backend::Postgres { 1 } else { 2 };
        assert_budget("POST /auth/login", &sent, counted + 5);
        app.stop().await;
    }
);
