use crate::entities::interaction::{self, ActiveModel, Column, Entity};
use crate::error::store_err;
use crate::keyset;
use crate::keyset::ListColumns;
use crate::rows::{
    Tenanted, corrupt, db_version, delete_in_org, insert, locked, one, update_versioned,
};
use crate::tx::sql;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use crm_domain::clients::{ClientId, ContactId, Interaction, InteractionId, InteractionRepository};
use crm_domain::kernel::pagination::{ListQuery, Page};
use crm_domain::{OrganizationId, StoreError, Txn, UserId};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Select,
};

#[derive(Clone)]
pub struct SqlInteractionRepository {
    db: DatabaseConnection,
}

impl SqlInteractionRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

const LIST: ListColumns<'static, Entity> = ListColumns::search(&[Column::Summary]);

impl TryFrom<interaction::Model> for Interaction {
    type Error = StoreError;
    fn try_from(m: interaction::Model) -> Result<Self, StoreError> {
        Ok(Interaction {
            id: InteractionId(m.id),
            organization_id: OrganizationId(m.organization_id),
            client_id: ClientId(m.client_id),
            kind: m
                .kind
                .parse()
                .map_err(|e| corrupt("interaction", m.id, e))?,
            summary: m.summary,
            occurred_at: m.occurred_at,
            contact_id: m.contact_id.map(ContactId),
            owner_id: UserId(m.owner_id),
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: i64::from(m.version),
        })
    }
}

/// `i` as its row: what `create` inserts and `update` writes.
fn row(i: &Interaction) -> Result<ActiveModel, StoreError> {
    Ok(ActiveModel {
        id: Set(i.id.0),
        created_at: Set(i.created_at),
        updated_at: Set(i.updated_at),
        version: Set(db_version(i.version)?),
        organization_id: Set(i.organization_id.0),
        client_id: Set(i.client_id.0),
        kind: Set(i.kind.as_str().to_string()),
        summary: Set(i.summary.clone()),
        occurred_at: Set(i.occurred_at),
        contact_id: Set(i.contact_id.map(|c| c.0)),
        owner_id: Set(i.owner_id.0),
    })
}

impl Tenanted for Entity {
    const ID: Column = Column::Id;
    const ORGANIZATION: Column = Column::OrganizationId;
    const VERSION: Column = Column::Version;
    const FIXED: &'static [Column] = &[Column::ClientId, Column::OwnerId, Column::CreatedAt];
}

fn in_org(org: OrganizationId, id: InteractionId) -> Select<Entity> {
    crate::rows::in_org(org, id.0)
}

fn of_client(org: OrganizationId, client: ClientId) -> Select<Entity> {
    Entity::find()
        .filter(Column::OrganizationId.eq(org.0))
        .filter(Column::ClientId.eq(client.0))
}

#[async_trait]
impl InteractionRepository for SqlInteractionRepository {
    async fn create(&self, tx: &mut Txn, i: &Interaction) -> Result<(), StoreError> {
        insert(sql(tx.as_mut())?, row(i)?).await
    }

    async fn get(&self, org: OrganizationId, id: InteractionId) -> Result<Interaction, StoreError> {
        one(&self.db, in_org(org, id)).await
    }

    async fn get_for_update(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: InteractionId,
    ) -> Result<Interaction, StoreError> {
        locked(sql(tx.as_mut())?, in_org(org, id)).await?.try_into()
    }

    async fn list(
        &self,
        org: OrganizationId,
        client: ClientId,
        query: &ListQuery,
    ) -> Result<Page<Interaction>, StoreError> {
        keyset::page_as(&self.db, of_client(org, client), query, &LIST).await
    }

    async fn update(
        &self,
        tx: &mut Txn,
        i: &Interaction,
        expected_version: i64,
    ) -> Result<(), StoreError> {
        let key = (i.organization_id, i.id.0);
        update_versioned(sql(tx.as_mut())?, row(i)?, key, expected_version).await
    }

    async fn delete(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: InteractionId,
    ) -> Result<(), StoreError> {
        delete_in_org::<Entity>(sql(tx.as_mut())?, org, id.0, store_err).await
    }

    async fn last_interaction_at(
        &self,
        org: OrganizationId,
        client: ClientId,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        // The newest row through (organization_id, client_id, occurred_at, id): one index seek.
        let newest = of_client(org, client)
            .order_by_desc(Column::OccurredAt)
            .order_by_desc(Column::Id)
            .one(&self.db)
            .await
            .map_err(store_err)?;
        Ok(newest.map(|m| m.occurred_at))
    }
}
