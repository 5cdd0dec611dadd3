//! Sign-in attempt counters shared by every server instance on the database (contract
//! section 3): the per-minute budget of each client address and account on `POST /auth/*`, and
//! an account's failed logins, which slow it. One row per key (`address:…`, `account:…`);
//! not a business table: no organization. Rows untouched for an hour are removed by the
//! clean-up job.

use crate::schema::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let b = m.get_database_backend();
        let mut key = string("attempt_key", 320);
        key.primary_key();
        m.create_table(
            Table::create()
                .table("auth_attempts")
                .if_not_exists()
                .col(key)
                .col(ts(b, "window_start"))
                .col(integer("hits", 0))
                .col(integer("failures", 0))
                .col(ts_null(b, "last_failure_at"))
                .col(ts(b, "updated_at"))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ix_auth_attempts_updated",
            "auth_attempts",
            &["updated_at"],
            false,
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("auth_attempts").if_exists().to_owned())
            .await
    }
}
