//! Events (contract section 5): every audited change is an event with the record as the API
//! shows it, listed for 30 days, of a type `GET /event-types` names.

use crate::backend_tests;
use crate::helpers::*;
use crate::identity_support::{create_as, db_exec, expect_json};
use reqwest::Method;
use serde_json::{Value, json};

async fn events(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let page = expect_json(
        app.get_as(token, &format!("/api/v1/events?limit=200{query}"))
            .await,
        200,
    )
    .await;
    page["data"].as_array().unwrap().clone()
}

backend_tests!(changes_are_events_with_their_record, |b| async move {
    let app = spawn_app(b).await;
    let a = app.register_admin("Events A").await;
    let lead = create_as(
        &app,
        &a.access,
        "/api/v1/leads",
        json!({"name": "Ann Lee", "email": "ann@events.example"}),
    )
    .await;
    let id = lead["id"].as_str().unwrap().to_string();
    let patched = expect_json(
        app.send_as(
            Method::PATCH,
            &a.access,
            &format!("/api/v1/leads/{id}"),
            Some(&json!({"company": "Globex"})),
        )
        .await,
        200,
    )
    .await;
    let client = create_as(
        &app,
        &a.access,
        "/api/v1/clients",
        json!({"name": "Short-lived", "kind": "company"}),
    )
    .await;
    let client_id = client["id"].as_str().unwrap().to_string();
    let res = app
        .send_as(
            Method::DELETE,
            &a.access,
            &format!("/api/v1/clients/{client_id}"),
            None,
        )
        .await;
    assert_eq!(res.status().as_u16(), 204);

    let all = events(&app, &a.access, "").await;
    let types: Vec<&str> = all.iter().map(|e| e["type"].as_str().unwrap()).collect();
    // Newest first.
    assert_eq!(
        &types[..4],
        [
            "client.deleted",
            "client.created",
            "lead.updated",
            "lead.created"
        ],
        "{types:?}"
    );
    // Sign-up made the organization and its admin.
    assert!(types.contains(&"organization.created"), "{types:?}");
    assert!(types.contains(&"user.created"), "{types:?}");
    let e = &all[2];
    assert_eq!(e["record_type"], "lead");
    assert_eq!(e["record_id"], id.as_str());
    assert_eq!(e["organization_id"], a.organization_id.as_str());
    assert_eq!(e["actor_id"], a.user_id.as_str());
    // The record as the API showed it after the change; before it, for a deletion.
    assert_eq!(e["data"], patched);
    assert_eq!(all[3]["data"], lead);
    assert_eq!(all[0]["data"]["name"], "Short-lived");
    assert_eq!(all[0]["data"]["id"], client_id.as_str());
    for e in &all {
        for k in [
            "id",
            "type",
            "occurred_at",
            "organization_id",
            "record_type",
            "record_id",
            "data",
        ] {
            assert!(!e[k].is_null(), "{k} missing in {e}");
        }
    }
    // No secret in any event: the admin's own user record has no hash in it.
    let text = serde_json::to_string(&all).unwrap();
    assert!(!text.contains("$argon2"), "a password hash in an event");

    // Every type recorded is listed, once, with a description.
    let listed = expect_json(app.get_as(&a.access, "/api/v1/event-types").await, 200).await;
    let listed: Vec<&Value> = listed["data"].as_array().unwrap().iter().collect();
    assert!(listed.len() >= 40, "{} event types", listed.len());
    for t in &types {
        assert!(
            listed.iter().any(
                |l| l["type"] == *t && l["description"].as_str().is_some_and(|d| !d.is_empty())
            ),
            "{t} is not in /event-types"
        );
    }

    // Filters: type, record, time.
    let created = events(&app, &a.access, "&type=lead.created").await;
    assert_eq!(created.len(), 1);
    assert_eq!(created[0]["record_id"], id.as_str());
    let about = events(
        &app,
        &a.access,
        &format!("&record_type=lead&record_id={id}"),
    )
    .await;
    assert_eq!(about.len(), 2);
    let future = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    let none = events(
        &app,
        &a.access,
        &format!("&occurred_at_from={}", urlencoding(&future)),
    )
    .await;
    assert!(none.is_empty());

    // A deal's stage move is published as `deal.stage_changed` (audited as `updated`).
    let pipelines = expect_json(app.get_as(&a.access, "/api/v1/pipelines").await, 200).await;
    let stages = pipelines["data"][0]["stages"].as_array().unwrap().clone();
    let deal = create_as(
        &app,
        &a.access,
        "/api/v1/deals",
        json!({"title": "Moving", "amount": 1000, "currency": "USD"}),
    )
    .await;
    let deal_id = deal["id"].as_str().unwrap().to_string();
    let moved = expect_json(
        app.send_as(
            Method::PATCH,
            &a.access,
            &format!("/api/v1/deals/{deal_id}"),
            Some(&json!({"stage_id": stages[1]["id"]})),
        )
        .await,
        200,
    )
    .await;
    let renamed = expect_json(
        app.send_as(
            Method::PATCH,
            &a.access,
            &format!("/api/v1/deals/{deal_id}"),
            Some(&json!({"title": "Moved"})),
        )
        .await,
        200,
    )
    .await;
    let about = events(&app, &a.access, &format!("&record_id={deal_id}")).await;
    let kinds: Vec<&str> = about.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        ["deal.updated", "deal.stage_changed", "deal.created"]
    );
    assert_eq!(about[1]["data"], moved);
    assert_eq!(about[0]["data"], renamed);

    // A new default pipeline: the previous default's loss of the flag is an event too.
    let previous = pipelines["data"][0]["id"].as_str().unwrap().to_string();
    create_as(
        &app,
        &a.access,
        "/api/v1/pipelines",
        json!({"name": "New default", "is_default": true, "stages": [{"name": "Only", "probability": 50}]}),
    )
    .await;
    let about = events(&app, &a.access, &format!("&record_id={previous}")).await;
    assert_eq!(about[0]["type"], "pipeline.updated", "{about:?}");
    assert_eq!(about[0]["data"]["is_default"], false);
    assert_eq!(about[0]["data"]["id"], previous.as_str());

    // Older than 30 days: no longer an event, though still in the audit log.
    let old = chrono::Utc::now() - chrono::Duration::days(31);
    db_exec(
        &app,
        "UPDATE activities SET created_at = ? WHERE entity_id = ?",
        vec![
            old.into(),
            uuid::Uuid::parse_str(&client_id).unwrap().into(),
        ],
    )
    .await;
    let after = events(&app, &a.access, "&record_type=client").await;
    assert!(after.is_empty(), "{after:?}");
    let audit = expect_json(
        app.get_as(
            &a.access,
            &format!("/api/v1/activities?entity_id={client_id}"),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(audit["data"].as_array().unwrap().len(), 2);

    // Another organization sees none of it; a user without `events:read` is refused.
    let other = app.register_admin("Events B").await;
    let theirs = events(&app, &other.access, "").await;
    assert!(
        theirs
            .iter()
            .all(|e| e["organization_id"] == other.organization_id.as_str())
    );
    let employee = app.user_with_roles(&a, &["employee"]).await;
    let res = app.get_as(&employee.access, "/api/v1/events").await;
    assert_eq!(res.status().as_u16(), 403);
    app.stop().await;
});

fn urlencoding(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}
