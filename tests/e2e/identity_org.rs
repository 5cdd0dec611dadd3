//! The organization profile, roles and the permission catalogue, departments and designations.

use crate::backend_tests;
use crate::helpers::*;
use crate::identity_support::*;
use reqwest::Method;
use serde_json::{Value, json};

async fn patch_with(
    app: &TestApp,
    token: &str,
    path: &str,
    if_match: Option<&str>,
    body: &Value,
) -> reqwest::Response {
    let mut r = app
        .client
        .patch(app.url(path))
        .bearer_auth(token)
        .json(body);
    if let Some(v) = if_match {
        r = r.header("if-match", v);
    }
    r.send().await.unwrap()
}

fn etag(res: &reqwest::Response) -> String {
    res.headers()
        .get("etag")
        .expect("an ETag header")
        .to_str()
        .unwrap()
        .to_string()
}

backend_tests!(organization_profile, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Profile").await;
    let res = app.get_as(&admin.access, "/api/v1/organization").await;
    assert_eq!(res.status(), 200);
    let tag = etag(&res);
    let org: Value = res.json().await.unwrap();
    let v = org["version"].as_i64().unwrap();
    assert_eq!(tag, format!("\"{v}\""));
    assert_eq!(org["id"], admin.organization_id.as_str());
    assert_eq!(org["name"], "Profile");

    // If-Match of the current version: 200, one version later.
    let res = patch_with(
        &app,
        &admin.access,
        "/api/v1/organization",
        Some(&tag),
        &json!({"legal_name": "Profile GmbH", "default_currency": "EUR", "website": "https://profile.example"}),
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(etag(&res), format!("\"{}\"", v + 1));
    let org: Value = res.json().await.unwrap();
    assert_eq!(org["version"], v + 1);
    assert_eq!(org["legal_name"], "Profile GmbH");
    assert_eq!(org["default_currency"], "EUR");
    let again = expect_json(app.get_as(&admin.access, "/api/v1/organization").await, 200).await;
    assert_eq!(again["legal_name"], "Profile GmbH");
    assert_eq!(again["version"], v + 1);

    // A stale If-Match: 412, nothing changes.
    let res = patch_with(
        &app,
        &admin.access,
        "/api/v1/organization",
        Some(&tag),
        &json!({"name": "Stale Write"}),
    )
    .await;
    assert_problem(res, 412).await;

    // Fields a client may not set, and a bad currency: 422.
    for body in [
        json!({"id": uuid::Uuid::now_v7()}),
        json!({"version": 99}),
        json!({"name": "x", "created_at": "2020-01-01T00:00:00Z"}),
    ] {
        let res = patch_with(&app, &admin.access, "/api/v1/organization", None, &body).await;
        assert_problem(res, 422).await;
    }
    for bad in ["EURO", "eu", "XXX1", ""] {
        let res = patch_with(
            &app,
            &admin.access,
            "/api/v1/organization",
            None,
            &json!({"default_currency": bad}),
        )
        .await;
        let p = assert_problem(res, 422).await;
        assert!(has_field_error(&p, "default_currency"), "{bad}: {p}");
    }
    let after = expect_json(app.get_as(&admin.access, "/api/v1/organization").await, 200).await;
    assert_eq!(after["name"], "Profile");
    assert_eq!(after["default_currency"], "EUR");
    assert_eq!(after["version"], v + 1);
    app.stop().await;
});

backend_tests!(roles_crud_and_catalogue, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("RoleCo").await;

    let perms = expect_json(app.get_as(&admin.access, "/api/v1/permissions").await, 200).await;
    let codes: Vec<&str> = perms["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            assert!(p["description"].is_string(), "{p}");
            p["code"].as_str().unwrap()
        })
        .collect();
    for c in [
        "leads:read",
        "leads:read:own",
        "users:write",
        "roles:delete",
    ] {
        assert!(codes.contains(&c), "catalogue lacks {c}");
    }

    // System roles are seeded.
    let list = expect_json(
        app.get_as(&admin.access, "/api/v1/roles?limit=200").await,
        200,
    )
    .await;
    for name in ["admin", "manager", "sales", "hr", "finance", "employee"] {
        let r = list["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .unwrap_or_else(|| panic!("no system role {name}"));
        assert_eq!(r["is_system"], true, "{name}");
    }

    let res = app
        .send_as(
            Method::POST,
            &admin.access,
            "/api/v1/roles",
            Some(&json!({"name": "auditor", "description": "reads the log", "permissions": ["activities:read"]})),
        )
        .await;
    assert_eq!(res.status(), 201);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    let role: Value = res.json().await.unwrap();
    let id = role["id"].as_str().unwrap().to_string();
    assert_eq!(location, format!("/api/v1/roles/{id}"));
    assert_eq!(role["is_system"], false);
    assert_eq!(role["version"], 1);

    let res = app
        .get_as(&admin.access, &format!("/api/v1/roles/{id}"))
        .await;
    assert_eq!(etag(&res), "\"1\"");
    let got: Value = res.json().await.unwrap();
    assert_eq!(got["name"], "auditor");

    let res = patch_with(
        &app,
        &admin.access,
        &format!("/api/v1/roles/{id}"),
        Some("\"1\""),
        &json!({"permissions": ["activities:read", "users:read"], "description": null}),
    )
    .await;
    let patched = expect_json(res, 200).await;
    assert_eq!(patched["version"], 2);
    let mut p: Vec<&str> = patched["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap())
        .collect();
    p.sort();
    assert_eq!(p, vec!["activities:read", "users:read"]);
    assert_eq!(patched["description"], Value::Null);

    // A code outside the catalogue, or a system role's name: refused.
    let res = app
        .send_as(
            Method::POST,
            &admin.access,
            "/api/v1/roles",
            Some(&json!({"name": "bogus", "permissions": ["leads:fly"]})),
        )
        .await;
    assert_problem(res, 422).await;
    let res = app
        .send_as(
            Method::POST,
            &admin.access,
            "/api/v1/roles",
            Some(&json!({"name": "auditor", "permissions": []})),
        )
        .await;
    assert_problem(res, 409).await;

    let res = app
        .send_as(
            Method::DELETE,
            &admin.access,
            &format!("/api/v1/roles/{id}"),
            None,
        )
        .await;
    assert_eq!(res.status(), 204);
    assert_problem(
        app.get_as(&admin.access, &format!("/api/v1/roles/{id}"))
            .await,
        404,
    )
    .await;

    // System roles cannot be deleted.
    let admin_role = role_id(&app, &admin.access, "admin").await;
    let res = app
        .send_as(
            Method::DELETE,
            &admin.access,
            &format!("/api/v1/roles/{admin_role}"),
            None,
        )
        .await;
    assert_problem(res, 409).await;
    expect_json(
        app.get_as(&admin.access, &format!("/api/v1/roles/{admin_role}"))
            .await,
        200,
    )
    .await;
    app.stop().await;
});

backend_tests!(departments_hierarchy_without_cycles, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Depts").await;
    let a = create_as(
        &app,
        &admin.access,
        "/api/v1/departments",
        json!({"name": "Engineering", "code": "ENG", "head_user_id": admin.user_id}),
    )
    .await;
    let a_id = a["id"].as_str().unwrap().to_string();
    assert_eq!(a["head_user_id"], admin.user_id.as_str());
    let bdep = create_as(
        &app,
        &admin.access,
        "/api/v1/departments",
        json!({"name": "Platform", "parent_id": a_id}),
    )
    .await;
    let b_id = bdep["id"].as_str().unwrap().to_string();
    assert_eq!(bdep["parent_id"], a_id.as_str());
    let c = create_as(
        &app,
        &admin.access,
        "/api/v1/departments",
        json!({"name": "Databases", "parent_id": b_id}),
    )
    .await;
    let c_id = c["id"].as_str().unwrap().to_string();

    // A under B (its own child), A under C (its grandchild), A under itself: 422.
    for parent in [&b_id, &c_id, &a_id] {
        let res = patch_with(
            &app,
            &admin.access,
            &format!("/api/v1/departments/{a_id}"),
            None,
            &json!({"parent_id": parent}),
        )
        .await;
        let p = assert_problem(res, 422).await;
        assert!(has_field_error(&p, "parent_id"), "{p}");
    }
    let got = expect_json(
        app.get_as(&admin.access, &format!("/api/v1/departments/{a_id}"))
            .await,
        200,
    )
    .await;
    assert_eq!(got["parent_id"], Value::Null);
    assert_eq!(got["version"], 1);

    // A legal move: C directly under A.
    let res = patch_with(
        &app,
        &admin.access,
        &format!("/api/v1/departments/{c_id}"),
        Some("\"1\""),
        &json!({"parent_id": a_id, "name": "Data"}),
    )
    .await;
    let moved = expect_json(res, 200).await;
    assert_eq!(moved["parent_id"], a_id.as_str());
    assert_eq!(moved["version"], 2);

    let children = expect_json(
        app.get_as(
            &admin.access,
            &format!("/api/v1/departments?parent_id={a_id}"),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(children["data"].as_array().unwrap().len(), 2);

    let res = app
        .send_as(
            Method::DELETE,
            &admin.access,
            &format!("/api/v1/departments/{c_id}"),
            None,
        )
        .await;
    assert_eq!(res.status(), 204);
    assert_problem(
        app.get_as(&admin.access, &format!("/api/v1/departments/{c_id}"))
            .await,
        404,
    )
    .await;
    app.stop().await;
});

backend_tests!(designations_crud, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Titles").await;
    let dept = create_as(
        &app,
        &admin.access,
        "/api/v1/departments",
        json!({"name": "Sales"}),
    )
    .await;
    let dept_id = dept["id"].as_str().unwrap().to_string();
    let res = app
        .send_as(
            Method::POST,
            &admin.access,
            "/api/v1/designations",
            Some(&json!({"title": "Account Executive", "department_id": dept_id, "level": 2})),
        )
        .await;
    assert_eq!(res.status(), 201);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    let d: Value = res.json().await.unwrap();
    let id = d["id"].as_str().unwrap().to_string();
    assert_eq!(location, format!("/api/v1/designations/{id}"));
    assert_eq!(d["level"], 2);
    assert_eq!(d["department_id"], dept_id.as_str());

    let res = app
        .get_as(&admin.access, &format!("/api/v1/designations/{id}"))
        .await;
    assert_eq!(etag(&res), "\"1\"");
    let got: Value = res.json().await.unwrap();
    assert_eq!(got["title"], "Account Executive");

    let res = patch_with(
        &app,
        &admin.access,
        &format!("/api/v1/designations/{id}"),
        Some("\"1\""),
        &json!({"title": "Senior Account Executive", "level": 3}),
    )
    .await;
    let patched = expect_json(res, 200).await;
    assert_eq!(patched["title"], "Senior Account Executive");
    assert_eq!(patched["level"], 3);
    assert_eq!(patched["version"], 2);
    let res = patch_with(
        &app,
        &admin.access,
        &format!("/api/v1/designations/{id}"),
        Some("\"1\""),
        &json!({"level": 4}),
    )
    .await;
    assert_problem(res, 412).await;

    // An unknown department is a validation error.
    let res = app
        .send_as(
            Method::POST,
            &admin.access,
            "/api/v1/designations",
            Some(&json!({"title": "Ghost", "department_id": uuid::Uuid::now_v7()})),
        )
        .await;
    let p = assert_problem(res, 422).await;
    assert!(has_field_error(&p, "department_id"), "{p}");

    let list = expect_json(
        app.get_as(
            &admin.access,
            &format!("/api/v1/designations?department_id={dept_id}"),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);

    let res = app
        .send_as(
            Method::DELETE,
            &admin.access,
            &format!("/api/v1/designations/{id}"),
            None,
        )
        .await;
    assert_eq!(res.status(), 204);
    assert_problem(
        app.get_as(&admin.access, &format!("/api/v1/designations/{id}"))
            .await,
        404,
    )
    .await;
    app.stop().await;
});

backend_tests!(permission_check_precedes_body_validation, |b| async move {
    use sea_orm::{ConnectionTrait, Database, TransactionTrait};
    // A caller without `roles:write` posting an invalid body must get 403, never the 422
    // that would tell it how to build a valid one. The caller's permissions are read from
    // the database on each request; while that read is held up (the users table locked,
    // on PostgreSQL and MariaDB), the body is already there to be validated — the answer
    // must still wait for the permission check.
    let app = spawn_app(b).await;
    let admin = app.register_admin("Order").await;
    let nobody = app.user_with_roles(&admin, &[]).await;
    let conn = Database::connect(&app.db.url).await.unwrap();
    let tries = if b == Backend::Sqlite { 10 } else { 1 };
    for _ in 0..tries {
        let lock = match b {
            Backend::Sqlite => None,
            Backend::Postgres => {
                let tx = conn.begin().await.unwrap();
                tx.execute_unprepared("LOCK TABLE users IN ACCESS EXCLUSIVE MODE")
                    .await
                    .unwrap();
                Some(tx)
            }
            Backend::Mysql => {
                let tx = conn.begin().await.unwrap();
                tx.execute_unprepared("LOCK TABLES users WRITE")
                    .await
                    .unwrap();
                Some(tx)
            }
        };
        let client = app.client.clone();
        let url = app.url("/api/v1/roles");
        let token = nobody.access.clone();
        let req = tokio::spawn(async move {
            client
                .post(url)
                .bearer_auth(token)
                .json(&json!({}))
                .send()
                .await
                .unwrap()
        });
        if let Some(tx) = lock {
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            if b == Backend::Mysql {
                tx.execute_unprepared("UNLOCK TABLES").await.unwrap();
            }
            tx.rollback().await.unwrap();
        }
        let res = req.await.unwrap();
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        assert_eq!(status, 403, "POST /roles {{}} without roles:write: {text}");
    }
    conn.close().await.ok();
    app.stop().await;
});
