//! Conversions and answers every repository shares.

use crate::error::store_err;
use crm_domain::kernel::clock;
use crm_domain::{OrganizationId, StoreError};
use sea_orm::sea_query::{Expr, ExprTrait, IntoCondition};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait,
    IntoActiveModel, PaginatorTrait, QueryFilter, QuerySelect, Select,
};
use sea_orm::{DbBackend, Statement, UpdateMany, Value};
use std::collections::HashSet;
use std::fmt::Display;
use std::str::FromStr;
use uuid::Uuid;

/// A raw statement written once with `?` placeholders for every backend: numbered (`$1`,
/// `$2`, …) on PostgreSQL. The SQL must hold no `?` but its placeholders.
pub(crate) fn portable(backend: DbBackend, sql: &str, values: Vec<Value>) -> Statement {
    if backend != DbBackend::Postgres {
        return Statement::from_sql_and_values(backend, sql, values);
    }
    let mut out = String::with_capacity(sql.len() + 16);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push_str(&format!("${n}"));
        } else {
            out.push(c);
        }
    }
    Statement::from_sql_and_values(backend, out, values)
}

/// A domain version (i64) as stored (i32); out of range is a bug, not a panic.
pub(crate) fn db_version(v: i64) -> Result<i32, StoreError> {
    i32::try_from(v).map_err(|_| StoreError::Unexpected(format!("version {v} out of range")))
}

/// A row that does not make a valid domain value.
pub(crate) fn corrupt(table: &str, id: impl Display, e: impl Display) -> StoreError {
    StoreError::Unexpected(format!("{table} {id}: {e}"))
}

/// After a conditional update matched nothing: `Stale` when the row (already scoped to the
/// organization by `exists`) is still there, `NotFound` otherwise.
pub(crate) async fn stale_or_missing<E, C>(db: &C, exists: Select<E>) -> StoreError
where
    E: EntityTrait,
    E::Model: Sync,
    C: ConnectionTrait,
{
    match exists.count(db).await {
        Ok(0) => StoreError::NotFound,
        Ok(_) => StoreError::Stale,
        Err(e) => store_err(e),
    }
}

/// The one row of `select` (already scoped to the organization), read inside the writing
/// transaction and held until it ends: `FOR UPDATE` on PostgreSQL and MariaDB; on SQLite the
/// transaction holds the database's write lock from `BEGIN IMMEDIATE` (`tx.rs`). A concurrent
/// writer of the same row waits here, then reads what the other committed, so a change built
/// from this row can never lose a race it did not ask to check (`If-Match`).
pub(crate) async fn locked<E>(
    tx: &DatabaseTransaction,
    select: Select<E>,
) -> Result<E::Model, StoreError>
where
    E: EntityTrait,
    E::Model: Sync,
{
    select
        .lock_exclusive()
        .one(tx)
        .await
        .map_err(store_err)?
        .ok_or(StoreError::NotFound)
}

/// A table whose rows belong to one organization and carry an optimistic `version`: what the
/// generic writes below need to know of it.
pub trait Tenanted: EntityTrait {
    const ID: Self::Column;
    const ORGANIZATION: Self::Column;
    const VERSION: Self::Column;
    /// Columns an update never writes besides id and organization (a creation time, the
    /// parent a record belongs to): left out, the UPDATE is the one the record needs.
    const FIXED: &'static [Self::Column] = &[];
}

/// In a repository file that declares its entity (columns `id`, `organization_id`, `version`):
/// `impl Tenanted for Entity`, with the columns an update never writes:
/// `tenanted!([ClientId, CreatedAt]);`.
macro_rules! tenanted {
    ([$($fixed:ident),*]) => {
        impl $crate::rows::Tenanted for Entity {
            const ID: Self::Column = Column::Id;
            const ORGANIZATION: Self::Column = Column::OrganizationId;
            const VERSION: Self::Column = Column::Version;
            const FIXED: &'static [Self::Column] = &[$(Column::$fixed),*];
        }
    };
}
pub(crate) use tenanted;

/// The row `id` of `org` (none for another organization's).
pub(crate) fn in_org<E: Tenanted>(org: OrganizationId, id: Uuid) -> Select<E> {
    E::find()
        .filter(E::ID.eq(id))
        .filter(E::ORGANIZATION.eq(org.0))
}

/// The one row `select` finds as a domain value; `NotFound` when there is none.
pub(crate) async fn one<E, T, C>(db: &C, select: Select<E>) -> Result<T, StoreError>
where
    E: EntityTrait,
    E::Model: Sync,
    T: TryFrom<E::Model, Error = StoreError>,
    C: ConnectionTrait,
{
    select
        .one(db)
        .await
        .map_err(store_err)?
        .ok_or(StoreError::NotFound)?
        .try_into()
}

/// Inserts `row` inside `tx`.
pub(crate) async fn insert<A>(tx: &DatabaseTransaction, row: A) -> Result<(), StoreError>
where
    A: ActiveModelTrait + Send,
    <A::Entity as EntityTrait>::Model: IntoActiveModel<A>,
{
    <A::Entity as EntityTrait>::insert(row)
        .exec_without_returning(tx)
        .await
        .map_err(store_err)?;
    Ok(())
}

/// `UPDATE … SET <the columns of row but id, organization and `FIXED`> WHERE id AND
/// organization_id AND version = <expected>`: the optimistic write every versioned record
/// makes, with the new version in `row`. `Stale` when the row is there at another version,
/// `NotFound` when it is gone.
pub(crate) async fn update_versioned<A>(
    tx: &DatabaseTransaction,
    mut row: A,
    (org, id): (OrganizationId, Uuid),
    expected: i64,
) -> Result<(), StoreError>
where
    A: ActiveModelTrait + Send,
    A::Entity: Tenanted,
    <A::Entity as EntityTrait>::Model: Sync,
{
    row.not_set(<A::Entity as Tenanted>::ID);
    row.not_set(<A::Entity as Tenanted>::ORGANIZATION);
    for c in <A::Entity as Tenanted>::FIXED {
        row.not_set(*c);
    }
    let res = <A::Entity as EntityTrait>::update_many()
        .set(row)
        .filter(<A::Entity as Tenanted>::ID.eq(id))
        .filter(<A::Entity as Tenanted>::ORGANIZATION.eq(org.0))
        .filter(<A::Entity as Tenanted>::VERSION.eq(db_version(expected)?))
        .exec(tx)
        .await
        .map_err(store_err)?;
    if res.rows_affected == 0 {
        return Err(stale_or_missing(tx, in_org::<A::Entity>(org, id)).await);
    }
    Ok(())
}

/// `NotFound` unless a statement changed a row: a write of a row named by its key.
pub(crate) fn found(rows_affected: u64) -> Result<(), StoreError> {
    if rows_affected == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

/// Deletes the row `id` of `org`; `NotFound` when there is none. `on_error` reads the
/// database's refusal (a foreign key still pointing at the row, for some tables).
pub(crate) async fn delete_in_org<E: Tenanted>(
    tx: &DatabaseTransaction,
    org: OrganizationId,
    id: Uuid,
    on_error: fn(DbErr) -> StoreError,
) -> Result<(), StoreError> {
    let res = E::delete_many()
        .filter(E::ID.eq(id))
        .filter(E::ORGANIZATION.eq(org.0))
        .exec(tx)
        .await
        .map_err(on_error)?;
    if res.rows_affected == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// `Conflict` naming `what` when `rows` is not empty.
pub(crate) async fn ensure_none<E, C>(db: &C, rows: Select<E>, what: &str) -> Result<(), StoreError>
where
    E: EntityTrait,
    E::Model: Sync,
    C: ConnectionTrait,
{
    if rows.count(db).await.map_err(store_err)? > 0 {
        return Err(StoreError::Conflict {
            constraint: what.into(),
        });
    }
    Ok(())
}

/// `UPDATE … SET <set>, updated_at = now, version = version + 1 WHERE organization_id = org
/// AND <condition>`: a change many rows take at once (a flag cleared, a reference unlinked),
/// each row one version on.
pub(crate) async fn touch_where<E>(
    db: &DatabaseTransaction,
    org: OrganizationId,
    condition: impl IntoCondition,
    set: impl FnOnce(UpdateMany<E>) -> UpdateMany<E>,
) -> Result<(), StoreError>
where
    E: Tenanted,
    E::Column: FromStr,
{
    let updated_at = E::Column::from_str("updated_at")
        .map_err(|_| StoreError::Unexpected("a table without updated_at".into()))?;
    set(E::update_many())
        .col_expr(updated_at, Expr::value(clock::now()))
        .col_expr(E::VERSION, Expr::col(E::VERSION).add(1))
        .filter(E::ORGANIZATION.eq(org.0))
        .filter(condition)
        .exec(db)
        .await
        .map_err(store_err)?;
    Ok(())
}

/// A table of rows nested through a `parent_id` (clients, departments).
pub(crate) trait Tree: Tenanted {
    fn id(row: &Self::Model) -> Uuid;
    fn parent(row: &Self::Model) -> Option<Uuid>;
}

/// How far [`ancestors`] climbs before deciding the data loops.
const MAX_DEPTH: usize = 1000;

/// The chain above the row `id` of `org`: its parent, the parent's parent, … up to a root,
/// each row read and locked inside `tx` (`FOR UPDATE` on PostgreSQL and MariaDB; SQLite
/// serializes writers anyway), so a concurrent move of any of them waits for this transaction
/// and cannot close a cycle with it. Ends at a dangling parent, after [`MAX_DEPTH`] steps, or
/// where the stored data already loops (every member of the loop listed). `NotFound` when
/// `id` is not of `org`.
pub(crate) async fn ancestors<E: Tree>(
    tx: &DatabaseTransaction,
    org: OrganizationId,
    id: Uuid,
) -> Result<Vec<Uuid>, StoreError>
where
    E::Model: Sync,
{
    let start = locked(tx, in_org::<E>(org, id)).await?;
    let mut chain = Vec::new();
    let mut seen = HashSet::from([E::id(&start)]);
    let mut next = E::parent(&start);
    while let Some(parent) = next {
        if chain.len() >= MAX_DEPTH {
            break;
        }
        let Some(row) = in_org::<E>(org, parent)
            .lock_exclusive()
            .one(tx)
            .await
            .map_err(store_err)?
        else {
            // A dangling parent (deleted, or of another organization): the chain ends.
            break;
        };
        chain.push(E::id(&row));
        if !seen.insert(E::id(&row)) {
            break;
        }
        next = E::parent(&row);
    }
    Ok(chain)
}
