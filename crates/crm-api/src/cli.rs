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
    /// Bring data in from elsewhere.
    Import {
        #[command(subcommand)]
        action: ImportAction,
    },
}

#[derive(Subcommand, Debug)]
pub enum ImportAction {
    /// Import the original Node.js server's MySQL database into this server's database
    /// (CRM__DATABASE__URL): one organization per tenant owner, users with their passwords,
    /// and their records, each keeping its old id as `legacy_id`. Running it again updates
    /// what changed and creates nothing twice. One transaction: a failed run writes nothing.
    Legacy {
        /// The source database, `mysql://user:password@host:port/database`.
        #[arg(long, value_name = "URL")]
        from: String,
        /// Read, check and write everything, then roll back: the same summary, nothing kept.
        #[arg(long)]
        dry_run: bool,
        /// Where the CSV report (`table,legacy_id,reason`) goes. Default:
        /// ./legacy-import-report-<timestamp>.csv
        #[arg(long, value_name = "PATH")]
        report: Option<std::path::PathBuf>,
        /// The offset from UTC of the old database's times (`DATETIME`s are wall-clock times:
        /// Sequelize wrote them at its configured `timezone`), e.g. `+05:30`, `-04:00`, `Z`.
        /// Default: +05:30, the original server's.
        #[arg(long, value_name = "±HH:MM", value_parser = parse_offset)]
        source_offset: Option<i32>,
    },
}

/// `+05:30`, `-0400`, `+5`, `Z`: seconds east of UTC, within ±14 hours.
fn parse_offset(s: &str) -> Result<i32, String> {
    let bad = || format!("{s:?} is not an offset from UTC such as +05:30, -04:00 or Z");
    let t = s.trim();
    if t.eq_ignore_ascii_case("z") {
        return Ok(0);
    }
    let (sign, rest) = match t.as_bytes().first() {
        Some(b'+') => (1, &t[1..]),
        Some(b'-') => (-1, &t[1..]),
        _ => return Err(bad()),
    };
    let (h, m) = match rest.split_once(':') {
        Some((h, m)) => (h, m),
        None if rest.len() == 4 => rest.split_at(2),
        None => (rest, "0"),
    };
    let h: i32 = h.parse().map_err(|_| bad())?;
    let m: i32 = m.parse().map_err(|_| bad())?;
    if !(0..=14).contains(&h) || !(0..60).contains(&m) || (h == 14 && m > 0) {
        return Err(bad());
    }
    Ok(sign * (h * 3600 + m * 60))
}

#[cfg(test)]
mod offset_tests {
    use super::parse_offset;

    #[test]
    fn offsets_read_as_seconds_east_of_utc() {
        assert_eq!(parse_offset("+05:30"), Ok(19_800));
        assert_eq!(parse_offset("-04:00"), Ok(-14_400));
        assert_eq!(parse_offset("+0545"), Ok(20_700));
        assert_eq!(parse_offset("+5"), Ok(18_000));
        assert_eq!(parse_offset("Z"), Ok(0));
        for bad in ["05:30", "+15:00", "+05:60", "+ab", ""] {
            assert!(parse_offset(bad).is_err(), "{bad}");
        }
    }
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
