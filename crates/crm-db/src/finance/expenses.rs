//! `expenses`: a `Stored` record (`SqlRecords<Entity>` is its `Records<Expense>`, `:own`
//! narrowed by `submitted_by`), and its lookups: the organization's approvers, receipts.

use crate::error::store_err;
use crate::keyset::ListColumns;
use crate::records::{SqlRecords, Stored, owned};
use crate::rows::{corrupt, db_version};
use crate::sales::currency;
use crate::tx::sql;
use async_trait::async_trait;
use crm_domain::clients::ClientId;
use crm_domain::files::{FileId, FileRepository};
use crm_domain::{OrganizationId, StoreError, Txn, UserId};
use crm_finance::expenses::{Expense, ExpenseId, ExpenseLookups, ExpenseStatus};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{QueryOrder, QuerySelect};

/// The permission that makes an approver.
const APPROVE: &str = "expenses:approve";

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "expenses")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
    pub organization_id: Uuid,
    pub description: String,
    pub category: String,
    pub amount: i64,
    pub currency: String,
    pub incurred_on: Date,
    pub merchant: Option<String>,
    pub project_id: Option<Uuid>,
    pub client_id: Option<Uuid>,
    pub billable: bool,
    pub receipt_file_id: Option<Uuid>,
    pub submitted_by: Uuid,
    pub status: String,
    pub approved_amount: Option<i64>,
    pub decided_by: Option<Uuid>,
    pub decided_at: Option<DateTimeUtc>,
    pub rejection_reason: Option<String>,
    pub reimbursed_at: Option<DateTimeUtc>,
    pub invoice_id: Option<Uuid>,
    pub legacy_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl TryFrom<Model> for Expense {
    type Error = StoreError;
    fn try_from(m: Model) -> Result<Self, StoreError> {
        let status = m
            .status
            .parse::<ExpenseStatus>()
            .map_err(|e| corrupt("expenses", m.id, e))?;
        Ok(Expense {
            id: ExpenseId(m.id),
            organization_id: OrganizationId(m.organization_id),
            currency: currency(&m.currency, "expenses", m.id)?,
            description: m.description,
            category: m.category,
            amount: m.amount,
            incurred_on: m.incurred_on,
            merchant: m.merchant,
            project_id: m.project_id,
            client_id: m.client_id.map(ClientId),
            billable: m.billable,
            receipt_file_id: m.receipt_file_id.map(FileId),
            submitted_by: UserId(m.submitted_by),
            status,
            approved_amount: m.approved_amount,
            decided_by: m.decided_by.map(UserId),
            decided_at: m.decided_at,
            rejection_reason: m.rejection_reason,
            reimbursed_at: m.reimbursed_at,
            invoice_id: m.invoice_id,
            legacy_id: m.legacy_id,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: i64::from(m.version),
        })
    }
}

crate::rows::tenanted!([CreatedAt, SubmittedBy]);

impl Stored for Entity {
    type Record = Expense;
    const LIST: ListColumns<'static, Entity> =
        ListColumns::search(&[Column::Description, Column::Merchant]);

    fn row(e: &Expense) -> Result<ActiveModel, StoreError> {
        Ok(ActiveModel {
            id: Set(e.id.0),
            created_at: Set(e.created_at),
            updated_at: Set(e.updated_at),
            version: Set(db_version(e.version)?),
            organization_id: Set(e.organization_id.0),
            description: Set(e.description.clone()),
            category: Set(e.category.clone()),
            amount: Set(e.amount),
            currency: Set(e.currency.code().to_string()),
            incurred_on: Set(e.incurred_on),
            merchant: Set(e.merchant.clone()),
            project_id: Set(e.project_id),
            client_id: Set(e.client_id.map(|c| c.0)),
            billable: Set(e.billable),
            receipt_file_id: Set(e.receipt_file_id.map(|f| f.0)),
            submitted_by: Set(e.submitted_by.0),
            status: Set(e.status.as_str().to_string()),
            approved_amount: Set(e.approved_amount),
            decided_by: Set(e.decided_by.map(|u| u.0)),
            decided_at: Set(e.decided_at),
            rejection_reason: Set(e.rejection_reason.clone()),
            reimbursed_at: Set(e.reimbursed_at),
            invoice_id: Set(e.invoice_id),
            legacy_id: Set(e.legacy_id.clone()),
        })
    }

    fn scoped(select: Select<Entity>, submitter: Option<UserId>) -> Select<Entity> {
        owned(select, Column::SubmittedBy, submitter)
    }
}

#[async_trait]
impl ExpenseLookups for SqlRecords<Entity> {
    /// The active users holding `expenses:approve` (`identity::holders_of`).
    async fn approvers(&self, org: OrganizationId) -> Result<Vec<UserId>, StoreError> {
        crate::identity::holders_of(self.db(), org, APPROVE).await
    }

    async fn manager_user(
        &self,
        org: OrganizationId,
        user: UserId,
    ) -> Result<Option<UserId>, StoreError> {
        crate::hr::manager_user_of_user(self.db(), org, user).await
    }

    async fn file_exists(&self, org: OrganizationId, file: FileId) -> Result<bool, StoreError> {
        crate::SqlFileRepository::new(self.db().clone())
            .exists(org, file)
            .await
    }

    async fn billable_for_project(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        project: Uuid,
        currency: crm_domain::Currency,
        up_to: Option<chrono::NaiveDate>,
    ) -> Result<Vec<Expense>, StoreError> {
        let mut q = Entity::find()
            .filter(Column::OrganizationId.eq(org.0))
            .filter(Column::ProjectId.eq(project))
            .filter(Column::Billable.eq(true))
            .filter(Column::InvoiceId.is_null())
            .filter(Column::Currency.eq(currency.code()))
            .filter(Column::Status.is_in([
                ExpenseStatus::Approved.as_str(),
                ExpenseStatus::Reimbursed.as_str(),
            ]));
        if let Some(d) = up_to {
            q = q.filter(Column::IncurredOn.lte(d));
        }
        q.order_by_asc(Column::IncurredOn)
            .order_by_asc(Column::Id)
            .lock_exclusive()
            .all(sql(tx.as_mut())?)
            .await
            .map_err(store_err)?
            .into_iter()
            .map(Expense::try_from)
            .collect()
    }

    async fn mark_invoiced(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        ids: &[ExpenseId],
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
