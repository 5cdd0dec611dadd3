//! How malformed input is answered on every route (contract §2): JSON syntax first (`400`),
//! then one `422` entry naming the field (`kind`, `items[1].quantity`) in words for people;
//! NUL characters in query values and JSON strings; over-long URLs; malformed `If-Match`.

use crate::backend_tests;
use crate::helpers::*;
use reqwest::Method;
use serde_json::{Value as Json, json};
use uuid::Uuid;

async fn raw_post(app: &TestApp, token: Option<&str>, path: &str, body: &str) -> reqwest::Response {
    let mut r = app
        .client
        .post(app.url(path))
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    r.send().await.unwrap()
}

/// The only field error of a `422`, as (field, message).
async fn only_field(res: reqwest::Response) -> (String, String, Json) {
    let body = assert_problem(res, 422).await;
    let errors = body["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{body}");
    let f = errors[0]["field"].as_str().unwrap().to_string();
    let m = errors[0]["message"].as_str().unwrap().to_string();
    (f, m, body)
}

fn no_rust_type_names(body: &Json) {
    let text = body.to_string();
    for name in [
        "i64",
        "i32",
        "u32",
        "u64",
        "f64",
        "usize",
        "struct ",
        "DecimalInput",
    ] {
        assert!(!text.contains(name), "{name} in {text}");
    }
}

backend_tests!(invalid_json_is_400_whatever_the_fields, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Syntax").await;
    let truncated = r#"{"email": "x@example.com", "password": "#;
    for (path, token) in [
        ("/api/v1/leads", Some(admin.access.as_str())),
        ("/api/v1/clients", Some(admin.access.as_str())),
        ("/api/v1/auth/login", None),
        ("/api/v1/auth/forgot-password", None),
    ] {
        let body = assert_problem(raw_post(&app, token, path, truncated).await, 400).await;
        assert!(
            body["type"].as_str().unwrap().ends_with("malformed-json"),
            "{path}: {body}"
        );
    }
    // Unknown fields before a syntax error: still the syntax error.
    let res = raw_post(
        &app,
        Some(&admin.access),
        "/api/v1/leads",
        r#"{"id": 1, "name": "a",,}"#,
    )
    .await;
    assert_problem(res, 400).await;
    app.stop().await;
});

backend_tests!(field_errors_name_their_field, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Fields").await;
    let t = admin.access.as_str();
    let post = |path: &'static str, body: Json| {
        let app = &app;
        async move { app.send_as(Method::POST, t, path, Some(&body)).await }
    };

    // An unknown enum value.
    let (field, message, body) = only_field(
        post(
            "/api/v1/clients",
            json!({"name": "Acme", "kind": "spaceship"}),
        )
        .await,
    )
    .await;
    assert_eq!(field, "kind", "{body}");
    assert!(
        message.contains("company") && message.contains("individual"),
        "{body}"
    );
    no_rust_type_names(&body);

    let client = post(
        "/api/v1/clients",
        json!({"name": "Acme", "kind": "company"}),
    )
    .await;
    assert_eq!(client.status(), 201);
    let client: Json = client.json().await.unwrap();
    let cid = client["id"].as_str().unwrap().to_string();
    let res = app
        .send_as(
            Method::POST,
            t,
            &format!("/api/v1/clients/{cid}/interactions"),
            Some(&json!({"kind": "telepathy", "summary": "hm", "occurred_at": "2026-01-01T10:00:00Z"})),
        )
        .await;
    let (field, _, body) = only_field(res).await;
    assert_eq!(field, "kind", "{body}");

    // A nested wrong type: named by its JSON path.
    let quotation = json!({
        "client_id": cid,
        "currency": "USD",
        "items": [
            {"description": "ok", "quantity": "1", "unit_price": 100, "tax_rate": 0},
            {"description": "bad", "quantity": {"n": 2}, "unit_price": 100, "tax_rate": 0}
        ]
    });
    let (field, _, body) = only_field(post("/api/v1/quotations", quotation).await).await;
    assert_eq!(field, "items[1].quantity", "{body}");
    no_rust_type_names(&body);
    let quotation = json!({
        "client_id": cid,
        "currency": "USD",
        "items": [
            {"description": "ok", "quantity": "1", "unit_price": 100},
            {"description": "bad", "quantity": "1", "unit_price": 1.5}
        ]
    });
    let (field, message, body) = only_field(post("/api/v1/quotations", quotation).await).await;
    assert_eq!(field, "items[1].unit_price", "{body}");
    assert_eq!(message, "must be a whole number", "{body}");

    // A number with a fraction where a whole number belongs: the field, in words for
    // people, no Rust type.
    let (field, message, body) =
        only_field(post("/api/v1/leads", json!({"name": "Lead", "score": 5.5})).await).await;
    assert_eq!(field, "score", "{body}");
    assert_eq!(message, "must be a whole number", "{body}");
    no_rust_type_names(&body);
    // 5.0 is the whole number 5, as JSON Schema and the OpenAPI document read it.
    let res = post("/api/v1/leads", json!({"name": "Lead five", "score": 5.0})).await;
    assert_eq!(res.status().as_u16(), 201);
    let lead: serde_json::Value = res.json().await.unwrap();
    assert_eq!(lead["score"], 5);

    // Missing and unknown fields, on an auth route too.
    let (field, _, body) = only_field(
        app.post_json("/api/v1/auth/login", &json!({"email": 5, "password": "x"}))
            .await,
    )
    .await;
    assert_eq!(field, "email", "{body}");
    let (field, _, body) =
        only_field(post("/api/v1/leads", json!({"name": "L", "version": 3})).await).await;
    assert_eq!(field, "version", "{body}");
    app.stop().await;
});

backend_tests!(nul_characters_are_422_never_500, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Nul").await;
    let t = admin.access.as_str();
    for (path, param) in [
        ("/api/v1/leads?q=%00", "q"),
        ("/api/v1/leads?q=a%00b", "q"),
        ("/api/v1/clients?status=x%00", "status"),
        ("/api/v1/users?limit=10&sort=%00", "sort"),
        ("/api/v1/deals/board?pipeline_id=%00", "pipeline_id"),
    ] {
        let (field, _, body) = only_field(app.get_as(t, path).await).await;
        assert_eq!(field, param, "{path}: {body}");
    }
    let res = app
        .send_as(
            Method::POST,
            t,
            "/api/v1/leads",
            Some(&json!({"name": "a\u{0}b"})),
        )
        .await;
    let (field, _, body) = only_field(res).await;
    assert_eq!(field, "name", "{body}");
    let res = app
        .send_as(
            Method::POST,
            t,
            "/api/v1/clients",
            Some(&json!({"name": "Acme", "kind": "company", "tags": ["ok", "n\u{0}"]})),
        )
        .await;
    let (field, _, body) = only_field(res).await;
    assert_eq!(field, "tags[1]", "{body}");
    // An escaped percent sign is no NUL.
    let res = app.get_as(t, "/api/v1/leads?q=%2500").await;
    assert_eq!(res.status(), 200);
    app.stop().await;
});

backend_tests!(an_over_long_url_is_414_problem_json, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Long").await;
    let long = format!("/api/v1/leads?q={}", "a".repeat(9000));
    let body = assert_problem(app.get_as(&admin.access, &long).await, 414).await;
    assert!(
        body["type"].as_str().unwrap().ends_with("uri-too-long"),
        "{body}"
    );
    // Unauthenticated too: the limit holds before any route.
    assert_problem(app.get(&long).await, 414).await;
    // A long but acceptable URL is served.
    let fine = format!("/api/v1/leads?q={}", "a".repeat(150));
    assert_eq!(app.get_as(&admin.access, &fine).await.status(), 200);
    app.stop().await;
});

backend_tests!(a_malformed_if_match_never_matches, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("IfMatch").await;
    let patch = |id: String, if_match: &'static str| {
        let app = &app;
        let token = admin.access.clone();
        async move {
            app.client
                .patch(app.url(&format!("/api/v1/leads/{id}")))
                .bearer_auth(token)
                .header("if-match", if_match)
                .json(&json!({"name": "Renamed"}))
                .send()
                .await
                .unwrap()
        }
    };
    // Existence first: a missing lead is 404 whatever the validator.
    for bad in ["\"abc\"", "garbage", "\"1\""] {
        assert_problem(patch(Uuid::now_v7().to_string(), bad).await, 404).await;
    }
    let res = app
        .send_as(
            Method::POST,
            &admin.access,
            "/api/v1/leads",
            Some(&json!({"name": "Lead"})),
        )
        .await;
    assert_eq!(res.status(), 201);
    let lead: Json = res.json().await.unwrap();
    let id = lead["id"].as_str().unwrap().to_string();
    for bad in ["\"abc\"", "garbage", "W/\"x\""] {
        assert_problem(patch(id.clone(), bad).await, 412).await;
    }
    // The well-formed forms work as before.
    assert_eq!(patch(id.clone(), "\"1\"").await.status(), 200);
    assert_eq!(patch(id.clone(), "W/\"2\"").await.status(), 200);
    assert_eq!(patch(id.clone(), "*").await.status(), 200);
    assert_problem(patch(id, "\"1\"").await, 412).await;
    app.stop().await;
});
