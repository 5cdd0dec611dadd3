use crate::entities::department::{self, ActiveModel, Column, Entity};
use crate::entities::{designation, user};
use crate::keyset::ListColumns;
use crate::records::{SqlRecords, Stored};
use crate::rows::{Tree, ancestors, db_version, ensure_none};
use crate::tx::sql;
use async_trait::async_trait;
use crm_domain::identity::{Department, DepartmentId, DepartmentRepository};
use crm_domain::{OrganizationId, StoreError, Txn, UserId};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, Select,
};

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

crate::rows::tenanted!(department: [CreatedAt]);

impl Tree for Entity {
    fn id(row: &department::Model) -> uuid::Uuid {
        row.id
    }
    fn parent(row: &department::Model) -> Option<uuid::Uuid> {
        row.parent_id
    }
}

impl Stored for Entity {
    type Record = Department;
    const LIST: ListColumns<'static, Entity> = ListColumns::search(&[Column::Name, Column::Code]);

    fn row(dept: &Department) -> Result<ActiveModel, StoreError> {
        Ok(ActiveModel {
            id: Set(dept.id.0),
            created_at: Set(dept.created_at),
            updated_at: Set(dept.updated_at),
            version: Set(db_version(dept.version)?),
            organization_id: Set(dept.organization_id.0),
            name: Set(dept.name.clone()),
            code: Set(dept.code.clone()),
            parent_id: Set(dept.parent_id.map(|p| p.0)),
            head_user_id: Set(dept.head_user_id.map(|u| u.0)),
        })
    }

    fn scoped(select: Select<Entity>, _: ()) -> Select<Entity> {
        select
    }

    /// The schema has no foreign keys on these references: check them here.
    async fn before_delete(
        db: &DatabaseTransaction,
        org: OrganizationId,
        id: uuid::Uuid,
    ) -> Result<(), StoreError> {
        let children = Entity::find()
            .filter(Column::OrganizationId.eq(org.0))
            .filter(Column::ParentId.eq(id));
        ensure_none(db, children, "departments.parent_id").await?;
        let titles = designation::Entity::find()
            .filter(designation::Column::OrganizationId.eq(org.0))
            .filter(designation::Column::DepartmentId.eq(id));
        ensure_none(db, titles, "designations.department_id").await?;
        let members = user::Entity::find()
            .filter(user::Column::OrganizationId.eq(org.0))
            .filter(user::Column::DepartmentId.eq(id));
        ensure_none(db, members, "users.department_id").await
    }
}

#[async_trait]
impl DepartmentRepository for SqlRecords<Entity> {
    async fn ancestor_ids(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: DepartmentId,
    ) -> Result<Vec<DepartmentId>, StoreError> {
        let chain = ancestors::<Entity>(sql(tx.as_mut())?, org, id.0).await?;
        Ok(chain.into_iter().map(DepartmentId).collect())
    }
}
