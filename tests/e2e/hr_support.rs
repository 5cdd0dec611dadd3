//! What the HR tests share: short request helpers and the records most scenarios start from.

use crate::concurrency::json_of;
use crate::helpers::*;
use crate::identity_support::create_as;
use reqwest::Method;
use serde_json::{Value, json};

pub fn id(v: &Value) -> String {
    v["id"].as_str().expect("an id").to_string()
}

pub fn version(v: &Value) -> i64 {
    v["version"].as_i64().expect("a version")
}

/// The ids of a page, in order.
pub fn page_ids(v: &Value) -> Vec<String> {
    v["data"]
        .as_array()
        .expect("a page")
        .iter()
        .map(id)
        .collect()
}

pub async fn post(app: &TestApp, t: &str, path: &str, body: Value) -> reqwest::Response {
    app.send_as(Method::POST, t, path, Some(&body)).await
}

pub async fn patch(app: &TestApp, t: &str, path: &str, body: Value) -> reqwest::Response {
    app.send_as(Method::PATCH, t, path, Some(&body)).await
}

pub async fn delete(app: &TestApp, t: &str, path: &str) -> reqwest::Response {
    app.send_as(Method::DELETE, t, path, None).await
}

/// `method path` with `If-Match: "<version>"`.
pub async fn send_if(
    app: &TestApp,
    t: &str,
    method: Method,
    path: &str,
    version: i64,
    body: Option<Value>,
) -> reqwest::Response {
    let mut req = reqwest::Client::new()
        .request(method, app.url(path))
        .bearer_auth(t)
        .header("if-match", format!("\"{version}\""));
    if let Some(b) = body {
        req = req.json(&b);
    }
    req.send().await.expect("request sent")
}

pub async fn get(app: &TestApp, t: &str, path: &str) -> Value {
    json_of(app.get_as(t, path).await, 200).await
}

/// A problem of `status` whose `type` ends in `/<code>`.
pub async fn problem(res: reqwest::Response, status: u16, code: &str) -> Value {
    let p = assert_problem(res, status).await;
    let ty = p["type"].as_str().unwrap_or_default();
    assert!(ty.ends_with(&format!("/{code}")), "{code} expected: {p}");
    p
}

/// A `422` naming `field` among its errors.
pub async fn refused(res: reqwest::Response, field: &str) -> Value {
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

/// An employee hired on `hire_date`, with `extra` fields (`user_id`, `manager_id`, …).
pub async fn employee(app: &TestApp, t: &str, first: &str, hire_date: &str, extra: Value) -> Value {
    let mut body = json!({"first_name": first, "last_name": "Tester", "hire_date": hire_date});
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    create_as(app, t, "/api/v1/employees", body).await
}
