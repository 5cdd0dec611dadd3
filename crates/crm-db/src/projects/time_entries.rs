//! `time_entries`: a `Stored` record (`SqlRecords<Entity>` is its `Records<TimeEntry>`,
//! `:own` narrowed to the caller's own time), with the queries of `TimeStore`: a person's
//! day under their lock, a project's unbilled time, the invoiced mark.

use crate::entities::user;
use crate::error::store_err;
use crate::keyset::ListColumns;
use crate::records::{SqlRecords, Stored, owned};
use crate::rows::{db_version, locked};
use crate::sales::{currency, get, sum_i64};
use crate::tx::sql;
use async_trait::async_trait;
use chrono::NaiveDate;
use crm_domain::Currency;
use crm_domain::{OrganizationId, StoreError, Txn, UserId};
use crm_projects::ports::TimeGroup;
use crm_projects::ports::TimeStore;
use crm_projects::projects::ProjectId;
use crm_projects::tasks::TaskId;
use crm_projects::time::{TimeEntry, TimeEntryId};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, QueryOrder, QuerySelect};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "time_entries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
    pub organization_id: Uuid,
    pub project_id: Uuid,
    pub task_id: Option<Uuid>,
    pub user_id: Uuid,
    pub work_date: Date,
    pub minutes: Option<i64>,
    pub billable: bool,
    pub note: Option<String>,
    pub bill_rate: Option<i64>,
    pub invoice_id: Option<Uuid>,
    pub started_at: Option<DateTimeUtc>,
    pub is_running: bool,
    pub running_user_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl TryFrom<Model> for TimeEntry {
    type Error = StoreError;
    fn try_from(m: Model) -> Result<Self, StoreError> {
        Ok(TimeEntry {
            id: TimeEntryId(m.id),
            organization_id: OrganizationId(m.organization_id),
            project_id: ProjectId(m.project_id),
            task_id: m.task_id.map(TaskId),
            user_id: UserId(m.user_id),
            work_date: m.work_date,
            minutes: m.minutes,
            billable: m.billable,
            note: m.note,
            bill_rate: m.bill_rate,
            invoice_id: m.invoice_id,
            started_at: m.started_at,
            is_running: m.is_running,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: i64::from(m.version),
        })
    }
}

// An entry stays in its project and with its person.
crate::rows::tenanted!([CreatedAt, ProjectId, UserId]);

impl Stored for Entity {
    type Record = TimeEntry;
    const LIST: ListColumns<'static, Entity> = ListColumns::search(&[Column::Note]);

    fn row(e: &TimeEntry) -> Result<ActiveModel, StoreError> {
        Ok(ActiveModel {
            id: Set(e.id.0),
            created_at: Set(e.created_at),
            updated_at: Set(e.updated_at),
            version: Set(db_version(e.version)?),
            organization_id: Set(e.organization_id.0),
            project_id: Set(e.project_id.0),
            task_id: Set(e.task_id.map(|t| t.0)),
            user_id: Set(e.user_id.0),
            work_date: Set(e.work_date),
            minutes: Set(e.minutes),
            billable: Set(e.billable),
            note: Set(e.note.clone()),
            bill_rate: Set(e.bill_rate),
            invoice_id: Set(e.invoice_id),
            started_at: Set(e.started_at),
            is_running: Set(e.is_running),
            // The unique key of one running timer per person.
            running_user_id: Set(e.is_running.then_some(e.user_id.0)),
        })
    }

    fn scoped(select: Select<Entity>, user: Option<UserId>) -> Select<Entity> {
        owned(select, Column::UserId, user)
    }
}

#[async_trait]
impl TimeStore for SqlRecords<Entity> {
    async fn day_minutes(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        user: UserId,
        day: NaiveDate,
        except: Option<TimeEntryId>,
    ) -> Result<Vec<i64>, StoreError> {
        let db = sql(tx.as_mut())?;
        // The person's row serializes the writes of their time (SQLite's writer lock does).
        locked(
            db,
            user::Entity::find()
                .filter(user::Column::Id.eq(user.0))
                .filter(user::Column::OrganizationId.eq(org.0)),
        )
        .await?;
        let mut q = Entity::find()
            .select_only()
            .column(Column::Minutes)
            .filter(Column::OrganizationId.eq(org.0))
            .filter(Column::UserId.eq(user.0))
            .filter(Column::WorkDate.eq(day))
            .filter(Column::Minutes.is_not_null());
        if let Some(e) = except {
            q = q.filter(Column::Id.ne(e.0));
        }
        let rows: Vec<Option<i64>> = q.into_tuple().all(db).await.map_err(store_err)?;
        Ok(rows.into_iter().flatten().collect())
    }

    async fn unbilled(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        project: ProjectId,
    ) -> Result<Vec<TimeEntry>, StoreError> {
        let rows = Entity::find()
            .filter(Column::OrganizationId.eq(org.0))
            .filter(Column::ProjectId.eq(project.0))
            .filter(Column::Billable.eq(true))
            .filter(Column::Minutes.is_not_null())
            .filter(Column::InvoiceId.is_null())
            .order_by_asc(Column::Id)
            .lock_exclusive()
            .all(sql(tx.as_mut())?)
            .await
            .map_err(store_err)?;
        rows.into_iter().map(TimeEntry::try_from).collect()
    }

    async fn project_time(
        &self,
        org: OrganizationId,
        project: ProjectId,
    ) -> Result<Vec<TimeGroup>, StoreError> {
        let backend = self.db().get_database_backend();
        // Literal SQL, not bound values: PostgreSQL matches the grouped expression to the
        // selected one by its text, and two bound parameters never match.
        let invoiced = Expr::cust("CASE WHEN invoice_id IS NULL THEN 0 ELSE 1 END");
        let q = Query::select()
            .expr_as(Expr::col(Column::Billable), "billable")
            .expr_as(invoiced.clone(), "invoiced")
            .expr_as(Expr::col(Column::BillRate), "bill_rate")
            .expr_as(sum_i64(backend, Expr::col(Column::Minutes)), "minutes")
            .from(Entity)
            .and_where(Column::OrganizationId.eq(org.0))
            .and_where(Column::ProjectId.eq(project.0))
            .and_where(Column::Minutes.is_not_null())
            .group_by_col(Column::Billable)
            .add_group_by([invoiced])
            .group_by_col(Column::BillRate)
            .to_owned();
        let rows = self.db().query_all(&q).await.map_err(store_err)?;
        rows.iter()
            .map(|r| {
                let invoiced: i32 = get(r, "invoiced")?;
                let minutes: Option<i64> = get(r, "minutes")?;
                Ok(TimeGroup {
                    billable: get(r, "billable")?,
                    invoiced: invoiced != 0,
                    bill_rate: get(r, "bill_rate")?,
                    minutes: minutes.unwrap_or(0),
                })
            })
            .collect()
    }

    async fn minutes_by_user(
        &self,
        org: OrganizationId,
        project: ProjectId,
    ) -> Result<Vec<(UserId, i64)>, StoreError> {
        let backend = self.db().get_database_backend();
        let q = Query::select()
            .expr_as(Expr::col(Column::UserId), "user_id")
            .expr_as(sum_i64(backend, Expr::col(Column::Minutes)), "minutes")
            .from(Entity)
            .and_where(Column::OrganizationId.eq(org.0))
            .and_where(Column::ProjectId.eq(project.0))
            .and_where(Column::Minutes.is_not_null())
            .group_by_col(Column::UserId)
            .to_owned();
        let rows = self.db().query_all(&q).await.map_err(store_err)?;
        rows.iter()
            .map(|r| {
                let minutes: Option<i64> = get(r, "minutes")?;
                Ok((UserId(get(r, "user_id")?), minutes.unwrap_or(0)))
            })
            .collect()
    }

    async fn approved_expenses(
        &self,
        org: OrganizationId,
        project: ProjectId,
    ) -> Result<Vec<(Currency, i64)>, StoreError> {
        use crate::finance::{ExpenseColumn as E, ExpenseEntity};
        use crm_finance::expenses::ExpenseStatus;
        let backend = self.db().get_database_backend();
        let q = Query::select()
            .expr_as(Expr::col(E::Currency), "currency")
            .expr_as(sum_i64(backend, Expr::col(E::ApprovedAmount)), "amount")
            .from(ExpenseEntity)
            .and_where(E::OrganizationId.eq(org.0))
            .and_where(E::ProjectId.eq(project.0))
            .and_where(E::Status.is_in([
                ExpenseStatus::Approved.as_str(),
                ExpenseStatus::Reimbursed.as_str(),
            ]))
            .group_by_col(E::Currency)
            .to_owned();
        let rows = self.db().query_all(&q).await.map_err(store_err)?;
        rows.iter()
            .map(|r| {
                let code: String = get(r, "currency")?;
                let amount: Option<i64> = get(r, "amount")?;
                Ok((currency(&code, "expenses", project.0)?, amount.unwrap_or(0)))
            })
            .collect()
    }

    async fn timesheet(
        &self,
        org: OrganizationId,
        user: UserId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(NaiveDate, ProjectId, i64)>, StoreError> {
        let backend = self.db().get_database_backend();
        let q = Query::select()
            .expr_as(Expr::col(Column::WorkDate), "work_date")
            .expr_as(Expr::col(Column::ProjectId), "project_id")
            .expr_as(sum_i64(backend, Expr::col(Column::Minutes)), "minutes")
            .from(Entity)
            .and_where(Column::OrganizationId.eq(org.0))
            .and_where(Column::UserId.eq(user.0))
            .and_where(Column::WorkDate.gte(from))
            .and_where(Column::WorkDate.lte(to))
            .and_where(Column::Minutes.is_not_null())
            .group_by_col(Column::WorkDate)
            .group_by_col(Column::ProjectId)
            .to_owned();
        let rows = self.db().query_all(&q).await.map_err(store_err)?;
        let mut out: Vec<(NaiveDate, ProjectId, i64)> = rows
            .iter()
            .map(|r| {
                let minutes: Option<i64> = get(r, "minutes")?;
                Ok((
                    get(r, "work_date")?,
                    ProjectId(get(r, "project_id")?),
                    minutes.unwrap_or(0),
                ))
            })
            .collect::<Result<_, StoreError>>()?;
        out.sort();
        Ok(out)
    }

    async fn mark_invoiced(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        ids: &[TimeEntryId],
        invoice: Uuid,
    ) -> Result<(), StoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        Entity::update_many()
            .col_expr(Column::InvoiceId, Expr::val(invoice))
            .col_expr(Column::Version, Expr::col(Column::Version).add(1))
            .filter(Column::OrganizationId.eq(org.0))
            .filter(Column::Id.is_in(ids.iter().map(|i| i.0)))
            .exec(sql(tx.as_mut())?)
            .await
            .map_err(store_err)?;
        Ok(())
    }
}
