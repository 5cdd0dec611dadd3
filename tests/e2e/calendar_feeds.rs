//! iCalendar feeds (contract section 9, `/calendar/feeds`): created with a token shown once,
//! downloaded without a header with stable UIDs, the rule, exdates and changed occurrences,
//! read by a standard parser (Python's `icalendar`), `ETag`/`304`, revoked at once, another
//! user's or organization's feed `404`, a deactivated owner's feed `404`.

use crate::backend_tests;
use crate::concurrency::json_of;
use crate::helpers::*;
use crate::hr_support::{delete, get, id, patch, post};
use crate::identity_support::create_as;
use reqwest::Method;
use serde_json::{Value, json};

/// The UIDs of a document, in order.
fn uids(doc: &str) -> Vec<String> {
    doc.replace("\r\n ", "")
        .split("\r\n")
        .filter_map(|l| l.strip_prefix("UID:").map(str::to_string))
        .collect()
}

/// The events of `doc` as Python's `icalendar` reads them: `[{uid, summary, start,
/// recurrence_id, rrule, exdates}]`, or `None` when the parser is missing outside CI.
fn parsed(doc: &str) -> Option<Vec<Value>> {
    const SCRIPT: &str = r#"
import json, sys
import icalendar
cal = icalendar.Calendar.from_ical(sys.stdin.buffer.read())
out = []
for e in cal.walk("VEVENT"):
    rid = e.get("RECURRENCE-ID")
    ex = e.get("EXDATE")
    ex = ex if isinstance(ex, list) else ([ex] if ex is not None else [])
    out.append({
        "uid": str(e.get("UID")),
        "summary": str(e.get("SUMMARY")),
        "start": e.decoded("DTSTART").isoformat(),
        "recurrence_id": rid.dt.isoformat() if rid is not None else None,
        "rrule": e.get("RRULE").to_ical().decode() if e.get("RRULE") is not None else None,
        "exdates": [d.dt.isoformat() for x in ex for d in x.dts],
    })
print(json.dumps(out))
"#;
    let has_parser = std::process::Command::new("python3")
        .args(["-c", "import icalendar"])
        .status()
        .is_ok_and(|s| s.success());
    if !has_parser {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI needs Python's icalendar (pip install 'icalendar==6.1.0')"
        );
        eprintln!("note: Python's icalendar is not installed; the parser step is skipped");
        return None;
    }
    use std::io::Write;
    let mut child = std::process::Command::new("python3")
        .args(["-c", SCRIPT])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(doc.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "the parser refused the feed:\n{doc}");
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

async fn download(app: &TestApp, url: &str, etag: Option<&str>) -> reqwest::Response {
    let mut req = reqwest::Client::new().get(app.url(url));
    if let Some(e) = etag {
        req = req.header("if-none-match", e);
    }
    req.send().await.unwrap()
}

backend_tests!(feeds_serve_the_calendar_until_revoked, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Feeds Co").await;
    let t = admin.access.as_str();
    let me = app.user_with_roles(&admin, &["employee"]).await;
    let colleague = app.user_with_roles(&admin, &["employee"]).await;
    let m = me.access.as_str();

    // A weekly 09:00 Berlin meeting, four times; the second moved, the third cancelled.
    let event = json_of(
        post(
            &app,
            m,
            "/api/v1/calendar/events",
            json!({"title": "Sync", "starts_at": "2027-03-01T08:00:00Z",
                   "ends_at": "2027-03-01T09:00:00Z", "time_zone": "Europe/Berlin",
                   "recurrence": "FREQ=WEEKLY;COUNT=4"}),
        )
        .await,
        201,
    )
    .await;
    let ev = format!("/api/v1/calendar/events/{}", id(&event));
    json_of(
        patch(
            &app,
            m,
            &format!("{ev}/occurrences/2027-03-08T08:00:00Z"),
            json!({"title": "Sync (moved)", "starts_at": "2027-03-09T10:00:00+01:00",
                   "ends_at": "2027-03-09T11:00:00+01:00"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        delete(&app, m, &format!("{ev}/occurrences/2027-03-15T08:00:00Z"))
            .await
            .status(),
        204
    );
    // A task due, assigned to me.
    let project = create_as(&app, t, "/api/v1/projects", json!({"name": "Launch"})).await;
    post(
        &app,
        t,
        &format!("/api/v1/projects/{}/members", id(&project)),
        json!({"user_id": me.user_id, "role": "member"}),
    )
    .await;
    let task = create_as(
        &app,
        t,
        "/api/v1/tasks",
        json!({"project_id": project["id"], "title": "Ship it", "due_date": "2027-03-03",
               "assignee_ids": [me.user_id]}),
    )
    .await;

    // Created: the URL with its token, once.
    let res = post(&app, m, "/api/v1/calendar/feeds", json!({"scope": "mine"})).await;
    let location = res
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string());
    let feed = json_of(res, 201).await;
    let url = feed["url"].as_str().unwrap().to_string();
    assert_eq!(location.as_deref(), Some(url.as_str()));
    let token = url
        .strip_prefix("/api/v1/calendar/feeds/")
        .and_then(|u| u.strip_suffix(".ics"))
        .unwrap();
    assert_eq!(token.len(), 43, "{url}");
    let listed = get(&app, m, "/api/v1/calendar/feeds").await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
    assert_eq!(listed["data"][0]["id"], feed["id"]);
    assert_eq!(listed["data"][0]["scope"], "mine");
    assert!(
        !listed.to_string().contains(token),
        "the token is shown once"
    );
    let theirs = get(&app, &colleague.access, "/api/v1/calendar/feeds").await;
    assert!(theirs["data"].as_array().unwrap().is_empty());
    refused_scope(&app, m).await;

    // Downloaded twice without a header: the same UIDs, the same body and ETag.
    let first = download(&app, &url, None).await;
    assert_eq!(first.status(), 200);
    assert_eq!(
        first.headers()["content-type"].to_str().unwrap(),
        "text/calendar; charset=utf-8"
    );
    let etag = first.headers()["etag"].to_str().unwrap().to_string();
    let doc = first.text().await.unwrap();
    let second = download(&app, &url, None).await;
    assert_eq!(second.headers()["etag"].to_str().unwrap(), etag);
    let again = second.text().await.unwrap();
    assert_eq!(uids(&doc), uids(&again));
    assert_eq!(doc, again);
    let uid = format!("{}@crm", id(&event));
    let task_uid = format!("task-{}@crm", id(&task));
    assert_eq!(
        uids(&doc),
        [uid.clone(), uid.clone(), task_uid.clone()],
        "{doc}"
    );
    let unfolded = doc.replace("\r\n ", "");
    for line in [
        "RRULE:FREQ=WEEKLY;COUNT=4",
        "DTSTART;TZID=Europe/Berlin:20270301T090000",
        "EXDATE;TZID=Europe/Berlin:20270315T090000",
        "RECURRENCE-ID;TZID=Europe/Berlin:20270308T090000",
        "DTSTART;VALUE=DATE:20270303",
    ] {
        assert!(unfolded.contains(line), "{line} in\n{doc}");
    }

    // A standard parser reads it.
    if let Some(events) = parsed(&doc) {
        assert_eq!(events.len(), 3, "{events:?}");
        let series = &events[0];
        assert_eq!(series["uid"], uid.as_str());
        assert_eq!(series["start"], "2027-03-01T09:00:00+01:00");
        assert_eq!(series["rrule"], "FREQ=WEEKLY;COUNT=4");
        assert_eq!(series["exdates"], json!(["2027-03-15T09:00:00+01:00"]));
        let moved = &events[1];
        assert_eq!(moved["uid"], uid.as_str());
        assert_eq!(moved["summary"], "Sync (moved)");
        assert_eq!(moved["recurrence_id"], "2027-03-08T09:00:00+01:00");
        assert_eq!(moved["start"], "2027-03-09T10:00:00+01:00");
        assert_eq!(events[2]["uid"], task_uid.as_str());
        assert_eq!(events[2]["start"], "2027-03-03");
    }

    // If-None-Match: 304; a stale tag: the body.
    let res = download(&app, &url, Some(&etag)).await;
    assert_eq!(res.status(), 304);
    assert_eq!(download(&app, &url, Some("\"stale\"")).await.status(), 200);
    // The listed feed says when it was last used.
    let listed = get(&app, m, "/api/v1/calendar/feeds").await;
    assert!(listed["data"][0]["last_used_at"].is_string(), "{listed}");

    // An unknown token: 404.
    let unknown = format!("/api/v1/calendar/feeds/{}.ics", "A".repeat(43));
    assert_eq!(download(&app, &unknown, None).await.status(), 404);
    assert_eq!(
        download(&app, "/api/v1/calendar/feeds/short.ics", None)
            .await
            .status(),
        404
    );

    // Another user's or another organization's caller cannot revoke it.
    let path = format!("/api/v1/calendar/feeds/{}", id(&feed));
    assert_problem(delete(&app, &colleague.access, &path).await, 404).await;
    let other = app.register_admin("Other Feeds").await;
    assert_problem(delete(&app, &other.access, &path).await, 404).await;
    assert_eq!(download(&app, &url, None).await.status(), 200);

    // Revoked: the next download is 404.
    assert_eq!(delete(&app, m, &path).await.status(), 204);
    assert_eq!(download(&app, &url, None).await.status(), 404);
    assert_problem(delete(&app, m, &path).await, 404).await;

    // A deactivated owner's feed stops.
    let feed = json_of(
        post(&app, m, "/api/v1/calendar/feeds", json!({"scope": "mine"})).await,
        201,
    )
    .await;
    let url = feed["url"].as_str().unwrap().to_string();
    assert_eq!(download(&app, &url, None).await.status(), 200);
    let res = app
        .send_as(
            Method::POST,
            t,
            &format!("/api/v1/users/{}/deactivate", me.user_id),
            None,
        )
        .await;
    json_of(res, 200).await;
    assert_eq!(download(&app, &url, None).await.status(), 404);
    app.stop().await;
});

/// A scope other than `mine`: 422 on `scope`.
async fn refused_scope(app: &TestApp, t: &str) {
    let p = assert_problem(
        post(
            app,
            t,
            "/api/v1/calendar/feeds",
            json!({"scope": "everyone"}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "scope", "{p}");
}
