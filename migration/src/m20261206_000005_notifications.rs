//! Notifications (contract section 5): one row per person notified, their preferences per
//! notification type, and the single-use tickets that let a browser open the live stream.

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
                .table("notifications")
                .if_not_exists()
                .col(id())
                .col(uuid("organization_id"))
                .col(uuid("user_id"))
                .col(string("type", 100))
                .col(string("title", 200))
                .col(string("body", 500))
                .col(string("record_type", 64))
                .col(uuid("record_id"))
                .col(ts_null(b, "read_at"))
                .col(ts(b, "created_at"))
                .foreign_key(&mut org_fk("notifications"))
                .foreign_key(&mut cascade_fk("notifications", "user_id", "users"))
                .to_owned(),
        )
        .await?;
        // A user's list (newest first, by id: ids are time-ordered) and the stream's resume.
        index(
            m,
            "ix_notifications_user",
            "notifications",
            &["organization_id", "user_id", "id"],
            false,
        )
        .await?;
        // Unread counts and lists.
        index(
            m,
            "ix_notifications_user_unread",
            "notifications",
            &["organization_id", "user_id", "read_at"],
            false,
        )
        .await?;
        // The clean-up of old read notifications, across organizations.
        index(
            m,
            "ix_notifications_read_at",
            "notifications",
            &["read_at"],
            false,
        )
        .await?;

        m.create_table(
            Table::create()
                .table("notification_preferences")
                .if_not_exists()
                .col(uuid("organization_id"))
                .col(uuid("user_id"))
                .col(string("type", 100))
                .col(boolean("in_app", true))
                .col(boolean("email", false))
                .col(ts(b, "updated_at"))
                .primary_key(
                    Index::create()
                        .col("organization_id")
                        .col("user_id")
                        .col("type"),
                )
                .foreign_key(&mut org_fk("notification_preferences"))
                .foreign_key(&mut cascade_fk(
                    "notification_preferences",
                    "user_id",
                    "users",
                ))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("notification_stream_tickets")
                .if_not_exists()
                .col(
                    ColumnDef::new("ticket_hash")
                        .string_len(128)
                        .not_null()
                        .primary_key(),
                )
                .col(uuid("organization_id"))
                .col(uuid("user_id"))
                .col(ts(b, "expires_at"))
                .col(ts_null(b, "used_at"))
                .foreign_key(&mut org_fk("notification_stream_tickets"))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ix_notification_stream_tickets_expires",
            "notification_stream_tickets",
            &["expires_at"],
            false,
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "notification_stream_tickets",
            "notification_preferences",
            "notifications",
        ] {
            m.drop_table(Table::drop().table(t).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
