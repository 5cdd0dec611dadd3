//! Users an admin manages: creation with and without a password, deactivation, role changes,
//! the `:own` scope, and bcrypt hashes imported from the original server.

use crate::backend_tests;
use crate::helpers::*;
use crate::identity_support::*;
use crate::mailbox;
use reqwest::Method;
use serde_json::json;

backend_tests!(admin_creates_an_active_user, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Staff").await;

    // With a password: active at once, and can sign in.
    let email = fresh_email("active");
    let password = "the user's own password";
    let res = app
        .send_as(
            Method::POST,
            &admin.access,
            "/api/v1/users",
            Some(&json!({"name": "Ann Active", "email": email, "password": password})),
        )
        .await;
    assert_eq!(res.status(), 201);
    let id = {
        let location = res.headers()["location"].to_str().unwrap().to_string();
        let u: serde_json::Value = res.json().await.unwrap();
        assert_eq!(
            location,
            format!("/api/v1/users/{}", u["id"].as_str().unwrap())
        );
        assert_eq!(u["status"], "active");
        assert_eq!(u["organization_id"], admin.organization_id.as_str());
        assert!(u.get("password_hash").is_none());
        u["id"].as_str().unwrap().to_string()
    };
    let s = app.login(&email, password).await;
    assert_eq!(s.user_id, id);
    assert_eq!(s.organization_id, admin.organization_id);
    // Nothing was mailed to an active user.
    assert!(mails_to(&app, &email).is_empty());

    // Taken address: 409.
    let res = app
        .send_as(
            Method::POST,
            &admin.access,
            "/api/v1/users",
            Some(&json!({"name": "Dup", "email": email, "password": password})),
        )
        .await;
    assert_problem(res, 409).await;
    app.stop().await;
});

backend_tests!(a_sign_in_is_stamped_on_the_user, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Stamps").await;
    let password = "the user's own password";
    let mut ids = Vec::new();
    let mut emails = Vec::new();
    for tag in ["signs-in", "never"] {
        let email = fresh_email(tag);
        let u = create_as(
            &app,
            &admin.access,
            "/api/v1/users",
            json!({"name": "Stamp Test", "email": email, "password": password}),
        )
        .await;
        assert!(u["last_login_at"].is_null(), "{u}");
        ids.push(u["id"].as_str().unwrap().to_string());
        emails.push(email);
    }
    let before = chrono::Utc::now() - chrono::Duration::seconds(1);

    let res = login_res(&app, &emails[0], password).await;
    let tokens = expect_json(res, 200).await;
    let stamped = tokens["user"]["last_login_at"]
        .as_str()
        .unwrap()
        .to_string();
    let at = chrono::DateTime::parse_from_rfc3339(&stamped).unwrap();
    assert!(at >= before, "{stamped} is before the login");

    // Stored, and not an edit: same version, same ETag.
    let res = app
        .get_as(&admin.access, &format!("/api/v1/users/{}", ids[0]))
        .await;
    assert_eq!(res.headers()["etag"], "\"1\"");
    let u = expect_json(res, 200).await;
    assert_eq!(u["last_login_at"].as_str(), Some(stamped.as_str()));
    assert_eq!(u["version"], 1);

    // The range filter finds who signed in since a time; never-signed-in users match no range.
    let from = before.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let path = format!(
        "/api/v1/users?last_login_at_from={}",
        from.replace('+', "%2B")
    );
    let page = expect_json(app.get_as(&admin.access, &path).await, 200).await;
    let listed: Vec<&str> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|u| u["id"].as_str())
        .collect();
    assert!(listed.contains(&ids[0].as_str()), "{page}");
    assert!(!listed.contains(&ids[1].as_str()), "{page}");
    app.stop().await;
});

backend_tests!(admin_invites_a_user_without_password, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Invites").await;
    // Without a password: invited, mailed a code that reset-password accepts.
    let invited = fresh_email("invited");
    let u = create_as(
        &app,
        &admin.access,
        "/api/v1/users",
        json!({"name": "Ivan Invited", "email": invited}),
    )
    .await;
    assert_eq!(u["status"], "invited");
    let invited_id = u["id"].as_str().unwrap().to_string();
    let code = mailbox::wait_for_code(&app.mail_dir(), &invited, 0).await;
    // No password yet: sign-in is refused like any bad credentials.
    assert_problem(login_res(&app, &invited, "whatever it may be").await, 401).await;
    let chosen = "my chosen password";
    let res = app
        .post_json(
            "/api/v1/auth/reset-password",
            &json!({"email": invited, "code": code, "new_password": chosen}),
        )
        .await;
    assert_eq!(res.status(), 204, "{}", res.text().await.unwrap());
    let s = app.login(&invited, chosen).await;
    assert_eq!(s.user_id, invited_id);
    let u = expect_json(
        app.get_as(&admin.access, &format!("/api/v1/users/{invited_id}"))
            .await,
        200,
    )
    .await;
    assert_eq!(u["status"], "active");
    // The invitation code is single-use.
    let res = app
        .post_json(
            "/api/v1/auth/reset-password",
            &json!({"email": invited, "code": code, "new_password": "yet another password"}),
        )
        .await;
    assert_problem(res, 400).await;
    app.stop().await;
});

backend_tests!(deactivation_kills_live_tokens, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Deact").await;
    let user = app.user_with_roles(&admin, &["employee"]).await;
    assert_eq!(
        app.get_as(&user.access, "/api/v1/auth/me").await.status(),
        200
    );

    let res = app
        .send_as(
            Method::POST,
            &admin.access,
            &format!("/api/v1/users/{}/deactivate", user.user_id),
            None,
        )
        .await;
    let u = expect_json(res, 200).await;
    assert_eq!(u["status"], "deactivated");

    // The live access token dies at once; sign-in and refresh are refused.
    assert_problem(app.get_as(&user.access, "/api/v1/auth/me").await, 401).await;
    assert_problem(login_res(&app, &user.email, &user.password).await, 401).await;
    assert_problem(refresh_res(&app, &user.refresh).await, 401).await;
    // The admin cannot deactivate themself.
    let res = app
        .send_as(
            Method::POST,
            &admin.access,
            &format!("/api/v1/users/{}/deactivate", admin.user_id),
            None,
        )
        .await;
    assert_problem(res, 409).await;
    app.stop().await;
});

backend_tests!(role_changes_change_permissions, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Roles").await;
    let user = app.user_with_roles(&admin, &[]).await;
    let perms = my_permissions(&app, &user.access).await;
    assert!(!perms.iter().any(|p| p == "users:read"), "{perms:?}");
    assert_problem(app.get_as(&user.access, "/api/v1/users").await, 403).await;

    let manager = role_id(&app, &admin.access, "manager").await;
    let res = app
        .send_as(
            Method::PUT,
            &admin.access,
            &format!("/api/v1/users/{}/roles", user.user_id),
            Some(&json!({"role_ids": [manager]})),
        )
        .await;
    let body = expect_json(res, 200).await;
    assert_eq!(body["roles"][0]["name"], "manager");
    // The same access token now carries the new permissions.
    let me = expect_json(app.get_as(&user.access, "/api/v1/auth/me").await, 200).await;
    assert!(
        me["roles"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["name"] == "manager")
    );
    let perms = my_permissions(&app, &user.access).await;
    for p in ["users:read", "leads:read", "activities:read"] {
        assert!(perms.iter().any(|x| x == p), "missing {p}: {perms:?}");
    }
    assert!(!perms.iter().any(|p| p == "roles:write"), "{perms:?}");
    expect_json(app.get_as(&user.access, "/api/v1/users").await, 200).await;

    // And back to none.
    let res = app
        .send_as(
            Method::PUT,
            &admin.access,
            &format!("/api/v1/users/{}/roles", user.user_id),
            Some(&json!({"role_ids": []})),
        )
        .await;
    let body = expect_json(res, 200).await;
    assert_eq!(body["roles"], json!([]));
    assert!(my_permissions(&app, &user.access).await.is_empty());
    assert_problem(app.get_as(&user.access, "/api/v1/users").await, 403).await;
    // An unknown role id is a validation error, not a silent no-op.
    let res = app
        .send_as(
            Method::PUT,
            &admin.access,
            &format!("/api/v1/users/{}/roles", user.user_id),
            Some(&json!({"role_ids": [uuid::Uuid::now_v7()]})),
        )
        .await;
    assert_problem(res, 422).await;
    app.stop().await;
});

backend_tests!(own_scope_hides_other_users, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Own").await;
    let role = create_as(
        &app,
        &admin.access,
        "/api/v1/roles",
        json!({"name": "self-service", "description": "own profile only", "permissions": ["users:read:own"]}),
    )
    .await;
    assert_eq!(role["permissions"], json!(["users:read:own"]));
    assert_eq!(role["is_system"], false);
    let me = app.user_with_roles(&admin, &["self-service"]).await;
    // A second ordinary user, to be hidden too.
    let other = app.user_with_roles(&admin, &[]).await;

    let list = expect_json(
        app.get_as(&me.access, "/api/v1/users?count=true").await,
        200,
    )
    .await;
    let ids: Vec<&str> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![me.user_id.as_str()]);
    assert_eq!(list["total"], 1);
    expect_json(
        app.get_as(&me.access, &format!("/api/v1/users/{}", me.user_id))
            .await,
        200,
    )
    .await;
    for id in [&admin.user_id, &other.user_id] {
        let p = assert_problem(
            app.get_as(&me.access, &format!("/api/v1/users/{id}")).await,
            404,
        )
        .await;
        assert_type(&p, "not-found");
        assert_problem(
            app.get_as(&me.access, &format!("/api/v1/users/{id}/roles"))
                .await,
            404,
        )
        .await;
    }
    // The admin still sees everyone.
    let list = expect_json(app.get_as(&admin.access, "/api/v1/users").await, 200).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 3);
    app.stop().await;
});

/// A user whose stored hash is a bcrypt hash of `version` (as imported from the original
/// server) signs in, and the hash is replaced by an argon2id one.
async fn bcrypt_is_rehashed(b: Backend, version: bcrypt::Version, prefix: &str) {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Legacy").await;
    let email = fresh_email("legacy");
    let password = format!("legacy password {prefix}");
    create_as(
        &app,
        &admin.access,
        "/api/v1/users",
        json!({"name": "Leo Legacy", "email": email, "password": "placeholder password"}),
    )
    .await;
    let legacy = bcrypt::hash_with_result(&password, 4)
        .unwrap()
        .format_for_version(version);
    assert!(legacy.starts_with(prefix));
    let n = db_exec(
        &app,
        "UPDATE users SET password_hash = ? WHERE email = ?",
        vec![legacy.clone().into(), email.clone().into()],
    )
    .await;
    assert_eq!(n, 1);
    let stored_hash = || {
        db_string(
            &app,
            "SELECT password_hash FROM users WHERE email = ?",
            vec![email.clone().into()],
        )
    };

    // A wrong password (the one the hash replaced, too) does not touch the hash.
    assert_problem(login_res(&app, &email, "placeholder password").await, 401).await;
    assert_eq!(stored_hash().await.as_deref(), Some(legacy.as_str()));

    let s = app.login(&email, &password).await;
    assert!(!s.access.is_empty());
    let stored = stored_hash().await.unwrap();
    assert!(stored.starts_with("$argon2id$"), "{prefix}: {stored}");
    // The new hash works.
    app.login(&email, &password).await;
    app.stop().await;
}

backend_tests!(bcrypt_2a_is_rehashed, |b| bcrypt_is_rehashed(
    b,
    bcrypt::Version::TwoA,
    "$2a$"
));
backend_tests!(bcrypt_2b_is_rehashed, |b| bcrypt_is_rehashed(
    b,
    bcrypt::Version::TwoB,
    "$2b$"
));
backend_tests!(bcrypt_2y_is_rehashed, |b| bcrypt_is_rehashed(
    b,
    bcrypt::Version::TwoY,
    "$2y$"
));
