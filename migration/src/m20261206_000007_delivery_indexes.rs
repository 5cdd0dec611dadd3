//! Leaner indexes on `webhook_deliveries`, measured by `make bench` (create lead with webhooks
//! subscribed): every delivery is inserted, then updated once with its outcome, and on
//! PostgreSQL that update writes a new entry into every index of the row.
//!
//! - The worker's index holds the pending deliveries only: `ix_webhook_deliveries_pending`, a
//!   partial index on PostgreSQL and SQLite, matched by the claim's literal
//!   `status = 'pending'` (MariaDB has no partial indexes and keeps `(status,
//!   next_attempt_at)`). A finished delivery leaves it, so it stays as small as the work in
//!   hand.
//! - `(status, created_at)` goes: the clean-up walks the primary key instead (delivery ids are
//!   UUIDv7, ordered by creation).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

async fn drop(m: &SchemaManager<'_>, name: &str) -> Result<(), DbErr> {
    let sql = match m.get_database_backend() {
        DatabaseBackend::MySql => format!("DROP INDEX {name} ON webhook_deliveries"),
        _ => format!("DROP INDEX {name}"),
    };
    m.get_connection()
        .execute_unprepared(&sql)
        .await
        .map(|_| ())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop(m, "ix_webhook_deliveries_finished").await?;
        if m.get_database_backend() != DatabaseBackend::MySql {
            drop(m, "ix_webhook_deliveries_due").await?;
            m.get_connection()
                .execute_unprepared(
                    "CREATE INDEX ix_webhook_deliveries_pending ON webhook_deliveries \
                     (next_attempt_at) WHERE status = 'pending'",
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() != DatabaseBackend::MySql {
            drop(m, "ix_webhook_deliveries_pending").await?;
            crate::schema::index(
                m,
                "ix_webhook_deliveries_due",
                "webhook_deliveries",
                &["status", "next_attempt_at"],
                false,
            )
            .await?;
        }
        crate::schema::index(
            m,
            "ix_webhook_deliveries_finished",
            "webhook_deliveries",
            &["status", "created_at"],
            false,
        )
        .await
    }
}
