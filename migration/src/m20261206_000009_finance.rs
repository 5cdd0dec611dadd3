//! Finance, first part (contract section 6): invoices and their lines, credit notes and
//! their lines, payments with their allocations and refunds; and the new finance permission
//! codes granted to the seeded roles of organizations that already exist.
//!
//! - Money is `BIGINT` minor units, quantities `BIGINT` thousandths (as quotations).
//! - `invoices.amount_paid`, `amount_credited`, `balance_due` and `payment_status`, and
//!   `payments.allocated_amount`, `refunded_amount` and `unapplied_amount`, are sums of their
//!   allocation, credit-note and refund rows, rewritten from those rows by the statement that
//!   changes them, in the same transaction; they exist as columns so that lists filter and
//!   sort on them with an index.
//! - Numbers (`INV-`, `CN-`) come from `document_counters`; `(organization_id, number)` is
//!   unique, drafts hold NULL (NULLs never collide).
//! - An invoice made from a quotation keeps `quotation_id`, unique per organization, so a
//!   quotation is invoiced once; a recurring template's invoice keeps
//!   `(recurring_invoice_id, period_start)`, unique, so a period is invoiced once.
//! - Allocations and credit notes restrict the deletion of their invoice; a payment's
//!   allocations and refunds go with it.

use crate::schema::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;






/// Permission codes this release adds, and the seeded roles that get them in organizations
/// created before it (new organizations are seeded with them).
const GRANTS: &[(&str, &[&str])] = &[
    (
        "finance",
        &[
            "credit_notes:read",
            "credit_notes:write",
            "recurring_invoices:read",
            "recurring_invoices:write",
            "recurring_invoices:delete",
            "proposals:read",
            "proposals:write",
            "proposals:delete",
            "proposals:read:own",
            "proposals:write:own",
            "proposals:delete:own",
            "reports:read",
        ],
    ),
    (
        "manager",
        &[
            "credit_notes:read",
            "recurring_invoices:read",
            "proposals:read",
            "reports:read",
            "expenses:approve",
        ],
    ),
];

/// What every seeded role below admin gains: an employee's own expenses.
const EVERY_ROLE: &[&str] = &["expenses:read:own", "expenses:write:own", "expenses:delete:own"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let b = m.get_database_backend();
        m.create_table(
            resource_table(b, "invoices")
                .col(uuid("client_id"))
                .col(uuid_null("deal_id"))
                .col(uuid_null("project_id"))
                .col(uuid_null("quotation_id"))
                .col(uuid_null("recurring_invoice_id"))
                .col(date_null("period_start"))
                .col(uuid("created_by"))
                .col(string_null("number", 32))
                .col(string("status", 16))
                .col(string("payment_status", 16))
                .col(date_null("issue_date"))
                .col(integer("payment_terms_days", 30))
                .col(date_null("due_date"))
                .col(string("currency", 3))
                .col(big("subtotal"))
                .col(big("tax_total"))
                .col(big("total"))
                .col(big_zero("amount_paid"))
                .col(big_zero("amount_credited"))
                .col(big("balance_due"))
                .col(text_null("notes"))
                .col(text_null("terms"))
                .col(ts_null(b, "issued_at"))
                .col(ts_null(b, "sent_at"))
                .col(text_null("void_reason"))
                .col(boolean("overdue_notified", false))
                .foreign_key(&mut restrict_fk("invoices", "client_id", "clients"))
                .foreign_key(&mut restrict_fk("invoices", "deal_id", "deals"))
                .foreign_key(&mut restrict_fk("invoices", "quotation_id", "quotations"))
                .to_owned(),
        )
        .await?;
        for (name, cols, unique) in [
            ("ux_invoices_number", &["organization_id", "number"][..], true),
            ("ux_invoices_quotation", &["organization_id", "quotation_id"], true),
            ("ux_invoices_period", &["recurring_invoice_id", "period_start"], true),
            ("ix_invoices_created", &["organization_id", "created_at", "id"], false),
            ("ix_invoices_updated", &["organization_id", "updated_at", "id"], false),
            ("ix_invoices_issue", &["organization_id", "issue_date", "id"], false),
            ("ix_invoices_due", &["organization_id", "due_date", "id"], false),
            ("ix_invoices_total", &["organization_id", "total", "id"], false),
            ("ix_invoices_balance", &["organization_id", "balance_due", "id"], false),
            ("ix_invoices_status", &["organization_id", "status", "created_at", "id"], false),
            (
                "ix_invoices_payment_status",
                &["organization_id", "payment_status", "created_at", "id"],
                false,
            ),
            // `is_overdue`: issued, unpaid or partly paid, due before today.
            (
                "ix_invoices_overdue",
                &["organization_id", "status", "payment_status", "due_date"],
                false,
            ),
            // The overdue job's scan, across organizations.
            (
                "ix_invoices_overdue_scan",
                &["status", "overdue_notified", "due_date"],
                false,
            ),
            ("ix_invoices_client", &["organization_id", "client_id", "created_at"], false),
            ("ix_invoices_project", &["organization_id", "project_id", "created_at"], false),
            ("ix_invoices_currency", &["organization_id", "currency", "created_at"], false),
            ("ix_invoices_deal", &["organization_id", "deal_id"], false),
        ] {
            index(m, name, "invoices", cols, unique).await?;
        }
        m.create_table(line_items_table("invoice_items", "invoice_id", "invoices"))
            .await?;

        m.create_table(
            resource_table(b, "credit_notes")
                .col(uuid("invoice_id"))
                .col(uuid("client_id"))
                .col(string("number", 32))
                .col(date("issue_date"))
                .col(text("reason"))
                .col(string("currency", 3))
                .col(big("subtotal"))
                .col(big("tax_total"))
                .col(big("total"))
                .col(uuid("created_by"))
                .foreign_key(&mut restrict_fk("credit_notes", "invoice_id", "invoices"))
                .foreign_key(&mut restrict_fk("credit_notes", "client_id", "clients"))
                .to_owned(),
        )
        .await?;
        for (name, cols, unique) in [
            ("ux_credit_notes_number", &["organization_id", "number"][..], true),
            ("ix_credit_notes_created", &["organization_id", "created_at", "id"], false),
            ("ix_credit_notes_updated", &["organization_id", "updated_at", "id"], false),
            ("ix_credit_notes_issue", &["organization_id", "issue_date", "id"], false),
            ("ix_credit_notes_total", &["organization_id", "total", "id"], false),
            ("ix_credit_notes_invoice", &["organization_id", "invoice_id", "created_at"], false),
            ("ix_credit_notes_client", &["organization_id", "client_id", "created_at"], false),
            ("ix_credit_notes_currency", &["organization_id", "currency", "created_at"], false),
        ] {
            index(m, name, "credit_notes", cols, unique).await?;
        }
        m.create_table(line_items_table("credit_note_items", "credit_note_id", "credit_notes"))
            .await?;

        m.create_table(
            resource_table(b, "payments")
                .col(uuid("client_id"))
                .col(big("amount"))
                .col(string("currency", 3))
                .col(date("received_on"))
                .col(string("method", 16))
                .col(string_null("reference", 191))
                .col(text_null("notes"))
                .col(big_zero("allocated_amount"))
                .col(big_zero("refunded_amount"))
                .col(big("unapplied_amount"))
                .col(uuid("created_by"))
                .foreign_key(&mut restrict_fk("payments", "client_id", "clients"))
                .to_owned(),
        )
        .await?;
        for (name, cols) in [
            ("ix_payments_created", &["organization_id", "created_at", "id"][..]),
            ("ix_payments_updated", &["organization_id", "updated_at", "id"]),
            ("ix_payments_received", &["organization_id", "received_on", "id"]),
            ("ix_payments_amount", &["organization_id", "amount", "id"]),
            ("ix_payments_unapplied", &["organization_id", "unapplied_amount", "id"]),
            ("ix_payments_method", &["organization_id", "method", "created_at", "id"]),
            ("ix_payments_client", &["organization_id", "client_id", "created_at"]),
            ("ix_payments_currency", &["organization_id", "currency", "created_at"]),
            ("ix_payments_reference", &["organization_id", "reference"]),
        ] {
            index(m, name, "payments", cols, false).await?;
        }
        m.create_table(
            Table::create()
                .table("payment_allocations")
                .if_not_exists()
                .col(id())
                .col(uuid("organization_id"))
                .col(uuid("payment_id"))
                .col(uuid("invoice_id"))
                .col(big("amount"))
                .col(ts(b, "created_at"))
                .foreign_key(&mut org_fk("payment_allocations"))
                .foreign_key(&mut cascade_fk("payment_allocations", "payment_id", "payments"))
                .foreign_key(&mut restrict_fk("payment_allocations", "invoice_id", "invoices"))
                .to_owned(),
        )
        .await?;
        index(m, "ix_payment_allocations_payment", "payment_allocations", &["payment_id", "created_at"], false).await?;
        index(m, "ix_payment_allocations_invoice", "payment_allocations", &["organization_id", "invoice_id"], false).await?;
        m.create_table(
            Table::create()
                .table("payment_refunds")
                .if_not_exists()
                .col(id())
                .col(uuid("organization_id"))
                .col(uuid("payment_id"))
                .col(big("amount"))
                .col(date("refunded_on"))
                .col(string_null("reference", 191))
                .col(uuid("created_by"))
                .col(ts(b, "created_at"))
                .foreign_key(&mut org_fk("payment_refunds"))
                .foreign_key(&mut cascade_fk("payment_refunds", "payment_id", "payments"))
                .to_owned(),
        )
        .await?;
        index(m, "ix_payment_refunds_payment", "payment_refunds", &["payment_id", "created_at"], false).await?;
        index(m, "ix_payment_refunds_org_date", "payment_refunds", &["organization_id", "refunded_on"], false).await?;
        grant_to_seeded_roles(m, GRANTS, EVERY_ROLE).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "payment_refunds",
            "payment_allocations",
            "payments",
            "credit_note_items",
            "credit_notes",
            "invoice_items",
            "invoices",
        ] {
            m.drop_table(Table::drop().table(t).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
