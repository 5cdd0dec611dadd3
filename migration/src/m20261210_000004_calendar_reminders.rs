//! Calendar reminders (contract section 9, "each attendee is notified `reminder_minutes`
//! before each occurrence, once"): `calendar_reminders_sent`, one row per reminder told.
//!
//! - Keyed by `(organization_id, event_id, recurrence_id, minutes, user_id)`: the job
//!   inserts or skips each row in the transaction of the notifications it writes, so a
//!   retry, a crash or a second instance never tells anyone twice.
//! - Rows go with their event (cascade) and their organization.
//! - `ix_calendar_events_series_until`: the job's candidates are the events whose series is
//!   not over (`series_until IS NULL OR series_until > now`), across organizations.

use crate::schema::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const SENT: &str = "calendar_reminders_sent";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let b = m.get_database_backend();
        m.create_table(
            Table::create()
                .table(SENT)
                .if_not_exists()
                .col(uuid("organization_id"))
                .col(uuid("event_id"))
                .col(ts(b, "recurrence_id"))
                .col(big("minutes"))
                .col(uuid("user_id"))
                .col(ts(b, "created_at"))
                .primary_key(
                    Index::create()
                        .col("organization_id")
                        .col("event_id")
                        .col("recurrence_id")
                        .col("minutes")
                        .col("user_id"),
                )
                .foreign_key(&mut org_fk(SENT))
                .foreign_key(&mut cascade_fk(SENT, "event_id", "calendar_events"))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ix_calendar_events_series_until",
            "calendar_events",
            &["series_until", "starts_at"],
            false,
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ix_calendar_events_series_until")
                .table("calendar_events")
                .to_owned(),
        )
        .await?;
        m.drop_table(Table::drop().table(SENT).if_exists().to_owned())
            .await?;
        Ok(())
    }
}
