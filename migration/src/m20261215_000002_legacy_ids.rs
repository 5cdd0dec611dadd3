//! The original id of a record imported from the Node.js server (`crm import legacy`, contract
//! section 10): `legacy_id` on every table the importer writes, unique within an organization
//! (alone on organizations, which are the tenants themselves), so a second run finds what the
//! first one wrote instead of creating it twice. NULL for records made here, and any number of
//! NULLs may share an organization on every backend. Invoices also keep their old number
//! (`INV#12`) as `legacy_number`: the `INV-` series of this server starts at 0001.

use crate::schema::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Tables of an organization's records that the importer writes, keyed by organization.
const TENANTED: &[&str] = &["users", "clients", "leads", "invoices"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        add_column(m, "organizations", string_null("legacy_id", LEGACY_ID_LEN)).await?;
        index(m, &legacy_index("organizations"), "organizations", &["legacy_id"], true).await?;
        add_legacy_ids(m, TENANTED).await?;
        add_column(m, "invoices", string_null("legacy_number", LEGACY_ID_LEN)).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_column(m, "invoices", "legacy_number").await?;
        drop_legacy_ids(m, TENANTED).await?;
        drop_index(m, "organizations", &legacy_index("organizations")).await?;
        drop_column(m, "organizations", "legacy_id").await
    }
}
