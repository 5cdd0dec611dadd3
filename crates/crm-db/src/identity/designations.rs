use crate::entities::designation::{self, ActiveModel, Column, Entity};
use crate::entities::user;
use crate::keyset::ListColumns;
use crate::records::Stored;
use crate::rows::db_version;
use crm_domain::OrganizationId;
use crm_domain::StoreError;
use crm_domain::identity::{DepartmentId, Designation, DesignationId};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, Select,
};

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

crate::rows::tenanted!(designation: [CreatedAt]);

impl Stored for Entity {
    type Record = Designation;
    const LIST: ListColumns<'static, Entity> = ListColumns::search(&[Column::Title]);

    fn row(d: &Designation) -> Result<ActiveModel, StoreError> {
        Ok(ActiveModel {
            id: Set(d.id.0),
            created_at: Set(d.created_at),
            updated_at: Set(d.updated_at),
            version: Set(db_version(d.version)?),
            organization_id: Set(d.organization_id.0),
            title: Set(d.title.clone()),
            department_id: Set(d.department_id.map(|p| p.0)),
            level: Set(d.level),
        })
    }

    fn scoped(select: Select<Entity>, _: ()) -> Select<Entity> {
        select
    }

    /// `users.designation_id` has no foreign key: check it here.
    async fn before_delete(
        db: &DatabaseTransaction,
        org: OrganizationId,
        id: uuid::Uuid,
    ) -> Result<(), StoreError> {
        let holders = user::Entity::find()
            .filter(user::Column::OrganizationId.eq(org.0))
            .filter(user::Column::DesignationId.eq(id));
        crate::rows::ensure_none(db, holders, "users.designation_id").await
    }
}
