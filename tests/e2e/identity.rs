//! Identity and access end to end.

use crate::backend_tests;
use crate::helpers::*;

backend_tests!(register_verify_login_me, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Acme").await;
    let res = app.get_as(&admin.access, "/api/v1/auth/me").await;
    assert_eq!(res.status(), 200);
    let me: serde_json::Value = res.json().await.unwrap();
    assert_eq!(me["email"], admin.email.as_str());
    assert_eq!(me["status"], "active");
    assert_eq!(me["organization_id"], admin.organization_id.as_str());
    assert!(
        me["roles"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["name"] == "admin")
    );
    assert!(
        me["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p == "activities:read")
    );
    assert!(me.get("password_hash").is_none());
    let again = app.login(&admin.email, &admin.password).await;
    assert_ne!(again.access, admin.access);
    app.stop().await;
});

use crate::identity_support::*;
use crate::mailbox;
use reqwest::Method;
use serde_json::json;

// ---------------------------------------------------------------- registration

backend_tests!(registration_answers, |b| async move {
    let app = spawn_app(b).await;
    let email = fresh_email("reg");
    let res = register(&app, &email, PASSWORD).await;
    assert_eq!(res.status(), 201);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["email"], email.as_str());
    assert_eq!(body["name"], "Reg Istrant");
    assert_eq!(body["status"], "pending_verification");
    let id = body["id"].as_str().unwrap();
    uuid::Uuid::parse_str(id).unwrap();
    uuid::Uuid::parse_str(body["organization_id"].as_str().unwrap()).unwrap();
    assert_eq!(location, format!("/api/v1/users/{id}"));
    assert!(body.get("password_hash").is_none() && body.get("password").is_none());

    // The right password before the code is confirmed: 403 email-not-verified.
    let p = assert_problem(login_res(&app, &email, PASSWORD).await, 403).await;
    assert_type(&p, "email-not-verified");
    // A wrong password on that account: the usual 401.
    let p = assert_problem(login_res(&app, &email, "not the password").await, 401).await;
    assert!(!p["type"].as_str().unwrap().ends_with("email-not-verified"));

    // The same address again (in another case, too): 409.
    assert_problem(register(&app, &email, PASSWORD).await, 409).await;
    assert_problem(register(&app, &email.to_uppercase(), PASSWORD).await, 409).await;

    // Too short a password: 422 naming `password`.
    let p = assert_problem(register(&app, &fresh_email("short"), "1234567").await, 422).await;
    assert!(has_field_error(&p, "password"), "{p}");

    // A field the client may not set: 422, not silently ignored.
    let res = app
        .post_json(
            "/api/v1/auth/register",
            &json!({"id": uuid::Uuid::now_v7(), "name": "X", "email": fresh_email("idf"), "password": PASSWORD}),
        )
        .await;
    let p = assert_problem(res, 422).await;
    assert!(has_field_error(&p, "id"), "{p}");
    app.stop().await;
});

backend_tests!(registration_can_be_closed, |b| async move {
    let app = spawn_app_with(b, &[("CRM__AUTH__OPEN_REGISTRATION", "false")]).await;
    let email = fresh_email("closed");
    assert_problem(register(&app, &email, PASSWORD).await, 403).await;
    // Nothing was created: the address is still free for login purposes (401, not 403).
    assert_problem(login_res(&app, &email, PASSWORD).await, 401).await;
    assert!(mails_to(&app, &email).is_empty());
    app.stop().await;
});

// ---------------------------------------------------------------- codes

backend_tests!(code_works_once, |b| async move {
    let app = spawn_app(b).await;
    let email = fresh_email("once");
    let code = register_and_code(&app, &email).await;
    let tokens = expect_json(verify(&app, &email, &code).await, 200).await;
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["user"]["status"], "active");
    assert!(tokens["access_token"].is_string() && tokens["refresh_token"].is_string());
    assert!(tokens["expires_in"].as_u64().unwrap() > 0);
    // Used: a second submit of the same code is refused.
    assert_problem(verify(&app, &email, &code).await, 400).await;
    // The account is active: login works now.
    expect_json(login_res(&app, &email, PASSWORD).await, 200).await;
    app.stop().await;
});

backend_tests!(code_expires, |b| async move {
    let app = spawn_app_with(b, &[("CRM__AUTH__CODE_TTL_MINUTES", "0")]).await;
    let email = fresh_email("expired");
    let code = register_and_code(&app, &email).await;
    let p = assert_problem(verify(&app, &email, &code).await, 400).await;
    assert_type(&p, "code-expired");
    // Still unverified.
    assert_problem(login_res(&app, &email, PASSWORD).await, 403).await;
    app.stop().await;
});

backend_tests!(code_dies_after_five_wrong_tries, |b| async move {
    let app = spawn_app(b).await;
    let email = fresh_email("wrong");
    let code = register_and_code(&app, &email).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for i in 0..5 {
        let p = assert_problem(verify(&app, &email, wrong).await, 400).await;
        assert!(p["type"].is_string(), "try {i}");
    }
    // The right code, too late: the code is dead.
    let p = assert_problem(verify(&app, &email, &code).await, 400).await;
    assert_type(&p, "code-exhausted");
    assert_problem(login_res(&app, &email, PASSWORD).await, 403).await;
    app.stop().await;
});

backend_tests!(
    resend_respects_cooldown_then_replaces_code,
    |b| async move {
        let app = spawn_app(b).await;
        let email = fresh_email("resend");
        let first = register_and_code(&app, &email).await;
        assert_eq!(mails_to(&app, &email).len(), 1);

        // Within the 60 s cooldown: no new mail, and the old code lives on. The contract (§3)
        // answers 429 with Retry-After here (this test asserted a silent 202 before).
        let res = app
            .post_json("/api/v1/auth/resend-code", &json!({"email": email}))
            .await;
        assert_eq!(res.status(), 429);
        assert!(res.headers().contains_key("retry-after"));
        assert_no_new_mail(&app, &email, 1, 3).await;

        // The cooldown over (codes aged in the database): a resend mails a new code that
        // replaces the old one.
        age_codes(&app, &email).await;
        let res = app
            .post_json("/api/v1/auth/resend-code", &json!({"email": email}))
            .await;
        assert_eq!(res.status(), 202);
        let second = wait_for_nth_code(&app, &email, 2).await;
        assert_eq!(mails_to(&app, &email).len(), 2);
        if second != first {
            assert_problem(verify(&app, &email, &first).await, 400).await;
        }
        expect_json(verify(&app, &email, &second).await, 200).await;
        app.stop().await;
    }
);

backend_tests!(concurrent_verifies_succeed_once, |b| async move {
    let app = spawn_app(b).await;
    let email = fresh_email("race");
    let code = register_and_code(&app, &email).await;
    let (a, c) = tokio::join!(verify(&app, &email, &code), verify(&app, &email, &code));
    let mut statuses = [a.status().as_u16(), c.status().as_u16()];
    let bodies = [a.text().await.unwrap(), c.text().await.unwrap()];
    statuses.sort();
    assert_eq!(statuses, [200, 400], "{bodies:?}");
    app.stop().await;
});

backend_tests!(
    concurrent_refreshes_of_one_token_rotate_it_once,
    |b| async move {
        // The rounds take more auth requests than one address's default budget.
        let app = spawn_app_with(b, &[("CRM__AUTH__RATE_LIMIT_PER_MINUTE", "0")]).await;
        let admin = app.register_admin("Refresh race").await;
        // Several rounds: the two requests must actually overlap in the database for the race
        // (and, on InnoDB, a lock conflict) to happen.
        let mut refresh = admin.refresh.clone();
        for round in 0..8 {
            let (a, c) = tokio::join!(refresh_res(&app, &refresh), refresh_res(&app, &refresh));
            let (sa, sc) = (a.status().as_u16(), c.status().as_u16());
            let (ba, bc) = (a.text().await.unwrap(), c.text().await.unwrap());
            let mut statuses = [sa, sc];
            statuses.sort();
            assert_eq!(statuses, [200, 401], "round {round}: {ba} / {bc}");
            // The second use was a reuse: the whole family is revoked, the winner's new token too.
            let winner: serde_json::Value =
                serde_json::from_str(if sa == 200 { &ba } else { &bc }).unwrap();
            let next = winner["refresh_token"].as_str().unwrap();
            assert_problem(refresh_res(&app, next).await, 401).await;
            refresh = app.login(&admin.email, &admin.password).await.refresh;
        }
        app.stop().await;
    }
);

// ---------------------------------------------------------------- no account enumeration

backend_tests!(known_and_unknown_emails_look_alike, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Alike").await;
    let pending = fresh_email("pending");
    register_and_code(&app, &pending).await;
    // Outside the send window of the registration mails (contract §3: within it every address
    // answers 429), so the three addresses are compared on equal terms.
    age_codes(&app, &admin.email).await;
    age_codes(&app, &pending).await;
    let unknown = fresh_email("nobody");

    async fn answer(app: &TestApp, path: &str, email: &str) -> (u16, Option<String>, String) {
        let res = app.post_json(path, &json!({"email": email})).await;
        let status = res.status().as_u16();
        let ct = res
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_string());
        (status, ct, res.text().await.unwrap())
    }
    for path in ["/api/v1/auth/resend-code", "/api/v1/auth/forgot-password"] {
        let known = answer(&app, path, &admin.email).await;
        let waiting = answer(&app, path, &pending).await;
        let none = answer(&app, path, &unknown).await;
        assert_eq!(known.0, 202, "{path}");
        assert_eq!(known, none, "{path}: known vs unknown");
        assert_eq!(waiting, none, "{path}: pending vs unknown");
    }

    let wrong_password =
        assert_problem(login_res(&app, &admin.email, "wrong password!").await, 401).await;
    let unknown_email =
        assert_problem(login_res(&app, &unknown, "wrong password!").await, 401).await;
    for k in ["type", "title", "detail", "status", "errors"] {
        assert_eq!(wrong_password[k], unknown_email[k], "{k} differs");
    }
    app.stop().await;
});

// ---------------------------------------------------------------- tokens

backend_tests!(refresh_rotates_and_reuse_revokes_family, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Rotate").await;
    let other = app.login(&admin.email, &admin.password).await;

    let pair = expect_json(refresh_res(&app, &admin.refresh).await, 200).await;
    let r2 = pair["refresh_token"].as_str().unwrap().to_string();
    let a2 = pair["access_token"].as_str().unwrap().to_string();
    assert_ne!(r2, admin.refresh);
    assert_ne!(a2, admin.access);
    assert_eq!(pair["token_type"], "Bearer");
    assert_eq!(app.get_as(&a2, "/api/v1/auth/me").await.status(), 200);

    // The retired token answers 401 — and that reuse revokes the whole family.
    let p = assert_problem(refresh_res(&app, &admin.refresh).await, 401).await;
    assert!(p["type"].is_string());
    assert_problem(refresh_res(&app, &r2).await, 401).await;
    // The family's access tokens, the first and the rotated one, end with it at once.
    for access in [&admin.access, &a2] {
        assert_problem(app.get_as(access, "/api/v1/auth/me").await, 401).await;
    }
    // Another sign-in (another family) is untouched.
    assert_eq!(
        app.get_as(&other.access, "/api/v1/auth/me").await.status(),
        200
    );
    expect_json(refresh_res(&app, &other.refresh).await, 200).await;
    // Garbage refresh token.
    assert_problem(refresh_res(&app, "not-a-token").await, 401).await;
    app.stop().await;
});

backend_tests!(logout_and_bad_bearer, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Logout").await;
    let res = app
        .post_json(
            "/api/v1/auth/logout",
            &json!({"refresh_token": admin.refresh}),
        )
        .await;
    assert_eq!(res.status(), 204);
    assert_problem(refresh_res(&app, &admin.refresh).await, 401).await;
    // The session's access token ends with it, not when it expires.
    assert_problem(app.get_as(&admin.access, "/api/v1/auth/me").await, 401).await;
    assert_problem(app.get_as(&admin.access, "/api/v1/leads").await, 401).await;

    for bad in ["garbage", "a.b.c", "eyJhbGciOiJub25lIn0.e30."] {
        let res = app.get_as(bad, "/api/v1/auth/me").await;
        assert_problem(res, 401).await;
    }
    // A token signed with another secret.
    let other = spawn_app_with(
        b,
        &[(
            "CRM__AUTH__JWT_SECRET",
            "another-secret-long-enough-for-hs256-xyz987",
        )],
    )
    .await;
    let stranger = other.register_admin("Elsewhere").await;
    assert_problem(app.get_as(&stranger.access, "/api/v1/auth/me").await, 401).await;
    other.stop().await;
    app.stop().await;
});

backend_tests!(password_reset_revokes_every_session, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Reset").await;
    let second = app.login(&admin.email, &admin.password).await;
    let seen = mails_to(&app, &admin.email).len();
    // The registration code was mailed moments ago; the per-address cooldown (60 s, shared by
    // every kind of code) would silently swallow the reset code, so age it first.
    age_codes(&app, &admin.email).await;

    let res = app
        .post_json(
            "/api/v1/auth/forgot-password",
            &json!({"email": admin.email}),
        )
        .await;
    assert_eq!(res.status(), 202);
    let code = mailbox::wait_for_code(&app.mail_dir(), &admin.email, seen).await;
    let new_password = "a brand new password";
    // A wrong code first: 400, nothing changes.
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let res = app
        .post_json(
            "/api/v1/auth/reset-password",
            &json!({"email": admin.email, "code": wrong, "new_password": new_password}),
        )
        .await;
    assert_problem(res, 400).await;
    let res = app
        .post_json(
            "/api/v1/auth/reset-password",
            &json!({"email": admin.email, "code": code, "new_password": new_password}),
        )
        .await;
    assert_eq!(res.status(), 204, "{}", res.text().await.unwrap());

    assert_problem(refresh_res(&app, &admin.refresh).await, 401).await;
    assert_problem(refresh_res(&app, &second.refresh).await, 401).await;
    for access in [&admin.access, &second.access] {
        assert_problem(app.get_as(access, "/api/v1/auth/me").await, 401).await;
    }
    assert_problem(login_res(&app, &admin.email, &admin.password).await, 401).await;
    expect_json(login_res(&app, &admin.email, new_password).await, 200).await;
    app.stop().await;
});

backend_tests!(change_password, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Change").await;
    let other = app.login(&admin.email, &admin.password).await;
    let new_password = "changed password 123";

    // A wrong current password is refused.
    let res = app
        .send_as(
            Method::POST,
            &admin.access,
            "/api/v1/auth/change-password",
            Some(&json!({"current_password": "not it at all", "new_password": new_password})),
        )
        .await;
    let p = assert_problem(res, 422).await;
    assert!(has_field_error(&p, "current_password"), "{p}");
    // Too short a new one: 422.
    let res = app
        .send_as(
            Method::POST,
            &admin.access,
            "/api/v1/auth/change-password",
            Some(&json!({"current_password": admin.password, "new_password": "short"})),
        )
        .await;
    let p = assert_problem(res, 422).await;
    assert!(has_field_error(&p, "new_password"), "{p}");

    let res = app
        .send_as(
            Method::POST,
            &admin.access,
            "/api/v1/auth/change-password",
            Some(&json!({"current_password": admin.password, "new_password": new_password})),
        )
        .await;
    assert_eq!(res.status(), 204, "{}", res.text().await.unwrap());
    assert_problem(login_res(&app, &admin.email, &admin.password).await, 401).await;
    expect_json(login_res(&app, &admin.email, new_password).await, 200).await;
    // The other sign-in session is revoked, its access token with it; the caller's goes on.
    assert_problem(refresh_res(&app, &other.refresh).await, 401).await;
    assert_problem(app.get_as(&other.access, "/api/v1/auth/me").await, 401).await;
    assert_eq!(
        app.get_as(&admin.access, "/api/v1/auth/me").await.status(),
        200
    );
    // Without a token: 401.
    let res = app
        .post_json(
            "/api/v1/auth/change-password",
            &json!({"current_password": new_password, "new_password": "whatever else 1"}),
        )
        .await;
    assert_problem(res, 401).await;
    app.stop().await;
});
