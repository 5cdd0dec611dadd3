//! Two people saving one record at once (contract §2, RFC 9110 §13.1.1): a `PATCH` without
//! `If-Match` is unconditional, so every one of N simultaneous PATCHes answers `200` and the
//! last write wins; with the same `If-Match`, exactly one wins and the others get `412`.
//!
//! [`assert_concurrent_patches`] is the check every resource that takes `PATCH` runs, this
//! module's and every later module's.

use crate::backend_tests;
use crate::helpers::*;
use futures_util::future::join_all;
use reqwest::Method;
use serde_json::{Value, json};

/// Simultaneous writers per round, and rounds.
const WRITERS: usize = 12;
const ROUNDS: usize = 3;

/// Sends `WRITERS` simultaneous PATCHes of `path` (each on its own connection) for `ROUNDS`
/// rounds, each setting a value the record never had (`body(v)` makes the body of value `v`,
/// `read(record)` reads the value back). Asserts that all answer `200`, the version grows by
/// exactly `WRITERS` per round, every answer carries a distinct version, and the record holds
/// the write that got the highest version. Then `WRITERS` PATCHes with the same `If-Match`:
/// exactly one `200`, the others `412`.
pub async fn assert_concurrent_patches(
    app: &TestApp,
    token: &str,
    path: &str,
    body: impl Fn(&str) -> Value,
    read: impl Fn(&Value) -> String,
) {
    let url = app.url(path);
    let version_of = |v: &Value| v["version"].as_i64().expect("a version");
    let current = json_of(app.get_as(token, path).await, 200).await;
    let mut version = version_of(&current);
    for round in 0..ROUNDS {
        let sends = (0..WRITERS).map(|w| {
            // One client each: its own connection, so the requests really run side by side.
            let client = reqwest::Client::new();
            let value = format!("r{round}w{w}-{}", uuid::Uuid::now_v7().simple());
            let req = client.patch(&url).bearer_auth(token).json(&body(&value));
            async move { (value, req.send().await.expect("PATCH sent")) }
        });
        let mut answers = Vec::new();
        for (value, res) in join_all(sends).await {
            let record = json_of(res, 200).await;
            assert_eq!(
                read(&record),
                value,
                "{path}: the answer holds its own write"
            );
            answers.push((version_of(&record), value));
        }
        answers.sort();
        let versions: Vec<i64> = answers.iter().map(|(v, _)| *v).collect();
        let expected: Vec<i64> = (1..=WRITERS as i64).map(|i| version + i).collect();
        assert_eq!(versions, expected, "{path}: one version per write");
        let stored = json_of(app.get_as(token, path).await, 200).await;
        version += WRITERS as i64;
        assert_eq!(
            version_of(&stored),
            version,
            "{path}: version grew by {WRITERS}"
        );
        let last = &answers.last().expect("answers").1;
        assert_eq!(
            &read(&stored),
            last,
            "{path}: the highest version's write is stored"
        );
    }
    let sends = (0..WRITERS).map(|w| {
        let client = reqwest::Client::new();
        let value = format!("if-match-{w}-{}", uuid::Uuid::now_v7().simple());
        let req = client
            .patch(&url)
            .bearer_auth(token)
            .header("if-match", format!("\"{version}\""))
            .json(&body(&value));
        async move { req.send().await.expect("PATCH sent").status().as_u16() }
    });
    let mut codes = join_all(sends).await;
    codes.sort();
    let mut expected = vec![200];
    expected.extend(std::iter::repeat_n(412, WRITERS - 1));
    assert_eq!(codes, expected, "{path}: one If-Match winner");
}

/// The JSON body of `res`, which must answer `status`.
pub async fn json_of(res: reqwest::Response, status: u16) -> Value {
    let code = res.status().as_u16();
    let text = res.text().await.expect("a body");
    assert_eq!(code, status, "{text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

async fn created(app: &TestApp, token: &str, path: &str, body: Value) -> String {
    let rec = json_of(
        app.send_as(Method::POST, token, path, Some(&body)).await,
        201,
    )
    .await;
    rec["id"].as_str().expect("an id").to_string()
}

fn text(field: &'static str) -> impl Fn(&Value) -> String {
    move |r| r[field].as_str().unwrap_or_default().to_string()
}

backend_tests!(simultaneous_lead_patches, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Race Co").await;
    let t = &admin.access;
    let id = created(&app, t, "/api/v1/leads", json!({"name": "Racy"})).await;
    assert_concurrent_patches(
        &app,
        t,
        &format!("/api/v1/leads/{id}"),
        |v| json!({"company": v}),
        text("company"),
    )
    .await;
    app.stop().await;
});

/// `n` simultaneous POSTs of `path` (an action route), their statuses sorted.
async fn simultaneous_actions(app: &TestApp, token: &str, path: &str, body: Value) -> Vec<u16> {
    let url = app.url(path);
    let sends = (0..WRITERS).map(|_| {
        let req = reqwest::Client::new()
            .post(&url)
            .bearer_auth(token)
            .json(&body);
        async move { req.send().await.expect("POST sent").status().as_u16() }
    });
    let mut codes = join_all(sends).await;
    codes.sort();
    codes
}

/// One `200`, the rest `409`: a state change lost to a concurrent one is the business rule
/// it broke, never a `412` nobody asked for.
fn one_winner_rest_conflict(what: &str, codes: &[u16]) {
    let mut expected = vec![200];
    expected.extend(std::iter::repeat_n(409, WRITERS - 1));
    assert_eq!(codes, expected, "{what}");
}

backend_tests!(
    simultaneous_sales_patches_and_state_changes,
    |b| async move {
        let app = spawn_app(b).await;
        let admin = app.register_admin("Race Sales").await;
        let t = &admin.access;
        let client = created(
            &app,
            t,
            "/api/v1/clients",
            json!({"name": "Buyer", "kind": "company"}),
        )
        .await;

        let pipeline = created(
        &app,
        t,
        "/api/v1/pipelines",
        json!({"name": "Racing", "stages": [{"name": "A", "probability": 10}, {"name": "B", "probability": 60}]}),
    )
    .await;
        assert_concurrent_patches(
            &app,
            t,
            &format!("/api/v1/pipelines/{pipeline}"),
            |v| json!({"name": v}),
            text("name"),
        )
        .await;

        let deal_body =
            json!({"title": "Big", "client_id": client, "amount": 1000, "currency": "USD"});
        let deal = created(&app, t, "/api/v1/deals", deal_body.clone()).await;
        assert_concurrent_patches(
            &app,
            t,
            &format!("/api/v1/deals/{deal}"),
            |v| json!({"title": v}),
            text("title"),
        )
        .await;
        let codes =
            simultaneous_actions(&app, t, &format!("/api/v1/deals/{deal}/won"), json!({})).await;
        one_winner_rest_conflict("simultaneous wins of one deal", &codes);
        let other = created(&app, t, "/api/v1/deals", deal_body).await;
        let codes = simultaneous_actions(
            &app,
            t,
            &format!("/api/v1/deals/{other}/lost"),
            json!({"reason": "price"}),
        )
        .await;
        one_winner_rest_conflict("simultaneous losses of one deal", &codes);

        let quotation = created(
        &app,
        t,
        "/api/v1/quotations",
        json!({"client_id": client, "currency": "USD", "issue_date": "2026-11-01", "valid_until": "2099-12-31",
               "items": [{"description": "Setup", "quantity": 1, "unit_price": 1000, "tax_rate": 0}]}),
    )
    .await;
        assert_concurrent_patches(
        &app,
        t,
        &format!("/api/v1/quotations/{quotation}"),
        |v| json!({"items": [{"description": v, "quantity": 1, "unit_price": 1000, "tax_rate": 0}]}),
        |r| r["items"][0]["description"].as_str().unwrap_or_default().to_string(),
    )
    .await;
        let codes = simultaneous_actions(
            &app,
            t,
            &format!("/api/v1/quotations/{quotation}/send"),
            json!({}),
        )
        .await;
        one_winner_rest_conflict("simultaneous sends of one quotation", &codes);

        let lead = created(&app, t, "/api/v1/leads", json!({"name": "Convertible"})).await;
        let codes =
            simultaneous_actions(&app, t, &format!("/api/v1/leads/{lead}/convert"), json!({}))
                .await;
        one_winner_rest_conflict("simultaneous conversions of one lead", &codes);
        app.stop().await;
    }
);

backend_tests!(simultaneous_client_patches, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Race Co").await;
    let t = &admin.access;
    let id = created(&app, t, "/api/v1/clients", json!({"name": "Racy"})).await;
    assert_concurrent_patches(
        &app,
        t,
        &format!("/api/v1/clients/{id}"),
        |v| json!({"industry": v}),
        text("industry"),
    )
    .await;
    app.stop().await;
});

backend_tests!(simultaneous_contact_patches, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Race Co").await;
    let t = &admin.access;
    let client = created(&app, t, "/api/v1/clients", json!({"name": "Racy"})).await;
    let contacts = format!("/api/v1/clients/{client}/contacts");
    let id = created(&app, t, &contacts, json!({"name": "Kim"})).await;
    assert_concurrent_patches(
        &app,
        t,
        &format!("{contacts}/{id}"),
        |v| json!({"title": v}),
        text("title"),
    )
    .await;
    app.stop().await;
});

backend_tests!(simultaneous_interaction_patches, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Race Co").await;
    let t = &admin.access;
    let client = created(&app, t, "/api/v1/clients", json!({"name": "Racy"})).await;
    let interactions = format!("/api/v1/clients/{client}/interactions");
    let id = created(
        &app,
        t,
        &interactions,
        json!({"kind": "note", "summary": "First"}),
    )
    .await;
    assert_concurrent_patches(
        &app,
        t,
        &format!("{interactions}/{id}"),
        |v| json!({"summary": v}),
        text("summary"),
    )
    .await;
    app.stop().await;
});

backend_tests!(simultaneous_user_patches, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Race Co").await;
    let t = &admin.access;
    let id = created(
        &app,
        t,
        "/api/v1/users",
        json!({"name": "Bo", "email": "bo@race.example", "password": "a long enough password"}),
    )
    .await;
    assert_concurrent_patches(
        &app,
        t,
        &format!("/api/v1/users/{id}"),
        |v| json!({"name": v}),
        text("name"),
    )
    .await;
    app.stop().await;
});

backend_tests!(simultaneous_role_patches, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Race Co").await;
    let t = &admin.access;
    let id = created(
        &app,
        t,
        "/api/v1/roles",
        json!({"name": "Racers", "permissions": ["leads:read"]}),
    )
    .await;
    assert_concurrent_patches(
        &app,
        t,
        &format!("/api/v1/roles/{id}"),
        |v| json!({"description": v}),
        text("description"),
    )
    .await;
    app.stop().await;
});

backend_tests!(simultaneous_department_patches, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Race Co").await;
    let t = &admin.access;
    let id = created(&app, t, "/api/v1/departments", json!({"name": "Pit"})).await;
    assert_concurrent_patches(
        &app,
        t,
        &format!("/api/v1/departments/{id}"),
        |v| json!({"name": v}),
        text("name"),
    )
    .await;
    app.stop().await;
});

backend_tests!(simultaneous_designation_patches, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Race Co").await;
    let t = &admin.access;
    let id = created(&app, t, "/api/v1/designations", json!({"title": "Driver"})).await;
    assert_concurrent_patches(
        &app,
        t,
        &format!("/api/v1/designations/{id}"),
        |v| json!({"title": v}),
        text("title"),
    )
    .await;
    app.stop().await;
});

backend_tests!(simultaneous_organization_patches, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Race Co").await;
    let t = &admin.access;
    assert_concurrent_patches(
        &app,
        t,
        "/api/v1/organization",
        |v| json!({"legal_name": v}),
        text("legal_name"),
    )
    .await;
    app.stop().await;
});
