//! The code send window of contract §3: one mail with a code per address and purpose per
//! 60 seconds; within it `resend-code` and `forgot-password` answer `429` with `Retry-After`,
//! for known and unknown addresses alike; a code killed by 5 wrong tries holds no window.

use crate::backend_tests;
use crate::helpers::*;
use crate::identity_support::*;
use serde_json::json;

/// `429` problem+json with a `Retry-After` of 1..=60 seconds.
async fn assert_window(res: reqwest::Response) -> u64 {
    assert_rate_limited(res, 60).await
}

async fn ask(app: &TestApp, path: &str, email: &str) -> reqwest::Response {
    app.post_json(path, &json!({"email": email})).await
}

const RESEND: &str = "/api/v1/auth/resend-code";
const FORGOT: &str = "/api/v1/auth/forgot-password";

backend_tests!(a_reset_code_goes_right_after_registering, |b| async move {
    let app = spawn_app(b).await;
    let email = fresh_email("fresh");
    register_and_code(&app, &email).await;
    // Another purpose: its own window, so the reset mail goes at once.
    assert_eq!(ask(&app, FORGOT, &email).await.status(), 202);
    let reset = wait_for_nth_code(&app, &email, 2).await;
    let mails = mails_to(&app, &email);
    assert_eq!(mails.len(), 2);
    assert!(mails[1].contains("password reset"), "{}", mails[1]);
    // The reset code works.
    let res = app
        .post_json(
            "/api/v1/auth/reset-password",
            &json!({"email": email, "code": reset, "new_password": "a brand new passphrase"}),
        )
        .await;
    assert_eq!(res.status(), 204, "{}", res.text().await.unwrap());
    app.stop().await;
});

backend_tests!(within_the_window_is_429_for_every_address, |b| async move {
    let app = spawn_app(b).await;
    let email = fresh_email("pending");
    register_and_code(&app, &email).await;
    // The verification code was mailed a moment ago: a resend waits, and mails nothing.
    assert_window(ask(&app, RESEND, &email).await).await;
    // The reset code goes once, then waits too.
    assert_eq!(ask(&app, FORGOT, &email).await.status(), 202);
    wait_for_nth_code(&app, &email, 2).await;
    assert_window(ask(&app, FORGOT, &email).await).await;
    assert_no_new_mail(&app, &email, 2, 2).await;

    // An address without an account is answered the same way, per purpose.
    let nobody = fresh_email("nobody");
    for path in [RESEND, FORGOT] {
        assert_eq!(ask(&app, path, &nobody).await.status(), 202, "{path}");
        assert_window(ask(&app, path, &nobody).await).await;
    }
    // A verified account with nothing to verify: 202 once, then the window, as unknown ones.
    let admin = app.register_admin("Window").await;
    age_codes(&app, &admin.email).await;
    assert_eq!(ask(&app, RESEND, &admin.email).await.status(), 202);
    assert_window(ask(&app, RESEND, &admin.email).await).await;

    // The window over (codes aged in the database): the next resend mails a new code.
    age_codes(&app, &email).await;
    assert_eq!(ask(&app, RESEND, &email).await.status(), 202);
    let code = wait_for_nth_code(&app, &email, 3).await;
    expect_json(verify(&app, &email, &code).await, 200).await;
    app.stop().await;
});

backend_tests!(
    a_code_killed_by_wrong_tries_holds_no_window,
    |b| async move {
        let app = spawn_app(b).await;
        let email = fresh_email("killed");
        let code = register_and_code(&app, &email).await;
        let wrong = if code == "000000" { "111111" } else { "000000" };
        for _ in 0..5 {
            assert_problem(verify(&app, &email, wrong).await, 400).await;
        }
        // Within 60 s of the first mail, yet a fresh code goes at once.
        assert_eq!(ask(&app, RESEND, &email).await.status(), 202);
        let fresh = wait_for_nth_code(&app, &email, 2).await;
        expect_json(verify(&app, &email, &fresh).await, 200).await;
        app.stop().await;
    }
);
