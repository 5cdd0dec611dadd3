//! Messages (contract section 9, conversations): direct, group and record conversations,
//! members, paging by message id while others write, idempotent sending, edit and delete,
//! read marks and unread counts, notifications, and 404 for whoever may not open a
//! conversation.

use crate::backend_tests;
use crate::concurrency::json_of;
use crate::helpers::*;
use crate::hr_support::{delete, get, id, post, problem, refused};
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::HashSet;

async fn direct(app: &TestApp, t: &str, with: &str) -> reqwest::Response {
    post(
        app,
        t,
        "/api/v1/conversations",
        json!({"kind": "direct", "member_ids": [with]}),
    )
    .await
}

async fn group(app: &TestApp, t: &str, title: &str, members: &[&str]) -> Value {
    json_of(
        post(
            app,
            t,
            "/api/v1/conversations",
            json!({"kind": "group", "title": title, "member_ids": members}),
        )
        .await,
        201,
    )
    .await
}

async fn send(app: &TestApp, t: &str, conversation: &str, body: Value) -> reqwest::Response {
    post(
        app,
        t,
        &format!("/api/v1/conversations/{conversation}/messages"),
        body,
    )
    .await
}

async fn say(app: &TestApp, t: &str, conversation: &str, text: &str) -> Value {
    json_of(send(app, t, conversation, json!({"body": text})).await, 201).await
}

fn member_ids(c: &Value) -> HashSet<String> {
    c["members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|m| m["user_id"].as_str().unwrap().to_string())
        .collect()
}

fn ids_of(page: &Value) -> Vec<String> {
    page["data"]
        .as_array()
        .expect("a page")
        .iter()
        .map(id)
        .collect()
}

/// The caller's unread count of `conversation`, read from the list.
async fn unread(app: &TestApp, t: &str, conversation: &str) -> i64 {
    let page = get(app, t, "/api/v1/conversations?limit=100").await;
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == conversation)
        .map(|c| c["unread_count"].as_i64().unwrap())
        .unwrap_or_else(|| panic!("{conversation} not in the list: {page}"))
}

backend_tests!(direct_conversations_are_one_per_pair, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Direct Co").await;
    let ann = app.user_with_roles(&admin, &["employee"]).await;
    let bob = app.user_with_roles(&admin, &["employee"]).await;

    let first = json_of(direct(&app, &ann.access, &bob.user_id).await, 201).await;
    assert_eq!(first["kind"], "direct");
    assert_eq!(
        member_ids(&first),
        HashSet::from([ann.user_id.clone(), bob.user_id.clone()])
    );
    assert_eq!(first["unread_count"], 0);
    assert!(first["last_message"].is_null());
    // Again, and from the other side: the same conversation.
    let again = json_of(direct(&app, &ann.access, &bob.user_id).await, 200).await;
    assert_eq!(again["id"], first["id"]);
    let other_side = json_of(direct(&app, &bob.access, &ann.user_id).await, 200).await;
    assert_eq!(other_side["id"], first["id"]);

    // Two creations of a new pair at once: one conversation, created once.
    let cy = app.user_with_roles(&admin, &["employee"]).await;
    let (r1, r2) = tokio::join!(
        direct(&app, &ann.access, &cy.user_id),
        direct(&app, &cy.access, &ann.user_id)
    );
    let (s1, s2) = (r1.status().as_u16(), r2.status().as_u16());
    let (v1, v2): (Value, Value) = (r1.json().await.unwrap(), r2.json().await.unwrap());
    assert_eq!(v1["id"], v2["id"], "{v1} {v2}");
    let mut statuses = [s1, s2];
    statuses.sort();
    assert_eq!(statuses, [200, 201]);

    // With oneself, with nobody known, with a user of another organization.
    refused(
        direct(&app, &ann.access, &ann.user_id).await,
        "member_ids[0]",
    )
    .await;
    let other = app.register_admin("Elsewhere Co").await;
    refused(
        direct(&app, &ann.access, &other.user_id).await,
        "member_ids[0]",
    )
    .await;
    refused(
        post(
            &app,
            &ann.access,
            "/api/v1/conversations",
            json!({"kind": "direct", "member_ids": []}),
        )
        .await,
        "member_ids",
    )
    .await;
    // Bad bodies never become 500.
    refused(
        post(
            &app,
            &ann.access,
            "/api/v1/conversations",
            json!({"kind": "channel"}),
        )
        .await,
        "kind",
    )
    .await;
    app.stop().await;
});

backend_tests!(
    group_members_are_added_and_removed_by_members,
    |b| async move {
        let app = spawn_app(b).await;
        let admin = app.register_admin("Group Co").await;
        let ann = app.user_with_roles(&admin, &["employee"]).await;
        let bob = app.user_with_roles(&admin, &["employee"]).await;
        let cy = app.user_with_roles(&admin, &["employee"]).await;

        let g = group(&app, &ann.access, "Launch", &[&bob.user_id]).await;
        let gid = id(&g);
        assert_eq!(g["title"], "Launch");
        assert_eq!(member_ids(&g).len(), 2);
        refused(
            post(
                &app,
                &ann.access,
                "/api/v1/conversations",
                json!({"kind": "group", "member_ids": []}),
            )
            .await,
            "title",
        )
        .await;

        // Cy is no member: 404 everywhere, whatever the body.
        let path = format!("/api/v1/conversations/{gid}");
        assert_problem(app.get_as(&cy.access, &path).await, 404).await;
        assert_problem(
            app.get_as(&cy.access, &format!("{path}/messages")).await,
            404,
        )
        .await;
        assert_problem(send(&app, &cy.access, &gid, json!({"body": ""})).await, 404).await;
        assert_problem(
            post(
                &app,
                &cy.access,
                &format!("{path}/members"),
                json!({"user_id": cy.user_id}),
            )
            .await,
            404,
        )
        .await;

        // A member adds Cy (twice: no change), who then reads it.
        let added = json_of(
            post(
                &app,
                &bob.access,
                &format!("{path}/members"),
                json!({"user_id": cy.user_id}),
            )
            .await,
            200,
        )
        .await;
        assert_eq!(member_ids(&added).len(), 3);
        let again = json_of(
            post(
                &app,
                &bob.access,
                &format!("{path}/members"),
                json!({"user_id": cy.user_id}),
            )
            .await,
            200,
        )
        .await;
        assert_eq!(member_ids(&again).len(), 3);
        get(&app, &cy.access, &path).await;
        refused(
            post(
                &app,
                &bob.access,
                &format!("{path}/members"),
                json!({"user_id": uuid::Uuid::now_v7()}),
            )
            .await,
            "user_id",
        )
        .await;

        // Removed: 404 again; removing a non-member is 404; Cy... leaves after being re-added.
        let res = delete(&app, &ann.access, &format!("{path}/members/{}", cy.user_id)).await;
        assert_eq!(res.status(), 204);
        assert_problem(app.get_as(&cy.access, &path).await, 404).await;
        assert_problem(
            delete(&app, &ann.access, &format!("{path}/members/{}", cy.user_id)).await,
            404,
        )
        .await;
        let res = delete(
            &app,
            &bob.access,
            &format!("{path}/members/{}", bob.user_id),
        )
        .await;
        assert_eq!(res.status(), 204);
        assert_problem(app.get_as(&bob.access, &path).await, 404).await;

        // A direct conversation keeps its pair.
        let d = json_of(direct(&app, &ann.access, &bob.user_id).await, 201).await;
        let dpath = format!("/api/v1/conversations/{}", id(&d));
        problem(
            post(
                &app,
                &ann.access,
                &format!("{dpath}/members"),
                json!({"user_id": cy.user_id}),
            )
            .await,
            409,
            "conversation-not-group",
        )
        .await;
        problem(
            delete(
                &app,
                &ann.access,
                &format!("{dpath}/members/{}", bob.user_id),
            )
            .await,
            409,
            "conversation-not-group",
        )
        .await;
        app.stop().await;
    }
);

backend_tests!(
    record_threads_are_open_to_the_records_readers,
    |b| async move {
        let app = spawn_app(b).await;
        let admin = app.register_admin("Threads Co").await;
        let sal = app.user_with_roles(&admin, &["sales"]).await;
        let sam = app.user_with_roles(&admin, &["sales"]).await;
        // A lead of Sal's: Sal and the admin read it, Sam does not (`leads:read:own`).
        let lead = json_of(
            post(
                &app,
                &admin.access,
                "/api/v1/leads",
                json!({"name": "Big Co", "owner_id": sal.user_id}),
            )
            .await,
            201,
        )
        .await;
        let body = json!({"kind": "record", "record_type": "lead", "record_id": lead["id"]});
        let thread = json_of(
            post(&app, &sal.access, "/api/v1/conversations", body.clone()).await,
            201,
        )
        .await;
        let tid = id(&thread);
        assert_eq!(thread["record_type"], "lead");
        assert_eq!(thread["record_id"], lead["id"]);
        // One thread per record: the admin asking gets it, and joins.
        let same = json_of(
            post(&app, &admin.access, "/api/v1/conversations", body.clone()).await,
            200,
        )
        .await;
        assert_eq!(same["id"], thread["id"]);
        assert_eq!(
            member_ids(&same),
            HashSet::from([sal.user_id.clone(), admin.user_id.clone()])
        );
        // Sam may not read the lead: 422 to make it, 404 to open it.
        refused(
            post(&app, &sam.access, "/api/v1/conversations", body.clone()).await,
            "record_id",
        )
        .await;
        let path = format!("/api/v1/conversations/{tid}");
        assert_problem(app.get_as(&sam.access, &path).await, 404).await;
        assert_problem(
            send(&app, &sam.access, &tid, json!({"body": "hi"})).await,
            404,
        )
        .await;
        refused(
            post(
                &app,
                &sal.access,
                "/api/v1/conversations",
                json!({"kind": "record", "record_type": "spaceship", "record_id": lead["id"]}),
            )
            .await,
            "record_type",
        )
        .await;

        // Sal writes; the admin reads it.
        let m = say(&app, &sal.access, &tid, "Call them Monday").await;
        let page = get(&app, &admin.access, &format!("{path}/messages")).await;
        assert_eq!(ids_of(&page), vec![id(&m)]);
        // Once the lead is Sam's, Sam reads the thread and Sal no longer does; a reader who
        // writes joins.
        let res = app
            .send_as(
                Method::PATCH,
                &admin.access,
                &format!("/api/v1/leads/{}", id(&lead)),
                Some(&json!({"owner_id": sam.user_id})),
            )
            .await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        assert_problem(app.get_as(&sal.access, &path).await, 404).await;
        let list = get(&app, &sal.access, "/api/v1/conversations").await;
        assert!(ids_of(&list).is_empty(), "{list}");
        say(&app, &sam.access, &tid, "Got it").await;
        let now = get(&app, &sam.access, &path).await;
        assert!(member_ids(&now).contains(&sam.user_id));
        app.stop().await;
    }
);

backend_tests!(
    messages_page_both_ways_without_skips_or_repeats_while_others_write,
    |b| async move {
        let app = spawn_app(b).await;
        let admin = app.register_admin("Paging Co").await;
        let ann = app.user_with_roles(&admin, &["employee"]).await;
        let bob = app.user_with_roles(&admin, &["employee"]).await;
        let c = json_of(direct(&app, &ann.access, &bob.user_id).await, 201).await;
        let cid = id(&c);
        let path = format!("/api/v1/conversations/{cid}/messages");
        let mut written = Vec::new();
        for i in 0..12 {
            let who = if i % 2 == 0 { &ann } else { &bob };
            written.push(id(&say(&app, &who.access, &cid, &format!("m{i}")).await));
        }

        // Newest first, back through `before`, while both keep writing: each older message
        // once, in order, and the new ones never slip in.
        let mut seen = Vec::new();
        let mut url = format!("{path}?limit=5");
        loop {
            let page = get(&app, &ann.access, &url).await;
            let ids = ids_of(&page);
            seen.extend(ids.clone());
            let (w1, w2) = tokio::join!(
                say(&app, &ann.access, &cid, "while paging"),
                say(&app, &bob.access, &cid, "while paging too")
            );
            written.push(id(&w1));
            written.push(id(&w2));
            if page["has_more"] != true {
                break;
            }
            url = format!("{path}?limit=5&before={}", ids.last().unwrap());
        }
        let first_twelve: Vec<String> = written[..12].iter().rev().cloned().collect();
        assert_eq!(seen, first_twelve);

        // Oldest first through `after`, while writing: every message exactly once, ascending,
        // including those written during the walk.
        let mut forward = Vec::new();
        let mut after = uuid::Uuid::nil().to_string();
        for round in 0.. {
            assert!(round < 50, "the walk does not end");
            let page = get(&app, &bob.access, &format!("{path}?limit=4&after={after}")).await;
            let ids = ids_of(&page);
            if round < 3 {
                let w = say(&app, &ann.access, &cid, "during the forward walk").await;
                written.push(id(&w));
            }
            forward.extend(ids.clone());
            if page["has_more"] != true && round >= 3 {
                break;
            }
            if let Some(last) = ids.last() {
                after = last.clone();
            }
        }
        // Every message exactly once (two written at once commit in either order).
        assert_eq!(forward.len(), written.len());
        assert_eq!(
            forward.iter().collect::<HashSet<_>>(),
            written.iter().collect::<HashSet<_>>()
        );
        let mut sorted = forward.clone();
        sorted.sort();
        assert_eq!(sorted, forward, "ids grow in the order of the walk");

        // 64 concurrent sends: none fails, ids still strictly increasing, none lost.
        let sends = (0..64).map(|i| {
            let (app, t, cid) = (
                &app,
                if i % 2 == 0 {
                    ann.access.clone()
                } else {
                    bob.access.clone()
                },
                cid.clone(),
            );
            async move { say(app, &t, &cid, &format!("burst {i}")).await }
        });
        let burst: HashSet<String> = futures_util::future::join_all(sends)
            .await
            .iter()
            .map(id)
            .collect();
        let tail = get(
            &app,
            &ann.access,
            &format!("{path}?limit=200&after={}", written.last().unwrap()),
        )
        .await;
        let tail_ids = ids_of(&tail);
        assert_eq!(tail_ids.iter().cloned().collect::<HashSet<_>>(), burst);
        let mut s = tail_ids.clone();
        s.sort();
        assert_eq!(s, tail_ids);

        for bad in ["limit=0", "limit=201", "before=nope", "after=1"] {
            assert_problem(app.get_as(&ann.access, &format!("{path}?{bad}")).await, 422).await;
        }
        app.stop().await;
    }
);

backend_tests!(a_client_message_id_sends_once, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Idem Co").await;
    let ann = app.user_with_roles(&admin, &["employee"]).await;
    let bob = app.user_with_roles(&admin, &["employee"]).await;
    let cid = id(&json_of(direct(&app, &ann.access, &bob.user_id).await, 201).await);

    let first = json_of(
        send(
            &app,
            &ann.access,
            &cid,
            json!({"body": "once", "client_message_id": "k1"}),
        )
        .await,
        201,
    )
    .await;
    for key in [
        "conversation_id",
        "author_id",
        "body",
        "file_ids",
        "created_at",
        "edited_at",
        "deleted",
    ] {
        assert!(first.get(key).is_some(), "{key} in {first}");
    }
    assert_eq!(first["author_id"], ann.user_id);
    assert_eq!(first["deleted"], false);
    let again = json_of(
        send(
            &app,
            &ann.access,
            &cid,
            json!({"body": "twice?", "client_message_id": "k1"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(again, first);
    // Another author's key is their own.
    json_of(
        send(
            &app,
            &bob.access,
            &cid,
            json!({"body": "mine", "client_message_id": "k1"}),
        )
        .await,
        201,
    )
    .await;

    // Racing repeats: one message.
    let tries = (0..6).map(|_| {
        send(
            &app,
            &ann.access,
            &cid,
            json!({"body": "race", "client_message_id": "k2"}),
        )
    });
    let answers = futures_util::future::join_all(tries).await;
    let mut created = 0;
    let mut ids = HashSet::new();
    for r in answers {
        let s = r.status().as_u16();
        assert!(s == 200 || s == 201, "{s}");
        if s == 201 {
            created += 1;
        }
        let v: Value = r.json().await.unwrap();
        ids.insert(id(&v));
    }
    assert_eq!(created, 1);
    assert_eq!(ids.len(), 1);
    let page = get(
        &app,
        &ann.access,
        &format!("/api/v1/conversations/{cid}/messages"),
    )
    .await;
    assert_eq!(ids_of(&page).len(), 3);

    // The body's bounds.
    refused(
        send(&app, &ann.access, &cid, json!({"body": "  "})).await,
        "body",
    )
    .await;
    refused(
        send(&app, &ann.access, &cid, json!({"body": "x".repeat(10_001)})).await,
        "body",
    )
    .await;
    json_of(
        send(&app, &ann.access, &cid, json!({"body": "y".repeat(10_000)})).await,
        201,
    )
    .await;
    app.stop().await;
});

backend_tests!(authors_edit_and_authors_or_admins_delete, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Edit Co").await;
    let ann = app.user_with_roles(&admin, &["employee"]).await;
    let bob = app.user_with_roles(&admin, &["employee"]).await;
    let g = group(&app, &ann.access, "Edits", &[&bob.user_id, &admin.user_id]).await;
    let gid = id(&g);
    let m = say(&app, &ann.access, &gid, "draft").await;
    let mpath = format!("/api/v1/messages/{}", id(&m));

    assert!(matches!(
        app.send_as(
            Method::PATCH,
            &bob.access,
            &mpath,
            Some(&json!({"body": "mine"}))
        )
        .await
        .status()
        .as_u16(),
        403
    ));
    let edited = json_of(
        app.send_as(
            Method::PATCH,
            &ann.access,
            &mpath,
            Some(&json!({"body": "final"})),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(edited["body"], "final");
    assert!(edited["edited_at"].is_string());
    refused(
        app.send_as(
            Method::PATCH,
            &ann.access,
            &mpath,
            Some(&json!({"body": ""})),
        )
        .await,
        "body",
    )
    .await;

    // Bob may not delete Ann's message; the admin may.
    assert_problem(delete(&app, &bob.access, &mpath).await, 403).await;
    assert_eq!(delete(&app, &admin.access, &mpath).await.status(), 204);
    let page = get(
        &app,
        &bob.access,
        &format!("/api/v1/conversations/{gid}/messages"),
    )
    .await;
    let shown = &page["data"][0];
    assert_eq!(shown["id"], m["id"]);
    assert_eq!(shown["deleted"], true);
    assert_eq!(shown["body"], "");
    problem(
        app.send_as(
            Method::PATCH,
            &ann.access,
            &mpath,
            Some(&json!({"body": "back"})),
        )
        .await,
        409,
        "message-deleted",
    )
    .await;
    // The author deletes their own; again changes nothing.
    let own = say(&app, &bob.access, &gid, "oops").await;
    let opath = format!("/api/v1/messages/{}", id(&own));
    assert_eq!(delete(&app, &bob.access, &opath).await.status(), 204);
    assert_eq!(delete(&app, &bob.access, &opath).await.status(), 204);
    // The events carry no text.
    let events = get(&app, &admin.access, "/api/v1/events?type=message.created").await;
    for e in events["data"].as_array().unwrap() {
        assert!(e["data"].get("body").is_none(), "{e}");
    }
    app.stop().await;
});

backend_tests!(unread_counts_with_three_members, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Unread Co").await;
    let ann = app.user_with_roles(&admin, &["employee"]).await;
    let bob = app.user_with_roles(&admin, &["employee"]).await;
    let cy = app.user_with_roles(&admin, &["employee"]).await;
    let g = group(&app, &ann.access, "Three", &[&bob.user_id, &cy.user_id]).await;
    let gid = id(&g);
    let a1 = say(&app, &ann.access, &gid, "a1").await;
    let a2 = say(&app, &ann.access, &gid, "a2").await;
    say(&app, &ann.access, &gid, "a3").await;
    say(&app, &bob.access, &gid, "b1").await;
    let b2 = say(&app, &bob.access, &gid, "b2").await;

    assert_eq!(unread(&app, &cy.access, &gid).await, 5);
    assert_eq!(unread(&app, &ann.access, &gid).await, 2);
    assert_eq!(unread(&app, &bob.access, &gid).await, 3);
    let list = get(&app, &cy.access, "/api/v1/conversations").await;
    assert_eq!(list["data"][0]["last_message"]["id"], b2["id"]);

    // Cy reads up to a2; a mark never moves back.
    let read = format!("/api/v1/conversations/{gid}/read");
    let mark = json_of(
        post(&app, &cy.access, &read, json!({"message_id": a2["id"]})).await,
        200,
    )
    .await;
    assert_eq!(mark["unread_count"], 3);
    assert_eq!(mark["last_read_message_id"], a2["id"]);
    let mark = json_of(
        post(&app, &cy.access, &read, json!({"message_id": a1["id"]})).await,
        200,
    )
    .await;
    assert_eq!(mark["last_read_message_id"], a2["id"]);
    assert_eq!(unread(&app, &cy.access, &gid).await, 3);
    // A deleted message no longer counts; a message of another conversation is no mark.
    assert_eq!(
        delete(&app, &bob.access, &format!("/api/v1/messages/{}", id(&b2)))
            .await
            .status(),
        204
    );
    assert_eq!(unread(&app, &cy.access, &gid).await, 2);
    let other = group(&app, &ann.access, "Other", &[&cy.user_id]).await;
    let elsewhere = say(&app, &ann.access, &id(&other), "elsewhere").await;
    refused(
        post(
            &app,
            &cy.access,
            &read,
            json!({"message_id": elsewhere["id"]}),
        )
        .await,
        "message_id",
    )
    .await;
    // Latest activity first.
    let list = get(&app, &cy.access, "/api/v1/conversations").await;
    assert_eq!(ids_of(&list), vec![id(&other), gid.clone()]);
    app.stop().await;
});

backend_tests!(
    new_messages_notify_the_other_members_as_they_prefer,
    |b| async move {
        let app = spawn_app_with(b, crate::notifications::FAST).await;
        let admin = app.register_admin("Notify Co").await;
        let ann = app.user_with_roles(&admin, &["employee"]).await;
        let bob = app.user_with_roles(&admin, &["employee"]).await;
        let cy = app.user_with_roles(&admin, &["employee"]).await;
        let res = app
        .send_as(
            Method::PUT,
            &cy.access,
            "/api/v1/notification-preferences",
            Some(&json!({"items": [{"type": "message.created", "in_app": false, "email": false}]})),
        )
        .await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        let g = group(&app, &ann.access, "Told", &[&bob.user_id, &cy.user_id]).await;
        let mut stream = crate::notifications::Sse::new(&app, &bob.access, None).await;
        let m = say(&app, &ann.access, &id(&g), "news").await;
        // Bob's open stream carries it at once.
        let f = stream
            .frame(std::time::Duration::from_secs(10))
            .await
            .expect("a frame on Bob's stream");
        assert_eq!(f.event, "message.created");
        assert_eq!(f.data["record_id"], m["id"]);
        assert_eq!(f.data["body"], "Told");

        let told = get(&app, &bob.access, "/api/v1/notifications").await;
        let n = told["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["type"] == "message.created")
            .unwrap_or_else(|| panic!("no message.created for Bob: {told}"));
        assert_eq!(n["record_type"], "message");
        assert_eq!(n["record_id"], m["id"]);
        for quiet in [&ann, &cy] {
            let page = get(&app, &quiet.access, "/api/v1/notifications").await;
            assert!(
                !page["data"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|n| n["type"] == "message.created"),
                "{page}"
            );
        }
        app.stop().await;
    }
);

backend_tests!(attached_files_are_files_the_sender_reads, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Files Co").await;
    let ann = app.user_with_roles(&admin, &["employee"]).await;
    let bob = app.user_with_roles(&admin, &["employee"]).await;
    let cid = id(&json_of(direct(&app, &ann.access, &bob.user_id).await, 201).await);
    let file = crate::files::upload(&app, &ann.access, "plan.txt", b"the plan").await;
    // Bob may not read Ann's unattached file (`files:read:own`).
    refused(
        send(
            &app,
            &bob.access,
            &cid,
            json!({"body": "see", "file_ids": [file["id"]]}),
        )
        .await,
        "file_ids[0]",
    )
    .await;
    let m = json_of(
        send(
            &app,
            &ann.access,
            &cid,
            json!({"body": "see", "file_ids": [file["id"]]}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(m["file_ids"], json!([file["id"]]));
    app.stop().await;
});

backend_tests!(
    another_organization_reaches_no_conversation,
    |b| async move {
        let app = spawn_app(b).await;
        let admin = app.register_admin("Home Co").await;
        let ann = app.user_with_roles(&admin, &["employee"]).await;
        let g = group(&app, &admin.access, "Home", &[&ann.user_id]).await;
        let gid = id(&g);
        let m = say(&app, &ann.access, &gid, "private").await;
        let intruder = app.register_admin("Away Co").await;
        let t = &intruder.access;
        let c = format!("/api/v1/conversations/{gid}");
        let mp = format!("/api/v1/messages/{}", id(&m));
        assert_problem(app.get_as(t, &c).await, 404).await;
        assert_problem(app.get_as(t, &format!("{c}/messages")).await, 404).await;
        assert_problem(send(&app, t, &gid, json!({"body": "hi"})).await, 404).await;
        assert_problem(
            post(
                &app,
                t,
                &format!("{c}/members"),
                json!({"user_id": intruder.user_id}),
            )
            .await,
            404,
        )
        .await;
        assert_problem(
            delete(&app, t, &format!("{c}/members/{}", ann.user_id)).await,
            404,
        )
        .await;
        assert_problem(
            post(
                &app,
                t,
                &format!("{c}/read"),
                json!({"message_id": m["id"]}),
            )
            .await,
            404,
        )
        .await;
        assert_problem(
            app.send_as(Method::PATCH, t, &mp, Some(&json!({"body": "x"})))
                .await,
            404,
        )
        .await;
        assert_problem(delete(&app, t, &mp).await, 404).await;
        let list = get(&app, t, "/api/v1/conversations").await;
        assert!(ids_of(&list).is_empty());
        // Nor does a user of the organization without the `messages` permissions.
        let plain = app.user_with_roles(&admin, &[]).await;
        assert_problem(app.get_as(&plain.access, &c).await, 403).await;
        app.stop().await;
    }
);
