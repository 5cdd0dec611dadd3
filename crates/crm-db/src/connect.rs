//! Connecting to the database chosen by the URL alone, with the pool settings, SQLite tuning and
//! start-up retries.

use crate::statements::{StatementLog, observe};
use crate::tx::SqlTxManager;
use sea_orm::{ConnectOptions, DatabaseBackend, DatabaseConnection, DbErr};
use std::time::Duration;

/// Pool and connection settings (filled from the `database` section of the configuration).
#[derive(Clone)]
pub struct DbSettings {
    pub url: String,
    pub max_connections: u32,
    pub min_connections: u32,
    /// Opening one connection.
    pub connect_timeout: Duration,
    /// Waiting for a pooled connection; kept short so an unreachable database answers 503 quickly.
    pub acquire_timeout: Duration,
    /// How long `serve` keeps retrying an unreachable database at start before giving up.
    pub startup_timeout: Duration,
    /// Records every statement sent through pools built from these settings (diagnosis and
    /// the round-trip tests); `None` in normal operation.
    pub statements: Option<StatementLog>,
}

impl DbSettings {
    /// These settings on one connection, for migrations: they run one statement after
    /// another anyway, and on SQLite they must not spread over a pool (a pooled connection
    /// can keep a stale schema: an index dropped on one still "exists" for the next
    /// statement on another, and `CREATE INDEX` of the same name fails).
    pub fn for_migrations(&self) -> DbSettings {
        DbSettings {
            max_connections: 1,
            min_connections: 0,
            ..self.clone()
        }
    }
}

impl std::fmt::Debug for DbSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbSettings")
            .field("url", &redact_url(&self.url))
            .field("max_connections", &self.max_connections)
            .field("min_connections", &self.min_connections)
            .field("connect_timeout", &self.connect_timeout)
            .field("acquire_timeout", &self.acquire_timeout)
            .field("startup_timeout", &self.startup_timeout)
            .field("statements", &self.statements.is_some())
            .finish()
    }
}

/// The URL with its password replaced, for logs and errors.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        Ok(u) => u.to_string(),
        Err(_) => "<unparseable database url>".into(),
    }
}

/// The connection pool and the backend it talks to.
#[derive(Clone, Debug)]
pub struct Database {
    pub conn: DatabaseConnection,
    statements: Option<StatementLog>,
}

impl Database {
    /// One attempt to connect.
    pub async fn connect(s: &DbSettings) -> Result<Self, DbErr> {
        if let Some(path) = sqlite_file(&s.url) {
            // The embedded default lives in `data/`: create the folder on first start.
            if let Some(parent) = std::path::Path::new(&path).parent()
                && !parent.as_os_str().is_empty()
            {
                std::fs::create_dir_all(parent).map_err(|e| {
                    DbErr::Custom(format!("cannot create {}: {e}", parent.display()))
                })?;
            }
        }
        probe_tcp(&s.url, s.connect_timeout).await?;
        let mut conn = sea_orm::Database::connect(options(s)).await?;
        conn.ping().await?;
        observe(&mut conn, &s.statements);
        Ok(Self {
            conn,
            statements: s.statements.clone(),
        })
    }

    /// Whether two URLs name the same kind of database (`postgres`/`postgresql`,
    /// `mysql`/`mariadb`, `sqlite`), as a replica and its primary must.
    pub fn same_kind(a: &str, b: &str) -> bool {
        fn kind(url: &str) -> Option<&'static str> {
            match url.split(':').next()?.to_ascii_lowercase().as_str() {
                "postgres" | "postgresql" => Some("postgres"),
                "mysql" | "mariadb" => Some("mysql"),
                "sqlite" => Some("sqlite"),
                _ => None,
            }
        }
        kind(a).is_some() && kind(a) == kind(b)
    }

    /// True when [`Database::pool_on_this_thread`] can give each server worker its own pool:
    /// PostgreSQL and MariaDB/MySQL (SQLite connections run on their own threads anyway).
    pub fn supports_thread_pools(url: &str) -> bool {
        !url.starts_with("sqlite:")
    }

    /// A pool of up to `s.max_connections` that opens its connections when first needed, from
    /// the async runtime of the calling thread, so their socket events are polled by that
    /// thread. One per server worker: a connection opened on another runtime is woken through
    /// that runtime's thread, two thread switches more per query (docs/PERFORMANCE.md).
    /// `None` on SQLite, outside a Tokio runtime, or if the driver wanted to wait while
    /// building a lazy pool; the caller then keeps its shared pool.
    pub fn pool_on_this_thread(s: &DbSettings) -> Option<Self> {
        use futures_util::FutureExt as _;
        if !Self::supports_thread_pools(&s.url) || tokio::runtime::Handle::try_current().is_err() {
            return None;
        }
        let mut opt = options(s);
        opt.connect_lazy(true);
        match sea_orm::Database::connect(opt).now_or_never()? {
            Ok(mut conn) => {
                observe(&mut conn, &s.statements);
                Some(Self {
                    conn,
                    statements: s.statements.clone(),
                })
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot build a worker's pool; using the shared one");
                None
            }
        }
    }

    /// Connects, retrying with backoff until `startup_timeout`, and logs one clear line per
    /// failure naming the host, the port and the likely cause.
    pub async fn connect_with_retry(s: &DbSettings) -> Result<Self, String> {
        let deadline = tokio::time::Instant::now() + s.startup_timeout;
        let mut delay = Duration::from_millis(250);
        loop {
            match Self::connect(s).await {
                Ok(db) => return Ok(db),
                Err(e) => {
                    let line = describe_connect_error(&s.url, &e);
                    if tokio::time::Instant::now() + delay > deadline {
                        return Err(line);
                    }
                    tracing::warn!("{line}; retrying in {} ms", delay.as_millis());
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(5));
                }
            }
        }
    }

    /// Applies the pending migrations on a connection of their own
    /// ([`DbSettings::for_migrations`]), waiting for the database as
    /// [`Self::connect_with_retry`] does; the connection is closed after.
    pub async fn migrate_up(s: &DbSettings) -> Result<(), String> {
        use migration::MigratorTrait;
        let db = Self::connect_with_retry(&s.for_migrations()).await?;
        let r = migration::Migrator::up(&db.conn, None)
            .await
            .map_err(|e| format!("migration failed: {e}"));
        db.conn.close().await.ok();
        r
    }

    /// The unit of work on this pool.
    pub fn tx_manager(&self) -> SqlTxManager {
        SqlTxManager::new(self.conn.clone()).with_statement_log(self.statements.clone())
    }

    /// The statement log these pools record into, when configured.
    pub fn statement_log(&self) -> Option<&StatementLog> {
        self.statements.as_ref()
    }

    pub fn backend(&self) -> DatabaseBackend {
        self.conn.get_database_backend()
    }

    /// True when the database answers within `timeout`.
    pub async fn ping(&self, timeout: Duration) -> bool {
        matches!(
            tokio::time::timeout(timeout, self.conn.ping()).await,
            Ok(Ok(()))
        )
    }
}

/// How long a pooled connection may have sat idle before it is pinged on checkout.
const PING_IF_IDLE_FOR: Duration = Duration::from_secs(1);

fn options(s: &DbSettings) -> ConnectOptions {
    let mut opt = ConnectOptions::new(s.url.clone());
    opt.max_connections(s.max_connections)
        .min_connections(s.min_connections)
        .connect_timeout(s.connect_timeout)
        .acquire_timeout(s.acquire_timeout)
        .idle_timeout(Duration::from_secs(600))
        // sqlx pings every connection it hands out by default: a full round trip before each
        // statement, not counted as one (a `Sync` on PostgreSQL, `COM_PING` on MariaDB), so a
        // get-lead took four round trips for its two statements. A connection that was busy
        // moments ago is alive; one idle for a second or more (after a quiet spell, when a
        // database restart or a proxy may have dropped it) is still checked before use.
        .test_before_acquire_if_idle_for(PING_IF_IDLE_FOR)
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|o| {
            // WAL lets readers run beside the writer; the busy timeout makes concurrent
            // writers wait instead of failing with "database is locked".
            o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
        })
        .map_sqlx_mysql_pool_opts(|pool| {
            pool.after_connect(|conn, _| {
                Box::pin(async move {
                    // InnoDB's default, REPEATABLE READ, takes gap locks on index searches: a
                    // transaction that updated a row and then inserts next to it deadlocks with
                    // a second one waiting for that row (two refreshes of one token did). READ
                    // COMMITTED takes none, and is what PostgreSQL runs at and the code expects:
                    // the waiting statement re-reads the committed row.
                    sea_orm::sqlx::Executor::execute(
                        conn,
                        "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED",
                    )
                    .await
                    .map(|_| ())
                })
            })
        });
    opt
}

/// Opens and closes a plain TCP connection to a network database first: the pool would only
/// report "timed out", while the socket says why (refused, unreachable), which is what the
/// one-line diagnosis needs.
async fn probe_tcp(url: &str, timeout: Duration) -> Result<(), DbErr> {
    let Ok(u) = url::Url::parse(url) else {
        return Ok(());
    };
    let default_port = match u.scheme() {
        s if s.starts_with("postgres") => 5432,
        "mysql" | "mariadb" => 3306,
        _ => return Ok(()),
    };
    let Some(host) = u.host_str().filter(|h| !h.is_empty()) else {
        return Ok(());
    };
    let addr = (
        host.trim_matches(['[', ']']).to_string(),
        u.port().unwrap_or(default_port),
    );
    match tokio::time::timeout(timeout, tokio::net::TcpStream::connect(addr)).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(DbErr::Conn(sea_orm::RuntimeErr::Internal(e.to_string()))),
        Err(_) => Err(DbErr::Conn(sea_orm::RuntimeErr::Internal(
            "connection timed out".into(),
        ))),
    }
}

fn sqlite_file(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    if path.is_empty() || path == ":memory:" {
        None
    } else {
        Some(path.to_string())
    }
}

/// One line saying where the connection went and the likely cause.
pub fn describe_connect_error(url: &str, e: &DbErr) -> String {
    let msg = e.to_string();
    let lower = msg.to_lowercase();
    let (kind, target) = match url::Url::parse(url) {
        Ok(u) if u.scheme().starts_with("postgres") => (
            "PostgreSQL",
            format!(
                "{}:{} (database {})",
                u.host_str().unwrap_or("localhost"),
                u.port().unwrap_or(5432),
                u.path().trim_start_matches('/')
            ),
        ),
        Ok(u) if u.scheme() == "mysql" || u.scheme() == "mariadb" => (
            "MySQL/MariaDB",
            format!(
                "{}:{} (database {})",
                u.host_str().unwrap_or("localhost"),
                u.port().unwrap_or(3306),
                u.path().trim_start_matches('/')
            ),
        ),
        _ => (
            "SQLite",
            sqlite_file(url).unwrap_or_else(|| redact_url(url)),
        ),
    };
    let cause = if lower.contains("connection refused") {
        "connection refused: is the database service running and listening on that host and port?"
    } else if lower.contains("password authentication failed")
        || lower.contains("access denied")
        || lower.contains("authentication")
    {
        "the server refused the credentials: check the user and password in the database URL"
    } else if lower.contains("does not exist") || lower.contains("unknown database") {
        "the database does not exist: create it (e.g. `createdb` or `CREATE DATABASE`) or fix its name"
    } else if lower.contains("timed out") || lower.contains("timeout") {
        "no answer in time: is the host reachable and the port open?"
    } else if lower.contains("unable to open database file") || lower.contains("cannot create") {
        "the SQLite file cannot be opened: check the folder exists and is writable"
    } else {
        "see the error above"
    };
    format!(
        "cannot connect to {kind} at {target}: {cause} [{}]",
        redact_url_in(&msg, url)
    )
}

fn redact_url_in(msg: &str, url: &str) -> String {
    match url::Url::parse(url)
        .ok()
        .and_then(|u| u.password().map(str::to_string))
    {
        Some(p) if !p.is_empty() => msg.replace(&p, "***"),
        _ => msg.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_logs() {
        let url = "postgres://crm:s3cret@db.example:6543/crm";
        assert!(!redact_url(url).contains("s3cret"));
        let s = DbSettings {
            url: url.into(),
            max_connections: 1,
            min_connections: 0,
            connect_timeout: Duration::from_secs(1),
            acquire_timeout: Duration::from_secs(1),
            startup_timeout: Duration::from_secs(1),
            statements: None,
        };
        assert!(!format!("{s:?}").contains("s3cret"));
        let line = describe_connect_error(
            url,
            &DbErr::Conn(sea_orm::RuntimeErr::Internal(
                "Connection refused (os error 111) s3cret".into(),
            )),
        );
        assert!(line.contains("db.example:6543"), "{line}");
        assert!(line.contains("service running"), "{line}");
        assert!(!line.contains("s3cret"), "{line}");
    }

    #[test]
    fn sqlite_paths() {
        assert_eq!(
            sqlite_file("sqlite://data/crm.db?mode=rwc").as_deref(),
            Some("data/crm.db")
        );
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("postgres://x"), None);
    }
}
