//! The `crm` command line.

use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "crm",
    version,
    about = "CRM and business backend: REST API under /api/v1.",
    long_about = "CRM and business backend: REST API under /api/v1.\n\nSettings come from compiled-in defaults, config/default.toml, config/$CRM_ENV.toml and CRM__SECTION__KEY environment variables (see README). With no subcommand, `crm` serves."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the HTTP server (the default). Applies pending migrations first unless
    /// CRM__DATABASE__AUTO_MIGRATE=false.
    Serve,
    /// Manage the database schema.
    Migrate {
        #[command(subcommand)]
        action: MigrateAction,
    },
    /// Administrative tasks.
    Admin {
        #[command(subcommand)]
        action: AdminAction,
    },
}

#[derive(Subcommand, Debug)]
pub enum MigrateAction {
    /// Apply every pending migration.
    Up,
    /// Roll back the last migration, or `--steps N`, or `--all`.
    Down {
        #[arg(long, default_value_t = 1, conflicts_with = "all")]
        steps: u32,
        #[arg(long)]
        all: bool,
    },
    /// List migrations and whether each is applied.
    Status,
    /// Drop every table and apply all migrations again (destroys all data).
    Fresh,
}

#[derive(Subcommand, Debug)]
pub enum AdminAction {
    /// Create a verified admin user (and its organization when missing).
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        password: String,
        #[arg(long)]
        name: String,
        /// Default: CRM__BOOTSTRAP__ORGANIZATION ("Default").
        #[arg(long)]
        organization: Option<String>,
    },
}
