//! Migrated templates: a test's database is a copy of one migrated once per test process and
//! backend, because migrating from empty for every test dominated the suite's time (measured:
//! MariaDB 30–50 s per database, PostgreSQL 3 s, SQLite 0.4 s; a copy takes a fraction of a
//! second). The migrations themselves are still tested from empty (`migrations.rs`, and every
//! test that starts a server on [`TestDb::create`](crate::helpers::TestDb::create)).
//!
//! - PostgreSQL: `CREATE DATABASE … TEMPLATE`, a file copy inside the server.
//! - MariaDB (no templates): the template's `SHOW CREATE TABLE` statements replayed with
//!   foreign key checks off (one statement per table, indexes and keys inline) and its views',
//!   then the rows the migrations seeded copied with `INSERT … SELECT`.
//! - SQLite: a copy of the template's file.
//!
//! Each process makes its own templates (named `crm_tpl_<unix seconds>_<id>`), so test runs
//! side by side (worktrees, CI) never share one while it is being built; templates of runs
//! older than [`STALE_SECS`] are dropped when a new one is made.

use crate::helpers::{Backend, with_database};
use crm_db::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, Statement};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::sync::OnceCell;
use uuid::Uuid;

/// A template this much older than now belongs to a run that has ended.
const STALE_SECS: u64 = 3 * 3600;
const PREFIX: &str = "crm_tpl_";

static SQLITE: OnceCell<PathBuf> = OnceCell::const_new();
static POSTGRES: OnceCell<String> = OnceCell::const_new();
static MYSQL: OnceCell<MysqlTemplate> = OnceCell::const_new();

/// What a MariaDB database is rebuilt from.
struct MysqlTemplate {
    name: String,
    /// `CREATE TABLE` statements, one per table, then `CREATE VIEW` statements.
    tables: Vec<String>,
    /// The tables the migrations put rows in.
    filled: Vec<String>,
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

fn template_name() -> String {
    format!("{PREFIX}{}_{}", now_secs(), Uuid::now_v7().simple())
}

/// Whether `name` is a template made more than [`STALE_SECS`] ago.
fn is_stale(name: &str) -> bool {
    name.strip_prefix(PREFIX)
        .and_then(|rest| rest.split('_').next())
        .and_then(|secs| secs.parse::<u64>().ok())
        .is_some_and(|made| made + STALE_SECS < now_secs())
}

/// Applies every migration on `url` over one connection, as `crm migrate` does.
async fn migrate(url: &str) {
    let mut opts = ConnectOptions::new(url.to_string());
    opts.max_connections(1);
    let conn = Database::connect(opts)
        .await
        .expect("connect to the template");
    Migrator::up(&conn, None).await.expect("template migrated");
    conn.close().await.ok();
}

async fn names(conn: &DatabaseConnection, sql: &str) -> Vec<String> {
    conn.query_all_raw(Statement::from_string(conn.get_database_backend(), sql))
        .await
        .expect("names read")
        .iter()
        .map(|r| r.try_get_by_index::<String>(0).expect("a name"))
        .collect()
}

/// Drops the templates earlier runs left behind on a server.
async fn drop_stale(conn: &DatabaseConnection, backend: Backend) {
    let listed = if backend == Backend::Postgres {
        "SELECT datname FROM pg_database WHERE datname LIKE 'crm\\_tpl\\_%'"
    } else {
        "SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE 'crm\\_tpl\\_%'"
    };
    for name in names(conn, listed).await {
        if is_stale(&name) {
            let q = if backend == Backend::Postgres {
                format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")
            } else {
                format!("DROP DATABASE IF EXISTS `{name}`")
            };
            let _ = conn.execute_unprepared(&q).await;
        }
    }
}

/// Writes a migrated SQLite database at `target`.
pub async fn sqlite_into(target: &Path) {
    let template = SQLITE
        .get_or_init(|| async {
            let tmp = std::env::temp_dir();
            if let Ok(entries) = std::fs::read_dir(&tmp) {
                for e in entries.flatten() {
                    if is_stale(&e.file_name().to_string_lossy()) {
                        let _ = std::fs::remove_dir_all(e.path());
                    }
                }
            }
            let dir = tmp.join(template_name());
            std::fs::create_dir_all(&dir).expect("template folder");
            let file = dir.join("crm.db");
            migrate(&format!("sqlite://{}?mode=rwc", file.display())).await;
            file
        })
        .await;
    std::fs::copy(template, target).expect("template copied");
}

/// The statement that creates database `name` as a migrated copy on PostgreSQL.
pub async fn postgres_create(admin: &str, name: &str) -> String {
    let template = POSTGRES
        .get_or_init(|| async {
            let conn = Database::connect(admin)
                .await
                .expect("connect to the server");
            drop_stale(&conn, Backend::Postgres).await;
            let template = template_name();
            conn.execute_unprepared(&format!("CREATE DATABASE \"{template}\""))
                .await
                .expect("template created");
            conn.close().await.ok();
            migrate(&with_database(admin, &template)).await;
            template
        })
        .await;
    format!("CREATE DATABASE \"{name}\" TEMPLATE \"{template}\"")
}

/// Fills the empty MariaDB database at `url` with the migrated schema and seeded rows.
pub async fn mysql_fill(admin: &str, url: &str) {
    let template = MYSQL
        .get_or_init(|| async {
            let conn = Database::connect(admin)
                .await
                .expect("connect to the server");
            drop_stale(&conn, Backend::Mysql).await;
            let name = template_name();
            conn.execute_unprepared(&format!(
                "CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
            ))
            .await
            .expect("template created");
            conn.close().await.ok();
            let url = with_database(admin, &name);
            migrate(&url).await;
            let conn = Database::connect(url.as_str()).await.expect("template");
            let listed = names(
                &conn,
                "SELECT table_name FROM information_schema.tables \
                 WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' ORDER BY table_name",
            )
            .await;
            let (mut tables, mut filled) = (Vec::new(), Vec::new());
            for t in listed {
                let b = conn.get_database_backend();
                let create = conn
                    .query_one_raw(Statement::from_string(
                        b,
                        format!("SHOW CREATE TABLE `{t}`"),
                    ))
                    .await
                    .expect("table read")
                    .expect("a table");
                tables.push(create.try_get_by_index::<String>(1).expect("its statement"));
                let any = conn
                    .query_one_raw(Statement::from_string(
                        b,
                        format!("SELECT 1 FROM `{t}` LIMIT 1"),
                    ))
                    .await
                    .expect("rows read");
                if any.is_some() {
                    filled.push(t);
                }
            }
            // Views after the tables they read, their template-qualified names unqualified.
            let views = names(
                &conn,
                "SELECT table_name FROM information_schema.views \
                 WHERE table_schema = DATABASE() ORDER BY table_name",
            )
            .await;
            for v in views {
                let b = conn.get_database_backend();
                let create = conn
                    .query_one_raw(Statement::from_string(b, format!("SHOW CREATE VIEW `{v}`")))
                    .await
                    .expect("view read")
                    .expect("a view");
                let create = create.try_get_by_index::<String>(1).expect("its statement");
                tables.push(create.replace(&format!("`{name}`."), ""));
            }
            conn.close().await.ok();
            MysqlTemplate {
                name,
                tables,
                filled,
            }
        })
        .await;
    // One connection: the foreign key checks are off for this session only.
    let mut opts = ConnectOptions::new(url.to_string());
    opts.max_connections(1);
    let conn = Database::connect(opts).await.expect("connect to the copy");
    conn.execute_unprepared("SET FOREIGN_KEY_CHECKS = 0")
        .await
        .expect("checks off");
    for create in &template.tables {
        conn.execute_unprepared(create).await.expect("table copied");
    }
    for t in &template.filled {
        conn.execute_unprepared(&format!(
            "INSERT INTO `{t}` SELECT * FROM `{}`.`{t}`",
            template.name
        ))
        .await
        .expect("rows copied");
    }
    conn.close().await.ok();
}
