//! Files (contract section 5): one row per file, and one per stored blob `(organization,
//! sha256)` with the number of files (and uploads in progress) that refer to it. A blob is
//! deleted only while its row is locked with a count of zero.

use crate::schema::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let b = m.get_database_backend();
        m.create_table(
            resource_table(b, "files")
                .col(string("name", 255))
                .col(string("content_type", 191))
                .col(big("size"))
                .col(string("sha256", 64))
                .col(string_null("record_type", 64))
                .col(uuid_null("record_id"))
                .col(text_null("description"))
                .col(uuid("uploaded_by"))
                .to_owned(),
        )
        .await?;
        for (name, cols) in [
            (
                "ix_files_created",
                &["organization_id", "created_at", "id"][..],
            ),
            ("ix_files_updated", &["organization_id", "updated_at", "id"]),
            ("ix_files_name", &["organization_id", "name", "id"]),
            ("ix_files_size", &["organization_id", "size", "id"]),
            (
                "ix_files_content_type",
                &["organization_id", "content_type", "id"],
            ),
            (
                "ix_files_record",
                &["organization_id", "record_type", "record_id", "created_at"],
            ),
            (
                "ix_files_uploader",
                &["organization_id", "uploaded_by", "created_at"],
            ),
            ("ix_files_sha256", &["organization_id", "sha256"]),
        ] {
            index(m, name, "files", cols, false).await?;
        }
        m.create_table(
            Table::create()
                .table("file_blobs")
                .if_not_exists()
                .col(uuid("organization_id"))
                .col(string("sha256", 64))
                .col(big("size"))
                .col(big("ref_count"))
                .col(ts(b, "created_at"))
                .col(ts_null(b, "unreferenced_since"))
                .primary_key(Index::create().col("organization_id").col("sha256"))
                .foreign_key(&mut org_fk("file_blobs"))
                .to_owned(),
        )
        .await?;
        // The clean-up job's scan, across organizations.
        index(
            m,
            "ix_file_blobs_unreferenced",
            "file_blobs",
            &["unreferenced_since"],
            false,
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("file_blobs").if_exists().to_owned())
            .await?;
        m.drop_table(Table::drop().table("files").if_exists().to_owned())
            .await
    }
}
