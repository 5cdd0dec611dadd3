//! The server under test: the release `crm` binary started on a free port, its readiness, and
//! its resident memory sampled while a scenario runs.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::process::{Child, Command};

pub struct Server {
    child: Child,
    pub base: String,
    pid: u32,
    /// The peak of the current window. The sampler reads /proc while holding the lock, so a
    /// reading taken before a reset cannot land in the next scenario's window.
    peak_kib: Arc<Mutex<u64>>,
    sampler: tokio::task::JoinHandle<()>,
}

/// The environment both the server and the in-process ceiling run with.
pub fn server_env(db_url: &str, port: u16, pool: u32, secret: &str) -> Vec<(String, String)> {
    [
        ("CRM__SERVER__HOST", "127.0.0.1".to_string()),
        ("CRM__SERVER__PORT", port.to_string()),
        ("CRM__DATABASE__URL", db_url.to_string()),
        ("CRM__DATABASE__MAX_CONNECTIONS", pool.to_string()),
        ("CRM__AUTH__JWT_SECRET", secret.to_string()),
        // The bench signs in from one address far more than a person would; the per-address
        // budget is measured apart (the flood answers are hashing admission, see the report).
        ("CRM__AUTH__RATE_LIMIT_PER_MINUTE", "0".to_string()),
        ("CRM__MAIL__TRANSPORT", "log".to_string()),
        // The platform run: files up to 40 MiB in a scratch folder, webhooks to a receiver
        // on loopback.
        ("CRM__FILES__MAX_BYTES", (64u64 << 20).to_string()),
        ("CRM__FILES__DIR", files_dir().display().to_string()),
        ("CRM__WEBHOOKS__ALLOW_PRIVATE_TARGETS", "true".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// Where the bench server keeps uploaded files (emptied when the server stops).
pub fn files_dir() -> PathBuf {
    std::env::temp_dir().join("crm-bench-files")
}

/// CPU seconds (user and system) of process `pid`, from `/proc/<pid>/stat`.
fn cpu_secs(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The fields after the command name, which is in parentheses and may hold spaces.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

/// CPU seconds used so far by every process named `postgres` on this machine (the database
/// under the bench, when it is local).
pub fn postgres_cpu_secs() -> f64 {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return 0.0;
    };
    dir.filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|c| c.trim() == "postgres")
        })
        .filter_map(cpu_secs)
        .sum()
}

fn lock(m: &Mutex<u64>) -> MutexGuard<'_, u64> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

pub fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// The resident set of process `pid` now, in MiB (0 when it is gone).
pub fn rss_of(pid: u32) -> f64 {
    rss_kib(pid, "VmRSS:").unwrap_or(0) as f64 / 1024.0
}

fn rss_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

impl Server {
    pub async fn start(
        binary: &Path,
        config_dir: &Path,
        env: &[(String, String)],
    ) -> Result<Self, String> {
        let port = env
            .iter()
            .find(|(k, _)| k == "CRM__SERVER__PORT")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        let child = Command::new(binary)
            .arg("serve")
            .env("CRM_ENV", "production")
            .env("CRM_CONFIG_DIR", config_dir)
            .env("RUST_LOG", "warn")
            .envs(env.iter().cloned())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        let pid = child.id().ok_or("the server exited at once")?;
        let peak_kib = Arc::new(Mutex::new(0));
        let peak = peak_kib.clone();
        let sampler = tokio::spawn(async move {
            loop {
                {
                    let mut p = lock(&peak);
                    if let Some(kib) = rss_kib(pid, "VmRSS:") {
                        *p = (*p).max(kib);
                    }
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        });
        let server = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            pid,
            peak_kib,
            sampler,
        };
        server.wait_ready().await?;
        Ok(server)
    }

    async fn wait_ready(&self) -> Result<(), String> {
        let probe = crate::http1::Pool::new(self.base.trim_start_matches("http://"), 1);
        for _ in 0..600 {
            if let Ok(r) = probe
                .send(0, "GET", "/health/ready", None, None, None)
                .await
                && r.status == 200
            {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err("the server did not become ready within 60 s".into())
    }

    /// Starts a new peak-RSS window.
    pub fn reset_peak(&self) {
        let mut p = lock(&self.peak_kib);
        *p = rss_kib(self.pid, "VmRSS:").unwrap_or(0);
    }

    /// CPU seconds (user and system) the server has used so far.
    pub fn cpu_secs(&self) -> f64 {
        cpu_secs(self.pid).unwrap_or(0.0)
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// The resident set now, in MiB.
    pub fn rss_mib(&self) -> f64 {
        rss_of(self.pid)
    }

    /// The highest resident set seen since the last reset, in MiB.
    pub fn peak_mib(&self) -> f64 {
        *lock(&self.peak_kib) as f64 / 1024.0
    }

    /// The kernel's high-water mark of the process's resident set, in MiB.
    pub fn hwm_mib(&self) -> f64 {
        rss_kib(self.pid, "VmHWM:").unwrap_or(0) as f64 / 1024.0
    }

    pub async fn stop(mut self) {
        self.sampler.abort();
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
        let _ = std::fs::remove_dir_all(files_dir());
    }
}

/// Runs `crm admin create` against the bench database.
pub async fn create_admin(
    binary: &Path,
    config_dir: &Path,
    env: &[(String, String)],
    email: &str,
    password: &str,
    organization: &str,
) -> Result<(), String> {
    let out = Command::new(binary)
        .args(["admin", "create", "--email", email, "--password", password])
        .args(["--name", "Bench Admin", "--organization", organization])
        .env("CRM_ENV", "production")
        .env("CRM_CONFIG_DIR", config_dir)
        .env("RUST_LOG", "warn")
        .envs(env.iter().cloned())
        .output()
        .await
        .map_err(|e| e.to_string())?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    // An earlier run made this admin: that is the state wanted.
    if out.status.success() || stderr.contains("already exists") {
        Ok(())
    } else {
        Err(format!("crm admin create failed: {stderr}"))
    }
}

/// The workspace root (the bench runs from it through `make bench`).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}
