//! The import scenario (contract section 10): one CSV of `CRM_BENCH_IMPORT_ROWS` (100,000)
//! leads `POST`ed to `/imports` by the first organization's admin, then `GET /imports/{id}`
//! every 200 ms until it is completed: rows per second from the `POST` to the end, and the
//! server's peak RSS meanwhile (the file is streamed to storage and back, a batch at a time).

use crate::scenarios::Ctx;
use crate::server::Server;
use serde::Serialize;
use serde_json::Value;
use std::sync::Arc;
use std::time::{Duration, Instant};
use uuid::Uuid;

const BOUNDARY: &str = "crm-bench-import-boundary";

#[derive(Serialize, Default)]
pub struct ImportReport {
    pub rows: u64,
    pub created: u64,
    pub failed_rows: u64,
    pub status: String,
    pub secs: f64,
    pub rows_per_sec: f64,
    pub peak_rss_mib: f64,
}

/// `rows` leads, each with an email no earlier run used (no row is a duplicate).
fn csv(rows: u64) -> Vec<u8> {
    let run = Uuid::now_v7().simple().to_string();
    let mut out = String::from("name,email,company,source,score\n");
    for i in 0..rows {
        out.push_str(&format!(
            "Imported lead {i},imp-{run}-{i}@bench.test,Company {},import,{}\n",
            i % 5000,
            i % 101
        ));
    }
    out.into_bytes()
}

fn multipart(file: &[u8]) -> Vec<u8> {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"resource\"\r\n\r\nleads\r\n\
         --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"leads.csv\"\r\n\
         Content-Type: text/csv\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

pub async fn run(ctx: &Arc<Ctx>, srv: &Server) -> Result<ImportReport, String> {
    let rows = std::env::var("CRM_BENCH_IMPORT_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000u64);
    let body = multipart(&csv(rows));
    let org = &ctx.orgs[0];
    let content_type = format!("multipart/form-data; boundary={BOUNDARY}");
    println!(
        "bench: import of {rows} leads ({:.1} MiB)",
        body.len() as f64 / 1_048_576.0
    );
    srv.reset_peak();
    let t = Instant::now();
    let r = ctx
        .http
        .send_raw(
            0,
            "POST",
            "/api/v1/imports",
            &org.token,
            &content_type,
            &body,
        )
        .await?;
    if r.status != 202 {
        return Err(format!(
            "POST /imports answered {}: {}",
            r.status,
            String::from_utf8_lossy(&r.body)
        ));
    }
    let started: Value = serde_json::from_slice(&r.body).map_err(|e| e.to_string())?;
    let id = started["id"].as_str().unwrap_or_default().to_string();
    let path = format!("/api/v1/imports/{id}");
    let deadline = t + Duration::from_secs(3600);
    let done = loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let r = ctx
            .http
            .send(0, "GET", &path, Some(&org.token), None, None)
            .await?;
        let now: Value = serde_json::from_slice(&r.body).map_err(|e| e.to_string())?;
        if now["status"] == "completed" || now["status"] == "failed" {
            break now;
        }
        if Instant::now() > deadline {
            return Err(format!("the import did not finish within an hour: {now}"));
        }
    };
    let secs = t.elapsed().as_secs_f64();
    let count = |k: &str| done[k].as_u64().unwrap_or(0);
    let report = ImportReport {
        rows,
        created: count("created"),
        failed_rows: count("failed_rows"),
        status: done["status"].as_str().unwrap_or_default().to_string(),
        secs,
        rows_per_sec: count("processed_rows") as f64 / secs.max(1e-9),
        peak_rss_mib: srv.peak_mib(),
    };
    println!(
        "  {} in {:.1} s: {:.0} rows/s, {} created, {} failed, peak RSS {:.1} MiB",
        report.status,
        report.secs,
        report.rows_per_sec,
        report.created,
        report.failed_rows,
        report.peak_rss_mib
    );
    Ok(report)
}

impl ImportReport {
    pub fn markdown(&self) -> String {
        format!(
            "\n### CSV import\n\nOne `POST /imports` of {} leads (batches of 500, each with its \
             audit entries and the import's progress in one transaction), followed until \
             completed.\n\n| rows | status | created | failed | seconds | rows/s | peak RSS MiB |\n\
             |---:|---|---:|---:|---:|---:|---:|\n| {} | {} | {} | {} | {:.1} | {:.0} | {:.1} |\n",
            self.rows,
            self.rows,
            self.status,
            self.created,
            self.failed_rows,
            self.secs,
            self.rows_per_sec,
            self.peak_rss_mib
        )
    }
}
