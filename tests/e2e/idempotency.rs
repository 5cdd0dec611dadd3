//! `Idempotency-Key` on POST (contract section 2): a repeat gets the first answer and does
//! nothing twice; a concurrent repeat is `409`; a key reused for another body is `422`.

use crate::backend_tests;
use crate::helpers::*;
use crate::identity_support::expect_json;
use serde_json::{Value, json};

async fn post_with_key(
    app: &TestApp,
    token: &str,
    path: &str,
    key: &str,
    body: &Value,
) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn lead_count(app: &TestApp, token: &str) -> usize {
    let page = expect_json(app.get_as(token, "/api/v1/leads?limit=200").await, 200).await;
    page["data"].as_array().unwrap().len()
}

backend_tests!(a_repeated_post_is_answered_once, |b| async move {
    let app = spawn_app(b).await;
    let a = app.register_admin("Idem A").await;
    let body = json!({"name": "Ann Lee", "email": "ann@idem.example"});

    let first = post_with_key(&app, &a.access, "/api/v1/leads", "k-1", &body).await;
    assert_eq!(first.status().as_u16(), 201);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let location = first.headers()["location"].to_str().unwrap().to_string();
    let etag = first.headers()["etag"].to_str().unwrap().to_string();
    let created: Value = first.json().await.unwrap();

    let again = post_with_key(&app, &a.access, "/api/v1/leads", "k-1", &body).await;
    assert_eq!(again.status().as_u16(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.headers()["location"], location.as_str());
    assert_eq!(again.headers()["etag"], etag.as_str());
    assert!(
        again.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let replayed: Value = again.json().await.unwrap();
    assert_eq!(replayed, created);
    assert_eq!(lead_count(&app, &a.access).await, 1);

    // The same key for another request.
    let other = json!({"name": "Bob Roe", "email": "bob@idem.example"});
    let res = post_with_key(&app, &a.access, "/api/v1/leads", "k-1", &other).await;
    let p = assert_problem(res, 422).await;
    assert!(
        p["type"]
            .as_str()
            .unwrap()
            .ends_with("idempotency-key-reused"),
        "{p}"
    );
    assert_eq!(lead_count(&app, &a.access).await, 1);

    // Another user's key of the same name is theirs.
    let b2 = app.register_admin("Idem B").await;
    let res = post_with_key(&app, &b2.access, "/api/v1/leads", "k-1", &body).await;
    assert_eq!(res.status().as_u16(), 201);
    assert!(res.headers().get("idempotent-replayed").is_none());

    // A refusal is an answer too, and is given again.
    let bad = json!({"name": ""});
    let res = post_with_key(&app, &a.access, "/api/v1/leads", "k-bad", &bad).await;
    assert_eq!(res.status().as_u16(), 422);
    let res = post_with_key(&app, &a.access, "/api/v1/leads", "k-bad", &bad).await;
    assert_eq!(res.status().as_u16(), 422);
    assert_eq!(res.headers()["idempotent-replayed"], "true");

    // A malformed key.
    let res = post_with_key(&app, &a.access, "/api/v1/leads", "two words", &body).await;
    let p = assert_problem(res, 422).await;
    assert_eq!(p["errors"][0]["field"], "Idempotency-Key");
    let long = "k".repeat(256);
    let res = post_with_key(&app, &a.access, "/api/v1/leads", &long, &body).await;
    assert_problem(res, 422).await;

    // Public routes ignore the key: a login's answer is never handed to another request.
    let login = json!({"email": a.email, "password": a.password});
    for _ in 0..2 {
        let res = app
            .client
            .post(app.url("/api/v1/auth/login"))
            .header("Idempotency-Key", "login-1")
            .json(&login)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 200);
        assert!(res.headers().get("idempotent-replayed").is_none());
    }
    app.stop().await;
});

backend_tests!(concurrent_repeats_create_one_record, |b| async move {
    let app = spawn_app(b).await;
    let a = app.register_admin("Idem C").await;
    let body = json!({"name": "Concurrent Lead", "email": "c@idem.example"});
    let sends: Vec<_> = (0..8)
        .map(|_| post_with_key(&app, &a.access, "/api/v1/leads", "k-race", &body))
        .collect();
    let results = futures_util::future::join_all(sends).await;
    let statuses: Vec<u16> = results.iter().map(|r| r.status().as_u16()).collect();
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 409),
        "{statuses:?}"
    );
    assert!(statuses.contains(&201), "{statuses:?}");
    assert_eq!(lead_count(&app, &a.access).await, 1, "{statuses:?}");
    // Once the first has answered, a repeat gets its answer.
    let res = post_with_key(&app, &a.access, "/api/v1/leads", "k-race", &body).await;
    assert_eq!(res.status().as_u16(), 201);
    assert_eq!(res.headers()["idempotent-replayed"], "true");
    app.stop().await;
});
