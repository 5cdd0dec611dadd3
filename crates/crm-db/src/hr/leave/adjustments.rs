//! `leave_adjustments`: a `Stored` record (`SqlRecords<Entity>` is its
//! `Records<LeaveAdjustment>`); its `effective_on` is the adjustment's `date`.

use crate::keyset::ListColumns;
use crate::records::Stored;
use crate::rows::db_version;
use crm_domain::{OrganizationId, StoreError, UserId};
use crm_hr::days::Days;
use crm_hr::employees::EmployeeId;
use crm_hr::leave::{LeaveAdjustment, LeaveAdjustmentId, LeaveTypeId};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "leave_adjustments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
    pub organization_id: Uuid,
    pub employee_id: Uuid,
    pub leave_type_id: Uuid,
    pub effective_on: Date,
    pub days: i64,
    pub reason: String,
    pub created_by: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl TryFrom<Model> for LeaveAdjustment {
    type Error = StoreError;
    fn try_from(m: Model) -> Result<Self, StoreError> {
        Ok(LeaveAdjustment {
            id: LeaveAdjustmentId(m.id),
            organization_id: OrganizationId(m.organization_id),
            employee_id: EmployeeId(m.employee_id),
            leave_type_id: LeaveTypeId(m.leave_type_id),
            date: m.effective_on,
            days: Days::from_hundredths(m.days),
            reason: m.reason,
            created_by: m.created_by.map(UserId),
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: i64::from(m.version),
        })
    }
}

// An adjustment is written once: it is corrected by another one, never edited.
crate::rows::tenanted!([CreatedAt, EmployeeId, LeaveTypeId]);

impl Stored for Entity {
    type Record = LeaveAdjustment;
    const LIST: ListColumns<'static, Entity> = ListColumns::search(&[Column::Reason]);

    fn row(a: &LeaveAdjustment) -> Result<ActiveModel, StoreError> {
        Ok(ActiveModel {
            id: Set(a.id.0),
            created_at: Set(a.created_at),
            updated_at: Set(a.updated_at),
            version: Set(db_version(a.version)?),
            organization_id: Set(a.organization_id.0),
            employee_id: Set(a.employee_id.0),
            leave_type_id: Set(a.leave_type_id.0),
            effective_on: Set(a.date),
            days: Set(a.days.hundredths()),
            reason: Set(a.reason.clone()),
            created_by: Set(a.created_by.map(|u| u.0)),
        })
    }

    fn scoped(select: Select<Entity>, _: ()) -> Select<Entity> {
        select
    }
}
