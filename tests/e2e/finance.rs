//! Finance (contract section 6): invoices with their lifecycle, numbers and PDF; credit
//! notes; payments with allocations, refunds and deletion; invoices from quotations.

use crate::backend_tests;
use crate::concurrency::{assert_concurrent_patches, json_of};
use crate::helpers::*;
use crate::identity_support::create_as;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// The answer is `422` and names `field` first.
async fn refused(res: reqwest::Response, field: &str) {
    let prob = assert_problem(res, 422).await;
    assert_eq!(prob["errors"][0]["field"], field, "{prob}");
}

fn id(v: &Value) -> String {
    v["id"].as_str().expect("an id").to_string()
}

async fn client(app: &TestApp, t: &str, name: &str) -> String {
    id(&create_as(
        app,
        t,
        "/api/v1/clients",
        json!({"name": name, "kind": "company"}),
    )
    .await)
}

/// A draft invoice of `client` with one line of `amount` (no tax) in `currency`.
async fn draft(app: &TestApp, t: &str, client: &str, amount: i64, currency: &str) -> Value {
    create_as(
        app,
        t,
        "/api/v1/invoices",
        json!({"client_id": client, "currency": currency,
               "items": [{"description": "Work", "quantity": 1, "unit_price": amount}]}),
    )
    .await
}

async fn post(app: &TestApp, t: &str, path: &str, body: Option<Value>) -> reqwest::Response {
    app.send_as(Method::POST, t, path, body.as_ref()).await
}

/// An issued invoice of `client` with one line of `amount`.
async fn issued(app: &TestApp, t: &str, client: &str, amount: i64, currency: &str) -> Value {
    let d = draft(app, t, client, amount, currency).await;
    let path = format!("/api/v1/invoices/{}/issue", id(&d));
    json_of(post(app, t, &path, None).await, 200).await
}

async fn invoice(app: &TestApp, t: &str, id: &str) -> Value {
    json_of(app.get_as(t, &format!("/api/v1/invoices/{id}")).await, 200).await
}

/// The text of a PDF, through `pdftotext` (poppler-utils; CI installs it). `None` where it
/// is not installed and CI does not require it.
pub(crate) fn pdf_text(pdf: &[u8]) -> Option<String> {
    let dir = std::env::temp_dir().join(format!("crm-pdf-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("invoice.pdf");
    std::fs::write(&file, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args(["-layout", file.to_str().unwrap(), "-"])
        .output();
    let _ = std::fs::remove_dir_all(&dir);
    match out {
        Ok(o) => {
            assert!(o.status.success(), "pdftotext failed on the invoice");
            Some(String::from_utf8_lossy(&o.stdout).into_owned())
        }
        Err(e) if std::env::var("CRM_TEST_REQUIRE_ALL_BACKENDS").as_deref() == Ok("1") => {
            panic!("pdftotext is needed to read the invoice PDF: {e}")
        }
        Err(e) => {
            eprintln!("pdftotext not available ({e}): the PDF's text is not checked here");
            None
        }
    }
}

backend_tests!(invoice_lifecycle_numbers_and_pdf, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Billing Co").await;
    let t = admin.access.as_str();
    let c = client(&app, t, "Northwind Traders").await;
    // A draft: priced like a quotation, no number, due 30 days after its issue date.
    let d = create_as(
        &app,
        t,
        "/api/v1/invoices",
        json!({
            "client_id": c, "currency": "USD", "issue_date": "2026-03-01", "notes": "Thanks",
            "items": [
                {"description": "Widget", "quantity": "1.5", "unit_price": 333, "tax_rate": 1800},
                {"description": "Gadget", "quantity": 1, "unit_price": 125, "tax_rate": 200}
            ]
        }),
    )
    .await;
    assert_eq!(
        (
            d["subtotal"].as_i64(),
            d["tax_total"].as_i64(),
            d["total"].as_i64()
        ),
        (Some(625), Some(93), Some(718))
    );
    assert_eq!(d["status"], "draft");
    assert_eq!(d["payment_status"], "unpaid");
    assert!(d["number"].is_null());
    assert_eq!(d["due_date"], "2026-03-31");
    assert_eq!(d["balance_due"], 718);
    assert_eq!(d["is_overdue"], false);
    let did = id(&d);
    let path = format!("/api/v1/invoices/{did}");
    // Computed fields are refused, not ignored.
    for body in [
        json!({"total": 1}),
        json!({"number": "INV-1"}),
        json!({"amount_paid": 5}),
    ] {
        let res = app.send_as(Method::PATCH, t, &path, Some(&body)).await;
        assert_problem(res, 422).await;
    }
    // The due date follows the terms while it was not set by hand.
    let p = json_of(
        app.send_as(
            Method::PATCH,
            t,
            &path,
            Some(&json!({"payment_terms_days": 14})),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(p["due_date"], "2026-03-15");
    let res = app
        .send_as(
            Method::PATCH,
            t,
            &path,
            Some(&json!({"due_date": "2026-02-01"})),
        )
        .await;
    let prob = assert_problem(res, 422).await;
    assert_eq!(prob["errors"][0]["field"], "due_date", "{prob}");
    // A draft without lines cannot be issued, and gives no number away.
    let empty = create_as(
        &app,
        t,
        "/api/v1/invoices",
        json!({"client_id": c, "currency": "USD"}),
    )
    .await;
    refused(
        post(
            &app,
            t,
            &format!("/api/v1/invoices/{}/issue", id(&empty)),
            None,
        )
        .await,
        "items",
    )
    .await;
    // Issue: the first number of the issue date's year.
    let i = json_of(post(&app, t, &format!("{path}/issue"), None).await, 200).await;
    assert_eq!(i["number"], "INV-2026-0001");
    assert_eq!(i["status"], "issued");
    assert!(i["issued_at"].is_string());
    // Past its due date with everything due: overdue.
    assert_eq!(i["is_overdue"], true, "{i}");
    let overdue = json_of(app.get_as(t, "/api/v1/invoices?is_overdue=true").await, 200).await;
    let ids: Vec<&str> = overdue["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [did.as_str()]);
    let not_overdue = json_of(
        app.get_as(t, "/api/v1/invoices?is_overdue=false&status=draft")
            .await,
        200,
    )
    .await;
    assert_eq!(not_overdue["data"].as_array().unwrap().len(), 1);
    // Issued: no edits, no deletion, no second issue.
    assert_problem(
        app.send_as(Method::PATCH, t, &path, Some(&json!({"notes": "x"})))
            .await,
        409,
    )
    .await;
    assert_problem(app.send_as(Method::DELETE, t, &path, None).await, 409).await;
    assert_problem(post(&app, t, &format!("{path}/issue"), None).await, 409).await;
    // The PDF shows number, dates, parties, lines, totals and balance due.
    let res = app.get_as(t, &format!("{path}/pdf")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    let pdf = res.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF-"), "not a PDF");
    if let Some(text) = pdf_text(&pdf) {
        for needle in [
            "INV-2026-0001",
            "2026-03-01",
            "2026-03-15",
            "Billing Co",
            "Northwind Traders",
            "Widget",
            "Gadget",
            "7.18 USD",
            "Balance due",
            "Thanks",
        ] {
            assert!(
                text.contains(needle),
                "{needle} missing from the PDF:\n{text}"
            );
        }
    }
    // Void: a reason is needed; the number stays; a void invoice cannot be voided again.
    refused(
        post(
            &app,
            t,
            &format!("{path}/void"),
            Some(json!({"reason": " "})),
        )
        .await,
        "reason",
    )
    .await;
    let v = json_of(
        post(
            &app,
            t,
            &format!("{path}/void"),
            Some(json!({"reason": "Billed twice"})),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        (
            v["status"].as_str(),
            v["number"].as_str(),
            v["void_reason"].as_str()
        ),
        (Some("void"), Some("INV-2026-0001"), Some("Billed twice"))
    );
    assert_eq!(v["is_overdue"], false);
    assert_problem(
        post(
            &app,
            t,
            &format!("{path}/void"),
            Some(json!({"reason": "again"})),
        )
        .await,
        409,
    )
    .await;
    // Drafts can be deleted; the next issue takes the next number, none skipped.
    let res = app
        .send_as(
            Method::DELETE,
            t,
            &format!("/api/v1/invoices/{}", id(&empty)),
            None,
        )
        .await;
    assert_eq!(res.status(), 204);
    let next = issued(&app, t, &c, 100, "USD").await;
    assert!(
        next["number"].as_str().unwrap().ends_with("-0002"),
        "{next}"
    );
    // Events of the lifecycle.
    let ev = json_of(
        app.get_as(t, &format!("/api/v1/events?record_id={did}&limit=200"))
            .await,
        200,
    )
    .await;
    let types: BTreeSet<&str> = ev["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    for ty in [
        "invoice.created",
        "invoice.updated",
        "invoice.issued",
        "invoice.voided",
    ] {
        assert!(types.contains(ty), "{ty} missing: {types:?}");
    }
    assert_concurrent_patches(
        &app,
        t,
        &format!(
            "/api/v1/invoices/{}",
            id(&draft(&app, t, &c, 100, "USD").await)
        ),
        |v| json!({"notes": v}),
        |r| r["notes"].as_str().unwrap_or_default().to_string(),
    )
    .await;
    app.stop().await;
});

backend_tests!(concurrent_issues_take_consecutive_numbers, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Numbers Co").await;
    let t = admin.access.clone();
    let c = client(&app, &t, "Many Invoices").await;
    let mut drafts = Vec::new();
    for _ in 0..20 {
        drafts.push(id(&draft(&app, &t, &c, 100, "USD").await));
    }
    let issues = drafts.iter().map(|d| {
        let (app_url, t) = (app.url(&format!("/api/v1/invoices/{d}/issue")), t.clone());
        async move {
            let res = reqwest::Client::new()
                .post(app_url)
                .bearer_auth(t)
                .send()
                .await
                .unwrap();
            json_of(res, 200).await
        }
    });
    let issued = futures_util::future::join_all(issues).await;
    let numbers: BTreeSet<String> = issued
        .iter()
        .map(|i| i["number"].as_str().unwrap().to_string())
        .collect();
    let year = issued[0]["issue_date"].as_str().unwrap()[..4].to_string();
    let expected: BTreeSet<String> = (1..=20).map(|n| format!("INV-{year}-{n:04}")).collect();
    assert_eq!(numbers, expected);
    app.stop().await;
});

backend_tests!(racing_payments_never_over_allocate, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Race Co").await;
    let t = admin.access.clone();
    let c = client(&app, &t, "Racer").await;
    let inv = issued(&app, &t, &c, 10_000, "USD").await;
    let iid = id(&inv);
    // 20 payments of 600 each race for an invoice of 10,000: 16 fit, the rest are refused.
    let pays = (0..20).map(|_| {
        let (url, t) = (app.url("/api/v1/payments"), t.clone());
        let body = json!({"client_id": c, "amount": 600, "currency": "USD", "method": "bank_transfer",
                          "allocations": [{"invoice_id": iid, "amount": 600}]});
        async move {
            let res = reqwest::Client::new().post(url).bearer_auth(t).json(&body).send().await.unwrap();
            res.status().as_u16()
        }
    });
    let codes = futures_util::future::join_all(pays).await;
    let won = codes.iter().filter(|c| **c == 201).count();
    let refused = codes.iter().filter(|c| **c == 409).count();
    assert_eq!((won, refused), (16, 4), "{codes:?}");
    let after = invoice(&app, &t, &iid).await;
    assert_eq!(after["amount_paid"], 9_600);
    assert_eq!(after["balance_due"], 400);
    assert_eq!(after["payment_status"], "partially_paid");
    // The stored sum is the sum of the allocation rows.
    let list = json_of(app.get_as(&t, "/api/v1/payments?limit=200").await, 200).await;
    let allocated: i64 = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["allocations"].as_array().unwrap().clone())
        .filter(|a| a["invoice_id"] == iid.as_str())
        .map(|a| a["amount"].as_i64().unwrap())
        .sum();
    assert_eq!(allocated, 9_600);
    // The last 400 settles it: paid, with its event.
    let p = create_as(&app, &t, "/api/v1/payments", json!({"client_id": c, "amount": 400, "currency": "USD", "method": "card", "allocations": [{"invoice_id": iid, "amount": 400}]})).await;
    assert_eq!(p["unapplied_amount"], 0);
    let after = invoice(&app, &t, &iid).await;
    assert_eq!(
        (
            after["payment_status"].as_str(),
            after["balance_due"].as_i64()
        ),
        (Some("paid"), Some(0))
    );
    let ev = json_of(
        app.get_as(
            &t,
            &format!("/api/v1/events?type=invoice.paid&record_id={iid}"),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(ev["data"].as_array().unwrap().len(), 1, "{ev}");
    app.stop().await;
});

backend_tests!(payments_allocations_refunds_and_deletion, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Ledger Co").await;
    let t = admin.access.as_str();
    let c = client(&app, t, "Payer").await;
    let other = client(&app, t, "Someone Else").await;
    let a = issued(&app, t, &c, 3_000, "USD").await;
    let bi = issued(&app, t, &c, 2_000, "USD").await;
    let eur = issued(&app, t, &c, 1_000, "EUR").await;
    let theirs = issued(&app, t, &other, 1_000, "USD").await;
    let dr = draft(&app, t, &c, 1_000, "USD").await;
    let pay = |allocations: Value, amount: i64| json!({"client_id": c, "amount": amount, "currency": "USD", "method": "bank_transfer", "reference": "TRX-1", "allocations": allocations});
    // Refusals, each naming what is wrong.
    refused(
        post(&app, t, "/api/v1/payments", Some(pay(json!([{"invoice_id": id(&a), "amount": 600}, {"invoice_id": id(&bi), "amount": 600}]), 1_000))).await,
        "allocations",
    )
    .await;
    let prob = assert_problem(post(&app, t, "/api/v1/payments", Some(pay(json!([{"invoice_id": id(&a), "amount": 100}, {"invoice_id": id(&eur), "amount": 100}]), 1_000))).await, 422).await;
    assert_eq!(
        prob["errors"][0]["field"], "allocations[1].invoice_id",
        "{prob}"
    );
    let prob = assert_problem(
        post(
            &app,
            t,
            "/api/v1/payments",
            Some(pay(
                json!([{"invoice_id": id(&theirs), "amount": 100}]),
                1_000,
            )),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(
        prob["errors"][0]["field"], "allocations[0].invoice_id",
        "{prob}"
    );
    assert_problem(
        post(
            &app,
            t,
            "/api/v1/payments",
            Some(pay(json!([{"invoice_id": id(&dr), "amount": 100}]), 1_000)),
        )
        .await,
        409,
    )
    .await;
    assert_problem(
        post(
            &app,
            t,
            "/api/v1/payments",
            Some(pay(json!([{"invoice_id": id(&a), "amount": 3_001}]), 5_000)),
        )
        .await,
        409,
    )
    .await;
    // Nothing moved.
    assert_eq!(invoice(&app, t, &id(&a)).await["amount_paid"], 0);
    // A payment of 5,000: 1,000 to A now, more later.
    let p = create_as(
        &app,
        t,
        "/api/v1/payments",
        pay(json!([{"invoice_id": id(&a), "amount": 1_000}]), 5_000),
    )
    .await;
    let pid = id(&p);
    assert_eq!(
        (
            p["allocated_amount"].as_i64(),
            p["unapplied_amount"].as_i64()
        ),
        (Some(1_000), Some(4_000))
    );
    let p2 = json_of(
        post(
            &app,
            t,
            &format!("/api/v1/payments/{pid}/allocations"),
            Some(json!({"invoice_id": id(&bi), "amount": 2_000})),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(p2["unapplied_amount"], 2_000);
    assert_eq!(invoice(&app, t, &id(&bi)).await["payment_status"], "paid");
    refused(
        post(
            &app,
            t,
            &format!("/api/v1/payments/{pid}/allocations"),
            Some(json!({"invoice_id": id(&a), "amount": 2_001})),
        )
        .await,
        "amount",
    )
    .await;
    // An invoice with payments cannot be voided.
    assert_problem(
        post(
            &app,
            t,
            &format!("/api/v1/invoices/{}/void", id(&bi)),
            Some(json!({"reason": "no"})),
        )
        .await,
        409,
    )
    .await;
    // Deallocation puts the money back.
    let alloc = p2["allocations"][1]["id"].as_str().unwrap().to_string();
    let res = app
        .send_as(
            Method::DELETE,
            t,
            &format!("/api/v1/payments/{pid}/allocations/{alloc}"),
            None,
        )
        .await;
    assert_eq!(res.status(), 204);
    let b_after = invoice(&app, t, &id(&bi)).await;
    assert_eq!(
        (
            b_after["payment_status"].as_str(),
            b_after["balance_due"].as_i64()
        ),
        (Some("unpaid"), Some(2_000))
    );
    let res = app
        .send_as(
            Method::DELETE,
            t,
            &format!("/api/v1/payments/{pid}/allocations/{alloc}"),
            None,
        )
        .await;
    assert_eq!(res.status(), 404);
    // Refunds: at most the unapplied amount (4,000 now).
    refused(
        post(
            &app,
            t,
            &format!("/api/v1/payments/{pid}/refunds"),
            Some(json!({"amount": 4_001, "refunded_on": "2026-03-20"})),
        )
        .await,
        "amount",
    )
    .await;
    let r = json_of(
        post(
            &app,
            t,
            &format!("/api/v1/payments/{pid}/refunds"),
            Some(json!({"amount": 1_500, "refunded_on": "2026-03-20", "reference": "RF-1"})),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(
        (
            r["refunded_amount"].as_i64(),
            r["unapplied_amount"].as_i64()
        ),
        (Some(1_500), Some(2_500))
    );
    assert_eq!(r["refunds"][0]["reference"], "RF-1");
    // Details can change; money fields cannot.
    assert_problem(
        app.send_as(
            Method::PATCH,
            t,
            &format!("/api/v1/payments/{pid}"),
            Some(&json!({"amount": 1})),
        )
        .await,
        422,
    )
    .await;
    assert_concurrent_patches(
        &app,
        t,
        &format!("/api/v1/payments/{pid}"),
        |v| json!({"reference": v}),
        |r| r["reference"].as_str().unwrap_or_default().to_string(),
    )
    .await;
    // Filters.
    let l = json_of(
        app.get_as(
            t,
            &format!("/api/v1/payments?client_id={c}&method=bank_transfer"),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(l["data"].as_array().unwrap().len(), 1);
    // Deleting the payment restores every balance.
    let res = app
        .send_as(Method::DELETE, t, &format!("/api/v1/payments/{pid}"), None)
        .await;
    assert_eq!(res.status(), 204);
    let a_after = invoice(&app, t, &id(&a)).await;
    assert_eq!(
        (
            a_after["amount_paid"].as_i64(),
            a_after["balance_due"].as_i64(),
            a_after["payment_status"].as_str()
        ),
        (Some(0), Some(3_000), Some("unpaid"))
    );
    assert_eq!(
        app.get_as(t, &format!("/api/v1/payments/{pid}"))
            .await
            .status(),
        404
    );
    app.stop().await;
});

backend_tests!(credit_notes_lower_the_balance, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Credit Co").await;
    let t = admin.access.as_str();
    let c = client(&app, t, "Credited").await;
    let inv = issued(&app, t, &c, 10_000, "USD").await;
    let iid = id(&inv);
    let line = |amount: i64| json!([{"description": "Refund of work", "quantity": 1, "unit_price": amount}]);
    refused(
        post(
            &app,
            t,
            &format!("/api/v1/invoices/{iid}/credit-notes"),
            Some(json!({"reason": "too much", "items": line(10_001)})),
        )
        .await,
        "items",
    )
    .await;
    let d = draft(&app, t, &c, 100, "USD").await;
    assert_problem(
        post(
            &app,
            t,
            &format!("/api/v1/invoices/{}/credit-notes", id(&d)),
            Some(json!({"reason": "draft", "items": line(10)})),
        )
        .await,
        409,
    )
    .await;
    let cn = json_of(
        post(
            &app,
            t,
            &format!("/api/v1/invoices/{iid}/credit-notes"),
            Some(json!({"reason": "Two hours not delivered", "items": line(4_000)})),
        )
        .await,
        201,
    )
    .await;
    assert!(cn["number"].as_str().unwrap().starts_with("CN-"), "{cn}");
    assert!(cn["number"].as_str().unwrap().ends_with("-0001"), "{cn}");
    assert_eq!(
        (
            cn["total"].as_i64(),
            cn["invoice_id"].as_str(),
            cn["client_id"].as_str()
        ),
        (Some(4_000), Some(iid.as_str()), Some(c.as_str()))
    );
    let after = invoice(&app, t, &iid).await;
    assert_eq!(
        (
            after["amount_credited"].as_i64(),
            after["balance_due"].as_i64(),
            after["payment_status"].as_str()
        ),
        (Some(4_000), Some(6_000), Some("partially_paid"))
    );
    // A payment for the rest settles it: paid by payments and credit notes together.
    create_as(&app, t, "/api/v1/payments", json!({"client_id": c, "amount": 6_000, "currency": "USD", "method": "cash", "allocations": [{"invoice_id": iid, "amount": 6_000}]})).await;
    let after = invoice(&app, t, &iid).await;
    assert_eq!(
        (
            after["balance_due"].as_i64(),
            after["payment_status"].as_str()
        ),
        (Some(0), Some("paid"))
    );
    assert_problem(
        post(
            &app,
            t,
            &format!("/api/v1/invoices/{iid}/credit-notes"),
            Some(json!({"reason": "more", "items": line(1)})),
        )
        .await,
        422,
    )
    .await;
    let got = json_of(
        app.get_as(t, &format!("/api/v1/credit-notes/{}", id(&cn)))
            .await,
        200,
    )
    .await;
    assert_eq!(got["reason"], "Two hours not delivered");
    let list = json_of(
        app.get_as(t, &format!("/api/v1/credit-notes?invoice_id={iid}"))
            .await,
        200,
    )
    .await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    app.stop().await;
});

backend_tests!(invoices_from_accepted_quotations_once, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Quote To Cash").await;
    let t = admin.access.as_str();
    let c = client(&app, t, "Buyer").await;
    let q = create_as(
        &app,
        t,
        "/api/v1/quotations",
        json!({"client_id": c, "currency": "EUR", "valid_until": "2099-12-31", "items": [
            {"description": "Setup", "quantity": 2, "unit_price": 5_000, "tax_rate": 2000},
            {"description": "Hours", "quantity": "1.5", "unit_price": 333, "tax_rate": 1800}
        ]}),
    )
    .await;
    let qid = id(&q);
    let path = format!("/api/v1/quotations/{qid}/invoice");
    assert_problem(post(&app, t, &path, None).await, 409).await;
    json_of(
        post(&app, t, &format!("/api/v1/quotations/{qid}/send"), None).await,
        200,
    )
    .await;
    json_of(
        post(&app, t, &format!("/api/v1/quotations/{qid}/accept"), None).await,
        200,
    )
    .await;
    let res = post(&app, t, &path, None).await;
    assert!(
        res.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/api/v1/invoices/")
    );
    let inv = json_of(res, 201).await;
    assert_eq!(
        (
            inv["status"].as_str(),
            inv["quotation_id"].as_str(),
            inv["client_id"].as_str(),
            inv["currency"].as_str()
        ),
        (
            Some("draft"),
            Some(qid.as_str()),
            Some(c.as_str()),
            Some("EUR")
        )
    );
    assert_eq!(inv["items"], q["items"]);
    assert_eq!(inv["total"], q["total"]);
    assert_problem(post(&app, t, &path, None).await, 409).await;
    // The quotation stays readable; a missing one is 404.
    let missing = format!("/api/v1/quotations/{}/invoice", uuid::Uuid::now_v7());
    assert_problem(post(&app, t, &missing, None).await, 404).await;
    app.stop().await;
});

/// The invoices made from template `id`, oldest period first.
async fn made_by(app: &TestApp, t: &str, id: &str) -> Vec<Value> {
    let page = json_of(
        app.get_as(
            t,
            &format!("/api/v1/invoices?recurring_invoice_id={id}&sort=issue_date&limit=200"),
        )
        .await,
        200,
    )
    .await;
    page["data"].as_array().unwrap().clone()
}

/// Polls until template `id` made `n` invoices (10 s at most).
async fn wait_for(app: &TestApp, t: &str, id: &str, n: usize) -> Vec<Value> {
    for _ in 0..100 {
        let made = made_by(app, t, id).await;
        if made.len() >= n {
            return made;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    made_by(app, t, id).await
}

backend_tests!(
    recurring_invoices_catch_up_once_and_keep_their_anchor_day,
    |b| async move {
        let app = spawn_app_with(b, &[("CRM__JOBS__POLL_SECS", "1")]).await;
        let admin = app.register_admin("Retainers").await;
        // A second instance on the same database polls too: still one invoice per date. (Started
        // after the registration, whose code mail either instance's outbox could send.)
        let db = app.db.shared();
        let settings = test_settings(&db.url, db.dir(), &[("CRM__JOBS__POLL_SECS", "1")]);
        let two = start_on(db, settings).await;
        let t = admin.access.as_str();
        let c = client(&app, t, "Subscriber").await;
        let today = chrono::Utc::now().date_naive();
        let start = today.checked_sub_months(chrono::Months::new(3)).unwrap();
        let line = json!([{"description": "Retainer", "quantity": 1, "unit_price": 250_000, "tax_rate": 1000}]);
        // Started three periods ago: the start and three more dates are due, each its own invoice.
        let tpl = create_as(&app, t, "/api/v1/recurring-invoices", json!({
        "client_id": c, "currency": "USD", "frequency": "monthly", "start_date": start.to_string(),
        "payment_terms_days": 14, "items": line
    })).await;
        assert_eq!(
            (
                tpl["status"].as_str(),
                tpl["next_issue_date"].as_str(),
                tpl["auto_issue"].as_bool()
            ),
            (Some("active"), Some(start.to_string().as_str()), Some(true))
        );
        let tid = id(&tpl);
        let made = wait_for(&app, t, &tid, 4).await;
        // Several more polls of both instances make nothing more.
        tokio::time::sleep(std::time::Duration::from_secs(3)).await;
        let made_after = made_by(&app, t, &tid).await;
        assert_eq!(made_after.len(), 4, "{made_after:?}");
        assert_eq!(made.len(), 4);
        let expected: Vec<String> = (0..4)
            .map(|n| {
                start
                    .checked_add_months(chrono::Months::new(n))
                    .unwrap()
                    .to_string()
            })
            .collect();
        let periods: Vec<String> = made_after
            .iter()
            .map(|i| i["period_start"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(periods, expected);
        for i in &made_after {
            assert_eq!(i["status"], "issued", "{i}");
            assert_eq!(i["issue_date"], i["period_start"]);
            assert_eq!(i["total"], 275_000);
            assert!(i["number"].as_str().unwrap().starts_with("INV-"));
        }
        let numbers: BTreeSet<&str> = made_after
            .iter()
            .map(|i| i["number"].as_str().unwrap())
            .collect();
        assert_eq!(numbers.len(), 4);
        let tpl = json_of(
            app.get_as(t, &format!("/api/v1/recurring-invoices/{tid}"))
                .await,
            200,
        )
        .await;
        assert_eq!(tpl["occurrences_done"], 4);
        assert_eq!(
            tpl["next_issue_date"],
            start
                .checked_add_months(chrono::Months::new(4))
                .unwrap()
                .to_string()
        );
        // The schedule is fixed once invoices were made.
        let res = app
            .send_as(
                Method::PATCH,
                t,
                &format!("/api/v1/recurring-invoices/{tid}"),
                Some(&json!({"frequency": "weekly"})),
            )
            .await;
        assert_problem(res, 409).await;

        // Months keep their day: from Jan 31, Feb 28 and Mar 31; three occurrences, then completed.
        let anchored = create_as(&app, t, "/api/v1/recurring-invoices", json!({
        "client_id": c, "currency": "USD", "frequency": "monthly", "start_date": "2026-01-31",
        "max_occurrences": 3, "auto_issue": false, "items": line
    })).await;
        let aid = id(&anchored);
        let made = wait_for(&app, t, &aid, 3).await;
        let periods: Vec<&str> = made
            .iter()
            .map(|i| i["period_start"].as_str().unwrap())
            .collect();
        assert_eq!(periods, ["2026-01-31", "2026-02-28", "2026-03-31"]);
        assert!(
            made.iter()
                .all(|i| i["status"] == "draft" && i["number"].is_null()),
            "{made:?}"
        );
        let done = json_of(
            app.get_as(t, &format!("/api/v1/recurring-invoices/{aid}"))
                .await,
            200,
        )
        .await;
        assert_eq!(
            (done["status"].as_str(), done["next_issue_date"].is_null()),
            (Some("completed"), true)
        );
        assert_problem(
            post(
                &app,
                t,
                &format!("/api/v1/recurring-invoices/{aid}/pause"),
                None,
            )
            .await,
            409,
        )
        .await;

        // Paused templates make nothing; resuming skips what fell due meanwhile.
        let weekly = create_as(&app, t, "/api/v1/recurring-invoices", json!({
        "client_id": c, "frequency": "weekly", "start_date": (today + chrono::Duration::days(7)).to_string(), "items": line
    })).await;
        let wid = id(&weekly);
        let p = json_of(
            post(
                &app,
                t,
                &format!("/api/v1/recurring-invoices/{wid}/pause"),
                None,
            )
            .await,
            200,
        )
        .await;
        assert_eq!(p["status"], "paused");
        let r = json_of(
            post(
                &app,
                t,
                &format!("/api/v1/recurring-invoices/{wid}/resume"),
                None,
            )
            .await,
            200,
        )
        .await;
        assert_eq!(
            (r["status"].as_str(), r["occurrences_done"].as_i64()),
            (Some("active"), Some(0))
        );
        let res = app
            .send_as(
                Method::PATCH,
                t,
                &format!("/api/v1/recurring-invoices/{wid}"),
                Some(&json!({"end_date": "2020-01-01"})),
            )
            .await;
        let prob = assert_problem(res, 422).await;
        assert_eq!(prob["errors"][0]["field"], "end_date", "{prob}");
        assert_concurrent_patches(
            &app,
            t,
            &format!("/api/v1/recurring-invoices/{wid}"),
            |v| json!({"notes": v}),
            |r| r["notes"].as_str().unwrap_or_default().to_string(),
        )
        .await;
        two.stop().await;
        app.stop().await;
    }
);

/// An invoice of `amount` issued on `issue_date` with `terms` days to pay.
async fn issued_on(
    app: &TestApp,
    t: &str,
    c: &str,
    amount: i64,
    currency: &str,
    issue_date: &str,
    terms: i64,
) -> String {
    let d = create_as(app, t, "/api/v1/invoices", json!({"client_id": c, "currency": currency, "issue_date": issue_date, "payment_terms_days": terms, "items": [{"description": "Work", "quantity": 1, "unit_price": amount}]})).await;
    let i = json_of(
        post(app, t, &format!("/api/v1/invoices/{}/issue", id(&d)), None).await,
        200,
    )
    .await;
    id(&i)
}

backend_tests!(receivables_and_revenue_reports, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Reports Co").await;
    let t = admin.access.as_str();
    let c = client(&app, t, "Aged").await;
    // As of 2026-06-30: due 07-20 (current), 06-19 (11 days), 05-01 (60 days, EUR),
    // 04-01 (90 days), 01-10 (171 days, partly paid).
    issued_on(&app, t, &c, 1_000, "USD", "2026-06-20", 30).await;
    issued_on(&app, t, &c, 2_000, "USD", "2026-05-20", 30).await;
    issued_on(&app, t, &c, 3_000, "USD", "2026-04-01", 0).await;
    let old = issued_on(&app, t, &c, 4_000, "USD", "2026-01-10", 0).await;
    let eur = issued_on(&app, t, &c, 500, "EUR", "2026-05-01", 0).await;
    let paid = issued_on(&app, t, &c, 700, "USD", "2026-02-01", 0).await;
    issued_on(&app, t, &c, 9_000, "USD", "2026-07-05", 0).await;
    draft(&app, t, &c, 50_000, "USD").await;
    let pay = |amount: i64, on: &str, allocations: Value| json!({"client_id": c, "amount": amount, "currency": "USD", "method": "bank_transfer", "received_on": on, "allocations": allocations});
    create_as(
        &app,
        t,
        "/api/v1/payments",
        pay(
            1_500,
            "2026-02-15",
            json!([{"invoice_id": old, "amount": 1_500}]),
        ),
    )
    .await;
    create_as(
        &app,
        t,
        "/api/v1/payments",
        pay(
            700,
            "2026-02-01",
            json!([{"invoice_id": paid, "amount": 700}]),
        ),
    )
    .await;
    let spare = create_as(
        &app,
        t,
        "/api/v1/payments",
        pay(600, "2026-03-10", json!([])),
    )
    .await;
    json_of(
        post(
            &app,
            t,
            &format!("/api/v1/payments/{}/refunds", id(&spare)),
            Some(json!({"amount": 200, "refunded_on": "2026-04-05"})),
        )
        .await,
        201,
    )
    .await;
    json_of(post(&app, t, &format!("/api/v1/invoices/{eur}/credit-notes"), Some(json!({"reason": "r", "issue_date": "2026-05-10", "items": [{"description": "c", "quantity": 1, "unit_price": 100}]}))).await, 201).await;

    let r = json_of(
        app.get_as(t, "/api/v1/reports/receivables?as_of=2026-06-30")
            .await,
        200,
    )
    .await;
    assert_eq!(r["as_of"], "2026-06-30");
    assert_eq!(
        r["currencies"],
        json!([
            {"currency": "EUR", "current": 0, "days_1_30": 0, "days_31_60": 400, "days_61_90": 0, "days_over_90": 0, "total": 400},
            {"currency": "USD", "current": 1_000, "days_1_30": 2_000, "days_31_60": 0, "days_61_90": 3_000, "days_over_90": 2_500, "total": 8_500}
        ])
    );
    // Today: everything issued counts.
    let now = json_of(app.get_as(t, "/api/v1/reports/receivables").await, 200).await;
    let usd = now["currencies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["currency"] == "USD")
        .unwrap()
        .clone();
    assert_eq!(usd["total"], 17_500);

    let q = json_of(
        app.get_as(
            t,
            "/api/v1/reports/revenue?from=2026-01-01&to=2026-06-30&interval=quarter",
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        q["series"],
        json!([
            {"period": "2026-Q1", "currency": "USD", "invoiced": 4_700, "credited": 0, "collected": 2_800},
            {"period": "2026-Q2", "currency": "EUR", "invoiced": 500, "credited": 100, "collected": 0},
            {"period": "2026-Q2", "currency": "USD", "invoiced": 6_000, "credited": 0, "collected": -200}
        ])
    );
    let m = json_of(
        app.get_as(t, "/api/v1/reports/revenue?from=2026-01-01&to=2026-06-30")
            .await,
        200,
    )
    .await;
    let periods: BTreeSet<&str> = m["series"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["period"].as_str().unwrap())
        .collect();
    assert_eq!(
        periods,
        [
            "2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"
        ]
        .into_iter()
        .collect()
    );
    refused(
        app.get_as(t, "/api/v1/reports/revenue?from=2026-02-01&to=2026-01-01")
            .await,
        "to",
    )
    .await;
    refused(
        app.get_as(t, "/api/v1/reports/revenue?interval=week").await,
        "interval",
    )
    .await;
    // Reports are finance's: an employee may not read them.
    let employee = app.user_with_roles(&admin, &["employee"]).await;
    assert_problem(
        app.get_as(&employee.access, "/api/v1/reports/receivables")
            .await,
        403,
    )
    .await;
    app.stop().await;
});

backend_tests!(
    overdue_invoices_are_told_once_to_the_clients_owner,
    |b| async move {
        let app = spawn_app_with(b, &[("CRM__JOBS__POLL_SECS", "1")]).await;
        let admin = app.register_admin("Late Payers").await;
        let t = admin.access.as_str();
        let seller = app.user_with_roles(&admin, &["sales"]).await;
        let c = id(&create_as(
            &app,
            t,
            "/api/v1/clients",
            json!({"name": "Slow Payer", "kind": "company", "owner_id": seller.user_id}),
        )
        .await);
        let late = issued_on(&app, t, &c, 1_000, "USD", "2026-01-01", 0).await;
        let today = chrono::Utc::now().date_naive().to_string();
        let on_time = issued_on(&app, t, &c, 1_000, "USD", &today, 30).await;
        let paid = issued_on(&app, t, &c, 500, "USD", "2026-01-01", 0).await;
        create_as(&app, t, "/api/v1/payments", json!({"client_id": c, "amount": 500, "currency": "USD", "method": "cash", "allocations": [{"invoice_id": paid, "amount": 500}]})).await;
        let told = || async {
            let ev = json_of(
                app.get_as(t, "/api/v1/events?type=invoice.overdue&limit=200")
                    .await,
                200,
            )
            .await;
            ev["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["record_id"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        };
        let mut seen = Vec::new();
        for _ in 0..100 {
            seen = told().await;
            if !seen.is_empty() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        // Several more polls tell nobody twice.
        tokio::time::sleep(std::time::Duration::from_secs(3)).await;
        assert_eq!(told().await, std::slice::from_ref(&late));
        assert_eq!(seen, std::slice::from_ref(&late));
        assert!(!seen.contains(&on_time) && !seen.contains(&paid));
        let mine = json_of(
            app.get_as(&seller.access, "/api/v1/notifications").await,
            200,
        )
        .await;
        let overdue: Vec<&Value> = mine["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["type"] == "invoice.overdue")
            .collect();
        assert_eq!(overdue.len(), 1, "{mine}");
        assert_eq!(overdue[0]["record_id"], late.as_str());
        app.stop().await;
    }
);

backend_tests!(
    recurring_templates_that_auto_send_mail_each_invoice_once,
    |b| async move {
        let app = spawn_app_with(b, &[("CRM__JOBS__POLL_SECS", "1")]).await;
        let admin = app.register_admin("Subscriptions").await;
        let db = app.db.shared();
        let settings = test_settings(&db.url, db.dir(), &[("CRM__JOBS__POLL_SECS", "1")]);
        let two = start_on(db, settings).await;
        let t = admin.access.as_str();
        let c = id(&create_as(
            &app,
            t,
            "/api/v1/clients",
            json!({"name": "Mailed Inc", "kind": "company", "email": "billing@mailed.example"}),
        )
        .await);
        let silent = client(&app, t, "No Address Ltd").await;
        let start = chrono::Utc::now()
            .date_naive()
            .checked_sub_months(chrono::Months::new(2))
            .unwrap();
        let line = json!([{"description": "Plan", "quantity": 1, "unit_price": 9_900}]);
        let body = |client: &str| {
            json!({"client_id": client, "currency": "USD", "frequency": "monthly",
                   "start_date": start.to_string(), "auto_send": true, "items": line})
        };
        let mailed = id(&create_as(&app, t, "/api/v1/recurring-invoices", body(&c)).await);
        let unmailed = id(&create_as(&app, t, "/api/v1/recurring-invoices", body(&silent)).await);
        let made = wait_for(&app, t, &mailed, 3).await;
        wait_for(&app, t, &unmailed, 3).await;
        // More polls of both instances send nothing more.
        tokio::time::sleep(std::time::Duration::from_secs(3)).await;
        assert_eq!(made.len(), 3);
        let made = made_by(&app, t, &mailed).await;
        // Either instance's outbox relay may send a mail, each into its own folder.
        let dirs = [app.mail_dir(), two.mail_dir()];
        let mailed_to_client = || {
            dirs.iter()
                .flat_map(|d| crate::mailbox::files(d))
                .filter(|m| m.contains("billing@mailed.example"))
                .collect::<Vec<String>>()
        };
        for _ in 0..100 {
            if mailed_to_client().len() >= 3 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let to_client = mailed_to_client();
        assert_eq!(to_client.len(), 3, "one mail per invoice");
        for i in &made {
            assert_eq!(i["status"], "issued", "{i}");
            assert!(i["sent_at"].is_string(), "{i}");
            let number = i["number"].as_str().unwrap();
            let mails: Vec<&String> = to_client
                .iter()
                .filter(|m| m.contains(&format!("{number}.pdf")))
                .collect();
            assert_eq!(mails.len(), 1, "{number}");
            assert!(mails[0].contains("application/pdf"));
        }
        let sent = json_of(
            app.get_as(t, "/api/v1/events?type=invoice.sent&limit=200")
                .await,
            200,
        )
        .await;
        assert_eq!(sent["data"].as_array().unwrap().len(), 3, "{sent}");
        // The client without an address: invoices made and issued, none sent.
        let not_sent = made_by(&app, t, &unmailed).await;
        assert_eq!(not_sent.len(), 3);
        assert!(
            not_sent
                .iter()
                .all(|i| i["sent_at"].is_null() && i["status"] == "issued")
        );
        two.stop().await;
        app.stop().await;
    }
);

backend_tests!(invoices_are_mailed_with_their_pdf, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Mailing Co").await;
    let t = admin.access.as_str();
    let c = id(&create_as(
        &app,
        t,
        "/api/v1/clients",
        json!({"name": "Globex", "kind": "company", "email": "ap@globex.example"}),
    )
    .await);
    let silent = client(&app, t, "No Mail Ltd").await;
    let inv = issued(&app, t, &c, 12_345, "USD").await;
    let iid = id(&inv);
    let number = inv["number"].as_str().unwrap().to_string();
    let mail_with = |needle: String| {
        let dir = app.mail_dir();
        async move {
            for _ in 0..100 {
                if let Some(m) = crate::mailbox::files(&dir)
                    .into_iter()
                    .find(|m| m.contains(&needle))
                {
                    return m;
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            panic!("no mail with {needle}");
        }
    };
    // No body: to the client's address.
    let sent = json_of(
        post(&app, t, &format!("/api/v1/invoices/{iid}/send"), None).await,
        200,
    )
    .await;
    assert!(sent["sent_at"].is_string(), "{sent}");
    assert_eq!(sent["version"], inv["version"].as_i64().unwrap() + 1);
    let m = mail_with("ap@globex.example".into()).await;
    assert!(
        m.contains(&format!("Invoice {number} from Mailing Co")),
        "{m}"
    );
    assert!(m.contains("application/pdf"), "{m}");
    assert!(m.contains(&format!("{number}.pdf")), "{m}");
    assert!(m.contains("123.45 USD"), "{m}");
    // Another recipient.
    json_of(
        post(
            &app,
            t,
            &format!("/api/v1/invoices/{iid}/send"),
            Some(json!({"to": "cfo@globex.example"})),
        )
        .await,
        200,
    )
    .await;
    mail_with("cfo@globex.example".into()).await;
    refused(
        post(
            &app,
            t,
            &format!("/api/v1/invoices/{iid}/send"),
            Some(json!({"to": "not an address"})),
        )
        .await,
        "to",
    )
    .await;
    // Only issued invoices; a client without an address needs `to`.
    let d = draft(&app, t, &c, 100, "USD").await;
    assert_problem(
        post(&app, t, &format!("/api/v1/invoices/{}/send", id(&d)), None).await,
        409,
    )
    .await;
    let theirs = issued(&app, t, &silent, 100, "USD").await;
    refused(
        post(
            &app,
            t,
            &format!("/api/v1/invoices/{}/send", id(&theirs)),
            Some(json!({})),
        )
        .await,
        "to",
    )
    .await;
    let ev = json_of(
        app.get_as(
            t,
            &format!("/api/v1/events?type=invoice.sent&record_id={iid}"),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(ev["data"].as_array().unwrap().len(), 2);
    app.stop().await;
});

backend_tests!(
    the_client_timeline_shows_invoices_payments_and_credit_notes,
    |b| async move {
        let app = spawn_app(b).await;
        let admin = app.register_admin("Timeline Co").await;
        let t = admin.access.as_str();
        let c = client(&app, t, "Busy Client").await;
        let d = draft(&app, t, &c, 100, "USD").await;
        let i = issued(&app, t, &c, 5_000, "USD").await;
        let number = i["number"].as_str().unwrap().to_string();
        create_as(&app, t, "/api/v1/payments", json!({"client_id": c, "amount": 1_000, "currency": "USD", "method": "card", "reference": "TRX-77", "allocations": [{"invoice_id": id(&i), "amount": 1_000}]})).await;
        let cn = json_of(post(&app, t, &format!("/api/v1/invoices/{}/credit-notes", id(&i)), Some(json!({"reason": "r", "items": [{"description": "c", "quantity": 1, "unit_price": 500}]}))).await, 201).await;
        let timeline = |token: String, kind: &'static str| {
            let url = if kind.is_empty() {
                format!("/api/v1/clients/{c}/timeline?limit=200")
            } else {
                format!("/api/v1/clients/{c}/timeline?kind={kind}")
            };
            let app = &app;
            async move {
                json_of(app.get_as(&token, &url).await, 200).await["data"]
                    .as_array()
                    .unwrap()
                    .clone()
            }
        };
        let invoices = timeline(t.to_string(), "invoice").await;
        let titles: BTreeSet<&str> = invoices
            .iter()
            .map(|x| x["title"].as_str().unwrap())
            .collect();
        assert_eq!(titles, [number.as_str(), "draft"].into_iter().collect());
        let issued_entry = invoices.iter().find(|x| x["id"] == i["id"]).unwrap();
        assert_eq!(
            (
                issued_entry["data"]["status"].as_str(),
                issued_entry["data"]["total"].as_i64()
            ),
            (Some("issued"), Some(5_000))
        );
        assert!(invoices.iter().any(|x| x["id"] == d["id"]));
        let payments = timeline(t.to_string(), "payment").await;
        assert_eq!(
            (
                payments.len(),
                payments[0]["title"].as_str(),
                payments[0]["data"]["amount"].as_i64()
            ),
            (1, Some("TRX-77"), Some(1_000))
        );
        let notes = timeline(t.to_string(), "credit_note").await;
        assert_eq!(
            (notes.len(), notes[0]["title"].as_str()),
            (1, cn["number"].as_str())
        );
        // All kinds together, newest first, the finance entries among them.
        let all = timeline(t.to_string(), "").await;
        let kinds: BTreeSet<&str> = all.iter().map(|x| x["kind"].as_str().unwrap()).collect();
        assert!(
            ["invoice", "payment", "credit_note", "activity"]
                .iter()
                .all(|k| kinds.contains(k)),
            "{kinds:?}"
        );
        // Without finance's read permissions: none of them.
        let seller = app.user_with_roles(&admin, &["sales"]).await;
        let seen = timeline(seller.access.clone(), "").await;
        assert!(
            seen.iter()
                .all(|x| !["invoice", "payment", "credit_note"]
                    .contains(&x["kind"].as_str().unwrap())),
            "{seen:?}"
        );
        app.stop().await;
    }
);
