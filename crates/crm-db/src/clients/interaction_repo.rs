use crate::error::store_err;
use crate::keyset::ListColumns;
use crate::records::{SqlRecords, Stored};
use crate::rows::{corrupt, db_version};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use crm_domain::clients::{ClientId, ContactId, Interaction, InteractionId, InteractionRepository};
use crm_domain::{OrganizationId, StoreError, UserId};
use sea_orm::entity::prelude::*;
use sea_orm::{ActiveValue::Set, QueryOrder};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "interactions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
    pub organization_id: Uuid,
    pub client_id: Uuid,
    /// `call`, `email`, `meeting` or `note`.
    pub kind: String,
    pub summary: String,
    pub occurred_at: DateTimeUtc,
    pub contact_id: Option<Uuid>,
    pub owner_id: Uuid,
    pub legacy_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl TryFrom<Model> for Interaction {
    type Error = StoreError;
    fn try_from(m: Model) -> Result<Self, StoreError> {
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
            legacy_id: m.legacy_id,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: i64::from(m.version),
        })
    }
}

crate::rows::tenanted!([ClientId, OwnerId, CreatedAt]);

impl Stored for Entity {
    type Record = Interaction;
    const LIST: ListColumns<'static, Entity> = ListColumns::search(&[Column::Summary]);

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
            legacy_id: Set(i.legacy_id.clone()),
        })
    }

    fn scoped(select: Select<Entity>, client: ClientId) -> Select<Entity> {
        select.filter(Column::ClientId.eq(client.0))
    }
}

#[async_trait]
impl InteractionRepository for SqlRecords<Entity> {
    async fn last_interaction_at(
        &self,
        org: OrganizationId,
        client: ClientId,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        // The newest row through (organization_id, client_id, occurred_at, id): one index seek.
        let newest = Entity::find()
            .filter(Column::OrganizationId.eq(org.0))
            .filter(Column::ClientId.eq(client.0))
            .order_by_desc(Column::OccurredAt)
            .order_by_desc(Column::Id)
            .one(self.db())
            .await
            .map_err(store_err)?;
        Ok(newest.map(|m| m.occurred_at))
    }
}
