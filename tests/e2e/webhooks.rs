//! Webhooks (contract section 5): signed deliveries to a real HTTP receiver in the test, each
//! signature checked with the published Standard Webhooks library (`standardwebhooks`).

use crate::backend_tests;
use crate::helpers::*;
use crate::identity_support::{create_as, expect_json};
use actix_web::{HttpRequest, HttpResponse, web};
use reqwest::Method;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One request the receiver got.
#[derive(Clone, Debug)]
pub(crate) struct Hit {
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// What the receiver answered.
    pub(crate) status: u16,
}

impl Hit {
    pub(crate) fn header(&self, name: &str) -> String {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    /// Whether the published Standard Webhooks verifier accepts it under `secret`.
    pub(crate) fn verifies_with(&self, secret: &str) -> bool {
        let wh = standardwebhooks::Webhook::new(secret).unwrap();
        let mut h = HeaderMap::new();
        for (k, v) in &self.headers {
            h.insert(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        wh.verify(&self.body, &h).is_ok()
    }
}

/// A real HTTP server on 127.0.0.1 that records every request and answers the scripted
/// statuses in turn, then `fallback`.
#[derive(Clone)]
pub(crate) struct Receiver {
    pub(crate) url: String,
    hits: Arc<Mutex<Vec<Hit>>>,
    script: Arc<Mutex<VecDeque<u16>>>,
    fallback: Arc<Mutex<u16>>,
}

impl Receiver {
    pub(crate) async fn start(script: &[u16], fallback: u16) -> Receiver {
        Self::start_on(0, script, fallback).await
    }

    /// As [`Receiver::start`], on `port` (0: any free one): a receiver that was down comes
    /// back where its subscription points.
    pub(crate) async fn start_on(port: u16, script: &[u16], fallback: u16) -> Receiver {
        let listener = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let r = Receiver {
            url: format!("http://127.0.0.1:{port}/hook"),
            hits: Arc::default(),
            script: Arc::new(Mutex::new(script.iter().copied().collect())),
            fallback: Arc::new(Mutex::new(fallback)),
        };
        let state = r.clone();
        let server = actix_web::HttpServer::new(move || {
            let state = state.clone();
            actix_web::App::new().default_service(web::to(
                move |req: HttpRequest, body: web::Bytes| {
                    let state = state.clone();
                    async move {
                        let headers = req
                            .headers()
                            .iter()
                            .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").into()))
                            .collect();
                        let code = state
                            .script
                            .lock()
                            .unwrap()
                            .pop_front()
                            .unwrap_or(*state.fallback.lock().unwrap());
                        state.hits.lock().unwrap().push(Hit {
                            headers,
                            body: body.to_vec(),
                            status: code,
                        });
                        HttpResponse::build(actix_web::http::StatusCode::from_u16(code).unwrap())
                            .body("ok")
                    }
                },
            ))
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        tokio::spawn(server);
        r
    }

    pub(crate) fn hits(&self) -> Vec<Hit> {
        self.hits.lock().unwrap().clone()
    }

    /// Waits (up to 20 s) until at least `n` requests came.
    async fn wait_for(&self, n: usize) -> Vec<Hit> {
        self.wait_until(|hits| hits.len() >= n).await
    }

    /// Waits (up to 20 s) until the requests so far satisfy `done`.
    pub(crate) async fn wait_until(&self, done: impl Fn(&[Hit]) -> bool) -> Vec<Hit> {
        for _ in 0..200 {
            let hits = self.hits();
            if done(&hits) {
                return hits;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "the receiver did not get what was expected: {:?}",
            self.hits()
        );
    }
}

pub(crate) const FAST: &[(&str, &str)] = &[
    ("CRM__WEBHOOKS__ALLOW_PRIVATE_TARGETS", "true"),
    ("CRM__WEBHOOKS__RETRY_SCHEDULE_SECS", "1,1"),
    ("CRM__WEBHOOKS__POLL_MILLIS", "100"),
];

pub(crate) async fn subscribe(app: &TestApp, s: &Session, url: &str, types: Value) -> Value {
    create_as(
        app,
        &s.access,
        "/api/v1/webhooks",
        json!({"url": url, "event_types": types, "description": "test receiver"}),
    )
    .await
}

pub(crate) async fn deliveries(app: &TestApp, s: &Session, hook: &str) -> Vec<Value> {
    let page = expect_json(
        app.get_as(&s.access, &format!("/api/v1/webhooks/{hook}/deliveries"))
            .await,
        200,
    )
    .await;
    page["data"].as_array().unwrap().clone()
}

/// Waits (up to 20 s) until the hook's newest delivery is in `status`.
async fn wait_status(app: &TestApp, s: &Session, hook: &str, status: &str) -> Value {
    for _ in 0..200 {
        let d = deliveries(app, s, hook).await;
        if let Some(first) = d.first()
            && first["status"] == status
        {
            return first.clone();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no {status} delivery: {:?}", deliveries(app, s, hook).await);
}

pub(crate) async fn lead(app: &TestApp, s: &Session, name: &str) -> Value {
    create_as(
        app,
        &s.access,
        "/api/v1/leads",
        json!({"name": name, "email": format!("{}@hooks.example", name.to_lowercase())}),
    )
    .await
}

backend_tests!(
    a_created_lead_is_delivered_signed_as_its_event,
    |b| async move {
        let app = spawn_app_with(b, FAST).await;
        let a = app.register_admin("Hooks A").await;
        let rx = Receiver::start(&[], 204).await;
        let hook = subscribe(&app, &a, &rx.url, json!(["lead.created"])).await;
        let secret = hook["secret"].as_str().unwrap().to_string();
        assert!(secret.starts_with("whsec_"), "{hook}");
        let key = base64_len(&secret[6..]);
        assert!((24..=32).contains(&key), "{key} key bytes");
        let id = hook["id"].as_str().unwrap().to_string();
        assert_eq!(hook["is_active"], true);
        assert_eq!(hook["version"], 1);

        let made = lead(&app, &a, "Ann").await;
        let hits = rx.wait_for(1).await;
        let hit = &hits[0];
        assert!(hit.verifies_with(&secret), "{hit:?}");
        assert_eq!(hit.header("content-type"), "application/json");
        let body = hit.json();
        assert_eq!(body["type"], "lead.created");
        assert_eq!(body["record_id"], made["id"]);
        assert_eq!(body["data"]["name"], "Ann");
        // The same shape as `GET /events`, and `webhook-id` is the event id.
        let events = expect_json(
            app.get_as(&a.access, "/api/v1/events?type=lead.created")
                .await,
            200,
        )
        .await;
        assert_eq!(events["data"][0], body);
        assert_eq!(hit.header("webhook-id"), body["id"].as_str().unwrap());
        let ts: i64 = hit.header("webhook-timestamp").parse().unwrap();
        assert!((chrono::Utc::now().timestamp() - ts).abs() < 60);

        let d = wait_status(&app, &a, &id, "succeeded").await;
        assert_eq!(d["attempts"], 1);
        assert_eq!(d["last_status_code"], 204);
        assert_eq!(d["event_id"], body["id"]);
        assert_eq!(d["event_type"], "lead.created");
        assert!(d["next_attempt_at"].is_null(), "{d}");

        // The secret is never shown again.
        let res = app
            .get_as(&a.access, &format!("/api/v1/webhooks/{id}"))
            .await;
        assert_eq!(res.headers()["etag"], "\"1\"");
        let text = res.text().await.unwrap();
        let list = app
            .get_as(&a.access, "/api/v1/webhooks")
            .await
            .text()
            .await
            .unwrap();
        for t in [&text, &list] {
            assert!(!t.contains(&secret[6..]) && !t.contains("secret"), "{t}");
        }
        // Nor in the event of the webhook's creation.
        let all = app
            .get_as(&a.access, "/api/v1/events?type=webhook.created")
            .await;
        assert!(!all.text().await.unwrap().contains(&secret[6..]));
        // Only the subscribed type was sent.
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(rx.hits().len(), 1);
        app.stop().await;
    }
);

fn base64_len(b64: &str) -> usize {
    let pad = b64.chars().rev().take_while(|c| *c == '=').count();
    b64.len() / 4 * 3 - pad
}

backend_tests!(
    failed_attempts_are_retried_with_the_same_id_then_fail,
    |b| async move {
        let app = spawn_app_with(b, FAST).await;
        let a = app.register_admin("Hooks Retry").await;
        // One receiver fails once, the other always.
        let flaky = Receiver::start(&[500], 200).await;
        let down = Receiver::start(&[], 503).await;
        let h1 = subscribe(&app, &a, &flaky.url, json!(["lead.*"])).await;
        let h2 = subscribe(&app, &a, &down.url, json!(["lead.created"])).await;
        let (id1, id2) = (h1["id"].as_str().unwrap(), h2["id"].as_str().unwrap());
        lead(&app, &a, "Bob").await;

        let hits = flaky.wait_for(2).await;
        assert_eq!(hits[0].header("webhook-id"), hits[1].header("webhook-id"));
        assert_eq!(hits[0].body, hits[1].body);
        for h in &hits {
            assert!(h.verifies_with(h1["secret"].as_str().unwrap()));
        }
        let d = wait_status(&app, &a, id1, "succeeded").await;
        assert_eq!(d["attempts"], 2);
        assert_eq!(d["last_status_code"], 200);

        // 1 + 2 retries (`1,1`), then failed.
        let d = wait_status(&app, &a, id2, "failed").await;
        assert_eq!(d["attempts"], 3, "{d}");
        assert_eq!(d["last_status_code"], 503);
        assert!(d["last_error"].as_str().unwrap().contains("503"), "{d}");
        assert!(d["next_attempt_at"].is_null());
        let ids: Vec<String> = down.hits().iter().map(|h| h.header("webhook-id")).collect();
        assert_eq!(ids.len(), 3);
        assert!(ids.iter().all(|i| *i == ids[0]));

        // A manual retry sends it again now.
        *down.fallback.lock().unwrap() = 200;
        let delivery = d["id"].as_str().unwrap();
        let res = app
            .send_as(
                Method::POST,
                &a.access,
                &format!("/api/v1/webhooks/{id2}/deliveries/{delivery}/retry"),
                None,
            )
            .await;
        assert_eq!(res.status().as_u16(), 202);
        let hits = down.wait_for(4).await;
        assert_eq!(hits[3].header("webhook-id"), ids[0]);
        assert!(hits[3].verifies_with(h2["secret"].as_str().unwrap()));
        let d = wait_status(&app, &a, id2, "succeeded").await;
        assert_eq!(d["attempts"], 4);
        // Another webhook's delivery, or none at all: 404.
        let res = app
            .send_as(
                Method::POST,
                &a.access,
                &format!("/api/v1/webhooks/{id1}/deliveries/{delivery}/retry"),
                None,
            )
            .await;
        assert_problem(res, 404).await;
        app.stop().await;
    }
);

backend_tests!(
    wildcards_rotation_inactive_and_other_organizations,
    |b| async move {
        let app = spawn_app_with(b, FAST).await;
        let a = app.register_admin("Hooks Wild").await;
        let other = app.register_admin("Hooks Other").await;
        let all = Receiver::start(&[], 200).await;
        let deals = Receiver::start(&[], 200).await;
        let paused = Receiver::start(&[], 200).await;
        let h_all = subscribe(&app, &a, &all.url, json!(["*"])).await;
        let h_deals = subscribe(&app, &a, &deals.url, json!(["deal.*"])).await;
        let h_paused = subscribe(&app, &a, &paused.url, json!(["lead.*"])).await;
        let paused_id = h_paused["id"].as_str().unwrap();
        // Stale If-Match: 412; then pause it.
        let res = app
            .send_as(
                Method::PATCH,
                &a.access,
                &format!("/api/v1/webhooks/{paused_id}"),
                Some(&json!({"is_active": false})),
            )
            .await;
        assert_eq!(res.status().as_u16(), 200);
        let res = app
            .client
            .patch(app.url(&format!("/api/v1/webhooks/{paused_id}")))
            .bearer_auth(&a.access)
            .header("if-match", "\"1\"")
            .json(&json!({"description": "late"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 412);

        let first = lead(&app, &a, "Cat").await;
        // The other organization's change reaches none of A's webhooks.
        lead(&app, &other, "Dan").await;
        all.wait_until(|hits| hits.iter().any(|h| h.json()["type"] == "lead.created"))
            .await;
        // Give the other organization's event time to (wrongly) arrive.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let hits = all.hits();
        let old = h_all["secret"].as_str().unwrap().to_string();
        assert!(hits.iter().all(|h| h.verifies_with(&old)));
        let mine = |hits: &[Hit]| -> Vec<Value> {
            hits.iter()
                .map(|h| h.json())
                .filter(|e| e["type"] == "lead.created")
                .collect()
        };
        let seen = mine(&hits);
        assert_eq!(seen.len(), 1, "{seen:?}");
        assert_eq!(seen[0]["record_id"], first["id"]);
        for h in &hits {
            assert_eq!(h.json()["organization_id"], a.organization_id.as_str());
        }

        // Rotation: new signatures verify with the new secret only.
        let hook_id = h_all["id"].as_str().unwrap();
        let rotated = expect_json(
            app.send_as(
                Method::POST,
                &a.access,
                &format!("/api/v1/webhooks/{hook_id}/rotate-secret"),
                None,
            )
            .await,
            200,
        )
        .await;
        let new = rotated["secret"].as_str().unwrap().to_string();
        assert_ne!(new, old);
        assert_eq!(rotated["id"], hook_id);
        let second = lead(&app, &a, "Eve").await;
        let hits = all
            .wait_until(|hits| hits.iter().any(|h| h.json()["record_id"] == second["id"]))
            .await;
        let hit = hits
            .iter()
            .find(|h| h.json()["record_id"] == second["id"])
            .unwrap();
        assert!(hit.verifies_with(&new));
        assert!(!hit.verifies_with(&old));

        // Deals only: a lead never reaches it; a deal event does.
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(deals.hits().is_empty());
        assert!(paused.hits().is_empty(), "an inactive webhook was sent to");
        let client = create_as(
            &app,
            &a.access,
            "/api/v1/clients",
            json!({"name": "Wild Client", "kind": "company"}),
        )
        .await;
        let pipeline = create_as(
            &app,
            &a.access,
            "/api/v1/pipelines",
            json!({"name": "Wild", "stages": [{"name": "Only", "probability": 50}]}),
        )
        .await;
        create_as(
        &app,
        &a.access,
        "/api/v1/deals",
        json!({"title": "Wild Deal", "client_id": client["id"], "pipeline_id": pipeline["id"], "amount": 1000, "currency": "USD"}),
    )
    .await;
        let hits = deals.wait_for(1).await;
        assert_eq!(hits[0].json()["type"], "deal.created");
        assert!(hits[0].verifies_with(h_deals["secret"].as_str().unwrap()));
        assert!(paused.hits().is_empty());
        app.stop().await;
    }
);

backend_tests!(
    private_targets_and_bad_patterns_are_refused,
    |b| async move {
        // Private targets not allowed here (the default).
        let app = spawn_app(b).await;
        let a = app.register_admin("Hooks Strict").await;
        for url in [
            "http://127.0.0.1:9/hook",
            "http://localhost/hook",
            "http://[::1]/hook",
            "http://169.254.169.254/latest/meta-data",
            "http://10.1.2.3/",
            "ftp://files.example/",
            "not a url",
        ] {
            let res = app
                .send_as(
                    Method::POST,
                    &a.access,
                    "/api/v1/webhooks",
                    Some(&json!({"url": url, "event_types": ["*"]})),
                )
                .await;
            let body = assert_problem(res, 422).await;
            let fields: Vec<&str> = body["errors"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["field"].as_str().unwrap())
                .collect();
            assert_eq!(fields, ["url"], "{url}: {body}");
        }
        let res = app
        .send_as(
            Method::POST,
            &a.access,
            "/api/v1/webhooks",
            Some(&json!({"url": "http://127.0.0.1/x", "event_types": ["lead.created", "lead.nope", "lead*", "nothing.*"]})),
        )
        .await;
        let body = assert_problem(res, 422).await;
        let got: Vec<(String, String)> = body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["field"].as_str().unwrap().to_string(),
                    e["code"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let want = [
            ("event_types[1]", "unknown"),
            ("event_types[2]", "malformed"),
            ("event_types[3]", "unknown"),
            ("url", "forbidden_target"),
        ];
        assert_eq!(
            got,
            want.iter()
                .map(|(f, c)| (f.to_string(), c.to_string()))
                .collect::<Vec<_>>()
        );
        let res = app
            .send_as(
                Method::POST,
                &a.access,
                "/api/v1/webhooks",
                Some(&json!({"url": "http://127.0.0.1/x", "event_types": []})),
            )
            .await;
        let body = assert_problem(res, 422).await;
        assert!(
            body["errors"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["field"] == "event_types")
        );
        // Nothing was stored.
        let list = expect_json(app.get_as(&a.access, "/api/v1/webhooks").await, 200).await;
        assert_eq!(list["data"], json!([]));
        app.stop().await;
    }
);

backend_tests!(simultaneous_webhook_patches, |b| async move {
    let app = spawn_app_with(b, FAST).await;
    let a = app.register_admin("Hooks Race").await;
    let hook = subscribe(&app, &a, "http://127.0.0.1:9/race", json!(["deal.won"])).await;
    crate::concurrency::assert_concurrent_patches(
        &app,
        &a.access,
        &format!("/api/v1/webhooks/{}", hook["id"].as_str().unwrap()),
        |v| json!({"description": v}),
        |w| w["description"].as_str().unwrap_or_default().to_string(),
    )
    .await;
    app.stop().await;
});
