//! Code requests that mailed nothing: `POST /auth/resend-code` and `/auth/forgot-password` for
//! an address without an account (or with nothing to send). They hold the same per-address,
//! per-purpose window as a mailed code (`verification_codes.created_at`), so the `429` within
//! it does not tell whether the address has an account. Not a business table: no organization.

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
                .table("code_requests")
                .if_not_exists()
                .col(id())
                .col(string("email", 254))
                .col(string("purpose", 32))
                .col(ts(b, "requested_at"))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ix_code_requests_email_requested",
            "code_requests",
            &["email", "requested_at"],
            false,
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("code_requests").if_exists().to_owned())
            .await
    }
}
