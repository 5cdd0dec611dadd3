//! Indexes for the sorts every list gained (contract §2: each scalar field a person would sort
//! a table by), on the tables that grow large: leads, deals, clients, quotations, activities.
//!
//! Each is `(organization_id, field, id)`: a list orders by the field then `id` and seeks
//! with a bound on the field, so one index serves both directions, every page. Small tables
//! (users, roles, departments, designations, pipelines) and the per-client lists (contacts,
//! interactions, a handful of rows per client) sort in memory cheaply and get none.
//!
//! Nullable sort fields order NULL below every value (`crm-db` `keyset.rs`). That is the
//! native index order of MySQL/MariaDB and SQLite; on PostgreSQL (NULL highest by default) their
//! indexes are declared `NULLS FIRST`, including the existing lead `score` and
//! `estimated_amount` indexes, which are rebuilt that way here.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (index, table, field, nullable) of each new index.
const NEW: &[(&str, &str, &str, bool)] = &[
    ("ix_leads_org_company_sort", "leads", "company", true),
    ("ix_leads_org_email_sort", "leads", "email", true),
    ("ix_leads_org_source_sort", "leads", "source", true),
    ("ix_leads_org_currency_sort", "leads", "currency", true),
    ("ix_leads_org_status_sort", "leads", "status", false),
    ("ix_deals_org_status_sort", "deals", "status", false),
    ("ix_deals_org_currency_sort", "deals", "currency", false),
    ("ix_clients_org_kind_sort", "clients", "kind", false),
    ("ix_clients_org_email_sort", "clients", "email", true),
    ("ix_clients_org_phone_sort", "clients", "phone", true),
    ("ix_clients_org_industry_sort", "clients", "industry", true),
    ("ix_clients_org_status_sort", "clients", "status", false),
    (
        "ix_clients_org_lifecycle_sort",
        "clients",
        "lifecycle",
        false,
    ),
    (
        "ix_quotations_org_subtotal_sort",
        "quotations",
        "subtotal",
        false,
    ),
    (
        "ix_quotations_org_currency_sort",
        "quotations",
        "currency",
        false,
    ),
    (
        "ix_activities_org_type_sort",
        "activities",
        "entity_type",
        false,
    ),
    (
        "ix_activities_org_action_sort",
        "activities",
        "action",
        false,
    ),
];

/// Existing plain indexes on nullable sort fields, rebuilt `NULLS FIRST` on PostgreSQL.
const REBUILT_ON_POSTGRES: &[(&str, &str, &str)] = &[
    ("ix_leads_org_score", "leads", "score"),
    ("ix_leads_org_amount", "leads", "estimated_amount"),
];

async fn create(
    m: &SchemaManager<'_>,
    name: &str,
    table: &'static str,
    field: &'static str,
    nulls_first: bool,
) -> Result<(), DbErr> {
    if nulls_first && m.get_database_backend() == DatabaseBackend::Postgres {
        // sea-query has no per-column NULLS ordering in CREATE INDEX.
        let sql =
            format!("CREATE INDEX {name} ON {table} (organization_id, {field} NULLS FIRST, id)");
        m.get_connection().execute_unprepared(&sql).await?;
        return Ok(());
    }
    m.create_index(
        Index::create()
            .name(name)
            .table(table)
            .col("organization_id")
            .col(field)
            .col("id")
            .to_owned(),
    )
    .await
}

async fn drop(m: &SchemaManager<'_>, name: &str, table: &'static str) -> Result<(), DbErr> {
    m.drop_index(Index::drop().name(name).table(table).to_owned())
        .await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for &(name, table, field, nullable) in NEW {
            create(m, name, table, field, nullable).await?;
        }
        if m.get_database_backend() == DatabaseBackend::Postgres {
            for &(name, table, field) in REBUILT_ON_POSTGRES {
                drop(m, name, table).await?;
                create(m, name, table, field, true).await?;
            }
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() == DatabaseBackend::Postgres {
            for &(name, table, field) in REBUILT_ON_POSTGRES {
                drop(m, name, table).await?;
                create(m, name, table, field, false).await?;
            }
        }
        for &(name, table, _, _) in NEW.iter().rev() {
            drop(m, name, table).await?;
        }
        Ok(())
    }
}
