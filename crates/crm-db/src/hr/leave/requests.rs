//! `leave_requests`: a `Stored` record (`SqlRecords<Entity>` is its `Records<LeaveRequest>`,
//! `:own` narrowed by `employee_id`). `parts` keeps the days per leave year as counted when
//! the request was made (JSON `[["2026-12-28", 300], ["2027-01-01", 200]]`, hundredths).

use crate::keyset::ListColumns;
use crate::records::Stored;
use crate::rows::{corrupt, db_version};
use chrono::NaiveDate;
use crm_domain::{OrganizationId, StoreError, UserId};
use crm_hr::days::Days;
use crm_hr::employees::EmployeeId;
use crm_hr::leave::counting::YearPart;
use crm_hr::leave::{HalfDay, LeaveRequest, LeaveRequestId, LeaveStatus, LeaveTypeId};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "leave_requests")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
    pub organization_id: Uuid,
    pub employee_id: Uuid,
    pub leave_type_id: Uuid,
    pub start_date: Date,
    pub end_date: Date,
    pub half_day: Option<String>,
    pub reason: Option<String>,
    pub days: i64,
    pub parts: String,
    pub status: String,
    pub requested_by: Option<Uuid>,
    pub decided_by: Option<Uuid>,
    pub decided_at: Option<DateTimeUtc>,
    pub decision_note: Option<String>,
    pub legacy_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

pub(super) fn status_of(raw: &str, id: Uuid) -> Result<LeaveStatus, StoreError> {
    match raw {
        "pending" => Ok(LeaveStatus::Pending),
        "approved" => Ok(LeaveStatus::Approved),
        "rejected" => Ok(LeaveStatus::Rejected),
        "cancelled" => Ok(LeaveStatus::Cancelled),
        other => Err(corrupt("leave_requests", id, format!("status {other}"))),
    }
}

pub(super) fn status_str(s: LeaveStatus) -> &'static str {
    match s {
        LeaveStatus::Pending => "pending",
        LeaveStatus::Approved => "approved",
        LeaveStatus::Rejected => "rejected",
        LeaveStatus::Cancelled => "cancelled",
    }
}

pub(super) fn half_of(raw: Option<&str>, id: Uuid) -> Result<Option<HalfDay>, StoreError> {
    match raw {
        None => Ok(None),
        Some("am") => Ok(Some(HalfDay::Am)),
        Some("pm") => Ok(Some(HalfDay::Pm)),
        Some(other) => Err(corrupt("leave_requests", id, format!("half_day {other}"))),
    }
}

fn half_str(h: HalfDay) -> &'static str {
    match h {
        HalfDay::Am => "am",
        HalfDay::Pm => "pm",
    }
}

pub(super) fn parts_of(raw: &str, id: Uuid) -> Result<Vec<YearPart>, StoreError> {
    let pairs: Vec<(NaiveDate, i64)> =
        serde_json::from_str(raw).map_err(|e| corrupt("leave_requests", id, e))?;
    Ok(pairs
        .into_iter()
        .map(|(date, h)| YearPart {
            date,
            days: Days::from_hundredths(h),
        })
        .collect())
}

fn parts_json(parts: &[YearPart]) -> Result<String, StoreError> {
    let pairs: Vec<(NaiveDate, i64)> = parts
        .iter()
        .map(|p| (p.date, p.days.hundredths()))
        .collect();
    serde_json::to_string(&pairs).map_err(|e| StoreError::Unexpected(e.to_string()))
}

impl TryFrom<Model> for LeaveRequest {
    type Error = StoreError;
    fn try_from(m: Model) -> Result<Self, StoreError> {
        Ok(LeaveRequest {
            id: LeaveRequestId(m.id),
            organization_id: OrganizationId(m.organization_id),
            employee_id: EmployeeId(m.employee_id),
            leave_type_id: LeaveTypeId(m.leave_type_id),
            start_date: m.start_date,
            end_date: m.end_date,
            half_day: half_of(m.half_day.as_deref(), m.id)?,
            reason: m.reason,
            days: Days::from_hundredths(m.days),
            status: status_of(&m.status, m.id)?,
            requested_by: m.requested_by.map(UserId),
            decided_by: m.decided_by.map(UserId),
            decided_at: m.decided_at,
            decision_note: m.decision_note,
            legacy_id: m.legacy_id,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: i64::from(m.version),
            parts: parts_of(&m.parts, m.id)?,
        })
    }
}

// A request keeps its person, type, dates and days: only its state and decision change.
crate::rows::tenanted!([
    CreatedAt,
    EmployeeId,
    LeaveTypeId,
    StartDate,
    EndDate,
    HalfDay,
    Days,
    Parts,
    RequestedBy
]);

impl Stored for Entity {
    type Record = LeaveRequest;
    const LIST: ListColumns<'static, Entity> = ListColumns::search(&[]);

    fn row(r: &LeaveRequest) -> Result<ActiveModel, StoreError> {
        Ok(ActiveModel {
            id: Set(r.id.0),
            created_at: Set(r.created_at),
            updated_at: Set(r.updated_at),
            version: Set(db_version(r.version)?),
            organization_id: Set(r.organization_id.0),
            employee_id: Set(r.employee_id.0),
            leave_type_id: Set(r.leave_type_id.0),
            start_date: Set(r.start_date),
            end_date: Set(r.end_date),
            half_day: Set(r.half_day.map(|h| half_str(h).to_string())),
            reason: Set(r.reason.clone()),
            days: Set(r.days.hundredths()),
            parts: Set(parts_json(&r.parts)?),
            status: Set(status_str(r.status).to_string()),
            requested_by: Set(r.requested_by.map(|u| u.0)),
            decided_by: Set(r.decided_by.map(|u| u.0)),
            decided_at: Set(r.decided_at),
            decision_note: Set(r.decision_note.clone()),
            legacy_id: Set(r.legacy_id.clone()),
        })
    }

    fn scoped(select: Select<Entity>, employee: Option<EmployeeId>) -> Select<Entity> {
        match employee {
            Some(e) => select.filter(Column::EmployeeId.eq(e.0)),
            None => select,
        }
    }
}
