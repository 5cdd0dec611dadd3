use crate::entities::role::{self, ActiveModel, Column, Entity};
use crate::entities::{user, user_role};
use crate::error::store_err;
use crate::keyset;
use crate::keyset::ListColumns;
use crate::rows::{corrupt, db_version, locked, stale_or_missing};
use crate::tx::sql;
use async_trait::async_trait;
use crm_domain::identity::{Role, RoleId, RoleRepository};
use crm_domain::kernel::pagination::{ListQuery, Page};
use crm_domain::{OrganizationId, StoreError, Txn, UserId};
use sea_orm::sea_query::{Expr, ExprTrait, Func, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder,
};
use std::collections::BTreeSet;
use uuid::Uuid;

/// The unique index that also guards role names against exact duplicates.
const NAME_CONSTRAINT: &str = "ux_roles_org_name";

#[derive(Clone)]
pub struct SqlRoleRepository {
    db: DatabaseConnection,
}

impl SqlRoleRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

impl TryFrom<role::Model> for Role {
    type Error = StoreError;
    fn try_from(m: role::Model) -> Result<Self, StoreError> {
        let permissions: Vec<String> =
            serde_json::from_value(m.permissions).map_err(|e| corrupt("role", m.id, e))?;
        Ok(Role {
            id: RoleId(m.id),
            organization_id: OrganizationId(m.organization_id),
            name: m.name,
            description: m.description,
            permissions,
            is_system: m.is_system,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: i64::from(m.version),
        })
    }
}

fn changes(r: &Role) -> Result<ActiveModel, StoreError> {
    Ok(ActiveModel {
        updated_at: Set(r.updated_at),
        version: Set(db_version(r.version)?),
        name: Set(r.name.clone()),
        description: Set(r.description.clone()),
        permissions: Set(serde_json::Value::from(r.permissions.clone())),
        is_system: Set(r.is_system),
        ..Default::default()
    })
}

/// `lower(name) = lower(?)`, folded by the database on both sides so every backend agrees
/// with itself.
fn name_is(name: &str) -> Expr {
    Expr::expr(Func::lower(Expr::col(Column::Name)))
        .eq(Expr::expr(Func::lower(Expr::val(name.to_string()))))
}

/// `Conflict` when another role of `org` (not `except`) has `name`, whatever its case. The
/// unique index still guards exact duplicates that race this check.
async fn ensure_name_free<C: ConnectionTrait>(
    db: &C,
    org: OrganizationId,
    name: &str,
    except: Option<Uuid>,
) -> Result<(), StoreError> {
    let mut q = Entity::find()
        .filter(Column::OrganizationId.eq(org.0))
        .filter(name_is(name));
    if let Some(id) = except {
        q = q.filter(Column::Id.ne(id));
    }
    if q.count(db).await.map_err(store_err)? > 0 {
        return Err(StoreError::Conflict {
            constraint: NAME_CONSTRAINT.into(),
        });
    }
    Ok(())
}

fn into_roles(rows: Vec<role::Model>) -> Result<Vec<Role>, StoreError> {
    rows.into_iter().map(Role::try_from).collect()
}

/// The roles assigned to `user` of `org`, by name.
async fn roles_of(
    db: &impl ConnectionTrait,
    org: OrganizationId,
    user: UserId,
) -> Result<Vec<Role>, StoreError> {
    let assigned = Query::select()
        .column(user_role::Column::RoleId)
        .from(user_role::Entity)
        .and_where(user_role::Column::UserId.eq(user.0))
        .and_where(user_role::Column::OrganizationId.eq(org.0))
        .to_owned();
    let rows = Entity::find()
        .filter(Column::OrganizationId.eq(org.0))
        .filter(Column::Id.in_subquery(assigned))
        .order_by_asc(Column::Name)
        .order_by_asc(Column::Id)
        .all(db)
        .await
        .map_err(store_err)?;
    into_roles(rows)
}

#[async_trait]
impl RoleRepository for SqlRoleRepository {
    async fn create(&self, tx: &mut Txn, role: &Role) -> Result<(), StoreError> {
        let db = sql(tx.as_mut())?;
        ensure_name_free(db, role.organization_id, &role.name, None).await?;
        let mut row = changes(role)?;
        row.id = Set(role.id.0);
        row.organization_id = Set(role.organization_id.0);
        row.created_at = Set(role.created_at);
        Entity::insert(row)
            .exec_without_returning(db)
            .await
            .map_err(store_err)?;
        Ok(())
    }

    async fn get(&self, org: OrganizationId, id: RoleId) -> Result<Role, StoreError> {
        Entity::find_by_id(id.0)
            .filter(Column::OrganizationId.eq(org.0))
            .one(&self.db)
            .await
            .map_err(store_err)?
            .ok_or(StoreError::NotFound)?
            .try_into()
    }

    async fn get_many(&self, org: OrganizationId, ids: &[RoleId]) -> Result<Vec<Role>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids: BTreeSet<Uuid> = ids.iter().map(|r| r.0).collect();
        let rows = Entity::find()
            .filter(Column::OrganizationId.eq(org.0))
            .filter(Column::Id.is_in(ids))
            .all(&self.db)
            .await
            .map_err(store_err)?;
        into_roles(rows)
    }

    async fn find_by_name(
        &self,
        org: OrganizationId,
        name: &str,
    ) -> Result<Option<Role>, StoreError> {
        Entity::find()
            .filter(Column::OrganizationId.eq(org.0))
            .filter(name_is(name))
            .order_by_asc(Column::CreatedAt)
            .order_by_asc(Column::Id)
            .one(&self.db)
            .await
            .map_err(store_err)?
            .map(Role::try_from)
            .transpose()
    }

    async fn list(&self, org: OrganizationId, query: &ListQuery) -> Result<Page<Role>, StoreError> {
        let cols = ListColumns::<Entity>::search(&[Column::Name, Column::Description]);
        let base = Entity::find().filter(Column::OrganizationId.eq(org.0));
        keyset::page_as(&self.db, base, query, &cols).await
    }

    async fn update(
        &self,
        tx: &mut Txn,
        role: &Role,
        expected_version: i64,
    ) -> Result<(), StoreError> {
        let db = sql(tx.as_mut())?;
        let row =
            Entity::find_by_id(role.id.0).filter(Column::OrganizationId.eq(role.organization_id.0));
        ensure_name_free(db, role.organization_id, &role.name, Some(role.id.0)).await?;
        let res = Entity::update_many()
            .set(changes(role)?)
            .filter(Column::Id.eq(role.id.0))
            .filter(Column::OrganizationId.eq(role.organization_id.0))
            .filter(Column::Version.eq(db_version(expected_version)?))
            .exec(db)
            .await
            .map_err(store_err)?;
        if res.rows_affected == 0 {
            return Err(stale_or_missing(db, row).await);
        }
        Ok(())
    }

    async fn delete(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: RoleId,
    ) -> Result<(), StoreError> {
        let db = sql(tx.as_mut())?;
        let exists = Entity::find_by_id(id.0)
            .filter(Column::OrganizationId.eq(org.0))
            .count(db)
            .await
            .map_err(store_err)?;
        if exists == 0 {
            return Err(StoreError::NotFound);
        }
        // Explicitly, not through the cascade: SQLite only cascades with foreign keys enabled.
        user_role::Entity::delete_many()
            .filter(user_role::Column::RoleId.eq(id.0))
            .filter(user_role::Column::OrganizationId.eq(org.0))
            .exec(db)
            .await
            .map_err(store_err)?;
        let res = Entity::delete_many()
            .filter(Column::Id.eq(id.0))
            .filter(Column::OrganizationId.eq(org.0))
            .exec(db)
            .await
            .map_err(store_err)?;
        if res.rows_affected == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn roles_of_user(
        &self,
        org: OrganizationId,
        user: UserId,
    ) -> Result<Vec<Role>, StoreError> {
        roles_of(&self.db, org, user).await
    }

    async fn set_user_roles(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        user: UserId,
        roles: &[RoleId],
    ) -> Result<(), StoreError> {
        let db = sql(tx.as_mut())?;
        let user_exists = user::Entity::find_by_id(user.0)
            .filter(user::Column::OrganizationId.eq(org.0))
            .count(db)
            .await
            .map_err(store_err)?;
        if user_exists == 0 {
            return Err(StoreError::NotFound);
        }
        user_role::Entity::delete_many()
            .filter(user_role::Column::UserId.eq(user.0))
            .exec(db)
            .await
            .map_err(store_err)?;
        let unique: BTreeSet<Uuid> = roles.iter().map(|r| r.0).collect();
        if unique.is_empty() {
            return Ok(());
        }
        let rows = unique.into_iter().map(|role_id| user_role::ActiveModel {
            organization_id: Set(org.0),
            user_id: Set(user.0),
            role_id: Set(role_id),
        });
        user_role::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await
            .map_err(store_err)?;
        Ok(())
    }

    async fn get_for_update(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: RoleId,
    ) -> Result<Role, StoreError> {
        let row = Entity::find_by_id(id.0).filter(Column::OrganizationId.eq(org.0));
        locked(sql(tx.as_mut())?, row).await?.try_into()
    }

    async fn roles_of_user_in_tx(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        user: UserId,
    ) -> Result<Vec<Role>, StoreError> {
        roles_of(sql(tx.as_mut())?, org, user).await
    }
}
