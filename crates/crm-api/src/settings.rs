//! Layered settings: compiled-in defaults → `config/default.toml` → `config/$CRM_ENV.toml` →
//! legacy `.env` names of the original Node.js server → `CRM__SECTION__KEY` variables.

use config::{Config, Environment, File, FileFormat};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::path::PathBuf;

/// The defaults, compiled in so the binary runs with no config folder.
const DEFAULTS: &str = r#"
[server]
host = "127.0.0.1"
port = 5100
max_body_bytes = 1048576
cors_origins = []
workers = 0
shutdown_timeout_secs = 30

[database]
url = "sqlite://data/crm.db?mode=rwc"
read_url = ""
auto_migrate = true
max_connections = 10
min_connections = 0
connect_timeout_secs = 5
acquire_timeout_secs = 3
startup_timeout_secs = 30
count_statements = false

[auth]
jwt_secret = ""
issuer = "crm"
audience = "crm-api"
access_ttl_secs = 900
refresh_ttl_days = 30
code_ttl_minutes = 10
open_registration = true
password_hash = "argon2"
rate_limit_per_minute = 30
resend_cooldown_secs = 60
resend_hourly_cap = 5

[jobs]
poll_secs = 60

[imports]
batch_rows = 500
lease_secs = 60

[notifications]
keepalive_secs = 15
poll_millis = 1000
max_streams_per_user = 5

[files]
storage = "local"
dir = "data/files"
max_bytes = 26214400

[files.s3]
bucket = ""
endpoint = ""
region = "us-east-1"
access_key_id = ""
secret_access_key = ""
path_style = false

[webhooks]
retry_schedule_secs = "5,300,1800,7200,18000,36000,36000"
allow_private_targets = false
poll_millis = 1000
lease_secs = 60

[mail]
transport = "file"
from = "CRM <no-reply@localhost>"
outbox_poll_secs = 2
lease_secs = 120

[mail.smtp]
host = "localhost"
port = 587
username = ""
password = ""
tls = "starttls"
timeout_secs = 10

[mail.file]
dir = "mail-outbox"

[bootstrap]
admin_email = ""
admin_password = ""
admin_name = "Administrator"
organization = "Default"

[log]
format = "auto"
"#;

/// The longest a webhook attempt may take (the sender's total timeout).
pub const WEBHOOK_ATTEMPT_SECS: u64 = 10;

/// The JWT secret must be at least this long outside development.
pub const MIN_SECRET_LEN: usize = 32;
/// Used only in development and test, when no secret is configured.
const DEV_SECRET: &str = "development-only-secret-do-not-use-in-production!";

#[derive(Debug, Deserialize, Clone)]
pub struct Settings {
    /// `development` (default), `test` or `production`, from `CRM_ENV`.
    #[serde(default)]
    pub env: String,
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub auth: AuthSettings,
    pub mail: MailSettings,
    pub jobs: JobSettings,
    pub imports: ImportSettings,
    pub notifications: NotificationSettings,
    pub files: FileStorageSettings,
    pub webhooks: WebhookSettings,
    pub bootstrap: BootstrapSettings,
    pub log: LogSettings,
}

#[derive(Debug, Deserialize, Clone)]
pub struct ServerSettings {
    pub host: String,
    pub port: u16,
    pub max_body_bytes: usize,
    pub cors_origins: Vec<String>,
    /// 0: one per core.
    pub workers: usize,
    pub shutdown_timeout_secs: u64,
}

#[derive(Deserialize, Clone)]
pub struct DatabaseSettings {
    pub url: String,
    /// A read replica of `url` (`CRM__DATABASE__READ_URL`) that lists are read from; empty:
    /// none, every read goes to `url`.
    pub read_url: String,
    pub auto_migrate: bool,
    pub max_connections: u32,
    pub min_connections: u32,
    pub connect_timeout_secs: u64,
    pub acquire_timeout_secs: u64,
    pub startup_timeout_secs: u64,
    /// Records every statement the server sends (diagnosis; the round-trip tests read it).
    pub count_statements: bool,
}

impl std::fmt::Debug for DatabaseSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseSettings")
            .field("url", &crm_db::redact_url(&self.url))
            .field("read_url", &crm_db::redact_url(&self.read_url))
            .field("auto_migrate", &self.auto_migrate)
            .field("max_connections", &self.max_connections)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Deserialize, Clone)]
pub struct AuthSettings {
    pub jwt_secret: SecretString,
    pub issuer: String,
    pub audience: String,
    pub access_ttl_secs: u64,
    pub refresh_ttl_days: u32,
    pub code_ttl_minutes: u32,
    pub open_registration: bool,
    /// `argon2` (default) or `bcrypt` (cost 10, for a database shared with the Node.js server).
    pub password_hash: String,
    /// Requests to `POST /auth/*` per minute per client address and per account; 0 = off.
    pub rate_limit_per_minute: u32,
    /// One mail with a code per address and purpose within this many seconds (contract: 60).
    pub resend_cooldown_secs: u64,
    /// Code requests per address within any hour.
    pub resend_hourly_cap: u32,
}

#[derive(Debug, Deserialize, Clone)]
pub struct MailSettings {
    /// `smtp`, `file` or `log`.
    pub transport: String,
    pub from: String,
    pub outbox_poll_secs: u64,
    /// How long an instance's claim on outbox messages holds (`CRM__MAIL__LEASE_SECS`): a
    /// crashed instance's messages go out from another after it. Over SMTP more than one send
    /// may take (`CRM__MAIL__SMTP__TIMEOUT_SECS`); a pass claims what fits in it.
    pub lease_secs: u64,
    pub smtp: SmtpSettings,
    pub file: MailFileSettings,
}

#[derive(Debug, Deserialize, Clone)]
pub struct ImportSettings {
    /// Rows written per transaction (`CRM__IMPORTS__BATCH_ROWS`).
    pub batch_rows: usize,
    /// How long an instance holds a running import between two batches before another may
    /// take it over (`CRM__IMPORTS__LEASE_SECS`).
    pub lease_secs: u64,
}

#[derive(Debug, Deserialize, Clone)]
pub struct JobSettings {
    /// How often every instance looks for due scheduled work (`CRM__JOBS__POLL_SECS`).
    pub poll_secs: u64,
}

#[derive(Debug, Deserialize, Clone)]
pub struct NotificationSettings {
    /// Seconds between the comment lines that keep an idle stream open
    /// (`CRM__NOTIFICATIONS__KEEPALIVE_SECS`, at most 20).
    pub keepalive_secs: u64,
    /// How often, in milliseconds, an instance on SQLite or MariaDB reads new notifications
    /// for its streams (`CRM__NOTIFICATIONS__POLL_MILLIS`); PostgreSQL pushes them instead.
    pub poll_millis: u64,
    /// Open streams per user; one more is `429` (`CRM__NOTIFICATIONS__MAX_STREAMS_PER_USER`).
    pub max_streams_per_user: usize,
}

#[derive(Debug, Deserialize, Clone)]
pub struct FileStorageSettings {
    /// `local` (`CRM__FILES__DIR`) or `s3` (`CRM__FILES__S3__*`).
    pub storage: String,
    pub dir: String,
    /// Largest upload in bytes (`CRM__FILES__MAX_BYTES`, 25 MiB).
    pub max_bytes: u64,
    pub s3: S3Settings,
}

#[derive(Debug, Deserialize, Clone)]
pub struct S3Settings {
    pub bucket: String,
    /// Empty for AWS; the service's URL for any other S3-compatible one.
    pub endpoint: String,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: SecretString,
    /// Path-style addressing (`host/bucket/key`), which most self-hosted services need.
    pub path_style: bool,
}

#[derive(Debug, Deserialize, Clone)]
pub struct WebhookSettings {
    /// Seconds to wait after each failed attempt, comma-separated (`CRM__WEBHOOKS__RETRY_SCHEDULE_SECS`);
    /// after the last a delivery is `failed`.
    pub retry_schedule_secs: String,
    /// Lets webhooks reach loopback, private and link-local addresses (tests, closed networks).
    pub allow_private_targets: bool,
    /// How often every instance looks for events to relay and deliveries that are due.
    pub poll_millis: u64,
    /// How long an instance's claim on deliveries holds (`CRM__WEBHOOKS__LEASE_SECS`): a
    /// crashed instance's deliveries go out from another after it. More than one attempt's
    /// 10 s timeout, so a live claimer is never overtaken.
    pub lease_secs: u64,
}

impl WebhookSettings {
    pub fn schedule(&self) -> Result<crm_domain::webhooks::RetrySchedule, String> {
        crm_domain::webhooks::RetrySchedule::parse(&self.retry_schedule_secs)
    }
}

#[derive(Debug, Deserialize, Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub username: String,
    pub password: SecretString,
    /// `none`, `starttls` or `tls`.
    pub tls: String,
    pub timeout_secs: u64,
}

#[derive(Debug, Deserialize, Clone)]
pub struct MailFileSettings {
    pub dir: PathBuf,
}

#[derive(Debug, Deserialize, Clone)]
pub struct BootstrapSettings {
    pub admin_email: String,
    pub admin_password: SecretString,
    pub admin_name: String,
    pub organization: String,
}

#[derive(Debug, Deserialize, Clone)]
pub struct LogSettings {
    /// `auto` (pretty in development, JSON otherwise), `pretty` or `json`.
    pub format: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("configuration error: {0}")]
    Load(#[from] config::ConfigError),
    #[error("{0}")]
    Invalid(String),
}

/// Where settings come from; tests pass their own values instead of the process environment.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    pub env_name: Option<String>,
    pub config_dir: Option<PathBuf>,
    /// `CRM__…` pairs; `None` reads the process environment.
    pub vars: Option<Vec<(String, String)>>,
}

impl Settings {
    /// Loads settings from the process environment (after reading `.env`, if present).
    pub fn load() -> Result<Self, SettingsError> {
        // A `.env` next to the binary keeps working as with the Node.js server; real
        // environment variables win over it.
        let _ = dotenvy::dotenv();
        Self::load_from(Sources::default())
    }

    pub fn load_from(src: Sources) -> Result<Self, SettingsError> {
        let vars: Vec<(String, String)> = src
            .vars
            .clone()
            .unwrap_or_else(|| std::env::vars().collect());
        let get = |k: &str| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let env_name = src
            .env_name
            .or_else(|| get("CRM_ENV"))
            .unwrap_or_else(|| "development".into());
        let dir = src
            .config_dir
            .or_else(|| get("CRM_CONFIG_DIR").map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from("config"));

        let crm_vars: std::collections::HashMap<String, String> = vars
            .iter()
            .filter(|(k, _)| k.starts_with("CRM__"))
            .cloned()
            .collect();
        let legacy = legacy_overrides(&get, &crm_vars);

        let cfg = Config::builder()
            .add_source(File::from_str(DEFAULTS, FileFormat::Toml))
            .add_source(File::from(dir.join("default.toml")).required(false))
            .add_source(File::from(dir.join(format!("{env_name}.toml"))).required(false))
            .add_source(File::from_str(&legacy, FileFormat::Toml))
            .add_source(
                Environment::with_prefix("CRM")
                    .separator("__")
                    .prefix_separator("__")
                    .list_separator(",")
                    .with_list_parse_key("server.cors_origins")
                    .try_parsing(true)
                    .source(Some(crm_vars)),
            )
            .set_override("env", env_name.clone())?
            .build()?;
        let mut s: Settings = cfg.try_deserialize()?;
        s.validate()?;
        Ok(s)
    }

    pub fn is_production(&self) -> bool {
        self.env == "production"
    }

    fn validate(&mut self) -> Result<(), SettingsError> {
        let secret_len = self.auth.jwt_secret.expose_secret().len();
        if secret_len < MIN_SECRET_LEN {
            if matches!(self.env.as_str(), "development" | "test") {
                if secret_len == 0 {
                    self.auth.jwt_secret = SecretString::from(DEV_SECRET);
                }
            } else {
                return Err(SettingsError::Invalid(format!(
                    "CRM__AUTH__JWT_SECRET is {} in {}: set it to at least {MIN_SECRET_LEN} random characters (e.g. `openssl rand -base64 48`)",
                    if secret_len == 0 {
                        "missing"
                    } else {
                        "too short"
                    },
                    self.env
                )));
            }
        }
        if !matches!(self.auth.password_hash.as_str(), "argon2" | "bcrypt") {
            return Err(SettingsError::Invalid(
                "CRM__AUTH__PASSWORD_HASH must be argon2 or bcrypt".into(),
            ));
        }
        if !matches!(self.mail.transport.as_str(), "smtp" | "file" | "log") {
            return Err(SettingsError::Invalid(
                "CRM__MAIL__TRANSPORT must be smtp, file or log".into(),
            ));
        }
        if !matches!(self.mail.smtp.tls.as_str(), "none" | "starttls" | "tls") {
            return Err(SettingsError::Invalid(
                "CRM__MAIL__SMTP__TLS must be none, starttls or tls".into(),
            ));
        }
        if !matches!(self.files.storage.as_str(), "local" | "s3") {
            return Err(SettingsError::Invalid(
                "CRM__FILES__STORAGE must be local or s3".into(),
            ));
        }
        if self.files.storage == "s3" && self.files.s3.bucket.len() < 3 {
            return Err(SettingsError::Invalid(
                "CRM__FILES__S3__BUCKET must name the bucket when CRM__FILES__STORAGE=s3".into(),
            ));
        }
        if !matches!(self.log.format.as_str(), "auto" | "pretty" | "json") {
            return Err(SettingsError::Invalid(
                "CRM__LOG__FORMAT must be auto, pretty or json".into(),
            ));
        }
        if let Err(e) = self.webhooks.schedule() {
            return Err(SettingsError::Invalid(format!(
                "CRM__WEBHOOKS__RETRY_SCHEDULE_SECS: {e}"
            )));
        }
        if self.webhooks.lease_secs <= WEBHOOK_ATTEMPT_SECS {
            return Err(SettingsError::Invalid(format!(
                "CRM__WEBHOOKS__LEASE_SECS must be more than an attempt's {WEBHOOK_ATTEMPT_SECS} s"
            )));
        }
        if self.mail.lease_secs <= self.mail.smtp.timeout_secs {
            return Err(SettingsError::Invalid(
                "CRM__MAIL__LEASE_SECS must be more than CRM__MAIL__SMTP__TIMEOUT_SECS".into(),
            ));
        }
        let read = self.database.read_url.trim();
        if !read.is_empty() && !crm_db::Database::same_kind(read, &self.database.url) {
            return Err(SettingsError::Invalid(
                "CRM__DATABASE__READ_URL must name a replica of CRM__DATABASE__URL's kind (both postgres://, mysql:// or sqlite://)".into(),
            ));
        }
        if self.database.max_connections == 0 {
            return Err(SettingsError::Invalid(
                "CRM__DATABASE__MAX_CONNECTIONS must be at least 1".into(),
            ));
        }
        Ok(())
    }

    /// The replica's pool settings: the primary's, on `read_url`; `None` without one.
    pub fn read_db(&self) -> Option<crm_db::DbSettings> {
        let url = self.database.read_url.trim();
        (!url.is_empty()).then(|| crm_db::DbSettings {
            url: url.to_string(),
            ..self.db()
        })
    }

    pub fn db(&self) -> crm_db::DbSettings {
        use std::time::Duration;
        crm_db::DbSettings {
            url: self.database.url.clone(),
            max_connections: self.database.max_connections,
            min_connections: self.database.min_connections,
            connect_timeout: Duration::from_secs(self.database.connect_timeout_secs),
            acquire_timeout: Duration::from_secs(self.database.acquire_timeout_secs),
            startup_timeout: Duration::from_secs(self.database.startup_timeout_secs),
            statements: self
                .database
                .count_statements
                .then(crm_db::StatementLog::new),
        }
    }
}

fn toml_str(s: &str) -> String {
    // A TOML basic string: quotes and backslashes escaped, control characters dropped.
    let escaped: String = s
        .chars()
        .filter(|c| !c.is_control())
        .flat_map(|c| match c {
            '"' => vec!['\\', '"'],
            '\\' => vec!['\\', '\\'],
            c => vec![c],
        })
        .collect();
    format!("\"{escaped}\"")
}

/// The original server's `.env` names, as TOML, for every setting whose `CRM__` variable is absent.
fn legacy_overrides(
    get: &dyn Fn(&str) -> Option<String>,
    crm: &std::collections::HashMap<String, String>,
) -> String {
    let has = |k: &str| crm.contains_key(k);
    let mut server = Vec::new();
    let mut database = Vec::new();
    let mut auth = Vec::new();
    let mut mail = Vec::new();
    let mut smtp = Vec::new();

    if !has("CRM__SERVER__PORT")
        && let Some(p) = get("PORT").and_then(|p| p.trim().parse::<u16>().ok())
    {
        server.push(format!("port = {p}"));
    }
    if !has("CRM__DATABASE__URL") && (get("DB_HOST").is_some() || get("DB_NAME").is_some()) {
        let enc =
            |s: String| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        let user = get("DB_USER").map(enc).unwrap_or_else(|| "postgres".into());
        let pass = get("DB_PASSWORD")
            .filter(|p| !p.is_empty())
            .map(|p| format!(":{}", enc(p)))
            .unwrap_or_default();
        let host = get("DB_HOST").unwrap_or_else(|| "localhost".into());
        let port = get("DB_PORT").unwrap_or_else(|| "5432".into());
        let name = get("DB_NAME").unwrap_or_else(|| "crm".into());
        database.push(format!(
            "url = {}",
            toml_str(&format!("postgres://{user}{pass}@{host}:{port}/{name}"))
        ));
    }
    if !has("CRM__AUTH__JWT_SECRET")
        && let Some(s) = get("JWT_SECRET")
    {
        auth.push(format!("jwt_secret = {}", toml_str(&s)));
    }
    if let (Some(user), Some(pass)) = (get("EMAIL_USER"), get("EMAIL_PASS")) {
        // The original server sent through Gmail with STARTTLS.
        if !has("CRM__MAIL__TRANSPORT") {
            mail.push("transport = \"smtp\"".to_string());
        }
        if !has("CRM__MAIL__FROM") {
            mail.push(format!("from = {}", toml_str(&user)));
        }
        if !has("CRM__MAIL__SMTP__HOST") {
            smtp.push("host = \"smtp.gmail.com\"".to_string());
        }
        if !has("CRM__MAIL__SMTP__PORT") {
            smtp.push("port = 587".to_string());
        }
        if !has("CRM__MAIL__SMTP__TLS") {
            smtp.push("tls = \"starttls\"".to_string());
        }
        if !has("CRM__MAIL__SMTP__USERNAME") {
            smtp.push(format!("username = {}", toml_str(&user)));
        }
        if !has("CRM__MAIL__SMTP__PASSWORD") {
            smtp.push(format!("password = {}", toml_str(&pass)));
        }
    }
    let mut out = String::new();
    for (name, lines) in [
        ("server", server),
        ("database", database),
        ("auth", auth),
        ("mail", mail),
        ("mail.smtp", smtp),
    ] {
        if !lines.is_empty() {
            out.push_str(&format!("[{name}]\n{}\n", lines.join("\n")));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(vars: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        Settings::load_from(Sources {
            env_name: None,
            config_dir: Some(PathBuf::from("/nonexistent")),
            vars: Some(
                vars.iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            ),
        })
    }

    #[test]
    fn defaults_run_without_any_config() {
        let s = load(&[]).unwrap();
        assert_eq!(s.env, "development");
        assert_eq!(s.server.port, 5100);
        assert_eq!(s.server.host, "127.0.0.1");
        assert_eq!(s.database.url, "sqlite://data/crm.db?mode=rwc");
        assert!(s.database.auto_migrate);
        assert_eq!(s.mail.transport, "file");
        assert_eq!(s.auth.rate_limit_per_minute, 30);
        assert!(s.auth.jwt_secret.expose_secret().len() >= MIN_SECRET_LEN);
    }

    #[test]
    fn crm_variables_win_and_lists_parse() {
        let s = load(&[
            ("CRM__SERVER__PORT", "6000"),
            ("CRM__DATABASE__AUTO_MIGRATE", "false"),
            (
                "CRM__SERVER__CORS_ORIGINS",
                "https://a.example,https://b.example",
            ),
            ("PORT", "7000"),
        ])
        .unwrap();
        assert_eq!(s.server.port, 6000);
        assert!(!s.database.auto_migrate);
        assert_eq!(
            s.server.cors_origins,
            vec!["https://a.example", "https://b.example"]
        );
    }

    #[test]
    fn legacy_env_names_are_read_when_crm_ones_are_absent() {
        let s = load(&[
            ("PORT", "7000"),
            ("DB_HOST", "db"),
            ("DB_USER", "app"),
            ("DB_PASSWORD", "p@ss\"word"),
            ("DB_NAME", "crm_prod"),
            ("JWT_SECRET", "legacy-secret-that-is-long-enough-1234567"),
            ("EMAIL_USER", "me@gmail.com"),
            ("EMAIL_PASS", "app-password"),
        ])
        .unwrap();
        assert_eq!(s.server.port, 7000);
        assert_eq!(
            s.database.url,
            "postgres://app:p%40ss%22word@db:5432/crm_prod"
        );
        assert_eq!(
            s.auth.jwt_secret.expose_secret(),
            "legacy-secret-that-is-long-enough-1234567"
        );
        assert_eq!(s.mail.transport, "smtp");
        assert_eq!(s.mail.smtp.host, "smtp.gmail.com");
        assert_eq!(s.mail.smtp.tls, "starttls");
        assert_eq!(s.mail.smtp.username, "me@gmail.com");
        assert_eq!(s.mail.smtp.password.expose_secret(), "app-password");
    }

    #[test]
    fn production_refuses_a_missing_or_short_secret() {
        let e = load(&[("CRM_ENV", "production")]).unwrap_err().to_string();
        assert!(
            e.contains("CRM__AUTH__JWT_SECRET") && e.contains("missing"),
            "{e}"
        );
        let e = load(&[
            ("CRM_ENV", "production"),
            ("CRM__AUTH__JWT_SECRET", "short"),
        ])
        .unwrap_err()
        .to_string();
        assert!(e.contains("too short"), "{e}");
        let ok = load(&[
            ("CRM_ENV", "production"),
            ("CRM__AUTH__JWT_SECRET", &"x".repeat(40)),
        ])
        .unwrap();
        assert!(ok.is_production());
    }

    #[test]
    fn secrets_never_print() {
        let s = load(&[
            (
                "CRM__AUTH__JWT_SECRET",
                "super-secret-value-that-is-long-enough",
            ),
            ("CRM__MAIL__SMTP__PASSWORD", "smtp-pass-xyz"),
            ("CRM__DATABASE__URL", "postgres://u:dbpass123@h/db"),
        ])
        .unwrap();
        let dbg = format!("{s:?}");
        for secret in ["super-secret-value", "smtp-pass-xyz", "dbpass123"] {
            assert!(!dbg.contains(secret), "{secret} leaked in {dbg}");
        }
    }

    #[test]
    fn webhook_retry_schedules_parse_from_the_environment() {
        let s = load(&[]).unwrap();
        assert_eq!(s.webhooks.schedule().unwrap().max_attempts(), 8);
        assert!(!s.webhooks.allow_private_targets);
        let s = load(&[
            ("CRM__WEBHOOKS__RETRY_SCHEDULE_SECS", "1,2,4"),
            ("CRM__WEBHOOKS__ALLOW_PRIVATE_TARGETS", "true"),
        ])
        .unwrap();
        assert_eq!(s.webhooks.schedule().unwrap().max_attempts(), 4);
        assert!(s.webhooks.allow_private_targets);
        let one = load(&[("CRM__WEBHOOKS__RETRY_SCHEDULE_SECS", "7")]).unwrap();
        assert_eq!(one.webhooks.schedule().unwrap().max_attempts(), 2);
        let e = load(&[("CRM__WEBHOOKS__RETRY_SCHEDULE_SECS", "1,soon")])
            .unwrap_err()
            .to_string();
        assert!(e.contains("CRM__WEBHOOKS__RETRY_SCHEDULE_SECS"), "{e}");
    }

    #[test]
    fn bad_enumerations_are_named() {
        let e = load(&[("CRM__MAIL__TRANSPORT", "pigeon")])
            .unwrap_err()
            .to_string();
        assert!(e.contains("CRM__MAIL__TRANSPORT"), "{e}");
    }

    #[test]
    fn leases_must_outlast_an_attempt() {
        let s = load(&[]).unwrap();
        assert_eq!((s.webhooks.lease_secs, s.mail.lease_secs), (60, 120));
        let e = load(&[("CRM__WEBHOOKS__LEASE_SECS", "10")])
            .unwrap_err()
            .to_string();
        assert!(e.contains("CRM__WEBHOOKS__LEASE_SECS"), "{e}");
        let e = load(&[("CRM__MAIL__LEASE_SECS", "10")])
            .unwrap_err()
            .to_string();
        assert!(e.contains("CRM__MAIL__LEASE_SECS"), "{e}");
        let s = load(&[
            ("CRM__MAIL__LEASE_SECS", "3"),
            ("CRM__MAIL__SMTP__TIMEOUT_SECS", "1"),
        ])
        .unwrap();
        assert_eq!(s.mail.lease_secs, 3);
    }

    #[test]
    fn a_replica_must_be_of_the_primarys_kind() {
        for (primary, other) in [
            (
                "sqlite://data/crm.db?mode=rwc",
                "postgres://postgres@127.0.0.1:5432/replica",
            ),
            ("postgres://u@db/crm", "sqlite://replica.db?mode=rwc"),
            ("mysql://u@db/crm", "sqlite://replica.db?mode=rwc"),
        ] {
            let e = load(&[
                ("CRM__DATABASE__URL", primary),
                ("CRM__DATABASE__READ_URL", other),
            ])
            .unwrap_err()
            .to_string();
            assert!(e.contains("CRM__DATABASE__READ_URL"), "{e}");
        }
        // One kind under its two names.
        for (primary, read) in [
            ("postgres://u@db/crm", "postgresql://u@replica/crm"),
            ("mysql://u@db/crm", "mariadb://u@replica/crm"),
        ] {
            let s = load(&[
                ("CRM__DATABASE__URL", primary),
                ("CRM__DATABASE__READ_URL", read),
            ])
            .unwrap();
            assert_eq!(s.read_db().map(|d| d.url), Some(read.to_string()));
        }
    }
}
