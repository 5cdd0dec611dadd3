//! Proposals (contract section 6): a document for a lead or a client from draft to its
//! answer, mailed through the outbox, reading `expired` past `valid_until`, made into a
//! quotation (for a lead, once converted), under `:own` and tenancy.

use crate::backend_tests;
use crate::concurrency::{assert_concurrent_patches, json_of};
use crate::helpers::*;
use crate::identity_support::{create_as, db_exec};
use reqwest::Method;
use serde_json::{Value, json};

fn id(v: &Value) -> String {
    v["id"].as_str().expect("an id").to_string()
}

async fn post(app: &TestApp, t: &str, path: &str, body: Option<Value>) -> reqwest::Response {
    app.send_as(Method::POST, t, path, body.as_ref()).await
}

async fn patch(app: &TestApp, t: &str, path: &str, body: Value) -> reqwest::Response {
    app.send_as(Method::PATCH, t, path, Some(&body)).await
}

/// `409` whose problem `type` ends with `/code`.
async fn conflict(res: reqwest::Response, code: &str) {
    let p = assert_problem(res, 409).await;
    let ty = p["type"].as_str().unwrap_or_default();
    assert!(ty.ends_with(&format!("/{code}")), "{code} expected: {p}");
}

/// `422` naming `field` first.
async fn refused(res: reqwest::Response, field: &str) {
    let p = assert_problem(res, 422).await;
    assert_eq!(p["errors"][0]["field"], field, "{p}");
}

/// The ids of the caller's proposals at `query`.
async fn listed(app: &TestApp, t: &str, query: &str) -> Vec<String> {
    let page = json_of(
        app.get_as(t, &format!("/api/v1/proposals{query}")).await,
        200,
    )
    .await;
    page["data"].as_array().unwrap().iter().map(id).collect()
}

/// The first mail in the test's mailbox that contains `needle` (waiting for the outbox).
async fn mail_with(app: &TestApp, needle: &str) -> String {
    let dir = app.mail_dir();
    for _ in 0..100 {
        if let Some(m) = crate::mailbox::files(&dir)
            .into_iter()
            .find(|m| m.contains(needle))
        {
            return m;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no mail with {needle}");
}

fn lines() -> Value {
    json!([
        {"description": "Workshop", "quantity": "1.5", "unit_price": 333, "tax_rate": 1800},
        {"description": "Support hours", "quantity": 10, "unit_price": 9500}
    ])
}

async fn client_with(app: &TestApp, t: &str, name: &str, email: Option<&str>) -> String {
    id(&create_as(
        app,
        t,
        "/api/v1/clients",
        json!({"name": name, "kind": "company", "email": email}),
    )
    .await)
}

async fn lead_with(app: &TestApp, t: &str, name: &str, email: &str) -> String {
    id(&create_as(
        app,
        t,
        "/api/v1/leads",
        json!({"name": name, "email": email}),
    )
    .await)
}

backend_tests!(a_proposal_from_draft_to_its_answer, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Proposing Co").await;
    let t = admin.access.as_str();
    let c = client_with(&app, t, "Globex", Some("buyer@globex.example")).await;
    let l = lead_with(&app, t, "Jane Prospect", "jane@prospect.example").await;

    // One of lead_id and client_id; the body's limit; read-only fields; references.
    refused(
        post(&app, t, "/api/v1/proposals", Some(json!({"title": "T"}))).await,
        "client_id",
    )
    .await;
    refused(
        post(
            &app,
            t,
            "/api/v1/proposals",
            Some(json!({"title": "T", "client_id": c, "lead_id": l})),
        )
        .await,
        "lead_id",
    )
    .await;
    refused(
        post(
            &app,
            t,
            "/api/v1/proposals",
            Some(json!({"title": "T", "client_id": c, "body": "x".repeat(100_001)})),
        )
        .await,
        "body",
    )
    .await;
    for (field, value) in [
        ("status", json!("sent")),
        ("total", json!(5)),
        ("quotation_id", json!(c)),
    ] {
        let mut body = json!({"title": "T", "client_id": c});
        body[field] = value;
        // Read-only: refused, never silently applied.
        assert_problem(post(&app, t, "/api/v1/proposals", Some(body)).await, 422).await;
    }
    let nobody = uuid::Uuid::now_v7().to_string();
    for field in ["client_id", "lead_id", "deal_id"] {
        let mut body = json!({"title": "T"});
        if field == "deal_id" {
            body["client_id"] = json!(c);
        }
        body[field] = json!(nobody);
        refused(post(&app, t, "/api/v1/proposals", Some(body)).await, field).await;
    }
    refused(
        post(
            &app,
            t,
            "/api/v1/proposals",
            Some(json!({"title": "T", "client_id": c, "items": [{"description": "x", "quantity": 0, "unit_price": 1}]})),
        )
        .await,
        "items[0].quantity",
    )
    .await;

    // A draft of the caller's, in the organization's currency, priced as quotations are.
    let body = "## Scope\n\nTwo workshops, then support hours.";
    let res = post(
        &app,
        t,
        "/api/v1/proposals",
        Some(
            json!({"client_id": c, "title": "Roll-out", "body": body, "items": lines(),
                    "valid_until": "2099-12-31"}),
        ),
    )
    .await;
    assert_eq!(res.status(), 201);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    let p: Value = res.json().await.unwrap();
    let pid = id(&p);
    let path = format!("/api/v1/proposals/{pid}");
    assert_eq!(location, path);
    assert_eq!(p["status"], "draft");
    assert_eq!(p["owner_id"], admin.user_id.as_str());
    assert_eq!(p["currency"], "USD");
    assert_eq!(p["body"], body);
    // 1.5 × 3.33 → 5.00 + 18 % = 0.90; 10 × 95.00 = 950.00.
    assert_eq!(
        (&p["subtotal"], &p["tax_total"], &p["total"]),
        (&json!(95_500), &json!(90), &json!(95_590))
    );
    assert_eq!(p["items"][0]["quantity"], "1.5");
    assert!(p["lead_id"].is_null() && p["quotation_id"].is_null() && p["sent_at"].is_null());
    let res = app.get_as(t, &path).await;
    assert_eq!(res.headers()["etag"], "\"1\"");

    // Edited while a draft, If-Match honoured.
    let edited = json_of(
        patch(&app, t, &path, json!({"title": "Roll-out, phase 1"})).await,
        200,
    )
    .await;
    assert_eq!(
        (&edited["title"], &edited["version"]),
        (&json!("Roll-out, phase 1"), &json!(2))
    );
    let stale = reqwest::Client::new()
        .patch(app.url(&path))
        .bearer_auth(t)
        .header("if-match", "\"1\"")
        .json(&json!({"title": "Late"}))
        .send()
        .await
        .unwrap();
    assert_problem(stale, 412).await;
    refused(
        patch(&app, t, &path, json!({"client_id": null})).await,
        "client_id",
    )
    .await;
    assert_problem(
        patch(&app, t, &path, json!({"status": "accepted"})).await,
        422,
    )
    .await;
    assert_eq!(
        listed(&app, t, &format!("?client_id={c}")).await,
        [pid.as_str()]
    );
    assert_eq!(listed(&app, t, "?q=PHASE").await, [pid.as_str()]);
    assert_eq!(
        listed(&app, t, "?status=draft&sort=title").await,
        [pid.as_str()]
    );
    assert!(listed(&app, t, "?status=sent").await.is_empty());

    // Mailed to the client's address: draft → sent; sent again stays sent.
    let sent = json_of(post(&app, t, &format!("{path}/send"), None).await, 200).await;
    assert_eq!(sent["status"], "sent");
    assert!(sent["sent_at"].is_string(), "{sent}");
    let m = mail_with(&app, "buyer@globex.example").await;
    assert!(
        m.contains("Proposal from Proposing Co: Roll-out, phase 1"),
        "{m}"
    );
    assert!(m.contains("## Scope"), "{m}");
    assert!(m.contains("955.90 USD"), "{m}");
    let again = json_of(
        post(
            &app,
            t,
            &format!("{path}/send"),
            Some(json!({"to": "cfo@globex.example"})),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        (&again["status"], &again["version"]),
        (&json!("sent"), &json!(4))
    );
    mail_with(&app, "cfo@globex.example").await;
    refused(
        post(
            &app,
            t,
            &format!("{path}/send"),
            Some(json!({"to": "not an address"})),
        )
        .await,
        "to",
    )
    .await;
    // Only drafts are edited or deleted.
    conflict(
        patch(&app, t, &path, json!({"title": "Too late"})).await,
        "proposal-not-draft",
    )
    .await;
    conflict(
        app.send_as(Method::DELETE, t, &path, None).await,
        "proposal-not-draft",
    )
    .await;

    // Accepted once; then neither accepted, declined nor sent again.
    let accepted = json_of(post(&app, t, &format!("{path}/accept"), None).await, 200).await;
    assert_eq!(accepted["status"], "accepted");
    for verb in ["accept", "decline", "send"] {
        conflict(
            post(&app, t, &format!("{path}/{verb}"), None).await,
            "proposal-status",
        )
        .await;
    }

    // A lead's proposal goes to the lead's address; a draft is neither accepted nor declined.
    let lp = create_as(
        &app,
        t,
        "/api/v1/proposals",
        json!({"lead_id": l, "title": "Intro offer"}),
    )
    .await;
    let lpath = format!("/api/v1/proposals/{}", id(&lp));
    conflict(
        post(&app, t, &format!("{lpath}/accept"), None).await,
        "proposal-status",
    )
    .await;
    conflict(
        post(&app, t, &format!("{lpath}/decline"), None).await,
        "proposal-status",
    )
    .await;
    json_of(post(&app, t, &format!("{lpath}/send"), None).await, 200).await;
    let m = mail_with(&app, "jane@prospect.example").await;
    assert!(m.contains("Intro offer"), "{m}");
    let declined = json_of(post(&app, t, &format!("{lpath}/decline"), None).await, 200).await;
    assert_eq!(declined["status"], "declined");
    conflict(
        post(&app, t, &format!("{lpath}/quotation"), None).await,
        "proposal-status",
    )
    .await;
    assert_eq!(listed(&app, t, &format!("?lead_id={l}")).await, [id(&lp)]);

    // No address, no mail: 422 on `to`.
    let mute = client_with(&app, t, "No Mail Ltd", None).await;
    let mp = create_as(
        &app,
        t,
        "/api/v1/proposals",
        json!({"client_id": mute, "title": "Quiet"}),
    )
    .await;
    let mpath = format!("/api/v1/proposals/{}", id(&mp));
    refused(post(&app, t, &format!("{mpath}/send"), None).await, "to").await;

    // Concurrent edits of a draft, then its deletion.
    assert_concurrent_patches(
        &app,
        t,
        &mpath,
        |v| json!({"title": v}),
        |r| r["title"].as_str().unwrap_or_default().to_string(),
    )
    .await;
    let res = app.send_as(Method::DELETE, t, &mpath, None).await;
    assert_eq!(res.status(), 204);
    assert_problem(app.get_as(t, &mpath).await, 404).await;

    // Every write was an event.
    let events = json_of(
        app.get_as(t, &format!("/api/v1/events?record_id={pid}&limit=200"))
            .await,
        200,
    )
    .await;
    let types: Vec<&str> = events["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    for ty in [
        "proposal.created",
        "proposal.updated",
        "proposal.sent",
        "proposal.accepted",
    ] {
        assert!(types.contains(&ty), "{ty} in {types:?}");
    }
    app.stop().await;
});

backend_tests!(expiry_and_quotations_of_proposals, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Quoting Co").await;
    let t = admin.access.as_str();
    let c = client_with(&app, t, "Initech", Some("buyer@initech.example")).await;
    let deal = create_as(
        &app,
        t,
        "/api/v1/deals",
        json!({"title": "Initech roll-out", "client_id": c, "amount": 100_000, "currency": "EUR"}),
    )
    .await;

    // Sent, then its valid_until passes: it reads (and lists) as expired and takes no answer.
    let p = create_as(
        &app,
        t,
        "/api/v1/proposals",
        json!({"client_id": c, "deal_id": deal["id"], "title": "Roll-out", "currency": "EUR",
               "items": lines(), "valid_until": "2099-12-31"}),
    )
    .await;
    let pid = id(&p);
    let path = format!("/api/v1/proposals/{pid}");
    json_of(post(&app, t, &format!("{path}/send"), None).await, 200).await;
    let n = db_exec(
        &app,
        "UPDATE proposals SET valid_until = ? WHERE id = ?",
        vec![
            chrono::NaiveDate::from_ymd_opt(2020, 1, 31).unwrap().into(),
            uuid::Uuid::parse_str(&pid).unwrap().into(),
        ],
    )
    .await;
    assert_eq!(n, 1);
    let expired = json_of(app.get_as(t, &path).await, 200).await;
    assert_eq!(expired["status"], "expired");
    assert_eq!(listed(&app, t, "?status=expired").await, [pid.as_str()]);
    assert!(listed(&app, t, "?status=sent").await.is_empty());
    assert_eq!(
        listed(&app, t, "?sort=status,-created_at").await,
        [pid.as_str()]
    );
    conflict(
        post(&app, t, &format!("{path}/accept"), None).await,
        "proposal-expired",
    )
    .await;
    conflict(
        post(&app, t, &format!("{path}/decline"), None).await,
        "proposal-expired",
    )
    .await;
    conflict(
        post(&app, t, &format!("{path}/send"), None).await,
        "proposal-expired",
    )
    .await;

    // A quotation of a client's proposal (expired is no obstacle): its lines, currency,
    // client and deal, once.
    let res = post(&app, t, &format!("{path}/quotation"), None).await;
    assert_eq!(res.status(), 201);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    let q: Value = res.json().await.unwrap();
    assert_eq!(location, format!("/api/v1/quotations/{}", id(&q)));
    assert_eq!(q["status"], "draft");
    assert_eq!(q["client_id"], c.as_str());
    assert_eq!(q["deal_id"], deal["id"]);
    assert_eq!(q["currency"], "EUR");
    assert_eq!(q["items"], p["items"]);
    assert_eq!(q["total"], p["total"]);
    assert!(q["number"].as_str().unwrap().starts_with("Q-"), "{q}");
    let read = json_of(app.get_as(t, &location).await, 200).await;
    assert_eq!(read["items"], p["items"]);
    let quoted = json_of(app.get_as(t, &path).await, 200).await;
    assert_eq!(quoted["quotation_id"], q["id"]);
    conflict(
        post(&app, t, &format!("{path}/quotation"), None).await,
        "proposal-quoted",
    )
    .await;

    // A lead's proposal: not before the lead is converted; then for its client.
    let l = lead_with(&app, t, "Jane Prospect", "jane@prospect.example").await;
    let lp = create_as(
        &app,
        t,
        "/api/v1/proposals",
        json!({"lead_id": l, "title": "Intro offer", "items": lines()}),
    )
    .await;
    let lpath = format!("/api/v1/proposals/{}", id(&lp));
    conflict(
        post(&app, t, &format!("{lpath}/quotation"), None).await,
        "proposal-lead-not-converted",
    )
    .await;
    let conv = json_of(
        post(
            &app,
            t,
            &format!("/api/v1/leads/{l}/convert"),
            Some(json!({})),
        )
        .await,
        200,
    )
    .await;
    let lq = json_of(
        post(&app, t, &format!("{lpath}/quotation"), None).await,
        201,
    )
    .await;
    assert_eq!(lq["client_id"], conv["client"]["id"]);
    assert_eq!(lq["items"], lp["items"]);
    assert_eq!(lq["currency"], "USD");
    // A proposal without lines has nothing to quote.
    let bare = create_as(
        &app,
        t,
        "/api/v1/proposals",
        json!({"client_id": c, "title": "Bare"}),
    )
    .await;
    refused(
        post(
            &app,
            t,
            &format!("/api/v1/proposals/{}/quotation", id(&bare)),
            None,
        )
        .await,
        "items",
    )
    .await;
    // A lead a proposal names cannot be deleted under it.
    let held = lead_with(&app, t, "Held Lead", "held@prospect.example").await;
    create_as(
        &app,
        t,
        "/api/v1/proposals",
        json!({"lead_id": held, "title": "Held"}),
    )
    .await;
    assert_problem(
        app.send_as(Method::DELETE, t, &format!("/api/v1/leads/{held}"), None)
            .await,
        409,
    )
    .await;
    app.stop().await;
});

backend_tests!(own_proposals_and_other_organizations, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Owning Co").await;
    let t = admin.access.as_str();
    create_as(
        &app,
        t,
        "/api/v1/roles",
        json!({"name": "proposer", "permissions": [
            "proposals:read:own", "proposals:write:own", "proposals:delete:own",
            "clients:read", "leads:read"]}),
    )
    .await;
    let ann = app.user_with_roles(&admin, &["proposer"]).await;
    let bob = app.user_with_roles(&admin, &["proposer"]).await;
    let c = client_with(&app, t, "Globex", Some("buyer@globex.example")).await;
    let mine = create_as(
        &app,
        &ann.access,
        "/api/v1/proposals",
        json!({"client_id": c, "title": "Ann's"}),
    )
    .await;
    assert_eq!(mine["owner_id"], ann.user_id.as_str());
    let path = format!("/api/v1/proposals/{}", id(&mine));
    // Bob neither sees nor changes Ann's proposal, nor gives his to her.
    assert_problem(app.get_as(&bob.access, &path).await, 404).await;
    assert_problem(
        patch(&app, &bob.access, &path, json!({"title": "x"})).await,
        404,
    )
    .await;
    assert_problem(
        post(&app, &bob.access, &format!("{path}/send"), None).await,
        404,
    )
    .await;
    assert_problem(
        app.send_as(Method::DELETE, &bob.access, &path, None).await,
        404,
    )
    .await;
    assert!(listed(&app, &bob.access, "").await.is_empty());
    refused(
        post(
            &app,
            &bob.access,
            "/api/v1/proposals",
            Some(json!({"client_id": c, "title": "For Ann", "owner_id": ann.user_id})),
        )
        .await,
        "owner_id",
    )
    .await;
    // Without quotations:write, no quotation.
    assert_problem(
        post(&app, &ann.access, &format!("{path}/quotation"), None).await,
        403,
    )
    .await;
    // Ann and the admin see it.
    assert_eq!(listed(&app, &ann.access, "").await, [id(&mine)]);
    assert_eq!(
        listed(&app, t, &format!("?owner_id={}", ann.user_id)).await,
        [id(&mine)]
    );

    // Another organization: 404 everywhere, its lists never show it.
    let other = app.register_admin("Other Co").await;
    let o = other.access.as_str();
    assert_problem(app.get_as(o, &path).await, 404).await;
    assert_problem(patch(&app, o, &path, json!({"title": "x"})).await, 404).await;
    for verb in ["send", "accept", "decline", "quotation"] {
        assert_problem(post(&app, o, &format!("{path}/{verb}"), None).await, 404).await;
    }
    assert_problem(
        post(&app, o, &format!("{path}/send"), Some(json!({"to": "x"}))).await,
        404,
    )
    .await;
    assert_problem(app.send_as(Method::DELETE, o, &path, None).await, 404).await;
    assert!(listed(&app, o, "").await.is_empty());
    // Nor can it name this organization's client.
    refused(
        post(
            &app,
            o,
            "/api/v1/proposals",
            Some(json!({"client_id": c, "title": "x"})),
        )
        .await,
        "client_id",
    )
    .await;
    let still = json_of(app.get_as(t, &path).await, 200).await;
    assert_eq!(still["version"], 1);
    app.stop().await;
});
