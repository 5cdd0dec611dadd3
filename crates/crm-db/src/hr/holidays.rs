//! `holidays`: a `Stored` record and the dates the counting and attendance read.

use crate::error::store_err;
use crate::keyset::ListColumns;
use crate::records::{SqlRecords, Stored};
use crate::rows::db_version;
use async_trait::async_trait;
use chrono::NaiveDate;
use crm_domain::{OrganizationId, StoreError};
use crm_hr::holidays::{Holiday, HolidayId};
use crm_hr::ports::HolidayStore;
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::{QueryOrder, QuerySelect};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "holidays")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
    pub organization_id: Uuid,
    pub date: Date,
    pub name: String,
    pub year: i32,
    pub legacy_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl TryFrom<Model> for Holiday {
    type Error = StoreError;
    fn try_from(m: Model) -> Result<Self, StoreError> {
        Ok(Holiday {
            id: HolidayId(m.id),
            organization_id: OrganizationId(m.organization_id),
            date: m.date,
            name: m.name,
            year: m.year,
            legacy_id: m.legacy_id,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: i64::from(m.version),
        })
    }
}

crate::rows::tenanted!([CreatedAt]);

impl Stored for Entity {
    type Record = Holiday;
    const LIST: ListColumns<'static, Entity> = ListColumns::search(&[Column::Name]);

    fn row(h: &Holiday) -> Result<ActiveModel, StoreError> {
        Ok(ActiveModel {
            id: Set(h.id.0),
            created_at: Set(h.created_at),
            updated_at: Set(h.updated_at),
            version: Set(db_version(h.version)?),
            organization_id: Set(h.organization_id.0),
            date: Set(h.date),
            name: Set(h.name.clone()),
            year: Set(h.year),
            legacy_id: Set(h.legacy_id.clone()),
        })
    }

    fn scoped(select: Select<Entity>, _: ()) -> Select<Entity> {
        select
    }
}

#[async_trait]
impl HolidayStore for SqlRecords<Entity> {
    async fn dates_between(
        &self,
        org: OrganizationId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<NaiveDate>, StoreError> {
        Entity::find()
            .select_only()
            .column(Column::Date)
            .filter(Column::OrganizationId.eq(org.0))
            .filter(Column::Date.gte(from))
            .filter(Column::Date.lte(to))
            .order_by_asc(Column::Date)
            .into_tuple()
            .all(self.db())
            .await
            .map_err(store_err)
    }
}
