//! Mail with files: the outbox keeps a message's attachments (an invoice's PDF) as JSON,
//! their bytes in base64, so the message goes out as it was when the change queued it.

use crate::schema::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("outbox")
                .add_column(text_null("attachments"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("outbox")
                .drop_column("attachments")
                .to_owned(),
        )
        .await
    }
}
