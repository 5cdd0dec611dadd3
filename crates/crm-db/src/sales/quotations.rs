use super::{delete_row, one, owned, update_row, with_children};
use crate::entities::quotation::{self, ActiveModel, Column, Entity};
use crate::error::store_err;
use crate::keyset::{self, Computed, ListColumns};
use crate::line_items::{self, quotation_items as item};
use crate::rows::{corrupt, db_version, locked};
use crate::tx::sql;
use async_trait::async_trait;
use chrono::NaiveDate;
use crm_domain::clients::ClientId;
use crm_domain::kernel::lines::LineItem;
use crm_domain::kernel::pagination::{FieldValue, FilterOp, ListQuery, Page};
use crm_domain::{OrganizationId, StoreError, Txn, UserId};
use crm_sales::deals::DealId;
use crm_sales::quotations::{Quotation, QuotationId, QuotationRepository, QuotationStatus};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, Select};
use uuid::Uuid;

#[derive(Clone)]
pub struct SqlQuotationRepository {
    db: DatabaseConnection,
}

impl SqlQuotationRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

fn assemble(m: quotation::Model, items: Vec<LineItem>) -> Result<Quotation, StoreError> {
    let status = m
        .status
        .parse::<QuotationStatus>()
        .ok()
        .ok_or_else(|| corrupt("quotations", m.id, format!("status {}", m.status)))?;
    Ok(Quotation {
        id: QuotationId(m.id),
        organization_id: OrganizationId(m.organization_id),
        currency: super::currency(&m.currency, "quotations", m.id)?,
        client_id: ClientId(m.client_id),
        deal_id: m.deal_id.map(DealId),
        owner_id: UserId(m.owner_id),
        number: m.number,
        issue_date: m.issue_date,
        valid_until: m.valid_until,
        items,
        subtotal: m.subtotal,
        tax_total: m.tax_total,
        total: m.total,
        status,
        legacy_id: m.legacy_id,
        created_at: m.created_at,
        updated_at: m.updated_at,
        version: i64::from(m.version),
    })
}

fn row(q: &Quotation) -> Result<ActiveModel, StoreError> {
    Ok(ActiveModel {
        id: Set(q.id.0),
        created_at: Set(q.created_at),
        updated_at: Set(q.updated_at),
        version: Set(db_version(q.version)?),
        organization_id: Set(q.organization_id.0),
        client_id: Set(q.client_id.0),
        deal_id: Set(q.deal_id.map(|d| d.0)),
        owner_id: Set(q.owner_id.0),
        number: Set(q.number.clone()),
        issue_date: Set(q.issue_date),
        valid_until: Set(q.valid_until),
        currency: Set(q.currency.code().to_string()),
        subtotal: Set(q.subtotal),
        tax_total: Set(q.tax_total),
        total: Set(q.total),
        status: Set(q.status.as_str().to_string()),
        legacy_id: Set(q.legacy_id.clone()),
    })
}

fn in_org(org: OrganizationId, id: QuotationId) -> Select<Entity> {
    super::in_org(org, id.0)
}

/// The condition of a `status` filter on the status as read on `today`.
fn status_as_of(raw: &str, today: NaiveDate) -> Condition {
    let sent = QuotationStatus::Sent.as_str();
    match raw.parse::<QuotationStatus>().ok() {
        Some(QuotationStatus::Expired) => Condition::all()
            .add(Column::Status.eq(sent))
            .add(Column::ValidUntil.lt(today)),
        Some(QuotationStatus::Sent) => Condition::all()
            .add(Column::Status.eq(sent))
            .add(Column::ValidUntil.gte(today)),
        _ => Condition::all().add(Column::Status.eq(raw)),
    }
}

#[async_trait]
impl QuotationRepository for SqlQuotationRepository {
    async fn create(&self, tx: &mut Txn, q: &Quotation) -> Result<(), StoreError> {
        let db = sql(tx.as_mut())?;
        Entity::insert(row(q)?)
            .exec_without_returning(db)
            .await
            .map_err(store_err)?;
        line_items::insert::<item::Entity, _>(db, q.organization_id, q.id.0, &q.items).await
    }

    async fn get(&self, org: OrganizationId, id: QuotationId) -> Result<Quotation, StoreError> {
        let m = one(&self.db, in_org(org, id)).await?;
        let items = line_items::of_one::<item::Entity, _>(&self.db, org, m.id).await?;
        assemble(m, items)
    }

    async fn get_for_update(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: QuotationId,
    ) -> Result<Quotation, StoreError> {
        let db = sql(tx.as_mut())?;
        let m = locked(db, in_org(org, id)).await?;
        let items = line_items::of_one::<item::Entity, _>(db, org, m.id).await?;
        assemble(m, items)
    }

    async fn list(
        &self,
        org: OrganizationId,
        query: &ListQuery,
        owner: Option<UserId>,
        today: NaiveDate,
    ) -> Result<Page<Quotation>, StoreError> {
        // `status` sorts as read on `today`, as it filters: a sent quotation past its
        // `valid_until` is `expired`.
        let sent = QuotationStatus::Sent.as_str();
        let status_read: Expr = Expr::case(
            Condition::all()
                .add(Column::Status.eq(sent))
                .add(Column::ValidUntil.lt(today)),
            Expr::val(QuotationStatus::Expired.as_str()),
        )
        .finally(Expr::col((Entity, Column::Status)))
        .into();
        let status_key = move |m: &quotation::Model| {
            let expired = m.status == sent && m.valid_until < today;
            FieldValue::Text(if expired {
                QuotationStatus::Expired.as_str().to_string()
            } else {
                m.status.clone()
            })
        };
        let computed = [Computed {
            field: "status",
            expr: status_read,
            key: &status_key,
        }];
        let cols = ListColumns::<Entity> {
            search: &[Column::Number],
            computed: &computed,
        };
        let mut base = owned::<Entity>(org, Column::OwnerId, owner);
        // `status` means the status as read: expiry is applied here, the rest by keyset.
        let mut q = query.clone();
        q.filters.retain(|f| {
            if f.field != "status" || f.op != FilterOp::Eq {
                return true;
            }
            if let FieldValue::Text(raw) = &f.value {
                base = base.clone().filter(status_as_of(raw, today));
            }
            false
        });
        let page = keyset::page(&self.db, base, &q, &cols).await?;
        let ids: Vec<Uuid> = page.data.iter().map(|m| m.id).collect();
        let items = line_items::of::<item::Entity, _>(&self.db, org, &ids).await?;
        with_children(page, items, |m| m.id, assemble)
    }

    async fn update(
        &self,
        tx: &mut Txn,
        q: &Quotation,
        expected_version: i64,
    ) -> Result<(), StoreError> {
        let db = sql(tx.as_mut())?;
        let mut values = row(q)?;
        values.number = NotSet;
        update_row(db, values, q.organization_id, q.id.0, expected_version).await?;
        line_items::replace::<item::Entity, _>(db, q.organization_id, q.id.0, &q.items).await
    }

    async fn delete(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: QuotationId,
    ) -> Result<(), StoreError> {
        let db = sql(tx.as_mut())?;
        if in_org(org, id).one(db).await.map_err(store_err)?.is_none() {
            return Err(StoreError::NotFound);
        }
        line_items::delete::<item::Entity, _>(db, org, id.0).await?;
        delete_row::<Entity>(db, org, id.0).await
    }
}
