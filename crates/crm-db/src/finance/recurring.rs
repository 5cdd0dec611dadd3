use crate::error::store_err;
use crate::keyset::{self, ListColumns};
use crate::line_items::{self, recurring_invoice_items as item};
use crate::queue::skip_locked;
use crate::rows::{corrupt, db_version, locked};
use crate::sales::{currency, delete_row, in_org, one, update_row, with_children};
use crate::tx::sql;
use async_trait::async_trait;
use chrono::NaiveDate;
use crm_domain::clients::ClientId;
use crm_domain::kernel::lines::LineItem;
use crm_domain::kernel::pagination::{ListQuery, Page};
use crm_domain::{OrganizationId, StoreError, Txn, UserId};
use crm_finance::recurring::{
    RecurringInvoice, RecurringInvoiceId, RecurringInvoiceRepository, RecurringStatus,
};
use crm_finance::schedule::Frequency;
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use uuid::Uuid;

pub(crate) mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "recurring_invoices")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub version: i32,
        pub organization_id: Uuid,
        pub client_id: Uuid,
        pub currency: String,
        pub subtotal: i64,
        pub tax_total: i64,
        pub total: i64,
        pub payment_terms_days: i32,
        pub frequency: String,
        pub interval: i32,
        pub start_date: Date,
        pub end_date: Option<Date>,
        pub max_occurrences: Option<i32>,
        pub auto_issue: bool,
        pub auto_send: bool,
        pub status: String,
        pub next_issue_date: Option<Date>,
        pub occurrences_done: i32,
        pub notes: Option<String>,
        pub terms: Option<String>,
        pub created_by: Uuid,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use entity::{ActiveModel, Column, Entity, Model};

crate::sales::org_table!();

#[derive(Clone)]
pub struct SqlRecurringInvoiceRepository {
    db: DatabaseConnection,
}

impl SqlRecurringInvoiceRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

fn assemble(m: Model, items: Vec<LineItem>) -> Result<RecurringInvoice, StoreError> {
    let bad = |e: crm_domain::ValueError| corrupt("recurring_invoices", m.id, e);
    Ok(RecurringInvoice {
        id: RecurringInvoiceId(m.id),
        organization_id: OrganizationId(m.organization_id),
        client_id: ClientId(m.client_id),
        currency: currency(&m.currency, "recurring_invoices", m.id)?,
        items,
        subtotal: m.subtotal,
        tax_total: m.tax_total,
        total: m.total,
        payment_terms_days: m.payment_terms_days,
        frequency: m.frequency.parse::<Frequency>().map_err(bad)?,
        interval: m.interval,
        start_date: m.start_date,
        end_date: m.end_date,
        max_occurrences: m.max_occurrences,
        auto_issue: m.auto_issue,
        auto_send: m.auto_send,
        status: m.status.parse::<RecurringStatus>().map_err(bad)?,
        next_issue_date: m.next_issue_date,
        occurrences_done: m.occurrences_done,
        notes: m.notes,
        terms: m.terms,
        created_by: UserId(m.created_by),
        created_at: m.created_at,
        updated_at: m.updated_at,
        version: i64::from(m.version),
    })
}

fn row(t: &RecurringInvoice) -> Result<ActiveModel, StoreError> {
    Ok(ActiveModel {
        id: Set(t.id.0),
        created_at: Set(t.created_at),
        updated_at: Set(t.updated_at),
        version: Set(db_version(t.version)?),
        organization_id: Set(t.organization_id.0),
        client_id: Set(t.client_id.0),
        currency: Set(t.currency.code().to_string()),
        subtotal: Set(t.subtotal),
        tax_total: Set(t.tax_total),
        total: Set(t.total),
        payment_terms_days: Set(t.payment_terms_days),
        frequency: Set(t.frequency.as_str().to_string()),
        interval: Set(t.interval),
        start_date: Set(t.start_date),
        end_date: Set(t.end_date),
        max_occurrences: Set(t.max_occurrences),
        auto_issue: Set(t.auto_issue),
        auto_send: Set(t.auto_send),
        status: Set(t.status.as_str().to_string()),
        next_issue_date: Set(t.next_issue_date),
        occurrences_done: Set(t.occurrences_done),
        notes: Set(t.notes.clone()),
        terms: Set(t.terms.clone()),
        created_by: Set(t.created_by.0),
    })
}

async fn with_lines<C: ConnectionTrait>(db: &C, m: Model) -> Result<RecurringInvoice, StoreError> {
    let org = OrganizationId(m.organization_id);
    let items = line_items::of_one::<item::Entity, _>(db, org, m.id).await?;
    assemble(m, items)
}

#[async_trait]
impl RecurringInvoiceRepository for SqlRecurringInvoiceRepository {
    async fn create(&self, tx: &mut Txn, t: &RecurringInvoice) -> Result<(), StoreError> {
        let db = sql(tx.as_mut())?;
        Entity::insert(row(t)?)
            .exec_without_returning(db)
            .await
            .map_err(store_err)?;
        line_items::insert::<item::Entity, _>(db, t.organization_id, t.id.0, &t.items).await
    }

    async fn get(
        &self,
        org: OrganizationId,
        id: RecurringInvoiceId,
    ) -> Result<RecurringInvoice, StoreError> {
        let m = one(&self.db, in_org::<Entity>(org, id.0)).await?;
        with_lines(&self.db, m).await
    }

    async fn get_for_update(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: RecurringInvoiceId,
    ) -> Result<RecurringInvoice, StoreError> {
        let db = sql(tx.as_mut())?;
        let m = locked(db, in_org::<Entity>(org, id.0)).await?;
        with_lines(db, m).await
    }

    async fn list(
        &self,
        org: OrganizationId,
        query: &ListQuery,
    ) -> Result<Page<RecurringInvoice>, StoreError> {
        let base = Entity::find().filter(Column::OrganizationId.eq(org.0));
        let cols = ListColumns::<Entity>::search(&[]);
        let page = keyset::page(&self.db, base, query, &cols).await?;
        let ids: Vec<Uuid> = page.data.iter().map(|m| m.id).collect();
        let items = line_items::of::<item::Entity, _>(&self.db, org, &ids).await?;
        with_children(page, items, |m| m.id, assemble)
    }

    async fn update(
        &self,
        tx: &mut Txn,
        t: &RecurringInvoice,
        expected_version: i64,
    ) -> Result<(), StoreError> {
        let db = sql(tx.as_mut())?;
        update_row(db, row(t)?, t.organization_id, t.id.0, expected_version).await?;
        line_items::replace::<item::Entity, _>(db, t.organization_id, t.id.0, &t.items).await
    }

    async fn delete(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: RecurringInvoiceId,
    ) -> Result<(), StoreError> {
        let db = sql(tx.as_mut())?;
        line_items::delete::<item::Entity, _>(db, org, id.0).await?;
        delete_row::<Entity>(db, org, id.0).await
    }

    async fn due(
        &self,
        date: NaiveDate,
        limit: u64,
    ) -> Result<Vec<(OrganizationId, RecurringInvoiceId)>, StoreError> {
        let rows: Vec<(Uuid, Uuid)> = Entity::find()
            .select_only()
            .column(Column::OrganizationId)
            .column(Column::Id)
            .filter(Column::Status.eq(RecurringStatus::Active.as_str()))
            .filter(Column::NextIssueDate.lte(date))
            .order_by_asc(Column::NextIssueDate)
            .order_by_asc(Column::Id)
            .limit(limit)
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(store_err)?;
        Ok(rows
            .into_iter()
            .map(|(o, i)| (OrganizationId(o), RecurringInvoiceId(i)))
            .collect())
    }

    async fn claim(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: RecurringInvoiceId,
    ) -> Result<Option<RecurringInvoice>, StoreError> {
        let db = sql(tx.as_mut())?;
        let select = skip_locked(in_org::<Entity>(org, id.0), db.get_database_backend());
        match select.one(db).await.map_err(store_err)? {
            Some(m) => Ok(Some(with_lines(db, m).await?)),
            None => Ok(None),
        }
    }
}
