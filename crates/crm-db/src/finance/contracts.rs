//! `contracts`: a `Stored` record (`SqlRecords<Entity>` is its `Records<Contract>`), and the
//! queries of its job: candidates by end and by notice date, the `SKIP LOCKED` claim, the
//! told notice date.

use crate::error::store_err;
use crate::keyset::ListColumns;
use crate::queue::skip_locked;
use crate::records::{SqlRecords, Stored};
use crate::rows::{corrupt, db_version, in_org};
use crate::sales::currency;
use crate::tx::sql;
use async_trait::async_trait;
use chrono::NaiveDate;
use crm_domain::clients::ClientId;
use crm_domain::files::{FileId, FileRepository};
use crm_domain::{OrganizationId, StoreError, Txn, UserId};
use crm_finance::contracts::{Contract, ContractId, ContractLookups, ContractStatus};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{Condition, ConnectionTrait, QueryOrder, QuerySelect};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "contracts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
    pub organization_id: Uuid,
    pub number: String,
    pub client_id: Uuid,
    pub title: String,
    pub value: i64,
    pub currency: String,
    pub start_date: Date,
    pub end_date: Date,
    pub status: String,
    pub auto_renew: bool,
    pub renewal_months: i32,
    pub notice_days: Option<i32>,
    pub notice_date: Option<Date>,
    pub signed_on: Option<Date>,
    pub description: Option<String>,
    pub file_id: Option<Uuid>,
    pub renewed_from_id: Option<Uuid>,
    pub owner_id: Uuid,
    pub termination_reason: Option<String>,
    pub terminated_on: Option<Date>,
    pub notice_told_for: Option<Date>,
    pub legacy_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl TryFrom<Model> for Contract {
    type Error = StoreError;
    fn try_from(m: Model) -> Result<Self, StoreError> {
        let status = m
            .status
            .parse::<ContractStatus>()
            .map_err(|e| corrupt("contracts", m.id, e))?;
        Ok(Contract {
            id: ContractId(m.id),
            organization_id: OrganizationId(m.organization_id),
            currency: currency(&m.currency, "contracts", m.id)?,
            number: m.number,
            client_id: ClientId(m.client_id),
            title: m.title,
            value: m.value,
            start_date: m.start_date,
            end_date: m.end_date,
            status,
            auto_renew: m.auto_renew,
            renewal_months: m.renewal_months,
            notice_days: m.notice_days,
            notice_date: m.notice_date,
            signed_on: m.signed_on,
            description: m.description,
            file_id: m.file_id.map(FileId),
            renewed_from_id: m.renewed_from_id.map(ContractId),
            owner_id: UserId(m.owner_id),
            termination_reason: m.termination_reason,
            terminated_on: m.terminated_on,
            notice_told_for: m.notice_told_for,
            legacy_id: m.legacy_id,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: i64::from(m.version),
        })
    }
}

// The number, the client, the predecessor and the told notice date (written by the job
// alone, see `mark_notice_told`) never change through an update.
crate::rows::tenanted!([CreatedAt, Number, ClientId, RenewedFromId, NoticeToldFor]);

impl Stored for Entity {
    type Record = Contract;
    const LIST: ListColumns<'static, Entity> =
        ListColumns::search(&[Column::Title, Column::Number]);

    fn row(c: &Contract) -> Result<ActiveModel, StoreError> {
        Ok(ActiveModel {
            id: Set(c.id.0),
            created_at: Set(c.created_at),
            updated_at: Set(c.updated_at),
            version: Set(db_version(c.version)?),
            organization_id: Set(c.organization_id.0),
            number: Set(c.number.clone()),
            client_id: Set(c.client_id.0),
            title: Set(c.title.clone()),
            value: Set(c.value),
            currency: Set(c.currency.code().to_string()),
            start_date: Set(c.start_date),
            end_date: Set(c.end_date),
            status: Set(c.status.as_str().to_string()),
            auto_renew: Set(c.auto_renew),
            renewal_months: Set(c.renewal_months),
            notice_days: Set(c.notice_days),
            notice_date: Set(c.notice_date),
            signed_on: Set(c.signed_on),
            description: Set(c.description.clone()),
            file_id: Set(c.file_id.map(|f| f.0)),
            renewed_from_id: Set(c.renewed_from_id.map(|r| r.0)),
            owner_id: Set(c.owner_id.0),
            termination_reason: Set(c.termination_reason.clone()),
            terminated_on: Set(c.terminated_on),
            notice_told_for: Set(c.notice_told_for),
            legacy_id: Set(c.legacy_id.clone()),
        })
    }

    fn scoped(select: Select<Entity>, _: ()) -> Select<Entity> {
        select
    }
}

const ACTIVE: &str = "active";

async fn candidates(
    db: &sea_orm::DatabaseConnection,
    select: Select<Entity>,
    order: Column,
    limit: u64,
) -> Result<Vec<(OrganizationId, ContractId)>, StoreError> {
    let rows: Vec<(Uuid, Uuid)> = select
        .select_only()
        .column(Column::OrganizationId)
        .column(Column::Id)
        .filter(Column::Status.eq(ACTIVE))
        .order_by_asc(order)
        .order_by_asc(Column::Id)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await
        .map_err(store_err)?;
    Ok(rows
        .into_iter()
        .map(|(o, i)| (OrganizationId(o), ContractId(i)))
        .collect())
}

#[async_trait]
impl ContractLookups for SqlRecords<Entity> {
    async fn ended_before(
        &self,
        horizon: NaiveDate,
        limit: u64,
    ) -> Result<Vec<(OrganizationId, ContractId)>, StoreError> {
        let select = Entity::find().filter(Column::EndDate.lt(horizon));
        candidates(self.db(), select, Column::EndDate, limit).await
    }

    async fn notice_before(
        &self,
        horizon: NaiveDate,
        limit: u64,
    ) -> Result<Vec<(OrganizationId, ContractId)>, StoreError> {
        let untold = Condition::any()
            .add(Column::NoticeToldFor.is_null())
            .add(Expr::col(Column::NoticeToldFor).ne(Expr::col(Column::NoticeDate)));
        let select = Entity::find()
            .filter(Column::NoticeDate.lte(horizon))
            .filter(untold);
        candidates(self.db(), select, Column::NoticeDate, limit).await
    }

    async fn claim(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: ContractId,
    ) -> Result<Option<Contract>, StoreError> {
        let db = sql(tx.as_mut())?;
        let select = skip_locked(in_org::<Entity>(org, id.0), db.get_database_backend());
        select
            .one(db)
            .await
            .map_err(store_err)?
            .map(Contract::try_from)
            .transpose()
    }

    async fn mark_notice_told(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: ContractId,
        date: NaiveDate,
    ) -> Result<(), StoreError> {
        let db = sql(tx.as_mut())?;
        Entity::update_many()
            .col_expr(Column::NoticeToldFor, Expr::value(date))
            .filter(Column::OrganizationId.eq(org.0))
            .filter(Column::Id.eq(id.0))
            .exec(db)
            .await
            .map_err(store_err)?;
        Ok(())
    }

    async fn file_exists(&self, org: OrganizationId, file: FileId) -> Result<bool, StoreError> {
        crate::SqlFileRepository::new(self.db().clone())
            .exists(org, file)
            .await
    }
}
