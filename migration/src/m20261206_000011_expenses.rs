//! Expenses (contract section 6): one `expenses` table.
//!
//! - `amount` and `approved_amount` are `BIGINT` minor units of `currency`.
//! - `submitted_by` is the claimant (the `:own` owner); `decided_by` the approver or
//!   rejecter. Users are never deleted (they are deactivated), so neither has a foreign key,
//!   as `invoices.created_by`.
//! - `client_id` refuses the deletion of its client, as invoices do; `receipt_file_id` names
//!   a file without a foreign key (as the organization's `logo_file_id`: a file's deletion
//!   leaves the id behind); `project_id` waits for projects.
//! - The permission codes (`expenses:*`, `expenses:approve`) and their grants to the seeded
//!   roles came with `m20261206_000009_finance`.
//! - One list index per filter and sort, each starting with `organization_id`; `merchant`
//!   is nullable, and its index sorts NULL first on PostgreSQL as on the other backends. It
//!   is at most 191 characters, so its utf8mb4 key fits MySQL's 767-byte limit.

use crate::schema::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLE: &str = "expenses";

/// `(index, columns)`: the list's filters and sorts, `:own` lists (`submitted_by`) included.
const INDEXES: &[(&str, &[&str])] = &[
    ("ix_expenses_created", &["organization_id", "created_at", "id"]),
    ("ix_expenses_updated", &["organization_id", "updated_at", "id"]),
    ("ix_expenses_incurred", &["organization_id", "incurred_on", "id"]),
    ("ix_expenses_amount", &["organization_id", "amount", "id"]),
    ("ix_expenses_status", &["organization_id", "status", "created_at", "id"]),
    ("ix_expenses_category", &["organization_id", "category", "created_at", "id"]),
    ("ix_expenses_client", &["organization_id", "client_id", "created_at"]),
    ("ix_expenses_project", &["organization_id", "project_id", "created_at"]),
    ("ix_expenses_submitter", &["organization_id", "submitted_by", "created_at", "id"]),
    ("ix_expenses_currency", &["organization_id", "currency", "created_at"]),
    ("ix_expenses_billable", &["organization_id", "billable", "created_at"]),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let b = m.get_database_backend();
        let mut client = cascade_fk(TABLE, "client_id", "clients");
        client.on_delete(ForeignKeyAction::NoAction);
        m.create_table(
            resource_table(b, TABLE)
                .col(text("description"))
                .col(string("category", 100))
                .col(big("amount"))
                .col(string("currency", 3))
                .col(date("incurred_on"))
                .col(string_null("merchant", 191))
                .col(uuid_null("project_id"))
                .col(uuid_null("client_id"))
                .col(boolean("billable", false))
                .col(uuid_null("receipt_file_id"))
                .col(uuid("submitted_by"))
                .col(string("status", 16))
                .col(big_null("approved_amount"))
                .col(uuid_null("decided_by"))
                .col(ts_null(b, "decided_at"))
                .col(text_null("rejection_reason"))
                .col(ts_null(b, "reimbursed_at"))
                .foreign_key(&mut client)
                .to_owned(),
        )
        .await?;
        for (name, cols) in INDEXES {
            index(m, name, TABLE, cols, false).await?;
        }
        nullable_sort_index(m, "ix_expenses_merchant", TABLE, "merchant").await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(TABLE).if_exists().to_owned())
            .await
    }
}
