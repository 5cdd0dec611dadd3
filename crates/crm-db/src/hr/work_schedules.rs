//! `work_schedules`: a `Stored` record and the `ScheduleStore` queries of the organization's
//! one default (`default_key`, unique: the organization's id on the default, NULL elsewhere).

use crate::error::store_err;
use crate::keyset::ListColumns;
use crate::records::{SqlRecords, Stored};
use crate::rows::{db_version, touch_where};
use crate::tx::sql;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use crm_domain::{OrganizationId, StoreError, Txn};
use crm_hr::ports::ScheduleStore;
use crm_hr::schedule::{ScheduleInput, WorkDay};
use crm_hr::work_schedules::{WorkSchedule, WorkScheduleId};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::Expr;
use sea_orm::{QuerySelect, TransactionTrait};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "work_schedules")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
    pub organization_id: Uuid,
    pub name: String,
    pub time_zone: String,
    pub days: Json,
    pub late_grace_minutes: i32,
    pub half_day_minutes: i32,
    pub is_default: bool,
    pub default_key: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unexpected(format!("stored work schedule: {e}"))
}

/// The stored form of a day: what a body sends, so it is read back through the same checks.
fn days_json(days: &[WorkDay]) -> Json {
    Json::Array(
        days.iter()
            .map(|d| {
                serde_json::json!({
                    "weekday": d.weekday,
                    "start": d.start.format("%H:%M").to_string(),
                    "end": d.end.format("%H:%M").to_string(),
                    "break_minutes": d.break_minutes,
                })
            })
            .collect(),
    )
}

impl TryFrom<Model> for WorkSchedule {
    type Error = StoreError;
    fn try_from(m: Model) -> Result<Self, StoreError> {
        let days = serde_json::from_value(m.days).map_err(corrupt)?;
        let s = ScheduleInput {
            time_zone: m.time_zone,
            days,
            late_grace_minutes: i64::from(m.late_grace_minutes),
            half_day_minutes: i64::from(m.half_day_minutes),
        }
        .parse()
        .map_err(corrupt)?;
        Ok(WorkSchedule {
            id: WorkScheduleId(m.id),
            organization_id: OrganizationId(m.organization_id),
            name: m.name,
            time_zone: s.time_zone,
            days: s.days,
            late_grace_minutes: s.late_grace_minutes,
            half_day_minutes: s.half_day_minutes,
            is_default: m.is_default,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: i64::from(m.version),
        })
    }
}

crate::rows::tenanted!([CreatedAt]);

fn minutes(v: u32) -> Result<i32, StoreError> {
    i32::try_from(v).map_err(corrupt)
}

impl Stored for Entity {
    type Record = WorkSchedule;
    const LIST: ListColumns<'static, Entity> = ListColumns::search(&[Column::Name]);
    const DELETE_ERR: fn(DbErr) -> StoreError = crate::sales::delete_err;

    fn row(s: &WorkSchedule) -> Result<ActiveModel, StoreError> {
        Ok(ActiveModel {
            id: Set(s.id.0),
            created_at: Set(s.created_at),
            updated_at: Set(s.updated_at),
            version: Set(db_version(s.version)?),
            organization_id: Set(s.organization_id.0),
            name: Set(s.name.clone()),
            time_zone: Set(s.time_zone.name().to_string()),
            days: Set(days_json(&s.days)),
            late_grace_minutes: Set(minutes(s.late_grace_minutes)?),
            half_day_minutes: Set(minutes(s.half_day_minutes)?),
            is_default: Set(s.is_default),
            default_key: Set(s.is_default.then_some(s.organization_id.0)),
        })
    }

    fn scoped(select: Select<Entity>, _: ()) -> Select<Entity> {
        select
    }
}

fn default_of(org: OrganizationId) -> Select<Entity> {
    Entity::find()
        .filter(Column::OrganizationId.eq(org.0))
        .filter(Column::DefaultKey.eq(org.0))
}

#[async_trait]
impl ScheduleStore for SqlRecords<Entity> {
    async fn default_of(&self, org: OrganizationId) -> Result<Option<WorkSchedule>, StoreError> {
        default_of(org)
            .one(self.db())
            .await
            .map_err(store_err)?
            .map(WorkSchedule::try_from)
            .transpose()
    }

    async fn ensure_default(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        candidate: &WorkSchedule,
    ) -> Result<(WorkSchedule, bool), StoreError> {
        // Insert first, in a savepoint (a failed statement would abort a PostgreSQL
        // transaction); read the winner only when the unique default key refused it.
        let inserted = {
            let db = sql(tx.as_mut())?;
            let savepoint = db.begin().await.map_err(store_err)?;
            match Entity::insert(Entity::row(candidate)?)
                .exec_without_returning(&savepoint)
                .await
                .map_err(store_err)
            {
                Ok(_) => {
                    savepoint.commit().await.map_err(store_err)?;
                    true
                }
                Err(StoreError::Conflict { .. }) => {
                    savepoint.rollback().await.map_err(store_err)?;
                    false
                }
                Err(e) => return Err(e),
            }
        };
        if inserted {
            return Ok((candidate.clone(), true));
        }
        let db = sql(tx.as_mut())?;
        let m = default_of(org)
            .lock_shared()
            .one(db)
            .await
            .map_err(store_err)?
            .ok_or_else(|| {
                StoreError::Unexpected("default schedule conflict without a default".into())
            })?;
        Ok((WorkSchedule::try_from(m)?, false))
    }

    async fn clear_default(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        _now: DateTime<Utc>,
    ) -> Result<Option<(WorkScheduleId, i64)>, StoreError> {
        let db = sql(tx.as_mut())?;
        let Some(current) = default_of(org)
            .lock_exclusive()
            .one(db)
            .await
            .map_err(store_err)?
        else {
            return Ok(None);
        };
        touch_where::<Entity>(db, org, Column::Id.eq(current.id), |u| {
            u.col_expr(Column::IsDefault, Expr::value(false))
                .col_expr(Column::DefaultKey, Expr::value(Option::<Uuid>::None))
        })
        .await?;
        Ok(Some((
            WorkScheduleId(current.id),
            i64::from(current.version),
        )))
    }
}
