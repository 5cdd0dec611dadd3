//! Several server instances on one database, as a deployment behind a load balancer runs
//! them: the background work each instance does (outbox mail, webhook deliveries) happens
//! once, whichever instance claims it. (A notification reaching a stream on another instance
//! is in `notifications.rs`.)

use crate::backend_tests;
use crate::helpers::*;
use crate::mailbox;
use crate::webhooks::{FAST, Receiver, deliveries, lead, subscribe};
use serde_json::json;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// A second server on `one`'s database, with its own mail folder.
async fn second(one: &TestApp, extra: &[(&str, &str)]) -> TestApp {
    let db = one.db.shared();
    let settings = test_settings(&db.url, db.dir(), extra);
    start_on(db, settings).await
}

/// Every message both instances have written.
fn all_mail(apps: &[&TestApp]) -> Vec<String> {
    apps.iter()
        .flat_map(|a| mailbox::files(&a.mail_dir()))
        .collect()
}

backend_tests!(two_instances_send_each_outbox_mail_once, |b| async move {
    let one = spawn_app(b).await;
    let two = second(&one, &[]).await;
    // Sign-ups through both instances, each queueing one verification mail in its transaction;
    // both instances' outbox workers poll the same table every second.
    let mut emails = Vec::new();
    for i in 0..12 {
        let app = if i % 2 == 0 { &one } else { &two };
        let email = format!(
            "twice-{i}-{}@instances.example",
            uuid::Uuid::now_v7().simple()
        );
        let res = app
            .post_json(
                "/api/v1/auth/register",
                &serde_json::json!({"name": "Ann Lee", "email": email,
                    "password": "correct horse battery", "organization_name": format!("Inst {i}")}),
            )
            .await;
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
        emails.push(email);
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while all_mail(&[&one, &two]).len() < emails.len() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // A few more polls of both workers: nothing may be sent again.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mail = all_mail(&[&one, &two]);
    for e in &emails {
        let n = mail.iter().filter(|m| m.contains(e.as_str())).count();
        assert_eq!(n, 1, "{e} was mailed {n} times");
    }
    assert_eq!(mail.len(), emails.len());
    two.stop().await;
    one.stop().await;
});

backend_tests!(
    two_instances_make_each_webhook_attempt_once,
    |b| async move {
        let one = spawn_app_with(b, FAST).await;
        let admin = one.register_admin("Hooks Twice").await;
        let two = second(&one, FAST).await;
        // The first three attempts fail, so retries (1 s apart) are claimed by either instance too.
        let receiver = Receiver::start(&[500, 500, 500], 204).await;
        let hook = subscribe(&one, &admin, &receiver.url, json!(["lead.*"])).await;
        let secret = hook["secret"].as_str().unwrap().to_string();
        let mut leads = Vec::new();
        for i in 0..10 {
            let app = if i % 2 == 0 { &one } else { &two };
            leads.push(lead(app, &admin, &format!("Twice{i}")).await["id"].clone());
        }
        receiver
            .wait_until(|hits| {
                leads.iter().all(|id| {
                    hits.iter()
                        .any(|h| h.status == 204 && h.json()["record_id"] == *id)
                })
            })
            .await;
        // More polls of both instances' workers: nothing may be delivered again.
        tokio::time::sleep(Duration::from_secs(3)).await;
        let hits = receiver.hits();
        let mut by_id: HashMap<String, Vec<u16>> = HashMap::new();
        for h in &hits {
            assert!(h.verifies_with(&secret), "a signature did not verify");
            by_id
                .entry(h.header("webhook-id"))
                .or_default()
                .push(h.status);
        }
        assert_eq!(by_id.len(), leads.len(), "one event per lead: {by_id:?}");
        for (id, statuses) in &by_id {
            let ok = statuses.iter().filter(|s| **s == 204).count();
            assert_eq!(ok, 1, "event {id} delivered {ok} times: {statuses:?}");
        }
        // The delivery log counts exactly the attempts the receiver saw.
        let hook_id = hook["id"].as_str().unwrap();
        let log = deliveries(&one, &admin, hook_id).await;
        assert_eq!(log.len(), leads.len());
        for d in &log {
            let seen = by_id[d["event_id"].as_str().unwrap()].len();
            assert_eq!(d["attempts"], seen, "{d}");
            assert_eq!(d["status"], "succeeded", "{d}");
        }
        two.stop().await;
        one.stop().await;
    }
);

backend_tests!(
    a_session_ended_on_one_instance_ends_on_the_other,
    |b| async move {
        let one = spawn_app(b).await;
        // Signed up before the second instance starts: its outbox worker could mail the
        // code into its own folder.
        let admin = one.register_admin("Ended").await;
        let two = second(&one, &[]).await;
        let other = one.login(&admin.email, &admin.password).await;
        assert_eq!(
            two.get_as(&admin.access, "/api/v1/auth/me").await.status(),
            200
        );
        let res = one
            .post_json(
                "/api/v1/auth/logout",
                &json!({"refresh_token": admin.refresh}),
            )
            .await;
        assert_eq!(res.status(), 204);
        // The very next request on the other instance is refused: no cache answers stale.
        assert_problem(two.get_as(&admin.access, "/api/v1/auth/me").await, 401).await;
        // The user's other session goes on, on both.
        for app in [&one, &two] {
            assert_eq!(
                app.get_as(&other.access, "/api/v1/auth/me").await.status(),
                200
            );
        }
        two.stop().await;
        one.stop().await;
    }
);
