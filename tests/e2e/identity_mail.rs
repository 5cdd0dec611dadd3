//! Mail over real SMTP: a listener on loopback receives the code, and mail queued while the
//! SMTP server is down is delivered, exactly once, when it comes up.

use crate::backend_tests;
use crate::helpers::*;
use crate::identity_support::*;
use crate::mailbox::{SmtpSink, code_in};
use std::time::Duration;

fn smtp_settings(port: &str) -> [(&'static str, &str); 4] {
    [
        ("CRM__MAIL__TRANSPORT", "smtp"),
        ("CRM__MAIL__SMTP__HOST", "127.0.0.1"),
        ("CRM__MAIL__SMTP__PORT", port),
        ("CRM__MAIL__SMTP__TLS", "none"),
    ]
}

fn addressed_to<'a>(messages: &'a [String], to: &str) -> Vec<&'a String> {
    messages
        .iter()
        .filter(|m| m.to_lowercase().contains(&to.to_lowercase()))
        .collect()
}

backend_tests!(smtp_delivers_the_code, |b| async move {
    let (sink, port) = SmtpSink::start(0).await;
    let port = port.to_string();
    let app = spawn_app_with(b, &smtp_settings(&port)).await;
    let email = fresh_email("smtp");
    let res = register(&app, &email, PASSWORD).await;
    assert_eq!(res.status(), 201);
    let all = sink.wait_for(1).await;
    let mine = addressed_to(&all, &email);
    assert_eq!(mine.len(), 1, "{all:?}");
    let code = code_in(mine[0]).expect("a 6-digit code in the mail");
    expect_json(verify(&app, &email, &code).await, 200).await;
    // Nothing went to the file transport.
    assert!(mails_to(&app, &email).is_empty());
    app.stop().await;
});

backend_tests!(smtp_down_then_up_delivers_exactly_once, |b| async move {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let port_s = port.to_string();
    let app = spawn_app_with(b, &smtp_settings(&port_s)).await;
    let emails: Vec<String> = (0..3).map(|i| fresh_email(&format!("queued{i}"))).collect();
    for e in &emails {
        // Nothing listens: registration still succeeds, the mail waits in the outbox.
        let res = register(&app, e, PASSWORD).await;
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    }
    // Let the worker fail at least once against the closed port.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (sink, bound) = SmtpSink::start(port).await;
    assert_eq!(bound, port);
    let all = sink.wait_for(3).await;
    assert_eq!(all.len(), 3);
    // Delivered exactly once: nothing more arrives afterwards.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let all = sink.all();
    assert_eq!(all.len(), 3, "a mail was delivered twice");
    for e in &emails {
        let mine = addressed_to(&all, e);
        assert_eq!(mine.len(), 1, "{e}");
        assert!(code_in(mine[0]).is_some());
    }
    // The queued code still works.
    let mine = addressed_to(&all, &emails[0]);
    let code = code_in(mine[0]).unwrap();
    expect_json(verify(&app, &emails[0], &code).await, 200).await;
    app.stop().await;
});
