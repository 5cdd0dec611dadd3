//! Leads, pipelines, deals, quotations and customer tracking.

use crate::backend_tests;
use crate::helpers::*;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::HashSet;

async fn ok(res: reqwest::Response, status: u16) -> Value {
    let code = res.status().as_u16();
    let body = res.text().await.unwrap();
    assert_eq!(code, status, "{body}");
    serde_json::from_str(&body).unwrap_or(Value::Null)
}

backend_tests!(leads_filters_duplicates_and_conversion, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Leads Co").await;
    let t = &admin.access;
    let lead = ok(app.send_as(Method::POST, t, "/api/v1/leads", Some(&json!({"name": "Jane Prospect", "email": "jane@prospect.example", "company": "Prospect Ltd", "source": "website", "estimated_amount": 500000, "currency": "USD", "score": 40}))).await, 201).await;
    assert_eq!(lead["status"], "new");
    assert_eq!(lead["owner_id"], admin.user_id.as_str());
    let lid = lead["id"].as_str().unwrap().to_string();
    // Same email while the lead is open: 409 naming it.
    let res = app
        .send_as(
            Method::POST,
            t,
            "/api/v1/leads",
            Some(&json!({"name": "Jane again", "email": "JANE@prospect.example"})),
        )
        .await;
    let body = assert_problem(res, 409).await;
    assert_eq!(body["existing_id"], lid.as_str());
    ok(
        app.send_as(
            Method::POST,
            t,
            "/api/v1/leads",
            Some(&json!({"name": "Bob Cold", "source": "fair", "status": "contacted"})),
        )
        .await,
        201,
    )
    .await;
    // Filters, search, ranges.
    let page = ok(
        app.get_as(t, "/api/v1/leads?status=new&count=true").await,
        200,
    )
    .await;
    assert_eq!(page["total"], 1);
    let page = ok(app.get_as(t, "/api/v1/leads?q=PROSPECT").await, 200).await;
    assert_eq!(page["data"].as_array().unwrap().len(), 1);
    let page = ok(
        app.get_as(
            t,
            "/api/v1/leads?estimated_amount_from=100000&source=website",
        )
        .await,
        200,
    )
    .await;
    assert_eq!(page["data"][0]["id"], lid.as_str());
    let page = ok(app.get_as(t, "/api/v1/leads?sort=name").await, 200).await;
    assert_eq!(page["data"][0]["name"], "Bob Cold");
    // Conversion: client + deal in the default pipeline's first stage.
    let conv = ok(app.send_as(Method::POST, t, &format!("/api/v1/leads/{lid}/convert"), Some(&json!({"create_deal": {"title": "First order", "amount": 250000, "currency": "USD"}}))).await, 200).await;
    assert_eq!(conv["lead"]["status"], "converted");
    assert_eq!(conv["client"]["name"], "Prospect Ltd");
    assert_eq!(conv["deal"]["status"], "open");
    let pipelines = ok(app.get_as(t, "/api/v1/pipelines").await, 200).await;
    let default = pipelines["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["is_default"] == true)
        .unwrap()
        .clone();
    assert_eq!(conv["deal"]["pipeline_id"], default["id"]);
    assert_eq!(conv["deal"]["stage_id"], default["stages"][0]["id"]);
    let res = app
        .send_as(
            Method::POST,
            t,
            &format!("/api/v1/leads/{lid}/convert"),
            Some(&json!({})),
        )
        .await;
    assert_problem(res, 409).await;
    // Protected fields and versions.
    let other = ok(
        app.send_as(
            Method::POST,
            t,
            "/api/v1/leads",
            Some(&json!({"name": "Versioned"})),
        )
        .await,
        201,
    )
    .await;
    let oid = other["id"].as_str().unwrap();
    for body in [
        json!({"id": oid}),
        json!({"version": 3}),
        json!({"converted_client_id": oid}),
    ] {
        assert_problem(
            app.send_as(
                Method::PATCH,
                t,
                &format!("/api/v1/leads/{oid}"),
                Some(&body),
            )
            .await,
            422,
        )
        .await;
    }
    let res = app
        .client
        .patch(app.url(&format!("/api/v1/leads/{oid}")))
        .bearer_auth(t)
        .header("if-match", "\"7\"")
        .json(&json!({"score": 5}))
        .send()
        .await
        .unwrap();
    assert_problem(res, 412).await;
    app.stop().await;
});

backend_tests!(deals_board_forecast_and_closing, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Deals Co").await;
    let t = &admin.access;
    let client = ok(
        app.send_as(
            Method::POST,
            t,
            "/api/v1/clients",
            Some(&json!({"name": "Buyer", "kind": "company"})),
        )
        .await,
        201,
    )
    .await;
    let cid = client["id"].as_str().unwrap();
    let pipeline = ok(app.send_as(Method::POST, t, "/api/v1/pipelines", Some(&json!({"name": "Custom", "stages": [{"name": "Open", "probability": 20}, {"name": "Close", "probability": 50}]}))).await, 201).await;
    let pid = pipeline["id"].as_str().unwrap();
    let s0 = pipeline["stages"][0]["id"].as_str().unwrap();
    let s1 = pipeline["stages"][1]["id"].as_str().unwrap();
    assert_eq!(pipeline["stages"][1]["position"], 1);
    let mk = |title: &str, amount: i64, cur: &str, stage: &str, close: &str| json!({"title": title, "client_id": cid, "pipeline_id": pid, "stage_id": stage, "amount": amount, "currency": cur, "expected_close_date": close});
    let d1 = ok(
        app.send_as(
            Method::POST,
            t,
            "/api/v1/deals",
            Some(&mk("A", 10_000, "USD", s0, "2027-01-15")),
        )
        .await,
        201,
    )
    .await;
    ok(
        app.send_as(
            Method::POST,
            t,
            "/api/v1/deals",
            Some(&mk("B", 30_001, "USD", s0, "2027-01-20")),
        )
        .await,
        201,
    )
    .await;
    ok(
        app.send_as(
            Method::POST,
            t,
            "/api/v1/deals",
            Some(&mk("C", 5_000, "EUR", s1, "2027-02-01")),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(
        d1["probability"], 20,
        "a deal takes its stage's probability"
    );
    let board = ok(
        app.get_as(t, &format!("/api/v1/deals/board?pipeline_id={pid}"))
            .await,
        200,
    )
    .await;
    let stages = board["stages"].as_array().unwrap();
    assert_eq!(stages[0]["count"], 2);
    assert_eq!(
        stages[0]["totals"],
        json!([{"currency": "USD", "amount": 40_001}])
    );
    assert_eq!(stages[1]["count"], 1);
    assert_eq!(
        stages[1]["totals"],
        json!([{"currency": "EUR", "amount": 5_000}])
    );
    // Forecast: 40001 × 20 % = 8000.2 → 8000; 5000 × 50 % = 2500.
    let f = ok(
        app.get_as(t, &format!("/api/v1/deals/forecast?pipeline_id={pid}"))
            .await,
        200,
    )
    .await;
    let rows = f["rows"].as_array().unwrap();
    let jan = rows
        .iter()
        .find(|r| r["month"] == "2027-01" && r["currency"] == "USD")
        .unwrap();
    assert_eq!(jan["weighted_amount"], 8000);
    assert_eq!(jan["count"], 2);
    let feb = rows.iter().find(|r| r["month"] == "2027-02").unwrap();
    assert_eq!(feb["weighted_amount"], 2500);
    // Stage move recorded, then won: closed deals do not move.
    let id = d1["id"].as_str().unwrap();
    ok(
        app.send_as(
            Method::PATCH,
            t,
            &format!("/api/v1/deals/{id}"),
            Some(&json!({"stage_id": s1})),
        )
        .await,
        200,
    )
    .await;
    let hist = ok(
        app.get_as(t, &format!("/api/v1/deals/{id}/stage-history"))
            .await,
        200,
    )
    .await;
    assert_eq!(hist["data"].as_array().unwrap().len(), 2);
    let won = ok(
        app.send_as(Method::POST, t, &format!("/api/v1/deals/{id}/won"), None)
            .await,
        200,
    )
    .await;
    assert_eq!(won["status"], "won");
    assert_problem(
        app.send_as(
            Method::PATCH,
            t,
            &format!("/api/v1/deals/{id}"),
            Some(&json!({"stage_id": s0})),
        )
        .await,
        409,
    )
    .await;
    assert_problem(
        app.send_as(
            Method::POST,
            t,
            &format!("/api/v1/deals/{id}/lost"),
            Some(&json!({"reason": "late"})),
        )
        .await,
        409,
    )
    .await;
    let c = ok(app.get_as(t, &format!("/api/v1/clients/{cid}")).await, 200).await;
    assert_eq!(
        c["lifecycle"], "customer",
        "a won deal makes its client a customer"
    );
    let summary = ok(
        app.get_as(t, &format!("/api/v1/clients/{cid}/summary"))
            .await,
        200,
    )
    .await;
    assert_eq!(summary["open_deals"]["count"], 2, "{summary}");
    // A quotation of the client, edited; and another client's deal, edited: only the first
    // client's deal and quotation activity belongs in its timeline.
    let q = ok(app.send_as(Method::POST, t, "/api/v1/quotations", Some(&json!({"client_id": cid, "currency": "USD", "issue_date": "2026-11-01", "valid_until": "2099-12-31", "items": [{"description": "Setup", "quantity": 1, "unit_price": 1000, "tax_rate": 0}]}))).await, 201).await;
    let qid = q["id"].as_str().unwrap();
    ok(
        app.send_as(
            Method::PATCH,
            t,
            &format!("/api/v1/quotations/{qid}"),
            Some(&json!({"valid_until": "2099-11-30"})),
        )
        .await,
        200,
    )
    .await;
    let other = ok(
        app.send_as(
            Method::POST,
            t,
            "/api/v1/clients",
            Some(&json!({"name": "Someone else", "kind": "company"})),
        )
        .await,
        201,
    )
    .await;
    let other_deal = ok(app.send_as(Method::POST, t, "/api/v1/deals", Some(&json!({"title": "Theirs", "client_id": other["id"], "amount": 700, "currency": "USD"}))).await, 201).await;
    let other_deal_id = other_deal["id"].as_str().unwrap();
    ok(
        app.send_as(
            Method::PATCH,
            t,
            &format!("/api/v1/deals/{other_deal_id}"),
            Some(&json!({"title": "Theirs, renamed"})),
        )
        .await,
        200,
    )
    .await;
    let timeline = ok(
        app.get_as(t, &format!("/api/v1/clients/{cid}/timeline?limit=200"))
            .await,
        200,
    )
    .await;
    let items = timeline["data"].as_array().unwrap();
    assert!(items.len() >= 3, "{timeline}");
    let activity = |entity_type: &str, entity_id: &str, action: &str| {
        items.iter().any(|i| {
            i["kind"] == "activity"
                && i["data"]["entity_type"] == entity_type
                && i["data"]["entity_id"] == entity_id
                && i["data"]["action"] == action
        })
    };
    assert!(
        activity("deal", id, "updated"),
        "the deal's stage move is in the timeline: {timeline}"
    );
    assert!(
        activity("deal", id, "won"),
        "the deal's closing is in the timeline: {timeline}"
    );
    assert!(
        activity("quotation", qid, "updated"),
        "the quotation's edit is in the timeline: {timeline}"
    );
    assert!(
        activity("client", cid, "created"),
        "the client's own entries stay: {timeline}"
    );
    assert!(
        !items
            .iter()
            .any(|i| i["id"] == other_deal_id || i["data"]["entity_id"] == other_deal_id),
        "another client's deal and its activity stay out: {timeline}"
    );
    // Newest first, through pages of two as well as in one page.
    // As instants: RFC 3339 text does not sort (`…53.814Z` is after `…53.814895Z` as text).
    let at = |i: &Value| {
        chrono::DateTime::parse_from_rfc3339(i["occurred_at"].as_str().unwrap()).unwrap()
    };
    assert!(
        items.windows(2).all(|w| at(&w[0]) >= at(&w[1])),
        "{timeline}"
    );
    let paged: Vec<Value> = walk(&app, t, &format!("/api/v1/clients/{cid}/timeline?limit=2"))
        .await
        .iter()
        .map(|i| i["id"].clone())
        .collect();
    let all: Vec<Value> = items.iter().map(|i| i["id"].clone()).collect();
    assert_eq!(paged, all, "pages of two walk the same timeline");
    app.stop().await;
});

backend_tests!(quotation_arithmetic_states_and_numbers, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Quotes Co").await;
    let t = admin.access.clone();
    let client = ok(
        app.send_as(
            Method::POST,
            &t,
            "/api/v1/clients",
            Some(&json!({"name": "Quoted", "kind": "company"})),
        )
        .await,
        201,
    )
    .await;
    let cid = client["id"].as_str().unwrap().to_string();
    // 1.5 × 3.33 = 4.995 → 5.00; 18 % of 500 = 90. 1 × 1.25 at 2 % = 0.025 → 0.03 (half away from zero).
    let q = ok(app.send_as(Method::POST, &t, "/api/v1/quotations", Some(&json!({"client_id": cid, "currency": "USD", "issue_date": "2026-11-01", "valid_until": "2099-12-31", "items": [
        {"description": "Widget", "quantity": "1.5", "unit_price": 333, "tax_rate": 1800},
        {"description": "Gadget", "quantity": 1, "unit_price": 125, "tax_rate": 200}
    ]}))).await, 201).await;
    assert_eq!(q["subtotal"], 625);
    assert_eq!(q["tax_total"], 93);
    assert_eq!(q["total"], 718);
    assert_eq!(q["status"], "draft");
    assert!(q["number"].as_str().unwrap().starts_with("Q-2026-"), "{q}");
    let qid = q["id"].as_str().unwrap().to_string();
    assert_problem(
        app.send_as(
            Method::PATCH,
            &t,
            &format!("/api/v1/quotations/{qid}"),
            Some(&json!({"total": 1})),
        )
        .await,
        422,
    )
    .await;
    assert_problem(
        app.send_as(
            Method::POST,
            &t,
            &format!("/api/v1/quotations/{qid}/accept"),
            None,
        )
        .await,
        409,
    )
    .await;
    ok(
        app.send_as(
            Method::POST,
            &t,
            &format!("/api/v1/quotations/{qid}/send"),
            None,
        )
        .await,
        200,
    )
    .await;
    assert_problem(
        app.send_as(
            Method::PATCH,
            &t,
            &format!("/api/v1/quotations/{qid}"),
            Some(&json!({"currency": "EUR"})),
        )
        .await,
        409,
    )
    .await;
    let accepted = ok(
        app.send_as(
            Method::POST,
            &t,
            &format!("/api/v1/quotations/{qid}/accept"),
            None,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(accepted["status"], "accepted");
    assert_problem(
        app.send_as(
            Method::POST,
            &t,
            &format!("/api/v1/quotations/{qid}/reject"),
            None,
        )
        .await,
        409,
    )
    .await;
    // 20 concurrent creations: 20 distinct consecutive numbers.
    let mut tasks = Vec::new();
    for i in 0..20 {
        let (client, url, t, cid) = (
            app.client.clone(),
            app.url("/api/v1/quotations"),
            t.clone(),
            cid.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let res = client.post(url).bearer_auth(t).json(&json!({"client_id": cid, "currency": "USD", "issue_date": "2026-11-02", "items": [{"description": format!("n{i}"), "quantity": 1, "unit_price": 100}]})).send().await.unwrap();
            assert_eq!(res.status(), 201);
            let v: Value = res.json().await.unwrap();
            v["number"].as_str().unwrap().to_string()
        }));
    }
    let mut numbers: Vec<u32> = Vec::new();
    for task in tasks {
        let n = task.await.unwrap();
        numbers.push(n.trim_start_matches("Q-2026-").parse().unwrap());
    }
    numbers.sort();
    assert_eq!(
        numbers,
        (2..=21).collect::<Vec<u32>>(),
        "gap-free and distinct"
    );
    app.stop().await;
});

backend_tests!(sales_scope_tenancy_and_stable_cursor, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Scope Sales").await;
    let other = app.register_admin("Rival").await;
    let seller = app.user_with_roles(&admin, &["sales"]).await;
    let t = &admin.access;
    let admins = ok(
        app.send_as(
            Method::POST,
            t,
            "/api/v1/leads",
            Some(&json!({"name": "Admin's lead"})),
        )
        .await,
        201,
    )
    .await;
    let aid = admins["id"].as_str().unwrap();
    let mine = ok(
        app.send_as(
            Method::POST,
            &seller.access,
            "/api/v1/leads",
            Some(&json!({"name": "Seller's lead"})),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(mine["owner_id"], seller.user_id.as_str());
    // :own hides others' leads.
    let page = ok(app.get_as(&seller.access, "/api/v1/leads").await, 200).await;
    let ids: Vec<&str> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![mine["id"].as_str().unwrap()]);
    assert_problem(
        app.get_as(&seller.access, &format!("/api/v1/leads/{aid}"))
            .await,
        404,
    )
    .await;
    // An :own caller cannot hand a lead to someone else.
    let res = app
        .send_as(
            Method::POST,
            &seller.access,
            "/api/v1/leads",
            Some(&json!({"name": "x", "owner_id": admin.user_id})),
        )
        .await;
    assert_problem(res, 422).await;
    // Another organization sees nothing.
    assert_problem(
        app.get_as(&other.access, &format!("/api/v1/leads/{aid}"))
            .await,
        404,
    )
    .await;
    let theirs = ok(
        app.get_as(&other.access, "/api/v1/leads?count=true").await,
        200,
    )
    .await;
    assert_eq!(theirs["total"], 0);
    // Cursor pagination visits every row exactly once while rows are inserted.
    for i in 0..12 {
        ok(
            app.send_as(
                Method::POST,
                t,
                "/api/v1/leads",
                Some(&json!({"name": format!("Bulk {i:02}")})),
            )
            .await,
            201,
        )
        .await;
    }
    let total = ok(app.get_as(t, "/api/v1/leads?count=true").await, 200).await["total"]
        .as_u64()
        .unwrap();
    let mut seen = HashSet::new();
    let mut cursor: Option<String> = None;
    let mut inserted = 0;
    loop {
        let path = match &cursor {
            None => "/api/v1/leads?limit=4".to_string(),
            Some(c) => format!("/api/v1/leads?limit=4&cursor={c}"),
        };
        let page = ok(app.get_as(t, &path).await, 200).await;
        for l in page["data"].as_array().unwrap() {
            assert!(
                seen.insert(l["id"].as_str().unwrap().to_string()),
                "a row came twice"
            );
        }
        // New rows sort first (newest first) and must not disturb the walk.
        ok(
            app.send_as(
                Method::POST,
                t,
                "/api/v1/leads",
                Some(&json!({"name": format!("Late {inserted}")})),
            )
            .await,
            201,
        )
        .await;
        inserted += 1;
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(
        seen.len() as u64,
        total,
        "every row that existed at the start, exactly once"
    );
    app.stop().await;
});
