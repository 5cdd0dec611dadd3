//! The mixed soak (issue 18): two instances of the release server on the one bench database, a
//! few minutes of reads, writes and logins at the top connection count spread over both, with
//! a `lead.created` webhook per organization and a notification stream held open on each instance.
//! It reports the errors and p99 of each kind of request, every instance's RSS at the start and
//! the end, and whether each webhook delivery and each notification arrived exactly once.
//! `CRM_BENCH_SOAK_SECS` (default 180; 0 leaves the soak out).

use crate::load::{self, Answer, Figures};
use crate::receiver::{Seen, head, lock, receiver};
use crate::scenarios::{Ctx, Http, call, login};
use crate::server::{self, Server};
use crate::{Config, seed};
use sea_orm::DatabaseConnection;
use serde::Serialize;
use serde_json::json;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use uuid::Uuid;

/// How long late deliveries and stream events are waited for after the load stops.
const CATCH_UP: Duration = Duration::from_secs(60);

/// The soak's own user in the first organization: leads created there are assigned to them,
/// so each create notifies them (`lead.assigned`), and they hold a stream on each instance.
const ASSIGNEE: &str = "soak@org0.bench.test";

/// Each kind of request and its share of the connections (sixty-fourths).
const MIX: [(&str, usize); 5] = [
    ("get lead by id", 24),
    ("list leads (status, 50)", 12),
    ("create lead (assigned, webhook)", 12),
    ("patch lead (shared, no If-Match)", 12),
    ("login", 4),
];

#[derive(Clone, Debug, Serialize)]
pub struct SoakRow {
    pub kind: String,
    pub connections: usize,
    pub figures: Figures,
}

#[derive(Clone, Debug, Serialize)]
pub struct InstanceRss {
    /// After the warm-up, when the load starts.
    pub start_mib: f64,
    pub end_mib: f64,
    pub peak_mib: f64,
    /// Every 30 s of the run.
    pub samples_mib: Vec<f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Exactly {
    /// What should have arrived: leads created with a webhook subscribed, or assigned to the
    /// stream's user.
    pub expected: u64,
    pub received: u64,
    pub distinct: u64,
    /// Seconds after the load stopped that the last one arrived; `None`: not within 60 s.
    pub caught_up_secs: Option<f64>,
}

impl Exactly {
    pub fn once(&self) -> bool {
        self.received == self.expected && self.distinct == self.expected
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct SoakReport {
    pub secs: u64,
    pub connections: usize,
    pub rows: Vec<SoakRow>,
    pub instances: Vec<InstanceRss>,
    pub webhooks: Exactly,
    /// One per instance: the stream the assignee holds there.
    pub streams: Vec<Exactly>,
}

impl SoakReport {
    pub fn errors(&self) -> u64 {
        self.rows.iter().map(|r| r.figures.errors).sum()
    }

    /// The largest growth of an instance's RSS from the start of the run to its end.
    pub fn rss_growth_mib(&self) -> f64 {
        self.instances
            .iter()
            .map(|i| i.end_mib - i.start_mib)
            .fold(f64::MIN, f64::max)
    }
}

fn soak_secs() -> u64 {
    std::env::var("CRM_BENCH_SOAK_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(180)
}

/// Holds `GET /notifications/stream` open on `base` as `token`, recording each event's `id:`.
/// The body is chunked: it is de-chunked before its lines are read, so a line split across two
/// chunks still counts once.
async fn stream(base: &str, token: &str, seen: Arc<Seen>) -> Result<(), String> {
    let addr = base.trim_start_matches("http://").to_string();
    let tcp = tokio::net::TcpStream::connect(&addr)
        .await
        .map_err(|e| e.to_string())?;
    let mut conn = BufReader::new(tcp);
    let request = format!(
        "GET /api/v1/notifications/stream HTTP/1.1\r\nhost: {addr}\r\n\
         authorization: Bearer {token}\r\naccept: text/event-stream\r\n\r\n"
    );
    conn.get_mut()
        .write_all(request.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let mut status = String::new();
    conn.read_line(&mut status)
        .await
        .map_err(|e| e.to_string())?;
    if !status.contains(" 200 ") {
        return Err(format!(
            "the notification stream answered {}",
            status.trim()
        ));
    }
    let headers = head(&mut conn).await.ok_or("the stream closed")?;
    let chunked = headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"));
    tokio::spawn(async move {
        let mut text = Vec::<u8>::new();
        let mut line = String::new();
        loop {
            if chunked {
                line.clear();
                match conn.read_line(&mut line).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
                let Ok(size) = usize::from_str_radix(line.trim(), 16) else {
                    continue;
                };
                let mut chunk = vec![0; size + 2];
                if size == 0 || conn.read_exact(&mut chunk).await.is_err() {
                    return;
                }
                text.extend_from_slice(&chunk[..size]);
            } else {
                let mut buf = [0u8; 8192];
                match conn.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => text.extend_from_slice(&buf[..n]),
                }
            }
            while let Some(end) = text.iter().position(|b| *b == b'\n') {
                let l: Vec<u8> = text.drain(..=end).collect();
                if let Some(id) = l.strip_prefix(b"id:") {
                    seen.add(String::from_utf8_lossy(id).trim().to_string());
                }
            }
        }
    });
    Ok(())
}

/// The assignee: an `employee` of the first organization with the bench password, made once.
async fn assignee(db: &DatabaseConnection, org: Uuid, admin: Uuid) -> Result<(), String> {
    seed::exec(
        db,
        "INSERT INTO users (id, created_at, updated_at, version, organization_id, name, email, \
         password_hash, status) \
         SELECT bench_uuid7(now()), now(), now(), 1, $1, 'Soak user', $2, \
         (SELECT password_hash FROM users WHERE id = $3), 'active' \
         WHERE NOT EXISTS (SELECT 1 FROM users WHERE organization_id = $1 AND email = $2)",
        vec![org.into(), ASSIGNEE.into(), admin.into()],
    )
    .await?;
    seed::exec(
        db,
        "INSERT INTO user_roles (organization_id, user_id, role_id) \
         SELECT $1, u.id, r.id FROM users u, roles r \
         WHERE u.organization_id = $1 AND u.email = $2 \
         AND r.organization_id = $1 AND r.name = 'employee' \
         AND NOT EXISTS (SELECT 1 FROM user_roles x WHERE x.user_id = u.id)",
        vec![org.into(), ASSIGNEE.into()],
    )
    .await?;
    Ok(())
}

/// What every worker needs: both instances' connections, the assignee, the counters.
struct Mix {
    ctx: Arc<Ctx>,
    /// One pool per instance, a slot per connection of the whole mix.
    http: Vec<Http>,
    assignee: Uuid,
    created: AtomicU64,
    assigned: AtomicU64,
}

impl Mix {
    /// The instance of connection `slot` (alternating, so every kind runs on both).
    fn on(&self, slot: usize) -> &Http {
        &self.http[slot % self.http.len()]
    }

    async fn request(&self, kind: usize, slot: usize, i: u64) -> Answer {
        let ctx = &self.ctx;
        let http = self.on(slot);
        match kind {
            0 => {
                let (o, id) = ctx.pick(slot, i);
                let path = format!("/api/v1/leads/{id}");
                http.status(slot, &path, &ctx.orgs[o].token).await
            }
            1 => {
                let org = &ctx.orgs[(slot + i as usize) % ctx.orgs.len()];
                let path = "/api/v1/leads?status=new&limit=50";
                http.status(slot, path, &org.token).await
            }
            2 => {
                let o = (slot / 2 + i as usize) % ctx.orgs.len();
                let mut body = ctx.new_lead(slot);
                if o == 0 {
                    body["owner_id"] = json!(self.assignee);
                }
                let r = http
                    .send(
                        slot,
                        "POST",
                        "/api/v1/leads",
                        Some(&ctx.orgs[o].token),
                        Some(&body),
                        None,
                    )
                    .await?;
                if r.status == 201 {
                    self.created.fetch_add(1, Ordering::Relaxed);
                    if o == 0 {
                        self.assigned.fetch_add(1, Ordering::Relaxed);
                    }
                }
                Ok(r.status)
            }
            3 => {
                let (o, id) = ctx.hot(slot, i);
                let body = json!({"score": i % 100});
                let path = format!("/api/v1/leads/{id}");
                http.send(
                    slot,
                    "PATCH",
                    &path,
                    Some(&ctx.orgs[o].token),
                    Some(&body),
                    None,
                )
                .await
                .map(|r| r.status)
            }
            _ => {
                let org = &ctx.orgs[(slot + i as usize) % ctx.orgs.len()];
                let body = json!({"email": org.email, "password": crate::scenarios::PASSWORD});
                http.send(slot, "POST", "/api/v1/auth/login", None, Some(&body), None)
                    .await
                    .map(|r| r.status)
            }
        }
    }
}

/// Every kind of the mix at once for `secs`, each on its share of `conns` connections.
async fn run_mix(mix: &Arc<Mix>, conns: usize, secs: Duration) -> Vec<SoakRow> {
    let mut first = 0;
    let mut runs = Vec::new();
    for (kind, (name, share)) in MIX.iter().enumerate() {
        let n = (conns * share / 64).max(1);
        let offset = first;
        first += n;
        let expected: &'static [u16] = match kind {
            2 => &[201],
            _ => &[200],
        };
        let m = mix.clone();
        let c = call(move |w, i| {
            let m = m.clone();
            async move { m.request(kind, offset + w, i).await }
        });
        runs.push((
            name.to_string(),
            n,
            tokio::spawn(load::closed_loop(n, secs, expected, move |w, i| c(w, i))),
        ));
    }
    let mut rows = Vec::new();
    for (kind, connections, run) in runs {
        if let Ok(out) = run.await {
            if let Some(e) = &out.first_error {
                eprintln!("  {kind}: first error: {e}");
            }
            rows.push(SoakRow {
                kind,
                connections,
                figures: out.figures(),
            });
        }
    }
    rows
}

/// Waits until `seen` holds `expected` (or [`CATCH_UP`] passes); the seconds it took.
async fn caught_up(seen: &Seen, expected: u64, since: Instant) -> Option<f64> {
    while since.elapsed() < CATCH_UP {
        if seen.count() >= expected {
            let last = lock(&seen.last).unwrap_or(since);
            return Some(last.saturating_duration_since(since).as_secs_f64());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    None
}

fn exactly(seen: &Seen, expected: u64, caught_up_secs: Option<f64>) -> Exactly {
    Exactly {
        expected,
        received: seen.count(),
        distinct: seen.distinct(),
        caught_up_secs,
    }
}

/// The soak, after the other runs: a second instance next to `first`, the mix for
/// `CRM_BENCH_SOAK_SECS`, then the second instance stopped and the webhooks deleted.
pub async fn run(
    cfg: &Config,
    ctx: &Arc<Ctx>,
    db: &DatabaseConnection,
    first: &Server,
    env: &[(String, String)],
    config_dir: &Path,
) -> Result<Option<SoakReport>, String> {
    let secs = soak_secs();
    if secs == 0 {
        return Ok(None);
    }
    let conns = cfg.connections.iter().copied().max().unwrap_or(64);
    let port = server::free_port().map_err(|e| e.to_string())?;
    let mut env2: Vec<(String, String)> = env.to_vec();
    for (k, v) in env2.iter_mut() {
        if k == "CRM__SERVER__PORT" {
            *v = port.to_string();
        }
    }
    println!("bench: soak: starting a second instance on port {port}");
    let second = Server::start(&cfg.binary, config_dir, &env2).await?;
    let result = soak(ctx, db, [first, &second], conns, secs).await;
    second.stop().await;
    result.map(Some)
}

async fn soak(
    ctx: &Arc<Ctx>,
    db: &DatabaseConnection,
    instances: [&Server; 2],
    conns: usize,
    secs: u64,
) -> Result<SoakReport, String> {
    let org0 = &ctx.orgs[0];
    assignee(db, org0.id, org0.admin).await?;
    let setup = &ctx.http;
    let (assignee, _, assignee_token) = login(setup, ASSIGNEE).await?;
    let deliveries = Arc::new(Seen::default());
    let hook_port = receiver(deliveries.clone()).await?;
    let hooks = crate::platform::subscribe(ctx, hook_port, &["lead.created"]).await?;
    let streams: Vec<Arc<Seen>> = instances.iter().map(|_| Arc::default()).collect();
    for (srv, seen) in instances.iter().zip(&streams) {
        stream(&srv.base, &assignee_token, seen.clone()).await?;
    }
    let mix = Arc::new(Mix {
        ctx: ctx.clone(),
        http: instances
            .iter()
            .map(|s| Http::new(&s.base, conns))
            .collect(),
        assignee,
        created: AtomicU64::new(0),
        assigned: AtomicU64::new(0),
    });

    println!("bench: soak: warm-up, then {secs} s at {conns} connections on two instances");
    run_mix(&mix, conns, Duration::from_secs(10)).await;
    let start: Vec<f64> = instances.iter().map(|s| s.rss_mib()).collect();
    for s in instances {
        s.reset_peak();
    }
    let samples: Arc<Mutex<Vec<Vec<f64>>>> = Arc::new(Mutex::new(vec![Vec::new(); 2]));
    let sampler = {
        let samples = samples.clone();
        let pids: Vec<u32> = instances.iter().map(|s| s.pid()).collect();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(30));
            tick.tick().await;
            loop {
                tick.tick().await;
                let mut s = lock(&samples);
                for (k, pid) in pids.iter().enumerate() {
                    s[k].push(server::rss_of(*pid));
                }
            }
        })
    };
    let rows = run_mix(&mix, conns, Duration::from_secs(secs)).await;
    sampler.abort();
    let stopped = Instant::now();
    let end: Vec<f64> = instances.iter().map(|s| s.rss_mib()).collect();

    // Everything made during the warm-up and the run is expected once.
    let created = mix.created.load(Ordering::Relaxed);
    let assigned = mix.assigned.load(Ordering::Relaxed);
    let hook_caught = caught_up(&deliveries, created, stopped).await;
    let mut stream_rows = Vec::new();
    for seen in &streams {
        let t = caught_up(seen, assigned, stopped).await;
        stream_rows.push(exactly(seen, assigned, t));
    }
    // A late duplicate would show in the counts read after the wait.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let webhooks = exactly(&deliveries, created, hook_caught);
    let stream_rows: Vec<Exactly> = stream_rows
        .into_iter()
        .zip(&streams)
        .map(|(e, seen)| exactly(seen, e.expected, e.caught_up_secs))
        .collect();
    for (token, id) in &hooks {
        let path = format!("/api/v1/webhooks/{id}");
        setup
            .send(0, "DELETE", &path, Some(token), None, None)
            .await?;
    }
    let samples = lock(&samples).clone();
    let instances_rss = instances
        .iter()
        .enumerate()
        .map(|(k, s)| InstanceRss {
            start_mib: start[k],
            end_mib: end[k],
            peak_mib: s.peak_mib(),
            samples_mib: samples[k].clone(),
        })
        .collect();
    let report = SoakReport {
        secs,
        connections: conns,
        rows,
        instances: instances_rss,
        webhooks,
        streams: stream_rows,
    };
    for r in &report.rows {
        println!(
            "  {}: {:.0} req/s, p99 {:.1} ms, errors {}",
            r.kind, r.figures.rps, r.figures.p99_ms, r.figures.errors
        );
    }
    println!(
        "  webhooks {} of {} ({} distinct); streams {}; RSS {}",
        report.webhooks.received,
        report.webhooks.expected,
        report.webhooks.distinct,
        report
            .streams
            .iter()
            .map(|s| format!("{}/{} ({} distinct)", s.received, s.expected, s.distinct))
            .collect::<Vec<_>>()
            .join(", "),
        report
            .instances
            .iter()
            .map(|i| format!("{:.1} → {:.1} MiB", i.start_mib, i.end_mib))
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(report)
}

impl SoakReport {
    pub fn markdown(&self) -> String {
        use std::fmt::Write as _;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "\n### Soak: two instances, mixed load\n\n{} s at {} connections after a 10 s \
             warm-up, spread over two instances of the server on the one database (every kind \
             of request on both), with a `lead.created` webhook per organization and a notification \
             stream held on each instance by the user the first organization's new leads are \
             assigned to.\n\n\
             | request | conns | req/s | p50 ms | p99 ms | max ms | errors |\n\
             |---|---:|---:|---:|---:|---:|---:|",
            self.secs, self.connections
        );
        for r in &self.rows {
            let f = &r.figures;
            let _ = writeln!(
                s,
                "| {} | {} | {:.0} | {:.2} | {:.2} | {:.1} | {} |",
                r.kind, r.connections, f.rps, f.p50_ms, f.p99_ms, f.max_ms, f.errors
            );
        }
        s.push_str(
            "\n| instance | RSS at start MiB | at end MiB | peak MiB | every 30 s MiB |\n\
             |---|---:|---:|---:|---|\n",
        );
        for (k, i) in self.instances.iter().enumerate() {
            let samples: Vec<String> = i.samples_mib.iter().map(|m| format!("{m:.1}")).collect();
            let _ = writeln!(
                s,
                "| {} | {:.1} | {:.1} | {:.1} | {} |",
                k + 1,
                i.start_mib,
                i.end_mib,
                i.peak_mib,
                samples.join(", ")
            );
        }
        let line = |what: &str, e: &Exactly| {
            format!(
                "| {what} | {} | {} | {} | {} |\n",
                e.expected,
                e.received,
                e.distinct,
                e.caught_up_secs
                    .map_or("not within 60 s".into(), |t| format!("{t:.1} s"))
            )
        };
        s.push_str(
            "\n| delivered | expected | received | distinct | last one after the load |\n\
             |---|---:|---:|---:|---|\n",
        );
        s.push_str(&line(
            "webhook deliveries (one per lead created)",
            &self.webhooks,
        ));
        for (k, e) in self.streams.iter().enumerate() {
            s.push_str(&line(
                &format!("stream on instance {} (one per lead assigned)", k + 1),
                e,
            ));
        }
        s
    }
}
