//! `CRM__DATABASE__READ_URL`: a `GET` reads its lists from the replica; authentication,
//! single records and every write stay on the primary. A second migrated database stands in
//! for the replica: it holds none of the primary's rows, so what a read returns tells where
//! it was read.

use crate::backend_tests;
use crate::helpers::*;
use crate::identity_support::{create_as, expect_json};
use reqwest::Method;
use serde_json::json;

backend_tests!(lists_are_read_from_the_replica, |b| async move {
    let replica = TestDb::migrated(b).await;
    let app = spawn_app_with(b, &[("CRM__DATABASE__READ_URL", replica.url.as_str())]).await;
    // Sign-up, verification and sign-in: the primary (the replica has no such user).
    let admin = app.register_admin("Replica").await;
    let t = admin.access.as_str();
    let lead = create_as(
        &app,
        t,
        "/api/v1/leads",
        json!({"name": "Primary Only", "email": "primary@replica.example"}),
    )
    .await;
    let id = lead["id"].as_str().unwrap();
    // One record, and a write with its own reads: the primary.
    expect_json(app.get_as(t, &format!("/api/v1/leads/{id}")).await, 200).await;
    let res = app
        .send_as(
            Method::PATCH,
            t,
            &format!("/api/v1/leads/{id}"),
            Some(&json!({"name": "Still Primary"})),
        )
        .await;
    expect_json(res, 200).await;
    // Lists, with their counts, of any module: the replica, which has none of it yet.
    create_as(
        &app,
        t,
        "/api/v1/clients",
        json!({"name": "Primary Client"}),
    )
    .await;
    for path in ["/api/v1/leads?count=true", "/api/v1/clients?count=true"] {
        let page = expect_json(app.get_as(t, path).await, 200).await;
        assert_eq!(page["data"], json!([]), "{path}: {page}");
        assert_eq!(page["total"], 0, "{path}");
    }
    // The same database without a replica lists what is there.
    let plain = {
        let db = app.db.shared();
        let settings = test_settings(&db.url, db.dir(), &[]);
        start_on(db, settings).await
    };
    let page = expect_json(plain.get_as(t, "/api/v1/leads?count=true").await, 200).await;
    assert_eq!(page["total"], 1, "{page}");
    assert_eq!(page["data"][0]["name"], "Still Primary");
    plain.stop().await;
    app.stop().await;
    replica.drop_db().await;
});

// A replica that cannot be reached, from the start: the server starts and serves everything
// but lists, which answer 503 (the workers open their share of the replica lazily).
// PostgreSQL and MariaDB only: SQLite has one shared pool, opened at start.
backend_tests!(
    a_replica_down_at_start_fails_only_the_lists,
    |b| async move {
        let down = match b {
            Backend::Sqlite => return,
            Backend::Postgres => "postgres://postgres@127.0.0.1:1/replica",
            Backend::Mysql => "mysql://root@127.0.0.1:1/replica",
        };
        let app = spawn_app_with(b, &[("CRM__DATABASE__READ_URL", down)]).await;
        let admin = app.register_admin("Replica Down").await;
        let t = admin.access.as_str();
        let lead = create_as(
            &app,
            t,
            "/api/v1/leads",
            json!({"name": "Written", "email": "written@replica.example"}),
        )
        .await;
        let id = lead["id"].as_str().unwrap();
        expect_json(app.get_as(t, &format!("/api/v1/leads/{id}")).await, 200).await;
        assert_eq!(app.get_as(t, "/api/v1/leads").await.status(), 503);
        assert_eq!(app.get("/health/ready").await.status(), 200);
        app.stop().await;
    }
);
