//! Recurring invoice templates (contract section 6) and their lines. The job finds active
//! templates by `(status, next_issue_date)` across organizations; the invoices they make
//! carry `(recurring_invoice_id, period_start)`, unique since the finance migration.

use crate::schema::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;




#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let b = m.get_database_backend();
        m.create_table(
            resource_table(b, "recurring_invoices")
                .col(uuid("client_id"))
                .col(string("currency", 3))
                .col(big("subtotal"))
                .col(big("tax_total"))
                .col(big("total"))
                .col(integer("payment_terms_days", 30))
                .col(string("frequency", 16))
                .col(integer("interval", 1))
                .col(date("start_date"))
                .col(date_null("end_date"))
                .col(integer_null("max_occurrences"))
                .col(boolean("auto_issue", true))
                .col(boolean("auto_send", false))
                .col(string("status", 16))
                .col(date_null("next_issue_date"))
                .col(integer("occurrences_done", 0))
                .col(text_null("notes"))
                .col(text_null("terms"))
                .col(uuid("created_by"))
                .foreign_key(&mut restrict_fk("recurring_invoices", "client_id", "clients"))
                .to_owned(),
        )
        .await?;
        for (name, cols) in [
            ("ix_recurring_created", &["organization_id", "created_at", "id"][..]),
            ("ix_recurring_updated", &["organization_id", "updated_at", "id"]),
            ("ix_recurring_next", &["organization_id", "next_issue_date", "id"]),
            ("ix_recurring_start", &["organization_id", "start_date", "id"]),
            ("ix_recurring_total", &["organization_id", "total", "id"]),
            ("ix_recurring_status", &["organization_id", "status", "created_at", "id"]),
            ("ix_recurring_frequency", &["organization_id", "frequency", "created_at", "id"]),
            ("ix_recurring_client", &["organization_id", "client_id", "created_at"]),
            ("ix_recurring_currency", &["organization_id", "currency", "created_at"]),
            // The job's scan, across organizations.
            ("ix_recurring_due", &["status", "next_issue_date"]),
        ] {
            index(m, name, "recurring_invoices", cols, false).await?;
        }
        m.create_table(line_items_table(
            "recurring_invoice_items",
            "recurring_invoice_id",
            "recurring_invoices",
        ))
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["recurring_invoice_items", "recurring_invoices"] {
            m.drop_table(Table::drop().table(t).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
