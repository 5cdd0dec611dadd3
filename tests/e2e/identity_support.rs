//! Small helpers shared by the identity scenarios (kept out of `helpers.rs`, which other
//! modules own).

#![allow(dead_code)]

use crate::helpers::*;
use crate::mailbox;
use reqwest::Method;
use sea_orm::{ConnectionTrait, Database, DbBackend, Statement, Value};
use serde_json::{Value as Json, json};
use std::time::Duration;
use uuid::Uuid;

pub const PASSWORD: &str = "correct horse battery";

/// A fresh, lower-case address no other test uses.
pub fn fresh_email(tag: &str) -> String {
    format!("{tag}-{}@example.com", Uuid::now_v7().simple())
}

/// `POST /auth/register` for `email` with `password`.
pub async fn register(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    app.post_json(
        "/api/v1/auth/register",
        &json!({"name": "Reg Istrant", "email": email, "password": password, "organization_name": "Reg Org"}),
    )
    .await
}

/// Registers `email` (expecting `201`) and returns the code mailed to it.
pub async fn register_and_code(app: &TestApp, email: &str) -> String {
    let res = register(app, email, PASSWORD).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    mailbox::wait_for_code(&app.mail_dir(), email, 0).await
}

/// Every mail file addressed to `to`, oldest first.
pub fn mails_to(app: &TestApp, to: &str) -> Vec<String> {
    mailbox::files(&app.mail_dir())
        .into_iter()
        .filter(|m| {
            m.to_lowercase()
                .contains(&format!("to: {}", to.to_lowercase()))
                || m.contains(&format!("<{to}>"))
        })
        .collect()
}

pub async fn verify(app: &TestApp, email: &str, code: &str) -> reqwest::Response {
    app.post_json(
        "/api/v1/auth/verify-email",
        &json!({"email": email, "code": code}),
    )
    .await
}

pub async fn login_res(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    app.post_json(
        "/api/v1/auth/login",
        &json!({"email": email, "password": password}),
    )
    .await
}

pub async fn refresh_res(app: &TestApp, refresh_token: &str) -> reqwest::Response {
    app.post_json(
        "/api/v1/auth/refresh",
        &json!({"refresh_token": refresh_token}),
    )
    .await
}

/// Asserts `res` has `status` and returns its JSON body.
pub async fn expect_json(res: reqwest::Response, status: u16) -> Json {
    let got = res.status().as_u16();
    let text = res.text().await.unwrap();
    assert_eq!(got, status, "unexpected status; body: {text}");
    serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
}

/// The problem's `type` ends with `suffix`.
pub fn assert_type(problem: &Json, suffix: &str) {
    let t = problem["type"].as_str().unwrap_or_default();
    assert!(
        t.ends_with(suffix),
        "type {t:?} should end in {suffix:?}: {problem}"
    );
}

/// Whether a `422` problem names `field` in its `errors`.
pub fn has_field_error(problem: &Json, field: &str) -> bool {
    problem["errors"]
        .as_array()
        .is_some_and(|e| e.iter().any(|x| x["field"] == field))
}

/// `POST path` as `token` with `body`, expecting `201`; the created resource.
pub async fn create_as(app: &TestApp, token: &str, path: &str, body: Json) -> Json {
    let res = app.send_as(Method::POST, token, path, Some(&body)).await;
    expect_json(res, 201).await
}

/// The id of the role called `name`, as seen by `token`.
pub async fn role_id(app: &TestApp, token: &str, name: &str) -> String {
    let list = expect_json(app.get_as(token, "/api/v1/roles?limit=200").await, 200).await;
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("no role {name}"))["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The caller's effective permission codes.
pub async fn my_permissions(app: &TestApp, token: &str) -> Vec<String> {
    let me = expect_json(app.get_as(token, "/api/v1/auth/me").await, 200).await;
    me["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_string())
        .collect()
}

/// Waits until `n` mails reached `to`; returns the code of the newest.
pub async fn wait_for_nth_code(app: &TestApp, to: &str, n: usize) -> String {
    mailbox::wait_for_code(&app.mail_dir(), to, n - 1).await
}

/// Asserts that no further mail reaches `to` within `secs` (more than an outbox poll).
pub async fn assert_no_new_mail(app: &TestApp, to: &str, already: usize, secs: u64) {
    tokio::time::sleep(Duration::from_secs(secs)).await;
    assert_eq!(
        mails_to(app, to).len(),
        already,
        "an unexpected mail reached {to}"
    );
}

fn backend_of(app: &TestApp) -> DbBackend {
    match app.db.backend {
        Backend::Sqlite => DbBackend::Sqlite,
        Backend::Postgres => DbBackend::Postgres,
        Backend::Mysql => DbBackend::MySql,
    }
}

/// `sql` written with `?` placeholders, renumbered `$1, $2, …` on PostgreSQL.
fn placeholders(app: &TestApp, sql: &str) -> String {
    if app.db.backend != Backend::Postgres {
        return sql.to_string();
    }
    let mut out = String::new();
    let mut n = 0;
    for ch in sql.chars() {
        if ch == '?' {
            n += 1;
            out.push_str(&format!("${n}"));
        } else {
            out.push(ch);
        }
    }
    out
}

/// Runs one statement directly on the test's database; the number of rows it changed.
pub async fn db_exec(app: &TestApp, sql: &str, values: Vec<Value>) -> u64 {
    let conn = Database::connect(&app.db.url).await.unwrap();
    let stmt = Statement::from_sql_and_values(backend_of(app), placeholders(app, sql), values);
    let res = conn.execute_raw(stmt).await.unwrap();
    conn.close().await.ok();
    res.rows_affected()
}

/// The first column of the first row of a query, as a string.
pub async fn db_string(app: &TestApp, sql: &str, values: Vec<Value>) -> Option<String> {
    let conn = Database::connect(&app.db.url).await.unwrap();
    let stmt = Statement::from_sql_and_values(backend_of(app), placeholders(app, sql), values);
    let row = conn.query_one_raw(stmt).await.unwrap();
    conn.close().await.ok();
    row.and_then(|r| r.try_get_by_index::<Option<String>>(0).unwrap())
}

/// Moves every code mailed to `email` two minutes into the past, so the resend cooldown
/// (60 s) is over without waiting for it. Their expiry is left as it was.
pub async fn age_codes(app: &TestApp, email: &str) {
    let past = chrono::Utc::now() - chrono::Duration::minutes(2);
    let n = db_exec(
        app,
        "UPDATE verification_codes SET created_at = ? WHERE email = ?",
        vec![past.into(), email.into()],
    )
    .await;
    assert!(n > 0, "no code rows for {email}");
}

/// `429` problem+json of type `rate-limited` whose `Retry-After` is 1..=`max_secs` seconds,
/// which it returns.
pub async fn assert_rate_limited(res: reqwest::Response, max_secs: u64) -> u64 {
    let secs: u64 = res
        .headers()
        .get("retry-after")
        .expect("429 carries Retry-After")
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=max_secs).contains(&secs), "Retry-After {secs}");
    let p = assert_problem(res, 429).await;
    assert_type(&p, "rate-limited");
    secs
}
