//! The platform scenarios of issue #12: files uploaded and downloaded (throughput, and a peak
//! RSS that must not grow with the file's size, since bodies are streamed), and leads created
//! with webhooks subscribed (the events' fan-out must not cut create throughput by more than
//! 10 %).

use crate::Config;
use crate::load::{Answer, Figures};
use crate::receiver::{Seen, receiver};
use crate::scenarios::{Call, Ctx, Http, call, drive, scenario};
use crate::server::Server;
use serde::Serialize;
use serde_json::{Value, json};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// Concurrent transfers: files are disk- and copy-bound, not request-bound.
const FILE_CONNECTIONS: usize = 4;
/// The file sizes measured; the largest is under the server's limit the bench sets.
const FILE_SIZES_MIB: [usize; 3] = [1, 10, 40];
const BOUNDARY: &str = "crm-bench-boundary-7d4f0c";

#[derive(Serialize)]
pub struct FileRow {
    pub direction: &'static str,
    pub size_mib: usize,
    pub connections: usize,
    pub transfer: Figures,
    pub mib_per_sec: f64,
    pub peak_rss_mib: f64,
}

/// One create-lead run, with the CPU the server and PostgreSQL spent per request.
#[derive(Serialize)]
pub struct CreateRun {
    pub figures: Figures,
    pub server_us_per_req: f64,
    pub postgres_us_per_req: f64,
}

#[derive(Serialize)]
pub struct WebhookRow {
    pub connections: usize,
    /// Alternating rounds: without, with, without, with …
    pub without: Vec<CreateRun>,
    pub with: Vec<CreateRun>,
    /// Deliveries the receiver got for the leads created with webhooks subscribed.
    pub delivered: u64,
    pub created: u64,
    /// Seconds after each run with webhooks until every created lead was delivered (`None`:
    /// not within 60 s).
    pub caught_up_secs: Vec<Option<f64>>,
}

impl WebhookRow {
    fn mean(runs: &[CreateRun], f: impl Fn(&CreateRun) -> f64) -> f64 {
        runs.iter().map(f).sum::<f64>() / runs.len().max(1) as f64
    }

    /// Create throughput with webhooks as a share of without, over all rounds.
    pub fn ratio(&self) -> f64 {
        Self::mean(&self.with, |r| r.figures.rps)
            / Self::mean(&self.without, |r| r.figures.rps).max(1e-9)
    }
}

#[derive(Serialize, Default)]
pub struct PlatformReport {
    pub files: Vec<FileRow>,
    pub webhooks: Option<WebhookRow>,
}

/// A multipart body with one `file` part of `size` bytes; `stamp` makes every upload's bytes
/// (and so its sha256) different, so each one is stored rather than found.
fn multipart(size: usize) -> (Vec<u8>, usize) {
    let head = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"bench.bin\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    );
    let mut body = Vec::with_capacity(size + head.len() + 64);
    body.extend_from_slice(head.as_bytes());
    let offset = body.len();
    body.extend((0..size).map(|i| (i % 251) as u8));
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    (body, offset)
}

async fn files_run(cfg: &Config, ctx: &Arc<Ctx>, srv: &Server) -> Result<Vec<FileRow>, String> {
    let mut rows = Vec::new();
    let stamp = Arc::new(AtomicU64::new(0));
    for size_mib in FILE_SIZES_MIB {
        let size = size_mib << 20;
        let (template, offset) = multipart(size);
        let template = Arc::new(template);
        let uploaded = Arc::new(Mutex::new(Vec::<(usize, Uuid)>::new()));
        let content_type = format!("multipart/form-data; boundary={BOUNDARY}");

        let (c, t, u, s) = (
            ctx.clone(),
            template.clone(),
            uploaded.clone(),
            stamp.clone(),
        );
        let ct = content_type.clone();
        let upload = call(move |w, _| {
            let (c, t, u, s, ct) = (c.clone(), t.clone(), u.clone(), s.clone(), ct.clone());
            async move {
                let o = w % c.orgs.len();
                let mut body = t.as_ref().clone();
                let n = s.fetch_add(1, Ordering::Relaxed);
                body[offset..offset + 8].copy_from_slice(&n.to_le_bytes());
                let r = c
                    .http
                    .send_raw(w, "POST", "/api/v1/files", &c.orgs[o].token, &ct, &body)
                    .await?;
                if r.status == 201
                    && let Some(id) = serde_json::from_slice::<Value>(&r.body)
                        .ok()
                        .and_then(|v| v.get("id")?.as_str()?.parse::<Uuid>().ok())
                {
                    u.lock().unwrap_or_else(|p| p.into_inner()).push((o, id));
                }
                Ok(r.status)
            }
        });
        srv.reset_peak();
        println!("bench: upload {size_mib} MiB files at {FILE_CONNECTIONS} connections");
        let up = drive(cfg, FILE_CONNECTIONS, &[201], &upload).await;
        rows.push(file_row("upload", size_mib, up, srv));

        let ids: Vec<(usize, Uuid)> = uploaded.lock().unwrap_or_else(|p| p.into_inner()).clone();
        if ids.is_empty() {
            return Err(format!("no {size_mib} MiB upload succeeded"));
        }
        let (c, ids) = (ctx.clone(), Arc::new(ids));
        let picks = ids.clone();
        let download = call(move |w, i| {
            let (c, picks) = (c.clone(), picks.clone());
            async move {
                let (o, id) = picks[(w + i as usize) % picks.len()];
                let path = format!("/api/v1/files/{id}/content");
                let r = c.http.get(w, &path, &c.orgs[o].token).await?;
                if r.status == 200 && r.body.len() != size {
                    return Err(format!("{path}: {} bytes, not {size}", r.body.len()));
                }
                Ok(r.status)
            }
        });
        srv.reset_peak();
        println!("bench: download {size_mib} MiB files at {FILE_CONNECTIONS} connections");
        let down = drive(cfg, FILE_CONNECTIONS, &[200], &download).await;
        rows.push(file_row("download", size_mib, down, srv));

        // The bench database is reused between runs: leave no file behind.
        for (o, id) in ids.iter() {
            let path = format!("/api/v1/files/{id}");
            ctx.http
                .send(0, "DELETE", &path, Some(&ctx.orgs[*o].token), None, None)
                .await?;
        }
    }
    Ok(rows)
}

fn file_row(direction: &'static str, size_mib: usize, f: Figures, srv: &Server) -> FileRow {
    println!(
        "  {:.1} files/s, {:.0} MiB/s, p99 {:.0} ms, errors {}, peak RSS {:.1} MiB",
        f.rps,
        f.rps * size_mib as f64,
        f.p99_ms,
        f.errors,
        srv.peak_mib()
    );
    FileRow {
        direction,
        size_mib,
        connections: FILE_CONNECTIONS,
        mib_per_sec: f.rps * size_mib as f64,
        transfer: f,
        peak_rss_mib: srv.peak_mib(),
    }
}

/// Rounds of the create-lead comparison (each one run without and one with webhooks).
fn webhook_rounds() -> usize {
    std::env::var("CRM_BENCH_WEBHOOK_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n: &usize| n > 0)
        .unwrap_or(2)
}

async fn measured(
    cfg: &Config,
    conns: usize,
    expected: &'static [u16],
    api: &Call,
    srv: &Server,
) -> CreateRun {
    let (cpu0, pg0) = (srv.cpu_secs(), crate::server::postgres_cpu_secs());
    let figures = drive(cfg, conns, expected, api).await;
    let per_req = |secs: f64| secs / (figures.requests.max(1) as f64) * 1e6;
    CreateRun {
        server_us_per_req: per_req(srv.cpu_secs() - cpu0),
        postgres_us_per_req: per_req(crate::server::postgres_cpu_secs() - pg0),
        figures,
    }
}

/// One webhook per organization for `events`, to the receiver on `port`: (token, webhook id).
pub(crate) async fn subscribe(
    ctx: &Ctx,
    port: u16,
    events: &[&str],
) -> Result<Vec<(String, String)>, String> {
    let mut hooks = Vec::new();
    for org in &ctx.orgs {
        let v = ctx
            .http
            .json(
                "POST",
                "/api/v1/webhooks",
                Some(&org.token),
                Some(&json!({
                    "url": format!("http://127.0.0.1:{port}/hook"),
                    "event_types": events,
                    "description": "crm-bench receiver"
                })),
            )
            .await?;
        let id = v
            .get("id")
            .and_then(Value::as_str)
            .ok_or("webhook answer without id")?
            .to_string();
        hooks.push((org.token.clone(), id));
    }
    Ok(hooks)
}

async fn webhooks_run(cfg: &Config, ctx: &Arc<Ctx>, srv: &Server) -> Result<WebhookRow, String> {
    let conns = cfg.connections.iter().copied().max().unwrap_or(64);
    let (api, _, expected) = scenario(ctx, "create lead");
    let delivered = Arc::new(Seen::default());
    let port = receiver(delivered.clone()).await?;
    let created = Arc::new(AtomicU64::new(0));
    let counted = created.clone();
    let inner = api.clone();
    let counting = call(move |w, i| {
        let (inner, counted) = (inner.clone(), counted.clone());
        async move {
            let a: Answer = inner(w, i).await;
            if a == Ok(201) {
                counted.fetch_add(1, Ordering::Relaxed);
            }
            a
        }
    });
    let mut row = WebhookRow {
        connections: conns,
        without: vec![],
        with: vec![],
        delivered: 0,
        created: 0,
        caught_up_secs: vec![],
    };
    for round in 1..=webhook_rounds() {
        println!("bench: create lead without webhooks at {conns} connections (round {round})");
        let without = measured(cfg, conns, expected, &api, srv).await;
        println!("  {:.0} req/s", without.figures.rps);
        row.without.push(without);

        let hooks = subscribe(ctx, port, &["lead.*"]).await?;
        let before = (delivered.count(), created.load(Ordering::Relaxed));
        println!(
            "bench: create lead with a webhook per organization at {conns} connections (round {round})"
        );
        let with = measured(cfg, conns, expected, &counting, srv).await;
        let t = Instant::now();
        let made = created.load(Ordering::Relaxed) - before.1;
        let mut caught_up = None;
        while t.elapsed() < Duration::from_secs(60) {
            if delivered.count() - before.0 >= made {
                caught_up = Some(t.elapsed().as_secs_f64());
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        for (token, id) in &hooks {
            let path = format!("/api/v1/webhooks/{id}");
            ctx.http
                .send(0, "DELETE", &path, Some(token), None, None)
                .await?;
        }
        println!(
            "  {:.0} req/s, {} of {made} created delivered{}",
            with.figures.rps,
            delivered.count() - before.0,
            caught_up
                .map(|s| format!(", all {s:.1} s after the run"))
                .unwrap_or_default()
        );
        row.with.push(with);
        row.caught_up_secs.push(caught_up);
    }
    row.delivered = delivered.count();
    row.created = created.load(Ordering::Relaxed);
    println!("  with webhooks: {:.0} % of without", 100.0 * row.ratio());
    Ok(row)
}

pub async fn run(cfg: &Config, ctx: &Arc<Ctx>, srv: &Server) -> Result<PlatformReport, String> {
    // `CRM_BENCH_FILES=0`: the webhook rounds alone (for A/B runs of the delivery path).
    let files = if std::env::var("CRM_BENCH_FILES").is_ok_and(|v| v == "0") {
        Vec::new()
    } else {
        files_run(cfg, ctx, srv).await?
    };
    Ok(PlatformReport {
        files,
        webhooks: Some(webhooks_run(cfg, ctx, srv).await?),
    })
}

impl Http {
    async fn get(
        &self,
        slot: usize,
        path: &str,
        token: &str,
    ) -> Result<crate::http1::Response, String> {
        self.send(slot, "GET", path, Some(token), None, None).await
    }
}

impl PlatformReport {
    pub fn markdown(&self) -> String {
        use std::fmt::Write as _;
        let mut s = String::from(
            "\n### Files\n\nUploads (multipart, every file's bytes different) and downloads of \
             the same files, on local disk.\n\n\
             | what | size MiB | conns | files/s | MiB/s | p50 ms | p99 ms | errors | peak RSS MiB |\n\
             |---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
        );
        for f in &self.files {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {:.1} | {:.0} | {:.1} | {:.1} | {} | {:.1} |",
                f.direction,
                f.size_mib,
                f.connections,
                f.transfer.rps,
                f.mib_per_sec,
                f.transfer.p50_ms,
                f.transfer.p99_ms,
                f.transfer.errors,
                f.peak_rss_mib
            );
        }
        if let Some(w) = &self.webhooks {
            let _ = writeln!(
                s,
                "\n### Create lead with webhooks subscribed\n\nOne webhook per organization \
                 (`lead.*`) to a receiver on loopback answering `204`, in alternating rounds.\n\n\
                 | run | conns | req/s | p50 ms | p99 ms | errors | server µs/req | postgres µs/req |\n\
                 |---|---:|---:|---:|---:|---:|---:|---:|"
            );
            let rounds = w.without.iter().zip(&w.with).enumerate();
            for (i, (a, b)) in rounds {
                for (label, r) in [("without webhooks", a), ("with webhooks", b)] {
                    let f = &r.figures;
                    let _ = writeln!(
                        s,
                        "| {label} ({}) | {} | {:.0} | {:.2} | {:.2} | {} | {:.0} | {:.0} |",
                        i + 1,
                        w.connections,
                        f.rps,
                        f.p50_ms,
                        f.p99_ms,
                        f.errors,
                        r.server_us_per_req,
                        r.postgres_us_per_req
                    );
                }
            }
            let caught: Vec<String> = w
                .caught_up_secs
                .iter()
                .map(|c| c.map_or("not within 60 s".into(), |t| format!("{t:.1} s")))
                .collect();
            let _ = writeln!(
                s,
                "\nWith webhooks, creates ran at {:.0} % of the rate without. {} of the {} leads \
                 created with webhooks subscribed were delivered; the last of each round {} after \
                 its run ended.",
                100.0 * w.ratio(),
                w.delivered,
                w.created,
                caught.join(", ")
            );
        }
        s
    }
}
