//! sea-orm adapters of the identity ports: organizations, users, roles, departments,
//! designations, one-time codes and refresh tokens.

mod codes;
mod departments;
mod designations;
mod organizations;
mod refresh_tokens;
mod roles;
mod users;

pub use codes::SqlVerificationCodeRepository;
pub use departments::SqlDepartmentRepository;
pub use designations::SqlDesignationRepository;
pub use organizations::SqlOrganizationRepository;
pub use refresh_tokens::SqlRefreshTokenRepository;
pub use roles::SqlRoleRepository;
pub use users::SqlUserRepository;

use crate::error::store_err;
use crate::keyset::{self, ListColumns};
use crm_domain::StoreError;
use crm_domain::kernel::pagination::{ListQuery, Page, SortDir};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    Condition, ConnectionTrait, EntityTrait, Order, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Select, Value,
};
use std::fmt::Display;

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

/// One page of `base` under `q`, as domain values.
pub(crate) async fn list_page<E, T, C>(
    db: &C,
    base: Select<E>,
    q: &ListQuery,
    cols: &ListColumns<'_, E>,
) -> Result<Page<T>, StoreError>
where
    E: EntityTrait,
    E::Model: Sync,
    T: TryFrom<E::Model, Error = StoreError>,
    C: ConnectionTrait,
{
    let page = keyset::page(db, base, q, cols).await?;
    let data = page
        .data
        .into_iter()
        .map(T::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page {
        data,
        next_cursor: page.next_cursor,
        total: page.total,
    })
}

/// The expression a sort field orders by when its column is nullable: the column with NULL
/// replaced by a fixed value (so NULLs sort at one end on every backend and compare exactly in
/// a cursor). `None` for a field whose column is NOT NULL.
pub(crate) type NullableSort<'a> = &'a (dyn Fn(&str) -> Option<Expr> + Sync);

/// As [`list_page`], also when the sort names a nullable column: `keyset::page` assumes NOT
/// NULL sort columns, so such a sort takes the same keyset over `nullable`'s expressions. The
/// cursor keys `cols.key` gives for those fields must be the replacement value for NULL.
pub(crate) async fn list_page_nullable<E, T, C>(
    db: &C,
    base: Select<E>,
    q: &ListQuery,
    cols: &ListColumns<'_, E>,
    nullable: NullableSort<'_>,
) -> Result<Page<T>, StoreError>
where
    E: EntityTrait,
    E::Model: Sync,
    T: TryFrom<E::Model, Error = StoreError>,
    C: ConnectionTrait,
{
    if !q.sort.iter().any(|k| nullable(k.field).is_some()) {
        return list_page(db, base, q, cols).await;
    }
    let filtered = base.filter(keyset::filter_condition(q, cols)?);
    let total = if q.count {
        Some(filtered.clone().count(db).await.map_err(store_err)?)
    } else {
        None
    };

    let mut order: Vec<(Expr, SortDir)> = Vec::with_capacity(q.sort.len() + 1);
    for k in &q.sort {
        let e = match nullable(k.field) {
            Some(e) => e,
            None => Expr::col((
                E::default(),
                (cols.column)(k.field).ok_or_else(|| {
                    StoreError::Unexpected(format!("list field {} has no column", k.field))
                })?,
            )),
        };
        order.push((e, k.dir));
    }
    order.push((Expr::col((E::default(), cols.id)), q.tie_break_dir()));

    let mut select = filtered;
    if let Some(cursor) = &q.cursor {
        let mut values: Vec<Value> = cursor.keys.iter().map(keyset::to_value).collect();
        values.push(cursor.id.into());
        let mut after = Condition::any();
        for i in 0..order.len() {
            let mut step = Condition::all();
            for (e, v) in order.iter().zip(&values).take(i) {
                step = step.add(e.0.clone().eq(v.clone()));
            }
            let (e, dir) = &order[i];
            step = step.add(match dir {
                SortDir::Asc => e.clone().gt(values[i].clone()),
                SortDir::Desc => e.clone().lt(values[i].clone()),
            });
            after = after.add(step);
        }
        select = select.filter(after);
    }
    for (e, dir) in &order {
        select = select.order_by(
            e.clone(),
            match dir {
                SortDir::Asc => Order::Asc,
                SortDir::Desc => Order::Desc,
            },
        );
    }
    let limit = u64::from(q.limit.get());
    let mut rows = select.limit(limit + 1).all(db).await.map_err(store_err)?;
    let next_cursor = if rows.len() as u64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|last| {
            let keys = q.sort.iter().map(|k| (cols.key)(last, k.field)).collect();
            q.cursor_after(keys, (cols.id_of)(last))
        })
    } else {
        None
    };
    let data = rows
        .into_iter()
        .map(T::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page {
        data,
        next_cursor,
        total,
    })
}
