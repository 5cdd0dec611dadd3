use super::{count, count_star, get, sum_i64};
use super::{delete_children, delete_err, unreferenced};
use crate::entities::{deal_stage_history as history, quotation};
use crate::error::store_err;
use crate::keyset::ListColumns;
use crate::records::{SqlRecords, Stored, owned};
use crate::rows::{corrupt, db_version};
use crate::tx::sql;
use async_trait::async_trait;
use crm_domain::clients::ClientId;
use crm_domain::kernel::money::div_round_half_away;
use crm_domain::{OrganizationId, StoreError, Txn, UserId};
use crm_sales::deals::{
    Deal, DealId, DealRepository, DealStatus, ForecastFilter, ForecastRow, StageChange, StageTotal,
};
use crm_sales::leads::LeadId;
use crm_sales::pipelines::{PipelineId, StageId};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{ExprTrait, Query};
use sea_orm::{Condition, DatabaseTransaction, DbBackend, QueryOrder, QuerySelect};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "deals")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
    pub organization_id: Uuid,
    pub title: String,
    pub client_id: Option<Uuid>,
    pub lead_id: Option<Uuid>,
    pub pipeline_id: Uuid,
    pub stage_id: Uuid,
    pub amount: i64,
    pub currency: String,
    pub probability: i32,
    pub expected_close_date: Option<Date>,
    pub owner_id: Uuid,
    /// `open`, `won` or `lost`.
    pub status: String,
    pub lost_reason: Option<String>,
    pub closed_at: Option<DateTimeUtc>,
    pub legacy_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl TryFrom<Model> for Deal {
    type Error = StoreError;
    fn try_from(m: Model) -> Result<Self, StoreError> {
        let status = m
            .status
            .parse::<DealStatus>()
            .ok()
            .ok_or_else(|| corrupt("deals", m.id, format!("status {}", m.status)))?;
        Ok(Deal {
            id: DealId(m.id),
            organization_id: OrganizationId(m.organization_id),
            currency: super::currency(&m.currency, "deals", m.id)?,
            title: m.title,
            client_id: m.client_id.map(ClientId),
            lead_id: m.lead_id.map(LeadId),
            pipeline_id: PipelineId(m.pipeline_id),
            stage_id: StageId(m.stage_id),
            amount: m.amount,
            probability: m.probability,
            expected_close_date: m.expected_close_date,
            owner_id: UserId(m.owner_id),
            status,
            lost_reason: m.lost_reason,
            closed_at: m.closed_at,
            legacy_id: m.legacy_id,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: i64::from(m.version),
        })
    }
}

crate::rows::tenanted!([CreatedAt]);

impl Stored for Entity {
    type Record = Deal;
    const LIST: ListColumns<'static, Entity> = ListColumns::search(&[Column::Title]);
    const DELETE_ERR: fn(DbErr) -> StoreError = delete_err;

    fn row(d: &Deal) -> Result<ActiveModel, StoreError> {
        Ok(ActiveModel {
            id: Set(d.id.0),
            created_at: Set(d.created_at),
            updated_at: Set(d.updated_at),
            version: Set(db_version(d.version)?),
            organization_id: Set(d.organization_id.0),
            title: Set(d.title.clone()),
            client_id: Set(d.client_id.map(|c| c.0)),
            lead_id: Set(d.lead_id.map(|l| l.0)),
            pipeline_id: Set(d.pipeline_id.0),
            stage_id: Set(d.stage_id.0),
            amount: Set(d.amount),
            currency: Set(d.currency.code().to_string()),
            probability: Set(d.probability),
            expected_close_date: Set(d.expected_close_date),
            owner_id: Set(d.owner_id.0),
            status: Set(d.status.as_str().to_string()),
            lost_reason: Set(d.lost_reason.clone()),
            closed_at: Set(d.closed_at),
            legacy_id: Set(d.legacy_id.clone()),
        })
    }

    fn scoped(select: Select<Entity>, owner: Option<UserId>) -> Select<Entity> {
        owned(select, Column::OwnerId, owner)
    }

    /// Quotations refer to a deal; its stage history goes with it.
    async fn before_delete(
        db: &DatabaseTransaction,
        org: OrganizationId,
        id: uuid::Uuid,
    ) -> Result<(), StoreError> {
        let quotations = quotation::Entity::find()
            .filter(quotation::Column::OrganizationId.eq(org.0))
            .filter(quotation::Column::DealId.eq(id));
        unreferenced(db, quotations, "quotations.deal_id").await?;
        let (org_column, parent) = (history::Column::OrganizationId, history::Column::DealId);
        delete_children::<history::Entity>(db, org_column, parent, org, id).await
    }
}

/// Open deals of `pipeline` in `org`, optionally of `owner`.
fn open_in(org: OrganizationId, pipeline: PipelineId, owner: Option<UserId>) -> Condition {
    let mut c = Condition::all()
        .add(Column::OrganizationId.eq(org.0))
        .add(Column::PipelineId.eq(pipeline.0))
        .add(Column::Status.eq(DealStatus::Open.as_str()));
    if let Some(u) = owner {
        c = c.add(Column::OwnerId.eq(u.0));
    }
    c
}

/// `YYYY-MM` of the expected close date, in each backend's dialect (NULL stays NULL).
fn month_expr(backend: DbBackend) -> Expr {
    Expr::cust(match backend {
        DbBackend::Postgres => "to_char(expected_close_date, 'YYYY-MM')",
        DbBackend::MySql => "DATE_FORMAT(expected_close_date, '%Y-%m')",
        _ => "strftime('%Y-%m', expected_close_date)",
    })
}

#[async_trait]
impl DealRepository for SqlRecords<Entity> {
    async fn record_stage_change(&self, tx: &mut Txn, c: &StageChange) -> Result<(), StoreError> {
        let row = history::ActiveModel {
            id: Set(c.id),
            organization_id: Set(c.organization_id.0),
            deal_id: Set(c.deal_id.0),
            from_stage_id: Set(c.from_stage_id.map(|s| s.0)),
            to_stage_id: Set(c.to_stage_id.0),
            changed_at: Set(c.changed_at),
            changed_by: Set(c.changed_by.map(|u| u.0)),
        };
        history::Entity::insert(row)
            .exec_without_returning(sql(tx.as_mut())?)
            .await
            .map_err(store_err)?;
        Ok(())
    }

    async fn stage_history(
        &self,
        org: OrganizationId,
        id: DealId,
    ) -> Result<Vec<StageChange>, StoreError> {
        let rows = history::Entity::find()
            .filter(history::Column::OrganizationId.eq(org.0))
            .filter(history::Column::DealId.eq(id.0))
            .order_by_asc(history::Column::ChangedAt)
            .order_by_asc(history::Column::Id)
            .all(self.db())
            .await
            .map_err(store_err)?;
        Ok(rows
            .into_iter()
            .map(|h| StageChange {
                id: h.id,
                organization_id: OrganizationId(h.organization_id),
                deal_id: DealId(h.deal_id),
                from_stage_id: h.from_stage_id.map(StageId),
                to_stage_id: StageId(h.to_stage_id),
                changed_at: h.changed_at,
                changed_by: h.changed_by.map(UserId),
            })
            .collect())
    }

    async fn board_totals(
        &self,
        org: OrganizationId,
        pipeline: PipelineId,
        owner: Option<UserId>,
    ) -> Result<Vec<StageTotal>, StoreError> {
        let backend = self.db().get_database_backend();
        let q = Query::select()
            .column(Column::StageId)
            .column(Column::Currency)
            .expr_as(count_star(), "n")
            .expr_as(sum_i64(backend, Expr::col(Column::Amount)), "amount")
            .from(Entity)
            .cond_where(open_in(org, pipeline, owner))
            .group_by_col(Column::StageId)
            .group_by_col(Column::Currency)
            .to_owned();
        let rows = self.db().query_all(&q).await.map_err(store_err)?;
        rows.iter()
            .map(|r| {
                let stage: uuid::Uuid = get(r, "stage_id")?;
                let code: String = get(r, "currency")?;
                Ok(StageTotal {
                    stage_id: StageId(stage),
                    currency: super::currency(&code, "deals", stage)?,
                    count: count(get(r, "n")?),
                    amount: get(r, "amount")?,
                })
            })
            .collect()
    }

    async fn board_deals(
        &self,
        org: OrganizationId,
        pipeline: PipelineId,
        stages: &[StageId],
        owner: Option<UserId>,
        per_stage: u32,
    ) -> Result<Vec<Deal>, StoreError> {
        let mut out = Vec::new();
        // One bounded query per stage (pipelines have a handful), each served by the
        // (organization, pipeline, status, stage) index.
        for s in stages {
            let rows = Entity::find()
                .filter(open_in(org, pipeline, owner))
                .filter(Column::StageId.eq(s.0))
                .order_by_desc(Column::UpdatedAt)
                .order_by_desc(Column::Id)
                .limit(u64::from(per_stage))
                .all(self.db())
                .await
                .map_err(store_err)?;
            for r in rows {
                out.push(Deal::try_from(r)?);
            }
        }
        Ok(out)
    }

    async fn forecast(
        &self,
        org: OrganizationId,
        f: &ForecastFilter,
    ) -> Result<Vec<ForecastRow>, StoreError> {
        let backend = self.db().get_database_backend();
        let mut cond = Condition::all()
            .add(Column::OrganizationId.eq(org.0))
            .add(Column::Status.eq(DealStatus::Open.as_str()));
        if let Some(p) = f.pipeline_id {
            cond = cond.add(Column::PipelineId.eq(p.0));
        }
        if let Some(u) = f.owner_id {
            cond = cond.add(Column::OwnerId.eq(u.0));
        }
        if let Some(d) = f.from {
            cond = cond.add(Column::ExpectedCloseDate.gte(d));
        }
        if let Some(d) = f.to {
            cond = cond.add(Column::ExpectedCloseDate.lte(d));
        }
        let q = Query::select()
            .expr_as(month_expr(backend), "month")
            .column(Column::Currency)
            .expr_as(count_star(), "n")
            .expr_as(sum_i64(backend, Expr::col(Column::Amount)), "amount")
            .expr_as(
                sum_i64(
                    backend,
                    Expr::col(Column::Amount).mul(Expr::col(Column::Probability)),
                ),
                "weighted",
            )
            .from(Entity)
            .cond_where(cond)
            .add_group_by([month_expr(backend), Expr::col(Column::Currency)])
            .to_owned();
        let rows = self.db().query_all(&q).await.map_err(store_err)?;
        let mut out = rows
            .iter()
            .map(|r| {
                let month: Option<String> = get(r, "month")?;
                let code: String = get(r, "currency")?;
                let weighted: i64 = get(r, "weighted")?;
                let weighted = i64::try_from(div_round_half_away(i128::from(weighted), 100))
                    .map_err(|e| StoreError::Unexpected(e.to_string()))?;
                Ok(ForecastRow {
                    month,
                    currency: super::currency(&code, "deals", "forecast")?,
                    count: count(get(r, "n")?),
                    amount: get(r, "amount")?,
                    weighted_amount: weighted,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        out.sort_by(|a, b| {
            (a.month.is_none(), &a.month, a.currency.code()).cmp(&(
                b.month.is_none(),
                &b.month,
                b.currency.code(),
            ))
        });
        Ok(out)
    }
}
