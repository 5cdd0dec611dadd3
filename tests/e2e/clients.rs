//! Clients with sub-clients, contacts and interactions.

use crate::backend_tests;
use crate::helpers::*;
use reqwest::Method;
use serde_json::{Value, json};

async fn json_of(res: reqwest::Response, status: u16) -> Value {
    let code = res.status().as_u16();
    let body = res.text().await.unwrap();
    assert_eq!(code, status, "{body}");
    serde_json::from_str(&body).unwrap_or(Value::Null)
}

backend_tests!(client_crud_hierarchy_and_versions, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Clients Co").await;
    let t = &admin.access;
    let res = app.send_as(Method::POST, t, "/api/v1/clients", Some(&json!({"name": "Globex", "kind": "company", "email": "Info@Globex.example", "tags": ["vip", "emea"]}))).await;
    assert_eq!(res.status(), 201);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    let parent: Value = res.json().await.unwrap();
    assert_eq!(
        location,
        format!("/api/v1/clients/{}", parent["id"].as_str().unwrap())
    );
    assert_eq!(parent["lifecycle"], "prospect");
    assert_eq!(parent["owner_id"], admin.user_id.as_str());
    assert_eq!(parent["version"], 1);
    let pid = parent["id"].as_str().unwrap().to_string();
    let child = json_of(
        app.send_as(
            Method::POST,
            t,
            "/api/v1/clients",
            Some(&json!({"name": "Globex East", "kind": "company", "parent_id": pid})),
        )
        .await,
        201,
    )
    .await;
    let cid = child["id"].as_str().unwrap().to_string();
    let subs = json_of(
        app.get_as(t, &format!("/api/v1/clients/{pid}/sub-clients"))
            .await,
        200,
    )
    .await;
    assert_eq!(subs["data"].as_array().unwrap().len(), 1);
    assert_eq!(subs["data"][0]["id"], cid.as_str());
    // A cycle is refused.
    let res = app
        .send_as(
            Method::PATCH,
            t,
            &format!("/api/v1/clients/{pid}"),
            Some(&json!({"parent_id": cid})),
        )
        .await;
    let body = assert_problem(res, 422).await;
    assert_eq!(body["errors"][0]["field"], "parent_id");
    // ETag, If-Match, stale version.
    let res = app.get_as(t, &format!("/api/v1/clients/{pid}")).await;
    assert_eq!(res.headers()["etag"], "\"1\"");
    let res = app
        .client
        .patch(app.url(&format!("/api/v1/clients/{pid}")))
        .bearer_auth(t)
        .header("if-match", "\"1\"")
        .json(&json!({"industry": "Energy"}))
        .send()
        .await
        .unwrap();
    let updated = json_of(res, 200).await;
    assert_eq!(updated["version"], 2);
    let res = app
        .client
        .patch(app.url(&format!("/api/v1/clients/{pid}")))
        .bearer_auth(t)
        .header("if-match", "\"1\"")
        .json(&json!({"industry": "Oil"}))
        .send()
        .await
        .unwrap();
    assert_problem(res, 412).await;
    // Protected fields.
    for field in [
        json!({"id": cid}),
        json!({"version": 9}),
        json!({"created_at": "2020-01-01T00:00:00Z"}),
        json!({"lifecycle": "customer"}),
    ] {
        let res = app
            .send_as(
                Method::PATCH,
                t,
                &format!("/api/v1/clients/{pid}"),
                Some(&field),
            )
            .await;
        assert_problem(res, 422).await;
    }
    // Filters and search.
    let found = json_of(
        app.get_as(t, "/api/v1/clients?q=glob&count=true").await,
        200,
    )
    .await;
    assert_eq!(found["total"], 2);
    let found = json_of(
        app.get_as(t, &format!("/api/v1/clients?parent_id={pid}"))
            .await,
        200,
    )
    .await;
    assert_eq!(found["data"].as_array().unwrap().len(), 1);
    // Delete, then 404.
    let res = app
        .send_as(Method::DELETE, t, &format!("/api/v1/clients/{cid}"), None)
        .await;
    assert_eq!(res.status(), 204);
    assert_problem(app.get_as(t, &format!("/api/v1/clients/{cid}")).await, 404).await;
    app.stop().await;
});

backend_tests!(contacts_and_interactions, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Contacts Co").await;
    let t = &admin.access;
    let client = json_of(
        app.send_as(
            Method::POST,
            t,
            "/api/v1/clients",
            Some(&json!({"name": "Initech", "kind": "company"})),
        )
        .await,
        201,
    )
    .await;
    let id = client["id"].as_str().unwrap();
    let a = json_of(
        app.send_as(
            Method::POST,
            t,
            &format!("/api/v1/clients/{id}/contacts"),
            Some(&json!({"name": "Bill", "is_primary": true})),
        )
        .await,
        201,
    )
    .await;
    let bc = json_of(
        app.send_as(
            Method::POST,
            t,
            &format!("/api/v1/clients/{id}/contacts"),
            Some(&json!({"name": "Peter", "is_primary": true, "email": "peter@initech.example"})),
        )
        .await,
        201,
    )
    .await;
    let list = json_of(
        app.get_as(t, &format!("/api/v1/clients/{id}/contacts"))
            .await,
        200,
    )
    .await;
    let primaries: Vec<&Value> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["is_primary"] == true)
        .collect();
    assert_eq!(primaries.len(), 1, "one primary contact per client");
    assert_eq!(primaries[0]["id"], bc["id"]);
    let a_now = json_of(
        app.get_as(
            t,
            &format!(
                "/api/v1/clients/{id}/contacts/{}",
                a["id"].as_str().unwrap()
            ),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(a_now["is_primary"], false);
    let i = json_of(app.send_as(Method::POST, t, &format!("/api/v1/clients/{id}/interactions"), Some(&json!({"kind": "call", "summary": "Intro call", "occurred_at": "2026-11-01T10:00:00Z", "contact_id": bc["id"]}))).await, 201).await;
    assert_eq!(i["kind"], "call");
    let res = app
        .send_as(
            Method::POST,
            t,
            &format!("/api/v1/clients/{id}/interactions"),
            Some(&json!({"kind": "fax", "summary": "x", "occurred_at": "2026-11-01T10:00:00Z"})),
        )
        .await;
    assert_problem(res, 422).await;
    let list = json_of(
        app.get_as(t, &format!("/api/v1/clients/{id}/interactions?kind=call"))
            .await,
        200,
    )
    .await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    app.stop().await;
});

backend_tests!(client_scope_and_tenancy, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Scope Co").await;
    let other = app.register_admin("Other Co").await;
    let seller = app.user_with_roles(&admin, &["sales"]).await;
    let t = &admin.access;
    let mine = json_of(
        app.send_as(
            Method::POST,
            t,
            "/api/v1/clients",
            Some(&json!({"name": "Admin's client", "kind": "individual"})),
        )
        .await,
        201,
    )
    .await;
    let mid = mine["id"].as_str().unwrap();
    // Another organization never sees it.
    assert_problem(
        app.get_as(&other.access, &format!("/api/v1/clients/{mid}"))
            .await,
        404,
    )
    .await;
    assert_problem(
        app.get_as(&other.access, &format!("/api/v1/clients/{mid}/contacts"))
            .await,
        404,
    )
    .await;
    let theirs = json_of(
        app.get_as(&other.access, "/api/v1/clients?count=true")
            .await,
        200,
    )
    .await;
    assert_eq!(theirs["total"], 0);
    // The sales role reads clients but may not create them.
    let res = app
        .get_as(&seller.access, &format!("/api/v1/clients/{mid}"))
        .await;
    assert_eq!(res.status(), 200);
    let res = app
        .send_as(
            Method::POST,
            &seller.access,
            "/api/v1/clients",
            Some(&json!({"name": "x", "kind": "company"})),
        )
        .await;
    assert_problem(res, 403).await;
    app.stop().await;
});
