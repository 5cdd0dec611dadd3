//! The fault suite (issue 18), bounded in time and on loopback only: the database cut off
//! under load, SIGTERM under load and SIGKILL during writes to the real `crm` binary, and a
//! webhook receiver that is down for a while. (The mail server down for a while is
//! `identity_mail::smtp_down_then_up_delivers_exactly_once`; several instances on one
//! database are `instances.rs`.) Each test prints its figures; `--nocapture` shows them.

use crate::backend_tests;
use crate::helpers::*;
use crate::mailbox;
use crate::proxy::Proxy;
use crate::webhooks::{FAST, Receiver, deliveries, subscribe};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// What one write of the load got.
#[derive(Clone, Debug)]
enum Outcome {
    /// `201`: acknowledged, so it must be there afterwards.
    Created { id: String },
    /// Any other answer.
    Status {
        code: u16,
        started: Instant,
        took: Duration,
        body: String,
    },
    /// The connection was refused: the request never reached a server.
    Refused,
    /// Sent, and no answer came (reset, cut, timed out). `request_id` is the `X-Request-Id` it
    /// was sent with, `name` the lead's.
    Lost {
        error: String,
        request_id: String,
        name: String,
    },
}

/// One write: when it was sent, when it ended, and how.
#[derive(Clone, Debug)]
struct Write {
    started: Instant,
    answered: Instant,
    outcome: Outcome,
}

/// Writers creating leads as fast as they are answered, each on its own client.
struct Load {
    stop: Arc<AtomicBool>,
    created: Arc<AtomicUsize>,
    tasks: Vec<tokio::task::JoinHandle<Vec<Write>>>,
}

impl Load {
    /// `writers` tasks posting leads to `base` as `token`. With `until_refused`, a writer ends at
    /// its first refused connection (the server has stopped listening).
    fn start(base: &str, token: &str, writers: usize, tag: &str, until_refused: bool) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let created = Arc::new(AtomicUsize::new(0));
        let tasks = (0..writers)
            .map(|w| {
                let (stop, created) = (stop.clone(), created.clone());
                let (url, token) = (format!("{base}/api/v1/leads"), token.to_string());
                let tag = format!("{tag}-{w}-{}", uuid::Uuid::now_v7().simple());
                tokio::spawn(async move {
                    let client = reqwest::Client::builder()
                        .timeout(Duration::from_secs(20))
                        .build()
                        .unwrap();
                    let mut seen = Vec::new();
                    let mut i = 0;
                    while !stop.load(Ordering::SeqCst) {
                        i += 1;
                        let name = format!("{tag}-{i}");
                        let started = Instant::now();
                        let request_id = name.clone();
                        let res = client
                            .post(&url)
                            .bearer_auth(&token)
                            .header("x-request-id", &request_id)
                            .json(&json!({"name": name, "email": format!("{name}@faults.example")}))
                            .send()
                            .await;
                        let outcome = match res {
                            Ok(r) => {
                                let code = r.status().as_u16();
                                match r.text().await {
                                    Ok(body) if code == 201 => {
                                        let v: Value = serde_json::from_str(&body).unwrap();
                                        created.fetch_add(1, Ordering::SeqCst);
                                        Outcome::Created {
                                            id: v["id"].as_str().unwrap().to_string(),
                                        }
                                    }
                                    Ok(body) => Outcome::Status {
                                        code,
                                        started,
                                        took: started.elapsed(),
                                        body,
                                    },
                                    Err(e) => Outcome::Lost {
                                        error: format!("{code}, body cut: {e:?}"),
                                        request_id,
                                        name,
                                    },
                                }
                            }
                            Err(e) if e.is_connect() => Outcome::Refused,
                            Err(e) => Outcome::Lost {
                                error: format!("{e:?}"),
                                request_id,
                                name,
                            },
                        };
                        let refused = matches!(outcome, Outcome::Refused);
                        let pause = !matches!(outcome, Outcome::Created { .. });
                        seen.push(Write {
                            started,
                            answered: Instant::now(),
                            outcome,
                        });
                        if refused && until_refused {
                            break;
                        }
                        if pause {
                            // As a client would: not a busy loop against a server that said no.
                            tokio::time::sleep(Duration::from_millis(20)).await;
                        }
                    }
                    seen
                })
            })
            .collect();
        Load {
            stop,
            created,
            tasks,
        }
    }

    /// Waits until `n` writes were acknowledged (at most 30 s).
    async fn wait_created(&self, n: usize) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.created.load(Ordering::SeqCst) < n {
            assert!(
                Instant::now() < deadline,
                "the load did not get {n} writes in"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Stops the writers; every write, in no particular order.
    async fn finish(self) -> Vec<Write> {
        self.stop.store(true, Ordering::SeqCst);
        let mut all = Vec::new();
        for t in self.tasks {
            all.extend(t.await.unwrap());
        }
        all
    }
}

fn acknowledged(writes: &[Write]) -> Vec<String> {
    writes
        .iter()
        .filter_map(|w| match &w.outcome {
            Outcome::Created { id } => Some(id.clone()),
            _ => None,
        })
        .collect()
}

/// Asserts every acknowledged lead is there, read through `base` as `token`.
async fn assert_all_present(base: &str, token: &str, ids: &[String]) {
    let client = reqwest::Client::new();
    let mut missing = Vec::new();
    for id in ids {
        let res = client
            .get(format!("{base}/api/v1/leads/{id}"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        if res.status() != 200 {
            missing.push((id.clone(), res.status().as_u16()));
        }
    }
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged writes are not there: {missing:?}",
        missing.len(),
        ids.len()
    );
}

/// Every record of a cursor-paginated list.
async fn all_pages(base: &str, token: &str, path: &str) -> Vec<Value> {
    let client = reqwest::Client::new();
    let mut all = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => {
                let c: String = url::form_urlencoded::byte_serialize(c.as_bytes()).collect();
                format!("{base}{path}?limit=100&cursor={c}")
            }
            None => format!("{base}{path}?limit=100"),
        };
        let req = client.get(url).bearer_auth(token);
        let page: Value = req.send().await.unwrap().json().await.unwrap();
        all.extend(page["data"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return all,
        }
    }
}

/// The real `crm serve`, in a process of its own, so it can be signalled and killed.
struct Crm {
    child: Child,
    address: String,
    log: PathBuf,
}

impl Crm {
    async fn start(db_url: &str, dir: &Path, extra: &[(&str, &str)]) -> Crm {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let log = dir.join(format!("crm-{port}.log"));
        let out = std::fs::File::create(&log).unwrap();
        let port_s = port.to_string();
        let mut with: Vec<(&str, &str)> = extra.to_vec();
        with.extend([
            ("CRM__SERVER__HOST", "127.0.0.1"),
            ("CRM__SERVER__PORT", port_s.as_str()),
        ]);
        let mut c = Command::new(env!("CARGO_BIN_EXE_crm"));
        c.arg("serve")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("CRM_ENV", "test")
            .env("CRM_CONFIG_DIR", "/nonexistent-config-dir")
            .env("RUST_LOG", "warn")
            .envs(test_vars(db_url, dir, &with))
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out);
        let mut crm = Crm {
            child: c.spawn().expect("start crm serve"),
            address: format!("http://127.0.0.1:{port}"),
            log,
        };
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = crm.child.try_wait().unwrap() {
                panic!("crm serve exited with {status}: {}", crm.output());
            }
            let ready = client
                .get(format!("{}/health/ready", crm.address))
                .send()
                .await;
            if ready.is_ok_and(|r| r.status() == 200) {
                return crm;
            }
            assert!(
                Instant::now() < deadline,
                "crm serve not ready: {}",
                crm.output()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn terminate(&self) {
        let ok = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(ok.success());
    }

    /// SIGKILL: no shutdown of any kind.
    fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    async fn exited_within(&mut self, limit: Duration) -> ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "crm serve still running {limit:?} after SIGTERM: {}",
                self.output()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Crm {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A migrated database with a verified admin on it, signed up through an in-process server
/// that is gone again before the test's own server starts.
async fn database_with_admin(b: Backend, extra: &[(&str, &str)]) -> (TestDb, Session) {
    let db = TestDb::migrated(b).await;
    let setup = {
        let shared = db.shared();
        let settings = test_settings(&shared.url, shared.dir(), extra);
        start_on(shared, settings).await
    };
    let admin = setup.register_admin("Faults").await;
    setup.stop().await;
    (db, admin)
}

const TERM_LIMIT: Duration = Duration::from_secs(40);

/// SIGTERM while eight writers keep the server busy: the process exits 0, every request the
/// server took in was answered (its log, by `X-Request-Id`, against what the writers got) and
/// no answer but `201` was given; every acknowledged write is there. A request the server never
/// read (refused, or written onto a keep-alive connection at the moment the stopping server
/// closed it) is no failure of the server, but it must not have been written either.
async fn sigterm_under_load(b: Backend) {
    let (db, admin) = database_with_admin(b, &[]).await;
    let logged: &[(&str, &str)] = &[("RUST_LOG", "info"), ("CRM__LOG__FORMAT", "json")];
    let mut crm = Crm::start(&db.url, db.dir(), logged).await;
    let load = Load::start(&crm.address, &admin.access, 8, "term", true);
    load.wait_created(40).await;
    crm.terminate();
    let signalled = Instant::now();
    let status = crm.exited_within(TERM_LIMIT).await;
    let stopped_in = signalled.elapsed();
    let writes = load.finish().await;
    assert!(status.success(), "exit {status}: {}", crm.output());

    // What the server says it answered, by request id.
    let answered_by_server: HashMap<String, u64> = crm
        .output()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["message"] == "request done" || v["message"] == "request failed")
        .filter_map(|v| {
            let id = v["span"]["request_id"].as_str()?.to_string();
            Some((id, v["status"].as_u64()?))
        })
        .collect();
    let mut unread = Vec::new();
    for w in &writes {
        match &w.outcome {
            Outcome::Created { .. } | Outcome::Refused => {}
            Outcome::Status { code, body, .. } => panic!("answered {code} around SIGTERM: {body}"),
            Outcome::Lost {
                error,
                request_id,
                name,
            } => {
                assert!(
                    !answered_by_server.contains_key(request_id),
                    "the server answered {request_id} ({:?}) but the answer never came: {error}",
                    answered_by_server.get(request_id)
                );
                unread.push(name.clone());
            }
        }
    }
    let acked = acknowledged(&writes);
    let in_flight = writes
        .iter()
        .filter(|w| w.started < signalled && w.answered >= signalled)
        .filter(|w| matches!(w.outcome, Outcome::Created { .. }))
        .count();
    drop(crm);
    let again = Crm::start(&db.url, db.dir(), &[]).await;
    assert_all_present(&again.address, &admin.access, &acked).await;
    for name in &unread {
        let found: Value = reqwest::Client::new()
            .get(format!("{}/api/v1/leads?q={name}", again.address))
            .bearer_auth(&admin.access)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let same = found["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| l["name"] == *name);
        assert_eq!(same.count(), 0, "{name} was never answered but written");
    }
    println!(
        "faults/sigterm [{b:?}]: {} writes acknowledged, {in_flight} of them in flight at the \
         signal; 0 failed, 0 lost; {} never read by the server (keep-alive close) and not \
         written; exited 0 in {stopped_in:?}",
        acked.len(),
        unread.len()
    );
    drop(again);
    db.drop_db().await;
}

backend_tests!(sigterm_under_load_fails_no_request, sigterm_under_load);

/// SIGKILL during a stream of writes that queue webhook deliveries and outbox mail, then a
/// restart: every acknowledged write is there, and what was queued goes out after the
/// restart. Nothing recorded as sent is sent again: the one repeat a crash can cause is a
/// delivery the killed process had made but not yet recorded (it is the same `webhook-id`,
/// as the Standard Webhooks receivers de-duplicate on), and none of those may be sent twice
/// after the restart.
async fn sigkill_and_restart(b: Backend) {
    // Claims a killed process held come back after their lease: short ones here (the
    // shortest the settings allow for webhooks: more than an attempt's 10 s).
    let many: &[(&str, &str)] = &[
        ("CRM__AUTH__RATE_LIMIT_PER_MINUTE", "100000"),
        ("CRM__WEBHOOKS__LEASE_SECS", "11"),
        ("CRM__MAIL__LEASE_SECS", "3"),
        ("CRM__MAIL__SMTP__TIMEOUT_SECS", "1"),
    ];
    let settings: Vec<(&str, &str)> = FAST.iter().chain(many).copied().collect();
    let (db, admin) = database_with_admin(b, &settings).await;
    // The first attempts fail, so deliveries are waiting for their retry when the kill comes
    // (two: with the schedule's three attempts, every event still gets through).
    let receiver = Receiver::start(&[500, 500], 204).await;
    // The killed process mails nothing after its first look at the outbox: every sign-up's
    // mail is still queued at the kill, for the restarted one to send.
    let first: Vec<(&str, &str)> = settings
        .iter()
        .copied()
        .chain([("CRM__MAIL__OUTBOX_POLL_SECS", "3600")])
        .collect();
    let mut crm = Crm::start(&db.url, db.dir(), &first).await;
    let hook = {
        let res = reqwest::Client::new()
            .post(format!("{}/api/v1/webhooks", crm.address))
            .bearer_auth(&admin.access)
            .json(&json!({"url": receiver.url, "event_types": ["lead.created"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        res.json::<Value>().await.unwrap()
    };
    // Sign-ups all along (each queues its verification mail in its transaction); the leads'
    // writers join once a few are in, as a sign-up (a password hash) is slow.
    let signed = Arc::new(AtomicUsize::new(0));
    let refused: Arc<std::sync::Mutex<Option<String>>> = Arc::default();
    let signups = {
        let url = format!("{}/api/v1/auth/register", crm.address);
        let (signed, refusal) = (signed.clone(), refused.clone());
        tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut acked = Vec::new();
            for i in 0.. {
                let email = format!(
                    "signup-{i}-{}@faults.example",
                    uuid::Uuid::now_v7().simple()
                );
                let res = client
                    .post(&url)
                    .json(&json!({"name": "Sig Nup", "email": email, "password": "correct horse battery", "organization_name": format!("Kill {i}")}))
                    .send()
                    .await;
                match res {
                    Ok(r) if r.status() == 201 => {
                        acked.push(email);
                        signed.fetch_add(1, Ordering::SeqCst);
                    }
                    Ok(r) => {
                        let status = r.status();
                        *refusal.lock().unwrap() =
                            Some(format!("{status}: {}", r.text().await.unwrap_or_default()));
                        break;
                    }
                    Err(_) => break,
                }
            }
            acked
        })
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while signed.load(Ordering::SeqCst) < 3 {
        assert!(
            Instant::now() < deadline,
            "no sign-ups went in: {:?}",
            refused.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let load = Load::start(&crm.address, &admin.access, 4, "kill", true);
    load.wait_created(30).await;
    crm.kill();
    // What the killed process got out: its last requests are in once the receiver has
    // answered them (its sockets closed with it).
    tokio::time::sleep(Duration::from_millis(300)).await;
    let hits_before_kill = receiver.hits().len();
    let mail_dir = db.dir().join("mail");
    let mail_at_kill = mailbox::files(&mail_dir);
    let outcomes = load.finish().await;
    let signed_up = signups.await.unwrap();
    assert_eq!(*refused.lock().unwrap(), None, "a sign-up was refused");
    let acked = acknowledged(&outcomes);
    let unanswered = outcomes
        .iter()
        .filter(|w| matches!(w.outcome, Outcome::Lost { .. }))
        .count();
    assert!(
        outcomes
            .iter()
            .all(|w| !matches!(w.outcome, Outcome::Status { .. })),
        "an error answer before the kill: {outcomes:?}"
    );

    let restarted = Instant::now();
    let again = Crm::start(&db.url, db.dir(), &settings).await;
    assert_all_present(&again.address, &admin.access, &acked).await;
    // Writes cut off by the kill may have committed too: their events go out as well. (A
    // claim the killed process held comes back after its lease.)
    let log_path = format!(
        "/api/v1/webhooks/{}/deliveries",
        hook["id"].as_str().unwrap()
    );
    let leads: Value = reqwest::Client::new()
        .get(format!("{}/api/v1/leads?count=true&limit=1", again.address))
        .bearer_auth(&admin.access)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let events = usize::try_from(leads["total"].as_u64().unwrap()).unwrap();
    assert!(events >= acked.len());
    let deadline = Instant::now() + Duration::from_secs(45);
    let log = loop {
        let log = all_pages(&again.address, &admin.access, &log_path).await;
        if log.len() == events && log.iter().all(|d| d["status"] == "succeeded") {
            break log;
        }
        assert!(Instant::now() < deadline, "deliveries still open: {log:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let delivered_in = restarted.elapsed();
    let hits = receiver.hits();
    for id in &acked {
        assert!(
            hits.iter()
                .any(|h| h.status == 204 && h.json()["record_id"] == *id),
            "lead {id} was acknowledged but its event never delivered"
        );
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    let mail = loop {
        let mail = mailbox::files(&mail_dir);
        if signed_up
            .iter()
            .all(|e| mail.iter().any(|m| m.contains(e.as_str())))
        {
            break mail;
        }
        assert!(
            Instant::now() < deadline,
            "queued mail not sent after the restart"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    // More polls of the restarted workers: nothing may go out again.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let hits = {
        let later = receiver.hits();
        assert_eq!(
            later.len(),
            hits.len(),
            "deliveries went on after all were in"
        );
        later
    };

    let mut successes: HashMap<String, (usize, usize)> = HashMap::new();
    for (i, h) in hits.iter().enumerate() {
        if h.status == 204 {
            let e = successes.entry(h.header("webhook-id")).or_default();
            if i < hits_before_kill {
                e.0 += 1
            } else {
                e.1 += 1
            }
        }
    }
    let mut resent = 0;
    for (id, (before, after)) in &successes {
        assert!(
            *before <= 1 && *after <= 1,
            "event {id} delivered {before} times before the kill and {after} after"
        );
        resent += usize::from(*before == 1 && *after == 1);
    }
    // A sent mail is on disk before its row is marked sent: the same one crash window. (The
    // file names are random: what was there at the kill is told by content.)
    let (mut mail_resent, mut mail_after) = (0, 0);
    for e in &signed_up {
        let before = mail_at_kill
            .iter()
            .filter(|m| m.contains(e.as_str()))
            .count();
        let all = mail.iter().filter(|m| m.contains(e.as_str())).count();
        let after = all - before;
        assert!(
            all >= 1 && before <= 1 && after <= 1,
            "{e}: {before} mails before the kill, {after} after"
        );
        mail_resent += usize::from(before == 1 && after == 1);
        mail_after += after;
    }
    assert_eq!(
        mail_after,
        signed_up.len(),
        "the queued mail went out after the restart"
    );
    // The delivery log and the receiver agree.
    assert_eq!(log.len(), successes.len(), "{log:?}");
    println!(
        "faults/sigkill [{b:?}]: {} writes acknowledged, 0 lost ({unanswered} unanswered at the \
         kill); {} events delivered, all within {delivered_in:?} of the restart, {resent} \
         re-sent after the crash; {} sign-up mails, {mail_after} of them sent after the \
         restart, {mail_resent} re-sent",
        acked.len(),
        successes.len(),
        signed_up.len()
    );
    drop(again);
    db.drop_db().await;
}

backend_tests!(sigkill_then_restart_loses_nothing, sigkill_and_restart);

/// The database cut off for three seconds while four writers keep going, through a TCP proxy,
/// with the server's default timeouts: each request answers `503` within 2 s (readiness too),
/// writes succeed again within 5 s of its return without a restart, nothing but `201` and
/// `503` is answered, and every acknowledged write is there. SQLite is a file: not cut off.
async fn database_cut_under_load(b: Backend) {
    if b == Backend::Sqlite {
        return;
    }
    let (db, admin) = database_with_admin(b, &[]).await;
    let u = url::Url::parse(&db.url).unwrap();
    let default_port = if b == Backend::Postgres { 5432 } else { 3306 };
    let proxy = Proxy::start(format!(
        "{}:{}",
        u.host_str().unwrap(),
        u.port().unwrap_or(default_port)
    ))
    .await;
    let mut via = u.clone();
    via.set_host(Some("127.0.0.1")).unwrap();
    via.set_port(Some(proxy.port)).unwrap();
    // The shipped timeouts (connect 5 s, acquire 3 s, 10 connections), not the tests' own.
    let shared = db.shared();
    let settings = test_settings(
        via.as_str(),
        shared.dir(),
        &[
            ("CRM__DATABASE__CONNECT_TIMEOUT_SECS", "5"),
            ("CRM__DATABASE__ACQUIRE_TIMEOUT_SECS", "3"),
            ("CRM__DATABASE__MAX_CONNECTIONS", "10"),
        ],
    );
    let app = start_on(shared, settings).await;
    let load = Load::start(&app.address, &admin.access, 4, "cut", false);
    load.wait_created(20).await;

    proxy.disable().await;
    let cut = Instant::now();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let probe = Instant::now();
    assert_problem(app.get("/health/ready").await, 503).await;
    let ready_took = probe.elapsed();
    assert_eq!(app.get("/health/live").await.status(), 200);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    proxy.enable();
    let back = Instant::now();
    // Writing again, then a little more load on the recovered pool.
    let before = load.created.load(Ordering::SeqCst);
    let deadline = back + Duration::from_secs(10);
    while load.created.load(Ordering::SeqCst) == before {
        assert!(Instant::now() < deadline, "writes did not recover");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let recovered_in = back.elapsed();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let outcomes = load.finish().await;

    let odd: Vec<_> = outcomes
        .iter()
        .filter(|w| match &w.outcome {
            Outcome::Created { .. } => false,
            Outcome::Status { code, .. } => *code != 503,
            _ => true,
        })
        .collect();
    assert!(odd.is_empty(), "answers other than 201 and 503: {odd:?}");
    let unavailable: Vec<(Instant, Duration)> = outcomes
        .iter()
        .filter_map(|w| match &w.outcome {
            Outcome::Status { started, took, .. } => Some((*started, *took)),
            _ => None,
        })
        .collect();
    assert!(!unavailable.is_empty(), "no request met the outage");
    let slowest = unavailable.iter().map(|(_, t)| *t).max().unwrap();
    let first_503 = unavailable
        .iter()
        .map(|(s, t)| (*s + *t).saturating_duration_since(cut))
        .min()
        .unwrap();
    // Every request of the outage answered within 2 s, and the first came within 2 s of the cut.
    assert!(slowest <= Duration::from_secs(2), "a 503 took {slowest:?}");
    assert!(
        first_503 <= Duration::from_secs(2),
        "first 503 after {first_503:?}"
    );
    assert!(
        ready_took <= Duration::from_secs(2),
        "readiness took {ready_took:?}"
    );
    assert!(
        recovered_in <= Duration::from_secs(5),
        "writes recovered after {recovered_in:?}"
    );
    let acked = acknowledged(&outcomes);
    assert_all_present(&app.address, &admin.access, &acked).await;
    println!(
        "faults/database-cut [{b:?}]: {} writes acknowledged, 0 lost; {} answered 503, the \
         first {first_503:?} after the cut, the slowest in {slowest:?}; readiness 503 in \
         {ready_took:?}; writing again {recovered_in:?} after the database returned",
        acked.len(),
        unavailable.len()
    );
    app.stop().await;
    db.drop_db().await;
}

backend_tests!(
    database_cut_under_load_answers_503_and_recovers,
    database_cut_under_load
);

/// A webhook receiver that is down (nothing listens on its port) for a while, then back: every
/// event is delivered once it returns, exactly once, and the log counts every refused attempt.
async fn receiver_down_then_up(b: Backend) {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let settings: Vec<(&str, &str)> = FAST
        .iter()
        .copied()
        .filter(|(k, _)| *k != "CRM__WEBHOOKS__RETRY_SCHEDULE_SECS")
        .chain([("CRM__WEBHOOKS__RETRY_SCHEDULE_SECS", "1,1,1,1,1,1,1,1,1,1")])
        .collect();
    let app = spawn_app_with(b, &settings).await;
    let admin = app.register_admin("Receiver Down").await;
    let url = format!("http://127.0.0.1:{port}/hook");
    let hook = subscribe(&app, &admin, &url, json!(["lead.created"])).await;
    let mut leads = Vec::new();
    for i in 0..3 {
        leads.push(crate::webhooks::lead(&app, &admin, &format!("Down{i}")).await["id"].clone());
    }
    // Down for a while: at least two refused attempts each.
    let hook_id = hook["id"].as_str().unwrap().to_string();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let log = deliveries(&app, &admin, &hook_id).await;
        if log.len() == leads.len() && log.iter().all(|d| d["attempts"].as_u64() >= Some(2)) {
            assert!(log.iter().all(|d| d["status"] == "pending"), "{log:?}");
            break;
        }
        assert!(Instant::now() < deadline, "no retries while down: {log:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let receiver = Receiver::start_on(port, &[], 204).await;
    let hits = receiver
        .wait_until(|hits| {
            leads
                .iter()
                .all(|id| hits.iter().any(|h| h.json()["record_id"] == *id))
        })
        .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let later = receiver.hits();
    assert_eq!(
        later.len(),
        leads.len(),
        "delivered more than once: {later:?}"
    );
    assert_eq!(hits.len(), later.len());
    let log = deliveries(&app, &admin, &hook_id).await;
    for d in &log {
        assert_eq!(d["status"], "succeeded", "{d}");
    }
    let attempts: Vec<u64> = log
        .iter()
        .map(|d| d["attempts"].as_u64().unwrap())
        .collect();
    println!(
        "faults/receiver-down [{b:?}]: {} events, each delivered once after the receiver \
         returned; attempts per delivery {attempts:?}",
        leads.len()
    );
    app.stop().await;
}

backend_tests!(
    webhook_receiver_down_then_up_delivers_once,
    receiver_down_then_up
);
