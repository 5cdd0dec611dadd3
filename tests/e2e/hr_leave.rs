//! Leave (contract section 8): types, balances on known policies and dates, the ledger,
//! adjustments, requests with their day counts, overlap rules, the concurrent overdraw race,
//! decisions by the reporting line, cancel rules and the employee role end to end. Dates are
//! years ahead (2030–2031), so the day the test runs never tips a rule.

use crate::backend_tests;
use crate::concurrency::json_of;
use crate::helpers::*;
use crate::hr_support::{employee, get, id, post, problem, refused, reports_to, send_if, version};
use crate::identity_support::create_as;
use reqwest::Method;
use serde_json::{Value, json};

async fn leave_type(app: &TestApp, t: &str, code: &str, extra: Value) -> Value {
    let mut body = json!({"name": format!("{code} leave"), "code": code,
        "allowance_days": 20, "accrual": "upfront"});
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    create_as(app, t, "/api/v1/leave-types", body).await
}

async fn request(app: &TestApp, t: &str, body: Value) -> reqwest::Response {
    post(app, t, "/api/v1/leave-requests", body).await
}

/// The balance row of `ty` for `emp` as of `as_of`.
async fn balance(app: &TestApp, t: &str, emp: &str, ty: &str, as_of: &str) -> Value {
    let b = get(
        app,
        t,
        &format!("/api/v1/leave-balances?employee_id={emp}&as_of={as_of}"),
    )
    .await;
    b["balances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["leave_type_id"] == ty)
        .cloned()
        .unwrap_or_else(|| panic!("no row of {ty} in {b}"))
}

fn n(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("a number: {v}"))
}

backend_tests!(leave_types_with_their_rules, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Types Co").await;
    let t = admin.access.as_str();
    let al = leave_type(&app, t, "AL", json!({"carry_forward_max_days": 5.5})).await;
    assert_eq!(al["paid"], true);
    assert_eq!(al["requires_approval"], true);
    assert_eq!(n(&al["carry_forward_max_days"]), 5.5);
    assert_eq!(al["accrual"], "upfront");
    // Code unique per organization.
    let res = post(
        &app,
        t,
        "/api/v1/leave-types",
        json!({"name": "Other", "code": "AL", "allowance_days": 1, "accrual": "monthly"}),
    )
    .await;
    problem(res, 409, "leave-type-code-taken").await;
    // Validation: negative, three decimals, unknown accrual.
    let res = post(
        &app,
        t,
        "/api/v1/leave-types",
        json!({"name": "X", "code": "X", "allowance_days": -1, "accrual": "monthly"}),
    )
    .await;
    refused(res, "allowance_days").await;
    let res = post(
        &app,
        t,
        "/api/v1/leave-types",
        json!({"name": "X", "code": "X", "allowance_days": 1.255, "accrual": "monthly"}),
    )
    .await;
    refused(res, "allowance_days").await;
    let res = post(
        &app,
        t,
        "/api/v1/leave-types",
        json!({"name": "X", "code": "X", "allowance_days": 1, "accrual": "weekly"}),
    )
    .await;
    refused(res, "accrual").await;
    // Patch with If-Match.
    let path = format!("/api/v1/leave-types/{}", id(&al));
    let res = send_if(
        &app,
        t,
        Method::PATCH,
        &path,
        version(&al),
        Some(json!({"allowance_days": 25})),
    )
    .await;
    let al2 = json_of(res, 200).await;
    assert_eq!(n(&al2["allowance_days"]), 25.0);
    let res = send_if(
        &app,
        t,
        Method::PATCH,
        &path,
        version(&al),
        Some(json!({"paid": false})),
    )
    .await;
    assert_problem(res, 412).await;
    // A type in use cannot be deleted; an unused one can.
    let emp = id(&employee(&app, t, "Ann", "2020-01-06", json!({})).await);
    let res = request(
        &app,
        t,
        json!({"employee_id": emp, "leave_type_id": id(&al),
        "start_date": "2030-03-04", "end_date": "2030-03-04"}),
    )
    .await;
    json_of(res, 201).await;
    problem(
        app.send_as(Method::DELETE, t, &path, None).await,
        409,
        "leave-type-in-use",
    )
    .await;
    let sick = leave_type(&app, t, "SICK", json!({})).await;
    let p = format!("/api/v1/leave-types/{}", id(&sick));
    assert_eq!(app.send_as(Method::DELETE, t, &p, None).await.status(), 204);
    assert_eq!(app.get_as(t, &p).await.status(), 404);
    app.stop().await;
});

backend_tests!(balances_on_known_policies_and_dates, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Balances Co").await;
    let t = admin.access.as_str();
    let up = id(&leave_type(
        &app,
        t,
        "UP",
        json!({"carry_forward_max_days": 5,
        "carry_forward_expiry_days": 90, "requires_approval": false}),
    )
    .await);
    let mo = id(&leave_type(&app, t, "MO", json!({"accrual": "monthly"})).await);
    // Hired 1 July 2030: 184 of 365 days of 20 = 10.08, to the half day 10.
    let late = id(&employee(&app, t, "Late", "2030-07-01", json!({})).await);
    let r = balance(&app, t, &late, &up, "2030-12-31").await;
    assert_eq!(n(&r["entitled"]), 10.0, "{r}");
    // Monthly, hired on the 10th of March (the month counts): four twelfths by 1 June.
    let r = balance(&app, t, &late, &mo, "2030-06-01").await;
    assert_eq!(n(&r["entitled"]), 0.0, "{r}");
    let early = id(&employee(&app, t, "Early", "2030-03-10", json!({})).await);
    let r = balance(&app, t, &early, &mo, "2030-06-01").await;
    assert_eq!(n(&r["entitled"]), 6.67, "{r}");
    // Carry forward: hired 2020, nothing used in 2030: 5 carried (capped) into 2031.
    let old = id(&employee(&app, t, "Old", "2020-01-06", json!({})).await);
    let r = balance(&app, t, &old, &up, "2031-01-15").await;
    assert_eq!(
        (
            n(&r["entitled"]),
            n(&r["carried_forward"]),
            n(&r["available"])
        ),
        (20.0, 5.0, 25.0),
        "{r}"
    );
    // Two days taken in January use the carried days first; the other three lapse on 1 April.
    let res = request(
        &app,
        t,
        json!({"employee_id": old, "leave_type_id": up,
        "start_date": "2031-01-06", "end_date": "2031-01-07"}),
    )
    .await;
    let req = json_of(res, 201).await;
    assert_eq!(
        req["status"], "approved",
        "no approval needed: approved at once"
    );
    assert_eq!(n(&req["days"]), 2.0);
    let r = balance(&app, t, &old, &up, "2031-04-02").await;
    assert_eq!(
        (n(&r["carried_forward"]), n(&r["taken"]), n(&r["available"])),
        (2.0, 2.0, 20.0),
        "{r}"
    );
    // The ledger of 2031 shows it row by row.
    let l = get(&app, t, &format!(
        "/api/v1/leave-ledger?employee_id={old}&leave_type_id={up}&from=2031-01-01&to=2031-12-31")).await;
    let kinds: Vec<(String, f64)> = l["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["kind"].as_str().unwrap().to_string(), n(&e["days"])))
        .collect();
    assert!(kinds.contains(&("entitlement".into(), 20.0)), "{l}");
    assert!(kinds.contains(&("carry_forward".into(), 5.0)), "{l}");
    assert!(kinds.contains(&("taken".into(), -2.0)), "{l}");
    assert!(
        kinds.contains(&("carry_forward_expiry".into(), -3.0)),
        "{l}"
    );
    // Adjustments: dated, counted from their date, audited; bad input named.
    let res = post(
        &app,
        t,
        "/api/v1/leave-adjustments",
        json!({"employee_id": old,
        "leave_type_id": up, "days": 1.5, "reason": "Weekend inventory", "date": "2031-05-01"}),
    )
    .await;
    let a = json_of(res, 201).await;
    assert_eq!(n(&a["days"]), 1.5);
    let r = balance(&app, t, &old, &up, "2031-05-01").await;
    assert_eq!(n(&r["adjustments"]), 1.5, "{r}");
    assert_eq!(
        n(&balance(&app, t, &old, &up, "2031-04-30").await["adjustments"]),
        0.0
    );
    let res = post(
        &app,
        t,
        "/api/v1/leave-adjustments",
        json!({"employee_id": old,
        "leave_type_id": up, "days": 0, "reason": ""}),
    )
    .await;
    let p = refused(res, "days").await;
    assert!(
        p["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["field"] == "reason"),
        "{p}"
    );
    app.stop().await;
});

backend_tests!(requests_count_days_and_keep_apart, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Requests Co").await;
    let t = admin.access.as_str();
    let al = id(&leave_type(&app, t, "AL", json!({})).await);
    let emp = id(&employee(&app, t, "Ann", "2020-01-06", json!({})).await);
    create_as(
        &app,
        t,
        "/api/v1/holidays",
        json!({"date": "2030-03-06", "name": "Fair day"}),
    )
    .await;
    // Friday to the next Wednesday over a weekend and a holiday: Fri, Mon, Tue = 3 days.
    let res = request(
        &app,
        t,
        json!({"employee_id": emp, "leave_type_id": al,
        "start_date": "2030-03-01", "end_date": "2030-03-06"}),
    )
    .await;
    let r = json_of(res, 201).await;
    assert_eq!(n(&r["days"]), 3.0, "{r}");
    assert_eq!(r["status"], "pending");
    // A weekend only: no working days.
    let res = request(
        &app,
        t,
        json!({"employee_id": emp, "leave_type_id": al,
        "start_date": "2030-03-09", "end_date": "2030-03-10"}),
    )
    .await;
    let p = refused(res, "start_date").await;
    assert!(p.to_string().contains("no_working_days"), "{p}");
    // Cross-field rules.
    let res = request(
        &app,
        t,
        json!({"employee_id": emp, "leave_type_id": al,
        "start_date": "2030-03-12", "end_date": "2030-03-11"}),
    )
    .await;
    refused(res, "end_date").await;
    let res = request(
        &app,
        t,
        json!({"employee_id": emp, "leave_type_id": al,
        "start_date": "2030-03-11", "end_date": "2030-03-12", "half_day": "am"}),
    )
    .await;
    refused(res, "half_day").await;
    // Half days: am then pm of one day stand together; am twice, or a full day over a half, not.
    let day = json!({"employee_id": emp, "leave_type_id": al,
        "start_date": "2030-03-13", "end_date": "2030-03-13"});
    let mut am = day.clone();
    am["half_day"] = json!("am");
    let mut pm = day.clone();
    pm["half_day"] = json!("pm");
    let r = json_of(request(&app, t, am.clone()).await, 201).await;
    assert_eq!(n(&r["days"]), 0.5);
    json_of(request(&app, t, pm).await, 201).await;
    problem(request(&app, t, am).await, 409, "leave-request-overlap").await;
    problem(request(&app, t, day).await, 409, "leave-request-overlap").await;
    // Overlapping the first request.
    let res = request(
        &app,
        t,
        json!({"employee_id": emp, "leave_type_id": al,
        "start_date": "2030-03-05", "end_date": "2030-03-05"}),
    )
    .await;
    problem(res, 409, "leave-request-overlap").await;
    // More than available: 20 - 3 - 1 = 16 left.
    let res = request(
        &app,
        t,
        json!({"employee_id": emp, "leave_type_id": al,
        "start_date": "2030-04-01", "end_date": "2030-04-30"}),
    )
    .await;
    let p = refused(res, "days").await;
    assert!(p.to_string().contains("insufficient_balance"), "{p}");
    // Filters: status, the window of days.
    let l = get(
        &app,
        t,
        &format!("/api/v1/leave-requests?employee_id={emp}&from=2030-03-13&to=2030-03-13"),
    )
    .await;
    assert_eq!(l["data"].as_array().unwrap().len(), 2, "{l}");
    let l = get(&app, t, "/api/v1/leave-requests?status=approved").await;
    assert_eq!(l["data"].as_array().unwrap().len(), 0, "{l}");
    app.stop().await;
});

backend_tests!(two_concurrent_requests_cannot_overdraw, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Race Co").await;
    let t = admin.access.as_str();
    let al = id(&leave_type(&app, t, "AL", json!({"allowance_days": 5})).await);
    let emp = id(&employee(&app, t, "Ann", "2020-01-06", json!({})).await);
    // Each takes 3 of 5 days: either alone fits, both together do not.
    let a = request(
        &app,
        t,
        json!({"employee_id": emp, "leave_type_id": al,
        "start_date": "2030-03-04", "end_date": "2030-03-06"}),
    );
    let b2 = request(
        &app,
        t,
        json!({"employee_id": emp, "leave_type_id": al,
        "start_date": "2030-03-11", "end_date": "2030-03-13"}),
    );
    let (ra, rb) = futures_util::join!(a, b2);
    let mut codes = vec![ra.status().as_u16(), rb.status().as_u16()];
    codes.sort();
    assert_eq!(codes, vec![201, 422]);
    let r = balance(&app, t, &emp, &al, "2030-03-01").await;
    assert_eq!(n(&r["pending"]), 3.0, "{r}");
    app.stop().await;
});

backend_tests!(decisions_follow_the_reporting_line, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Approvals Co").await;
    let t = admin.access.as_str();
    let person = app.user_with_roles(&admin, &["employee"]).await;
    let manager = app.user_with_roles(&admin, &["manager"]).await;
    let other = app.user_with_roles(&admin, &["employee"]).await;
    let (me, _boss) = reports_to(&app, t, &person.user_id, &manager.user_id).await;
    let theirs = id(&employee(
        &app,
        t,
        "Other",
        "2020-01-06",
        json!({"user_id": other.user_id}),
    )
    .await);
    let al = id(&leave_type(&app, t, "AL", json!({})).await);
    // The employee role: own balances and own requests, by default their own record.
    let own = get(
        &app,
        &person.access,
        "/api/v1/leave-balances?as_of=2030-01-02",
    )
    .await;
    assert_eq!(own["employee_id"], me["id"]);
    assert_eq!(own["balances"].as_array().unwrap().len(), 1);
    let res = app
        .get_as(
            &person.access,
            &format!("/api/v1/leave-balances?employee_id={theirs}"),
        )
        .await;
    assert_problem(res, 404).await;
    let res = request(
        &app,
        &person.access,
        json!({"leave_type_id": al,
        "start_date": "2030-03-04", "end_date": "2030-03-05"}),
    )
    .await;
    let r = json_of(res, 201).await;
    assert_eq!(r["employee_id"], me["id"]);
    let path = format!("/api/v1/leave-requests/{}", id(&r));
    // The other employee neither sees nor decides it; the person cannot approve their own.
    assert_problem(app.get_as(&other.access, &path).await, 404).await;
    let approve = format!("{path}/approve");
    assert_problem(post(&app, &other.access, &approve, json!({})).await, 404).await;
    problem(
        post(&app, &person.access, &approve, json!({})).await,
        403,
        "self-approval",
    )
    .await;
    // The manager's user (no approve permission) was told, and decides; a stale If-Match 412.
    let notes = get(&app, &manager.access, "/api/v1/notifications").await;
    assert!(
        notes.to_string().contains("leave_request.submitted"),
        "{notes}"
    );
    let res = send_if(
        &app,
        &manager.access,
        Method::POST,
        &approve,
        version(&r) + 5,
        Some(json!({})),
    )
    .await;
    assert_problem(res, 412).await;
    let res = send_if(
        &app,
        &manager.access,
        Method::POST,
        &approve,
        version(&r),
        Some(json!({"note": "ok"})),
    )
    .await;
    let done = json_of(res, 200).await;
    assert_eq!(done["status"], "approved");
    assert_eq!(done["decided_by"].as_str(), Some(manager.user_id.as_str()));
    problem(
        post(&app, &manager.access, &approve, json!({})).await,
        409,
        "leave-request-status",
    )
    .await;
    let notes = get(&app, &person.access, "/api/v1/notifications").await;
    assert!(
        notes.to_string().contains("leave_request.approved"),
        "{notes}"
    );
    // Reject needs a note, checked after the request is found.
    let res = request(
        &app,
        &person.access,
        json!({"leave_type_id": al,
        "start_date": "2030-04-01", "end_date": "2030-04-01"}),
    )
    .await;
    let r2 = json_of(res, 201).await;
    let reject = format!("/api/v1/leave-requests/{}/reject", id(&r2));
    refused(
        post(&app, &manager.access, &reject, json!({})).await,
        "note",
    )
    .await;
    let missing = format!("/api/v1/leave-requests/{}/reject", uuid::Uuid::now_v7());
    assert_problem(post(&app, &manager.access, &missing, json!({})).await, 404).await;
    let done = json_of(
        post(
            &app,
            &manager.access,
            &reject,
            json!({"note": "Release week"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(done["status"], "rejected");
    // Cancel: the requester before it starts; then it is not cancelled twice.
    let cancel = format!("{path}/cancel");
    let c = json_of(post(&app, &person.access, &cancel, json!({})).await, 200).await;
    assert_eq!(c["status"], "cancelled");
    problem(
        post(&app, &person.access, &cancel, json!({})).await,
        409,
        "leave-request-status",
    )
    .await;
    let mine = get(&app, &person.access, "/api/v1/leave-requests").await;
    assert_eq!(mine["data"].as_array().unwrap().len(), 2);
    let r = balance(&app, t, &id(&me), &al, "2030-01-02").await;
    assert_eq!((n(&r["taken"]), n(&r["pending"])), (0.0, 0.0), "{r}");
    app.stop().await;
});
