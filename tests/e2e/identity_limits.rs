//! Rate limits on `POST /auth/*`: per client address, per account, and the slowing of an
//! account after repeated failed logins.

use crate::backend_tests;
use crate::helpers::*;
use crate::identity_support::*;
use serde_json::json;
use std::net::{IpAddr, Ipv4Addr};

const BOOT_EMAIL: &str = "boot-admin@limits.example";
const BOOT_PASSWORD: &str = "bootstrap password 1";

/// Settings with a bootstrap admin (so no `/auth/*` request is spent creating one).
fn with_boot(limit: &str) -> [(&'static str, &str); 3] {
    [
        ("CRM__AUTH__RATE_LIMIT_PER_MINUTE", limit),
        ("CRM__BOOTSTRAP__ADMIN_EMAIL", BOOT_EMAIL),
        ("CRM__BOOTSTRAP__ADMIN_PASSWORD", BOOT_PASSWORD),
    ]
}

/// A client whose connections come from `127.0.0.<last>` (all of 127/8 is loopback).
fn client_from(last: u8) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, last)))
        .build()
        .unwrap()
}

async fn login_from(
    app: &TestApp,
    client: &reqwest::Client,
    email: &str,
    password: &str,
) -> reqwest::Response {
    client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap()
}

async fn assert_limited(res: reqwest::Response) {
    assert_rate_limited(res, 3600).await;
}

backend_tests!(fourth_login_of_an_account_is_limited, |b| async move {
    let app = spawn_app_with(b, &with_boot("3")).await;
    // One account, each attempt from another address: the account's budget runs out.
    for i in 0..3u8 {
        let res = login_from(&app, &client_from(10 + i), BOOT_EMAIL, BOOT_PASSWORD).await;
        assert_eq!(res.status(), 200, "login {i}");
    }
    let res = login_from(&app, &client_from(13), BOOT_EMAIL, BOOT_PASSWORD).await;
    assert_limited(res).await;
    // One address, each request naming another account: the address's budget (shared by
    // every `POST /auth/*`) runs out, and its next login is refused.
    let c = client_from(20);
    for i in 0..3 {
        let res = c
            .post(app.url("/api/v1/auth/resend-code"))
            .json(&json!({"email": fresh_email("nobody")}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 202, "request {i}");
    }
    let res = login_from(&app, &c, &fresh_email("nobody"), "wrong password").await;
    assert_limited(res).await;
    // Another address still has its budget (and 401 for bad credentials).
    let res = login_from(&app, &client_from(21), &fresh_email("nobody"), "wrong").await;
    assert_problem(res, 401).await;
    app.stop().await;
});

backend_tests!(zero_turns_rate_limits_off, |b| async move {
    // The per-address code window (contract §3: one code request per address and purpose per
    // 60 s, 429 within it) is turned off too: this test is about the request budgets only.
    let mut settings = with_boot("0").to_vec();
    settings.extend([
        ("CRM__AUTH__RESEND_COOLDOWN_SECS", "0"),
        ("CRM__AUTH__RESEND_HOURLY_CAP", "1000"),
    ]);
    let app = spawn_app_with(b, &settings).await;
    // Far more than the default budget (30 a minute) from one address for one account,
    // on a route that costs no hashing: never 429.
    let email = fresh_email("flood");
    for i in 0..40 {
        let res = app
            .post_json("/api/v1/auth/resend-code", &json!({"email": email}))
            .await;
        assert_eq!(res.status(), 202, "request {i}");
    }
    // Logins from one address, each a different (unknown) account: 401, never 429.
    for i in 0..4 {
        let res = login_res(&app, &fresh_email("nobody"), "wrong password").await;
        assert_eq!(res.status(), 401, "attempt {i}");
    }
    // Repeated successful logins of one account: never 429.
    for i in 0..4 {
        let res = login_res(&app, BOOT_EMAIL, BOOT_PASSWORD).await;
        assert_eq!(res.status(), 200, "login {i}");
    }
    app.stop().await;
});

backend_tests!(failed_logins_slow_the_account, |b| async move {
    // Budgets off: what remains is the slowing of an account after 5 failed logins, which
    // ends with a successful one (not a permanent lock).
    let app = spawn_app_with(b, &with_boot("0")).await;
    for i in 0..5 {
        let res = login_res(&app, BOOT_EMAIL, "wrong password").await;
        assert_eq!(res.status(), 401, "attempt {i}");
    }
    let res = login_res(&app, BOOT_EMAIL, "wrong password").await;
    assert_limited(res).await;
    // Other accounts are not affected.
    assert_problem(
        login_res(&app, &fresh_email("nobody"), "wrong password").await,
        401,
    )
    .await;
    // Slowed, not locked: after the (short, first) delay the right password works again.
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    expect_json(login_res(&app, BOOT_EMAIL, BOOT_PASSWORD).await, 200).await;
    app.stop().await;
});

backend_tests!(budgets_and_slowing_hold_across_instances, |b| async move {
    // Two instances on one database, requests alternating between them: each instance alone
    // sees half, so only the shared counts can refuse at the limit.
    let one = spawn_app_with(b, &with_boot("10")).await;
    let db = one.db.shared();
    let settings = test_settings(&db.url, db.dir(), &with_boot("10"));
    let two = start_on(db, settings).await;
    let apps = [&one, &two];

    // One address, each request naming another account: the eleventh is refused on either.
    let c = client_from(30);
    for i in 0..10 {
        let res = c
            .post(apps[i % 2].url("/api/v1/auth/resend-code"))
            .json(&json!({"email": fresh_email("nobody")}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 202, "request {i}");
    }
    for app in apps {
        let res = login_from(app, &c, &fresh_email("nobody"), "wrong password").await;
        assert_limited(res).await;
    }

    // Failed logins of one account, each from another address, alternating instances: after
    // five the account is slowed on both.
    for i in 0..5u8 {
        let res = login_from(
            apps[usize::from(i % 2)],
            &client_from(40 + i),
            BOOT_EMAIL,
            "wrong",
        )
        .await;
        assert_problem(res, 401).await;
    }
    for (i, app) in apps.iter().enumerate() {
        let res = login_from(app, &client_from(50 + i as u8), BOOT_EMAIL, BOOT_PASSWORD).await;
        assert_limited(res).await;
    }
    // Slowed, not locked: after the first delay (1 s) the right password works on either.
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    let res = login_from(&two, &client_from(60), BOOT_EMAIL, BOOT_PASSWORD).await;
    expect_json(res, 200).await;
    two.stop().await;
    one.stop().await;
});
