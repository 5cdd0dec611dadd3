use crate::entities::user;
use crate::keyset::ListColumns;
use crate::records::Stored;
use crm_domain::OrganizationId;
use crm_domain::StoreError;
use crm_domain::identity::Designation;
use sea_orm::DatabaseTransaction;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "designations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
    pub organization_id: Uuid,
    pub title: String,
    pub department_id: Option<Uuid>,
    pub level: Option<i32>,
    pub legacy_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

crate::stored::stored_record!(Designation, "designation" {
    id, organization_id, title, department_id, level, legacy_id, created_at, updated_at, version,
});

crate::rows::tenanted!([CreatedAt]);

impl Stored for Entity {
    type Record = Designation;
    const LIST: ListColumns<'static, Entity> = ListColumns::search(&[Column::Title]);

    fn row(d: &Designation) -> Result<ActiveModel, StoreError> {
        to_row(d)
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
        crate::rows::ensure_none(db, holders, "users.designation_id").await?;
        let employees =
            crate::hr::employees_of(org).filter(crate::hr::EmployeeColumn::DesignationId.eq(id));
        crate::rows::ensure_none(db, employees, "employees.designation_id").await
    }
}
