//! Attendance (contract section 8): punches (`attendance_records`), whether the person
//! checked in themselves (`source` `self`) or HR wrote them (`hr`). Days and summaries are
//! derived from these rows, the schedules, holidays and approved leave, never stored.
//!
//! - One open punch per person, guaranteed by the database: `open_employee_id` holds the
//!   employee while the punch is open and `NULL` once it is closed, under the unique key
//!   `ux_attendance_records_open` (every backend lets `NULL`s repeat in a unique key, and
//!   MariaDB has no partial index).
//! - `ix_attendance_records_person` serves the overlap check (a person's punches by
//!   check-in) and the days' set-based read of many people's punches over a range.
//! - A punch's employee restricts the deletion of the employee (`409 employee-in-use`).
//! - The `employee` role's `attendance:read:own` and `attendance:write:own` were granted by
//!   the HR core's migration.

use crate::schema::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const RECORDS: &str = "attendance_records";

const INDEXES: &[(&str, &str, &[&str], bool)] = &[
    (RECORDS, "ux_attendance_records_open", &["organization_id", "open_employee_id"], true),
    (
        RECORDS,
        "ix_attendance_records_person",
        &["organization_id", "employee_id", "check_in_at"],
        false,
    ),
    (RECORDS, "ix_attendance_records_created", &["organization_id", "created_at", "id"], false),
    (RECORDS, "ix_attendance_records_updated", &["organization_id", "updated_at", "id"], false),
    (RECORDS, "ix_attendance_records_check_in", &["organization_id", "check_in_at", "id"], false),
    (RECORDS, "ix_attendance_records_source", &["organization_id", "source", "id"], false),
    (RECORDS, "ix_attendance_records_employee", &["employee_id"], false),
];

const NULLABLE_SORTS: &[(&str, &str, &str)] =
    &[(RECORDS, "ix_attendance_records_check_out", "check_out_at")];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let b = m.get_database_backend();
        m.create_table(
            resource_table(b, RECORDS)
                .col(uuid("employee_id"))
                .col(ts(b, "check_in_at"))
                .col(ts_null(b, "check_out_at"))
                .col(uuid_null("open_employee_id"))
                .col(string_null("note", 1000))
                .col(string("source", 8))
                .foreign_key(&mut restrict_fk(RECORDS, "employee_id", "employees"))
                .to_owned(),
        )
        .await?;
        for (table, name, cols, unique) in INDEXES {
            index(m, name, table, cols, *unique).await?;
        }
        for (table, name, field) in NULLABLE_SORTS {
            nullable_sort_index(m, name, table, field).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(RECORDS).if_exists().to_owned())
            .await
    }
}
