use crate::error::store_err;
use crate::keyset::{self, ListColumns};
use crate::line_items::{self, credit_note_items as item};
use crate::rows::db_version;
use crate::sales::{currency, in_org, one, with_children};
use crate::tx::sql;
use async_trait::async_trait;
use crm_domain::clients::ClientId;
use crm_domain::kernel::lines::LineItem;
use crm_domain::kernel::pagination::{ListQuery, Page};
use crm_domain::{OrganizationId, StoreError, Txn, UserId};
use crm_finance::credit_notes::{CreditNote, CreditNoteId, CreditNoteRepository};
use crm_finance::invoices::InvoiceId;
use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use uuid::Uuid;

pub(crate) mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "credit_notes")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub version: i32,
        pub organization_id: Uuid,
        pub invoice_id: Uuid,
        pub client_id: Uuid,
        pub number: String,
        pub issue_date: Date,
        pub reason: String,
        pub currency: String,
        pub subtotal: i64,
        pub tax_total: i64,
        pub total: i64,
        pub created_by: Uuid,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use entity::{ActiveModel, Column, Entity, Model};

crate::sales::org_table!();

#[derive(Clone)]
pub struct SqlCreditNoteRepository {
    db: DatabaseConnection,
}

impl SqlCreditNoteRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

fn assemble(m: Model, items: Vec<LineItem>) -> Result<CreditNote, StoreError> {
    Ok(CreditNote {
        id: CreditNoteId(m.id),
        organization_id: OrganizationId(m.organization_id),
        invoice_id: InvoiceId(m.invoice_id),
        client_id: ClientId(m.client_id),
        number: m.number,
        issue_date: m.issue_date,
        reason: m.reason,
        currency: currency(&m.currency, "credit_notes", m.id)?,
        items,
        subtotal: m.subtotal,
        tax_total: m.tax_total,
        total: m.total,
        created_by: UserId(m.created_by),
        created_at: m.created_at,
        updated_at: m.updated_at,
        version: i64::from(m.version),
    })
}

#[async_trait]
impl CreditNoteRepository for SqlCreditNoteRepository {
    async fn create(&self, tx: &mut Txn, n: &CreditNote) -> Result<(), StoreError> {
        let db = sql(tx.as_mut())?;
        let values = ActiveModel {
            id: Set(n.id.0),
            created_at: Set(n.created_at),
            updated_at: Set(n.updated_at),
            version: Set(db_version(n.version)?),
            organization_id: Set(n.organization_id.0),
            invoice_id: Set(n.invoice_id.0),
            client_id: Set(n.client_id.0),
            number: Set(n.number.clone()),
            issue_date: Set(n.issue_date),
            reason: Set(n.reason.clone()),
            currency: Set(n.currency.code().to_string()),
            subtotal: Set(n.subtotal),
            tax_total: Set(n.tax_total),
            total: Set(n.total),
            created_by: Set(n.created_by.0),
        };
        Entity::insert(values)
            .exec_without_returning(db)
            .await
            .map_err(store_err)?;
        line_items::insert::<item::Entity, _>(db, n.organization_id, n.id.0, &n.items).await
    }

    async fn get(&self, org: OrganizationId, id: CreditNoteId) -> Result<CreditNote, StoreError> {
        let m = one(&self.db, in_org::<Entity>(org, id.0)).await?;
        let items = line_items::of_one::<item::Entity, _>(&self.db, org, m.id).await?;
        assemble(m, items)
    }

    async fn list(
        &self,
        org: OrganizationId,
        query: &ListQuery,
    ) -> Result<Page<CreditNote>, StoreError> {
        let base = Entity::find().filter(Column::OrganizationId.eq(org.0));
        let cols = ListColumns::<Entity>::search(&[Column::Number]);
        let page = keyset::page(&self.db, base, query, &cols).await?;
        let ids: Vec<Uuid> = page.data.iter().map(|m| m.id).collect();
        let items = line_items::of::<item::Entity, _>(&self.db, org, &ids).await?;
        with_children(page, items, |m| m.id, assemble)
    }
}
