//! Claims of scheduled work: one row per job and period, so that however many server instances
//! poll, each period of each job is run by one of them, once (see `crm_domain::jobs`). Not a
//! business table: no organization.

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
                .table("job_runs")
                .if_not_exists()
                .col(string("job", 64))
                .col(string("period", 32))
                .col(string("holder", 128))
                .col(ts(b, "claimed_until"))
                .col(ts_null(b, "finished_at"))
                .col(integer("attempts", 0))
                .col(text_null("last_error"))
                .primary_key(Index::create().col("job").col("period"))
                .to_owned(),
        )
        .await?;
        // The clean-up of old claims walks them by age.
        index(
            m,
            "ix_job_runs_claimed_until",
            "job_runs",
            &["claimed_until"],
            false,
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("job_runs").if_exists().to_owned())
            .await
    }
}
