//! Files (contract section 5): multipart uploads streamed to storage, sniffed types, downloads
//! with Range / ETag / If-None-Match, blobs stored once per organization and removed with
//! their last file, access following the attached record, and the S3 adapter against a real
//! S3-compatible server (moto).

use crate::backend_tests;
use crate::helpers::*;
use crate::identity_support::{create_as, expect_json};
use reqwest::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// A part of a multipart body: `(name, filename, content type, bytes)`.
pub type Part<'a> = (&'a str, Option<&'a str>, Option<&'a str>, &'a [u8]);

/// `multipart/form-data` by hand, so a test controls every header of every part.
pub fn multipart(parts: &[Part]) -> (String, Vec<u8>) {
    let boundary = format!("crm-test-{}", uuid::Uuid::now_v7().simple());
    let mut body = Vec::new();
    for (name, filename, ctype, bytes) in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        let mut disp = format!("Content-Disposition: form-data; name=\"{name}\"");
        if let Some(f) = filename {
            disp.push_str(&format!("; filename=\"{f}\""));
        }
        body.extend_from_slice(disp.as_bytes());
        body.extend_from_slice(b"\r\n");
        if let Some(t) = ctype {
            body.extend_from_slice(format!("Content-Type: {t}\r\n").as_bytes());
        }
        body.extend_from_slice(b"\r\n");
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

pub async fn post_parts(
    app: &TestApp,
    token: &str,
    parts: &[Part<'_>],
    key: Option<&str>,
) -> reqwest::Response {
    let (ctype, body) = multipart(parts);
    post_body(app, token, ctype, body, key).await
}

async fn post_body(
    app: &TestApp,
    token: &str,
    ctype: String,
    body: Vec<u8>,
    key: Option<&str>,
) -> reqwest::Response {
    let mut req = app
        .client
        .post(app.url("/api/v1/files"))
        .bearer_auth(token)
        .header("content-type", ctype)
        .body(body);
    if let Some(k) = key {
        req = req.header("idempotency-key", k);
    }
    req.send().await.unwrap()
}

/// Uploads `bytes` as `name` and answers the created file.
pub async fn upload(app: &TestApp, token: &str, name: &str, bytes: &[u8]) -> Value {
    let res = post_parts(
        app,
        token,
        &[("file", Some(name), Some("application/octet-stream"), bytes)],
        None,
    )
    .await;
    expect_json(res, 201).await
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A small valid-looking PNG: the signature and an IHDR chunk, then filler.
fn png() -> Vec<u8> {
    let mut b = vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];
    b.extend_from_slice(&[0, 0, 0, 13, b'I', b'H', b'D', b'R']);
    b.extend((0..5000u32).map(|i| (i % 251) as u8));
    b
}

/// Every regular file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}

fn files_dir(app: &TestApp) -> PathBuf {
    PathBuf::from(&app.settings.files.dir)
}

fn header(res: &reqwest::Response, name: &str) -> String {
    res.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

async fn content(
    app: &TestApp,
    token: &str,
    id: &str,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let mut req = app
        .client
        .get(app.url(&format!("/api/v1/files/{id}/content")))
        .bearer_auth(token);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap()
}

backend_tests!(upload_and_download_round_trip, |b| async move {
    let app = spawn_app(b).await;
    let a = app.register_admin("Files A").await;
    let lead = create_as(&app, &a.access, "/api/v1/leads", json!({"name": "Ann"})).await;
    let lead_id = lead["id"].as_str().unwrap();
    let bytes = png();
    // Text parts after the file part, a lying client type, a path in the file name.
    let res = post_parts(
        &app,
        &a.access,
        &[
            ("file", Some("../../pic.png"), Some("text/html"), &bytes),
            ("description", None, None, "The logo".as_bytes()),
            ("record_type", None, None, b"lead"),
            ("record_id", None, None, lead_id.as_bytes()),
        ],
        None,
    )
    .await;
    assert_eq!(res.status(), 201);
    let location = header(&res, "location");
    assert_eq!(header(&res, "etag"), "\"1\"");
    let f: Value = res.json().await.unwrap();
    let id = f["id"].as_str().unwrap().to_string();
    assert_eq!(location, format!("/api/v1/files/{id}"));
    assert_eq!(f["name"], "pic.png");
    assert_eq!(
        f["content_type"], "image/png",
        "the bytes beat the client's type"
    );
    assert_eq!(f["size"], bytes.len());
    assert_eq!(f["sha256"], sha256(&bytes));
    assert_eq!(f["record_type"], "lead");
    assert_eq!(f["record_id"], lead_id);
    assert_eq!(f["description"], "The logo");
    assert_eq!(f["uploaded_by"], a.user_id.as_str());
    assert_eq!(f["version"], 1);
    let got = expect_json(app.get_as(&a.access, &location).await, 200).await;
    assert_eq!(got, f);

    let res = content(&app, &a.access, &id, &[]).await;
    assert_eq!(res.status(), 200);
    assert_eq!(header(&res, "content-type"), "image/png");
    assert_eq!(header(&res, "content-length"), bytes.len().to_string());
    assert_eq!(
        header(&res, "content-disposition"),
        "attachment; filename*=UTF-8''pic.png"
    );
    assert_eq!(header(&res, "x-content-type-options"), "nosniff");
    let etag = format!("\"{}\"", sha256(&bytes));
    assert_eq!(header(&res, "etag"), etag);
    assert_eq!(res.bytes().await.unwrap().as_ref(), &bytes[..]);

    // Range: one range is 206, past the end 416; If-None-Match is 304.
    let res = content(&app, &a.access, &id, &[("range", "bytes=8-15")]).await;
    assert_eq!(res.status(), 206);
    assert_eq!(
        header(&res, "content-range"),
        format!("bytes 8-15/{}", bytes.len())
    );
    assert_eq!(header(&res, "content-length"), "8");
    assert_eq!(res.bytes().await.unwrap().as_ref(), &bytes[8..16]);
    let res = content(&app, &a.access, &id, &[("range", "bytes=-4")]).await;
    assert_eq!(res.status(), 206);
    assert_eq!(
        res.bytes().await.unwrap().as_ref(),
        &bytes[bytes.len() - 4..]
    );
    let past = format!("bytes={}-", bytes.len());
    let res = content(&app, &a.access, &id, &[("range", &past)]).await;
    assert_eq!(
        header(&res, "content-range"),
        format!("bytes */{}", bytes.len())
    );
    assert_problem(res, 416).await;
    let res = content(&app, &a.access, &id, &[("if-none-match", &etag)]).await;
    assert_eq!(res.status(), 304);
    assert_eq!(header(&res, "etag"), etag);
    assert!(res.bytes().await.unwrap().is_empty());

    // Active content is never served inline, and a declared active type without the bytes to
    // show it is not believed.
    let html = b"<html><script>alert(1)</script></html>";
    let res = post_parts(
        &app,
        &a.access,
        &[("file", Some("x.html"), Some("text/html"), html)],
        None,
    )
    .await;
    let h = expect_json(res, 201).await;
    assert_eq!(h["content_type"], "text/html");
    let res = content(&app, &a.access, h["id"].as_str().unwrap(), &[]).await;
    assert_eq!(header(&res, "content-type"), "text/html");
    assert!(header(&res, "content-disposition").starts_with("attachment;"));
    assert_eq!(header(&res, "x-content-type-options"), "nosniff");
    let res = post_parts(
        &app,
        &a.access,
        &[("file", Some("x.svg"), Some("image/svg+xml"), b"just text")],
        None,
    )
    .await;
    assert_eq!(
        expect_json(res, 201).await["content_type"],
        "application/octet-stream"
    );
    // A harmless declared type is kept when the bytes say nothing.
    let res = post_parts(
        &app,
        &a.access,
        &[("file", Some("n.txt"), Some("text/plain"), b"notes")],
        None,
    )
    .await;
    assert_eq!(expect_json(res, 201).await["content_type"], "text/plain");

    // Input errors name the part.
    let res = post_parts(
        &app,
        &a.access,
        &[("description", None, None, b"no file")],
        None,
    )
    .await;
    let p = assert_problem(res, 422).await;
    assert_eq!(p["errors"][0]["field"], "file", "{p}");
    let res = post_parts(
        &app,
        &a.access,
        &[
            ("file", Some("a.txt"), None, b"a"),
            ("record_type", None, None, b"spaceship"),
            ("record_id", None, None, lead_id.as_bytes()),
        ],
        None,
    )
    .await;
    let p = assert_problem(res, 422).await;
    assert_eq!(p["errors"][0]["field"], "record_type", "{p}");
    // A part that is sent must hold its documented value: empty is neither a UUID nor a kind.
    for (part, value) in [("record_id", ""), ("record_id", " "), ("record_type", "")] {
        let res = post_parts(
            &app,
            &a.access,
            &[
                ("file", Some("a.txt"), None, b"a"),
                (part, None, None, value.as_bytes()),
            ],
            None,
        )
        .await;
        let p = assert_problem(res, 422).await;
        assert_eq!(p["errors"][0]["field"], part, "{part}={value:?}: {p}");
    }
    let missing = uuid::Uuid::now_v7().to_string();
    let res = post_parts(
        &app,
        &a.access,
        &[
            ("file", Some("a.txt"), None, b"a"),
            ("record_type", None, None, b"lead"),
            ("record_id", None, None, missing.as_bytes()),
        ],
        None,
    )
    .await;
    let p = assert_problem(res, 422).await;
    assert_eq!(p["errors"][0]["field"], "record_id", "{p}");
    let long = "d".repeat(9000);
    let res = post_parts(
        &app,
        &a.access,
        &[
            ("file", Some("a.txt"), None, b"a"),
            ("description", None, None, long.as_bytes()),
        ],
        None,
    )
    .await;
    let p = assert_problem(res, 422).await;
    assert_eq!(p["errors"][0]["field"], "description", "{p}");
    let res = app
        .client
        .post(app.url("/api/v1/files"))
        .bearer_auth(&a.access)
        .json(&json!({"file": "x"}))
        .send()
        .await
        .unwrap();
    assert_problem(res, 415).await;

    // The record's files; PATCH with If-Match.
    let list = expect_json(
        app.get_as(
            &a.access,
            &format!("/api/v1/files?record_type=lead&record_id={lead_id}"),
        )
        .await,
        200,
    )
    .await;
    let ids: Vec<_> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].clone())
        .collect();
    assert_eq!(ids, vec![json!(id)]);
    let res = app
        .client
        .patch(app.url(&location))
        .bearer_auth(&a.access)
        .header("if-match", "\"1\"")
        .json(&json!({"name": "logo.png", "description": null, "record_type": null, "record_id": null}))
        .send()
        .await
        .unwrap();
    assert_eq!(header(&res, "etag"), "\"2\"");
    let patched = expect_json(res, 200).await;
    assert_eq!(
        (patched["name"].clone(), patched["version"].clone()),
        (json!("logo.png"), json!(2))
    );
    assert!(patched["record_id"].is_null() && patched["description"].is_null());
    let res = app
        .client
        .patch(app.url(&location))
        .bearer_auth(&a.access)
        .header("if-match", "\"1\"")
        .json(&json!({"name": "stale.png"}))
        .send()
        .await
        .unwrap();
    assert_problem(res, 412).await;
    let res = content(&app, &a.access, &id, &[]).await;
    assert_eq!(
        header(&res, "content-disposition"),
        "attachment; filename*=UTF-8''logo.png"
    );

    // Audited as events.
    let events = expect_json(
        app.get_as(
            &a.access,
            &format!("/api/v1/events?record_type=file&record_id={id}"),
        )
        .await,
        200,
    )
    .await;
    let mut types: Vec<_> = events["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_string())
        .collect();
    types.sort();
    assert_eq!(types, ["file.created", "file.updated"]);
    app.stop().await;
});

backend_tests!(over_the_limit_leaves_nothing, |b| async move {
    let db = TestDb::create(b).await;
    let settings = test_settings(
        &db.url,
        db.dir(),
        &[
            ("CRM__FILES__MAX_BYTES", "65536"),
            ("CRM__SERVER__MAX_BODY_BYTES", "16384"),
        ],
    );
    let app = start_on(db, settings).await;
    let a = app.register_admin("Files Limit").await;
    let big = vec![7u8; 200 * 1024];
    for key in [None, Some("big-upload")] {
        let res = post_parts(
            &app,
            &a.access,
            &[("file", Some("big.bin"), None, &big)],
            key,
        )
        .await;
        assert_problem(res, 413).await;
    }
    assert!(
        files_under(&files_dir(&app)).is_empty(),
        "{:?}",
        files_under(&files_dir(&app))
    );
    let list = expect_json(app.get_as(&a.access, "/api/v1/files").await, 200).await;
    assert_eq!(list["data"], json!([]));

    // Under the upload limit but over the JSON body limit: an Idempotency-Key still works (the
    // middleware spools the body instead of refusing it).
    let mid = vec![9u8; 40 * 1024];
    let (ctype, body) = multipart(&[("file", Some("mid.bin"), None, &mid)]);
    let first = post_body(
        &app,
        &a.access,
        ctype.clone(),
        body.clone(),
        Some("mid-upload"),
    )
    .await;
    let first = expect_json(first, 201).await;
    let again = post_body(&app, &a.access, ctype, body, Some("mid-upload")).await;
    assert_eq!(header(&again, "idempotent-replayed"), "true");
    assert_eq!(expect_json(again, 201).await["id"], first["id"]);
    let list = expect_json(app.get_as(&a.access, "/api/v1/files").await, 200).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    app.stop().await;
});

backend_tests!(
    same_bytes_share_one_blob_until_the_last_file_goes,
    |b| async move {
        let app = spawn_app(b).await;
        let a = app.register_admin("Files Blobs").await;
        let bytes = b"the same bytes twice".to_vec();
        let one = upload(&app, &a.access, "one.txt", &bytes).await;
        let two = upload(&app, &a.access, "two.txt", &bytes).await;
        assert_eq!(one["sha256"], two["sha256"]);
        let blob = files_dir(&app)
            .join(&a.organization_id)
            .join(one["sha256"].as_str().unwrap());
        assert_eq!(
            files_under(&files_dir(&app)),
            vec![blob.clone()],
            "one blob, no temporaries"
        );
        let del = |id: String| {
            let app = &app;
            let token = a.access.clone();
            async move {
                let res = app
                    .send_as(Method::DELETE, &token, &format!("/api/v1/files/{id}"), None)
                    .await;
                assert_eq!(res.status(), 204);
            }
        };
        del(one["id"].as_str().unwrap().to_string()).await;
        assert!(blob.exists(), "the other file still needs the blob");
        let res = content(&app, &a.access, two["id"].as_str().unwrap(), &[]).await;
        assert_eq!(res.bytes().await.unwrap().as_ref(), &bytes[..]);
        let res = app
            .get_as(
                &a.access,
                &format!("/api/v1/files/{}", one["id"].as_str().unwrap()),
            )
            .await;
        assert_problem(res, 404).await;
        del(two["id"].as_str().unwrap().to_string()).await;
        assert!(!blob.exists(), "the last file took the blob with it");
        assert!(files_under(&files_dir(&app)).is_empty());
        // Stored again after that.
        let three = upload(&app, &a.access, "three.txt", &bytes).await;
        let res = content(&app, &a.access, three["id"].as_str().unwrap(), &[]).await;
        assert_eq!(res.bytes().await.unwrap().as_ref(), &bytes[..]);
        app.stop().await;
    }
);

backend_tests!(attached_files_follow_their_record, |b| async move {
    let app = spawn_app(b).await;
    let a = app.register_admin("Files Access").await;
    let other_org = app.register_admin("Files Elsewhere").await;
    let seller = app.user_with_roles(&a, &["sales"]).await;
    let admins_lead = create_as(&app, &a.access, "/api/v1/leads", json!({"name": "Admin's"})).await;
    let lead_id = admins_lead["id"].as_str().unwrap();
    let attach = |lead: &str| {
        vec![
            ("record_type".to_string(), "lead".to_string()),
            ("record_id".to_string(), lead.to_string()),
        ]
    };
    let send = |token: String, name: &'static str, rec: Vec<(String, String)>| {
        let app = &app;
        async move {
            let mut parts: Vec<Part> = vec![("file", Some(name), None, name.as_bytes())];
            for (k, v) in &rec {
                parts.push((k.as_str(), None, None, v.as_bytes()));
            }
            post_parts(app, &token, &parts, None).await
        }
    };
    // The seller cannot read the admin's lead, so cannot attach to it.
    let res = send(seller.access.clone(), "nope.txt", attach(lead_id)).await;
    let p = assert_problem(res, 422).await;
    assert_eq!(p["errors"][0]["field"], "record_id", "{p}");
    // The admin's file on the admin's lead: 404 for the seller everywhere.
    let f = expect_json(
        send(a.access.clone(), "secret.txt", attach(lead_id)).await,
        201,
    )
    .await;
    let id = f["id"].as_str().unwrap();
    for token in [&seller.access, &other_org.access] {
        assert_problem(app.get_as(token, &format!("/api/v1/files/{id}")).await, 404).await;
        assert_problem(content(&app, token, id, &[]).await, 404).await;
        let res = app
            .send_as(
                Method::PATCH,
                token,
                &format!("/api/v1/files/{id}"),
                Some(&json!({"name": "x"})),
            )
            .await;
        assert_problem(res, 404).await;
        let res = app
            .send_as(Method::DELETE, token, &format!("/api/v1/files/{id}"), None)
            .await;
        assert_problem(res, 404).await;
        let list = expect_json(app.get_as(token, "/api/v1/files").await, 200).await;
        assert_eq!(list["data"], json!([]), "{list}");
        let list = expect_json(
            app.get_as(
                token,
                &format!("/api/v1/files?record_type=lead&record_id={lead_id}"),
            )
            .await,
            200,
        )
        .await;
        assert_eq!(list["data"], json!([]), "{list}");
    }
    // The seller's own lead: their file is theirs, and the admin (all leads) sees it too.
    let own = create_as(
        &app,
        &seller.access,
        "/api/v1/leads",
        json!({"name": "Seller's"}),
    )
    .await;
    let own_id = own["id"].as_str().unwrap();
    let mine = expect_json(
        send(seller.access.clone(), "mine.txt", attach(own_id)).await,
        201,
    )
    .await;
    let mine_id = mine["id"].as_str().unwrap();
    expect_json(
        app.get_as(&seller.access, &format!("/api/v1/files/{mine_id}"))
            .await,
        200,
    )
    .await;
    expect_json(
        app.get_as(&a.access, &format!("/api/v1/files/{mine_id}"))
            .await,
        200,
    )
    .await;
    // Moving it onto the admin's lead is refused (the seller cannot read that lead).
    let res = app
        .send_as(
            Method::PATCH,
            &seller.access,
            &format!("/api/v1/files/{mine_id}"),
            Some(&json!({"record_id": lead_id})),
        )
        .await;
    let p = assert_problem(res, 422).await;
    assert_eq!(p["errors"][0]["field"], "record_id", "{p}");
    // Unattached files under `:own`: the uploader's only.
    let loose = upload(&app, &a.access, "loose.txt", b"loose").await;
    let res = app
        .get_as(
            &seller.access,
            &format!("/api/v1/files/{}", loose["id"].as_str().unwrap()),
        )
        .await;
    assert_problem(res, 404).await;
    let list = expect_json(app.get_as(&a.access, "/api/v1/files?sort=name").await, 200).await;
    let names: Vec<_> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["loose.txt", "mine.txt", "secret.txt"]);
    app.stop().await;
});

/// A moto S3 server: `CRM_TEST_S3_URL` when CI started one, or one started here for the test.
struct S3Server {
    url: String,
    child: Option<std::process::Child>,
}

impl Drop for S3Server {
    fn drop(&mut self) {
        if let Some(c) = self.child.as_mut() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// `None` where neither is available, as for the database backends: the README's `make test`
/// needs only Rust. CI sets `CRM_TEST_REQUIRE_ALL_BACKENDS=1`, and there a missing S3 server
/// fails the test instead.
async fn s3_server() -> Option<S3Server> {
    if let Ok(url) = std::env::var("CRM_TEST_S3_URL")
        && !url.is_empty()
    {
        return Some(S3Server { url, child: None });
    }
    let on_path = std::env::var_os("PATH").is_some_and(|paths| {
        std::env::split_paths(&paths).any(|d| d.join("moto_server").is_file())
    });
    if !on_path {
        assert!(
            std::env::var("CRM_TEST_REQUIRE_ALL_BACKENDS").as_deref() != Ok("1"),
            "no S3 server: install moto_server (pip install 'moto[server]') or set CRM_TEST_S3_URL"
        );
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = std::process::Command::new("moto_server")
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("moto_server (pip install 'moto[server]'), or set CRM_TEST_S3_URL");
    let url = format!("http://127.0.0.1:{port}");
    let server = S3Server {
        url: url.clone(),
        child: Some(child),
    };
    for _ in 0..100 {
        if reqwest::get(&url).await.is_ok() {
            return Some(server);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("moto_server did not start on {url}");
}

/// The keys of the bucket's objects (ListObjectsV2).
async fn s3_keys(base: &str) -> Vec<String> {
    let xml = reqwest::get(format!("{base}?list-type=2"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    xml.split("<Key>")
        .skip(1)
        .map(|s| s.split("</Key>").next().unwrap().to_string())
        .collect()
}

backend_tests!(s3_storage_round_trip, |b| async move {
    let Some(s3) = s3_server().await else {
        return;
    };
    let bucket = format!("crm-{}", uuid::Uuid::now_v7().simple());
    let base = format!("{}/{bucket}", s3.url);
    let res = reqwest::Client::new().put(&base).send().await.unwrap();
    assert!(res.status().is_success(), "create bucket: {}", res.status());
    let db = TestDb::create(b).await;
    let settings = test_settings(
        &db.url,
        db.dir(),
        &[
            ("CRM__FILES__STORAGE", "s3"),
            ("CRM__FILES__S3__BUCKET", &bucket),
            ("CRM__FILES__S3__ENDPOINT", &s3.url),
            ("CRM__FILES__S3__REGION", "us-east-1"),
            ("CRM__FILES__S3__ACCESS_KEY_ID", "testing"),
            ("CRM__FILES__S3__SECRET_ACCESS_KEY", "testing"),
            ("CRM__FILES__S3__PATH_STYLE", "true"),
        ],
    );
    let app = start_on(db, settings).await;
    let a = app.register_admin("Files S3").await;
    // Over one 5 MiB part: a multipart upload on S3.
    let bytes: Vec<u8> = (0..(6 * 1024 * 1024 + 123))
        .map(|i: u32| (i % 253) as u8)
        .collect();
    let one = upload(&app, &a.access, "big.bin", &bytes).await;
    let sha = sha256(&bytes);
    assert_eq!(one["sha256"], sha);
    let two = upload(&app, &a.access, "again.bin", &bytes).await;
    let small = upload(&app, &a.access, "small.txt", b"small").await;
    let key = format!("{}/{sha}", a.organization_id);
    let mut keys = s3_keys(&base).await;
    keys.sort();
    let mut want = vec![
        key.clone(),
        format!("{}/{}", a.organization_id, sha256(b"small")),
    ];
    want.sort();
    assert_eq!(keys, want, "one object per blob, no temporaries");
    let res = content(&app, &a.access, one["id"].as_str().unwrap(), &[]).await;
    assert_eq!(res.status(), 200);
    assert_eq!(header(&res, "content-length"), bytes.len().to_string());
    assert_eq!(sha256(&res.bytes().await.unwrap()), sha);
    let res = content(
        &app,
        &a.access,
        two["id"].as_str().unwrap(),
        &[("range", "bytes=5242870-5242889")],
    )
    .await;
    assert_eq!(res.status(), 206);
    assert_eq!(
        res.bytes().await.unwrap().as_ref(),
        &bytes[5242870..5242890]
    );
    for f in [&one, &two, &small] {
        let res = app
            .send_as(
                Method::DELETE,
                &a.access,
                &format!("/api/v1/files/{}", f["id"].as_str().unwrap()),
                None,
            )
            .await;
        assert_eq!(res.status(), 204);
    }
    assert_eq!(s3_keys(&base).await, Vec::<String>::new());
    app.stop().await;
});

backend_tests!(the_logo_names_a_file_of_the_organization, |b| async move {
    let app = spawn_app(b).await;
    let a = app.register_admin("Logo A").await;
    let other = app.register_admin("Logo B").await;
    let theirs = upload(&app, &other.access, "b.png", &png()).await;
    let ours = upload(&app, &a.access, "a.png", &png()).await;
    for bad in [
        theirs["id"].clone(),
        json!(uuid::Uuid::now_v7().to_string()),
    ] {
        let res = app
            .send_as(
                Method::PATCH,
                &a.access,
                "/api/v1/organization",
                Some(&json!({"logo_file_id": bad})),
            )
            .await;
        let p = assert_problem(res, 422).await;
        assert_eq!(p["errors"][0]["field"], "logo_file_id", "{p}");
    }
    let res = app
        .send_as(
            Method::PATCH,
            &a.access,
            "/api/v1/organization",
            Some(&json!({"logo_file_id": ours["id"]})),
        )
        .await;
    assert_eq!(expect_json(res, 200).await["logo_file_id"], ours["id"]);
    let res = app
        .send_as(
            Method::PATCH,
            &a.access,
            "/api/v1/organization",
            Some(&json!({"logo_file_id": null})),
        )
        .await;
    assert!(expect_json(res, 200).await["logo_file_id"].is_null());
    app.stop().await;
});

backend_tests!(concurrent_patches_of_a_file, |b| async move {
    let app = spawn_app(b).await;
    let a = app.register_admin("Files Concurrency").await;
    let f = upload(&app, &a.access, "c.txt", b"concurrent").await;
    let path = format!("/api/v1/files/{}", f["id"].as_str().unwrap());
    crate::concurrency::assert_concurrent_patches(
        &app,
        &a.access,
        &path,
        |v| json!({"description": v}),
        |r| r["description"].as_str().unwrap_or_default().to_string(),
    )
    .await;
    app.stop().await;
});
