//! What every crm-db test file shares: a migrated database (a fresh SQLite file per test, or
//! the database `CRM_DB_TEST_URL` names, PostgreSQL or MariaDB, migrated once per test
//! binary), a new organization, list queries and paging through a list. Each test binary
//! uses a part of it.
#![allow(dead_code, unused_macros, unused_imports)]

use crm_db::{
    Database, DbSettings, Migrator, MigratorTrait, SqlOrganizationRepository, SqlTxManager,
};
use crm_domain::identity::{Organization, OrganizationRepository};
use crm_domain::kernel::clock;
use crm_domain::kernel::pagination::ListSpec;
use crm_domain::{Currency, ListQuery, TxManager};
use std::path::PathBuf;
use std::time::Duration;

/// A folder removed when dropped.
pub struct TempDir(pub PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A test database: dropping it removes its SQLite file.
pub struct TestDb {
    pub db: Database,
    pub dir: Option<TempDir>,
    pub url: String,
}

impl TestDb {
    /// A second handle on this test's database over one connection, for migrations
    /// ([`DbSettings::for_migrations`]).
    pub async fn for_migrations(&self) -> Database {
        Database::connect(&settings(self.url.clone()).for_migrations())
            .await
            .expect("the test database")
    }

    pub fn conn(&self) -> sea_orm::DatabaseConnection {
        self.db.conn.clone()
    }
}

pub fn settings(url: String) -> DbSettings {
    DbSettings {
        url,
        max_connections: 10,
        min_connections: 0,
        connect_timeout: Duration::from_secs(5),
        acquire_timeout: Duration::from_secs(30),
        startup_timeout: Duration::from_secs(5),
        statements: None,
    }
}

/// The URL of a new SQLite file in a folder of its own.
pub fn temp_sqlite() -> (String, TempDir) {
    let dir = std::env::temp_dir().join(format!("crm-db-test-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    let url = format!("sqlite://{}/x.db?mode=rwc", dir.display());
    (url, TempDir(dir))
}

static MIGRATED: tokio::sync::Mutex<bool> = tokio::sync::Mutex::const_new(false);

/// A migrated database for one test.
pub async fn database() -> TestDb {
    let (url, dir) = match std::env::var("CRM_DB_TEST_URL") {
        Ok(url) if !url.is_empty() => (url, None),
        _ => {
            let (url, dir) = temp_sqlite();
            (url, Some(dir))
        }
    };
    // The tests of a binary share an external database: migrate it once, not concurrently.
    let mut migrated = MIGRATED.lock().await;
    if dir.is_some() || !*migrated {
        Database::migrate_up(&settings(url.clone()))
            .await
            .expect("migrations");
        *migrated = true;
    }
    drop(migrated);
    let db = Database::connect(&settings(url.clone()))
        .await
        .expect("the test database");
    TestDb { db, dir, url }
}

/// `prefix` made unique, so tests can share one database.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::now_v7().simple())
}

/// A new organization (in USD) stored in `db`.
pub async fn organization(db: &TestDb) -> Organization {
    let o = Organization::new(
        unique("Acme"),
        Currency::parse("USD").expect("USD"),
        clock::now(),
    );
    let mut tx = SqlTxManager::new(db.conn()).begin().await.expect("begin");
    SqlOrganizationRepository::new(db.conn())
        .create(&mut tx, &o)
        .await
        .expect("an organization");
    tx.commit().await.expect("commit");
    o
}

pub fn query_for(spec: &ListSpec, params: &[(&str, &str)]) -> ListQuery {
    let params: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    ListQuery::parse(spec, &params).expect("a valid list query")
}

/// Runs `f` in a transaction of `$env.tx` and commits it when `f` succeeds.
macro_rules! in_tx {
    ($env:expr, |$tx:ident| $body:expr) => {{
        let mut $tx = $env.tx.begin().await.unwrap();
        let r = $body;
        if r.is_ok() {
            $tx.commit().await.unwrap();
        }
        r
    }};
}
pub(crate) use in_tx;

/// Every row of a list, page by page (`limit=1` and the `$extra` parameters), through the
/// cursors.
macro_rules! all_pages {
    ($spec:expr, $extra:expr, |$q:ident| $fetch:expr) => {{
        let mut rows = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut params: Vec<(&str, &str)> = vec![("limit", "1")];
            params.extend_from_slice($extra);
            if let Some(c) = &cursor {
                params.push(("cursor", c.as_str()));
            }
            let $q = $crate::support::query_for(&$spec, &params);
            let page = $fetch.await.unwrap();
            rows.extend(page.data);
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        rows
    }};
}
pub(crate) use all_pages;
