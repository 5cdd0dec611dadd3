//! The chassis: health, readiness, problem+json for framework errors, request ids, CORS,
//! OpenAPI and the docs page.

use crate::backend_tests;
use crate::helpers::*;
use crate::proxy::Proxy;
use serde_json::Value;
use std::time::{Duration, Instant};

backend_tests!(health_and_readiness, |b| async move {
    let app = spawn_app(b).await;
    let res = app.get("/health/live").await;
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    let res = app.get("/health/ready").await;
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["database"], "up");
    app.stop().await;
});

backend_tests!(framework_errors_are_problems, |b| async move {
    let app = spawn_app(b).await;
    let body = assert_problem(app.get("/no/such/route").await, 404).await;
    assert!(body["type"].as_str().unwrap().ends_with("not-found"));
    let body = assert_problem(app.get("/api/v1/nothing-here").await, 404).await;
    assert!(body["type"].as_str().unwrap().ends_with("not-found"));
    let res = app
        .client
        .post(app.url("/health/live"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers().get("allow").map(|v| v.to_str().unwrap()),
        Some("GET")
    );
    let body = assert_problem(res, 405).await;
    assert!(
        body["type"]
            .as_str()
            .unwrap()
            .ends_with("method-not-allowed")
    );
    // Missing and bad tokens.
    let body = assert_problem(app.get("/api/v1/activities").await, 401).await;
    assert!(body["type"].as_str().unwrap().ends_with("unauthorized"));
    let res = app
        .client
        .get(app.url("/api/v1/activities"))
        .bearer_auth("not.a.jwt")
        .send()
        .await
        .unwrap();
    assert_problem(res, 401).await;
    app.stop().await;
});

backend_tests!(request_ids, |b| async move {
    let app = spawn_app(b).await;
    let res = app
        .client
        .get(app.url("/health/live"))
        .header("x-request-id", "abc-123.X")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "abc-123.X");
    let res = app.get("/health/live").await;
    let generated = res.headers()["x-request-id"].to_str().unwrap().to_string();
    assert_eq!(
        uuid::Uuid::parse_str(&generated).unwrap().get_version_num(),
        7
    );
    // A header that could forge log lines is replaced, not echoed.
    let res = app
        .client
        .get(app.url("/health/live"))
        .header("x-request-id", "bad id{}")
        .send()
        .await
        .unwrap();
    assert_ne!(res.headers()["x-request-id"], "bad id{}");
    // Errors carry it too.
    let res = app.get("/nope").await;
    assert!(res.headers().contains_key("x-request-id"));
    app.stop().await;
});

backend_tests!(cors_preflight, |b| async move {
    let app = spawn_app_with(
        b,
        &[("CRM__SERVER__CORS_ORIGINS", "https://app.example.com")],
    )
    .await;
    let res = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/api/v1/activities"))
        .header("origin", "https://app.example.com")
        .header("access-control-request-method", "GET")
        .header("access-control-request-headers", "authorization")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["access-control-allow-origin"],
        "https://app.example.com"
    );
    let methods = res.headers()["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(methods.contains("PATCH"), "{methods}");
    let res = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/api/v1/activities"))
        .header("origin", "https://evil.example.com")
        .header("access-control-request-method", "GET")
        .send()
        .await
        .unwrap();
    assert!(!res.headers().contains_key("access-control-allow-origin"));
    // Simple requests from the allowed origin see the exposed headers.
    let res = app
        .client
        .get(app.url("/health/live"))
        .header("origin", "https://app.example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers()["access-control-allow-origin"],
        "https://app.example.com"
    );
    app.stop().await;
});

backend_tests!(openapi_and_docs, |b| async move {
    let app = spawn_app(b).await;
    let res = app.get("/api/v1/openapi.json").await;
    assert_eq!(res.status(), 200);
    let doc: serde_json::Value = res.json().await.unwrap();
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    let paths = doc["paths"].as_object().unwrap();
    for p in ["/health/live", "/health/ready", "/api/v1/activities"] {
        assert!(
            paths.contains_key(p),
            "{p} missing from the OpenAPI document"
        );
    }
    // Every operation documents its errors.
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            assert!(responses.contains_key("500"), "{method} {path} lacks 500");
            assert!(responses.contains_key("503"), "{method} {path} lacks 503");
        }
    }
    assert!(doc["components"]["schemas"]["Problem"].is_object());
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());

    let res = app.get("/docs").await;
    assert_eq!(res.status(), 308);
    assert_eq!(res.headers()["location"], "/docs/");
    let res = app.get("/docs/").await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = res.text().await.unwrap();
    assert!(html.to_lowercase().contains("swagger"), "{html}");
    // The assets come from the binary, not a CDN.
    assert!(!html.contains("cdn.") && !html.contains("unpkg"), "{html}");
    let res = app.get("/docs/swagger-ui-bundle.js").await;
    assert_eq!(res.status(), 200);
    assert!(res.bytes().await.unwrap().len() > 100_000);
    let res = app.get("/docs/swagger-initializer.js").await;
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("/api/v1/openapi.json"));
    app.stop().await;
});

/// The schema `node` names: a `$ref` to `components.schemas` resolved (repeatedly).
fn resolve<'a>(doc: &'a Value, mut node: &'a Value) -> &'a Value {
    for _ in 0..8 {
        let Some(r) = node.get("$ref").and_then(Value::as_str) else {
            break;
        };
        let mut target = doc;
        for part in r.trim_start_matches("#/").split('/') {
            target = &target[part];
        }
        assert!(!target.is_null(), "dangling $ref {r}");
        node = target;
    }
    node
}

/// The example a media type carries: its own `example` / `examples`, else its schema's.
fn example_of<'a>(doc: &'a Value, media: &'a Value) -> Option<&'a Value> {
    let own = |node: &'a Value| {
        node.get("example").or_else(|| {
            match node.get("examples") {
                // Schema `examples` is an array; media-type `examples` a map of Example objects.
                Some(Value::Array(a)) => a.first(),
                Some(Value::Object(m)) => m.values().next().map(|e| {
                    let e = resolve(doc, e);
                    e.get("value").unwrap_or(e)
                }),
                _ => None,
            }
        })
    };
    own(media).or_else(|| own(resolve(doc, media.get("schema")?)))
}

/// An example must match its schema's shape: every object carries the required fields and,
/// when closed, no others (nested objects, arrays and nullable `oneOf`s included); a list
/// example shows at least one item and its `next_cursor`.
fn example_fits(doc: &Value, schema: &Value, example: &Value, at: &str) -> Result<(), String> {
    let schema = resolve(doc, schema);
    if example.is_null() {
        return Ok(());
    }
    if let Some(alts) = schema.get("oneOf").and_then(Value::as_array) {
        // `Option<T>` is `oneOf: [T, null]`: the example must fit one alternative.
        let fits = alts
            .iter()
            .any(|alt| example_fits(doc, alt, example, at).is_ok());
        return if fits {
            Ok(())
        } else {
            Err(format!("{at}: {example} fits no alternative"))
        };
    }
    if let Some(items) = schema.get("items") {
        let Some(arr) = example.as_array() else {
            return Err(format!("{at}: expected an array, got {example}"));
        };
        for (i, e) in arr.iter().enumerate() {
            example_fits(doc, items, e, &format!("{at}[{i}]"))?;
        }
        return Ok(());
    }
    let Some(props) = schema.get("properties").and_then(Value::as_object) else {
        return Ok(());
    };
    let Some(obj) = example.as_object() else {
        return Err(format!("{at}: expected an object, got {example}"));
    };
    for r in schema["required"].as_array().into_iter().flatten() {
        let r = r.as_str().unwrap_or_default();
        if !obj.contains_key(r) {
            return Err(format!("{at}: lacks required `{r}`"));
        }
    }
    let open = schema
        .get("additionalProperties")
        .is_some_and(|a| a != &Value::Bool(false));
    for (k, v) in obj {
        match props.get(k) {
            Some(p) => example_fits(doc, p, v, &format!("{at}.{k}"))?,
            None if open => {}
            None => return Err(format!("{at}: has `{k}`, not in the schema")),
        }
    }
    if props.contains_key("data") && props.contains_key("next_cursor") {
        let ok = obj["data"]
            .as_array()
            .is_some_and(|d| !d.is_empty() && d.iter().all(|i| !i.is_null()))
            && obj.contains_key("next_cursor");
        if !ok {
            return Err(format!(
                "{at}: a list example needs `data: [item, ...]` and `next_cursor`"
            ));
        }
    }
    Ok(())
}

fn is_json(media_type: &str) -> bool {
    media_type == "application/json" || media_type.ends_with("+json")
}

// Every operation shows what to send and what comes back: a request body, and each 2xx
// response with a JSON body, carries an example on its media type or on its schema.
backend_tests!(openapi_examples_everywhere, |b| async move {
    let app = spawn_app(b).await;
    let res = app.get("/api/v1/openapi.json").await;
    assert_eq!(res.status(), 200);
    let doc: Value = res.json().await.unwrap();
    let mut missing = Vec::new();
    let mut checked = 0;
    let mut check = |what: String, media: &Value| {
        checked += 1;
        match example_of(&doc, media) {
            None => missing.push(format!("{what}: no example")),
            Some(e) => {
                if let Err(why) = example_fits(&doc, &media["schema"], e, "example") {
                    missing.push(format!("{what}: {why}"));
                }
            }
        }
    };
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if ![
                "get", "put", "post", "delete", "patch", "head", "options", "trace",
            ]
            .contains(&method.as_str())
            {
                continue;
            }
            let name = format!("{} {path}", method.to_uppercase());
            if let Some(body) = op.get("requestBody") {
                let body = resolve(&doc, body);
                let content = body["content"].as_object();
                assert!(
                    content.is_some_and(|c| !c.is_empty()),
                    "{name}: request body without content"
                );
                for (mt, media) in content.into_iter().flatten() {
                    check(format!("{name} request body ({mt})"), media);
                }
            }
            for (status, res) in op["responses"].as_object().unwrap() {
                if !status.starts_with('2') {
                    continue;
                }
                let res = resolve(&doc, res);
                // No content: 204, 202 and the like have no body to show.
                for (mt, media) in res["content"].as_object().into_iter().flatten() {
                    if is_json(mt) {
                        check(format!("{name} {status} response ({mt})"), media);
                    }
                }
            }
        }
    }
    assert!(
        checked > 60,
        "only {checked} bodies found; is the document complete?"
    );
    assert!(
        missing.is_empty(),
        "{} of {checked} bodies lack a fitting example:\n{}",
        missing.len(),
        missing.join("\n")
    );
    app.stop().await;
});

/// The database goes away while the server runs: readiness and requests answer 503 quickly,
/// and both recover by themselves when it returns. SQLite is a file and cannot go away.
async fn database_outage(b: Backend) {
    if b == Backend::Sqlite {
        return;
    }
    let db = TestDb::create(b).await;
    let u = url::Url::parse(&db.url).unwrap();
    let target = format!(
        "{}:{}",
        u.host_str().unwrap(),
        u.port()
            .unwrap_or(if b == Backend::Postgres { 5432 } else { 3306 })
    );
    let proxy = Proxy::start(target).await;
    let mut via = u.clone();
    via.set_host(Some("127.0.0.1")).unwrap();
    via.set_port(Some(proxy.port)).unwrap();
    let settings = test_settings(
        via.as_str(),
        db.dir(),
        &[
            ("CRM__DATABASE__CONNECT_TIMEOUT_SECS", "1"),
            ("CRM__DATABASE__ACQUIRE_TIMEOUT_SECS", "1"),
        ],
    );
    let app = start_on(db, settings).await;
    assert_eq!(app.get("/health/ready").await.status(), 200);
    let keys = crm_api::auth::JwtKeys::new(&app.settings.auth.jwt_secret, "crm", "crm-api", 900);
    let (token, _) = keys
        .issue_token(
            crm_domain::UserId::new(),
            crm_domain::OrganizationId::new(),
            None,
            chrono::Utc::now(),
        )
        .unwrap();

    proxy.disable().await;
    let started = Instant::now();
    let body = assert_problem(app.get("/health/ready").await, 503).await;
    assert!(
        body["type"]
            .as_str()
            .unwrap()
            .ends_with("service-unavailable")
    );
    let res = app
        .client
        .get(app.url("/api/v1/activities"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap()),
        Some("5")
    );
    assert_problem(res, 503).await;
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "503s took {:?}",
        started.elapsed()
    );
    // Liveness does not depend on the database.
    assert_eq!(app.get("/health/live").await.status(), 200);

    proxy.enable();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if app.get("/health/ready").await.status() == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "readiness did not recover");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The token's user does not exist: 401 proves the request reached the database again.
    let res = app
        .client
        .get(app.url("/api/v1/activities"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_problem(res, 401).await;
    app.stop().await;
}

backend_tests!(readiness_while_database_unreachable, database_outage);

backend_tests!(json_body_errors, |b| async move {
    let app = spawn_app_with(b, &[("CRM__SERVER__MAX_BODY_BYTES", "2048")]).await;
    let url = app.url("/api/v1/auth/login");
    // Malformed JSON.
    let res = app
        .client
        .post(&url)
        .header("content-type", "application/json")
        .body("{\"email\": ")
        .send()
        .await
        .unwrap();
    let body = assert_problem(res, 400).await;
    assert!(
        body["type"].as_str().unwrap().ends_with("malformed-json"),
        "{body}"
    );
    // Wrong media type.
    let res = app
        .client
        .post(&url)
        .header("content-type", "text/plain")
        .body("email=a")
        .send()
        .await
        .unwrap();
    assert_problem(res, 415).await;
    // Too large.
    let big = serde_json::json!({"email": "a@b.io", "password": "x".repeat(4096)});
    let res = app.client.post(&url).json(&big).send().await.unwrap();
    assert_problem(res, 413).await;
    // Well-formed but missing a field, and a field clients may not send: one entry per field.
    let res = app
        .client
        .post(&url)
        .json(&serde_json::json!({"email": "a@b.io"}))
        .send()
        .await
        .unwrap();
    let body = assert_problem(res, 422).await;
    assert_eq!(body["errors"][0]["field"], "password", "{body}");
    assert_eq!(body["errors"][0]["code"], "required", "{body}");
    let res = app
        .client
        .post(&url)
        .json(&serde_json::json!({"email": "a@b.io", "password": "whatever1", "id": "x"}))
        .send()
        .await
        .unwrap();
    let body = assert_problem(res, 422).await;
    assert_eq!(body["errors"][0]["field"], "id", "{body}");
    // A wrong type is a validation error too.
    let res = app
        .client
        .post(&url)
        .json(&serde_json::json!({"email": 5, "password": "x"}))
        .send()
        .await
        .unwrap();
    assert_problem(res, 422).await;
    app.stop().await;
});

backend_tests!(list_query_errors, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Lists").await;
    for bad in [
        "limit=0",
        "limit=201",
        "limit=abc",
        "sort=password_hash",
        "stauts=active",
        "cursor=nonsense",
        "created_at_from=yesterday",
    ] {
        let res = app
            .get_as(&admin.access, &format!("/api/v1/users?{bad}"))
            .await;
        let body = assert_problem(res, 422).await;
        assert!(
            !body["errors"].as_array().unwrap().is_empty(),
            "{bad}: {body}"
        );
    }
    let res = app
        .get_as(&admin.access, "/api/v1/users?limit=200&count=true")
        .await;
    assert_eq!(res.status(), 200);
    let page: serde_json::Value = res.json().await.unwrap();
    assert_eq!(page["total"], 1);
    assert!(page["next_cursor"].is_null());
    // An id that is not a UUID names nothing.
    let res = app.get_as(&admin.access, "/api/v1/users/not-a-uuid").await;
    assert_problem(res, 404).await;
    app.stop().await;
});
