//! Tenants, the activity (audit) log and the mail outbox.

use crate::schema::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let b = manager.get_database_backend();

        let mut orgs = Table::create();
        orgs.table("organizations").if_not_exists();
        for c in resource_columns(b) {
            orgs.col(c);
        }
        orgs.col(string("name", 200))
            .col(string_null("legal_name", 200))
            .col(string_null("tax_id", 64))
            .col(string_null("email", 254))
            .col(string_null("phone", 64))
            .col(string_null("website", 500))
            .col(text_null("address"))
            .col(string("default_currency", 3))
            .col(string("timezone", 64))
            .col(uuid_null("logo_file_id"));
        manager.create_table(orgs).await?;

        manager
            .create_table(
                Table::create()
                    .table("activities")
                    .if_not_exists()
                    .col(id())
                    .col(uuid("organization_id"))
                    .col(uuid_null("actor_id"))
                    .col(string("entity_type", 64))
                    .col(uuid("entity_id"))
                    .col(string("action", 64))
                    .col(json("changes"))
                    .col(ts(b, "created_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_activities_organization")
                            .from("activities", "organization_id")
                            .to("organizations", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // The log is read newest-first per organization, or per entity.
        manager
            .create_index(
                Index::create()
                    .name("ix_activities_org_created")
                    .table("activities")
                    .col("organization_id")
                    .col("created_at")
                    .col("id")
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_activities_org_entity")
                    .table("activities")
                    .col("organization_id")
                    .col("entity_type")
                    .col("entity_id")
                    .col("created_at")
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("outbox")
                    .if_not_exists()
                    .col(id())
                    .col(uuid_null("organization_id"))
                    .col(string("recipient", 254))
                    .col(string("subject", 500))
                    .col(text("body_text"))
                    .col(text_null("body_html"))
                    .col(string("status", 16))
                    .col(integer("attempts", 0))
                    .col(ts(b, "next_attempt_at"))
                    .col(ts_null(b, "locked_until"))
                    .col(text_null("last_error"))
                    .col(ts(b, "created_at"))
                    .col(ts(b, "updated_at"))
                    .col(ts_null(b, "sent_at"))
                    .to_owned(),
            )
            .await?;
        // The dispatcher's only query: pending messages due now.
        manager
            .create_index(
                Index::create()
                    .name("ix_outbox_due")
                    .table("outbox")
                    .col("status")
                    .col("next_attempt_at")
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in ["outbox", "activities", "organizations"] {
            manager
                .drop_table(Table::drop().table(t).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
