//! The `crm` binary itself: help, migrations, admin creation, start-up failures.

use crate::backend_tests;
use crate::helpers::*;
use std::process::{Command, Output};

fn crm(db_url: &str, args: &[&str], extra: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_crm"));
    c.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("CRM_ENV", "test")
        .env("CRM_CONFIG_DIR", "/nonexistent-config-dir")
        .env("CRM__DATABASE__URL", db_url)
        .env("CRM__DATABASE__STARTUP_TIMEOUT_SECS", "2")
        .env("RUST_LOG", "warn");
    for (k, v) in extra {
        c.env(k, v);
    }
    c.output().expect("run crm")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn help_explains_every_command() {
    let o = crm("sqlite::memory:", &["--help"], &[]);
    assert!(o.status.success());
    let t = text(&o);
    for word in ["serve", "migrate", "admin"] {
        assert!(t.contains(word), "{t}");
    }
    let t = text(&crm("sqlite::memory:", &["migrate", "--help"], &[]));
    for word in ["up", "down", "status", "fresh"] {
        assert!(t.contains(word), "{t}");
    }
}

backend_tests!(migrate_commands, |b| async move {
    let db = TestDb::create(b).await;
    let url = db.url.clone();
    tokio::task::spawn_blocking(move || {
        let o = crm(&url, &["migrate", "up"], &[]);
        assert!(o.status.success(), "{}", text(&o));
        let status = text(&crm(&url, &["migrate", "status"], &[]));
        assert!(
            status.contains("m20261122_000001_kernel") && !status.contains("Pending"),
            "{status}"
        );
        let o = crm(&url, &["migrate", "down", "--all"], &[]);
        assert!(o.status.success(), "{}", text(&o));
        let status = text(&crm(&url, &["migrate", "status"], &[]));
        assert!(
            status.contains("Pending") && !status.contains("Applied"),
            "{status}"
        );
        let o = crm(&url, &["migrate", "fresh"], &[]);
        assert!(o.status.success(), "{}", text(&o));
        let status = text(&crm(&url, &["migrate", "status"], &[]));
        assert!(!status.contains("Pending"), "{status}");
    })
    .await
    .unwrap();
    db.drop_db().await;
});

backend_tests!(admin_create_then_login, |b| async move {
    let db = TestDb::create(b).await;
    let url = db.url.clone();
    let o = tokio::task::spawn_blocking(move || {
        crm(
            &url,
            &[
                "admin",
                "create",
                "--email",
                "Boss@Example.com",
                "--password",
                "a long password",
                "--name",
                "The Boss",
                "--organization",
                "HQ",
            ],
            &[],
        )
    })
    .await
    .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    // A second time: refused, nothing changed.
    let url = db.url.clone();
    let again = tokio::task::spawn_blocking(move || {
        crm(
            &url,
            &[
                "admin",
                "create",
                "--email",
                "boss@example.com",
                "--password",
                "another password",
                "--name",
                "X",
            ],
            &[],
        )
    })
    .await
    .unwrap();
    assert!(!again.status.success());
    assert!(text(&again).contains("already exists"), "{}", text(&again));
    let settings = test_settings(&db.url, db.dir(), &[]);
    let app = start_on(db, settings).await;
    let s = app.login("boss@example.com", "a long password").await;
    let me: serde_json::Value = app
        .get_as(&s.access, "/api/v1/auth/me")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["status"], "active");
    assert!(
        me["roles"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["name"] == "admin")
    );
    let org: serde_json::Value = app
        .get_as(&s.access, "/api/v1/organization")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(org["name"], "HQ");
    app.stop().await;
});

backend_tests!(bootstrap_admin_from_settings, |b| async move {
    let extra = [
        ("CRM__BOOTSTRAP__ADMIN_EMAIL", "first@example.com"),
        ("CRM__BOOTSTRAP__ADMIN_PASSWORD", "bootstrap password"),
        ("CRM__BOOTSTRAP__ORGANIZATION", "Bootstrap Inc"),
    ];
    let app = spawn_app_with(b, &extra).await;
    let s = app.login("first@example.com", "bootstrap password").await;
    let me: serde_json::Value = app
        .get_as(&s.access, "/api/v1/auth/me")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        me["roles"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["name"] == "admin")
    );
    // Starting again on the same database creates nobody new.
    let settings = test_settings(&app.db.url, app.db.dir(), &extra);
    let second = crm_api::app::start(
        settings,
        Some(std::net::TcpListener::bind("127.0.0.1:0").unwrap()),
    )
    .await;
    assert!(second.is_ok());
    let users: serde_json::Value = app
        .get_as(&s.access, "/api/v1/users?count=true")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(users["total"], 1);
    app.stop().await;
});

#[test]
fn unreachable_database_is_named_and_exits_non_zero() {
    let started = std::time::Instant::now();
    let o = crm("postgres://crm:secret@127.0.0.1:1/crm", &["serve"], &[]);
    assert!(!o.status.success());
    let t = text(&o);
    assert!(t.contains("127.0.0.1:1"), "{t}");
    assert!(
        t.contains("connection refused") || t.contains("service running"),
        "{t}"
    );
    assert!(!t.contains("secret"), "the password leaked: {t}");
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
}

#[test]
fn production_refuses_to_start_without_a_strong_secret() {
    let o = crm("sqlite::memory:", &["serve"], &[("CRM_ENV", "production")]);
    assert_eq!(o.status.code(), Some(2));
    let t = text(&o);
    assert!(t.contains("CRM__AUTH__JWT_SECRET"), "{t}");
}
