use crate::entities::department::{self, ActiveModel, Column, Entity};
use crate::entities::{designation, user};
use crate::error::store_err;
use crate::keyset;
use crate::keyset::ListColumns;
use crate::rows::{locked, stale_or_missing};
use crate::tx::sql;
use async_trait::async_trait;
use crm_domain::identity::{Department, DepartmentId, DepartmentRepository};
use crm_domain::kernel::pagination::{ListQuery, Page};
use crm_domain::{OrganizationId, StoreError, Txn, UserId};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QuerySelect, Select,
};
use std::collections::HashSet;

/// How far [`DepartmentRepository::ancestor_ids`] climbs before deciding the data loops.
const MAX_DEPTH: usize = 1000;

#[derive(Clone)]
pub struct SqlDepartmentRepository {
    db: DatabaseConnection,
}

impl SqlDepartmentRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

impl TryFrom<department::Model> for Department {
    type Error = StoreError;
    fn try_from(m: department::Model) -> Result<Self, StoreError> {
        Ok(Department {
            id: DepartmentId(m.id),
            organization_id: OrganizationId(m.organization_id),
            name: m.name,
            code: m.code,
            parent_id: m.parent_id.map(DepartmentId),
            head_user_id: m.head_user_id.map(UserId),
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: i64::from(m.version),
        })
    }
}

fn in_org(org: OrganizationId, id: DepartmentId) -> Select<Entity> {
    Entity::find_by_id(id.0).filter(Column::OrganizationId.eq(org.0))
}

/// `Conflict` naming `what` when `rows` is not empty.
async fn ensure_none<E, C>(db: &C, rows: Select<E>, what: &str) -> Result<(), StoreError>
where
    E: EntityTrait,
    E::Model: Sync,
    C: ConnectionTrait,
{
    if rows.count(db).await.map_err(store_err)? > 0 {
        return Err(StoreError::Conflict {
            constraint: what.into(),
        });
    }
    Ok(())
}

#[async_trait]
impl DepartmentRepository for SqlDepartmentRepository {
    async fn create(&self, tx: &mut Txn, dept: &Department) -> Result<(), StoreError> {
        let row = ActiveModel {
            id: Set(dept.id.0),
            created_at: Set(dept.created_at),
            updated_at: Set(dept.updated_at),
            version: Set(crate::rows::db_version(dept.version)?),
            organization_id: Set(dept.organization_id.0),
            name: Set(dept.name.clone()),
            code: Set(dept.code.clone()),
            parent_id: Set(dept.parent_id.map(|p| p.0)),
            head_user_id: Set(dept.head_user_id.map(|u| u.0)),
        };
        Entity::insert(row)
            .exec_without_returning(sql(tx.as_mut())?)
            .await
            .map_err(store_err)?;
        Ok(())
    }

    async fn get(&self, org: OrganizationId, id: DepartmentId) -> Result<Department, StoreError> {
        in_org(org, id)
            .one(&self.db)
            .await
            .map_err(store_err)?
            .ok_or(StoreError::NotFound)?
            .try_into()
    }

    async fn list(
        &self,
        org: OrganizationId,
        query: &ListQuery,
    ) -> Result<Page<Department>, StoreError> {
        let cols = ListColumns::<Entity>::search(&[Column::Name, Column::Code]);
        let base = Entity::find().filter(Column::OrganizationId.eq(org.0));
        keyset::page_as(&self.db, base, query, &cols).await
    }

    async fn update(
        &self,
        tx: &mut Txn,
        dept: &Department,
        expected_version: i64,
    ) -> Result<(), StoreError> {
        let db = sql(tx.as_mut())?;
        let res = Entity::update_many()
            .col_expr(Column::Name, Expr::value(dept.name.clone()))
            .col_expr(Column::Code, Expr::value(dept.code.clone()))
            .col_expr(Column::ParentId, Expr::value(dept.parent_id.map(|p| p.0)))
            .col_expr(
                Column::HeadUserId,
                Expr::value(dept.head_user_id.map(|u| u.0)),
            )
            .col_expr(Column::UpdatedAt, Expr::value(dept.updated_at))
            .col_expr(Column::Version, Expr::col(Column::Version).add(1))
            .filter(Column::Id.eq(dept.id.0))
            .filter(Column::OrganizationId.eq(dept.organization_id.0))
            .filter(Column::Version.eq(crate::rows::db_version(expected_version)?))
            .exec(db)
            .await
            .map_err(store_err)?;
        if res.rows_affected == 0 {
            return Err(stale_or_missing(db, in_org(dept.organization_id, dept.id)).await);
        }
        Ok(())
    }

    async fn delete(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: DepartmentId,
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
        // The schema has no foreign keys on these references: check them here.
        ensure_none(
            db,
            Entity::find()
                .filter(Column::OrganizationId.eq(org.0))
                .filter(Column::ParentId.eq(id.0)),
            "departments.parent_id",
        )
        .await?;
        ensure_none(
            db,
            designation::Entity::find()
                .filter(designation::Column::OrganizationId.eq(org.0))
                .filter(designation::Column::DepartmentId.eq(id.0)),
            "designations.department_id",
        )
        .await?;
        ensure_none(
            db,
            user::Entity::find()
                .filter(user::Column::OrganizationId.eq(org.0))
                .filter(user::Column::DepartmentId.eq(id.0)),
            "users.department_id",
        )
        .await?;
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

    async fn ancestor_ids(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: DepartmentId,
    ) -> Result<Vec<DepartmentId>, StoreError> {
        let db = sql(tx.as_mut())?;
        // `SELECT … FOR UPDATE` on PostgreSQL and MySQL (SQLite serializes writers anyway), so
        // a concurrent move of any department on the chain waits for this transaction.
        let start = in_org(org, id)
            .lock_exclusive()
            .one(db)
            .await
            .map_err(store_err)?
            .ok_or(StoreError::NotFound)?;
        let mut chain = Vec::new();
        let mut seen = HashSet::from([start.id]);
        let mut next = start.parent_id;
        while let Some(parent) = next {
            if chain.len() >= MAX_DEPTH {
                break;
            }
            let Some(row) = in_org(org, DepartmentId(parent))
                .lock_exclusive()
                .one(db)
                .await
                .map_err(store_err)?
            else {
                // A dangling parent (deleted, or of another organization): the chain ends.
                break;
            };
            chain.push(DepartmentId(row.id));
            if !seen.insert(row.id) {
                // The stored data already loops; every member of the loop is listed.
                break;
            }
            next = row.parent_id;
        }
        Ok(chain)
    }

    async fn get_for_update(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: DepartmentId,
    ) -> Result<Department, StoreError> {
        locked(sql(tx.as_mut())?, in_org(org, id)).await?.try_into()
    }
}
