//! Notifications (contract section 5): a record given to someone else notifies them (list,
//! unread count, a frame on their open stream), never the actor; preferences and mail; the
//! stream's resume, tickets and bound.

use crate::backend_tests;
use crate::helpers::*;
use crate::identity_support::{create_as, db_exec, expect_json, has_field_error, mails_to};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;

pub(crate) const FAST: &[(&str, &str)] = &[
    ("CRM__NOTIFICATIONS__KEEPALIVE_SECS", "1"),
    ("CRM__NOTIFICATIONS__POLL_MILLIS", "100"),
    ("CRM__NOTIFICATIONS__MAX_STREAMS_PER_USER", "3"),
];

/// One Server-Sent Events frame.
#[derive(Debug, Default)]
pub(crate) struct Frame {
    pub(crate) id: String,
    pub(crate) event: String,
    pub(crate) data: Value,
}

/// An open stream and what was read of it but not yet parsed (the messages tests read
/// their frames too).
pub(crate) struct Sse {
    res: reqwest::Response,
    buf: String,
    comments: usize,
}

impl Sse {
    async fn open(
        app: &TestApp,
        token: Option<&str>,
        query: &str,
        last: Option<&str>,
    ) -> reqwest::Response {
        let mut r = app
            .client
            .get(app.url(&format!("/api/v1/notifications/stream{query}")));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        if let Some(l) = last {
            r = r.header("Last-Event-ID", l);
        }
        r.send().await.unwrap()
    }

    pub(crate) async fn new(app: &TestApp, token: &str, last: Option<&str>) -> Sse {
        let res = Self::open(app, Some(token), "", last).await;
        assert_eq!(res.status(), 200);
        assert_eq!(
            res.headers()["content-type"].to_str().unwrap(),
            "text/event-stream"
        );
        Sse {
            res,
            buf: String::new(),
            comments: 0,
        }
    }

    /// The next frame within `wait` (comments are counted and skipped).
    pub(crate) async fn frame(&mut self, wait: Duration) -> Option<Frame> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            while let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let mut f = Frame::default();
                let mut is_frame = false;
                for line in block.lines() {
                    if line.starts_with(':') {
                        self.comments += 1;
                    } else if let Some(v) = line.strip_prefix("id: ") {
                        f.id = v.into();
                        is_frame = true;
                    } else if let Some(v) = line.strip_prefix("event: ") {
                        f.event = v.into();
                    } else if let Some(v) = line.strip_prefix("data: ") {
                        f.data = serde_json::from_str(v).unwrap();
                    }
                }
                if is_frame {
                    return Some(f);
                }
            }
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() {
                return None;
            }
            match tokio::time::timeout(left, self.res.chunk()).await {
                Ok(Ok(Some(b))) => self.buf.push_str(std::str::from_utf8(&b).unwrap()),
                Ok(_) => return None,
                Err(_) => return None,
            }
        }
    }
}

async fn lead_for(app: &TestApp, token: &str, owner: &str, name: &str) -> Value {
    create_as(
        app,
        token,
        "/api/v1/leads",
        json!({"name": name, "email": format!("{}@leads.example", name.to_lowercase().replace(' ', "-")), "owner_id": owner}),
    )
    .await
}

async fn mine(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let page = expect_json(
        app.get_as(token, &format!("/api/v1/notifications?limit=200{query}"))
            .await,
        200,
    )
    .await;
    page["data"].as_array().unwrap().clone()
}

async fn unread(app: &TestApp, token: &str) -> u64 {
    expect_json(
        app.get_as(token, "/api/v1/notifications/unread-count")
            .await,
        200,
    )
    .await["count"]
        .as_u64()
        .unwrap()
}

backend_tests!(
    a_record_given_to_someone_else_notifies_them_only,
    |b| async move {
        let app = spawn_app_with(b, FAST).await;
        let admin = app.register_admin("Notify A").await;
        let bea = app.user_with_roles(&admin, &["sales"]).await;
        let mut stream = Sse::new(&app, &bea.access, None).await;

        let t0 = std::time::Instant::now();
        let lead = lead_for(&app, &admin.access, &bea.user_id, "Ann Lee").await;
        let f = stream
            .frame(Duration::from_secs(10))
            .await
            .expect("a frame on B's stream");
        println!("notification delivery {b:?}: {:?}", t0.elapsed());
        assert_eq!(f.event, "lead.assigned");
        assert_eq!(f.data["id"], f.id.as_str());
        assert_eq!(f.data["record_type"], "lead");
        assert_eq!(f.data["record_id"], lead["id"]);
        assert_eq!(f.data["body"], "Ann Lee");
        assert_eq!(f.data["read_at"], Value::Null);

        let list = mine(&app, &bea.access, "&unread=true").await;
        assert_eq!(list.len(), 1, "{list:?}");
        assert_eq!(list[0], f.data);
        assert_eq!(unread(&app, &bea.access).await, 1);
        // The actor is never notified of their own action.
        assert!(mine(&app, &admin.access, "").await.is_empty());
        // B's own lead: nothing for anyone.
        lead_for(&app, &bea.access, &bea.user_id, "Own Lead").await;
        assert!(stream.frame(Duration::from_millis(1500)).await.is_none());
        assert_eq!(unread(&app, &bea.access).await, 1);
        // A change of owner to B notifies B again; other changes do not.
        let other = lead_for(&app, &admin.access, &admin.user_id, "Moved Lead").await;
        let res = app
            .send_as(
                Method::PATCH,
                &admin.access,
                &format!("/api/v1/leads/{}", other["id"].as_str().unwrap()),
                Some(&json!({"owner_id": bea.user_id})),
            )
            .await;
        assert_eq!(res.status(), 200);
        let f2 = stream.frame(Duration::from_secs(10)).await.unwrap();
        assert_eq!(f2.data["record_id"], other["id"]);
        assert!(stream.comments >= 1, "keep-alive comments");

        // Newest first; read, read-all, delete; another user's id is 404.
        let list = mine(&app, &bea.access, "").await;
        assert_eq!(list.len(), 2);
        assert_eq!(list[0]["id"], f2.id.as_str());
        let read = expect_json(
            app.send_as(
                Method::POST,
                &bea.access,
                &format!("/api/v1/notifications/{}/read", f.id),
                None,
            )
            .await,
            200,
        )
        .await;
        assert!(read["read_at"].is_string());
        assert_eq!(mine(&app, &bea.access, "&unread=true").await.len(), 1);
        for path in [format!("/api/v1/notifications/{}/read", f2.id)] {
            let res = app.send_as(Method::POST, &admin.access, &path, None).await;
            assert_eq!(res.status(), 404, "another user's notification");
        }
        let res = app
            .send_as(
                Method::DELETE,
                &admin.access,
                &format!("/api/v1/notifications/{}", f2.id),
                None,
            )
            .await;
        assert_eq!(res.status(), 404);
        let all = expect_json(
            app.send_as(
                Method::POST,
                &bea.access,
                "/api/v1/notifications/read-all",
                None,
            )
            .await,
            200,
        )
        .await;
        assert_eq!(all["updated"], 1);
        assert_eq!(unread(&app, &bea.access).await, 0);
        let res = app
            .send_as(
                Method::DELETE,
                &bea.access,
                &format!("/api/v1/notifications/{}", f.id),
                None,
            )
            .await;
        assert_eq!(res.status(), 204);
        assert_eq!(mine(&app, &bea.access, "").await.len(), 1);
        let res = app
            .send_as(
                Method::DELETE,
                &bea.access,
                &format!("/api/v1/notifications/{}", f.id),
                None,
            )
            .await;
        assert_eq!(res.status(), 404);
        drop(stream);
        app.stop().await;
    }
);

backend_tests!(preferences_choose_app_and_mail, |b| async move {
    let app = spawn_app_with(b, FAST).await;
    let admin = app.register_admin("Notify P").await;
    let bea = app.user_with_roles(&admin, &["sales"]).await;
    let prefs = expect_json(
        app.get_as(&bea.access, "/api/v1/notification-preferences")
            .await,
        200,
    )
    .await;
    let items = prefs["items"].as_array().unwrap();
    let lead = items.iter().find(|i| i["type"] == "lead.assigned").unwrap();
    assert_eq!(
        (lead["in_app"].clone(), lead["email"].clone()),
        (json!(true), json!(false))
    );
    assert!(items.iter().any(|i| i["type"] == "deal.assigned"));

    let res = app
        .send_as(
            Method::PUT,
            &bea.access,
            "/api/v1/notification-preferences",
            Some(&json!({"items": [{"type": "nope.nothing", "in_app": true, "email": true}]})),
        )
        .await;
    let p = expect_json(res, 422).await;
    assert!(has_field_error(&p, "items[0].type"), "{p}");

    let put = |in_app: bool, email: bool| {
        let app = &app;
        let token = bea.access.clone();
        async move {
            expect_json(
                app.send_as(
                    Method::PUT,
                    &token,
                    "/api/v1/notification-preferences",
                    Some(&json!({"items": [{"type": "lead.assigned", "in_app": in_app, "email": email}]})),
                )
                .await,
                200,
            )
            .await
        }
    };
    let after = put(false, true).await;
    let got = expect_json(
        app.get_as(&bea.access, "/api/v1/notification-preferences")
            .await,
        200,
    )
    .await;
    assert_eq!(after, got);
    let lead = got["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["type"] == "lead.assigned")
        .unwrap()
        .clone();
    assert_eq!(
        (lead["in_app"].clone(), lead["email"].clone()),
        (json!(false), json!(true))
    );

    // Mail on, app off: a mail, no stored notification.
    lead_for(&app, &admin.access, &bea.user_id, "Mailed Lead").await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while mails_to(&app, &bea.email)
        .iter()
        .all(|m| !m.contains("Mailed Lead"))
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no notification mail"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(mine(&app, &bea.access, "").await.is_empty());
    // Mail off: none.
    put(true, false).await;
    let before = mails_to(&app, &bea.email).len();
    lead_for(&app, &admin.access, &bea.user_id, "Quiet Lead").await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(mails_to(&app, &bea.email).len(), before);
    assert_eq!(mine(&app, &bea.access, "").await.len(), 1);
    app.stop().await;
});

backend_tests!(
    a_reconnect_with_last_event_id_gets_exactly_the_missed_frames,
    |b| async move {
        let app = spawn_app_with(b, FAST).await;
        let admin = app.register_admin("Notify R").await;
        let bea = app.user_with_roles(&admin, &["sales"]).await;
        let mut s = Sse::new(&app, &bea.access, None).await;
        lead_for(&app, &admin.access, &bea.user_id, "First").await;
        let first = s.frame(Duration::from_secs(10)).await.unwrap();
        drop(s);
        lead_for(&app, &admin.access, &bea.user_id, "Second").await;
        lead_for(&app, &admin.access, &bea.user_id, "Third").await;
        let mut s = Sse::new(&app, &bea.access, Some(&first.id)).await;
        let a = s.frame(Duration::from_secs(5)).await.unwrap();
        let c = s.frame(Duration::from_secs(5)).await.unwrap();
        assert_eq!(
            (a.data["body"].clone(), c.data["body"].clone()),
            (json!("Second"), json!("Third"))
        );
        assert!(
            s.frame(Duration::from_millis(1500)).await.is_none(),
            "nothing twice"
        );
        // And live frames continue after the replay.
        lead_for(&app, &admin.access, &bea.user_id, "Fourth").await;
        let d = s.frame(Duration::from_secs(10)).await.unwrap();
        assert_eq!(d.data["body"], "Fourth");
        let res = Sse::open(&app, Some(&bea.access), "", Some("not-an-id")).await;
        assert_eq!(res.status(), 422);
        app.stop().await;
    }
);

backend_tests!(
    tickets_are_single_use_and_streams_are_bounded,
    |b| async move {
        let app = spawn_app_with(b, FAST).await;
        let admin = app.register_admin("Notify T").await;
        let bea = app.user_with_roles(&admin, &["sales"]).await;
        let ticket = |token: String| {
            let app = &app;
            async move {
                let t = expect_json(
                    app.send_as(
                        Method::POST,
                        &token,
                        "/api/v1/notifications/stream-tickets",
                        None,
                    )
                    .await,
                    201,
                )
                .await;
                t["ticket"].as_str().unwrap().to_string()
            }
        };
        let t = ticket(bea.access.clone()).await;
        let res = Sse::open(&app, None, &format!("?ticket={t}"), None).await;
        assert_eq!(res.status(), 200);
        let mut s = Sse {
            res,
            buf: String::new(),
            comments: 0,
        };
        lead_for(&app, &admin.access, &bea.user_id, "By Ticket").await;
        let f = s.frame(Duration::from_secs(10)).await.unwrap();
        assert_eq!(f.data["body"], "By Ticket");
        drop(s);
        // Used once: refused the second time.
        let res = Sse::open(&app, None, &format!("?ticket={t}"), None).await;
        assert_eq!(res.status(), 401);
        // Stored hashed, never as sent.
        let conn = sea_orm::Database::connect(&app.db.url).await.unwrap();
        use sea_orm::ConnectionTrait;
        let n = conn
            .query_all_raw(sea_orm::Statement::from_string(
                conn.get_database_backend(),
                format!(
                    "SELECT ticket_hash FROM notification_stream_tickets WHERE ticket_hash = '{t}'"
                ),
            ))
            .await
            .unwrap()
            .len();
        conn.close().await.ok();
        assert_eq!(n, 0);
        // Expired after 60 s (moved into the past here).
        let t2 = ticket(bea.access.clone()).await;
        let past = chrono::Utc::now() - chrono::Duration::seconds(1);
        let moved = db_exec(
            &app,
            "UPDATE notification_stream_tickets SET expires_at = ? WHERE used_at IS NULL",
            vec![past.into()],
        )
        .await;
        assert_eq!(moved, 1);
        let res = Sse::open(&app, None, &format!("?ticket={t2}"), None).await;
        assert_eq!(res.status(), 401);
        assert_eq!(
            Sse::open(&app, None, "?ticket=unknown", None)
                .await
                .status(),
            401
        );
        assert_eq!(Sse::open(&app, None, "", None).await.status(), 401);

        // At most 3 open streams per user here (5 by default); the next is 429.
        let carl = app.user_with_roles(&admin, &["sales"]).await;
        let mut open = Vec::new();
        for _ in 0..3 {
            open.push(Sse::new(&app, &carl.access, None).await);
        }
        let res = Sse::open(&app, Some(&carl.access), "", None).await;
        assert_eq!(res.status(), 429);
        assert!(res.headers().contains_key("retry-after"));
        // Another user is not affected.
        let _admin_stream = Sse::new(&app, &admin.access, None).await;
        // A closed stream frees its place (noticed at the next keep-alive write).
        open.pop();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let res = Sse::open(&app, Some(&carl.access), "", None).await;
            if res.status() == 200 {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the place was not freed"
            );
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        app.stop().await;
    }
);

/// Median, min and max of `samples`.
fn summary(mut samples: Vec<Duration>) -> String {
    samples.sort();
    format!(
        "median {:?}, min {:?}, max {:?} over {}",
        samples[samples.len() / 2],
        samples[0],
        samples[samples.len() - 1],
        samples.len()
    )
}

backend_tests!(
    a_notification_made_on_one_instance_reaches_a_stream_on_another,
    |b| async move {
        // Default poll interval (1 s) on SQLite and MariaDB; PostgreSQL pushes.
        let extra = [("CRM__NOTIFICATIONS__KEEPALIVE_SECS", "1")];
        let one = spawn_app_with(b, &extra).await;
        // Signed up before the second instance starts: its outbox worker could otherwise deliver
        // the sign-up code into its own mail folder.
        let admin = one.register_admin("Notify Two").await;
        let bea = one.user_with_roles(&admin, &["sales"]).await;
        let two_db = one.db.shared();
        let settings = test_settings(&two_db.url, two_db.dir(), &extra);
        let two = start_on(two_db, settings).await;
        let mut on_two = Sse::new(&two, &bea.access, None).await;
        let (mut from_request, mut from_commit) = (Vec::new(), Vec::new());
        for i in 0..5u64 {
            // Spread the writes over the poll period, or every sample would land just after a
            // poll (the previous frame came with one) and measure the whole period.
            tokio::time::sleep(Duration::from_millis(i * 190)).await;
            let t0 = std::time::Instant::now();
            let lead = lead_for(&one, &admin.access, &bea.user_id, &format!("Across {i}")).await;
            let committed = t0.elapsed();
            let f = on_two
                .frame(Duration::from_secs(10))
                .await
                .expect("the frame reaches the other instance");
            let total = t0.elapsed();
            assert_eq!(f.data["record_id"], lead["id"]);
            from_request.push(total);
            from_commit.push(total.saturating_sub(committed));
        }
        println!(
            "cross-instance delivery {b:?}: request start to frame {}; response to frame {}",
            summary(from_request),
            summary(from_commit)
        );
        // A graceful stop does not wait for the open stream: the stream ends, the stop is quick.
        let took = two.stop_gracefully().await;
        assert!(took < Duration::from_secs(5), "graceful stop took {took:?}");
        let ended = tokio::time::timeout(Duration::from_secs(5), async {
            while on_two
                .res
                .chunk()
                .await
                .map(|c| c.is_some())
                .unwrap_or(false)
            {}
        })
        .await;
        assert!(ended.is_ok(), "the stream ended with the server");
        one.stop().await;
    }
);

backend_tests!(
    a_decision_on_someone_elses_quotation_notifies_its_owner,
    |b| async move {
        let app = spawn_app_with(b, FAST).await;
        let admin = app.register_admin("Notify Q").await;
        let bea = app.user_with_roles(&admin, &["sales"]).await;
        let client = create_as(
            &app,
            &admin.access,
            "/api/v1/clients",
            json!({"name": "Quoted Co", "kind": "company"}),
        )
        .await;
        let q = create_as(
            &app,
            &admin.access,
            "/api/v1/quotations",
            json!({"client_id": client["id"], "currency": "USD", "owner_id": bea.user_id,
               "items": [{"description": "x", "quantity": 1, "unit_price": 100}]}),
        )
        .await;
        let id = q["id"].as_str().unwrap();
        for verb in ["send", "accept"] {
            let res = app
                .send_as(
                    Method::POST,
                    &admin.access,
                    &format!("/api/v1/quotations/{id}/{verb}"),
                    None,
                )
                .await;
            assert_eq!(res.status(), 200, "{verb}");
        }
        let types: Vec<Value> = mine(&app, &bea.access, "")
            .await
            .iter()
            .map(|n| n["type"].clone())
            .collect();
        // Newest first; sending is the admin's own step, not a decision for Bea.
        assert_eq!(
            types,
            [json!("quotation.accepted"), json!("quotation.assigned")]
        );
        assert!(mine(&app, &admin.access, "").await.is_empty());
        app.stop().await;
    }
);
