//! Every contact of an organization (`GET /contacts/export`), oldest first: one index range
//! per page, `(organization_id, created_at, id)`. The per-client index
//! `ix_contacts_org_client_created` leads with `client_id`, so it cannot serve an
//! organization-wide order.

use crate::schema::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const NAME: &str = "ix_contacts_org_created";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        index(
            m,
            NAME,
            "contacts",
            &["organization_id", "created_at", "id"],
            false,
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name(NAME).table("contacts").to_owned())
            .await
    }
}
