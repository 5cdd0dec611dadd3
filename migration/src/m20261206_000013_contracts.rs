//! Contracts (contract section 6): one `contracts` table.
//!
//! - `value` is a `BIGINT` in minor units of `currency`.
//! - `number` (`CT-YYYY-NNNN`) is unique per organization; it comes from the document
//!   counters (`document_counters`, kind `contract`) in the creating transaction.
//! - `renewed_from_id` is unique: a contract has at most one successor, whoever renews it
//!   (a user or the job, on any instance). Several NULLs are allowed on every backend.
//! - `notice_date` (= `end_date − notice_days`) is stored so the job finds due notices by
//!   index; `notice_told_for` is the notice date the owner was told of.
//! - `client_id` refuses the deletion of its client, as invoices do; `file_id` names a file
//!   without a foreign key (as expenses' receipts); `owner_id` has none, as users are never
//!   deleted.
//! - The permission codes (`contracts:*`) were in the catalogue and the seeded roles from
//!   the start.

use crate::schema::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLE: &str = "contracts";

/// `(index, columns, unique)`: the list's filters and sorts, each starting with
/// `organization_id`, and the job's scans across organizations.
const INDEXES: &[(&str, &[&str], bool)] = &[
    ("ux_contracts_number", &["organization_id", "number"], true),
    ("ux_contracts_renewed_from", &["renewed_from_id"], true),
    ("ix_contracts_created", &["organization_id", "created_at", "id"], false),
    ("ix_contracts_updated", &["organization_id", "updated_at", "id"], false),
    ("ix_contracts_start", &["organization_id", "start_date", "id"], false),
    ("ix_contracts_end", &["organization_id", "end_date", "id"], false),
    ("ix_contracts_value", &["organization_id", "value", "id"], false),
    ("ix_contracts_title", &["organization_id", "title", "id"], false),
    ("ix_contracts_status", &["organization_id", "status", "created_at", "id"], false),
    ("ix_contracts_client", &["organization_id", "client_id", "created_at"], false),
    ("ix_contracts_owner", &["organization_id", "owner_id", "created_at"], false),
    ("ix_contracts_currency", &["organization_id", "currency", "created_at"], false),
    ("ix_contracts_auto_renew", &["organization_id", "auto_renew", "created_at"], false),
    // The job: active contracts by end, and by notice date.
    ("ix_contracts_end_scan", &["status", "end_date", "id"], false),
    ("ix_contracts_notice_scan", &["status", "notice_date", "id"], false),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let b = m.get_database_backend();
        m.create_table(
            resource_table(b, TABLE)
                .col(string("number", 32))
                .col(uuid("client_id"))
                .col(string("title", 200))
                .col(big("value"))
                .col(string("currency", 3))
                .col(date("start_date"))
                .col(date("end_date"))
                .col(string("status", 16))
                .col(boolean("auto_renew", false))
                .col(integer("renewal_months", 12))
                .col(integer_null("notice_days"))
                .col(date_null("notice_date"))
                .col(date_null("signed_on"))
                .col(text_null("description"))
                .col(uuid_null("file_id"))
                .col(uuid_null("renewed_from_id"))
                .col(uuid("owner_id"))
                .col(text_null("termination_reason"))
                .col(date_null("terminated_on"))
                .col(date_null("notice_told_for"))
                .foreign_key(&mut restrict_fk(TABLE, "client_id", "clients"))
                .to_owned(),
        )
        .await?;
        for (name, cols, unique) in INDEXES {
            index(m, name, TABLE, cols, *unique).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(TABLE).if_exists().to_owned())
            .await
    }
}
