//! CSV imports (contract section 10): `imports`, one row per uploaded file and its progress.
//!
//! - `created_by`: the uploader; the rows are written with their permissions and only they
//!   see the import (the import goes with them).
//! - `sha256`: the stored file (a blob of the organization, referenced in `file_blobs` until
//!   the import ends).
//! - `mapping`, `errors`: JSON (the first 1,000 row errors can exceed a MySQL `TEXT`).
//! - `ix_imports_creator` (organization, creator, created_at, id): a user's list of imports.
//! - `ix_imports_due` (status, lease_until): the job's read across organizations of the
//!   imports queued or whose worker stopped; the only key not led by the organization, as
//!   the job serves every organization at once.

use crate::schema::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const IMPORTS: &str = "imports";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let b = m.get_database_backend();
        m.create_table(
            resource_table(b, IMPORTS)
                .col(uuid("created_by"))
                .col(string("resource", 16))
                .col(string("status", 16))
                .col(string("on_duplicate", 16))
                .col(boolean("dry_run", false))
                .col(json("mapping"))
                .col(big_zero("total_rows"))
                .col(big_zero("processed_rows"))
                .col(big_zero("created"))
                .col(big_zero("updated"))
                .col(big_zero("skipped"))
                .col(big_zero("failed_rows"))
                .col(json("errors"))
                .col(string("sha256", 64))
                .col(ts_null(b, "lease_until"))
                .col(ts_null(b, "finished_at"))
                .foreign_key(&mut cascade_fk(IMPORTS, "created_by", "users"))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ix_imports_creator",
            IMPORTS,
            &["organization_id", "created_by", "created_at", "id"],
            false,
        )
        .await?;
        index(m, "ix_imports_due", IMPORTS, &["status", "lease_until"], false).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(IMPORTS).if_exists().to_owned())
            .await
    }
}
