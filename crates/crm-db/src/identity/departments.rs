use crate::entities::user;
use crate::identity::designations as designation;
use crate::keyset::ListColumns;
use crate::records::{SqlRecords, Stored};
use crate::rows::{Tree, ancestors, ensure_none};
use crate::tx::sql;
use async_trait::async_trait;
use crm_domain::identity::{Department, DepartmentId, DepartmentRepository};
use crm_domain::{OrganizationId, StoreError, Txn};
use sea_orm::DatabaseTransaction;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "departments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
    pub organization_id: Uuid,
    pub name: String,
    pub code: Option<String>,
    pub parent_id: Option<Uuid>,
    pub head_user_id: Option<Uuid>,
    pub legacy_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

crate::stored::stored_record!(Department, "department" {
    id, organization_id, name, code, parent_id, head_user_id, legacy_id, created_at, updated_at,
    version,
});

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
    type Record = Department;
    const LIST: ListColumns<'static, Entity> = ListColumns::search(&[Column::Name, Column::Code]);

    fn row(dept: &Department) -> Result<ActiveModel, StoreError> {
        to_row(dept)
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
        ensure_none(db, members, "users.department_id").await?;
        let employees =
            crate::hr::employees_of(org).filter(crate::hr::EmployeeColumn::DepartmentId.eq(id));
        ensure_none(db, employees, "employees.department_id").await
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
