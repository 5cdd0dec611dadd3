//! `spawn_app`: a fresh database and a running server per test, plus a typed client.

// Shared by every scenario module; not each scenario uses every helper.
#![allow(dead_code)]

use crm_api::settings::{Settings, Sources};
use sea_orm::{ConnectionTrait, Database};
use std::net::TcpListener;
use std::path::PathBuf;
use uuid::Uuid;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
    Mysql,
}

impl Backend {
    fn admin_url(self) -> Option<String> {
        let var = match self {
            Backend::Sqlite => return None,
            Backend::Postgres => "CRM_TEST_POSTGRES_URL",
            Backend::Mysql => "CRM_TEST_MYSQL_URL",
        };
        match std::env::var(var) {
            Ok(v) if !v.is_empty() => Some(v),
            _ => {
                // In CI every backend must run: a missing URL is a failure, never a skip.
                if std::env::var("CRM_TEST_REQUIRE_ALL_BACKENDS").as_deref() == Ok("1") {
                    panic!("{var} is not set but CRM_TEST_REQUIRE_ALL_BACKENDS=1");
                }
                None
            }
        }
    }

    /// Whether this backend's tests run here; SQLite always does.
    pub fn enabled(self) -> bool {
        self == Backend::Sqlite || self.admin_url().is_some()
    }
}

/// A fresh database of a test; dropped by [`TestDb::drop_db`].
pub struct TestDb {
    pub backend: Backend,
    pub url: String,
    admin_url: Option<String>,
    name: String,
    dir: PathBuf,
}

impl TestDb {
    /// A fresh, empty database (the server's start migrates it).
    pub async fn create(backend: Backend) -> TestDb {
        Self::make(backend, false).await
    }

    /// A fresh database with every migration applied, copied from the process's template
    /// (`db_templates`).
    pub async fn migrated(backend: Backend) -> TestDb {
        Self::make(backend, true).await
    }

    async fn make(backend: Backend, migrated: bool) -> TestDb {
        let name = format!("crm_test_{}", Uuid::now_v7().simple());
        let dir = std::env::temp_dir().join(&name);
        std::fs::create_dir_all(&dir).unwrap();
        let admin_url = backend.admin_url();
        let url = match backend {
            Backend::Sqlite => {
                let file = dir.join("crm.db");
                if migrated {
                    crate::db_templates::sqlite_into(&file).await;
                }
                format!("sqlite://{}?mode=rwc", file.display())
            }
            Backend::Postgres | Backend::Mysql => {
                let admin = admin_url.clone().unwrap();
                let q = if backend == Backend::Mysql {
                    format!(
                        "CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
                    )
                } else if migrated {
                    crate::db_templates::postgres_create(&admin, &name).await
                } else {
                    format!("CREATE DATABASE \"{name}\"")
                };
                let conn = Database::connect(&admin)
                    .await
                    .expect("connect to the test server");
                conn.execute_unprepared(&q).await.unwrap();
                conn.close().await.ok();
                let url = with_database(&admin, &name);
                if backend == Backend::Mysql && migrated {
                    crate::db_templates::mysql_fill(&admin, &url).await;
                }
                url
            }
        };
        TestDb {
            backend,
            url,
            admin_url,
            name,
            dir,
        }
    }

    pub async fn drop_db(self) {
        if let Some(admin) = &self.admin_url
            && let Ok(conn) = Database::connect(admin).await
        {
            let q = if self.backend == Backend::Postgres {
                format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name)
            } else {
                format!("DROP DATABASE IF EXISTS `{}`", self.name)
            };
            let _ = conn.execute_unprepared(&q).await;
            conn.close().await.ok();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }

    /// The same database for a second server instance, with a folder of its own (mail
    /// files); dropping it leaves the database to its first holder.
    pub fn shared(&self) -> TestDb {
        let name = format!("crm_test_{}", Uuid::now_v7().simple());
        let dir = std::env::temp_dir().join(&name);
        std::fs::create_dir_all(&dir).unwrap();
        TestDb {
            backend: self.backend,
            url: self.url.clone(),
            admin_url: None,
            name,
            dir,
        }
    }

    /// A folder private to this test (mail files, …).
    pub fn dir(&self) -> &PathBuf {
        &self.dir
    }
}

/// `admin` with its database path replaced by `name`.
pub fn with_database(admin: &str, name: &str) -> String {
    let mut u = url::Url::parse(admin).unwrap();
    u.set_path(&format!("/{name}"));
    u.to_string()
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub db: TestDb,
    pub settings: Settings,
    server: actix_web::dev::ServerHandle,
    /// The outbox worker and housekeeping, stopped with the server.
    background: Vec<tokio::task::JoinHandle<()>>,
    /// Every statement the server sent, with `CRM__DATABASE__COUNT_STATEMENTS=true`.
    pub statements: Option<crm_db::StatementLog>,
    /// The instance's live notification streams.
    pub streams: std::sync::Arc<crm_api::notification_streams::Streams>,
}

/// Settings for a test server: test environment, the given database, mail to files, plus `extra`.
pub fn test_settings(db_url: &str, dir: &std::path::Path, extra: &[(&str, &str)]) -> Settings {
    Settings::load_from(Sources {
        env_name: Some("test".into()),
        config_dir: Some(PathBuf::from("/nonexistent-config-dir")),
        vars: Some(test_vars(db_url, dir, extra)),
    })
    .expect("test settings")
}

/// The `CRM__…` variables of [`test_settings`], for a `crm` process started by a test.
pub fn test_vars(
    db_url: &str,
    dir: &std::path::Path,
    extra: &[(&str, &str)],
) -> Vec<(String, String)> {
    let mut vars: Vec<(String, String)> = vec![
        ("CRM__DATABASE__URL".into(), db_url.into()),
        ("CRM__DATABASE__MAX_CONNECTIONS".into(), "5".into()),
        ("CRM__DATABASE__ACQUIRE_TIMEOUT_SECS".into(), "2".into()),
        ("CRM__DATABASE__STARTUP_TIMEOUT_SECS".into(), "5".into()),
        ("CRM__SERVER__WORKERS".into(), "2".into()),
        ("CRM__MAIL__TRANSPORT".into(), "file".into()),
        (
            "CRM__MAIL__FILE__DIR".into(),
            dir.join("mail").display().to_string(),
        ),
        ("CRM__MAIL__OUTBOX_POLL_SECS".into(), "1".into()),
        (
            "CRM__FILES__DIR".into(),
            dir.join("files").display().to_string(),
        ),
        (
            "CRM__AUTH__JWT_SECRET".into(),
            "test-secret-long-enough-for-hs256-0123456789".into(),
        ),
    ];
    for (k, v) in extra {
        vars.retain(|(n, _)| n != k);
        vars.push((k.to_string(), v.to_string()));
    }
    vars
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, &[]).await
}

pub async fn spawn_app_with(backend: Backend, extra: &[(&str, &str)]) -> TestApp {
    let db = TestDb::migrated(backend).await;
    let settings = test_settings(&db.url, db.dir(), extra);
    start_on(db, settings).await
}

/// Starts a server on `db` with `settings` on a random port.
pub async fn start_on(db: TestDb, settings: Settings) -> TestApp {
    crm_api::telemetry::init(&settings);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let running = crm_api::app::start(settings.clone(), Some(listener))
        .await
        .expect("server starts");
    let port = running.port;
    let server = running.server.handle();
    let background = running.background;
    let statements = running.statements;
    let streams = running.streams;
    tokio::spawn(running.server);
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        // The server closes a keep-alive connection idle for 5 s (actix's default); a client
        // that reuses one at that moment gets `IncompleteMessage`. Dropping idle connections
        // after 2 s keeps the client from racing the server's close (seen when a test waits
        // on a job between requests on a loaded machine).
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .pool_idle_timeout(std::time::Duration::from_secs(2))
            .build()
            .unwrap(),
        db,
        settings,
        server,
        background,
        statements,
        streams,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    /// What `crm serve` does on SIGTERM: end the notification streams, then stop gracefully
    /// (open connections may finish). How long the stop took.
    pub async fn stop_gracefully(self) -> std::time::Duration {
        let t = std::time::Instant::now();
        self.streams.close();
        self.server.stop(true).await;
        let took = t.elapsed();
        for task in &self.background {
            task.abort();
        }
        self.db.drop_db().await;
        took
    }

    pub async fn stop(self) {
        self.server.stop(false).await;
        for task in &self.background {
            task.abort();
        }
        self.db.drop_db().await;
    }
}

/// Every item of the list at `path` (which carries its own `?` and `limit`), page by page
/// through `next_cursor`; every page must answer `200`.
pub async fn walk(app: &TestApp, token: &str, path: &str) -> Vec<serde_json::Value> {
    let mut items = Vec::new();
    let mut url = path.to_string();
    for _ in 0..1000 {
        let res = app.get_as(token, &url).await;
        assert_eq!(res.status().as_u16(), 200, "GET {url}");
        let page: serde_json::Value = res.json().await.unwrap();
        items.extend(page["data"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => {
                let c: String = url::form_urlencoded::byte_serialize(c.as_bytes()).collect();
                url = format!("{path}&cursor={c}");
            }
            None => return items,
        }
    }
    panic!("{path}: the walk does not end after 1,000 pages");
}

/// Asserts a problem+json response with `status`, returning its body.
pub async fn assert_problem(res: reqwest::Response, status: u16) -> serde_json::Value {
    assert_eq!(res.status().as_u16(), status, "unexpected status");
    assert!(
        res.headers().contains_key("x-request-id"),
        "every response carries X-Request-Id"
    );
    let ct = res
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        ct.starts_with("application/problem+json"),
        "content-type {ct}"
    );
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["status"], status);
    assert!(
        body["type"].is_string() && body["title"].is_string() && body["detail"].is_string(),
        "{body}"
    );
    assert!(body["errors"].is_array(), "{body}");
    body
}

/// Declares one test per backend: `backend_tests!(name, |app_backend| async { … })`.
#[macro_export]
macro_rules! backend_tests {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                ($body)($crate::helpers::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if $crate::helpers::Backend::Postgres.enabled() {
                    ($body)($crate::helpers::Backend::Postgres).await
                }
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn mysql() {
                if $crate::helpers::Backend::Mysql.enabled() {
                    ($body)($crate::helpers::Backend::Mysql).await
                }
            }
        }
    };
}

/// A signed-in user of a test.
#[derive(Clone, Debug)]
pub struct Session {
    pub user_id: String,
    pub organization_id: String,
    pub email: String,
    pub password: String,
    pub access: String,
    pub refresh: String,
}

impl TestApp {
    pub fn mail_dir(&self) -> PathBuf {
        self.db.dir().join("mail")
    }

    pub async fn post_json(&self, path: &str, body: &serde_json::Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn get_as(&self, token: &str, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    pub async fn send_as(
        &self,
        method: reqwest::Method,
        token: &str,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> reqwest::Response {
        let mut r = self
            .client
            .request(method, self.url(path))
            .bearer_auth(token);
        if let Some(b) = body {
            r = r.json(b);
        }
        r.send().await.unwrap()
    }

    /// Registers a new organization and its admin, confirms the mailed code, and signs in.
    pub async fn register_admin(&self, org: &str) -> Session {
        let email = format!(
            "admin-{}@{}.example",
            Uuid::now_v7().simple(),
            org.to_lowercase().replace(' ', "-")
        );
        let password = "correct horse battery".to_string();
        let res = self
            .post_json(
                "/api/v1/auth/register",
                &serde_json::json!({"name": "Ada Admin", "email": email, "password": password, "organization_name": org}),
            )
            .await;
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
        let code = crate::mailbox::wait_for_code(&self.mail_dir(), &email, 0).await;
        let res = self
            .post_json(
                "/api/v1/auth/verify-email",
                &serde_json::json!({"email": email, "code": code}),
            )
            .await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        let t: serde_json::Value = res.json().await.unwrap();
        Session {
            user_id: t["user"]["id"].as_str().unwrap().to_string(),
            organization_id: t["user"]["organization_id"].as_str().unwrap().to_string(),
            email,
            password,
            access: t["access_token"].as_str().unwrap().to_string(),
            refresh: t["refresh_token"].as_str().unwrap().to_string(),
        }
    }

    /// As `admin`, creates an active user with these roles (by name) and signs them in.
    pub async fn user_with_roles(&self, admin: &Session, roles: &[&str]) -> Session {
        let mut ids = Vec::new();
        if !roles.is_empty() {
            let res = self.get_as(&admin.access, "/api/v1/roles?limit=200").await;
            let list: serde_json::Value = res.json().await.unwrap();
            for name in roles {
                let r = list["data"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|r| r["name"] == *name)
                    .unwrap_or_else(|| panic!("no role {name}"));
                ids.push(r["id"].clone());
            }
        }
        let email = format!("user-{}@example.com", Uuid::now_v7().simple());
        let password = "another good password".to_string();
        let res = self
            .send_as(
                reqwest::Method::POST,
                &admin.access,
                "/api/v1/users",
                Some(&serde_json::json!({"name": "Uma User", "email": email, "password": password, "role_ids": ids})),
            )
            .await;
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
        self.login(&email, &password).await
    }

    pub async fn login(&self, email: &str, password: &str) -> Session {
        let res = self
            .post_json(
                "/api/v1/auth/login",
                &serde_json::json!({"email": email, "password": password}),
            )
            .await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        let t: serde_json::Value = res.json().await.unwrap();
        Session {
            user_id: t["user"]["id"].as_str().unwrap().to_string(),
            organization_id: t["user"]["organization_id"].as_str().unwrap().to_string(),
            email: email.to_string(),
            password: password.to_string(),
            access: t["access_token"].as_str().unwrap().to_string(),
            refresh: t["refresh_token"].as_str().unwrap().to_string(),
        }
    }
}
