//! The reporting line decides approvals (contract section 8): a manager approves the leave
//! and expenses of the people who report to them, so the seeded `manager` role no longer
//! carries `expenses:approve` over everyone's expenses (organizations created before this
//! release had it; new ones are seeded without it).

use crate::schema::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        revoke_from_roles(m, &["expenses:approve"], Holders::Seeded("manager")).await
    }

    /// Gives the seeded managers back what they held.
    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        grant_to_seeded_roles(m, &[("manager", &["expenses:approve"])], &[]).await
    }
}
