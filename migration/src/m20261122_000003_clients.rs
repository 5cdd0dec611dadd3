//! Clients (with sub-clients), their contacts and their interactions.
//!
//! `q` on clients searches lower(name), lower(email) and lower(phone) with `LIKE '%…%'`; on
//! PostgreSQL trigram GIN indexes (`pg_trgm`) serve it. `parent_id` and `owner_id` carry no
//! foreign key (as departments): the domain checks them, and the adapter refuses to delete a
//! client that still has sub-clients.

use crate::schema::*;
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Trigram indexes (PostgreSQL only) serving `q` on clients.
const TRGM_INDEXES: &[(&str, &str)] = &[
    ("ix_clients_name_trgm", "name"),
    ("ix_clients_email_trgm", "email"),
    ("ix_clients_phone_trgm", "phone"),
];

fn client_fk(table: &'static str) -> ForeignKeyCreateStatement {
    cascade_fk(table, "client_id", "clients")
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let b = m.get_database_backend();
        let resource = |name: &'static str| resource_table(b, name);

        let mut clients = resource("clients");
        clients
            .col(string("name", 200))
            .col(string("kind", 16))
            .col(string_null("email", 254))
            .col(string_null("phone", 50))
            .col(text_null("website"))
            .col(string_null("industry", 100))
            .col(uuid_null("parent_id"))
            .col(uuid("owner_id"))
            .col(string("status", 50))
            .col(json("tags"))
            .col(text_null("address"))
            .col(string("lifecycle", 16));
        m.create_table(clients).await?;
        // One index per filter and sort the list offers, organization first, ending with the
        // keyset tie-breaker where the list sorts by it.
        for (name, cols) in [
            (
                "ix_clients_org_created",
                &["organization_id", "created_at", "id"][..],
            ),
            (
                "ix_clients_org_updated",
                &["organization_id", "updated_at", "id"][..],
            ),
            (
                "ix_clients_org_name",
                &["organization_id", "name", "id"][..],
            ),
            (
                "ix_clients_org_owner",
                &["organization_id", "owner_id", "created_at", "id"][..],
            ),
            (
                "ix_clients_org_parent",
                &["organization_id", "parent_id", "created_at", "id"][..],
            ),
            (
                "ix_clients_org_status",
                &["organization_id", "status", "created_at"][..],
            ),
            (
                "ix_clients_org_lifecycle",
                &["organization_id", "lifecycle", "created_at"][..],
            ),
            (
                "ix_clients_org_kind",
                &["organization_id", "kind", "created_at"][..],
            ),
            (
                "ix_clients_org_industry",
                &["organization_id", "industry", "created_at"][..],
            ),
        ] {
            index(m, name, "clients", cols, false).await?;
        }

        let mut contacts = resource("contacts");
        contacts
            .col(uuid("client_id"))
            .col(string("name", 200))
            .col(string_null("email", 254))
            .col(string_null("phone", 50))
            .col(string_null("title", 200))
            .col(boolean("is_primary", false))
            .foreign_key(&mut client_fk("contacts"));
        m.create_table(contacts).await?;
        index(
            m,
            "ix_contacts_org_client_created",
            "contacts",
            &["organization_id", "client_id", "created_at", "id"],
            false,
        )
        .await?;

        let mut interactions = resource("interactions");
        interactions
            .col(uuid("client_id"))
            .col(string("kind", 16))
            .col(text("summary"))
            .col(ts(b, "occurred_at"))
            .col(uuid_null("contact_id"))
            .col(uuid("owner_id"))
            .foreign_key(&mut client_fk("interactions"));
        m.create_table(interactions).await?;
        index(
            m,
            "ix_interactions_org_client_occurred",
            "interactions",
            &["organization_id", "client_id", "occurred_at", "id"],
            false,
        )
        .await?;
        index(
            m,
            "ix_interactions_org_client_created",
            "interactions",
            &["organization_id", "client_id", "created_at", "id"],
            false,
        )
        .await?;
        // Deleting a contact unlinks its interactions.
        index(
            m,
            "ix_interactions_org_contact",
            "interactions",
            &["organization_id", "contact_id"],
            false,
        )
        .await?;

        if b == DatabaseBackend::Postgres {
            let db = m.get_connection();
            db.execute_unprepared("CREATE EXTENSION IF NOT EXISTS pg_trgm")
                .await?;
            for (name, col) in TRGM_INDEXES {
                db.execute_unprepared(&format!(
                    "CREATE INDEX IF NOT EXISTS {name} ON clients USING gin (lower({col}) gin_trgm_ops)"
                ))
                .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() == DatabaseBackend::Postgres {
            // The extension stays: other tables may use it, and it holds no data.
            let db = m.get_connection();
            for (name, _) in TRGM_INDEXES {
                db.execute_unprepared(&format!("DROP INDEX IF EXISTS {name}"))
                    .await?;
            }
        }
        for t in ["interactions", "contacts", "clients"] {
            m.drop_table(Table::drop().table(t).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
