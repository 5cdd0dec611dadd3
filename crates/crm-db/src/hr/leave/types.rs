//! `leave_types`: a `Stored` record (`SqlRecords<Entity>` is its `Records<LeaveType>`); the
//! requests' and adjustments' foreign keys refuse its deletion (`Conflict`), and
//! `ux_leave_types_code` a second type with a code (`Conflict`).

use crate::keyset::ListColumns;
use crate::records::Stored;
use crate::rows::{corrupt, db_version};
use crm_domain::{OrganizationId, StoreError};
use crm_hr::days::Days;
use crm_hr::leave::balance::Accrual;
use crm_hr::leave::{LeaveType, LeaveTypeId};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "leave_types")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
    pub organization_id: Uuid,
    pub name: String,
    pub code: String,
    pub paid: bool,
    pub allowance_days: i64,
    pub accrual: String,
    pub carry_forward_max_days: i64,
    pub carry_forward_expiry_days: Option<i32>,
    pub allow_negative_days: i64,
    pub requires_approval: bool,
    pub is_active: bool,
    pub legacy_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

pub(super) fn accrual_of(raw: &str, id: Uuid) -> Result<Accrual, StoreError> {
    match raw {
        "upfront" => Ok(Accrual::Upfront),
        "monthly" => Ok(Accrual::Monthly),
        other => Err(corrupt("leave_types", id, format!("accrual {other}"))),
    }
}

fn accrual_str(a: Accrual) -> &'static str {
    match a {
        Accrual::Upfront => "upfront",
        Accrual::Monthly => "monthly",
    }
}

impl TryFrom<Model> for LeaveType {
    type Error = StoreError;
    fn try_from(m: Model) -> Result<Self, StoreError> {
        Ok(LeaveType {
            id: LeaveTypeId(m.id),
            organization_id: OrganizationId(m.organization_id),
            accrual: accrual_of(&m.accrual, m.id)?,
            name: m.name,
            code: m.code,
            paid: m.paid,
            allowance_days: Days::from_hundredths(m.allowance_days),
            carry_forward_max_days: Days::from_hundredths(m.carry_forward_max_days),
            carry_forward_expiry_days: m.carry_forward_expiry_days.map(i64::from),
            allow_negative_days: Days::from_hundredths(m.allow_negative_days),
            requires_approval: m.requires_approval,
            is_active: m.is_active,
            legacy_id: m.legacy_id,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: i64::from(m.version),
        })
    }
}

crate::rows::tenanted!([CreatedAt]);

impl Stored for Entity {
    type Record = LeaveType;
    const LIST: ListColumns<'static, Entity> = ListColumns::search(&[Column::Name, Column::Code]);
    const DELETE_ERR: fn(DbErr) -> StoreError = crate::sales::delete_err;

    fn row(t: &LeaveType) -> Result<ActiveModel, StoreError> {
        let expiry = t
            .carry_forward_expiry_days
            .map(i32::try_from)
            .transpose()
            .map_err(|_| StoreError::Unexpected("carry_forward_expiry_days out of range".into()))?;
        Ok(ActiveModel {
            id: Set(t.id.0),
            created_at: Set(t.created_at),
            updated_at: Set(t.updated_at),
            version: Set(db_version(t.version)?),
            organization_id: Set(t.organization_id.0),
            name: Set(t.name.clone()),
            code: Set(t.code.clone()),
            paid: Set(t.paid),
            allowance_days: Set(t.allowance_days.hundredths()),
            accrual: Set(accrual_str(t.accrual).to_string()),
            carry_forward_max_days: Set(t.carry_forward_max_days.hundredths()),
            carry_forward_expiry_days: Set(expiry),
            allow_negative_days: Set(t.allow_negative_days.hundredths()),
            requires_approval: Set(t.requires_approval),
            is_active: Set(t.is_active),
            legacy_id: Set(t.legacy_id.clone()),
        })
    }

    fn scoped(select: Select<Entity>, _: ()) -> Select<Entity> {
        select
    }
}
