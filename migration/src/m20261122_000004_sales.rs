//! Sales: leads, pipelines and their stages, deals and their stage history, quotations and
//! their lines, and the counters of gap-free document numbers.
//!
//! - Money is `BIGINT` minor units; quotation quantities are `BIGINT` thousandths.
//! - Every list filter and sort has an index starting with `organization_id`.
//! - One default pipeline per organization without a partial unique index (not portable):
//!   `pipelines.default_key` holds the organization id on the default pipeline and NULL on the
//!   others, under a unique index (NULLs never collide).
//! - One open lead per email and organization the same way: `leads.open_email` holds the
//!   email while the lead is open (not converted or unqualified), NULL otherwise.
//! - `document_counters (organization_id, kind, year) → next` is the row a numbered
//!   document's transaction updates, so numbers are gap-free (a sequence is not).
//! - `q` on leads searches lower(name), lower(email), lower(company), on deals lower(title):
//!   trigram GIN indexes serve it on PostgreSQL.
//! - `owner_id` carries no foreign key (as on clients): the domain checks it. References to
//!   clients, pipelines, stages and deals do, restricting deletion (the adapters answer
//!   `Conflict`, so deleting a client that has deals or quotations is `409`); a deleted lead
//!   or client is unlinked from the deals and leads that merely came from it (`SET NULL`).

use crate::schema::*;
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Trigram indexes (PostgreSQL only) serving `q`.
const TRGM_INDEXES: &[(&str, &str, &str)] = &[
    ("ix_leads_name_trgm", "leads", "name"),
    ("ix_leads_email_trgm", "leads", "email"),
    ("ix_leads_company_trgm", "leads", "company"),
    ("ix_deals_title_trgm", "deals", "title"),
];

fn date_null(name: &'static str) -> ColumnDef {
    let mut c = ColumnDef::new(name);
    c.date().null();
    c
}

fn fk(
    table: &'static str,
    col: &'static str,
    to: &'static str,
    action: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_{col}"))
        .from(table, col)
        .to(to, "id")
        .on_delete(action)
        .to_owned()
}

async fn indexes(
    m: &SchemaManager<'_>,
    table: &'static str,
    list: &[(&str, &[&'static str])],
) -> Result<(), DbErr> {
    for (name, cols) in list {
        index(m, name, table, cols, false).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let b = m.get_database_backend();
        let resource = |name: &'static str| resource_table(b, name);

        let mut leads = resource("leads");
        leads
            .col(string("name", 200))
            .col(string_null("email", 254))
            .col(string_null("open_email", 254))
            .col(string_null("phone", 50))
            .col(string_null("company", 200))
            .col(string_null("source", 100))
            .col(string("status", 16))
            .col(uuid("owner_id"))
            .col(big_null("estimated_amount"))
            .col(string_null("currency", 3))
            .col(integer_null("score"))
            .col(uuid_null("converted_client_id"))
            .col(uuid_null("converted_deal_id"))
            .foreign_key(&mut fk(
                "leads",
                "converted_client_id",
                "clients",
                ForeignKeyAction::SetNull,
            ));
        m.create_table(leads).await?;
        index(
            m,
            "ux_leads_org_open_email",
            "leads",
            &["organization_id", "open_email"],
            true,
        )
        .await?;
        indexes(
            m,
            "leads",
            &[
                (
                    "ix_leads_org_created",
                    &["organization_id", "created_at", "id"],
                ),
                (
                    "ix_leads_org_updated",
                    &["organization_id", "updated_at", "id"],
                ),
                ("ix_leads_org_name", &["organization_id", "name", "id"]),
                ("ix_leads_org_score", &["organization_id", "score", "id"]),
                (
                    "ix_leads_org_amount",
                    &["organization_id", "estimated_amount", "id"],
                ),
                (
                    "ix_leads_org_status",
                    &["organization_id", "status", "created_at", "id"],
                ),
                (
                    "ix_leads_org_source",
                    &["organization_id", "source", "created_at", "id"],
                ),
                (
                    "ix_leads_org_owner",
                    &["organization_id", "owner_id", "created_at", "id"],
                ),
                ("ix_leads_org_email", &["organization_id", "email"]),
            ],
        )
        .await?;

        let mut pipelines = resource("pipelines");
        pipelines
            .col(string("name", 100))
            .col(boolean("is_default", false))
            .col(uuid_null("default_key"));
        m.create_table(pipelines).await?;
        index(
            m,
            "ux_pipelines_default_key",
            "pipelines",
            &["default_key"],
            true,
        )
        .await?;
        indexes(
            m,
            "pipelines",
            &[
                ("ix_pipelines_org_name", &["organization_id", "name", "id"]),
                (
                    "ix_pipelines_org_created",
                    &["organization_id", "created_at", "id"],
                ),
                (
                    "ix_pipelines_org_updated",
                    &["organization_id", "updated_at", "id"],
                ),
            ],
        )
        .await?;

        m.create_table(
            Table::create()
                .table("pipeline_stages")
                .if_not_exists()
                .col(id())
                .col(uuid("organization_id"))
                .col(uuid("pipeline_id"))
                .col(string("name", 100))
                .col(integer("position", 0))
                .col(integer("probability", 0))
                .foreign_key(&mut org_fk("pipeline_stages"))
                .foreign_key(&mut fk(
                    "pipeline_stages",
                    "pipeline_id",
                    "pipelines",
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ix_pipeline_stages_org_pipeline",
            "pipeline_stages",
            &["organization_id", "pipeline_id", "position"],
            false,
        )
        .await?;

        let mut deals = resource("deals");
        deals
            .col(string("title", 200))
            .col(uuid_null("client_id"))
            .col(uuid_null("lead_id"))
            .col(uuid("pipeline_id"))
            .col(uuid("stage_id"))
            .col(big("amount"))
            .col(string("currency", 3))
            .col(integer("probability", 0))
            .col(date_null("expected_close_date"))
            .col(uuid("owner_id"))
            .col(string("status", 8))
            .col(text_null("lost_reason"))
            .col(ts_null(b, "closed_at"))
            .foreign_key(&mut fk(
                "deals",
                "client_id",
                "clients",
                ForeignKeyAction::NoAction,
            ))
            .foreign_key(&mut fk(
                "deals",
                "lead_id",
                "leads",
                ForeignKeyAction::SetNull,
            ))
            .foreign_key(&mut fk(
                "deals",
                "pipeline_id",
                "pipelines",
                ForeignKeyAction::NoAction,
            ))
            .foreign_key(&mut fk(
                "deals",
                "stage_id",
                "pipeline_stages",
                ForeignKeyAction::NoAction,
            ));
        m.create_table(deals).await?;
        indexes(
            m,
            "deals",
            &[
                (
                    "ix_deals_org_created",
                    &["organization_id", "created_at", "id"],
                ),
                (
                    "ix_deals_org_updated",
                    &["organization_id", "updated_at", "id"],
                ),
                ("ix_deals_org_title", &["organization_id", "title", "id"]),
                ("ix_deals_org_amount", &["organization_id", "amount", "id"]),
                (
                    "ix_deals_org_probability",
                    &["organization_id", "probability", "id"],
                ),
                (
                    "ix_deals_org_close",
                    &["organization_id", "expected_close_date", "id"],
                ),
                // The board: open deals of a pipeline, by stage.
                (
                    "ix_deals_org_pipeline_status_stage",
                    &["organization_id", "pipeline_id", "status", "stage_id"],
                ),
                // The forecast: open deals by expected close date.
                (
                    "ix_deals_org_status_close",
                    &["organization_id", "status", "expected_close_date"],
                ),
                (
                    "ix_deals_org_status",
                    &["organization_id", "status", "created_at", "id"],
                ),
                (
                    "ix_deals_org_stage",
                    &["organization_id", "stage_id", "created_at"],
                ),
                ("ix_deals_org_client", &["organization_id", "client_id"]),
                ("ix_deals_org_lead", &["organization_id", "lead_id"]),
                (
                    "ix_deals_org_owner",
                    &["organization_id", "owner_id", "created_at", "id"],
                ),
                (
                    "ix_deals_org_currency",
                    &["organization_id", "currency", "created_at"],
                ),
            ],
        )
        .await?;

        m.create_table(
            Table::create()
                .table("deal_stage_history")
                .if_not_exists()
                .col(id())
                .col(uuid("organization_id"))
                .col(uuid("deal_id"))
                .col(uuid_null("from_stage_id"))
                .col(uuid("to_stage_id"))
                .col(ts(b, "changed_at"))
                .col(uuid_null("changed_by"))
                .foreign_key(&mut org_fk("deal_stage_history"))
                .foreign_key(&mut fk(
                    "deal_stage_history",
                    "deal_id",
                    "deals",
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ix_deal_stage_history_org_deal",
            "deal_stage_history",
            &["organization_id", "deal_id", "changed_at"],
            false,
        )
        .await?;

        let mut quotations = resource("quotations");
        quotations
            .col(uuid("client_id"))
            .col(uuid_null("deal_id"))
            .col(uuid("owner_id"))
            .col(string("number", 32))
            .col(date("issue_date"))
            .col(date("valid_until"))
            .col(string("currency", 3))
            .col(big("subtotal"))
            .col(big("tax_total"))
            .col(big("total"))
            .col(string("status", 16))
            .foreign_key(&mut fk(
                "quotations",
                "client_id",
                "clients",
                ForeignKeyAction::NoAction,
            ))
            .foreign_key(&mut fk(
                "quotations",
                "deal_id",
                "deals",
                ForeignKeyAction::NoAction,
            ));
        m.create_table(quotations).await?;
        index(
            m,
            "ux_quotations_org_number",
            "quotations",
            &["organization_id", "number"],
            true,
        )
        .await?;
        indexes(
            m,
            "quotations",
            &[
                (
                    "ix_quotations_org_created",
                    &["organization_id", "created_at", "id"],
                ),
                (
                    "ix_quotations_org_updated",
                    &["organization_id", "updated_at", "id"],
                ),
                (
                    "ix_quotations_org_issue",
                    &["organization_id", "issue_date", "id"],
                ),
                (
                    "ix_quotations_org_valid",
                    &["organization_id", "valid_until", "id"],
                ),
                (
                    "ix_quotations_org_total",
                    &["organization_id", "total", "id"],
                ),
                // Status as read depends on valid_until (sent quotations expire).
                (
                    "ix_quotations_org_status",
                    &["organization_id", "status", "valid_until"],
                ),
                (
                    "ix_quotations_org_client",
                    &["organization_id", "client_id", "created_at"],
                ),
                ("ix_quotations_org_deal", &["organization_id", "deal_id"]),
                (
                    "ix_quotations_org_owner",
                    &["organization_id", "owner_id", "created_at", "id"],
                ),
                (
                    "ix_quotations_org_currency",
                    &["organization_id", "currency", "created_at"],
                ),
            ],
        )
        .await?;

        m.create_table(
            Table::create()
                .table("quotation_items")
                .if_not_exists()
                .col(uuid("organization_id"))
                .col(uuid("quotation_id"))
                .col(integer("position", 0))
                .col(text("description"))
                .col(big("quantity_thousandths"))
                .col(big("unit_price"))
                .col(integer("tax_rate", 0))
                .col(big("subtotal"))
                .col(big("tax"))
                .col(big("total"))
                .primary_key(Index::create().col("quotation_id").col("position"))
                .foreign_key(&mut org_fk("quotation_items"))
                .foreign_key(&mut fk(
                    "quotation_items",
                    "quotation_id",
                    "quotations",
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ix_quotation_items_org_quotation",
            "quotation_items",
            &["organization_id", "quotation_id"],
            false,
        )
        .await?;

        m.create_table(
            Table::create()
                .table("document_counters")
                .if_not_exists()
                .col(uuid("organization_id"))
                .col(string("kind", 32))
                .col(integer("year", 0))
                .col(big("next"))
                .primary_key(
                    Index::create()
                        .name("pk_document_counters")
                        .col("organization_id")
                        .col("kind")
                        .col("year"),
                )
                .foreign_key(&mut org_fk("document_counters"))
                .to_owned(),
        )
        .await?;

        if b == DatabaseBackend::Postgres {
            let db = m.get_connection();
            db.execute_unprepared("CREATE EXTENSION IF NOT EXISTS pg_trgm")
                .await?;
            for (name, table, col) in TRGM_INDEXES {
                db.execute_unprepared(&format!(
                    "CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin (lower({col}) gin_trgm_ops)"
                ))
                .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() == DatabaseBackend::Postgres {
            // The extension stays: other tables use it, and it holds no data.
            let db = m.get_connection();
            for (name, _, _) in TRGM_INDEXES {
                db.execute_unprepared(&format!("DROP INDEX IF EXISTS {name}"))
                    .await?;
            }
        }
        for t in [
            "document_counters",
            "quotation_items",
            "quotations",
            "deal_stage_history",
            "deals",
            "pipeline_stages",
            "pipelines",
            "leads",
        ] {
            m.drop_table(Table::drop().table(t).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
