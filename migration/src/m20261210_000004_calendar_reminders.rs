//! Calendar reminders (contract section 9, "each attendee is notified `reminder_minutes`
//! before each occurrence, once"): `calendar_reminders_sent`, one row per reminder told.
//!
//! - Keyed by `(organization_id, event_id, recurrence_id, minutes, user_id)`: the job
//!   inserts or skips each row in the transaction of the notifications it writes, so a
//!   retry, a crash or a second instance never tells anyone twice.
//! - Rows go with their event (cascade) and their organization.
//! - `ix_calendar_events_next_reminder`: the job reads only the events whose
//!   `next_reminder_at` has come (set to the write's time by every write of an event with
//!   reminders and a series not over, then by the job to the next reminder time it computed),
//!   across organizations: one index range of what is due, whatever the number of series.

use crate::schema::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const SENT: &str = "calendar_reminders_sent";
const IX_NEXT: &str = "ix_calendar_events_next_reminder";

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
            IX_NEXT,
            "calendar_events",
            &["next_reminder_at", "id"],
            false,
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name(IX_NEXT)
                .table("calendar_events")
                .to_owned(),
        )
        .await?;
        m.drop_table(Table::drop().table(SENT).if_exists().to_owned())
            .await?;
        Ok(())
    }
}
