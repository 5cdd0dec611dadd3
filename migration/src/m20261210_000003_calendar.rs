//! Calendar events (contract section 9): `calendar_events`, the attendees' responses
//! `calendar_event_attendees` and the single-occurrence changes `calendar_event_overrides`.
//!
//! - An override is keyed by its event and the occurrence's original start
//!   (`recurrence_id`) and holds the occurrence's fields as changed; a cancelled occurrence
//!   is an `exdate` of the event instead. Both go with their event.
//! - An event's attendees are stored twice, in the same transaction: `attendee_ids` (the
//!   record as read, one row) and `calendar_event_attendees` (one row per attendee with their
//!   `response`, what visibility narrows by through `ix_calendar_event_attendees_user`).
//! - `series_until` is computed by the domain on every write: the end of the last occurrence
//!   (a single event's `ends_at`), NULL for a series without end. The occurrences of a range
//!   select their candidate events with `starts_at < to AND (series_until IS NULL OR
//!   series_until > from)`, a range of `ix_calendar_events_starts`.
//! - `exdates` and `reminder_minutes` are JSON arrays of the record.
//! - `next_reminder_at` is not part of the record: when the reminder job next looks at the
//!   event (set by every write, then by the job; see `m20261210_000004`).
//! - No foreign key to `users`: users are deactivated, not deleted, and an event keeps the
//!   people it named.
//! - The `calendar_events:*` codes were in the catalogue and granted (`:own`) to every
//!   seeded role by the identity migration; nothing to grant here.

use crate::schema::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const EVENTS: &str = "calendar_events";
const ATTENDEES: &str = "calendar_event_attendees";
const OVERRIDES: &str = "calendar_event_overrides";

/// `(table, index, columns, unique)`: each list's filters and sorts, starting with
/// `organization_id`.
const INDEXES: &[(&str, &str, &[&str], bool)] = &[
    (EVENTS, "ix_calendar_events_created", &["organization_id", "created_at", "id"], false),
    (EVENTS, "ix_calendar_events_updated", &["organization_id", "updated_at", "id"], false),
    (EVENTS, "ix_calendar_events_title", &["organization_id", "title", "id"], false),
    (EVENTS, "ix_calendar_events_starts", &["organization_id", "starts_at", "id"], false),
    (EVENTS, "ix_calendar_events_ends", &["organization_id", "ends_at", "id"], false),
    (
        EVENTS,
        "ix_calendar_events_organizer",
        &["organization_id", "organizer_id", "starts_at"],
        false,
    ),
    (
        EVENTS,
        "ix_calendar_events_record",
        &["organization_id", "record_type", "record_id"],
        false,
    ),
    (
        ATTENDEES,
        "ix_calendar_event_attendees_user",
        &["user_id", "event_id"],
        false,
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let b = m.get_database_backend();
        m.create_table(
            resource_table(b, EVENTS)
                .col(string("title", 200))
                .col(text_null("description"))
                .col(string_null("location", 500))
                .col(ts(b, "starts_at"))
                .col(ts(b, "ends_at"))
                .col(boolean("all_day", false))
                .col(date_null("start_date"))
                .col(date_null("end_date"))
                .col(string_null("time_zone", 64))
                .col(string_null("recurrence", 500))
                .col(json("exdates"))
                .col(json("attendee_ids"))
                .col(string_null("record_type", 40))
                .col(uuid_null("record_id"))
                .col(json("reminder_minutes"))
                .col(uuid("organizer_id"))
                .col(ts_null(b, "series_until"))
                .col(ts_null(b, "next_reminder_at"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ATTENDEES)
                .if_not_exists()
                .col(uuid("organization_id"))
                .col(uuid("event_id"))
                .col(uuid("user_id"))
                .col(string("response", 16))
                .col(ts(b, "created_at"))
                .primary_key(Index::create().col("event_id").col("user_id"))
                .foreign_key(&mut org_fk(ATTENDEES))
                .foreign_key(&mut cascade_fk(ATTENDEES, "event_id", EVENTS))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(OVERRIDES)
                .if_not_exists()
                .col(uuid("organization_id"))
                .col(uuid("event_id"))
                .col(ts(b, "recurrence_id"))
                .col(string("title", 200))
                .col(text_null("description"))
                .col(string_null("location", 500))
                .col(ts(b, "starts_at"))
                .col(ts(b, "ends_at"))
                .col(ts(b, "created_at"))
                .col(ts(b, "updated_at"))
                .primary_key(Index::create().col("event_id").col("recurrence_id"))
                .foreign_key(&mut org_fk(OVERRIDES))
                .foreign_key(&mut cascade_fk(OVERRIDES, "event_id", EVENTS))
                .to_owned(),
        )
        .await?;
        for (table, name, cols, unique) in INDEXES {
            index(m, name, table, cols, *unique).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [OVERRIDES, ATTENDEES, EVENTS] {
            m.drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
