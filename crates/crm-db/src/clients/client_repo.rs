use super::delete_err;
use crate::error::store_err;
use crate::keyset;
use crate::keyset::ListColumns;
use crate::records::{SqlRecords, Stored, owned};
use crate::rows::{Tree, ancestors, corrupt, db_version, ensure_none};
use crate::tx::sql;
use async_trait::async_trait;
use crm_domain::clients::{Client, ClientId, ClientRepository, Lifecycle};
use crm_domain::identity::EmailAddress;
use crm_domain::kernel::clock;
use crm_domain::kernel::pagination::{ListQuery, Page};
use crm_domain::{OrganizationId, StoreError, Txn, UserId};
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::ExprTrait;
use sea_orm::{ActiveValue::Set, DatabaseTransaction};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "clients")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
    pub organization_id: Uuid,
    pub name: String,
    /// `company` or `individual`.
    pub kind: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub website: Option<String>,
    pub industry: Option<String>,
    pub parent_id: Option<Uuid>,
    pub owner_id: Uuid,
    pub status: String,
    /// A JSON array of strings.
    pub tags: Json,
    pub address: Option<String>,
    /// `prospect` or `customer`.
    pub lifecycle: String,
    pub legacy_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl TryFrom<Model> for Client {
    type Error = StoreError;
    fn try_from(m: Model) -> Result<Self, StoreError> {
        let bad = |e: &dyn std::fmt::Display| corrupt("client", m.id, e);
        Ok(Client {
            id: ClientId(m.id),
            organization_id: OrganizationId(m.organization_id),
            kind: m.kind.parse().map_err(|e| bad(&e))?,
            email: match &m.email {
                Some(e) => Some(EmailAddress::parse(e).map_err(|e| bad(&e))?),
                None => None,
            },
            tags: serde_json::from_value(m.tags).map_err(|e| bad(&e))?,
            lifecycle: m.lifecycle.parse().map_err(|e| bad(&e))?,
            legacy_id: m.legacy_id,
            name: m.name,
            phone: m.phone,
            website: m.website,
            industry: m.industry,
            parent_id: m.parent_id.map(ClientId),
            owner_id: UserId(m.owner_id),
            status: m.status,
            address: m.address,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: i64::from(m.version),
        })
    }
}

crate::rows::tenanted!([CreatedAt]);

impl Tree for Entity {
    fn id(row: &Model) -> uuid::Uuid {
        row.id
    }
    fn parent(row: &Model) -> Option<uuid::Uuid> {
        row.parent_id
    }
}

impl Stored for Entity {
    type Record = Client;
    const LIST: ListColumns<'static, Entity> =
        ListColumns::search(&[Column::Name, Column::Email, Column::Phone]);
    // Contacts and interactions go by ON DELETE CASCADE; records of other modules that still
    // refer to the client make the foreign key refuse, answered as `Conflict`.
    const DELETE_ERR: fn(DbErr) -> StoreError = delete_err;

    fn row(c: &Client) -> Result<ActiveModel, StoreError> {
        Ok(ActiveModel {
            id: Set(c.id.0),
            created_at: Set(c.created_at),
            updated_at: Set(c.updated_at),
            version: Set(db_version(c.version)?),
            organization_id: Set(c.organization_id.0),
            name: Set(c.name.clone()),
            kind: Set(c.kind.as_str().to_string()),
            email: Set(c.email.as_ref().map(|e| e.as_str().to_string())),
            phone: Set(c.phone.clone()),
            website: Set(c.website.clone()),
            industry: Set(c.industry.clone()),
            parent_id: Set(c.parent_id.map(|p| p.0)),
            owner_id: Set(c.owner_id.0),
            status: Set(c.status.clone()),
            tags: Set(serde_json::Value::from(c.tags.clone())),
            address: Set(c.address.clone()),
            lifecycle: Set(c.lifecycle.as_str().to_string()),
            legacy_id: Set(c.legacy_id.clone()),
        })
    }

    fn scoped(select: Select<Entity>, owner: Option<UserId>) -> Select<Entity> {
        owned(select, Column::OwnerId, owner)
    }

    /// `parent_id` has no foreign key (see the migration): check for sub-clients here.
    async fn before_delete(
        db: &DatabaseTransaction,
        org: OrganizationId,
        id: uuid::Uuid,
    ) -> Result<(), StoreError> {
        let children = Entity::find()
            .filter(Column::OrganizationId.eq(org.0))
            .filter(Column::ParentId.eq(id));
        ensure_none(db, children, "clients.parent_id").await
    }
}

#[async_trait]
impl ClientRepository for SqlRecords<Entity> {
    async fn children(
        &self,
        org: OrganizationId,
        parent: ClientId,
        query: &ListQuery,
        owner: Option<UserId>,
    ) -> Result<Page<Client>, StoreError> {
        let base = Entity::find().filter(Column::OrganizationId.eq(org.0));
        let base = owned(base, Column::OwnerId, owner).filter(Column::ParentId.eq(parent.0));
        keyset::page_as(self.db(), base, query, &Entity::LIST).await
    }

    async fn ancestor_ids(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: ClientId,
    ) -> Result<Vec<ClientId>, StoreError> {
        let chain = ancestors::<Entity>(sql(tx.as_mut())?, org, id.0).await?;
        Ok(chain.into_iter().map(ClientId).collect())
    }

    async fn set_lifecycle(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: ClientId,
        lifecycle: Lifecycle,
    ) -> Result<(), StoreError> {
        let db = sql(tx.as_mut())?;
        let res = Entity::update_many()
            .col_expr(Column::Lifecycle, Expr::value(lifecycle.as_str()))
            .col_expr(Column::UpdatedAt, Expr::value(clock::now()))
            .col_expr(Column::Version, Expr::col(Column::Version).add(1))
            .filter(Column::Id.eq(id.0))
            .filter(Column::OrganizationId.eq(org.0))
            .filter(Column::Lifecycle.ne(lifecycle.as_str()))
            .exec(db)
            .await
            .map_err(store_err)?;
        if res.rows_affected == 0
            && crate::rows::in_org::<Entity>(org, id.0)
                .count(db)
                .await
                .map_err(store_err)?
                == 0
        {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}
