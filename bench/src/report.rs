//! The report: a markdown table and JSON under `target/bench/`, and `docs/PERFORMANCE.md`
//! (the hand-written notes in `bench/NOTES.md` followed by the latest figures).

use crate::load::Figures;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

#[derive(Serialize)]
pub struct Machine {
    pub cpu: String,
    pub cores: usize,
    pub memory_gib: f64,
    pub database: String,
    pub date: String,
}

impl Machine {
    pub async fn detect(db: &DatabaseConnection) -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find(|l| l.starts_with("model name"))
            .and_then(|l| l.split(':').nth(1))
            .unwrap_or("unknown")
            .trim()
            .to_string();
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let kib: f64 = meminfo
            .lines()
            .find(|l| l.starts_with("MemTotal"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0);
        let database = db
            .query_one_raw(sea_orm::Statement::from_string(
                sea_orm::DbBackend::Postgres,
                "SELECT version()",
            ))
            .await
            .ok()
            .flatten()
            .and_then(|r| r.try_get_by_index::<String>(0).ok())
            .map(|v| v.split(" on ").next().unwrap_or(&v).to_string())
            .unwrap_or_default();
        Self {
            cpu,
            cores: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(0),
            memory_gib: kib / 1024.0 / 1024.0,
            database,
            date: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
        }
    }
}

#[derive(Serialize)]
pub struct Row {
    pub scenario: String,
    pub connections: usize,
    pub api: Figures,
    pub ceiling: Option<Figures>,
    pub peak_rss_mib: f64,
    /// Cores the server and PostgreSQL kept busy while the scenario ran (warm-up included).
    #[serde(skip)]
    pub cpu: (f64, f64),
}

#[derive(Serialize)]
pub struct GrowthRow {
    pub leads: i64,
    pub connections: usize,
    pub list: Figures,
    /// Every lead of the organization as CSV, at this size.
    pub export: crate::exports::ExportRun,
}

#[derive(Serialize)]
pub struct FloodReport {
    pub connections: usize,
    pub login_capacity_per_sec: f64,
    pub flood_rate_per_sec: f64,
    pub get_lead_baseline: Option<Figures>,
    pub get_lead_during: Figures,
    pub logins: Option<Figures>,
    pub logins_by_status: BTreeMap<u16, Figures>,
    pub not_sent: u64,
    /// Connections the flood opened: as many as logins were in flight at its peak, plus any
    /// reopened after the server closed one.
    pub connections_opened: u64,
    pub peak_rss_mib: f64,
}

#[derive(Serialize)]
pub struct Report {
    pub machine: Machine,
    pub seconds_per_run: u64,
    pub pool: u32,
    pub orgs: usize,
    pub leads_per_org: i64,
    pub users_per_org: i64,
    pub clients_per_org: i64,
    pub deals_per_org: i64,
    pub rows: Vec<Row>,
    pub sql_ceiling: Option<crate::sql_ceiling::SqlCeiling>,
    pub growth: Vec<GrowthRow>,
    pub flood: FloodReport,
    pub platform: Option<crate::platform::PlatformReport>,
    pub imports: Option<crate::imports::ImportReport>,
    pub finance: Option<crate::finance::FinanceReport>,
    pub projects: Option<crate::projects::ProjectsReport>,
    pub hr: Option<crate::hr::HrReport>,
    pub collab: Option<crate::collab::CollabReport>,
    pub soak: Option<crate::soak::SoakReport>,
    pub peak_rss_hwm_mib: f64,
}

/// `200×1234 503×56`: every status seen (0 is a transport error).
fn answers(statuses: &BTreeMap<u16, u64>) -> String {
    statuses
        .iter()
        .map(|(s, n)| format!("{s}×{n}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn verdict(ok: bool) -> &'static str {
    if ok { "met" } else { "**not met**" }
}

impl Report {
    fn row(&self, scenario: &str, conns: usize) -> Option<&Row> {
        self.rows
            .iter()
            .find(|r| r.scenario == scenario && r.connections == conns)
    }

    /// "`what`: ≥ 60 % of the direct-call ceiling at `top` connections", decided by the row of
    /// `scenario` when it ran with its ceiling.
    fn ceiling_share(
        &self,
        scenario: &str,
        what: &str,
        top: usize,
    ) -> Option<(String, String, bool)> {
        let r = self.row(scenario, top)?;
        let c = r.ceiling.as_ref()?;
        let ratio = r.api.rps / c.rps.max(1e-9);
        Some((
            format!("{what}: ≥ 60 % of the direct-call ceiling at {top} connections"),
            format!("{:.0} %", ratio * 100.0),
            ratio >= 0.6,
        ))
    }

    /// Each target of the issue with the figure that decides it.
    fn targets(&self) -> Vec<(String, String, bool)> {
        let mut t = Vec::new();
        let top = self.rows.iter().map(|r| r.connections).max().unwrap_or(64);
        for s in [
            "get lead by id",
            "list leads (status, 50)",
            "get invoice by id",
            "list invoices (issued, 50)",
        ] {
            t.extend(self.ceiling_share(s, s, top));
        }
        if let Some(p) = &self.projects {
            for (s, what) in [
                (
                    "project board",
                    format!("project board ({} tasks)", p.board_tasks),
                ),
                (
                    "list tasks assigned to me (50)",
                    format!(
                        "list tasks assigned to me (50; {} of {} tasks)",
                        p.my_tasks, p.tasks_per_org
                    ),
                ),
            ] {
                t.extend(self.ceiling_share(s, &what, top));
            }
            if let Some(f) = &p.report_alone {
                t.push((
                    format!(
                        "project report on {} time entries < 200 ms (p99, one at a time)",
                        p.report_entries
                    ),
                    format!("{:.1} ms (p50 {:.1} ms)", f.p99_ms, f.p50_ms),
                    f.p99_ms < 200.0,
                ));
            }
        }
        let employees = self.hr.as_ref().map_or(0, |h| h.employees);
        t.extend(self.ceiling_share(
            "leave balances",
            &format!("leave balances of one of {employees} employees"),
            top,
        ));
        if let Some(h) = &self.hr
            && let Some(f) = &h.summary_walk
        {
            t.push((
                format!(
                    "attendance of {} employees for {} (the summary's {} pages) < 500 ms (p99 \
                     of the walk, one at a time)",
                    h.attendance_employees, h.month, h.summary_pages
                ),
                format!("{:.1} ms (p50 {:.1} ms)", f.p99_ms, f.p50_ms),
                f.p99_ms < 500.0,
            ));
        }
        if let Some(r) = self.row("check-in / check-out", top) {
            t.push((
                format!("check-in / check-out at {top} connections: no error"),
                format!("{} errors in {} requests", r.api.errors, r.api.requests),
                r.api.errors == 0,
            ));
        }
        for s in [
            "list my conversations (1,000, unread)",
            "month of occurrences (500 series)",
        ] {
            t.extend(self.ceiling_share(s, s, top));
        }
        if let Some(r) = self.row("send message", top) {
            t.push((
                format!("send message at {top} connections: no error"),
                format!("{} errors in {} requests", r.api.errors, r.api.requests),
                r.api.errors == 0,
            ));
        }
        if let Some(r) = self.row("create payment (2 allocations)", top) {
            let check = self.finance.as_ref().and_then(|f| f.allocations.clone());
            let mismatched = check.as_ref().map_or(-1, |c| c.mismatched);
            t.push((
                format!(
                    "create payment with two allocations at {top} connections: no error, no \
                     over-allocation"
                ),
                format!(
                    "{} errors; {} invoices, {} allocations, {} balances off their rows",
                    r.api.errors,
                    check.as_ref().map_or(0, |c| c.invoices),
                    check.as_ref().map_or(0, |c| c.allocations),
                    mismatched
                ),
                r.api.errors == 0 && mismatched == 0,
            ));
        }
        if let Some(f) = &self.finance
            && let (Some(first), Some(last)) = (f.growth.first(), f.growth.last())
        {
            let ratio = last.list.p99_ms / first.list.p99_ms.max(1e-9);
            t.push((
                format!(
                    "invoice list p99 at {} invoices within 1.5× of {}",
                    last.invoices, first.invoices
                ),
                format!("{ratio:.2}×"),
                ratio <= 1.5,
            ));
            t.push((
                format!(
                    "receivables report on {} invoices < 500 ms (p99)",
                    last.invoices
                ),
                format!(
                    "{:.1} ms (p50 {:.1} ms)",
                    last.receivables.p99_ms, last.receivables.p50_ms
                ),
                last.receivables.p99_ms < 500.0,
            ));
        }
        for &conns in &[16, top] {
            if let (Some(p1), Some(p1000)) = (
                self.row("list leads (status, 50)", conns),
                self.row("list leads, page 1,000", conns),
            ) {
                let ratio = p1000.api.p99_ms / p1.api.p99_ms.max(1e-9);
                t.push((
                    format!("list p99 at page 1,000 within 1.5× of page 1 ({conns} connections)"),
                    format!("{ratio:.2}×"),
                    ratio <= 1.5,
                ));
            }
        }
        if let (Some(first), Some(last)) = (self.growth.first(), self.growth.last()) {
            let ratio = last.list.p99_ms / first.list.p99_ms.max(1e-9);
            t.push((
                format!(
                    "list p99 at {} leads within 1.5× of {}",
                    last.leads, first.leads
                ),
                format!("{ratio:.2}×"),
                ratio <= 1.5,
            ));
            let growth = last.export.peak_rss_mib - first.export.peak_rss_mib;
            t.push((
                format!(
                    "CSV export peak RSS flat with the row count ({} vs {} leads, within 8 MiB)",
                    last.leads, first.leads
                ),
                format!(
                    "{:.1} MiB vs {:.1} MiB ({:.0} rows/s at {} leads)",
                    last.export.peak_rss_mib,
                    first.export.peak_rss_mib,
                    last.export.rows_per_sec,
                    last.leads
                ),
                growth <= 8.0,
            ));
        }
        let f = &self.flood;
        if let Some(b) = &f.get_lead_baseline {
            let ratio = f.get_lead_during.p99_ms / b.p99_ms.max(1e-9);
            t.push((
                "get-lead p99 during the login flood ≤ 2× its baseline".into(),
                format!(
                    "{ratio:.2}× ({:.2} ms vs {:.2} ms)",
                    f.get_lead_during.p99_ms, b.p99_ms
                ),
                ratio <= 2.0,
            ));
        }
        let refused: Vec<_> = f
            .logins_by_status
            .iter()
            .filter(|(s, _)| **s == 429 || **s == 503)
            .collect();
        let worst = refused.iter().map(|(_, o)| o.p99_ms).fold(0.0f64, f64::max);
        t.push((
            "excess logins answered 429/503 in < 50 ms (p99)".into(),
            if refused.is_empty() {
                "no login was refused".into()
            } else {
                format!("{worst:.2} ms")
            },
            !refused.is_empty() && worst < 50.0,
        ));
        let peak = self
            .rows
            .iter()
            .map(|r| r.peak_rss_mib)
            .fold(self.flood.peak_rss_mib, f64::max);
        t.push((
            "peak RSS under load ≤ 60 MB".into(),
            format!(
                "{peak:.1} MiB (high-water mark {:.1} MiB)",
                self.peak_rss_hwm_mib
            ),
            peak * 1.048_576 <= 60.0,
        ));
        if let Some(p) = &self.platform {
            for direction in ["upload", "download"] {
                let rows: Vec<_> = p
                    .files
                    .iter()
                    .filter(|f| f.direction == direction)
                    .collect();
                if let (Some(small), Some(large)) = (rows.first(), rows.last()) {
                    let growth = large.peak_rss_mib - small.peak_rss_mib;
                    t.push((
                        format!(
                            "{direction} peak RSS flat with file size ({} MiB vs {} MiB files, \
                             within 8 MiB)",
                            large.size_mib, small.size_mib
                        ),
                        format!(
                            "{:.1} MiB vs {:.1} MiB",
                            large.peak_rss_mib, small.peak_rss_mib
                        ),
                        growth <= 8.0,
                    ));
                }
            }
            if let Some(w) = &p.webhooks {
                let ratio = w.ratio();
                t.push((
                    "create lead with webhooks subscribed ≥ 90 % of without".into(),
                    format!("{:.0} %", ratio * 100.0),
                    ratio >= 0.9,
                ));
                t.push((
                    "every lead created with webhooks subscribed delivered".into(),
                    format!("{} of {}", w.delivered, w.created),
                    w.delivered >= w.created,
                ));
            }
        }
        if let Some(k) = &self.soak {
            t.push((
                format!(
                    "soak on two instances ({} s at {} connections): zero errors",
                    k.secs, k.connections
                ),
                format!("{} errors", k.errors()),
                k.errors() == 0,
            ));
            t.push((
                "soak: each instance's RSS at the end within 8 MiB of the start".into(),
                k.instances
                    .iter()
                    .map(|i| format!("{:.1} → {:.1} MiB", i.start_mib, i.end_mib))
                    .collect::<Vec<_>>()
                    .join(", "),
                k.rss_growth_mib() <= 8.0,
            ));
            t.push((
                "soak: every webhook delivery and every streamed notification exactly once".into(),
                std::iter::once(&k.webhooks)
                    .chain(&k.streams)
                    .map(|e| format!("{}/{} ({} distinct)", e.received, e.expected, e.distinct))
                    .collect::<Vec<_>>()
                    .join(", "),
                k.webhooks.once() && k.streams.iter().all(crate::soak::Exactly::once),
            ));
        }
        let errors: u64 = self.rows.iter().map(|r| r.api.errors).sum::<u64>()
            + self.platform.as_ref().map_or(0, |p| {
                p.files.iter().map(|f| f.transfer.errors).sum::<u64>()
                    + p.webhooks.as_ref().map_or(0, |w| {
                        w.with
                            .iter()
                            .chain(&w.without)
                            .map(|r| r.figures.errors)
                            .sum::<u64>()
                    })
            })
            + self.growth.iter().map(|g| g.list.errors).sum::<u64>()
            + self.finance.as_ref().map_or(0, |f| {
                f.growth
                    .iter()
                    .map(|g| g.list.errors + g.receivables.errors)
                    .sum::<u64>()
            })
            + self
                .projects
                .as_ref()
                .and_then(|p| p.report_alone.as_ref())
                .map_or(0, |f| f.errors)
            + self.hr.as_ref().map_or(0, |h| {
                [&h.summary_walk, &h.days_alone]
                    .into_iter()
                    .flatten()
                    .map(|f| f.errors)
                    .sum::<u64>()
            })
            + self.flood.get_lead_during.errors;
        t.push((
            "zero errors outside the deliberate overload".into(),
            format!("{errors} errors"),
            errors == 0,
        ));
        t
    }

    pub fn markdown(&self) -> String {
        let m = &self.machine;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "Run of {}: {} ({} cores, {:.0} GiB), {}; server, database and load generator on \
             this one machine. {} s per run after a warm-up, database pool {} connections. Data: \
             {} organizations × {} leads, {} users, {} clients, {} deals.\n",
            m.date,
            m.cpu,
            m.cores,
            m.memory_gib,
            m.database,
            self.seconds_per_run,
            self.pool,
            self.orgs,
            self.leads_per_org,
            self.users_per_org,
            self.clients_per_org,
            self.deals_per_org
        );
        s.push_str("### Targets\n\n| target | measured | |\n|---|---|---|\n");
        for (what, figure, ok) in self.targets() {
            let _ = writeln!(s, "| {what} | {figure} | {} |", verdict(ok));
        }
        s.push_str(
            "\n### Scenarios\n\n| scenario | conns | req/s | p50 ms | p99 ms | max ms | errors | \
             ceiling req/s | ceiling p99 ms | API / ceiling | peak RSS MiB | answers |\n\
             |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n",
        );
        for r in &self.rows {
            let (c_rps, c_p99, ratio) = match &r.ceiling {
                Some(c) => (
                    format!("{:.0}", c.rps),
                    format!("{:.2}", c.p99_ms),
                    format!("{:.0} %", 100.0 * r.api.rps / c.rps.max(1e-9)),
                ),
                None => ("—".into(), "—".into(), "—".into()),
            };
            let _ = writeln!(
                s,
                "| {} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {} | {c_rps} | {c_p99} | {ratio} | {:.1} | {} |",
                r.scenario,
                r.connections,
                r.api.rps,
                r.api.p50_ms,
                r.api.p99_ms,
                r.api.max_ms,
                r.api.errors,
                r.peak_rss_mib,
                answers(&r.api.statuses)
            );
        }
        if let Some(c) = &self.sql_ceiling {
            let _ = writeln!(
                s,
                "\n### Against the database's own ceiling\n\npgbench with prepared statements \
                 runs only the one statement each read needs, on {} connections (the server's \
                 pool): the tenant-scoped lead by id, and the status page.\n\n\
                 | scenario | conns | API req/s | SQL alone, tx/s | API / SQL |\n|---|---:|---:|---:|---:|",
                c.clients
            );
            for (scenario, tps) in [
                ("get lead by id", c.get_lead_tps),
                ("list leads (status, 50)", c.list_tps),
            ] {
                for r in self.rows.iter().filter(|r| r.scenario == scenario) {
                    let _ = writeln!(
                        s,
                        "| {scenario} | {} | {:.0} | {tps:.0} | {:.0} % |",
                        r.connections,
                        r.api.rps,
                        100.0 * r.api.rps / tps.max(1e-9)
                    );
                }
            }
        }
        s.push_str(
            "\n### Growth: list leads (status, 50) in one organization\n\n\
             | leads | conns | req/s | p50 ms | p99 ms | max ms | errors |\n\
             |---:|---:|---:|---:|---:|---:|---:|\n",
        );
        for g in &self.growth {
            let _ = writeln!(
                s,
                "| {} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {} |",
                g.leads,
                g.connections,
                g.list.rps,
                g.list.p50_ms,
                g.list.p99_ms,
                g.list.max_ms,
                g.list.errors
            );
        }
        s.push_str(
            "\n### Export: every lead of that organization as CSV (`GET /leads/export`)\n\n\
             | leads | rows/s | MiB | seconds | first byte ms | peak RSS MiB |\n\
             |---:|---:|---:|---:|---:|---:|\n",
        );
        for g in &self.growth {
            let e = &g.export;
            let _ = writeln!(
                s,
                "| {} | {:.0} | {:.1} | {:.1} | {:.0} | {:.1} |",
                g.leads,
                e.rows_per_sec,
                e.bytes as f64 / 1_048_576.0,
                e.secs,
                e.first_byte_ms,
                e.peak_rss_mib
            );
        }
        if let Some(p) = &self.platform {
            s.push_str(&p.markdown());
        }
        if let Some(i) = &self.imports {
            s.push_str(&i.markdown());
        }
        if let Some(f) = &self.finance {
            s.push_str(&f.markdown());
        }
        if let Some(p) = &self.projects {
            s.push_str(&p.markdown());
        }
        if let Some(h) = &self.hr {
            s.push_str(&h.markdown());
        }
        if let Some(c) = &self.collab {
            s.push_str(&c.markdown());
        }
        if let Some(k) = &self.soak {
            s.push_str(&k.markdown());
        }
        let f = &self.flood;
        let _ = writeln!(
            s,
            "\n### Login flood\n\nLogins sent at {:.0}/s (twice the {:.0} logins/s measured at {} \
             connections) for {} s, from one address with the per-address budget off (a \
             distributed flood), while get-lead ran on {} connections.\n",
            f.flood_rate_per_sec,
            f.login_capacity_per_sec,
            f.connections,
            self.seconds_per_run,
            f.connections
        );
        s.push_str(
            "| what | req/s | p50 ms | p99 ms | max ms | count |\n|---|---:|---:|---:|---:|---:|\n",
        );
        if let Some(b) = &f.get_lead_baseline {
            let _ = writeln!(
                s,
                "| get lead, baseline | {:.0} | {:.2} | {:.2} | {:.2} | {} |",
                b.rps, b.p50_ms, b.p99_ms, b.max_ms, b.requests
            );
        }
        let d = &f.get_lead_during;
        let _ = writeln!(
            s,
            "| get lead, during the flood | {:.0} | {:.2} | {:.2} | {:.2} | {} |",
            d.rps, d.p50_ms, d.p99_ms, d.max_ms, d.requests
        );
        for (status, o) in &f.logins_by_status {
            let label = match status {
                0 => "login, transport error".to_string(),
                s => format!("login answered {s}"),
            };
            let _ = writeln!(
                s,
                "| {label} | {:.0} | {:.2} | {:.2} | {:.2} | {} |",
                o.rps, o.p50_ms, o.p99_ms, o.max_ms, o.requests
            );
        }
        let _ = writeln!(
            s,
            "\nThe flood opened {} connections: each login took a free one, or opened one when \
             all were busy. Peak RSS during the flood: {:.1} MiB.",
            f.connections_opened, f.peak_rss_mib
        );
        if f.not_sent > 0 {
            let _ = writeln!(
                s,
                "\n{} logins were not sent: {} were already waiting for an answer.",
                f.not_sent,
                crate::scenarios::FLOOD_IN_FLIGHT
            );
        }
        s
    }
}

pub fn write(report: &Report, dir: &Path, performance_md: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let md = report.markdown();
    std::fs::write(dir.join("report.md"), &md)?;
    let json = serde_json::to_string_pretty(report).map_err(std::io::Error::other)?;
    std::fs::write(dir.join("report.json"), json)?;
    let doc = format!(
        "{}\n## Latest figures\n\n{md}",
        include_str!("../NOTES.md").trim_end()
    );
    std::fs::write(performance_md, doc)?;
    println!("\n{md}");
    Ok(())
}
