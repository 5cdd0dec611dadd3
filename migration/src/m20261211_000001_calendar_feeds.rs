//! iCalendar feeds (contract section 9, `/calendar/feeds`): `calendar_feeds`, one row per
//! feed a user made.
//!
//! - `token_hash`: the keyed hash of the feed's token (HMAC-SHA256, hex, as refresh tokens);
//!   the token itself is never stored. Unique: the feed's download reads it by this key.
//! - `ix_calendar_feeds_user`: a user's list of feeds.
//! - Rows go with their organization and their user (cascade); a deactivated user's feeds
//!   stay, and answer `404` while the user is not active.

use crate::schema::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const FEEDS: &str = "calendar_feeds";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let b = m.get_database_backend();
        m.create_table(
            Table::create()
                .table(FEEDS)
                .if_not_exists()
                .col(id())
                .col(uuid("organization_id"))
                .col(uuid("user_id"))
                .col(string("token_hash", 64))
                .col(string("scope", 16))
                .col(ts(b, "created_at"))
                .col(ts_null(b, "last_used_at"))
                .foreign_key(&mut org_fk(FEEDS))
                .foreign_key(&mut cascade_fk(FEEDS, "user_id", "users"))
                .to_owned(),
        )
        .await?;
        index(m, "ux_calendar_feeds_token", FEEDS, &["token_hash"], true).await?;
        index(
            m,
            "ix_calendar_feeds_user",
            FEEDS,
            &["organization_id", "user_id", "created_at"],
            false,
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(FEEDS).if_exists().to_owned())
            .await
    }
}
