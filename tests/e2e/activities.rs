//! The audit log: written with every change, readable per organization, filterable, paginated.

use crate::backend_tests;
use crate::helpers::*;
use serde_json::{Value, json};
use std::collections::HashSet;

backend_tests!(audit_entries_follow_writes, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Audit").await;
    // A change with a diff: rename the organization.
    let res = app
        .send_as(
            reqwest::Method::PATCH,
            &admin.access,
            "/api/v1/organization",
            Some(&json!({"name": "Audit Renamed"})),
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = app
        .get_as(
            &admin.access,
            &format!(
                "/api/v1/activities?entity_type=organization&entity_id={}",
                admin.organization_id
            ),
        )
        .await;
    assert_eq!(res.status(), 200);
    let page: Value = res.json().await.unwrap();
    let entries = page["data"].as_array().unwrap();
    let updated = entries
        .iter()
        .find(|e| e["action"] == "updated")
        .expect("an update entry");
    assert_eq!(updated["actor_id"], admin.user_id.as_str());
    let change = updated["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["field"] == "name")
        .unwrap();
    assert_eq!(change["before"], "Audit");
    assert_eq!(change["after"], "Audit Renamed");
    for e in entries {
        assert_eq!(e["organization_id"], admin.organization_id.as_str());
        assert_eq!(e["entity_type"], "organization");
    }
    // Secrets never enter the log.
    let all = app
        .get_as(&admin.access, "/api/v1/activities?limit=200")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !all.contains("$argon2"),
        "a password hash leaked into the audit log"
    );
    app.stop().await;
});

backend_tests!(audit_log_pages_and_isolation, |b| async move {
    let app = spawn_app(b).await;
    let a = app.register_admin("Alpha").await;
    let other = app.register_admin("Beta").await;
    for i in 0..7 {
        let res = app
            .send_as(
                reqwest::Method::POST,
                &a.access,
                "/api/v1/departments",
                Some(&json!({"name": format!("Dept {i}")})),
            )
            .await;
        assert_eq!(res.status(), 201);
    }
    // Newest first, 3 per page, every entry exactly once.
    let mut seen = HashSet::new();
    let mut last_created: Option<chrono::DateTime<chrono::FixedOffset>> = None;
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            None => "/api/v1/activities?entity_type=department&limit=3".to_string(),
            Some(c) => format!("/api/v1/activities?entity_type=department&limit=3&cursor={c}"),
        };
        let page: Value = app.get_as(&a.access, &path).await.json().await.unwrap();
        for e in page["data"].as_array().unwrap() {
            assert!(
                seen.insert(e["id"].as_str().unwrap().to_string()),
                "an entry came twice"
            );
            // As instants: RFC 3339 text does not sort when trailing zeros are left out.
            let created =
                chrono::DateTime::parse_from_rfc3339(e["created_at"].as_str().unwrap()).unwrap();
            if let Some(prev) = &last_created {
                assert!(created <= *prev, "not newest first");
            }
            last_created = Some(created);
        }
        pages += 1;
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 7);
    assert_eq!(pages, 3);
    let counted: Value = app
        .get_as(
            &a.access,
            "/api/v1/activities?entity_type=department&count=true",
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(counted["total"], 7);
    // The other organization sees none of them.
    let theirs: Value = app
        .get_as(&other.access, "/api/v1/activities?limit=200")
        .await
        .json()
        .await
        .unwrap();
    for e in theirs["data"].as_array().unwrap() {
        assert!(!seen.contains(e["id"].as_str().unwrap()));
        assert_eq!(e["organization_id"], other.organization_id.as_str());
    }
    // Reading the log needs activities:read.
    let plain = app.user_with_roles(&a, &[]).await;
    assert_problem(app.get_as(&plain.access, "/api/v1/activities").await, 403).await;
    app.stop().await;
});
