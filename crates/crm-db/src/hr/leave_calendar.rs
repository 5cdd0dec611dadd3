//! `LeaveCalendar`: the approved leave requests of some employees touching a date range,
//! read from `leave_requests` by `ix_leave_requests_person`.

use crate::error::store_err;
use async_trait::async_trait;
use chrono::NaiveDate;
use crm_domain::{OrganizationId, StoreError};
use crm_hr::employees::EmployeeId;
use crm_hr::leave::{ApprovedLeave, HalfDay, LeaveCalendar, LeaveRequestId};
use sea_orm::entity::prelude::*;
use sea_orm::{DatabaseConnection, QueryOrder, QuerySelect};

/// The columns of `leave_requests` the calendar reads.
mod requests {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "leave_requests")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub employee_id: Uuid,
        pub start_date: Date,
        pub end_date: Date,
        pub half_day: Option<String>,
        pub status: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// More ids than this are read in several queries (an `IN` list stays well under every
/// backend's bound on parameters).
const CHUNK: usize = 500;

pub struct SqlLeaveCalendar {
    db: DatabaseConnection,
}

impl SqlLeaveCalendar {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

#[async_trait]
impl LeaveCalendar for SqlLeaveCalendar {
    async fn approved_between(
        &self,
        org: OrganizationId,
        employees: &[EmployeeId],
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<ApprovedLeave>, StoreError> {
        use requests::{Column, Entity};
        let mut out = Vec::new();
        for ids in employees.chunks(CHUNK) {
            let rows = Entity::find()
                .select_only()
                .columns([
                    Column::Id,
                    Column::EmployeeId,
                    Column::StartDate,
                    Column::EndDate,
                    Column::HalfDay,
                ])
                .filter(Column::OrganizationId.eq(org.0))
                .filter(Column::EmployeeId.is_in(ids.iter().map(|e| e.0)))
                .filter(Column::Status.eq("approved"))
                .filter(Column::StartDate.lte(to))
                .filter(Column::EndDate.gte(from))
                .order_by_asc(Column::EmployeeId)
                .order_by_asc(Column::StartDate)
                .into_tuple::<(Uuid, Uuid, NaiveDate, NaiveDate, Option<String>)>()
                .all(&self.db)
                .await
                .map_err(store_err)?;
            for (id, employee, start, end, half) in rows {
                let half_day = match half.as_deref() {
                    None => None,
                    Some("am") => Some(HalfDay::Am),
                    Some("pm") => Some(HalfDay::Pm),
                    Some(other) => {
                        return Err(StoreError::Unexpected(format!(
                            "leave_requests.half_day {other:?}"
                        )));
                    }
                };
                out.push(ApprovedLeave {
                    id: LeaveRequestId(id),
                    employee_id: EmployeeId(employee),
                    start_date: start,
                    end_date: end,
                    half_day,
                });
            }
        }
        Ok(out)
    }
}
