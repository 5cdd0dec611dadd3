use crate::error::store_err;
use crate::keyset::{self, ListColumns};
use crate::line_items::{self, invoice_items as item};
use crate::queue::skip_locked;
use crate::rows::{corrupt, db_version, locked};
use crate::sales::{currency, delete_row, in_org, one, update_row, with_children};
use crate::tx::sql;
use async_trait::async_trait;
use chrono::NaiveDate;
use crm_domain::clients::ClientId;
use crm_domain::kernel::lines::LineItem;
use crm_domain::kernel::pagination::{FieldValue, FilterOp, ListQuery, Page};
use crm_domain::{OrganizationId, StoreError, Txn, UserId};
use crm_finance::balance::PaymentStatus;
use crm_finance::invoices::{Invoice, InvoiceId, InvoiceRepository, InvoiceStatus};
use crm_sales::deals::DealId;
use crm_sales::quotations::QuotationId;
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use uuid::Uuid;

pub(crate) mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "invoices")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub version: i32,
        pub organization_id: Uuid,
        pub client_id: Uuid,
        pub deal_id: Option<Uuid>,
        pub project_id: Option<Uuid>,
        pub quotation_id: Option<Uuid>,
        pub recurring_invoice_id: Option<Uuid>,
        pub period_start: Option<Date>,
        pub created_by: Uuid,
        pub number: Option<String>,
        pub status: String,
        pub payment_status: String,
        pub issue_date: Option<Date>,
        pub payment_terms_days: i32,
        pub due_date: Option<Date>,
        pub currency: String,
        pub subtotal: i64,
        pub tax_total: i64,
        pub total: i64,
        pub amount_paid: i64,
        pub amount_credited: i64,
        pub balance_due: i64,
        pub notes: Option<String>,
        pub terms: Option<String>,
        pub issued_at: Option<DateTimeUtc>,
        pub sent_at: Option<DateTimeUtc>,
        pub void_reason: Option<String>,
        pub overdue_notified: bool,
        pub legacy_id: Option<String>,
        pub legacy_number: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use entity::{ActiveModel, Column, Entity, Model};

crate::sales::org_table!();

#[derive(Clone)]
pub struct SqlInvoiceRepository {
    db: DatabaseConnection,
}

impl SqlInvoiceRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

pub(crate) fn assemble(m: Model, items: Vec<LineItem>) -> Result<Invoice, StoreError> {
    let status = m
        .status
        .parse::<InvoiceStatus>()
        .map_err(|e| corrupt("invoices", m.id, e))?;
    let payment_status = m
        .payment_status
        .parse::<PaymentStatus>()
        .map_err(|e| corrupt("invoices", m.id, e))?;
    Ok(Invoice {
        id: InvoiceId(m.id),
        organization_id: OrganizationId(m.organization_id),
        client_id: ClientId(m.client_id),
        deal_id: m.deal_id.map(DealId),
        project_id: m.project_id,
        quotation_id: m.quotation_id.map(QuotationId),
        recurring_invoice_id: m.recurring_invoice_id,
        period_start: m.period_start,
        number: m.number,
        status,
        payment_status,
        is_overdue: false,
        issue_date: m.issue_date,
        payment_terms_days: m.payment_terms_days,
        due_date: m.due_date,
        currency: currency(&m.currency, "invoices", m.id)?,
        items,
        subtotal: m.subtotal,
        tax_total: m.tax_total,
        total: m.total,
        amount_paid: m.amount_paid,
        amount_credited: m.amount_credited,
        balance_due: m.balance_due,
        notes: m.notes,
        terms: m.terms,
        issued_at: m.issued_at,
        sent_at: m.sent_at,
        void_reason: m.void_reason,
        created_by: UserId(m.created_by),
        legacy_id: m.legacy_id,
        legacy_number: m.legacy_number,
        created_at: m.created_at,
        updated_at: m.updated_at,
        version: i64::from(m.version),
    })
}

fn row(i: &Invoice) -> Result<ActiveModel, StoreError> {
    Ok(ActiveModel {
        id: Set(i.id.0),
        created_at: Set(i.created_at),
        updated_at: Set(i.updated_at),
        version: Set(db_version(i.version)?),
        organization_id: Set(i.organization_id.0),
        client_id: Set(i.client_id.0),
        deal_id: Set(i.deal_id.map(|d| d.0)),
        project_id: Set(i.project_id),
        quotation_id: Set(i.quotation_id.map(|q| q.0)),
        recurring_invoice_id: Set(i.recurring_invoice_id),
        period_start: Set(i.period_start),
        created_by: Set(i.created_by.0),
        number: Set(i.number.clone()),
        status: Set(i.status.as_str().to_string()),
        payment_status: Set(i.payment_status.as_str().to_string()),
        issue_date: Set(i.issue_date),
        payment_terms_days: Set(i.payment_terms_days),
        due_date: Set(i.due_date),
        currency: Set(i.currency.code().to_string()),
        subtotal: Set(i.subtotal),
        tax_total: Set(i.tax_total),
        total: Set(i.total),
        amount_paid: Set(i.amount_paid),
        amount_credited: Set(i.amount_credited),
        balance_due: Set(i.balance_due),
        notes: Set(i.notes.clone()),
        terms: Set(i.terms.clone()),
        issued_at: Set(i.issued_at),
        sent_at: Set(i.sent_at),
        void_reason: Set(i.void_reason.clone()),
        overdue_notified: sea_orm::ActiveValue::NotSet,
        legacy_id: Set(i.legacy_id.clone()),
        legacy_number: Set(i.legacy_number.clone()),
    })
}

/// `is_overdue` as read on `today`: issued, something due, due before today.
fn overdue(today: NaiveDate, yes: bool) -> Condition {
    let is = Condition::all()
        .add(Column::Status.eq(InvoiceStatus::Issued.as_str()))
        .add(Column::BalanceDue.gt(0))
        .add(Column::DueDate.lt(today));
    if yes { is } else { is.not() }
}

#[async_trait]
impl InvoiceRepository for SqlInvoiceRepository {
    async fn create(&self, tx: &mut Txn, i: &Invoice) -> Result<(), StoreError> {
        let db = sql(tx.as_mut())?;
        let mut values = row(i)?;
        values.overdue_notified = Set(false);
        Entity::insert(values)
            .exec_without_returning(db)
            .await
            .map_err(store_err)?;
        line_items::insert::<item::Entity, _>(db, i.organization_id, i.id.0, &i.items).await
    }

    async fn get(&self, org: OrganizationId, id: InvoiceId) -> Result<Invoice, StoreError> {
        let m = one(&self.db, in_org::<Entity>(org, id.0)).await?;
        let items = line_items::of_one::<item::Entity, _>(&self.db, org, m.id).await?;
        assemble(m, items)
    }

    async fn get_for_update(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: InvoiceId,
    ) -> Result<Invoice, StoreError> {
        let db = sql(tx.as_mut())?;
        let m = locked(db, in_org::<Entity>(org, id.0)).await?;
        let items = line_items::of_one::<item::Entity, _>(db, org, m.id).await?;
        assemble(m, items)
    }

    async fn list(
        &self,
        org: OrganizationId,
        query: &ListQuery,
        today: NaiveDate,
    ) -> Result<Page<Invoice>, StoreError> {
        let mut base = Entity::find().filter(Column::OrganizationId.eq(org.0));
        // `is_overdue` is read on today, not stored: applied here, the rest by keyset.
        let mut q = query.clone();
        q.filters.retain(|f| {
            if f.field != "is_overdue" || f.op != FilterOp::Eq {
                return true;
            }
            if let FieldValue::Bool(yes) = f.value {
                base = base.clone().filter(overdue(today, yes));
            }
            false
        });
        let cols = ListColumns::<Entity>::search(&[Column::Number]);
        let page = keyset::page(&self.db, base, &q, &cols).await?;
        let ids: Vec<Uuid> = page.data.iter().map(|m| m.id).collect();
        let items = line_items::of::<item::Entity, _>(&self.db, org, &ids).await?;
        with_children(page, items, |m| m.id, assemble)
    }

    async fn update(
        &self,
        tx: &mut Txn,
        i: &Invoice,
        expected_version: i64,
    ) -> Result<(), StoreError> {
        let db = sql(tx.as_mut())?;
        let before_items = i.status;
        update_row(db, row(i)?, i.organization_id, i.id.0, expected_version).await?;
        // Lines change only while a draft; an issued invoice keeps the ones it was issued with.
        if before_items == InvoiceStatus::Draft {
            line_items::replace::<item::Entity, _>(db, i.organization_id, i.id.0, &i.items).await?;
        }
        Ok(())
    }

    async fn overdue_candidates(
        &self,
        date: NaiveDate,
        limit: u64,
    ) -> Result<Vec<(OrganizationId, InvoiceId)>, StoreError> {
        let rows: Vec<(Uuid, Uuid)> = Entity::find()
            .select_only()
            .column(Column::OrganizationId)
            .column(Column::Id)
            .filter(Column::Status.eq(InvoiceStatus::Issued.as_str()))
            .filter(Column::OverdueNotified.eq(false))
            .filter(Column::DueDate.lt(date))
            .filter(Column::BalanceDue.gt(0))
            .order_by_asc(Column::DueDate)
            .order_by_asc(Column::Id)
            .limit(limit)
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(store_err)?;
        Ok(rows
            .into_iter()
            .map(|(o, i)| (OrganizationId(o), InvoiceId(i)))
            .collect())
    }

    async fn claim_overdue(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: InvoiceId,
    ) -> Result<Option<Invoice>, StoreError> {
        let db = sql(tx.as_mut())?;
        let select = in_org::<Entity>(org, id.0).filter(Column::OverdueNotified.eq(false));
        let select = skip_locked(select, db.get_database_backend());
        match select.one(db).await.map_err(store_err)? {
            Some(m) => {
                let items = line_items::of_one::<item::Entity, _>(db, org, m.id).await?;
                Ok(Some(assemble(m, items)?))
            }
            None => Ok(None),
        }
    }

    async fn mark_overdue_told(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: InvoiceId,
    ) -> Result<(), StoreError> {
        let db = sql(tx.as_mut())?;
        Entity::update_many()
            .col_expr(
                Column::OverdueNotified,
                sea_orm::sea_query::Expr::value(true),
            )
            .filter(Column::OrganizationId.eq(org.0))
            .filter(Column::Id.eq(id.0))
            .exec(db)
            .await
            .map_err(store_err)?;
        Ok(())
    }

    async fn period_made(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        template: Uuid,
        period_start: NaiveDate,
    ) -> Result<bool, StoreError> {
        let db = sql(tx.as_mut())?;
        let found = Entity::find()
            .select_only()
            .column(Column::Id)
            .filter(Column::OrganizationId.eq(org.0))
            .filter(Column::RecurringInvoiceId.eq(template))
            .filter(Column::PeriodStart.eq(period_start))
            .into_tuple::<Uuid>()
            .one(db)
            .await
            .map_err(store_err)?;
        Ok(found.is_some())
    }

    async fn delete(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: InvoiceId,
    ) -> Result<(), StoreError> {
        let db = sql(tx.as_mut())?;
        line_items::delete::<item::Entity, _>(db, org, id.0).await?;
        // The expenses a draft of project invoicing billed are unbilled again (its time
        // entries are, by their foreign key's `ON DELETE SET NULL`).
        use super::expenses::{Column as E, Entity as Expenses};
        Expenses::update_many()
            .col_expr(
                E::InvoiceId,
                sea_orm::sea_query::Expr::val(Option::<Uuid>::None),
            )
            .filter(E::OrganizationId.eq(org.0))
            .filter(E::InvoiceId.eq(id.0))
            .exec(db)
            .await
            .map_err(store_err)?;
        delete_row::<Entity>(db, org, id.0).await
    }
}
