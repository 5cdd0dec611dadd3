//! sea-orm adapters of the sales ports: leads, pipelines, deals (with their board and
//! forecast), quotations and customer tracking.

mod deals;
mod leads;
mod pipelines;
mod quotations;
mod tracking;

/// Deals, with their `DealRepository` queries.
pub type SqlDealRepository = crate::SqlRecords<deals::Entity>;
/// Leads, with their `LeadRepository` queries.
pub type SqlLeadRepository = crate::SqlRecords<leads::Entity>;
/// The deals table other adapters check a reference against (a project's deal).
pub(crate) use deals::{Column as DealColumn, Entity as DealEntity};
pub use pipelines::SqlPipelineRepository;
pub use quotations::SqlQuotationRepository;
pub use tracking::SqlClientTrackingRepository;

use crate::error::store_err;
use crate::rows::{db_version, stale_or_missing};
use crm_domain::activity::ActivityRepository;
use crm_domain::clients::Client;
use crm_domain::identity::{Clock, UserRepository};
use crm_domain::kernel::pagination::Page;
use crm_domain::kernel::records::Records;
use crm_domain::{Currency, OrganizationId, StoreError, TxManager, UserId};
use crm_sales::SalesPorts;
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    DbBackend, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QueryResult, Select,
    TryGetable, UpdateMany,
};
use std::collections::HashMap;
use std::sync::Arc;
use uuid::Uuid;

/// The ports of the sales services on `db`, as the server (`crm-api`'s `app.rs`) and the
/// integration tests wire them; the transaction manager, the client and user repositories,
/// the audit log and the clock are the ones the other modules share.
pub fn ports(
    db: &DatabaseConnection,
    tx: Arc<dyn TxManager>,
    clients: Arc<dyn Records<Client>>,
    users: Arc<dyn UserRepository>,
    activities: Arc<dyn ActivityRepository>,
    clock: Arc<dyn Clock>,
) -> SalesPorts {
    SalesPorts {
        tx,
        leads: Arc::new(SqlLeadRepository::new(db.clone())),
        lead_emails: Arc::new(SqlLeadRepository::new(db.clone())),
        pipelines: Arc::new(SqlPipelineRepository::new(db.clone())),
        deals: Arc::new(SqlDealRepository::new(db.clone())),
        deal_stages: Arc::new(SqlDealRepository::new(db.clone())),
        quotations: Arc::new(SqlQuotationRepository::new(db.clone())),
        counters: Arc::new(crate::SqlDocumentCounterRepository::new(db.clone())),
        tracking: Arc::new(SqlClientTrackingRepository::new(db.clone())),
        clients,
        client_lifecycle: Arc::new(crate::clients::SqlClientRepository::new(db.clone())),
        users,
        activities,
        clock,
    }
}

/// A sales table: rows keyed by `id` within `organization_id`, written at a `version`.
pub(crate) trait OrgTable: EntityTrait<Model: Sync> {
    const ID: Self::Column;
    const ORG: Self::Column;
    const VERSION: Self::Column;
    const CREATED_AT: Self::Column;
}

/// Declares the [`OrgTable`] columns of entity modules whose columns carry the usual names.
macro_rules! org_tables {
    ($($entity:ident),*) => {$(
        impl OrgTable for crate::entities::$entity::Entity {
            const ID: Self::Column = crate::entities::$entity::Column::Id;
            const ORG: Self::Column = crate::entities::$entity::Column::OrganizationId;
            const VERSION: Self::Column = crate::entities::$entity::Column::Version;
            const CREATED_AT: Self::Column = crate::entities::$entity::Column::CreatedAt;
        }
    )*};
}
org_tables!(pipeline, quotation);

/// `impl OrgTable for Entity` in a repository file that declares its entity, whose columns
/// carry the usual names.
macro_rules! org_table {
    () => {
        impl $crate::sales::OrgTable for Entity {
            const ID: Column = Column::Id;
            const ORG: Column = Column::OrganizationId;
            const VERSION: Column = Column::Version;
            const CREATED_AT: Column = Column::CreatedAt;
        }
    };
}
pub(crate) use org_table;

/// The row `id` of `org`.
pub(crate) fn in_org<E: OrgTable>(org: OrganizationId, id: Uuid) -> Select<E> {
    E::find().filter(E::ID.eq(id)).filter(E::ORG.eq(org.0))
}

/// The rows of `org`, only those whose `owner` column is `Some(u)` when given.
pub(crate) fn owned<E: OrgTable>(
    org: OrganizationId,
    column: E::Column,
    owner: Option<UserId>,
) -> Select<E> {
    let all = E::find().filter(E::ORG.eq(org.0));
    match owner {
        Some(u) => all.filter(column.eq(u.0)),
        None => all,
    }
}

/// The one row `select` finds; `NotFound` when there is none.
pub(crate) async fn one<E: OrgTable, C: ConnectionTrait>(
    db: &C,
    select: Select<E>,
) -> Result<E::Model, StoreError> {
    select
        .one(db)
        .await
        .map_err(store_err)?
        .ok_or(StoreError::NotFound)
}

/// Runs `update` on the row `id` of `org` whose stored version is `expected`: `Stale` when
/// the row is there at another version, `NotFound` when it is gone.
pub(crate) async fn update_at_version<E: OrgTable>(
    db: &DatabaseTransaction,
    update: UpdateMany<E>,
    org: OrganizationId,
    id: Uuid,
    expected: i64,
) -> Result<(), StoreError> {
    let res = update
        .filter(E::ID.eq(id))
        .filter(E::ORG.eq(org.0))
        .filter(E::VERSION.eq(db_version(expected)?))
        .exec(db)
        .await
        .map_err(store_err)?;
    if res.rows_affected == 0 {
        return Err(stale_or_missing(db, in_org::<E>(org, id)).await);
    }
    Ok(())
}

/// Stores `values` over the row `id` of `org` at version `expected` (see
/// [`update_at_version`]); its id, organization and creation time stay as stored.
pub(crate) async fn update_row<E, A>(
    db: &DatabaseTransaction,
    mut values: A,
    org: OrganizationId,
    id: Uuid,
    expected: i64,
) -> Result<(), StoreError>
where
    E: OrgTable,
    A: ActiveModelTrait<Entity = E> + Send,
{
    for kept in [E::ID, E::ORG, E::CREATED_AT] {
        values.not_set(kept);
    }
    update_at_version(db, E::update_many().set(values), org, id, expected).await
}

/// Deletes the row `id` of `org`: `NotFound` when there is none; rows still referring to it
/// are a `Conflict` (see [`delete_err`]).
pub(crate) async fn delete_row<E: OrgTable>(
    db: &DatabaseTransaction,
    org: OrganizationId,
    id: Uuid,
) -> Result<(), StoreError> {
    let res = E::delete_many()
        .filter(E::ID.eq(id))
        .filter(E::ORG.eq(org.0))
        .exec(db)
        .await
        .map_err(delete_err)?;
    if res.rows_affected == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// `Conflict` naming `constraint` while `referring` finds rows: checked before a delete, so
/// the answer does not depend on each backend's foreign-key report.
pub(crate) async fn unreferenced<E: EntityTrait<Model: Sync>>(
    db: &DatabaseTransaction,
    referring: Select<E>,
    constraint: &str,
) -> Result<(), StoreError> {
    if referring.count(db).await.map_err(store_err)? > 0 {
        return Err(StoreError::Conflict {
            constraint: constraint.into(),
        });
    }
    Ok(())
}

/// Deletes the rows of a child table whose `parent` column is record `id` of `org`.
pub(crate) async fn delete_children<E: EntityTrait>(
    db: &DatabaseTransaction,
    org_column: E::Column,
    parent: E::Column,
    org: OrganizationId,
    id: Uuid,
) -> Result<(), StoreError> {
    E::delete_many()
        .filter(org_column.eq(org.0))
        .filter(parent.eq(id))
        .exec(db)
        .await
        .map_err(store_err)?;
    Ok(())
}

/// The rows of a child table (`parent` column, ordered by `position`) of the records `ids`
/// of `org`, by parent id.
pub(crate) async fn children_of<E, C>(
    db: &C,
    (org_column, parent, position): (E::Column, E::Column, E::Column),
    parent_of: fn(&E::Model) -> Uuid,
    org: OrganizationId,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<E::Model>>, StoreError>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    let mut out: HashMap<Uuid, Vec<E::Model>> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let rows = E::find()
        .filter(org_column.eq(org.0))
        .filter(parent.is_in(ids.iter().copied()))
        .order_by_asc(position)
        .all(db)
        .await
        .map_err(store_err)?;
    for r in rows {
        out.entry(parent_of(&r)).or_default().push(r);
    }
    Ok(out)
}

/// A page of rows made records, each with its children (`children` by parent id).
pub(crate) fn with_children<M, C, T>(
    page: Page<M>,
    mut children: HashMap<Uuid, Vec<C>>,
    id_of: fn(&M) -> Uuid,
    assemble: fn(M, Vec<C>) -> Result<T, StoreError>,
) -> Result<Page<T>, StoreError> {
    let data = page
        .data
        .into_iter()
        .map(|m| {
            let c = children.remove(&id_of(&m)).unwrap_or_default();
            assemble(m, c)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page {
        data,
        next_cursor: page.next_cursor,
        total: page.total,
    })
}

/// As [`store_err`], but a foreign-key violation (rows still referring to the one being
/// deleted) is a `Conflict` naming the constraint, not a bug.
pub(crate) fn delete_err(e: DbErr) -> StoreError {
    if let Some(sea_orm::SqlErr::ForeignKeyConstraintViolation(msg)) = e.sql_err() {
        return StoreError::Conflict { constraint: msg };
    }
    store_err(e)
}

/// `SUM(expr)` as a 64-bit integer on every backend (PostgreSQL sums `BIGINT` into `NUMERIC`,
/// MySQL into `DECIMAL`).
pub(crate) fn sum_i64(backend: DbBackend, expr: Expr) -> Expr {
    let ty = match backend {
        DbBackend::MySql => "SIGNED",
        _ => "BIGINT",
    };
    Func::cast_as(Func::sum(expr), ty).into()
}

/// `COUNT(*)` as a 64-bit integer.
pub(crate) fn count_star() -> Expr {
    Expr::cust("COUNT(*)")
}

/// A stored currency code.
pub(crate) fn currency(
    raw: &str,
    table: &str,
    id: impl std::fmt::Display,
) -> Result<Currency, StoreError> {
    Currency::parse(raw).map_err(|e| crate::rows::corrupt(table, id, e))
}

/// Column `col` of an aggregate row.
pub(crate) fn get<T: TryGetable>(row: &QueryResult, col: &str) -> Result<T, StoreError> {
    row.try_get::<T>("", col)
        .map_err(|e| StoreError::Unexpected(format!("reading {col}: {e}")))
}

/// A count as the domain holds it.
pub(crate) fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}
