use crate::entities::designation::{self, ActiveModel, Column, Entity};
use crate::entities::user;
use crate::error::store_err;
use crate::keyset;
use crate::keyset::ListColumns;
use crate::rows::{db_version, locked, stale_or_missing};
use crate::tx::sql;
use async_trait::async_trait;
use crm_domain::identity::{DepartmentId, Designation, DesignationId, DesignationRepository};
use crm_domain::kernel::pagination::{ListQuery, Page};
use crm_domain::{OrganizationId, StoreError, Txn};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QuerySelect, Select,
};

#[derive(Clone)]
pub struct SqlDesignationRepository {
    db: DatabaseConnection,
}

impl SqlDesignationRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

impl TryFrom<designation::Model> for Designation {
    type Error = StoreError;
    fn try_from(m: designation::Model) -> Result<Self, StoreError> {
        Ok(Designation {
            id: DesignationId(m.id),
            organization_id: OrganizationId(m.organization_id),
            title: m.title,
            department_id: m.department_id.map(DepartmentId),
            level: m.level,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: i64::from(m.version),
        })
    }
}

fn in_org(org: OrganizationId, id: DesignationId) -> Select<Entity> {
    Entity::find_by_id(id.0).filter(Column::OrganizationId.eq(org.0))
}

#[async_trait]
impl DesignationRepository for SqlDesignationRepository {
    async fn create(&self, tx: &mut Txn, d: &Designation) -> Result<(), StoreError> {
        let row = ActiveModel {
            id: Set(d.id.0),
            created_at: Set(d.created_at),
            updated_at: Set(d.updated_at),
            version: Set(db_version(d.version)?),
            organization_id: Set(d.organization_id.0),
            title: Set(d.title.clone()),
            department_id: Set(d.department_id.map(|p| p.0)),
            level: Set(d.level),
        };
        Entity::insert(row)
            .exec_without_returning(sql(tx.as_mut())?)
            .await
            .map_err(store_err)?;
        Ok(())
    }

    async fn get(&self, org: OrganizationId, id: DesignationId) -> Result<Designation, StoreError> {
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
    ) -> Result<Page<Designation>, StoreError> {
        let cols = ListColumns::<Entity>::search(&[Column::Title]);
        let base = Entity::find().filter(Column::OrganizationId.eq(org.0));
        keyset::page_as(&self.db, base, query, &cols).await
    }

    async fn update(
        &self,
        tx: &mut Txn,
        d: &Designation,
        expected_version: i64,
    ) -> Result<(), StoreError> {
        let db = sql(tx.as_mut())?;
        let res = Entity::update_many()
            .col_expr(Column::Title, Expr::value(d.title.clone()))
            .col_expr(
                Column::DepartmentId,
                Expr::value(d.department_id.map(|p| p.0)),
            )
            .col_expr(Column::Level, Expr::value(d.level))
            .col_expr(Column::UpdatedAt, Expr::value(d.updated_at))
            .col_expr(Column::Version, Expr::col(Column::Version).add(1))
            .filter(Column::Id.eq(d.id.0))
            .filter(Column::OrganizationId.eq(d.organization_id.0))
            .filter(Column::Version.eq(db_version(expected_version)?))
            .exec(db)
            .await
            .map_err(store_err)?;
        if res.rows_affected == 0 {
            return Err(stale_or_missing(db, in_org(d.organization_id, d.id)).await);
        }
        Ok(())
    }

    async fn delete(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: DesignationId,
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
        // `users.designation_id` has no foreign key: check it here.
        let holders = user::Entity::find()
            .filter(user::Column::OrganizationId.eq(org.0))
            .filter(user::Column::DesignationId.eq(id.0))
            .count(db)
            .await
            .map_err(store_err)?;
        if holders > 0 {
            return Err(StoreError::Conflict {
                constraint: "users.designation_id".into(),
            });
        }
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

    async fn get_for_update(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: DesignationId,
    ) -> Result<Designation, StoreError> {
        locked(sql(tx.as_mut())?, in_org(org, id)).await?.try_into()
    }
}
