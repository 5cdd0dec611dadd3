//! `legacy_id` on the work tables `crm import legacy` writes (contract section 10): projects,
//! tasks, milestones, employees, holidays and leave types. As in `m20261215_000002_legacy_ids`: the original Node.js server's
//! id of an imported record, unique within an organization so a second run finds what the
//! first one wrote; NULL for records made here, any number of NULLs per organization.

use crate::schema::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: &[&str] = &["projects", "tasks", "milestones", "employees", "holidays", "leave_types"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        add_legacy_ids(m, TABLES).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_legacy_ids(m, TABLES).await
    }
}
