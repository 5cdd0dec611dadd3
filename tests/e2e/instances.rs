//! Several server instances on one database, as a deployment behind a load balancer runs
//! them: the background work each instance does (outbox mail, webhook deliveries) happens
//! once, whichever instance claims it. (A notification reaching a stream on another instance
//! is in `notifications.rs`.)

use crate::backend_tests;
use crate::helpers::*;
use crate::mailbox;
use std::time::{Duration, Instant};

/// A second server on `one`'s database, with its own mail folder.
async fn second(one: &TestApp) -> TestApp {
    let db = one.db.shared();
    let settings = test_settings(&db.url, db.dir(), &[]);
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
    let two = second(&one).await;
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
