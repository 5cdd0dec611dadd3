//! `attendance_records`: a `Stored` record (`SqlRecords<Entity>` is its
//! `Records<AttendanceRecord>`, `:own` narrowed by `employee_id`) and the `AttendanceStore`
//! queries: the punches in a person's way, a person's open punch, and many people's punches
//! over a range for the days.

use crate::error::store_err;
use crate::keyset::ListColumns;
use crate::records::{SqlRecords, Stored};
use crate::rows::{corrupt, db_version};
use crate::tx::sql;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use crm_domain::{OrganizationId, StoreError, Txn};
use crm_hr::attendance::{AttendanceRecord, AttendanceRecordId, AttendanceStore, Punch};
use crm_hr::employees::EmployeeId;
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::{Condition, DbBackend, QueryOrder, QuerySelect};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "attendance_records")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
    pub organization_id: Uuid,
    pub employee_id: Uuid,
    pub check_in_at: DateTimeUtc,
    pub check_out_at: Option<DateTimeUtc>,
    /// The employee while the punch is open, `NULL` once closed: the unique key
    /// `ux_attendance_records_open` admits one open punch per person.
    pub open_employee_id: Option<Uuid>,
    pub note: Option<String>,
    pub source: String,
    pub legacy_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl TryFrom<Model> for AttendanceRecord {
    type Error = StoreError;
    fn try_from(m: Model) -> Result<Self, StoreError> {
        Ok(AttendanceRecord {
            id: AttendanceRecordId(m.id),
            organization_id: OrganizationId(m.organization_id),
            employee_id: EmployeeId(m.employee_id),
            check_in_at: m.check_in_at,
            check_out_at: m.check_out_at,
            note: m.note,
            source: m.source.parse().map_err(|e: crm_domain::ValueError| {
                corrupt("attendance_records", m.id, e.message)
            })?,
            legacy_id: m.legacy_id,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: i64::from(m.version),
        })
    }
}

// A punch stays with its person.
crate::rows::tenanted!([CreatedAt, EmployeeId]);

impl Stored for Entity {
    type Record = AttendanceRecord;
    const LIST: ListColumns<'static, Entity> = ListColumns::search(&[]);

    fn row(r: &AttendanceRecord) -> Result<ActiveModel, StoreError> {
        Ok(ActiveModel {
            id: Set(r.id.0),
            created_at: Set(r.created_at),
            updated_at: Set(r.updated_at),
            version: Set(db_version(r.version)?),
            organization_id: Set(r.organization_id.0),
            employee_id: Set(r.employee_id.0),
            check_in_at: Set(r.check_in_at),
            check_out_at: Set(r.check_out_at),
            open_employee_id: Set(r.check_out_at.is_none().then_some(r.employee_id.0)),
            note: Set(r.note.clone()),
            source: Set(r.source.as_str().to_string()),
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

/// More ids than this are read in several queries (an `IN` list stays well under every
/// backend's bound on parameters).
const CHUNK: usize = 500;

/// `employee_id` is one of `ids`. On PostgreSQL one array parameter, not an `IN` list: from
/// the sixth run of the prepared statement on a connection PostgreSQL may keep a generic plan,
/// and for an `IN` list of a page's ids beside a range of parameters that plan walked the
/// organization's punches of the whole range by `ix_attendance_records_check_in`, comparing
/// each with every id (128 ms for a page of 200 of 1,000 people's month, against 2 ms by
/// `ix_attendance_records_person`: `make bench`, issue 15). An array parameter is planned as
/// the few ids it is, and needs no chunks.
fn employee_in(backend: DbBackend, ids: &[EmployeeId]) -> SimpleExpr {
    if backend == DbBackend::Postgres {
        let array = format!(
            "{{{}}}",
            ids.iter()
                .map(|e| e.0.to_string())
                .collect::<Vec<_>>()
                .join(",")
        );
        Expr::cust_with_values("\"employee_id\" = ANY(CAST($1 AS uuid[]))", [array])
    } else {
        Column::EmployeeId.is_in(ids.iter().map(|e| e.0))
    }
}

fn rows(models: Vec<Model>) -> Result<Vec<AttendanceRecord>, StoreError> {
    models.into_iter().map(AttendanceRecord::try_from).collect()
}

#[async_trait]
impl AttendanceStore for SqlRecords<Entity> {
    // `ix_attendance_records_person_out` makes both parts of the `OR` an index range, so a
    // check-in costs the same whatever the person's history.
    async fn overlapping(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        employee: EmployeeId,
        from: DateTime<Utc>,
        to: Option<DateTime<Utc>>,
        except: Option<AttendanceRecordId>,
    ) -> Result<Vec<AttendanceRecord>, StoreError> {
        let mut select = Entity::find()
            .filter(Column::OrganizationId.eq(org.0))
            .filter(Column::EmployeeId.eq(employee.0))
            .filter(
                Condition::any()
                    .add(Column::CheckOutAt.is_null())
                    .add(Column::CheckOutAt.gt(from)),
            );
        if let Some(to) = to {
            select = select.filter(Column::CheckInAt.lt(to));
        }
        if let Some(id) = except {
            select = select.filter(Column::Id.ne(id.0));
        }
        let found = select
            .order_by_asc(Column::CheckInAt)
            .order_by_asc(Column::Id)
            .all(sql(tx.as_mut())?)
            .await
            .map_err(store_err)?;
        rows(found)
    }

    async fn open_of(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        employee: EmployeeId,
    ) -> Result<Option<AttendanceRecord>, StoreError> {
        Entity::find()
            .filter(Column::OrganizationId.eq(org.0))
            .filter(Column::OpenEmployeeId.eq(employee.0))
            .lock_exclusive()
            .one(sql(tx.as_mut())?)
            .await
            .map_err(store_err)?
            .map(AttendanceRecord::try_from)
            .transpose()
    }

    async fn punches_between(
        &self,
        org: OrganizationId,
        employees: &[EmployeeId],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<(EmployeeId, Punch)>, StoreError> {
        let mut out = Vec::new();
        let backend = self.db().get_database_backend();
        let chunk = if backend == DbBackend::Postgres {
            employees.len().max(1)
        } else {
            CHUNK
        };
        for ids in employees.chunks(chunk) {
            let found = Entity::find()
                .select_only()
                .columns([Column::EmployeeId, Column::CheckInAt, Column::CheckOutAt])
                .filter(Column::OrganizationId.eq(org.0))
                .filter(employee_in(backend, ids))
                .filter(Column::CheckInAt.gte(from))
                .filter(Column::CheckInAt.lt(to))
                .into_tuple::<(Uuid, DateTimeUtc, Option<DateTimeUtc>)>()
                .all(self.db())
                .await
                .map_err(store_err)?;
            out.extend(found.into_iter().map(|(e, i, o)| {
                (
                    EmployeeId(e),
                    Punch {
                        check_in_at: i,
                        check_out_at: o,
                    },
                )
            }));
        }
        Ok(out)
    }
}
