//! CSV imports (contract section 10): rows checked as the create routes check a body, written
//! in the background in batches, with progress, a dry run, duplicates skipped or updated, and
//! a restart that goes on after the last committed batch without writing a row twice.

use crate::backend_tests;
use crate::files::{Part, multipart};
use crate::helpers::*;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

async fn post_import(app: &TestApp, token: &str, parts: &[Part<'_>]) -> reqwest::Response {
    let (ctype, body) = multipart(parts);
    app.client
        .post(app.url("/api/v1/imports"))
        .bearer_auth(token)
        .header("content-type", ctype)
        .body(body)
        .send()
        .await
        .unwrap()
}

/// Starts an import of `csv` as `resource` with the extra text parts; answers the `202` body.
pub(crate) async fn import(
    app: &TestApp,
    token: &str,
    resource: &str,
    csv: &str,
    extra: &[(&str, &str)],
) -> Value {
    let mut parts: Vec<Part> = vec![
        ("resource", None, None, resource.as_bytes()),
        ("file", Some("rows.csv"), Some("text/csv"), csv.as_bytes()),
    ];
    for (k, v) in extra {
        parts.push((k, None, None, v.as_bytes()));
    }
    let res = post_import(app, token, &parts).await;
    assert_eq!(res.status(), 202, "{}", res.text().await.unwrap());
    let location = res.headers()["location"].to_str().unwrap().to_string();
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        location,
        format!("/api/v1/imports/{}", body["id"].as_str().unwrap())
    );
    assert_eq!(body["status"], "queued");
    body
}

/// Polls the import until it is completed or failed.
pub(crate) async fn finished(app: &TestApp, token: &str, id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let res = app.get_as(token, &format!("/api/v1/imports/{id}")).await;
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.unwrap();
        if body["status"] == "completed" || body["status"] == "failed" {
            return body;
        }
        assert!(Instant::now() < deadline, "import still {body}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn lead_total(app: &TestApp, token: &str) -> i64 {
    let res = app.get_as(token, "/api/v1/leads?count=true&limit=1").await;
    assert_eq!(res.status(), 200);
    res.json::<Value>().await.unwrap()["total"]
        .as_i64()
        .unwrap()
}

/// The names of every lead, each as often as it is stored.
async fn lead_names(app: &TestApp, token: &str) -> Vec<String> {
    walk(app, token, "/api/v1/leads?limit=200")
        .await
        .iter()
        .map(|l| l["name"].as_str().unwrap().to_string())
        .collect()
}

fn errors_of(import: &Value) -> Vec<(u64, Option<String>)> {
    import["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["row"].as_u64().unwrap(),
                e["field"].as_str().map(str::to_string),
            )
        })
        .collect()
}

fn many_leads(n: usize, tag: &str) -> String {
    let mut csv = String::from("name,company,score\n");
    for i in 0..n {
        csv.push_str(&format!("{tag} lead {i},Acme {i},{}\n", i % 100));
    }
    csv
}

backend_tests!(
    good_bad_and_duplicate_rows_are_counted_exactly,
    |b| async move {
        let app = spawn_app(b).await;
        let admin = app.register_admin("Importers").await;
        let t = &admin.access;
        let res = app
            .send_as(
                reqwest::Method::POST,
                t,
                "/api/v1/leads",
                Some(&json!({"name": "Dup", "email": "dup@x.example", "score": 10})),
            )
            .await;
        assert_eq!(res.status(), 201);
        let dup: Value = res.json().await.unwrap();

        let csv = "name,email,score,estimated_amount,currency\r\n\
        Ann,ann@x.example,40,125050,USD\r\n\
        Bob,not-an-email,,,\r\n\
        Cy,cy@x.example,200,,\r\n\
        Dup again,DUP@x.example,11,,\r\n\
        Eve,eve@x.example,abc,,\r\n\
        Ann twice,ann@x.example,50,,\r\n\
        ,noname@x.example,,,\r\n\
        \"Quoted, Name\",q@x.example,1,,\r\n";
        let started = import(&app, t, "leads", csv, &[]).await;
        assert_eq!(started["total_rows"], 8);
        assert_eq!(started["resource"], "leads");
        let done = finished(&app, t, started["id"].as_str().unwrap()).await;
        assert_eq!(done["status"], "completed", "{done}");
        assert_eq!(
            (
                &done["processed_rows"],
                &done["created"],
                &done["updated"],
                &done["skipped"],
                &done["failed_rows"]
            ),
            (&json!(8), &json!(2), &json!(0), &json!(2), &json!(4)),
            "{done}"
        );
        // The rows a spreadsheet shows (header = 1), each with the field the create route names.
        assert_eq!(
            errors_of(&done),
            [
                (3, Some("email".into())),
                (4, Some("score".into())),
                (6, Some("score".into())),
                (8, Some("name".into())),
            ]
        );
        // The same message the route gives for the same body.
        let res = app
            .send_as(
                reqwest::Method::POST,
                t,
                "/api/v1/leads",
                Some(&json!({"name": "Bob", "email": "not-an-email"})),
            )
            .await;
        let problem = assert_problem(res, 422).await;
        assert_eq!(
            done["errors"][0]["message"],
            problem["errors"][0]["message"]
        );
        let names: BTreeSet<String> = lead_names(&app, t).await.into_iter().collect();
        assert_eq!(
            names,
            BTreeSet::from(["Ann".into(), "Dup".into(), "Quoted, Name".into()])
        );

        // Mapped columns, and duplicates applied as patches through the update path.
        let csv = "Full name,E-mail,Points,Notes\n\
        Dup Updated,dup@x.example,77,ignored\n\
        New one,new@x.example,5,\n\
        Bad update,dup@x.example,500,\n";
        let mapping =
            r#"{"Full name": "name", "E-mail": "email", "Points": "score", "Notes": null}"#;
        let started = import(
            &app,
            t,
            "leads",
            csv,
            &[("mapping", mapping), ("on_duplicate", "update")],
        )
        .await;
        assert_eq!(started["on_duplicate"], "update");
        let done = finished(&app, t, started["id"].as_str().unwrap()).await;
        assert_eq!(
            (
                &done["created"],
                &done["updated"],
                &done["skipped"],
                &done["failed_rows"]
            ),
            (&json!(1), &json!(1), &json!(0), &json!(1)),
            "{done}"
        );
        assert_eq!(errors_of(&done), [(4, Some("score".into()))]);
        let lead: Value = app
            .get_as(t, &format!("/api/v1/leads/{}", dup["id"].as_str().unwrap()))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            (&lead["name"], &lead["score"]),
            (&json!("Dup Updated"), &json!(77))
        );
        assert_eq!(lead["version"], 2);

        // The caller finds their imports again, newest first.
        let list: Value = app.get_as(t, "/api/v1/imports").await.json().await.unwrap();
        let ids: Vec<&str> = list["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, [started["id"].as_str().unwrap(), ids[1]]);
        assert_eq!(ids.len(), 2);
        app.stop().await;
    }
);

backend_tests!(
    clients_and_contacts_rows_are_read_as_their_create_bodies,
    |b| async move {
        let app = spawn_app(b).await;
        let admin = app.register_admin("Client Importers").await;
        let t = &admin.access;
        let csv = "name,kind,tags,email\n\
        Globex,company,\"enterprise, east\",ap@globex.example\n\
        Ann Doe,individual,,\n\
        Wrong,robot,,\n";
        let started = import(&app, t, "clients", csv, &[]).await;
        let done = finished(&app, t, started["id"].as_str().unwrap()).await;
        assert_eq!(
            (&done["created"], &done["failed_rows"]),
            (&json!(2), &json!(1)),
            "{done}"
        );
        assert_eq!(errors_of(&done), [(4, Some("kind".into()))]);
        let clients: Value = app
            .get_as(t, "/api/v1/clients?sort=name")
            .await
            .json()
            .await
            .unwrap();
        let globex = &clients["data"][1];
        assert_eq!(globex["name"], "Globex");
        assert_eq!(globex["tags"], json!(["enterprise", "east"]));
        let globex_id = globex["id"].as_str().unwrap();

        let csv = format!(
            "client_id,name,is_primary,title\n\
         {globex_id},Hank,true,CEO\n\
         {globex_id},Homer,no,\n\
         {},Ghost,false,\n\
         not-a-uuid,Nobody,,\n\
         {globex_id},Bart,maybe,\n",
            uuid::Uuid::now_v7()
        );
        let started = import(&app, t, "contacts", &csv, &[]).await;
        let done = finished(&app, t, started["id"].as_str().unwrap()).await;
        assert_eq!(
            (&done["created"], &done["failed_rows"]),
            (&json!(2), &json!(3)),
            "{done}"
        );
        assert_eq!(
            errors_of(&done),
            [
                (4, Some("client_id".into())),
                (5, Some("client_id".into())),
                (6, Some("is_primary".into()))
            ]
        );
        let contacts: Value = app
            .get_as(t, &format!("/api/v1/clients/{globex_id}/contacts"))
            .await
            .json()
            .await
            .unwrap();
        let primary: Vec<(&str, bool)> = contacts["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["name"].as_str().unwrap(),
                    c["is_primary"].as_bool().unwrap(),
                )
            })
            .collect();
        assert_eq!(primary, [("Hank", true), ("Homer", false)]);
        app.stop().await;
    }
);

backend_tests!(a_dry_run_counts_and_writes_nothing, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Dry Importers").await;
    let t = &admin.access;
    let before = lead_total(&app, t).await;
    let csv = "name,email\nA,a@x.example\nB,b@x.example\nA again,a@x.example\nC,bad\n";
    let started = import(&app, t, "leads", csv, &[("dry_run", "true")]).await;
    assert_eq!(started["dry_run"], true);
    let done = finished(&app, t, started["id"].as_str().unwrap()).await;
    assert_eq!(
        (
            &done["created"],
            &done["skipped"],
            &done["failed_rows"],
            &done["processed_rows"]
        ),
        (&json!(2), &json!(1), &json!(1), &json!(4)),
        "{done}"
    );
    assert_eq!(lead_total(&app, t).await, before);
    app.stop().await;
});

backend_tests!(progress_shows_while_the_rows_go_in, |b| async move {
    let app = spawn_app_with(b, &[("CRM__IMPORTS__BATCH_ROWS", "10")]).await;
    let admin = app.register_admin("Progress").await;
    let t = &admin.access;
    let n = 1500;
    let started = import(&app, t, "leads", &many_leads(n, "p"), &[]).await;
    let id = started["id"].as_str().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = None;
    while seen.is_none() && Instant::now() < deadline {
        let i: Value = app
            .get_as(t, &format!("/api/v1/imports/{id}"))
            .await
            .json()
            .await
            .unwrap();
        let p = i["processed_rows"].as_i64().unwrap();
        assert_ne!(
            i["status"], "completed",
            "finished before progress was seen"
        );
        if i["status"] == "running" && p > 0 && p < n as i64 {
            seen = Some(i);
        }
    }
    let seen = seen.expect("a running import with some rows done");
    assert_eq!(seen["total_rows"], n);
    assert_eq!(
        seen["processed_rows"].as_i64().unwrap() % 10,
        0,
        "whole batches"
    );
    let done = finished(&app, t, id).await;
    assert_eq!(
        (&done["created"], &done["failed_rows"]),
        (&json!(n), &json!(0))
    );
    assert_eq!(lead_total(&app, t).await, n as i64);
    app.stop().await;
});

backend_tests!(
    a_restart_goes_on_after_the_last_batch_writing_each_row_once,
    |b| async move {
        let db = TestDb::migrated(b).await;
        let files = db.dir().join("files").display().to_string();
        let extra = [
            ("CRM__IMPORTS__BATCH_ROWS", "10"),
            ("CRM__IMPORTS__LEASE_SECS", "2"),
            ("CRM__JOBS__POLL_SECS", "1"),
            ("CRM__FILES__DIR", files.as_str()),
        ];
        let one_db = db.shared();
        let settings = test_settings(&one_db.url, one_db.dir(), &extra);
        let one = start_on(one_db, settings).await;
        let admin = one.register_admin("Restart").await;
        let t = &admin.access;
        let n = 1500usize;
        let started = import(&one, t, "leads", &many_leads(n, "r"), &[]).await;
        let id = started["id"].as_str().unwrap().to_string();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let i: Value = one
                .get_as(t, &format!("/api/v1/imports/{id}"))
                .await
                .json()
                .await
                .unwrap();
            if i["processed_rows"].as_i64().unwrap() >= 100 {
                assert_eq!(i["status"], "running", "{i}");
                break;
            }
            assert!(Instant::now() < deadline, "no progress: {i}");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        // The first server stops mid-import, its job cut off inside a batch.
        one.stop().await;
        let two_db = db.shared();
        let settings = test_settings(&two_db.url, two_db.dir(), &extra);
        let two = start_on(two_db, settings).await;
        let done = finished(&two, t, &id).await;
        assert_eq!(done["status"], "completed", "{done}");
        assert_eq!(
            (
                &done["processed_rows"],
                &done["created"],
                &done["failed_rows"]
            ),
            (&json!(n), &json!(n), &json!(0)),
            "{done}"
        );
        let names = lead_names(&two, t).await;
        assert_eq!(names.len(), n, "every row once");
        let distinct: BTreeSet<_> = names.into_iter().collect();
        assert_eq!(distinct.len(), n, "no row twice");
        two.stop().await;
        db.drop_db().await;
    }
);

backend_tests!(an_import_is_seen_by_its_creator_only, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Owner Org").await;
    let other = app.register_admin("Other Org").await;
    let colleague = app.user_with_roles(&admin, &["admin"]).await;
    let started = import(&app, &admin.access, "leads", "name\nA\n", &[]).await;
    let path = format!("/api/v1/imports/{}", started["id"].as_str().unwrap());
    finished(&app, &admin.access, started["id"].as_str().unwrap()).await;
    for who in [&other, &colleague] {
        assert_problem(app.get_as(&who.access, &path).await, 404).await;
        let list: Value = app
            .get_as(&who.access, "/api/v1/imports")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(list["data"], json!([]));
    }
    app.stop().await;
});

/// A text part.
fn text<'a>(name: &'a str, value: &'a [u8]) -> Part<'a> {
    (name, None, None, value)
}

/// The file part.
fn file(bytes: &[u8]) -> Part<'_> {
    ("file", Some("a.csv"), None, bytes)
}

backend_tests!(a_bad_upload_is_refused_naming_its_part, |b| async move {
    let app = spawn_app_with(b, &[("CRM__FILES__MAX_BYTES", "2000")]).await;
    let admin = app.register_admin("Bad Uploads").await;
    let t = &admin.access;
    let csv: &[u8] = b"name,email\nA,a@x.example\n";
    let field = |p: &Value| p["errors"][0]["field"].as_str().unwrap().to_string();
    let cases: Vec<(Vec<Part>, &str)> = vec![
        (vec![text("resource", b"leads")], "file"),
        (vec![file(csv)], "resource"),
        (vec![text("resource", b"invoices"), file(csv)], "resource"),
        (
            vec![
                text("resource", b"leads"),
                text("mapping", b"{not json"),
                file(csv),
            ],
            "mapping",
        ),
        (
            vec![
                text("resource", b"leads"),
                text("on_duplicate", b"merge"),
                file(csv),
            ],
            "on_duplicate",
        ),
        (
            vec![text("resource", b"leads"), file(b"name\n\xff\xfe\n")],
            "file",
        ),
        (vec![text("resource", b"leads"), file(b"")], "file"),
        (
            vec![text("resource", b"leads"), file(b"name,colour\nA,red\n")],
            "file",
        ),
    ];
    for (parts, want) in cases {
        let p = assert_problem(post_import(&app, t, &parts).await, 422).await;
        assert_eq!(field(&p), want, "{p}");
    }
    let p = assert_problem(
        post_import(
            &app,
            t,
            &[text("resource", b"leads"), file(b"name,colour\nA,red\n")],
        )
        .await,
        422,
    )
    .await;
    assert!(
        p["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("`colour`"),
        "{p}"
    );
    let big = many_leads(200, "big");
    assert_problem(
        post_import(&app, t, &[text("resource", b"leads"), file(big.as_bytes())]).await,
        413,
    )
    .await;
    // Without the resource's write permission: 403, whatever the file.
    let reader = app.user_with_roles(&admin, &["employee"]).await;
    assert_problem(
        post_import(
            &app,
            &reader.access,
            &[text("resource", b"leads"), file(csv)],
        )
        .await,
        403,
    )
    .await;
    let list: Value = app.get_as(t, "/api/v1/imports").await.json().await.unwrap();
    assert_eq!(list["data"], json!([]), "nothing refused was stored");
    app.stop().await;
});
