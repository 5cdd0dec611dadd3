//! What `crm import legacy` reads of this database inside its one transaction: which records
//! already came from the Node.js server (their `legacy_id`), so a second run updates them
//! instead of creating them twice, and whether an email is taken. The records themselves are
//! written through the modules' own repositories.

use crate::error::store_err;
use crate::tx::sql;
use crm_domain::identity::EmailAddress;
use crm_domain::{OrganizationId, StoreError, Txn};
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use std::collections::HashMap;
use uuid::Uuid;

/// The tables that carry a `legacy_id`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LegacyTable {
    Organizations,
    Users,
    Clients,
    Leads,
    Invoices,
    Pipelines,
    /// `pipeline_stages`: the old deals name their stage by its id.
    Stages,
    Deals,
    Payments,
    Expenses,
    Contracts,
    /// `interactions`: the old `notes` on a client (or a deal's client).
    Interactions,
    Projects,
    Tasks,
    Milestones,
    Employees,
    Holidays,
    LeaveTypes,
    Departments,
    Designations,
    LeaveRequests,
    AttendanceRecords,
    /// From both `quotations` and `sales_quotations` (the old ids are unique across tables).
    Quotations,
    Proposals,
    /// One per recipient, keyed `id:userid`.
    Notifications,
}

impl LegacyTable {
    /// Every table, for a run that reads what earlier runs imported.
    pub const ALL: [LegacyTable; 25] = [
        Self::Organizations,
        Self::Users,
        Self::Clients,
        Self::Leads,
        Self::Invoices,
        Self::Pipelines,
        Self::Stages,
        Self::Deals,
        Self::Payments,
        Self::Expenses,
        Self::Contracts,
        Self::Interactions,
        Self::Projects,
        Self::Tasks,
        Self::Milestones,
        Self::Employees,
        Self::Holidays,
        Self::LeaveTypes,
        Self::Departments,
        Self::Designations,
        Self::LeaveRequests,
        Self::AttendanceRecords,
        Self::Quotations,
        Self::Proposals,
        Self::Notifications,
    ];

    fn name(self) -> &'static str {
        match self {
            Self::Organizations => "organizations",
            Self::Users => "users",
            Self::Clients => "clients",
            Self::Leads => "leads",
            Self::Invoices => "invoices",
            Self::Pipelines => "pipelines",
            Self::Stages => "pipeline_stages",
            Self::Deals => "deals",
            Self::Payments => "payments",
            Self::Expenses => "expenses",
            Self::Contracts => "contracts",
            Self::Interactions => "interactions",
            Self::Projects => "projects",
            Self::Tasks => "tasks",
            Self::Milestones => "milestones",
            Self::Employees => "employees",
            Self::Holidays => "holidays",
            Self::LeaveTypes => "leave_types",
            Self::Departments => "departments",
            Self::Designations => "designations",
            Self::LeaveRequests => "leave_requests",
            Self::AttendanceRecords => "attendance_records",
            Self::Quotations => "quotations",
            Self::Proposals => "proposals",
            Self::Notifications => "notifications",
        }
    }
}

/// `(organization, legacy id)` → this server's id.
pub type LegacyIds = HashMap<(OrganizationId, String), Uuid>;

/// Every imported record of `table`, read on the import's transaction. Organizations' legacy
/// ids are unique alone: they are keyed by the nil organization.
pub async fn legacy_ids(tx: &mut Txn, table: LegacyTable) -> Result<LegacyIds, StoreError> {
    let db = sql(tx.as_mut())?;
    let org_column = match table {
        LegacyTable::Organizations => "id",
        _ => "organization_id",
    };
    let mut select = Query::select();
    select
        .expr_as(Expr::col(Alias::new("id")), Alias::new("id"))
        .expr_as(Expr::col(Alias::new(org_column)), Alias::new("org"))
        .column(Alias::new("legacy_id"))
        .from(Alias::new(table.name()))
        .and_where(Expr::col(Alias::new("legacy_id")).is_not_null());
    let rows = db.query_all(&select).await.map_err(store_err)?;
    let mut ids = LegacyIds::with_capacity(rows.len());
    for row in rows {
        let id: Uuid = row.try_get("", "id").map_err(store_err)?;
        let org: Uuid = match table {
            LegacyTable::Organizations => Uuid::nil(),
            _ => row.try_get("", "org").map_err(store_err)?,
        };
        let legacy: String = row.try_get("", "legacy_id").map_err(store_err)?;
        ids.insert((OrganizationId(org), legacy), id);
    }
    Ok(ids)
}

/// Whether some user of any organization has `email` (normalised: addresses are stored
/// lower-cased), read on the import's transaction: a new user with a taken address would
/// fail the insert, and on PostgreSQL a failed statement ends the whole transaction.
pub async fn email_taken(tx: &mut Txn, email: &EmailAddress) -> Result<bool, StoreError> {
    let db = sql(tx.as_mut())?;
    let mut select = Query::select();
    select
        .column(Alias::new("id"))
        .from(Alias::new("users"))
        .and_where(Expr::col(Alias::new("email")).eq(email.as_str()))
        .limit(1);
    let row = db.query_one(&select).await.map_err(store_err)?;
    Ok(row.is_some())
}

/// The next number of the `(org, kind, year)` document counter, taken on the import's
/// transaction. The servers' services create a missing counter row outside their
/// transaction first (`begin_numbered`); the import cannot: its organizations exist only in
/// its own transaction until it commits, so the row is inserted in that transaction (the
/// import is a one-off command, not racing a server's first document of a new tenant).
pub async fn next_number(
    tx: &mut Txn,
    counters: &dyn crm_domain::kernel::numbering::DocumentCounterRepository,
    org: OrganizationId,
    kind: &str,
    year: i32,
) -> Result<i64, StoreError> {
    use crate::entities::document_counter::{ActiveModel, Entity};
    use sea_orm::ActiveValue::Set;
    use sea_orm::EntityTrait;
    match counters.next(tx, org, kind, year).await {
        Err(StoreError::NotFound) => {}
        other => return other,
    }
    let db = sql(tx.as_mut())?;
    Entity::insert(ActiveModel {
        organization_id: Set(org.0),
        kind: Set(kind.to_string()),
        year: Set(year),
        next: Set(2),
    })
    .exec_without_returning(db)
    .await
    .map_err(store_err)?;
    Ok(1)
}

/// Whether `org` has a row in `table` whose `column` is `value`, read on the import's
/// transaction: the unique keys the import must not run into (a second insert would fail
/// the whole transaction).
async fn any_row(
    tx: &mut Txn,
    table: &str,
    org: OrganizationId,
    column: &str,
    value: sea_orm::Value,
) -> Result<bool, StoreError> {
    let db = sql(tx.as_mut())?;
    let mut select = Query::select();
    select
        .column(Alias::new("id"))
        .from(Alias::new(table))
        .and_where(Expr::col(Alias::new("organization_id")).eq(org.0))
        .and_where(Expr::col(Alias::new(column)).eq(value))
        .limit(1);
    let row = db.query_one(&select).await.map_err(store_err)?;
    Ok(row.is_some())
}

/// Whether `user` already has an employee record in `org` (at most one per user).
pub async fn user_has_employee(
    tx: &mut Txn,
    org: OrganizationId,
    user: crm_domain::UserId,
) -> Result<bool, StoreError> {
    any_row(tx, "employees", org, "user_id", user.0.into()).await
}

/// Whether `org` already has a holiday on `date` (one per organization and date).
pub async fn holiday_on(
    tx: &mut Txn,
    org: OrganizationId,
    date: chrono::NaiveDate,
) -> Result<bool, StoreError> {
    any_row(tx, "holidays", org, "date", date.into()).await
}

/// Whether `org` has a record in `table` whose `column` is `value` (a code or number the
/// import keeps where it is unique per organization).
pub async fn value_taken(
    tx: &mut Txn,
    table: &str,
    org: OrganizationId,
    column: &str,
    value: &str,
) -> Result<bool, StoreError> {
    any_row(tx, table, org, column, value.into()).await
}

/// The holidays of `org` from `from` to `to` inclusive, read on the import's transaction, so
/// those the run has just written count in the days of the leave it imports.
pub async fn holiday_dates(
    tx: &mut Txn,
    org: OrganizationId,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
) -> Result<Vec<chrono::NaiveDate>, StoreError> {
    let db = sql(tx.as_mut())?;
    let mut select = Query::select();
    select
        .column(Alias::new("date"))
        .from(Alias::new("holidays"))
        .and_where(Expr::col(Alias::new("organization_id")).eq(org.0))
        .and_where(Expr::col(Alias::new("date")).gte(from))
        .and_where(Expr::col(Alias::new("date")).lte(to));
    db.query_all(&select)
        .await
        .map_err(store_err)?
        .iter()
        .map(|r| {
            r.try_get::<chrono::NaiveDate>("", "date")
                .map_err(store_err)
        })
        .collect()
}

/// Every leave type of `org` as `(id, code, name)`, read on the import's transaction.
pub async fn leave_types_of(
    tx: &mut Txn,
    org: OrganizationId,
) -> Result<Vec<(Uuid, String, String)>, StoreError> {
    let db = sql(tx.as_mut())?;
    let mut select = Query::select();
    select
        .columns([Alias::new("id"), Alias::new("code"), Alias::new("name")])
        .from(Alias::new("leave_types"))
        .and_where(Expr::col(Alias::new("organization_id")).eq(org.0))
        .order_by(Alias::new("created_at"), sea_orm::Order::Asc)
        .order_by(Alias::new("id"), sea_orm::Order::Asc);
    db.query_all(&select)
        .await
        .map_err(store_err)?
        .iter()
        .map(|r| {
            Ok((
                r.try_get::<Uuid>("", "id").map_err(store_err)?,
                r.try_get::<String>("", "code").map_err(store_err)?,
                r.try_get::<String>("", "name").map_err(store_err)?,
            ))
        })
        .collect()
}

/// A notification of one recipient as the import writes it. Notifications have no version
/// and no repository write of their own (the audit-log adapter makes them), so the import
/// writes these rows itself, on its transaction; nothing is published to the live streams
/// (they are history, not news).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportedNotification {
    pub id: Uuid,
    pub organization_id: OrganizationId,
    pub user_id: crm_domain::UserId,
    pub r#type: String,
    pub title: String,
    pub body: String,
    pub record_type: String,
    pub record_id: Uuid,
    pub read_at: Option<chrono::DateTime<chrono::Utc>>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub legacy_id: String,
}

fn notification_row(n: &ImportedNotification) -> crate::entities::notification::ActiveModel {
    use sea_orm::ActiveValue::Set;
    crate::entities::notification::ActiveModel {
        id: Set(n.id),
        organization_id: Set(n.organization_id.0),
        user_id: Set(n.user_id.0),
        r#type: Set(n.r#type.clone()),
        title: Set(n.title.clone()),
        body: Set(n.body.clone()),
        record_type: Set(n.record_type.clone()),
        record_id: Set(n.record_id),
        read_at: Set(n.read_at),
        created_at: Set(n.created_at),
        legacy_id: Set(Some(n.legacy_id.clone())),
    }
}

/// The imported notification `id` of `org`, read on the import's transaction; `None` when
/// its recipient deleted it (or it was never imported).
pub async fn imported_notification(
    tx: &mut Txn,
    org: OrganizationId,
    id: Uuid,
) -> Result<Option<ImportedNotification>, StoreError> {
    use crate::entities::notification::{Column, Entity};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let db = sql(tx.as_mut())?;
    let found = Entity::find_by_id(id)
        .filter(Column::OrganizationId.eq(org.0))
        .one(db)
        .await
        .map_err(store_err)?;
    Ok(found.map(|m| ImportedNotification {
        id: m.id,
        organization_id: OrganizationId(m.organization_id),
        user_id: crm_domain::UserId(m.user_id),
        r#type: m.r#type,
        title: m.title,
        body: m.body,
        record_type: m.record_type,
        record_id: m.record_id,
        read_at: m.read_at,
        created_at: m.created_at,
        legacy_id: m.legacy_id.unwrap_or_default(),
    }))
}

/// Inserts an imported notification on the import's transaction.
pub async fn insert_notification(tx: &mut Txn, n: &ImportedNotification) -> Result<(), StoreError> {
    use sea_orm::EntityTrait;
    let db = sql(tx.as_mut())?;
    crate::entities::notification::Entity::insert(notification_row(n))
        .exec_without_returning(db)
        .await
        .map_err(store_err)?;
    Ok(())
}

/// Stores an imported notification again (all its columns), on the import's transaction.
pub async fn update_notification(tx: &mut Txn, n: &ImportedNotification) -> Result<(), StoreError> {
    use sea_orm::EntityTrait;
    let db = sql(tx.as_mut())?;
    crate::entities::notification::Entity::update(notification_row(n))
        .exec(db)
        .await
        .map_err(store_err)?;
    Ok(())
}
