//! Proposals (contract section 6): `proposals` and their lines, `proposal_items`.
//!
//! - A proposal is for a lead or a client (`lead_id`, `client_id`, exactly one set, checked
//!   by the service); both, and `deal_id`, refuse the deletion of what they name, as
//!   invoices do (the lead's, client's or deal's delete answers `409`).
//! - `quotation_id` is the quotation made from it; deleting that (draft) quotation clears
//!   it (`SET NULL`), so the proposal can be quoted again.
//! - Money is `BIGINT` minor units, quantities `BIGINT` thousandths (as quotations);
//!   `body` is Markdown up to 100,000 characters (`TEXT`, which MySQL caps at 65,535 bytes,
//!   hence `MEDIUMTEXT` there).
//! - `owner_id` is the `:own` owner (users are deactivated, never deleted: no foreign key).
//! - The permission codes (`proposals:*`) and their grants came with
//!   `m20261206_000009_finance`.
//! - One list index per filter and sort, each starting with `organization_id`;
//!   `valid_until` is nullable, and its index sorts NULL first on PostgreSQL as on the other
//!   backends.

use crate::schema::*;
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLE: &str = "proposals";

/// `(index, columns)`: the list's filters and sorts, `:own` lists (`owner_id`) included.
const INDEXES: &[(&str, &[&str])] = &[
    ("ix_proposals_created", &["organization_id", "created_at", "id"]),
    ("ix_proposals_updated", &["organization_id", "updated_at", "id"]),
    ("ix_proposals_title", &["organization_id", "title", "id"]),
    ("ix_proposals_total", &["organization_id", "total", "id"]),
    ("ix_proposals_status", &["organization_id", "status", "created_at", "id"]),
    ("ix_proposals_currency", &["organization_id", "currency", "created_at", "id"]),
    ("ix_proposals_client", &["organization_id", "client_id", "created_at"]),
    ("ix_proposals_lead", &["organization_id", "lead_id", "created_at"]),
    ("ix_proposals_deal", &["organization_id", "deal_id", "created_at"]),
    ("ix_proposals_owner", &["organization_id", "owner_id", "created_at", "id"]),
    ("ix_proposals_quotation", &["organization_id", "quotation_id"]),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let b = m.get_database_backend();
        let mut quotation = cascade_fk(TABLE, "quotation_id", "quotations");
        quotation.on_delete(ForeignKeyAction::SetNull);
        let mut body = ColumnDef::new("body");
        match b {
            DatabaseBackend::MySql => body.custom("MEDIUMTEXT"),
            _ => body.text(),
        };
        body.null();
        m.create_table(
            resource_table(b, TABLE)
                .col(uuid_null("lead_id"))
                .col(uuid_null("client_id"))
                .col(uuid_null("deal_id"))
                .col(uuid("owner_id"))
                .col(string("title", 200))
                .col(body)
                .col(string("currency", 3))
                .col(big("subtotal"))
                .col(big("tax_total"))
                .col(big("total"))
                .col(date_null("valid_until"))
                .col(string("status", 16))
                .col(ts_null(b, "sent_at"))
                .col(uuid_null("quotation_id"))
                .foreign_key(&mut restrict_fk(TABLE, "lead_id", "leads"))
                .foreign_key(&mut restrict_fk(TABLE, "client_id", "clients"))
                .foreign_key(&mut restrict_fk(TABLE, "deal_id", "deals"))
                .foreign_key(&mut quotation)
                .to_owned(),
        )
        .await?;
        for (name, cols) in INDEXES {
            index(m, name, TABLE, cols, false).await?;
        }
        nullable_sort_index(m, "ix_proposals_valid_until", TABLE, "valid_until").await?;
        m.create_table(line_items_table("proposal_items", "proposal_id", TABLE))
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("proposal_items").if_exists().to_owned())
            .await?;
        m.drop_table(Table::drop().table(TABLE).if_exists().to_owned())
            .await
    }
}
