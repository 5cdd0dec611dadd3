//! `make bench`: starts the release server on PostgreSQL, seeds it, drives keep-alive HTTP load
//! at fixed connection counts, measures the same service calls without HTTP (the ceiling), the
//! list latency as one organization grows, and a login flood; writes `target/bench/` and
//! `docs/PERFORMANCE.md`. Settings come from `CRM_BENCH_*` variables (see `Config`).

mod ceiling;
mod collab;
mod exports;
mod finance;
mod hr;
mod http1;
mod imports;
mod load;
mod platform;
mod projects;
mod receiver;
mod report;
mod scenarios;
mod seed;
mod server;
mod soak;
mod sql_ceiling;

use std::path::PathBuf;
use std::time::Duration;

/// The default bench database: the local server, without TLS. On loopback TLS protects
/// nothing, and its handshake (about 90 ms per new connection here) and per-query encryption
/// would be measured as the server's cost; a remote database's URL should ask for TLS.
const LOCAL_DB: &str = "postgres://postgres@127.0.0.1:5432/crm_bench?sslmode=disable";

/// Every knob of a run, from the environment.
pub struct Config {
    /// The bench database (dropped and created when not already seeded with this data set).
    pub db_url: String,
    pub secs: u64,
    pub warmup_secs: u64,
    pub orgs: usize,
    pub leads_per_org: i64,
    pub users_per_org: i64,
    pub clients_per_org: i64,
    pub deals_per_org: i64,
    /// Invoices seeded per organization (`CRM_BENCH_INVOICES`, 0: no finance scenarios).
    pub invoices_per_org: i64,
    /// Tasks seeded per organization (`CRM_BENCH_TASKS`, 0: no projects scenarios).
    pub tasks_per_org: i64,
    /// Time entries of the report's project in each organization (`CRM_BENCH_TIME_ENTRIES`).
    pub time_entries_per_org: i64,
    /// Employees of the first organization (`CRM_BENCH_EMPLOYEES`, 0: no HR scenarios).
    pub employees: i64,
    /// The messages and calendar data set and scenarios (`CRM_BENCH_COLLAB`, default 1).
    pub collab: bool,
    pub growth: Vec<i64>,
    pub connections: Vec<usize>,
    pub pool: u32,
    pub reseed: bool,
    /// `CRM_BENCH_QUICK=1`: the HTTP scenarios only (no in-process or SQL ceiling, growth or
    /// flood), one line per scenario appended to `target/bench/quick.jsonl` under
    /// `CRM_BENCH_LABEL`, and no report: for interleaved A/B runs of two binaries.
    pub quick: Option<String>,
    pub binary: PathBuf,
    pub root: PathBuf,
}

fn var<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn list<T: std::str::FromStr>(name: &str, default: &str) -> Vec<T> {
    std::env::var(name)
        .unwrap_or_else(|_| default.to_string())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect()
}

impl Config {
    fn from_env() -> Self {
        let root = server::workspace_root();
        Self {
            db_url: std::env::var("CRM_BENCH_DATABASE_URL").unwrap_or_else(|_| LOCAL_DB.into()),
            secs: var("CRM_BENCH_SECS", 10),
            warmup_secs: var("CRM_BENCH_WARMUP_SECS", 2),
            orgs: var("CRM_BENCH_ORGS", 10),
            leads_per_org: var("CRM_BENCH_LEADS", 100_000),
            users_per_org: var("CRM_BENCH_USERS", 1_000),
            clients_per_org: var("CRM_BENCH_CLIENTS", 10_000),
            deals_per_org: var("CRM_BENCH_DEALS", 10_000),
            invoices_per_org: var("CRM_BENCH_INVOICES", 100_000),
            tasks_per_org: var("CRM_BENCH_TASKS", 100_000),
            time_entries_per_org: var("CRM_BENCH_TIME_ENTRIES", 100_000),
            employees: var("CRM_BENCH_EMPLOYEES", 10_000),
            collab: var("CRM_BENCH_COLLAB", 1) == 1,
            growth: list("CRM_BENCH_GROWTH", "10000,100000,1000000"),
            connections: list("CRM_BENCH_CONNECTIONS", "16,64"),
            pool: var("CRM_BENCH_POOL", 10),
            reseed: std::env::var("CRM_BENCH_RESEED").is_ok_and(|v| v == "1"),
            quick: std::env::var("CRM_BENCH_QUICK")
                .is_ok_and(|v| v == "1")
                .then(|| std::env::var("CRM_BENCH_LABEL").unwrap_or_default()),
            binary: std::env::var("CRM_BENCH_BINARY")
                .map(PathBuf::from)
                .unwrap_or_else(|_| root.join("target/release/crm")),
            root,
        }
    }

    pub fn duration(&self) -> Duration {
        Duration::from_secs(self.secs)
    }
}

#[tokio::main]
async fn main() {
    let cfg = Config::from_env();
    match scenarios::run(&cfg).await {
        Ok(None) => {}
        Ok(Some(report)) => {
            let out = cfg.root.join("target/bench");
            match report::write(&report, &out, &cfg.root.join("docs/PERFORMANCE.md")) {
                Ok(()) => println!(
                    "\nbench: wrote {}/report.md, report.json and docs/PERFORMANCE.md",
                    out.display()
                ),
                Err(e) => {
                    eprintln!("bench: cannot write the report: {e}");
                    std::process::exit(1);
                }
            }
        }
        Err(e) => {
            eprintln!("bench: {e}");
            std::process::exit(1);
        }
    }
}
