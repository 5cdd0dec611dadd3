//! The HTTP face of the CRM: settings, CLI, actix-web wiring, routes, problem+json, OpenAPI.
//! Business rules live in the domain crates; this crate only translates.

pub mod access;
pub mod adapters;
pub mod app;
pub mod auth;
pub mod cli;
pub mod export;
pub mod framework_errors;
pub mod http;
pub mod idempotency;
mod legacy_import;
pub mod list_params;
pub mod notification_streams;
pub mod openapi;
#[cfg(test)]
mod openapi_patterns_tests;
pub mod problem;
pub mod rate_limit;
pub mod read_replica;
pub mod request_guard;
pub mod request_id;
pub mod routes;
pub mod settings;
pub mod telemetry;

use cli::{AdminAction, Cli, Command, MigrateAction};
use crm_db::{Database, Migrator, MigratorTrait};
use settings::Settings;

/// Runs the command line; returns the process exit code.
pub async fn main_with(cli: Cli) -> i32 {
    let settings = match Settings::load() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("crm: {e}");
            return 2;
        }
    };
    telemetry::init(&settings);
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(settings).await,
        Command::Migrate { action } => migrate(&settings, action).await,
        Command::Admin { action } => admin(&settings, action).await,
        Command::Import { action } => legacy_import::run(&settings, action).await,
    };
    match result {
        Ok(()) => 0,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("crm: {e}");
            1
        }
    }
}

async fn serve(settings: Settings) -> Result<(), String> {
    let running = app::start(settings, None)
        .await
        .map_err(|e| e.to_string())?;
    // actix handles SIGTERM/SIGINT: it stops accepting and lets in-flight requests finish.
    // Notification streams never finish by themselves: the same signals end them, so the
    // graceful stop does not wait for them.
    let streams = running.streams.clone();
    let stream_closer = tokio::spawn(async move {
        shutdown_signal().await;
        streams.close();
    });
    let result = running.server.await.map_err(|e| e.to_string());
    stream_closer.abort();
    for task in running.background {
        task.abort();
    }
    result
}

/// SIGINT or SIGTERM.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut term) = signal(SignalKind::terminate()) else {
            let _ = tokio::signal::ctrl_c().await;
            return;
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

async fn migrate(settings: &Settings, action: MigrateAction) -> Result<(), String> {
    let db = Database::connect_with_retry(&settings.db().for_migrations()).await?;
    let r = match action {
        MigrateAction::Up => Migrator::up(&db.conn, None).await,
        MigrateAction::Down { all: true, .. } => Migrator::down(&db.conn, None).await,
        MigrateAction::Down { steps, .. } => Migrator::down(&db.conn, Some(steps)).await,
        MigrateAction::Fresh => Migrator::fresh(&db.conn).await,
        MigrateAction::Status => {
            let list = Migrator::get_migration_with_status(&db.conn)
                .await
                .map_err(|e| e.to_string())?;
            for m in list {
                println!("{:<10} {}", m.status().to_string(), m.name());
            }
            Ok(())
        }
    };
    r.map_err(|e| format!("migration failed: {e}"))?;
    println!("ok");
    Ok(())
}

async fn admin(settings: &Settings, action: AdminAction) -> Result<(), String> {
    use crm_domain::identity::{BootstrapAdminInput, BootstrapOutcome, PlainPassword};
    let AdminAction::Create {
        email,
        password,
        name,
        organization,
    } = action;
    let db = migrated_database(settings).await?;
    let state = app::AppState::new(db, settings);
    let organization_name = organization.unwrap_or_else(|| settings.bootstrap.organization.clone());
    let outcome = state
        .identity
        .auth
        .bootstrap_admin(BootstrapAdminInput {
            email,
            password: PlainPassword::new(password),
            name,
            organization_name,
        })
        .await
        .map_err(|e| match e {
            crm_domain::DomainError::Invalid(errors) => errors
                .iter()
                .map(|f| format!("{}: {}", f.field, f.message))
                .collect::<Vec<_>>()
                .join("; "),
            other => other.to_string(),
        })?;
    match outcome {
        BootstrapOutcome::Created(u) => {
            println!(
                "created admin {} ({}) in organization {}",
                u.email.as_str(),
                u.id,
                u.organization_id
            );
            Ok(())
        }
        BootstrapOutcome::AlreadyExists(u) => Err(format!(
            "a user with email {} already exists",
            u.email.as_str()
        )),
    }
}

/// The server's database for a one-off command, migrated first unless
/// `CRM__DATABASE__AUTO_MIGRATE=false` (as `serve` does).
pub(crate) async fn migrated_database(settings: &Settings) -> Result<Database, String> {
    if settings.database.auto_migrate {
        Database::migrate_up(&settings.db()).await?;
    }
    Database::connect_with_retry(&settings.db()).await
}
