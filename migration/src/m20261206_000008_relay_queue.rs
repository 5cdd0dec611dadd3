//! On PostgreSQL, the webhook relay's work list becomes a queue table, `event_relay`, instead
//! of the `relay` mark on `activities` (measured by `make bench`, create lead with webhooks).
//!
//! Clearing the mark was an update of the audit row, and on PostgreSQL an update of a column
//! that an index reads is never HOT: every one of the table's eight indexes got a new entry for
//! each relayed event, and vacuum had a dead row to remove. Now the audit INSERT writes the
//! queue row itself (a data-modifying CTE, so still one statement, and nothing at all for an
//! organization without webhooks), and the relay deletes it: one small heap row and one
//! primary-key entry per event. SQLite (one in-process writer) and MariaDB (no data-modifying
//! CTE, and triggers there need privileges a managed database may not grant) keep the mark.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        let db = m.get_connection();
        db.execute_unprepared("CREATE TABLE event_relay (activity_id uuid PRIMARY KEY)")
            .await?;
        // Entries marked but not yet relayed move to the queue.
        db.execute_unprepared(
            "INSERT INTO event_relay (activity_id) SELECT id FROM activities WHERE relay = TRUE",
        )
        .await?;
        db.execute_unprepared("UPDATE activities SET relay = FALSE WHERE relay = TRUE")
            .await?;
        db.execute_unprepared("DROP INDEX ix_activities_relay").await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        let db = m.get_connection();
        db.execute_unprepared(
            "CREATE INDEX ix_activities_relay ON activities (id) WHERE relay = TRUE",
        )
        .await?;
        db.execute_unprepared(
            "UPDATE activities SET relay = TRUE WHERE id IN (SELECT activity_id FROM event_relay)",
        )
        .await?;
        db.execute_unprepared("DROP TABLE event_relay").await?;
        Ok(())
    }
}
