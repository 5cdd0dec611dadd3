//! The database schema, as sea-orm-migration migrations. Run by `crm migrate …` and, unless
//! `CRM__DATABASE__AUTO_MIGRATE=false`, at `crm serve` start.
//!
//! Rules every migration follows (see docs/ARCHITECTURE.md):
//! - file name `mYYYYMMDD_NNNNNN_what.rs` (the recorded migration name comes from it);
//! - a working `down`;
//! - money in integer minor units (`BIGINT`) on every backend;
//! - timestamps through [`schema::ts`], which is `DATETIME(6)` on MySQL/MariaDB (no 2038 limit, no
//!   time-zone conversion) and `timestamptz` on PostgreSQL;
//! - every business table starts with `organization_id`, and so does every index on it.

pub use sea_orm_migration::prelude::*;

mod m20261122_000001_kernel;
mod m20261122_000002_identity;
mod m20261122_000003_clients;
mod m20261122_000004_sales;
mod m20261205_000001_sort_indexes;
mod m20261205_000002_code_requests;
mod m20261206_000001_job_runs;
mod m20261206_000002_events;
mod m20261206_000003_idempotency_keys;
mod m20261206_000004_webhooks;
mod m20261206_000005_notifications;
mod m20261206_000006_files;
mod m20261206_000007_delivery_indexes;
pub mod schema;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_kernel::Migration),
            Box::new(m20261122_000002_identity::Migration),
            Box::new(m20261122_000003_clients::Migration),
            Box::new(m20261122_000004_sales::Migration),
            Box::new(m20261205_000001_sort_indexes::Migration),
            Box::new(m20261205_000002_code_requests::Migration),
            Box::new(m20261206_000001_job_runs::Migration),
            Box::new(m20261206_000002_events::Migration),
            Box::new(m20261206_000003_idempotency_keys::Migration),
            Box::new(m20261206_000004_webhooks::Migration),
            Box::new(m20261206_000005_notifications::Migration),
            Box::new(m20261206_000006_files::Migration),
            Box::new(m20261206_000007_delivery_indexes::Migration),
        ]
    }
}
