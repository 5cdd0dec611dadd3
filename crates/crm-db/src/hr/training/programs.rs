//! `training_programs`: a `Stored` record (`SqlRecords<Entity>` is its
//! `Records<TrainingProgram>`); its sessions' foreign key refuses its deletion (`Conflict`).

use crate::keyset::ListColumns;
use crate::records::Stored;
use crate::rows::db_version;
use crm_domain::{OrganizationId, StoreError};
use crm_hr::training::{TrainingProgram, TrainingProgramId};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "training_programs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
    pub organization_id: Uuid,
    pub title: String,
    pub description: Option<String>,
    pub category: Option<String>,
    pub validity_months: Option<i32>,
    pub is_mandatory: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl TryFrom<Model> for TrainingProgram {
    type Error = StoreError;
    fn try_from(m: Model) -> Result<Self, StoreError> {
        Ok(TrainingProgram {
            id: TrainingProgramId(m.id),
            organization_id: OrganizationId(m.organization_id),
            title: m.title,
            description: m.description,
            category: m.category,
            validity_months: m.validity_months.map(i64::from),
            is_mandatory: m.is_mandatory,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: i64::from(m.version),
        })
    }
}

crate::rows::tenanted!([CreatedAt]);

impl Stored for Entity {
    type Record = TrainingProgram;
    const LIST: ListColumns<'static, Entity> =
        ListColumns::search(&[Column::Title, Column::Category, Column::Description]);
    const DELETE_ERR: fn(DbErr) -> StoreError = crate::sales::delete_err;

    fn row(p: &TrainingProgram) -> Result<ActiveModel, StoreError> {
        let months = p
            .validity_months
            .map(i32::try_from)
            .transpose()
            .map_err(|_| StoreError::Unexpected("validity_months out of range".into()))?;
        Ok(ActiveModel {
            id: Set(p.id.0),
            created_at: Set(p.created_at),
            updated_at: Set(p.updated_at),
            version: Set(db_version(p.version)?),
            organization_id: Set(p.organization_id.0),
            title: Set(p.title.clone()),
            description: Set(p.description.clone()),
            category: Set(p.category.clone()),
            validity_months: Set(months),
            is_mandatory: Set(p.is_mandatory),
        })
    }

    fn scoped(select: Select<Entity>, _: ()) -> Select<Entity> {
        select
    }
}
