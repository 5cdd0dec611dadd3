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
