//! The people core of HR (contract section 8): work schedules, holidays, employees; the HR
//! permission codes of the catalogue's new resources, granted to the seeded roles of the
//! organizations that already exist.
//!
//! - One default schedule per organization: `default_key` holds the organization's id on the
//!   default and NULL elsewhere, under a unique key (NULLs never collide).
//! - One holiday per organization and date (a unique key).
//! - `employee_number` unique per organization; a user is linked to at most one employee of
//!   it (`ux_employees_user`, NULLs never collide); an employee's user may be deleted (the
//!   link goes, the employee stays).
//! - `manager_id` restricts the deletion of a manager (the service answers `409` first); a
//!   schedule employees follow cannot be deleted.
//! - Departments and designations have no foreign key from employees (as from users): their
//!   repositories check for employees before a delete.

use crate::schema::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const SCHEDULES: &str = "work_schedules";
const HOLIDAYS: &str = "holidays";
const EMPLOYEES: &str = "employees";

const INDEXES: &[(&str, &str, &[&str], bool)] = &[
    (SCHEDULES, "ux_work_schedules_default", &["default_key"], true),
    (SCHEDULES, "ix_work_schedules_org", &["organization_id", "created_at", "id"], false),
    (HOLIDAYS, "ux_holidays_date", &["organization_id", "date"], true),
    (HOLIDAYS, "ix_holidays_year", &["organization_id", "year", "date"], false),
    (EMPLOYEES, "ux_employees_number", &["organization_id", "employee_number"], true),
    (EMPLOYEES, "ux_employees_user", &["organization_id", "user_id"], true),
    (EMPLOYEES, "ix_employees_created", &["organization_id", "created_at", "id"], false),
    (EMPLOYEES, "ix_employees_updated", &["organization_id", "updated_at", "id"], false),
    (EMPLOYEES, "ix_employees_last_name", &["organization_id", "last_name", "id"], false),
    (EMPLOYEES, "ix_employees_first_name", &["organization_id", "first_name", "id"], false),
    (EMPLOYEES, "ix_employees_hire_date", &["organization_id", "hire_date", "id"], false),
    (EMPLOYEES, "ix_employees_status", &["organization_id", "status", "id"], false),
    (EMPLOYEES, "ix_employees_manager", &["organization_id", "manager_id", "id"], false),
    (EMPLOYEES, "ix_employees_department", &["organization_id", "department_id", "id"], false),
    (EMPLOYEES, "ix_employees_schedule", &["work_schedule_id"], false),
];

const NULLABLE_SORTS: &[(&str, &str, &str)] = &[
    (EMPLOYEES, "ix_employees_email", "email"),
    (EMPLOYEES, "ix_employees_termination", "termination_date"),
];

/// The HR codes new in the catalogue: `hr` holds all of HR, `manager` reads it, every
/// seeded role below admin its own balances, enrollments, certifications and interviews and
/// the organization's schedules and holidays.
const GRANTS: &[(&str, &[&str])] = &[
    (
        "hr",
        &[
            "work_schedules:read",
            "work_schedules:write",
            "work_schedules:delete",
            "holidays:read",
            "holidays:write",
            "holidays:delete",
            "leave_balances:read",
            "leave_balances:read:own",
            "leave_adjustments:write",
            "training_programs:read",
            "training_programs:write",
            "training_programs:delete",
            "training_sessions:read",
            "training_sessions:write",
            "training_sessions:delete",
            "training_enrollments:read",
            "training_enrollments:write",
            "training_enrollments:read:own",
            "certifications:read",
            "certifications:read:own",
            "candidates:read",
            "candidates:write",
            "candidates:delete",
            "offers:read",
            "offers:write",
            "offers:delete",
        ],
    ),
    (
        "manager",
        &[
            "work_schedules:read",
            "holidays:read",
            "leave_balances:read",
            "training_programs:read",
            "training_sessions:read",
            "training_enrollments:read",
            "certifications:read",
            "candidates:read",
            "offers:read",
        ],
    ),
];
const EVERY_ROLE: &[&str] = &[
    "work_schedules:read",
    "holidays:read",
    "leave_balances:read:own",
    "training_enrollments:read:own",
    "certifications:read:own",
    "interviews:read:own",
];

/// Codes the catalogue no longer has (`trainings` became programs, sessions, enrollments and
/// certifications).
const REVOKED: &[&str] = &["trainings:read", "trainings:write", "trainings:delete"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let b = m.get_database_backend();
        m.create_table(
            resource_table(b, SCHEDULES)
                .col(string("name", 100))
                .col(string("time_zone", 64))
                .col(json("days"))
                .col(integer("late_grace_minutes", 0))
                .col(integer("half_day_minutes", 0))
                .col(boolean("is_default", false))
                .col(uuid_null("default_key"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            resource_table(b, HOLIDAYS)
                .col(date("date"))
                .col(string("name", 200))
                .col(integer("year", 0))
                .to_owned(),
        )
        .await?;
        let mut user_fk = cascade_fk(EMPLOYEES, "user_id", "users");
        user_fk.on_delete(ForeignKeyAction::SetNull);
        m.create_table(
            resource_table(b, EMPLOYEES)
                .col(uuid_null("user_id"))
                .col(string("employee_number", 32))
                .col(string("first_name", 100))
                .col(string("last_name", 100))
                .col(string_null("email", 254))
                .col(string_null("phone", 50))
                .col(uuid_null("department_id"))
                .col(uuid_null("designation_id"))
                .col(uuid_null("manager_id"))
                .col(date("hire_date"))
                .col(string("employment_type", 16))
                .col(string("status", 16))
                .col(uuid("work_schedule_id"))
                .col(date_null("date_of_birth"))
                .col(text_null("address"))
                .col(json_null("emergency_contact"))
                .col(date_null("termination_date"))
                .col(text_null("termination_reason"))
                .foreign_key(&mut user_fk)
                .foreign_key(&mut restrict_fk(EMPLOYEES, "manager_id", EMPLOYEES))
                .foreign_key(&mut restrict_fk(EMPLOYEES, "work_schedule_id", SCHEDULES))
                .to_owned(),
        )
        .await?;
        for (table, name, cols, unique) in INDEXES {
            index(m, name, table, cols, *unique).await?;
        }
        for (table, name, field) in NULLABLE_SORTS {
            nullable_sort_index(m, name, table, field).await?;
        }
        revoke_from_roles(m, REVOKED).await?;
        grant_to_seeded_roles(m, GRANTS, EVERY_ROLE).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [EMPLOYEES, HOLIDAYS, SCHEDULES] {
            m.drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
