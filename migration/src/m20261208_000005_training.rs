//! Training (contract section 8): programs, sessions, enrollments. Certifications are read
//! from the enrollments (the latest pass per employee and program), never stored.
//!
//! - A session's program, and an enrollment's session, program and employee, restrict the
//!   deletion of what they name (`409 training-program-in-use`, `training-session-in-use`,
//!   `employee-in-use`).
//! - One enrollment per session and employee (`ux_training_enrollments_person`).
//! - `expiry_told_for` is the job's mark: the `valid_until` whose coming expiry was told
//!   (`certification.expiring`), so it is told once.
//! - The permission codes were added, and granted, by the HR core's migration.

use crate::schema::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const PROGRAMS: &str = "training_programs";
const SESSIONS: &str = "training_sessions";
const ENROLLMENTS: &str = "training_enrollments";

const INDEXES: &[(&str, &str, &[&str], bool)] = &[
    (PROGRAMS, "ix_training_programs_created", &["organization_id", "created_at", "id"], false),
    (PROGRAMS, "ix_training_programs_title", &["organization_id", "title", "id"], false),
    (SESSIONS, "ix_training_sessions_starts", &["organization_id", "starts_at", "id"], false),
    (SESSIONS, "ix_training_sessions_created", &["organization_id", "created_at", "id"], false),
    (SESSIONS, "ix_training_sessions_program", &["program_id"], false),
    (ENROLLMENTS, "ux_training_enrollments_person", &["organization_id", "session_id", "employee_id"], true),
    (ENROLLMENTS, "ix_training_enrollments_created", &["organization_id", "created_at", "id"], false),
    (ENROLLMENTS, "ix_training_enrollments_updated", &["organization_id", "updated_at", "id"], false),
    // The latest pass of a person in a program, and a person's own enrollments.
    (
        ENROLLMENTS,
        "ix_training_enrollments_passes",
        &["organization_id", "employee_id", "program_id", "status", "completed_on"],
        false,
    ),
    (ENROLLMENTS, "ix_training_enrollments_completed", &["organization_id", "completed_on", "id"], false),
    // The expiry job's window, across organizations.
    (ENROLLMENTS, "ix_training_enrollments_expiry", &["valid_until", "status"], false),
    // The foreign keys' checks when a session, program or employee is deleted.
    (ENROLLMENTS, "ix_training_enrollments_session", &["session_id"], false),
    (ENROLLMENTS, "ix_training_enrollments_program", &["program_id"], false),
    (ENROLLMENTS, "ix_training_enrollments_employee", &["employee_id"], false),
];

const NULLABLE_SORTS: &[(&str, &str, &str)] = &[
    (PROGRAMS, "ix_training_programs_category", "category"),
    (ENROLLMENTS, "ix_training_enrollments_valid_until", "valid_until"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let b = m.get_database_backend();
        m.create_table(
            resource_table(b, PROGRAMS)
                .col(string("title", 200))
                .col(text_null("description"))
                .col(string_null("category", 100))
                .col(integer_null("validity_months"))
                .col(boolean("is_mandatory", false))
                .to_owned(),
        )
        .await?;
        m.create_table(
            resource_table(b, SESSIONS)
                .col(uuid("program_id"))
                .col(ts(b, "starts_at"))
                .col(ts(b, "ends_at"))
                .col(string_null("location", 200))
                .col(string_null("trainer", 200))
                .col(integer_null("capacity"))
                .col(string("status", 16))
                .foreign_key(&mut restrict_fk(SESSIONS, "program_id", PROGRAMS))
                .to_owned(),
        )
        .await?;
        m.create_table(
            resource_table(b, ENROLLMENTS)
                .col(uuid("session_id"))
                .col(uuid("program_id"))
                .col(uuid("employee_id"))
                .col(string("status", 16))
                .col(integer_null("score"))
                .col(text_null("notes"))
                .col(date_null("completed_on"))
                .col(date_null("valid_until"))
                .col(date_null("expiry_told_for"))
                .foreign_key(&mut restrict_fk(ENROLLMENTS, "session_id", SESSIONS))
                .foreign_key(&mut restrict_fk(ENROLLMENTS, "program_id", PROGRAMS))
                .foreign_key(&mut restrict_fk(ENROLLMENTS, "employee_id", "employees"))
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
        for table in [ENROLLMENTS, SESSIONS, PROGRAMS] {
            m.drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
