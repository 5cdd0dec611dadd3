//! Leave (contract section 8): leave types, adjustments and requests. Balances and the ledger
//! are derived from these rows and the policy (`crm_hr::leave::balance`), never stored.
//!
//! - Day quantities (`allowance_days`, `carry_forward_max_days`, `allow_negative_days`,
//!   `days`) are integer hundredths of a day (`BIGINT`), never floating point.
//! - A type's `code` is unique per organization (`ux_leave_types_code`).
//! - A request's employee and type, and an adjustment's, restrict the deletion of what they
//!   name (`409 … in-use`).
//! - A request's `parts` are its days per leave year as counted when it was made (JSON
//!   `[["2026-12-28", 300], ["2027-01-01", 200]]`: first date in the year, hundredths), so
//!   the balance replay never recounts a request against a schedule changed since.
//! - `ix_leave_requests_person` serves the overlap check, the balance replay and the
//!   attendance days' approved leave (`crm_hr::leave::LeaveCalendar`).
//! - The permission codes were added, and granted, by the HR core's migration.

use crate::schema::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TYPES: &str = "leave_types";
const REQUESTS: &str = "leave_requests";
const ADJUSTMENTS: &str = "leave_adjustments";

const INDEXES: &[(&str, &str, &[&str], bool)] = &[
    (TYPES, "ux_leave_types_code", &["organization_id", "code"], true),
    (TYPES, "ix_leave_types_created", &["organization_id", "created_at", "id"], false),
    (TYPES, "ix_leave_types_name", &["organization_id", "name", "id"], false),
    (TYPES, "ix_leave_types_updated", &["organization_id", "updated_at", "id"], false),
    (TYPES, "ix_leave_types_code_sort", &["organization_id", "code", "id"], false),
    (TYPES, "ix_leave_types_allowance", &["organization_id", "allowance_days", "id"], false),
    (
        REQUESTS,
        "ix_leave_requests_person",
        &["organization_id", "employee_id", "start_date", "end_date"],
        false,
    ),
    (REQUESTS, "ix_leave_requests_created", &["organization_id", "created_at", "id"], false),
    (REQUESTS, "ix_leave_requests_start", &["organization_id", "start_date", "id"], false),
    (REQUESTS, "ix_leave_requests_updated", &["organization_id", "updated_at", "id"], false),
    (REQUESTS, "ix_leave_requests_end", &["organization_id", "end_date", "id"], false),
    (REQUESTS, "ix_leave_requests_days", &["organization_id", "days", "id"], false),
    (REQUESTS, "ix_leave_requests_status_sort", &["organization_id", "status", "id"], false),
    (REQUESTS, "ix_leave_requests_status", &["organization_id", "status", "start_date"], false),
    (REQUESTS, "ix_leave_requests_type", &["leave_type_id"], false),
    (REQUESTS, "ix_leave_requests_employee", &["employee_id"], false),
    (
        ADJUSTMENTS,
        "ix_leave_adjustments_person",
        &["organization_id", "employee_id", "leave_type_id", "effective_on"],
        false,
    ),
    (ADJUSTMENTS, "ix_leave_adjustments_created", &["organization_id", "created_at", "id"], false),
    (ADJUSTMENTS, "ix_leave_adjustments_type", &["leave_type_id"], false),
    (ADJUSTMENTS, "ix_leave_adjustments_employee", &["employee_id"], false),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let b = m.get_database_backend();
        m.create_table(
            resource_table(b, TYPES)
                .col(string("name", 100))
                .col(string("code", 20))
                .col(boolean("paid", true))
                .col(big("allowance_days"))
                .col(string("accrual", 16))
                .col(big_zero("carry_forward_max_days"))
                .col(integer_null("carry_forward_expiry_days"))
                .col(big_zero("allow_negative_days"))
                .col(boolean("requires_approval", true))
                .col(boolean("is_active", true))
                .to_owned(),
        )
        .await?;
        m.create_table(
            resource_table(b, REQUESTS)
                .col(uuid("employee_id"))
                .col(uuid("leave_type_id"))
                .col(date("start_date"))
                .col(date("end_date"))
                .col(string_null("half_day", 2))
                .col(text_null("reason"))
                .col(big("days"))
                .col(text("parts"))
                .col(string("status", 16))
                .col(uuid_null("requested_by"))
                .col(uuid_null("decided_by"))
                .col(ts_null(b, "decided_at"))
                .col(text_null("decision_note"))
                .foreign_key(&mut restrict_fk(REQUESTS, "employee_id", "employees"))
                .foreign_key(&mut restrict_fk(REQUESTS, "leave_type_id", TYPES))
                .to_owned(),
        )
        .await?;
        m.create_table(
            resource_table(b, ADJUSTMENTS)
                .col(uuid("employee_id"))
                .col(uuid("leave_type_id"))
                .col(date("effective_on"))
                .col(big("days"))
                .col(text("reason"))
                .col(uuid_null("created_by"))
                .foreign_key(&mut restrict_fk(ADJUSTMENTS, "employee_id", "employees"))
                .foreign_key(&mut restrict_fk(ADJUSTMENTS, "leave_type_id", TYPES))
                .to_owned(),
        )
        .await?;
        for (table, name, cols, unique) in INDEXES {
            index(m, name, table, cols, *unique).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [ADJUSTMENTS, REQUESTS, TYPES] {
            m.drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
