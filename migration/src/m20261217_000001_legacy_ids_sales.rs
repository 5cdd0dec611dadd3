//! `legacy_id` on the sales and finance records `crm import legacy` writes next (contract
//! section 10): the original Node.js server's id, unique within an organization, NULL for
//! records made here (any number of NULLs may share an organization on every backend), as
//! m20261215_000002_legacy_ids does for users, clients, leads and invoices. Pipeline stages
//! carry one too: the old deals name their stage by its id.

use crate::schema::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The tables of an organization's records that gain the column, keyed by organization.
const TENANTED: &[&str] = &[
    "pipelines",
    "pipeline_stages",
    "deals",
    "payments",
    "expenses",
    "contracts",
    "interactions",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        add_legacy_ids(m, TENANTED).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_legacy_ids(m, TENANTED).await
    }
}
