use crate::error::store_err;
use crate::keyset::{self, ListColumns};
use crate::rows::{corrupt, db_version, locked};
use crate::sales::{currency, delete_row, in_org, one, update_row};
use crate::tx::sql;
use async_trait::async_trait;
use crm_domain::clients::ClientId;
use crm_domain::kernel::pagination::{ListQuery, Page};
use crm_domain::{OrganizationId, StoreError, Txn, UserId};
use crm_finance::invoices::InvoiceId;
use crm_finance::payments::{
    Allocation, AllocationId, Payment, PaymentId, PaymentMethod, PaymentRepository, Refund,
    RefundId,
};
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
};
use std::collections::HashMap;
use uuid::Uuid;

pub(crate) mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "payments")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub version: i32,
        pub organization_id: Uuid,
        pub client_id: Uuid,
        pub amount: i64,
        pub currency: String,
        pub received_on: Date,
        pub method: String,
        pub reference: Option<String>,
        pub notes: Option<String>,
        pub allocated_amount: i64,
        pub refunded_amount: i64,
        pub unapplied_amount: i64,
        pub created_by: Uuid,
        pub legacy_id: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub(crate) mod allocation {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "payment_allocations")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub payment_id: Uuid,
        pub invoice_id: Uuid,
        pub amount: i64,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub(crate) mod refund {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "payment_refunds")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub payment_id: Uuid,
        pub amount: i64,
        pub refunded_on: Date,
        pub reference: Option<String>,
        pub created_by: Uuid,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use entity::{ActiveModel, Column, Entity, Model};

crate::sales::org_table!();

#[derive(Clone)]
pub struct SqlPaymentRepository {
    db: DatabaseConnection,
}

impl SqlPaymentRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

/// A payment's allocations and refunds, oldest first.
#[derive(Default)]
struct Children {
    allocations: Vec<Allocation>,
    refunds: Vec<Refund>,
}

async fn children_of<C: ConnectionTrait>(
    db: &C,
    org: OrganizationId,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Children>, StoreError> {
    let mut out: HashMap<Uuid, Children> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let allocations = allocation::Entity::find()
        .filter(allocation::Column::OrganizationId.eq(org.0))
        .filter(allocation::Column::PaymentId.is_in(ids.iter().copied()))
        .order_by_asc(allocation::Column::CreatedAt)
        .order_by_asc(allocation::Column::Id)
        .all(db)
        .await
        .map_err(store_err)?;
    for a in allocations {
        out.entry(a.payment_id)
            .or_default()
            .allocations
            .push(Allocation {
                id: AllocationId(a.id),
                invoice_id: InvoiceId(a.invoice_id),
                amount: a.amount,
                created_at: a.created_at,
            });
    }
    let refunds = refund::Entity::find()
        .filter(refund::Column::OrganizationId.eq(org.0))
        .filter(refund::Column::PaymentId.is_in(ids.iter().copied()))
        .order_by_asc(refund::Column::CreatedAt)
        .order_by_asc(refund::Column::Id)
        .all(db)
        .await
        .map_err(store_err)?;
    for r in refunds {
        out.entry(r.payment_id).or_default().refunds.push(Refund {
            id: RefundId(r.id),
            amount: r.amount,
            refunded_on: r.refunded_on,
            reference: r.reference,
            created_by: UserId(r.created_by),
            created_at: r.created_at,
        });
    }
    Ok(out)
}

fn assemble(m: Model, c: Children) -> Result<Payment, StoreError> {
    let method = m
        .method
        .parse::<PaymentMethod>()
        .map_err(|e| corrupt("payments", m.id, e))?;
    Ok(Payment {
        id: PaymentId(m.id),
        organization_id: OrganizationId(m.organization_id),
        client_id: ClientId(m.client_id),
        amount: m.amount,
        currency: currency(&m.currency, "payments", m.id)?,
        received_on: m.received_on,
        method,
        reference: m.reference,
        notes: m.notes,
        allocations: c.allocations,
        refunds: c.refunds,
        allocated_amount: m.allocated_amount,
        refunded_amount: m.refunded_amount,
        unapplied_amount: m.unapplied_amount,
        created_by: UserId(m.created_by),
        legacy_id: m.legacy_id,
        created_at: m.created_at,
        updated_at: m.updated_at,
        version: i64::from(m.version),
    })
}

fn row(p: &Payment) -> Result<ActiveModel, StoreError> {
    Ok(ActiveModel {
        id: Set(p.id.0),
        created_at: Set(p.created_at),
        updated_at: Set(p.updated_at),
        version: Set(db_version(p.version)?),
        organization_id: Set(p.organization_id.0),
        client_id: Set(p.client_id.0),
        amount: Set(p.amount),
        currency: Set(p.currency.code().to_string()),
        received_on: Set(p.received_on),
        method: Set(p.method.as_str().to_string()),
        reference: Set(p.reference.clone()),
        notes: Set(p.notes.clone()),
        allocated_amount: Set(p.allocated_amount),
        refunded_amount: Set(p.refunded_amount),
        unapplied_amount: Set(p.unapplied_amount),
        created_by: Set(p.created_by.0),
        legacy_id: Set(p.legacy_id.clone()),
    })
}

fn allocation_row(
    org: OrganizationId,
    payment: PaymentId,
    a: &Allocation,
) -> allocation::ActiveModel {
    allocation::ActiveModel {
        id: Set(a.id.0),
        organization_id: Set(org.0),
        payment_id: Set(payment.0),
        invoice_id: Set(a.invoice_id.0),
        amount: Set(a.amount),
        created_at: Set(a.created_at),
    }
}

fn refund_row(org: OrganizationId, payment: PaymentId, r: &Refund) -> refund::ActiveModel {
    refund::ActiveModel {
        id: Set(r.id.0),
        organization_id: Set(org.0),
        payment_id: Set(payment.0),
        amount: Set(r.amount),
        refunded_on: Set(r.refunded_on),
        reference: Set(r.reference.clone()),
        created_by: Set(r.created_by.0),
        created_at: Set(r.created_at),
    }
}

async fn one_with_children<C: ConnectionTrait>(db: &C, m: Model) -> Result<Payment, StoreError> {
    let org = OrganizationId(m.organization_id);
    let c = children_of(db, org, &[m.id])
        .await?
        .remove(&m.id)
        .unwrap_or_default();
    assemble(m, c)
}

#[async_trait]
impl PaymentRepository for SqlPaymentRepository {
    async fn create(&self, tx: &mut Txn, p: &Payment) -> Result<(), StoreError> {
        let db = sql(tx.as_mut())?;
        Entity::insert(row(p)?)
            .exec_without_returning(db)
            .await
            .map_err(store_err)?;
        if !p.allocations.is_empty() {
            let rows = p
                .allocations
                .iter()
                .map(|a| allocation_row(p.organization_id, p.id, a));
            allocation::Entity::insert_many(rows)
                .exec_without_returning(db)
                .await
                .map_err(store_err)?;
        }
        for r in &p.refunds {
            refund::Entity::insert(refund_row(p.organization_id, p.id, r))
                .exec_without_returning(db)
                .await
                .map_err(store_err)?;
        }
        Ok(())
    }

    async fn get(&self, org: OrganizationId, id: PaymentId) -> Result<Payment, StoreError> {
        let m = one(&self.db, in_org::<Entity>(org, id.0)).await?;
        one_with_children(&self.db, m).await
    }

    async fn get_for_update(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: PaymentId,
    ) -> Result<Payment, StoreError> {
        let db = sql(tx.as_mut())?;
        let m = locked(db, in_org::<Entity>(org, id.0)).await?;
        one_with_children(db, m).await
    }

    async fn list(
        &self,
        org: OrganizationId,
        query: &ListQuery,
    ) -> Result<Page<Payment>, StoreError> {
        let base = Entity::find().filter(Column::OrganizationId.eq(org.0));
        let cols = ListColumns::<Entity>::search(&[Column::Reference]);
        let page = keyset::page(&self.db, base, query, &cols).await?;
        let ids: Vec<Uuid> = page.data.iter().map(|m| m.id).collect();
        let mut children = children_of(&self.db, org, &ids).await?;
        let data = page
            .data
            .into_iter()
            .map(|m| {
                let c = children.remove(&m.id).unwrap_or_default();
                assemble(m, c)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page {
            data,
            next_cursor: page.next_cursor,
            total: page.total,
        })
    }

    async fn update(
        &self,
        tx: &mut Txn,
        p: &Payment,
        expected_version: i64,
    ) -> Result<(), StoreError> {
        let db = sql(tx.as_mut())?;
        update_row(db, row(p)?, p.organization_id, p.id.0, expected_version).await
    }

    async fn add_allocation(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        payment: PaymentId,
        a: &Allocation,
    ) -> Result<(), StoreError> {
        let db = sql(tx.as_mut())?;
        allocation::Entity::insert(allocation_row(org, payment, a))
            .exec_without_returning(db)
            .await
            .map_err(store_err)?;
        Ok(())
    }

    async fn remove_allocation(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        payment: PaymentId,
        id: AllocationId,
    ) -> Result<(), StoreError> {
        let db = sql(tx.as_mut())?;
        let res = allocation::Entity::delete_many()
            .filter(allocation::Column::OrganizationId.eq(org.0))
            .filter(allocation::Column::PaymentId.eq(payment.0))
            .filter(allocation::Column::Id.eq(id.0))
            .exec(db)
            .await
            .map_err(store_err)?;
        if res.rows_affected == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn add_refund(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        payment: PaymentId,
        r: &Refund,
    ) -> Result<(), StoreError> {
        let db = sql(tx.as_mut())?;
        refund::Entity::insert(refund_row(org, payment, r))
            .exec_without_returning(db)
            .await
            .map_err(store_err)?;
        Ok(())
    }

    async fn delete(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: PaymentId,
    ) -> Result<(), StoreError> {
        let db = sql(tx.as_mut())?;
        // The children go first: a foreign key's cascade is not relied on (SQLite enforces
        // it only with the pragma on).
        allocation::Entity::delete_many()
            .filter(allocation::Column::OrganizationId.eq(org.0))
            .filter(allocation::Column::PaymentId.eq(id.0))
            .exec(db)
            .await
            .map_err(store_err)?;
        refund::Entity::delete_many()
            .filter(refund::Column::OrganizationId.eq(org.0))
            .filter(refund::Column::PaymentId.eq(id.0))
            .exec(db)
            .await
            .map_err(store_err)?;
        delete_row::<Entity>(db, org, id.0).await
    }
}
