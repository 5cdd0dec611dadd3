//! Idempotency keys (contract section 2): per organization, user and key, the hash of the first
//! request and, once answered, its answer. A row is claimed before the handler runs, so a
//! concurrent duplicate finds it; expired rows are removed by the clean-up job.

use crate::schema::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let b = m.get_database_backend();
        m.create_table(
            Table::create()
                .table("idempotency_keys")
                .if_not_exists()
                .col(uuid("organization_id"))
                .col(uuid("user_id"))
                .col(string("idempotency_key", 255))
                .col(string("request_hash", 64))
                .col(integer_null("status_code"))
                .col(text_null("response_body"))
                .col(string_null("content_type", 255))
                .col(string_null("location", 2048))
                .col(string_null("etag", 64))
                .col(ts(b, "started_at"))
                .col(ts(b, "expires_at"))
                .primary_key(
                    Index::create()
                        .col("organization_id")
                        .col("user_id")
                        .col("idempotency_key"),
                )
                .foreign_key(&mut org_fk("idempotency_keys"))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ix_idempotency_keys_expires",
            "idempotency_keys",
            &["expires_at"],
            false,
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(
            Table::drop()
                .table("idempotency_keys")
                .if_exists()
                .to_owned(),
        )
        .await
    }
}
