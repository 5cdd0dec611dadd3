//! Messages (contract section 9, conversations): `conversations`, their members with each
//! member's read mark (`conversation_members`), and `messages`.
//!
//! - `unique_key` holds `direct:<the two user ids sorted>` or `record:<type>:<id>` (NULL for
//!   groups): `ux_conversations_key` keeps one direct conversation per pair and one thread
//!   per record, also when two creations race.
//! - `last_message_id` and `last_activity_at` are written with each message under the
//!   conversation's row lock; the list of a person's conversations sorts by
//!   `last_activity_at` (`ix_conversations_activity`).
//! - A member's read mark `last_read_message_id` is never NULL: the nil UUID before the first
//!   read, so the unread count is one index range (`m.id > mark`) per conversation on
//!   `ix_messages_conversation` without an `OR … IS NULL`.
//! - `ux_messages_client` makes `client_message_id` unique per author and conversation
//!   (NULLs repeat on every backend).
//! - `author_id` has no foreign key: a user's messages stay in their conversations.
//! - The `messages:*` codes are in the catalogue and every seeded role already holds the
//!   `:own` ones (and the admin role all), so nothing is granted here.

use crate::schema::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const CONVERSATIONS: &str = "conversations";
const MEMBERS: &str = "conversation_members";
const MESSAGES: &str = "messages";

const INDEXES: &[(&str, &str, &[&str], bool)] = &[
    (CONVERSATIONS, "ux_conversations_key", &["organization_id", "unique_key"], true),
    (
        CONVERSATIONS,
        "ix_conversations_activity",
        &["organization_id", "last_activity_at", "id"],
        false,
    ),
    (CONVERSATIONS, "ix_conversations_created", &["organization_id", "created_at", "id"], false),
    (CONVERSATIONS, "ix_conversations_updated", &["organization_id", "updated_at", "id"], false),
    (
        MEMBERS,
        "ix_conversation_members_user",
        &["organization_id", "user_id", "conversation_id"],
        false,
    ),
    (MEMBERS, "ix_conversation_members_user_fk", &["user_id"], false),
    (
        MESSAGES,
        "ix_messages_conversation",
        &["organization_id", "conversation_id", "id"],
        false,
    ),
    (MESSAGES, "ix_messages_conversation_fk", &["conversation_id"], false),
    (
        MESSAGES,
        "ux_messages_client",
        &["organization_id", "conversation_id", "author_id", "client_message_id"],
        true,
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let b = m.get_database_backend();
        m.create_table(
            resource_table(b, CONVERSATIONS)
                .col(string("kind", 8))
                .col(string_null("title", 200))
                .col(string_null("record_type", 32))
                .col(uuid_null("record_id"))
                .col(string_null("unique_key", 120))
                .col(uuid("created_by"))
                .col(uuid_null("last_message_id"))
                .col(ts(b, "last_activity_at"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(MEMBERS)
                .if_not_exists()
                .col(uuid("conversation_id"))
                .col(uuid("user_id"))
                .col(uuid("organization_id"))
                .col(ts(b, "joined_at"))
                .col(uuid("last_read_message_id"))
                .primary_key(Index::create().col("conversation_id").col("user_id"))
                .foreign_key(&mut org_fk(MEMBERS))
                .foreign_key(&mut cascade_fk(MEMBERS, "conversation_id", CONVERSATIONS))
                .foreign_key(&mut cascade_fk(MEMBERS, "user_id", "users"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(MESSAGES)
                .if_not_exists()
                .col(id())
                .col(uuid("organization_id"))
                .col(uuid("conversation_id"))
                .col(uuid("author_id"))
                .col(text("body"))
                .col(json("file_ids"))
                .col(string_null("client_message_id", 100))
                .col(ts(b, "created_at"))
                .col(ts_null(b, "edited_at"))
                .col(boolean("deleted", false))
                .foreign_key(&mut org_fk(MESSAGES))
                .foreign_key(&mut cascade_fk(MESSAGES, "conversation_id", CONVERSATIONS))
                .to_owned(),
        )
        .await?;
        for (table, name, cols, unique) in INDEXES {
            index(m, name, table, cols, *unique).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [MESSAGES, MEMBERS, CONVERSATIONS] {
            m.drop_table(Table::drop().table(t).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
