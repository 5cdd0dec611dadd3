//! Wiring: adapters into services, services into the HTTP app, background workers.

use crate::adapters::clock::StoreClock;
use crate::adapters::passwords::{PooledHasher, Scheme};
use crate::adapters::secrets::{HmacSecretHasher, RandomSecrets};
use crate::adapters::webhooks::{HttpWebhookSender, SealedSecrets, UnavailableSender};
use crate::auth::{AuthContext, JwtKeys};
use crate::framework_errors::{configure_extractors, not_found, to_problem};
use crate::notification_streams::Streams;
use crate::openapi::ApiDoc;
use crate::rate_limit::AuthRateLimiter;
use crate::request_id::request_id;
use crate::routes;
use crate::settings::Settings;
use actix_cors::Cors;
use actix_web::middleware::{ErrorHandlers, from_fn};
use actix_web::{App, HttpResponse, HttpServer, dev::Server, web};
use crm_calendar::CalendarServices;
use crm_db::Database;
use crm_domain::activity::ActivityService;
use crm_domain::clients::ClientServices;
use crm_domain::events::{EventService, EventType};
use crm_domain::files::{BlobStore, FileCleanupJob, FilePorts, FileService, FileSettings};
use crm_domain::identity::{
    AuthSettings, BootstrapAdminInput, BootstrapOutcome, IdentityPorts, IdentityServices,
    PlainPassword,
};
use crm_domain::imports::{ImportJob, ImportPorts, ImportService, ImportSettings};
use crm_domain::jobs::{CleanupJob, Scheduler};
use crm_domain::kernel::clock;
use crm_domain::mail::{OutboxDispatcher, RetryPolicy};
use crm_domain::notifications::{NotificationCleanupJob, NotificationService, Notifier};
use crm_domain::webhooks::{
    DueDelivery, SecretVault, WebhookDispatcher, WebhookPorts, WebhookSender, WebhookService,
};
use crm_finance::FinanceServices;
use crm_finance::document::DocumentRenderer;
use crm_hr::HrServices;
use crm_projects::ProjectServices;
use crm_sales::SalesServices;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

const OPENAPI_PATH: &str = "/api/v1/openapi.json";

/// The services a worker's handlers call: one per worker on PostgreSQL and MariaDB (each on its
/// own pool, see `pool_sizes`), one shared by all on SQLite.
pub struct AppState {
    pub db: Database,
    pub activities: ActivityService,
    pub events: EventService,
    pub identity: IdentityServices,
    pub clients: ClientServices,
    pub sales: SalesServices,
    pub finance: FinanceServices,
    pub projects: ProjectServices,
    pub hr: HrServices,
    pub calendar: CalendarServices,
    pub messages: crm_messages::MessageServices,
    pub notifications: NotificationService,
    /// This instance's live notification streams, shared by every worker.
    pub streams: Arc<Streams>,
    /// How often an idle stream gets a comment line.
    pub keepalive: Duration,
    pub files: FileService,
    pub imports: ImportService,
    pub webhooks: WebhookService,
    pub rate_limits: Arc<AuthRateLimiter>,
    /// The budgets and failed-login slowing every instance shares (in the database).
    pub throttle: crm_domain::identity::throttle::Throttle,
}

/// What every worker's [`AppState`] must share rather than hold its own copy of: the hashing
/// threads and their admission bound, and the authentication budgets.
#[derive(Clone)]
pub struct SharedParts {
    pub passwords: Arc<PooledHasher>,
    pub rate_limits: Arc<AuthRateLimiter>,
    pub streams: Arc<Streams>,
    /// File storage: one client (and connection pool, for S3) for every worker.
    pub blobs: Arc<dyn BlobStore>,
    /// The webhook HTTP client (one connection pool for the instance) and secret vault.
    pub webhook_sender: Arc<dyn WebhookSender>,
    pub webhook_vault: Arc<dyn SecretVault>,
    /// Invoices as PDF.
    pub renderer: Arc<dyn DocumentRenderer>,
    /// Wakes this instance's scheduler (a new import starts at once, not at the next poll).
    pub jobs_wake: Arc<tokio::sync::Notify>,
}

impl SharedParts {
    pub fn new(s: &Settings) -> Self {
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        let scheme = if s.auth.password_hash == "bcrypt" {
            Scheme::Bcrypt
        } else {
            Scheme::Argon2id
        };
        Self {
            // Hashing runs one per core; a short queue absorbs bursts, the rest is refused fast.
            passwords: Arc::new(PooledHasher::new(scheme, cores, cores * 8)),
            rate_limits: Arc::new(AuthRateLimiter::new(s.auth.rate_limit_per_minute)),
            streams: Streams::new(s.notifications.max_streams_per_user),
            blobs: match crm_storage::open(&storage_config(s)) {
                Ok(store) => Arc::new(store),
                Err(e) => Arc::new(crm_storage::Unopened(e)),
            },
            webhook_sender: match HttpWebhookSender::new(s.webhooks.allow_private_targets) {
                Ok(sender) => Arc::new(sender),
                Err(e) => {
                    tracing::error!(error = %e, "webhooks cannot be delivered");
                    Arc::new(UnavailableSender(e))
                }
            },
            webhook_vault: Arc::new(SealedSecrets::new(&s.auth.jwt_secret)),
            renderer: Arc::new(crm_pdf::PdfRenderer::new()),
            jobs_wake: Arc::new(tokio::sync::Notify::new()),
        }
    }
}

/// `CRM__FILES__*` as the storage adapter's configuration.
pub fn storage_config(s: &Settings) -> crm_storage::StorageConfig {
    use secrecy::ExposeSecret;
    let f = &s.files;
    if f.storage == "s3" {
        crm_storage::StorageConfig::S3(crm_storage::S3Config {
            bucket: f.s3.bucket.clone(),
            endpoint: f.s3.endpoint.clone(),
            region: f.s3.region.clone(),
            access_key_id: f.s3.access_key_id.clone(),
            secret_access_key: f.s3.secret_access_key.expose_secret().to_string(),
            path_style: f.s3.path_style,
        })
    } else {
        crm_storage::StorageConfig::Local { dir: f.dir.clone() }
    }
}

/// The file service on `db` and the shared blob store, attached records read through
/// `record_types` (one adapter per record type, `adapters/record_access.rs`).
fn file_service(
    db: &Database,
    ports: &IdentityPorts,
    parts: &SharedParts,
    s: &Settings,
    record_types: Vec<(&'static str, Arc<dyn crm_domain::files::RecordAccess>)>,
) -> FileService {
    FileService::new(
        FilePorts {
            tx: ports.tx.clone(),
            files: Arc::new(crm_db::SqlFileRepository::new(db.conn.clone())),
            blobs: Arc::new(crm_db::SqlBlobRepository::new(db.conn.clone())),
            store: parts.blobs.clone(),
            activities: ports.activities.clone(),
        },
        FileSettings {
            max_bytes: s.files.max_bytes,
        },
        record_types,
    )
}

fn import_service(
    db: &Database,
    ports: &IdentityPorts,
    parts: &SharedParts,
    s: &Settings,
    files: FileService,
    clients: &ClientServices,
    sales: &SalesServices,
) -> ImportService {
    let wake = parts.jobs_wake.clone();
    ImportService::new(
        ImportPorts {
            tx: ports.tx.clone(),
            imports: Arc::new(crm_db::SqlImportRepository::new(db.conn.clone())),
            queue: Arc::new(crm_db::SqlImportRepository::new(db.conn.clone())),
            activities: ports.activities.clone(),
            users: ports.users.clone(),
        },
        files,
        crate::adapters::import_targets::import_targets(clients, sales),
        ImportSettings {
            batch_rows: s.imports.batch_rows,
            lease: lease(s.imports.lease_secs),
        },
        Arc::new(move || wake.notify_one()),
    )
}

impl AppState {
    /// Services on `db`, with their own hashing threads and budgets.
    pub fn new(db: Database, settings: &Settings) -> Self {
        Self::with_parts(db, settings, &SharedParts::new(settings))
    }

    /// Services on `db` that share `parts` with every other state built from them.
    pub fn with_parts(db: Database, settings: &Settings, parts: &SharedParts) -> Self {
        let mut ports = identity_ports(&db, settings, parts);
        let auth_settings = auth_settings(settings);
        let conn = db.conn.clone();
        // The audit log also writes the notifications of each entry, in its transaction.
        let notifier = notifier();
        ports.activities =
            Arc::new(crm_db::SqlActivityRepository::new(conn.clone()).notifying(notifier.clone()));
        let notifications = NotificationService::new(
            Arc::new(crm_db::SqlNotificationRepository::new(conn.clone())),
            notifier,
            ports.secrets.clone(),
            ports.generator.clone(),
        );
        let client_ports = crm_db::clients::ports(
            &conn,
            ports.tx.clone(),
            ports.activities.clone(),
            ports.users.clone(),
        );
        let sales = crm_db::sales::ports(
            &conn,
            ports.tx.clone(),
            client_ports.clients.clone(),
            ports.users.clone(),
            ports.activities.clone(),
            ports.clock.clone(),
        );
        let finance = crm_db::finance::ports(
            &conn,
            crm_db::finance::Shared {
                tx: ports.tx.clone(),
                clients: client_ports.clients.clone(),
                organizations: ports.organizations.clone(),
                users: ports.users.clone(),
                activities: ports.activities.clone(),
                clock: ports.clock.clone(),
                renderer: parts.renderer.clone(),
                outbox: ports.outbox.clone(),
                mail: ports.mail.clone(),
            },
        );
        let projects = ProjectServices::new(crm_db::projects::ports(
            &conn,
            crm_db::projects::Shared {
                tx: ports.tx.clone(),
                clients: client_ports.clients.clone(),
                organizations: ports.organizations.clone(),
                users: ports.users.clone(),
                activities: ports.activities.clone(),
                clock: ports.clock.clone(),
            },
        ));
        let hr = HrServices::new(crm_db::hr::ports(
            &conn,
            crm_db::hr::Shared {
                tx: ports.tx.clone(),
                organizations: ports.organizations.clone(),
                users: ports.users.clone(),
                activities: ports.activities.clone(),
                clock: ports.clock.clone(),
                departments: ports.departments.clone(),
                designations: ports.designations.clone(),
                counters: Arc::new(crm_db::SqlDocumentCounterRepository::new(conn.clone())),
            },
        ));
        let calendar = CalendarServices::new(crm_db::calendar::ports(
            &conn,
            crm_db::calendar::Shared {
                tx: ports.tx.clone(),
                activities: ports.activities.clone(),
                clock: ports.clock.clone(),
                generator: ports.generator.clone(),
                hasher: ports.secrets.clone(),
            },
        ));
        let webhooks = WebhookService::new(
            WebhookPorts {
                tx: ports.tx.clone(),
                webhooks: Arc::new(crm_db::SqlWebhookRepository::new(conn.clone())),
                deliveries: Arc::new(crm_db::SqlDeliveryRepository::new(conn.clone())),
                activities: ports.activities.clone(),
                sender: parts.webhook_sender.clone(),
                vault: parts.webhook_vault.clone(),
            },
            event_types().iter().map(|t| t.r#type).collect(),
        );
        let sales = SalesServices::new(sales);
        let clients = ClientServices::new(client_ports);
        let finance = FinanceServices::new(finance);
        let record_types = crate::adapters::record_access::record_types(
            &clients, &sales, &finance, &projects, &hr,
        );
        let files = file_service(&db, &ports, parts, settings, record_types.clone());
        let imports = import_service(
            &db,
            &ports,
            parts,
            settings,
            files.clone(),
            &clients,
            &sales,
        );
        let messages = crm_messages::MessageServices::new(crm_db::messages::ports(
            &conn,
            crm_db::messages::Shared {
                tx: ports.tx.clone(),
                activities: ports.activities.clone(),
                clock: ports.clock.clone(),
                files: Arc::new(crate::adapters::record_access::FilesOf(files.clone())),
                records: record_types,
            },
        ));
        Self {
            messages,
            webhooks,
            sales,
            finance,
            projects,
            hr,
            calendar,
            clients,
            files,
            imports,
            activities: ActivityService::new(ports.activities.clone()),
            events: EventService::new(
                Arc::new(crm_db::SqlEventRepository::new(db.conn.clone())),
                event_types(),
            ),
            identity: IdentityServices::new(ports, auth_settings),
            notifications,
            streams: parts.streams.clone(),
            keepalive: crate::routes::notifications::keepalive(
                settings.notifications.keepalive_secs,
            ),
            rate_limits: parts.rate_limits.clone(),
            throttle: crm_domain::identity::throttle::Throttle::new(
                Arc::new(crm_db::identity::SqlAttemptCounters::new(db.conn.clone())),
                settings.auth.rate_limit_per_minute,
            ),
            db,
        }
    }
}

/// Every module's declared event types.
pub fn event_types() -> Vec<EventType> {
    [
        crm_domain::identity::requirements::EVENT_TYPES,
        crm_domain::clients::requirements::EVENT_TYPES,
        crm_sales::requirements::EVENT_TYPES,
        crm_finance::requirements::EVENT_TYPES,
        crm_projects::requirements::EVENT_TYPES,
        crm_hr::requirements::EVENT_TYPES,
        crm_calendar::requirements::EVENT_TYPES,
        crm_messages::requirements::EVENT_TYPES,
        crm_domain::files::EVENT_TYPES,
        crm_domain::imports::requirements::EVENT_TYPES,
        crm_domain::webhooks::EVENT_TYPES,
    ]
    .concat()
}

/// Every module's notification types, with the mail templates.
pub fn notifier() -> Notifier {
    Notifier::new(
        [
            crm_domain::clients::requirements::NOTIFICATION_TYPES,
            crm_sales::requirements::NOTIFICATION_TYPES,
            crm_finance::requirements::NOTIFICATION_TYPES,
            crm_projects::requirements::NOTIFICATION_TYPES,
            crm_hr::requirements::NOTIFICATION_TYPES,
            crm_messages::requirements::NOTIFICATION_TYPES,
            crm_calendar::requirements::NOTIFICATION_TYPES,
        ]
        .concat(),
        Arc::new(crm_mail::Templates::new("CRM")),
    )
}

pub fn auth_settings(s: &Settings) -> AuthSettings {
    AuthSettings {
        code_ttl_minutes: s.auth.code_ttl_minutes,
        open_registration: s.auth.open_registration,
        refresh_ttl_days: s.auth.refresh_ttl_days,
        resend_cooldown_secs: s.auth.resend_cooldown_secs,
        resend_hourly_cap: s.auth.resend_hourly_cap,
        ..AuthSettings::default()
    }
}

pub fn jwt_keys(s: &Settings) -> JwtKeys {
    JwtKeys::new(
        &s.auth.jwt_secret,
        &s.auth.issuer,
        &s.auth.audience,
        s.auth.access_ttl_secs,
    )
}

/// Every port identity needs, backed by this database.
pub fn identity_ports(db: &Database, s: &Settings, parts: &SharedParts) -> IdentityPorts {
    crm_db::identity::ports(
        db,
        crm_db::identity::IdentityParts {
            mail: Arc::new(crm_mail::Templates::new("CRM")),
            passwords: parts.passwords.clone(),
            secrets: Arc::new(HmacSecretHasher::new(&s.auth.jwt_secret)),
            generator: Arc::new(RandomSecrets),
            tokens: Arc::new(jwt_keys(s)),
            clock: Arc::new(StoreClock),
        },
    )
}

/// Creates the first admin from `CRM__BOOTSTRAP__*` when both email and password are set.
async fn bootstrap_admin(state: &AppState, s: &Settings) -> Result<(), StartError> {
    use secrecy::ExposeSecret;
    let password = s.bootstrap.admin_password.expose_secret();
    if s.bootstrap.admin_email.is_empty() || password.is_empty() {
        return Ok(());
    }
    let outcome = state
        .identity
        .auth
        .bootstrap_admin(BootstrapAdminInput {
            email: s.bootstrap.admin_email.clone(),
            password: PlainPassword::new(password),
            name: s.bootstrap.admin_name.clone(),
            organization_name: s.bootstrap.organization.clone(),
        })
        .await
        .map_err(|e| StartError::Bootstrap(format!("{e:?}")))?;
    match outcome {
        BootstrapOutcome::Created(u) => tracing::info!(user_id = %u.id, "bootstrap admin created"),
        BootstrapOutcome::AlreadyExists(_) => tracing::debug!("bootstrap admin already exists"),
    }
    Ok(())
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("{0}")]
    Database(String),
    #[error("{0}")]
    Migration(String),
    #[error("bootstrap admin: {0}")]
    Bootstrap(String),
    #[error("file storage: {0}")]
    Storage(String),
    #[error("mail settings: {0}")]
    Mail(String),
    #[error("cannot start a worker thread: {0}")]
    Worker(String),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
}

/// A started server: its port and the handle to stop it.
pub struct Running {
    pub port: u16,
    pub server: Server,
    /// Outbox delivery and housekeeping; aborted when the server stops.
    pub background: Vec<tokio::task::JoinHandle<()>>,
    /// Every statement sent, when `database.count_statements` is on.
    pub statements: Option<crm_db::StatementLog>,
    /// The live notification streams; [`Streams::close`] ends them for a graceful stop.
    pub streams: Arc<Streams>,
}

/// Messages claimed per outbox pass: at most 20, and over SMTP as many as can be sent one
/// after another, each at most the SMTP timeout, within the claim's lease (so no other
/// instance takes them meanwhile). Writing a file or a log line takes no such time.
fn outbox_batch(mail: &crate::settings::MailSettings) -> u32 {
    const MAX: u64 = 20;
    if mail.transport != "smtp" {
        return MAX as u32;
    }
    let fits = (mail.lease_secs / mail.smtp.timeout_secs.max(1)).saturating_sub(1);
    u32::try_from(fits.clamp(1, MAX)).unwrap_or(1)
}

/// A lease setting in seconds as a duration (the longest one there is beyond its range).
fn lease(secs: u64) -> chrono::Duration {
    i64::try_from(secs)
        .ok()
        .and_then(chrono::Duration::try_seconds)
        .unwrap_or(chrono::Duration::MAX)
}

/// Delivers queued mail for as long as the server runs. Several instances may run this at once:
/// claims are exclusive. A full batch is followed at once by the next; otherwise it waits `poll`.
async fn drain_outbox(dispatcher: OutboxDispatcher, batch: u32, poll: Duration) {
    loop {
        match dispatcher.run_once(clock::now(), batch).await {
            Ok(r) if r.sent + r.retrying + r.given_up >= batch => continue,
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "outbox poll failed; will retry"),
        }
        tokio::time::sleep(poll).await;
    }
}

/// Relays events to webhook deliveries and attempts the due ones, for as long as the server
/// runs. Several instances may run this at once: claims are exclusive. A batch's attempts run
/// concurrently (each at most 10 s) and are recorded as they finish; a full batch is followed at
/// once by the next, unless `IN_FLIGHT` batches are still being sent (slow receivers hold
/// back the relay, not the memory). Retries are looked for when the relay is idle, and at
/// least every `poll`.
async fn deliver_webhooks(dispatcher: WebhookDispatcher, poll: Duration) {
    const BATCH: u32 = 100;
    const IN_FLIGHT: usize = 4;
    let mut running = tokio::task::JoinSet::new();
    let attempt = |running: &mut tokio::task::JoinSet<()>, due: Vec<DueDelivery>| {
        if due.is_empty() {
            return;
        }
        let dispatcher = dispatcher.clone();
        running.spawn(async move {
            if let Err(e) = dispatcher.attempt_all(due, clock::now()).await {
                // The claims run out and the deliveries are attempted again.
                tracing::warn!(error = %e, "recording webhook attempts failed");
            }
        });
    };
    let mut claimed_at: Option<std::time::Instant> = None;
    loop {
        while running.len() >= IN_FLIGHT {
            running.join_next().await;
        }
        let now = clock::now();
        let relayed = match dispatcher.relay(now, BATCH).await {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(error = %e, "webhook relay failed; will retry");
                Default::default()
            }
        };
        let mut full = relayed.events >= BATCH;
        attempt(&mut running, relayed.due);
        // Retries, and deliveries whose claimer stopped before recording them.
        if !full || claimed_at.is_none_or(|t| t.elapsed() >= poll) {
            claimed_at = Some(std::time::Instant::now());
            let claimed = match dispatcher.claim(now, BATCH).await {
                Ok(due) => due,
                Err(e) => {
                    tracing::warn!(error = %e, "webhook claim failed; will retry");
                    vec![]
                }
            };
            full = full || claimed.len() >= BATCH as usize;
            attempt(&mut running, claimed);
        }
        while running.try_join_next().is_some() {}
        if !full {
            tokio::time::sleep(poll).await;
        }
    }
}

/// The OpenAPI document as JSON bytes, made once, by the first request that asks for it.
static OPENAPI_JSON: std::sync::OnceLock<web::Bytes> = std::sync::OnceLock::new();

/// `GET /api/v1/openapi.json`. The document is served as bytes made once (the document itself
/// is several MiB of maps, and one copy per worker held 28 MiB of the idle server's heap), and
/// made on first request, on a blocking thread, rather than at start: building it runs the
/// schema code of every operation, several MiB of the binary's text that would otherwise stay
/// resident in a server nobody asked for its document.
async fn openapi_json() -> Result<HttpResponse, actix_web::Error> {
    let json = match OPENAPI_JSON.get() {
        Some(j) => j.clone(),
        None => {
            let made = web::block(|| serde_json::to_vec(&ApiDoc::openapi()))
                .await?
                .map_err(actix_web::error::ErrorInternalServerError)?;
            OPENAPI_JSON.get_or_init(|| web::Bytes::from(made)).clone()
        }
    };
    Ok(HttpResponse::Ok()
        .content_type(actix_web::http::header::ContentType::json())
        .body(json))
}

/// How many nice levels below the request threads webhook deliveries run.
pub const WEBHOOK_NICE: i32 = 10;

/// Starts [`deliver_webhooks`] on a thread of its own, with its own runtime and its own pool
/// (`hooks_db`, opened there so its connections are polled by that thread), at a lower CPU
/// priority: on a busy machine requests win the cores and deliveries catch up when the load
/// eases; on an idle one they take whole cores. The handle ends the thread when aborted or
/// dropped with the server's other background tasks.
fn webhook_thread(
    hooks_db: crm_db::DbSettings,
    (sender, vault, schedule): (
        Arc<dyn WebhookSender>,
        Arc<dyn SecretVault>,
        crm_domain::webhooks::RetrySchedule,
    ),
    (poll, lease): (Duration, chrono::Duration),
) -> Result<tokio::task::JoinHandle<()>, StartError> {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    std::thread::Builder::new()
        .name("crm-webhooks".into())
        .spawn(move || {
            crate::adapters::passwords::lower_thread_priority(WEBHOOK_NICE, "webhook delivery");
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(r) => r,
                Err(e) => {
                    tracing::error!(error = %e, "webhooks cannot be delivered: no runtime");
                    return;
                }
            };
            runtime.block_on(async move {
                let db = match Database::connect(&hooks_db).await {
                    Ok(db) => db,
                    Err(e) => {
                        tracing::error!(error = %e, "webhooks cannot be delivered: no database pool");
                        return;
                    }
                };
                let dispatcher = WebhookDispatcher::new(
                    Arc::new(crm_db::SqlDeliveryRepository::new(db.conn.clone())),
                    sender,
                    vault,
                    schedule,
                )
                .with_lease(lease);
                tokio::select! {
                    () = deliver_webhooks(dispatcher, poll) => {}
                    _ = stopped => {}
                }
            });
        })
        .map_err(|e| StartError::Worker(format!("webhook deliveries: {e}")))?;
    // Aborting (or dropping) this task drops `stop`, which ends the thread's loop.
    Ok(tokio::spawn(async move {
        let _stop = stop;
        std::future::pending::<()>().await
    }))
}

/// Runs the scheduled jobs for as long as the server runs: at start, then every `poll`. Each
/// job's period is claimed in the database first, so with several instances one runs it.
/// A wake (a new import) starts a poll at once.
async fn run_jobs(scheduler: Scheduler, poll: Duration, wake: Arc<tokio::sync::Notify>) {
    loop {
        scheduler.run_due(clock::now()).await;
        tokio::select! {
            () = tokio::time::sleep(poll) => {}
            () = wake.notified() => {}
        }
    }
}

/// The scheduler of this instance, with every job the server runs.
pub fn scheduler(
    db: &Database,
    files: FileService,
    imports: ImportService,
    finance: &FinanceServices,
    projects: &ProjectServices,
    hr: &HrServices,
    calendar: &CalendarServices,
) -> Scheduler {
    let holder = format!("{}-{}", std::process::id(), uuid::Uuid::now_v7().simple());
    let scheduler = Scheduler::new(Arc::new(crm_db::SqlJobClaims::new(db.conn.clone())), holder);
    finance
        .jobs()
        .into_iter()
        .chain(projects.jobs())
        .chain(hr.jobs())
        .chain(calendar.jobs())
        .fold(scheduler, Scheduler::with_job)
        .with_job(Arc::new(CleanupJob::new(Arc::new(
            crm_db::SqlCleanup::new(db.conn.clone()),
        ))))
        .with_job(Arc::new(NotificationCleanupJob::new(Arc::new(
            crm_db::SqlNotificationRepository::new(db.conn.clone()),
        ))))
        .with_job(Arc::new(FileCleanupJob(files)))
        .with_job(Arc::new(ImportJob(imports)))
}

fn mail_config(s: &Settings) -> crm_mail::MailConfig {
    use secrecy::ExposeSecret;
    let non_empty = |v: &str| (!v.is_empty()).then(|| v.to_string());
    crm_mail::MailConfig {
        transport: match s.mail.transport.as_str() {
            "smtp" => crm_mail::TransportKind::Smtp,
            "file" => crm_mail::TransportKind::File,
            _ => crm_mail::TransportKind::Log,
        },
        from: s.mail.from.clone(),
        smtp: crm_mail::SmtpConfig {
            host: s.mail.smtp.host.clone(),
            port: s.mail.smtp.port,
            username: non_empty(&s.mail.smtp.username),
            password: non_empty(s.mail.smtp.password.expose_secret()),
            tls: match s.mail.smtp.tls.as_str() {
                "none" => crm_mail::TlsMode::None,
                "tls" => crm_mail::TlsMode::Tls,
                _ => crm_mail::TlsMode::Starttls,
            },
            timeout_secs: s.mail.smtp.timeout_secs,
        },
        file_dir: s.mail.file.dir.clone(),
    }
}

fn cors(settings: &Settings) -> Cors {
    let mut c = Cors::default()
        .allowed_methods(["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
        .allowed_headers(["authorization", "content-type", "if-match", "x-request-id"])
        .expose_headers(["etag", "location", "x-request-id", "retry-after"])
        .max_age(3600);
    for origin in &settings.server.cors_origins {
        if origin == "*" {
            c = c.allow_any_origin();
        } else {
            c = c.allowed_origin(origin);
        }
    }
    c
}

/// The pool settings of the start-up pool and, where the backend allows it, of each worker's
/// own pool. With worker pools, requests share `max_connections` among the workers and the
/// start-up pool (migrations, the bootstrap admin, outbox delivery) keeps at most two more
/// (each worker gets at least one);
/// without (SQLite), the one pool serves everything.
fn pool_sizes(
    all: crm_db::DbSettings,
    workers: usize,
) -> (crm_db::DbSettings, Option<crm_db::DbSettings>) {
    if !Database::supports_thread_pools(&all.url) {
        return (all, None);
    }
    let workers = u32::try_from(workers.max(1)).unwrap_or(u32::MAX);
    let mut per_worker = all.clone();
    per_worker.max_connections = (all.max_connections / workers).max(1);
    per_worker.min_connections = all
        .min_connections
        .div_ceil(workers)
        .min(per_worker.max_connections);
    let mut main = all;
    main.max_connections = main.max_connections.min(2);
    main.min_connections = main.min_connections.min(main.max_connections);
    (main, Some(per_worker))
}

/// Connects (with start-up retries), migrates if configured, and starts listening.
/// `listener` lets tests bind port 0; `serve` passes `None` to bind the configured address.
pub async fn start(
    settings: Settings,
    listener: Option<TcpListener>,
) -> Result<Running, StartError> {
    crate::adapters::webhooks::install_crypto_provider();
    let workers = match settings.server.workers {
        0 => std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2),
        n => n,
    };
    let (main_db, worker_db) = pool_sizes(settings.db(), workers);
    if settings.database.auto_migrate {
        Database::migrate_up(&settings.db())
            .await
            .map_err(StartError::Migration)?;
    }
    let db = Database::connect_with_retry(&main_db)
        .await
        .map_err(StartError::Database)?;
    // The replica is migrated by its primary's replication, never from here. As the primary,
    // each worker opens its own share of it, lazily: a replica down at start does not stop
    // the server (its lists answer 503 until it is back). SQLite has one shared pool.
    let (read_shared, read_worker) = match settings.read_db() {
        None => (None, None),
        Some(read) => match pool_sizes(read, workers) {
            (_, Some(per_worker)) => (None, Some(per_worker)),
            (shared, None) => (
                Some(
                    Database::connect_with_retry(&shared)
                        .await
                        .map_err(StartError::Database)?
                        .into_replica(),
                ),
                None,
            ),
        },
    };
    let listener = match listener {
        Some(l) => l,
        None => {
            let addr = format!("{}:{}", settings.server.host, settings.server.port);
            TcpListener::bind(&addr).map_err(|source| StartError::Bind { addr, source })?
        }
    };
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);

    crm_storage::open(&storage_config(&settings)).map_err(StartError::Storage)?;
    let parts = SharedParts::new(&settings);
    let parts_streams = parts.streams.clone();
    let jobs_wake = parts.jobs_wake.clone();
    let state = web::Data::new(AppState::with_parts(db.clone(), &settings, &parts));
    bootstrap_admin(&state, &settings).await?;
    let keys = jwt_keys(&settings);
    let files = state.files.clone();
    let imports = state.imports.clone();
    let finance = state.finance.clone();
    let projects = state.projects.clone();
    let hr = state.hr.clone();
    let calendar = state.calendar.clone();
    let pruner = state.clone();
    let prune_task = tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(60)).await;
            pruner.rate_limits.prune();
        }
    });
    let (webhook_sender, webhook_vault) =
        (parts.webhook_sender.clone(), parts.webhook_vault.clone());
    let server_settings = settings.clone();
    let idempotency = web::Data::new(crate::idempotency::Idempotency {
        store: Arc::new(crm_db::SqlIdempotencyStore::new(db.conn.clone())),
        max_body_bytes: settings.server.max_body_bytes,
        // An upload at the limit plus its multipart framing and text parts.
        max_spool_bytes: settings.files.max_bytes.saturating_add(1 << 20),
    });

    let server = HttpServer::new(move || {
        // Runs on each worker's thread: its pool's connections are polled by that thread.
        let state = worker_db
            .as_ref()
            .and_then(Database::pool_on_this_thread)
            .map(|db| web::Data::new(AppState::with_parts(db, &server_settings, &parts)))
            .unwrap_or_else(|| state.clone());
        let auth = web::Data::new(AuthContext {
            keys: keys.clone(),
            auth: state.identity.auth.clone(),
        });
        let replica = read_worker
            .as_ref()
            .and_then(Database::pool_on_this_thread)
            .map(Database::into_replica)
            .or_else(|| read_shared.clone());
        let replica = web::Data::new(crate::read_replica::ReadReplica(replica));
        App::new()
            .app_data(state)
            .app_data(auth)
            .app_data(idempotency.clone())
            .app_data(replica)
            .configure(|cfg| configure_extractors(cfg, server_settings.server.max_body_bytes))
            .configure(routes::health)
            // Before the /api/v1 scope, which would otherwise claim /api/v1/openapi.json.
            .service(web::resource(OPENAPI_PATH).route(web::get().to(openapi_json)))
            .service(
                SwaggerUi::new("/docs/{_:.*}")
                    .config(utoipa_swagger_ui::Config::new([OPENAPI_PATH])),
            )
            .service(web::scope("/api/v1").configure(routes::api_v1))
            .service(web::resource("/docs").route(web::get().to(|| async {
                HttpResponse::PermanentRedirect()
                    .insert_header(("location", "/docs/"))
                    .finish()
            })))
            .default_service(web::to(not_found))
            .wrap(from_fn(crate::read_replica::read_replica))
            .wrap(from_fn(crate::idempotency::idempotency))
            .wrap(from_fn(crate::request_guard::request_guard))
            .wrap(ErrorHandlers::new().default_handler(to_problem))
            .wrap(cors(&server_settings))
            .wrap(from_fn(request_id))
    })
    .workers(workers)
    .shutdown_timeout(settings.server.shutdown_timeout_secs)
    .listen(listener)
    .map_err(|source| StartError::Bind {
        addr: format!("port {port}"),
        source,
    })?
    .run();

    let mailer = crm_mail::build_mailer(&mail_config(&settings))
        .map_err(|e| StartError::Mail(e.to_string()))?;
    let dispatcher = OutboxDispatcher::new(
        Arc::new(crm_db::SqlOutboxRepository::new(db.conn.clone())),
        mailer,
        RetryPolicy::default(),
    )
    .with_lease(lease(settings.mail.lease_secs));
    let outbox_worker = tokio::spawn(drain_outbox(
        dispatcher,
        outbox_batch(&settings.mail),
        Duration::from_secs(settings.mail.outbox_poll_secs.max(1)),
    ));

    // The webhook workers poll on a pool of their own (at most two connections): their polling
    // never waits for, nor shows up in, the request pools (and their statement log).
    let mut hooks_db = main_db.clone();
    hooks_db.statements = None;
    hooks_db.max_connections = hooks_db.max_connections.min(2);
    hooks_db.min_connections = 0;
    let schedule = settings
        .webhooks
        .schedule()
        .map_err(|e| StartError::Database(format!("webhook retry schedule: {e}")))?;
    let webhook_worker = webhook_thread(
        hooks_db,
        (webhook_sender, webhook_vault, schedule),
        (
            Duration::from_millis(settings.webhooks.poll_millis.max(50)),
            lease(settings.webhooks.lease_secs),
        ),
    )?;

    let jobs_worker = tokio::spawn(run_jobs(
        scheduler(&db, files, imports, &finance, &projects, &hr, &calendar),
        Duration::from_secs(settings.jobs.poll_secs.max(1)),
        jobs_wake,
    ));

    let streams = parts_streams;
    let feed_worker = tokio::spawn(crate::notification_streams::feed(
        crm_db::SqlNotificationFeed::new(db.conn.clone(), &settings.database.url),
        streams.clone(),
        Duration::from_millis(settings.notifications.poll_millis.max(50)),
    ));

    tracing::info!(port, database = %crm_db::redact_url(&settings.database.url), "crm listening");
    Ok(Running {
        port,
        server,
        background: vec![
            outbox_worker,
            prune_task,
            jobs_worker,
            feed_worker,
            webhook_worker,
        ],
        statements: db.statement_log().cloned(),
        streams,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Sources;

    fn settings(url: &str, max: &str, min: &str) -> Settings {
        let vars = [
            ("CRM__DATABASE__URL", url),
            ("CRM__DATABASE__MAX_CONNECTIONS", max),
            ("CRM__DATABASE__MIN_CONNECTIONS", min),
        ];
        Settings::load_from(Sources {
            env_name: None,
            config_dir: Some(std::path::PathBuf::from("/nonexistent")),
            vars: Some(
                vars.iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            ),
        })
        .unwrap()
    }

    #[test]
    fn workers_share_the_configured_pool_and_start_up_keeps_two() {
        for url in ["postgres://u@db/crm", "mysql://u@db/crm"] {
            let (main, worker) = pool_sizes(settings(url, "10", "3").db(), 2);
            let worker = worker.unwrap();
            assert_eq!(
                (main.max_connections, main.min_connections),
                (2, 2),
                "{url}"
            );
            assert_eq!((worker.max_connections, worker.min_connections), (5, 2));
        }
        // Fewer connections than workers still gives each worker one.
        let (_, worker) = pool_sizes(settings("postgres://u@db/crm", "1", "0").db(), 4);
        assert_eq!(worker.unwrap().max_connections, 1);
    }

    #[test]
    fn an_outbox_pass_claims_what_fits_in_its_lease() {
        let mut mail = settings("sqlite://x.db", "10", "0").mail;
        mail.transport = "file".into();
        assert_eq!(outbox_batch(&mail), 20);
        mail.transport = "smtp".into();
        (mail.lease_secs, mail.smtp.timeout_secs) = (120, 10);
        assert_eq!(outbox_batch(&mail), 11);
        (mail.lease_secs, mail.smtp.timeout_secs) = (3, 1);
        assert_eq!(outbox_batch(&mail), 2);
        (mail.lease_secs, mail.smtp.timeout_secs) = (11, 10);
        assert_eq!(outbox_batch(&mail), 1);
        assert_eq!(lease(u64::MAX), chrono::Duration::MAX);
    }

    #[test]
    fn sqlite_keeps_one_shared_pool_of_the_configured_size() {
        let (main, worker) = pool_sizes(settings("sqlite://data/x.db?mode=rwc", "10", "0").db(), 2);
        assert!(worker.is_none());
        assert_eq!(main.max_connections, 10);
    }
}
