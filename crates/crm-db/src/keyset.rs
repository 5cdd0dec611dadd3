//! Keyset ("seek") pagination, filters and text search for every list, from the domain's
//! validated `ListQuery`.
//!
//! The next page starts strictly after the last row's (sort values…, id), so page 1,000 costs
//! what page 1 costs and rows inserted meanwhile are neither skipped nor repeated. Sortable
//! columns are NOT NULL by design, so plain comparisons are exact.

use crate::error::store_err;
use crm_domain::StoreError;
use crm_domain::kernel::pagination::{FieldValue, FilterOp, ListQuery, Page, SortDir};
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, Order, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Select, Value,
};
use uuid::Uuid;

/// How a list's field names map onto an entity.
pub struct ListColumns<'a, E: EntityTrait> {
    /// The column of a field named in a filter or a sort.
    pub column: &'a (dyn Fn(&str) -> Option<E::Column> + Sync),
    /// The primary key, the final tie-breaker.
    pub id: E::Column,
    /// Columns `q` searches, case-insensitively.
    pub search: &'a [E::Column],
    /// The value of a sort field in a row, for the next cursor.
    pub key: &'a (dyn Fn(&E::Model, &str) -> FieldValue + Sync),
    pub id_of: &'a (dyn Fn(&E::Model) -> Uuid + Sync),
}

pub fn to_value(v: &FieldValue) -> Value {
    match v {
        FieldValue::Null => Value::String(None),
        FieldValue::Text(s) => s.clone().into(),
        FieldValue::Uuid(u) => (*u).into(),
        FieldValue::Timestamp(t) => (*t).into(),
        FieldValue::Date(d) => (*d).into(),
        FieldValue::Integer(i) => (*i).into(),
        FieldValue::Bool(b) => (*b).into(),
    }
}

fn like_pattern(q: &str) -> LikeExpr {
    // `!` as the escape character: a backslash means different things in MySQL string literals.
    let escaped: String = q
        .to_lowercase()
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '!' => vec!['!', c],
            c => vec![c],
        })
        .collect();
    LikeExpr::new(format!("%{escaped}%")).escape('!')
}

fn unknown(field: &str) -> StoreError {
    StoreError::Unexpected(format!("list field {field} has no column"))
}

/// Filters and search of `q`, without the cursor.
pub fn filter_condition<E: EntityTrait>(
    q: &ListQuery,
    cols: &ListColumns<'_, E>,
) -> Result<Condition, StoreError> {
    let mut cond = Condition::all();
    for f in &q.filters {
        let c = (cols.column)(f.field).ok_or_else(|| unknown(f.field))?;
        let v = to_value(&f.value);
        cond = cond.add(match f.op {
            FilterOp::Eq => c.eq(v),
            FilterOp::Gte => c.gte(v),
            FilterOp::Lte => c.lte(v),
        });
    }
    if let Some(text) = &q.q {
        let mut any = Condition::any();
        for c in cols.search {
            any = any.add(Expr::expr(Func::lower(Expr::col(*c))).like(like_pattern(text)));
        }
        cond = cond.add(any);
    }
    Ok(cond)
}

/// The expression a sort field orders by when its column is nullable: the column with NULL
/// replaced by a fixed value, so NULLs sort at one end on every backend and compare exactly in a
/// cursor (the row's cursor key for that field must be the same replacement). `None` for a
/// field whose column is NOT NULL.
pub type NullableSort<'a> = &'a (dyn Fn(&str) -> Option<Expr> + Sync);

/// One page of `base` (already scoped to the organization) under `q`.
pub async fn page<E, C>(
    db: &C,
    base: Select<E>,
    q: &ListQuery,
    cols: &ListColumns<'_, E>,
) -> Result<Page<E::Model>, StoreError>
where
    E: EntityTrait,
    E::Model: Sync,
    C: ConnectionTrait,
{
    page_sorted(db, base, q, cols, None).await
}

/// One page of `base` under `q`, as domain values; `nullable` names the sort fields whose
/// columns may be NULL.
pub async fn page_as<E, T, C>(
    db: &C,
    base: Select<E>,
    q: &ListQuery,
    cols: &ListColumns<'_, E>,
    nullable: Option<NullableSort<'_>>,
) -> Result<Page<T>, StoreError>
where
    E: EntityTrait,
    E::Model: Sync,
    T: TryFrom<E::Model, Error = StoreError>,
    C: ConnectionTrait,
{
    let page = page_sorted(db, base, q, cols, nullable).await?;
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

async fn page_sorted<E, C>(
    db: &C,
    base: Select<E>,
    q: &ListQuery,
    cols: &ListColumns<'_, E>,
    nullable: Option<NullableSort<'_>>,
) -> Result<Page<E::Model>, StoreError>
where
    E: EntityTrait,
    E::Model: Sync,
    C: ConnectionTrait,
{
    let filtered = base.filter(filter_condition(q, cols)?);
    let total = if q.count {
        Some(filtered.clone().count(db).await.map_err(store_err)?)
    } else {
        None
    };

    let mut order: Vec<(Expr, SortDir)> = Vec::with_capacity(q.sort.len() + 1);
    for k in &q.sort {
        let e = match nullable.and_then(|n| n(k.field)) {
            Some(e) => e,
            None => Expr::col((
                E::default(),
                (cols.column)(k.field).ok_or_else(|| unknown(k.field))?,
            )),
        };
        order.push((e, k.dir));
    }
    order.push((Expr::col((E::default(), cols.id)), q.tie_break_dir()));

    let mut select = filtered;
    if let Some(cursor) = &q.cursor {
        let mut values: Vec<Value> = cursor.keys.iter().map(to_value).collect();
        values.push(cursor.id.into());
        let mut after = Condition::any();
        for i in 0..order.len() {
            let mut step = Condition::all();
            for ((e, _), v) in order.iter().zip(&values).take(i) {
                step = step.add(e.clone().eq(v.clone()));
            }
            let (e, dir) = &order[i];
            step = step.add(match dir {
                SortDir::Asc => e.clone().gt(values[i].clone()),
                SortDir::Desc => e.clone().lt(values[i].clone()),
            });
            after = after.add(step);
        }
        // The OR of steps alone is no index range: PostgreSQL and MariaDB would scan every
        // row before the cursor (page 1,000 cost 4× page 1). The redundant bound on the first
        // sort key lets the index seek to the cursor on every backend.
        let (first, dir) = &order[0];
        let bound = match dir {
            SortDir::Asc => first.clone().gte(values[0].clone()),
            SortDir::Desc => first.clone().lte(values[0].clone()),
        };
        select = select.filter(Condition::all().add(bound).add(after));
    }
    for (e, dir) in order {
        select = select.order_by(
            e,
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
    Ok(Page {
        data: rows,
        next_cursor,
        total,
    })
}
