//! sea-orm adapters of the leave ports: types, requests, adjustments (`Stored` records) and
//! `LeaveStore`, the reads of the balance replay.

mod adjustments;
mod requests;
mod types;

use crate::error::store_err;
use crate::tx::sql;
use async_trait::async_trait;
use crm_domain::{OrganizationId, StoreError, Txn, UserId};
use crm_hr::days::Days;
use crm_hr::employees::EmployeeId;
use crm_hr::leave::balance::{LedgerRow, RequestFacts};
use crm_hr::leave::counting::LeaveSpan;
use crm_hr::leave::{
    LeaveRequestId, LeaveStore, LeaveType, LeaveTypeId, PersonLeave, StoredRequest,
};
use sea_orm::entity::prelude::*;
use sea_orm::{ConnectionTrait, DatabaseConnection, QueryOrder, QuerySelect};

pub use adjustments::Entity as Adjustments;
pub use requests::Entity as Requests;
pub use types::Entity as Types;

/// Who approves: the holders of this permission.
const APPROVE: &str = "leave_requests:approve";

pub struct SqlLeaveStore {
    db: DatabaseConnection,
}

impl SqlLeaveStore {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

type RequestRow = (Uuid, Uuid, Date, Date, Option<String>, String, String);

/// Two statements whatever the number of types: the person's requests, then adjustments.
async fn history<C: ConnectionTrait>(
    db: &C,
    org: OrganizationId,
    employee: EmployeeId,
) -> Result<PersonLeave, StoreError> {
    use requests::Column as R;
    let rows: Vec<RequestRow> = requests::Entity::find()
        .select_only()
        .columns([
            R::Id,
            R::LeaveTypeId,
            R::StartDate,
            R::EndDate,
            R::HalfDay,
            R::Status,
            R::Parts,
        ])
        .filter(R::OrganizationId.eq(org.0))
        .filter(R::EmployeeId.eq(employee.0))
        .order_by_asc(R::StartDate)
        .order_by_asc(R::Id)
        .into_tuple()
        .all(db)
        .await
        .map_err(store_err)?;
    let mut out = PersonLeave::default();
    for (id, ty, start, end, half, status, parts) in rows {
        let half = requests::half_of(half.as_deref(), id)?;
        let span = LeaveSpan::new(start, end, half)
            .map_err(|e| crate::rows::corrupt("leave_requests", id, format!("{e:?}")))?;
        let status = requests::status_of(&status, id)?;
        out.requests.push(StoredRequest {
            id: LeaveRequestId(id),
            leave_type_id: LeaveTypeId(ty),
            span,
            status,
            facts: RequestFacts {
                id: LeaveRequestId(id),
                status,
                parts: requests::parts_of(&parts, id)?,
            },
        });
    }
    use adjustments::Column as A;
    let adj: Vec<(Uuid, Date, i64)> = adjustments::Entity::find()
        .select_only()
        .columns([A::LeaveTypeId, A::EffectiveOn, A::Days])
        .filter(A::OrganizationId.eq(org.0))
        .filter(A::EmployeeId.eq(employee.0))
        .order_by_asc(A::EffectiveOn)
        .order_by_asc(A::Id)
        .into_tuple()
        .all(db)
        .await
        .map_err(store_err)?;
    out.adjustments = adj
        .into_iter()
        .map(|(ty, date, days)| {
            (
                LeaveTypeId(ty),
                LedgerRow::adjustment(date, Days::from_hundredths(days)),
            )
        })
        .collect();
    Ok(out)
}

#[async_trait]
impl LeaveStore for SqlLeaveStore {
    async fn active_types(&self, org: OrganizationId) -> Result<Vec<LeaveType>, StoreError> {
        use types::Column as T;
        types::Entity::find()
            .filter(T::OrganizationId.eq(org.0))
            .filter(T::IsActive.eq(true))
            .order_by_asc(T::Name)
            .order_by_asc(T::Id)
            .all(&self.db)
            .await
            .map_err(store_err)?
            .into_iter()
            .map(LeaveType::try_from)
            .collect()
    }

    async fn history(
        &self,
        org: OrganizationId,
        employee: EmployeeId,
    ) -> Result<PersonLeave, StoreError> {
        history(&self.db, org, employee).await
    }

    async fn history_in(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        employee: EmployeeId,
    ) -> Result<PersonLeave, StoreError> {
        history(sql(tx.as_mut())?, org, employee).await
    }

    /// The active users holding `leave_requests:approve` (`identity::holders_of`).
    async fn approvers(&self, org: OrganizationId) -> Result<Vec<UserId>, StoreError> {
        crate::identity::holders_of(&self.db, org, APPROVE).await
    }
}
