use super::delete_err;
use crate::entities::client::{self, ActiveModel, Column, Entity};
use crate::error::store_err;
use crate::keyset;
use crate::keyset::ListColumns;
use crate::rows::{
    Tenanted, Tree, ancestors, corrupt, db_version, delete_in_org, insert, locked, one,
    update_versioned,
};
use crate::tx::sql;
use async_trait::async_trait;
use crm_domain::clients::{Client, ClientId, ClientRepository, Lifecycle};
use crm_domain::identity::EmailAddress;
use crm_domain::kernel::clock;
use crm_domain::kernel::pagination::{ListQuery, Page};
use crm_domain::{OrganizationId, StoreError, Txn, UserId};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QuerySelect, Select,
};

#[derive(Clone)]
pub struct SqlClientRepository {
    db: DatabaseConnection,
}

impl SqlClientRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

const LIST: ListColumns<'static, Entity> =
    ListColumns::search(&[Column::Name, Column::Email, Column::Phone]);

impl TryFrom<client::Model> for Client {
    type Error = StoreError;
    fn try_from(m: client::Model) -> Result<Self, StoreError> {
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

/// `c` as its row: what `create` inserts and `update` writes.
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
    })
}

impl Tenanted for Entity {
    const ID: Column = Column::Id;
    const ORGANIZATION: Column = Column::OrganizationId;
    const VERSION: Column = Column::Version;
    const FIXED: &'static [Column] = &[Column::CreatedAt];
}

impl Tree for Entity {
    fn id(row: &client::Model) -> uuid::Uuid {
        row.id
    }
    fn parent(row: &client::Model) -> Option<uuid::Uuid> {
        row.parent_id
    }
}

fn in_org(org: OrganizationId, id: ClientId) -> Select<Entity> {
    crate::rows::in_org(org, id.0)
}

/// The clients of `org`, only those of `owner` when given.
fn scoped(org: OrganizationId, owner: Option<UserId>) -> Select<Entity> {
    let q = Entity::find().filter(Column::OrganizationId.eq(org.0));
    match owner {
        Some(u) => q.filter(Column::OwnerId.eq(u.0)),
        None => q,
    }
}

#[async_trait]
impl ClientRepository for SqlClientRepository {
    async fn create(&self, tx: &mut Txn, c: &Client) -> Result<(), StoreError> {
        insert(sql(tx.as_mut())?, row(c)?).await
    }

    async fn get(&self, org: OrganizationId, id: ClientId) -> Result<Client, StoreError> {
        one(&self.db, in_org(org, id)).await
    }

    async fn get_for_update(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: ClientId,
    ) -> Result<Client, StoreError> {
        locked(sql(tx.as_mut())?, in_org(org, id)).await?.try_into()
    }

    async fn list(
        &self,
        org: OrganizationId,
        query: &ListQuery,
        owner: Option<UserId>,
    ) -> Result<Page<Client>, StoreError> {
        keyset::page_as(&self.db, scoped(org, owner), query, &LIST).await
    }

    async fn update(
        &self,
        tx: &mut Txn,
        c: &Client,
        expected_version: i64,
    ) -> Result<(), StoreError> {
        let key = (c.organization_id, c.id.0);
        update_versioned(sql(tx.as_mut())?, row(c)?, key, expected_version).await
    }

    async fn delete(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: ClientId,
    ) -> Result<(), StoreError> {
        let db = sql(tx.as_mut())?;
        if in_org(org, id)
            .lock_exclusive()
            .one(db)
            .await
            .map_err(store_err)?
            .is_none()
        {
            return Err(StoreError::NotFound);
        }
        // `parent_id` has no foreign key (see the migration): check for sub-clients here.
        let children = Entity::find()
            .filter(Column::OrganizationId.eq(org.0))
            .filter(Column::ParentId.eq(id.0))
            .count(db)
            .await
            .map_err(store_err)?;
        if children > 0 {
            return Err(StoreError::Conflict {
                constraint: "clients.parent_id".into(),
            });
        }
        // Contacts and interactions go by ON DELETE CASCADE; records of other modules that
        // still refer to the client make the foreign key refuse, answered as `Conflict`.
        delete_in_org::<Entity>(db, org, id.0, delete_err).await
    }

    async fn children(
        &self,
        org: OrganizationId,
        parent: ClientId,
        query: &ListQuery,
        owner: Option<UserId>,
    ) -> Result<Page<Client>, StoreError> {
        let base = scoped(org, owner).filter(Column::ParentId.eq(parent.0));
        keyset::page_as(&self.db, base, query, &LIST).await
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
        if res.rows_affected == 0 && in_org(org, id).count(db).await.map_err(store_err)? == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}
