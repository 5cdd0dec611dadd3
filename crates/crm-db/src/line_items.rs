//! The lines of commercial documents (quotations, invoices, credit notes, recurring
//! templates, proposals): one table per document kind with the same columns, `(parent,
//! position)` as key. Declared once with
//! [`line_table!`]; written and read by the functions below.

use crate::error::store_err;
use crm_domain::OrganizationId;
use crm_domain::StoreError;
use crm_domain::kernel::lines::LineItem;
use crm_domain::kernel::money::Quantity;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use std::collections::HashMap;
use uuid::Uuid;

/// A lines table: its columns and how a row is a [`LineItem`].
pub(crate) trait LineTable: EntityTrait<Model: Sync> {
    const ORG: Self::Column;
    const PARENT: Self::Column;
    const POSITION: Self::Column;
    fn parent_of(m: &Self::Model) -> Uuid;
    fn line(m: Self::Model) -> LineItem;
    fn row(org: OrganizationId, parent: Uuid, position: i32, line: &LineItem) -> Self::ActiveModel;
}

/// Declares the entity module `$module` of the lines table `$table` whose parent column is
/// `$parent` (column `$Parent`), and its [`LineTable`].
macro_rules! line_table {
    ($module:ident, $table:literal, $parent:ident, $Parent:ident) => {
        pub(crate) mod $module {
            use sea_orm::entity::prelude::*;

            #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
            #[sea_orm(table_name = $table)]
            pub struct Model {
                pub organization_id: Uuid,
                #[sea_orm(primary_key, auto_increment = false)]
                pub $parent: Uuid,
                #[sea_orm(primary_key, auto_increment = false)]
                pub position: i32,
                pub description: String,
                pub quantity_thousandths: i64,
                pub unit_price: i64,
                pub tax_rate: i32,
                pub subtotal: i64,
                pub tax: i64,
                pub total: i64,
            }

            #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
            pub enum Relation {}

            impl ActiveModelBehavior for ActiveModel {}

            impl $crate::line_items::LineTable for Entity {
                const ORG: Column = Column::OrganizationId;
                const PARENT: Column = Column::$Parent;
                const POSITION: Column = Column::Position;
                fn parent_of(m: &Model) -> Uuid {
                    m.$parent
                }
                fn line(m: Model) -> crm_domain::kernel::lines::LineItem {
                    $crate::line_items::line_of(
                        m.description,
                        m.quantity_thousandths,
                        m.unit_price,
                        m.tax_rate,
                        (m.subtotal, m.tax, m.total),
                    )
                }
                fn row(
                    org: crm_domain::OrganizationId,
                    parent: Uuid,
                    position: i32,
                    l: &crm_domain::kernel::lines::LineItem,
                ) -> ActiveModel {
                    use sea_orm::ActiveValue::Set;
                    ActiveModel {
                        organization_id: Set(org.0),
                        $parent: Set(parent),
                        position: Set(position),
                        description: Set(l.description.clone()),
                        quantity_thousandths: Set(l.quantity.thousandths()),
                        unit_price: Set(l.unit_price),
                        tax_rate: Set(l.tax_rate),
                        subtotal: Set(l.subtotal),
                        tax: Set(l.tax),
                        total: Set(l.total),
                    }
                }
            }
        }
    };
}

pub(crate) fn line_of(
    description: String,
    thousandths: i64,
    unit_price: i64,
    tax_rate: i32,
    (subtotal, tax, total): (i64, i64, i64),
) -> LineItem {
    LineItem {
        description,
        quantity: Quantity::from_thousandths(thousandths),
        unit_price,
        tax_rate,
        subtotal,
        tax,
        total,
    }
}

/// Inserts `lines` of the document `parent`, in order.
pub(crate) async fn insert<E: LineTable, C: ConnectionTrait>(
    db: &C,
    org: OrganizationId,
    parent: Uuid,
    lines: &[LineItem],
) -> Result<(), StoreError> {
    if lines.is_empty() {
        return Ok(());
    }
    let rows = lines
        .iter()
        .enumerate()
        .map(|(i, l)| E::row(org, parent, i32::try_from(i).unwrap_or(i32::MAX), l));
    E::insert_many(rows)
        .exec_without_returning(db)
        .await
        .map_err(store_err)?;
    Ok(())
}

/// The lines of the documents `ids` of `org`, in order, by document.
pub(crate) async fn of<E: LineTable, C: ConnectionTrait>(
    db: &C,
    org: OrganizationId,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<LineItem>>, StoreError> {
    let mut out: HashMap<Uuid, Vec<LineItem>> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let rows = E::find()
        .filter(E::ORG.eq(org.0))
        .filter(E::PARENT.is_in(ids.iter().copied()))
        .order_by_asc(E::POSITION)
        .all(db)
        .await
        .map_err(store_err)?;
    for r in rows {
        out.entry(E::parent_of(&r)).or_default().push(E::line(r));
    }
    Ok(out)
}

/// The lines of one document.
pub(crate) async fn of_one<E: LineTable, C: ConnectionTrait>(
    db: &C,
    org: OrganizationId,
    id: Uuid,
) -> Result<Vec<LineItem>, StoreError> {
    Ok(of::<E, C>(db, org, &[id])
        .await?
        .remove(&id)
        .unwrap_or_default())
}

/// Deletes the lines of the document `parent`.
pub(crate) async fn delete<E: LineTable, C: ConnectionTrait>(
    db: &C,
    org: OrganizationId,
    parent: Uuid,
) -> Result<(), StoreError> {
    E::delete_many()
        .filter(E::ORG.eq(org.0))
        .filter(E::PARENT.eq(parent))
        .exec(db)
        .await
        .map_err(store_err)?;
    Ok(())
}

/// Replaces the lines of the document `parent` with `lines`.
pub(crate) async fn replace<E: LineTable, C: ConnectionTrait>(
    db: &C,
    org: OrganizationId,
    parent: Uuid,
    lines: &[LineItem],
) -> Result<(), StoreError> {
    delete::<E, C>(db, org, parent).await?;
    insert::<E, C>(db, org, parent, lines).await
}

line_table!(
    quotation_items,
    "quotation_items",
    quotation_id,
    QuotationId
);
line_table!(invoice_items, "invoice_items", invoice_id, InvoiceId);
line_table!(
    credit_note_items,
    "credit_note_items",
    credit_note_id,
    CreditNoteId
);
line_table!(
    recurring_invoice_items,
    "recurring_invoice_items",
    recurring_invoice_id,
    RecurringInvoiceId
);
line_table!(proposal_items, "proposal_items", proposal_id, ProposalId);
