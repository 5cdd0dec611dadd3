//! The database schema, as sea-orm-migration migrations. Run by `crm migrate …` and, unless
//! `CRM__DATABASE__AUTO_MIGRATE=false`, at `crm serve` start.
//!
//! Rules every migration follows (see docs/ARCHITECTURE.md):
//! - file name `mYYYYMMDD_NNNNNN_what.rs` (the recorded migration name comes from it, and
//!   `build.rs` lists every such file, in name order: adding a migration is adding its file);
//! - a working `down`;
//! - money in integer minor units (`BIGINT`) on every backend;
//! - timestamps through [`schema::ts`], which is `DATETIME(6)` on MySQL/MariaDB (no 2038 limit, no
//!   time-zone conversion) and `timestamptz` on PostgreSQL;
//! - every business table starts with `organization_id`, and so does every index on it.

pub use sea_orm_migration::prelude::*;

// `mod mYYYYMMDD_NNNNNN_what;` for every migration file and `listed()`, by `build.rs`.
include!(concat!(env!("OUT_DIR"), "/migrations.rs"));

pub mod schema;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        listed()
    }
}
