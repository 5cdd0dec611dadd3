//! Events (contract section 5): every audited change is also an event. The audit entry's row
//! carries the event — its type (`lead.created`) and the record as the API shows it — so the
//! change, its audit entry and its event are written by one statement in the change's
//! transaction. The `events` view names the columns as the API does; rows older than 30 days
//! lose their `data` (the clean-up job) and with it their place in the view, while the audit
//! entry stays.

use crate::schema::*;
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

#[derive(DeriveMigrationName)]
pub struct Migration;

const VIEW: &str = "CREATE VIEW events AS SELECT id, organization_id, actor_id, \
    event_type AS type, entity_type AS record_type, entity_id AS record_id, \
    created_at AS occurred_at, data FROM activities WHERE data IS NOT NULL";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one at a time.
        m.alter_table(
            Table::alter()
                .table("activities")
                .add_column(string_null("event_type", 130))
                .to_owned(),
        )
        .await?;
        let mut data = ColumnDef::new("data");
        data.json_binary().null();
        m.alter_table(
            Table::alter()
                .table("activities")
                .add_column(data)
                .to_owned(),
        )
        .await?;
        // `GET /events?type=` per organization, newest first.
        index(
            m,
            "ix_activities_org_event_type",
            "activities",
            &["organization_id", "event_type", "created_at", "id"],
            false,
        )
        .await?;
        // The clean-up walks every organization's entries by age.
        index(
            m,
            "ix_activities_created",
            "activities",
            &["created_at"],
            false,
        )
        .await?;
        let db = m.get_connection();
        db.execute_unprepared(VIEW).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        db.execute_unprepared("DROP VIEW IF EXISTS events").await?;
        for ix in ["ix_activities_org_event_type", "ix_activities_created"] {
            m.drop_index(Index::drop().name(ix).table("activities").to_owned())
                .await?;
        }
        for col in ["data", "event_type"] {
            m.alter_table(
                Table::alter()
                    .table("activities")
                    .drop_column(col)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
