//! `proposals` and their lines (`proposal_items`): the `Records<Proposal>` of the finance
//! ports. Written by hand rather than as a `Stored` table, for the two things `SqlRecords`
//! does not do: the lines, read and written with their proposal, and the status as read on
//! a day (`ProposalScope::today`: a sent proposal past `valid_until` filters and sorts as
//! `expired`, as quotations do).

use crate::error::store_err;
use crate::keyset::{self, Computed, ListColumns};
use crate::line_items::{self, proposal_items as item};
use crate::rows::{corrupt, db_version, locked};
use crate::sales::{currency, delete_row, in_org, one, owned, update_row, with_children};
use crate::tx::sql;
use async_trait::async_trait;
use chrono::NaiveDate;
use crm_domain::clients::ClientId;
use crm_domain::kernel::lines::LineItem;
use crm_domain::kernel::pagination::{FieldValue, FilterOp, ListQuery, Page};
use crm_domain::kernel::records::Records;
use crm_domain::{OrganizationId, StoreError, Txn, UserId};
use crm_finance::proposals::{Proposal, ProposalId, ProposalScope, ProposalStatus};
use crm_sales::deals::DealId;
use crm_sales::leads::LeadId;
use crm_sales::quotations::QuotationId;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
};
use uuid::Uuid;

pub(crate) mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "proposals")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub version: i32,
        pub organization_id: Uuid,
        pub lead_id: Option<Uuid>,
        pub client_id: Option<Uuid>,
        pub deal_id: Option<Uuid>,
        pub owner_id: Uuid,
        pub title: String,
        pub body: Option<String>,
        pub currency: String,
        pub subtotal: i64,
        pub tax_total: i64,
        pub total: i64,
        pub valid_until: Option<Date>,
        pub status: String,
        pub sent_at: Option<DateTimeUtc>,
        pub quotation_id: Option<Uuid>,
        pub legacy_id: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use entity::{ActiveModel, Column, Entity, Model};

crate::sales::org_table!();

/// The proposals of every organization, with their lines.
#[derive(Clone)]
pub struct SqlProposalRepository {
    db: DatabaseConnection,
}

impl SqlProposalRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

fn assemble(m: Model, items: Vec<LineItem>) -> Result<Proposal, StoreError> {
    let status = m
        .status
        .parse::<ProposalStatus>()
        .map_err(|e| corrupt("proposals", m.id, e))?;
    Ok(Proposal {
        id: ProposalId(m.id),
        organization_id: OrganizationId(m.organization_id),
        currency: currency(&m.currency, "proposals", m.id)?,
        lead_id: m.lead_id.map(LeadId),
        client_id: m.client_id.map(ClientId),
        deal_id: m.deal_id.map(DealId),
        owner_id: UserId(m.owner_id),
        title: m.title,
        body: m.body,
        items,
        subtotal: m.subtotal,
        tax_total: m.tax_total,
        total: m.total,
        valid_until: m.valid_until,
        status,
        sent_at: m.sent_at,
        quotation_id: m.quotation_id.map(QuotationId),
        legacy_id: m.legacy_id,
        created_at: m.created_at,
        updated_at: m.updated_at,
        version: i64::from(m.version),
    })
}

fn row(p: &Proposal) -> Result<ActiveModel, StoreError> {
    Ok(ActiveModel {
        id: Set(p.id.0),
        created_at: Set(p.created_at),
        updated_at: Set(p.updated_at),
        version: Set(db_version(p.version)?),
        organization_id: Set(p.organization_id.0),
        lead_id: Set(p.lead_id.map(|l| l.0)),
        client_id: Set(p.client_id.map(|c| c.0)),
        deal_id: Set(p.deal_id.map(|d| d.0)),
        owner_id: Set(p.owner_id.0),
        title: Set(p.title.clone()),
        body: Set(p.body.clone()),
        currency: Set(p.currency.code().to_string()),
        subtotal: Set(p.subtotal),
        tax_total: Set(p.tax_total),
        total: Set(p.total),
        valid_until: Set(p.valid_until),
        // `expired` is read, never stored.
        status: Set(match p.status {
            ProposalStatus::Expired => ProposalStatus::Sent,
            s => s,
        }
        .as_str()
        .to_string()),
        sent_at: Set(p.sent_at),
        quotation_id: Set(p.quotation_id.map(|q| q.0)),
        legacy_id: Set(p.legacy_id.clone()),
    })
}

async fn with_lines<C: ConnectionTrait>(db: &C, m: Model) -> Result<Proposal, StoreError> {
    let org = OrganizationId(m.organization_id);
    let items = line_items::of_one::<item::Entity, _>(db, org, m.id).await?;
    assemble(m, items)
}

/// Sent and past `valid_until` on `today`: what reads `expired`.
fn expired_on(today: NaiveDate) -> Condition {
    Condition::all()
        .add(Column::Status.eq(ProposalStatus::Sent.as_str()))
        .add(Column::ValidUntil.lt(today))
}

/// The condition of a `status` filter on the status as read on `today`.
fn status_as_of(raw: &str, today: NaiveDate) -> Condition {
    match raw.parse::<ProposalStatus>().ok() {
        Some(ProposalStatus::Expired) => expired_on(today),
        Some(ProposalStatus::Sent) => Condition::all()
            .add(Column::Status.eq(ProposalStatus::Sent.as_str()))
            .add(
                Condition::any()
                    .add(Column::ValidUntil.is_null())
                    .add(Column::ValidUntil.gte(today)),
            ),
        _ => Condition::all().add(Column::Status.eq(raw)),
    }
}

#[async_trait]
impl Records<Proposal> for SqlProposalRepository {
    async fn create(&self, tx: &mut Txn, p: &Proposal) -> Result<(), StoreError> {
        let db = sql(tx.as_mut())?;
        Entity::insert(row(p)?)
            .exec_without_returning(db)
            .await
            .map_err(store_err)?;
        line_items::insert::<item::Entity, _>(db, p.organization_id, p.id.0, &p.items).await
    }

    async fn get(&self, org: OrganizationId, id: ProposalId) -> Result<Proposal, StoreError> {
        let m = one(&self.db, in_org::<Entity>(org, id.0)).await?;
        with_lines(&self.db, m).await
    }

    async fn get_for_update(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: ProposalId,
    ) -> Result<Proposal, StoreError> {
        let db = sql(tx.as_mut())?;
        let m = locked(db, in_org::<Entity>(org, id.0)).await?;
        with_lines(db, m).await
    }

    async fn list(
        &self,
        org: OrganizationId,
        query: &ListQuery,
        scope: ProposalScope,
    ) -> Result<Page<Proposal>, StoreError> {
        let today = scope.today;
        let sent = ProposalStatus::Sent.as_str();
        let status_read: Expr = Expr::case(
            expired_on(today),
            Expr::val(ProposalStatus::Expired.as_str()),
        )
        .finally(Expr::col((Entity, Column::Status)))
        .into();
        let status_key = move |m: &Model| {
            let expired = m.status == sent && m.valid_until.is_some_and(|v| v < today);
            FieldValue::Text(if expired {
                ProposalStatus::Expired.as_str().to_string()
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
            search: &[Column::Title],
            computed: &computed,
        };
        let mut base = owned::<Entity>(org, Column::OwnerId, scope.owner);
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
        p: &Proposal,
        expected_version: i64,
    ) -> Result<(), StoreError> {
        let db = sql(tx.as_mut())?;
        update_row(db, row(p)?, p.organization_id, p.id.0, expected_version).await?;
        line_items::replace::<item::Entity, _>(db, p.organization_id, p.id.0, &p.items).await
    }

    async fn delete(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: ProposalId,
    ) -> Result<(), StoreError> {
        let db = sql(tx.as_mut())?;
        line_items::delete::<item::Entity, _>(db, org, id.0).await?;
        delete_row::<Entity>(db, org, id.0).await
    }
}
