//! Webhooks (contract section 5): subscriptions with their sealed secrets, the delivery log,
//! and the relay mark on `activities`.
//!
//! An audit entry that carries an event is written with `relay` set when its organization has
//! an active webhook at that moment (a subquery of the same INSERT, so a write pays no extra
//! round trip and an organization without webhooks pays nothing). The relay worker claims the
//! marked rows, writes one delivery per matching webhook and clears the mark; the delivery
//! worker claims due deliveries. Both poll through small indexes: a partial index of the
//! marked rows (PostgreSQL, SQLite; `(relay, id)` on MariaDB, which has no partial indexes)
//! and `(status, next_attempt_at)`.

use crate::schema::*;
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let b = m.get_database_backend();
        m.create_table(
            resource_table(b, "webhooks")
                .col(text("url"))
                .col(json("event_types"))
                .col(string_null("description", 500))
                .col(boolean("is_active", true))
                // The signing key, sealed with a key derived from the server secret.
                .col(text("secret"))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ix_webhooks_org_created",
            "webhooks",
            &["organization_id", "created_at", "id"],
            false,
        )
        .await?;
        // The relay mark's subquery: does the organization have an active webhook?
        index(
            m,
            "ix_webhooks_org_active",
            "webhooks",
            &["organization_id", "is_active"],
            false,
        )
        .await?;

        m.create_table(
            Table::create()
                .table("webhook_deliveries")
                .if_not_exists()
                .col(id())
                .col(uuid("organization_id"))
                .col(uuid("webhook_id"))
                .col(uuid("event_id"))
                .col(string("event_type", 130))
                .col(string("status", 16))
                .col(integer("attempts", 0))
                .col(integer_null("last_status_code"))
                .col(text_null("last_error"))
                .col(ts_null(b, "next_attempt_at"))
                .col(ts_null(b, "locked_until"))
                .col(ts(b, "created_at"))
                .col(ts(b, "updated_at"))
                .foreign_key(&mut org_fk("webhook_deliveries"))
                .foreign_key(&mut cascade_fk(
                    "webhook_deliveries",
                    "webhook_id",
                    "webhooks",
                ))
                .to_owned(),
        )
        .await?;
        // One delivery per event and webhook, whatever the number of relays.
        index(
            m,
            "ux_webhook_deliveries_webhook_event",
            "webhook_deliveries",
            &["webhook_id", "event_id"],
            true,
        )
        .await?;
        index(
            m,
            "ix_webhook_deliveries_org_webhook",
            "webhook_deliveries",
            &["organization_id", "webhook_id", "created_at", "id"],
            false,
        )
        .await?;
        // What the delivery worker polls, and what the clean-up walks.
        index(
            m,
            "ix_webhook_deliveries_due",
            "webhook_deliveries",
            &["status", "next_attempt_at"],
            false,
        )
        .await?;
        index(
            m,
            "ix_webhook_deliveries_finished",
            "webhook_deliveries",
            &["status", "created_at"],
            false,
        )
        .await?;

        m.alter_table(
            Table::alter()
                .table("activities")
                .add_column(boolean("relay", false))
                .to_owned(),
        )
        .await?;
        let db = m.get_connection();
        let relay_index = match b {
            DatabaseBackend::MySql => "CREATE INDEX ix_activities_relay ON activities (relay, id)",
            // `relay = TRUE` in the index and, literally, in the relay's query: SQLite uses a
            // partial index only for a term written the same way (PostgreSQL reads both as
            // `relay`).
            _ => "CREATE INDEX ix_activities_relay ON activities (id) WHERE relay = TRUE",
        };
        db.execute_unprepared(relay_index).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ix_activities_relay")
                .table("activities")
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("activities")
                .drop_column("relay")
                .to_owned(),
        )
        .await?;
        for t in ["webhook_deliveries", "webhooks"] {
            m.drop_table(Table::drop().table(t).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
