//! Keyset ("seek") pagination, filters and text search for every list, from the domain's
//! validated `ListQuery`.
//!
//! The next page starts strictly after the last row's (sort values…, id), so page 1,000 costs
//! what page 1 costs and rows inserted meanwhile are neither skipped nor repeated.
//!
//! A field named in a list spec is the entity column of the same (snake_case) name
//! (`Column: FromStr`), and a row's cursor value is read back with `ModelTrait::get`, so a
//! repository names only its search columns (and, rarely, a [`Computed`] sort).
//!
//! Nullable sort fields (`FieldSpec::nullable` / `nulls_last`) order NULL as one more value, the
//! lowest or the highest: the cursor stores NULL itself, and the seek condition is written per
//! cursor value (`col IS NULL`, `col > v OR col IS NULL`, …) rather than over a
//! `COALESCE(col, sentinel)`, which no index serves and which collides with a real sentinel
//! value. NULL lowest is the native index order of MySQL/MariaDB and SQLite; ORDER BY states
//! `NULLS FIRST/LAST` only where it differs from the native order, and always on PostgreSQL,
//! whose nullable-column list indexes are declared `NULLS FIRST` (migration `sort_indexes`).

use crate::error::store_err;
use crm_domain::StoreError;
use crm_domain::kernel::pagination::{FieldValue, FilterOp, ListQuery, Nulls, Page, SortDir};
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr, NullOrdering};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, ModelTrait, Order,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Select, Value,
};
use std::str::FromStr;

/// A sort field that is not a plain column (e.g. a status as read on a date): the expression it
/// orders by and, for the next cursor, the same value computed from a row.
pub struct Computed<'a, E: EntityTrait> {
    pub field: &'static str,
    pub expr: Expr,
    pub key: &'a (dyn Fn(&E::Model) -> FieldValue + Sync),
}

/// What a list needs beyond its spec: the columns `q` searches and any computed sort.
pub struct ListColumns<'a, E: EntityTrait> {
    /// Columns `q` searches, case-insensitively.
    pub search: &'a [E::Column],
    pub computed: &'a [Computed<'a, E>],
}

impl<'a, E: EntityTrait> ListColumns<'a, E> {
    pub const fn search(search: &'a [E::Column]) -> Self {
        Self {
            search,
            computed: &[],
        }
    }
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

/// The cursor value of a column value as read from a row; the inverse of [`to_value`] for
/// every column type lists sort by.
pub fn from_value(v: Value) -> Result<FieldValue, StoreError> {
    if v == v.as_null() {
        return Ok(FieldValue::Null);
    }
    Ok(match v {
        Value::Bool(Some(b)) => FieldValue::Bool(b),
        Value::TinyInt(Some(i)) => FieldValue::Integer(i.into()),
        Value::SmallInt(Some(i)) => FieldValue::Integer(i.into()),
        Value::Int(Some(i)) => FieldValue::Integer(i.into()),
        Value::BigInt(Some(i)) => FieldValue::Integer(i),
        Value::TinyUnsigned(Some(i)) => FieldValue::Integer(i.into()),
        Value::SmallUnsigned(Some(i)) => FieldValue::Integer(i.into()),
        Value::Unsigned(Some(i)) => FieldValue::Integer(i.into()),
        Value::String(Some(s)) => FieldValue::Text(s),
        Value::Uuid(Some(u)) => FieldValue::Uuid(u),
        Value::ChronoDate(Some(d)) => FieldValue::Date(d),
        Value::ChronoDateTimeUtc(Some(t)) => FieldValue::Timestamp(t),
        other => {
            return Err(StoreError::Unexpected(format!(
                "a list cannot sort by a value like {other:?}"
            )));
        }
    })
}

/// The column of a list field: the entity column of that name.
fn column<E: EntityTrait>(field: &str) -> Result<E::Column, StoreError> {
    E::Column::from_str(field).map_err(|_| unknown(field))
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
        let c = column::<E>(f.field)?;
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

/// One key of the order: what it orders by, its direction and where NULL goes.
struct SortExpr {
    expr: Expr,
    dir: SortDir,
    nulls: Option<Nulls>,
}

impl SortExpr {
    /// Whether NULL comes after every value in this key's direction.
    fn null_at_end(&self) -> bool {
        match self.nulls {
            None => false,
            Some(n) => (self.dir == SortDir::Asc) == (n == Nulls::Last),
        }
    }

    /// Rows whose key equals `v`.
    fn eq(&self, v: &FieldValue) -> Expr {
        match v {
            FieldValue::Null => self.expr.clone().is_null(),
            v => self.expr.clone().eq(to_value(v)),
        }
    }

    /// Rows strictly after `v` in this key's order; `None` when no row can be.
    fn after(&self, v: &FieldValue) -> Option<Condition> {
        let e = &self.expr;
        match v {
            FieldValue::Null if self.null_at_end() => None,
            FieldValue::Null => Some(Condition::all().add(e.clone().is_not_null())),
            v => {
                let past = match self.dir {
                    SortDir::Asc => e.clone().gt(to_value(v)),
                    SortDir::Desc => e.clone().lt(to_value(v)),
                };
                Some(self.or_null(past))
            }
        }
    }

    /// Rows at or after `v`: the bound that lets an index seek to the cursor. `None` when
    /// every row is (the cursor is at the start of the order).
    fn from(&self, v: &FieldValue) -> Option<Condition> {
        let e = &self.expr;
        match v {
            FieldValue::Null if self.null_at_end() => {
                Some(Condition::all().add(e.clone().is_null()))
            }
            FieldValue::Null => None,
            v => Some(self.or_null(self.within(v))),
        }
    }

    /// Non-NULL rows at or after the non-NULL `v`.
    fn within(&self, v: &FieldValue) -> Expr {
        match self.dir {
            SortDir::Asc => self.expr.clone().gte(to_value(v)),
            SortDir::Desc => self.expr.clone().lte(to_value(v)),
        }
    }

    /// `cond`, plus the NULL rows when they come after every value.
    fn or_null(&self, cond: Expr) -> Condition {
        if self.null_at_end() {
            Condition::any().add(cond).add(self.expr.clone().is_null())
        } else {
            Condition::all().add(cond)
        }
    }

    /// The NULL placement to state in ORDER BY, if any: only where it differs from the
    /// backend's native order (NULL lowest on MySQL/MariaDB and SQLite), and always on
    /// PostgreSQL (NULL highest natively, but its list indexes are `NULLS FIRST`), so the
    /// order is the same everywhere and an index on the column serves it.
    fn null_ordering(&self, backend: DbBackend) -> Option<NullOrdering> {
        self.nulls?;
        let wanted = if self.null_at_end() {
            NullOrdering::Last
        } else {
            NullOrdering::First
        };
        let native_first = self.dir == SortDir::Asc;
        let differs = matches!(wanted, NullOrdering::First) != native_first;
        (backend == DbBackend::Postgres || differs).then_some(wanted)
    }
}

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
    C: ConnectionTrait + 'static,
{
    match crate::replica::for_list(db) {
        Some(replica) => page_on(&replica, base, q, cols).await,
        None => page_on(db, base, q, cols).await,
    }
}

async fn page_on<E, C>(
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
    let filtered = base.filter(filter_condition(q, cols)?);
    let total = if q.count {
        Some(filtered.clone().count(db).await.map_err(store_err)?)
    } else {
        None
    };

    let mut order: Vec<SortExpr> = Vec::with_capacity(q.sort.len() + 1);
    for k in &q.sort {
        let expr = match cols.computed.iter().find(|c| c.field == k.field) {
            Some(c) => c.expr.clone(),
            None => Expr::col((E::default(), column::<E>(k.field)?)),
        };
        order.push(SortExpr {
            expr,
            dir: k.dir,
            nulls: k.nulls,
        });
    }
    let id = column::<E>("id")?;
    order.push(SortExpr {
        expr: Expr::col((E::default(), id)),
        dir: q.tie_break_dir(),
        nulls: None,
    });

    let backend = db.get_database_backend();
    let sorted = |mut select: Select<E>| {
        for key in &order {
            let dir = match key.dir {
                SortDir::Asc => Order::Asc,
                SortDir::Desc => Order::Desc,
            };
            select = match key.null_ordering(backend) {
                Some(nulls) => select.order_by_with_nulls(key.expr.clone(), dir, nulls),
                None => select.order_by(key.expr.clone(), dir),
            };
        }
        select
    };
    let limit = u64::from(q.limit.get());
    let Some(cursor) = &q.cursor else {
        let rows = sorted(filtered)
            .limit(limit + 1)
            .all(db)
            .await
            .map_err(store_err)?;
        return finish(q, cols, rows, limit, id, total);
    };

    let mut values: Vec<FieldValue> = cursor.keys.clone();
    values.push(FieldValue::Uuid(cursor.id));
    // Rows after the cursor: equal on the first i keys and after it on key i, for some i.
    let mut after = Condition::any();
    for (i, key) in order.iter().enumerate() {
        let Some(past) = key.after(&values[i]) else {
            continue;
        };
        let mut step = Condition::all();
        for (k, v) in order.iter().zip(&values).take(i) {
            step = step.add(k.eq(v));
        }
        after = after.add(step.add(past));
    }
    // The OR of steps alone is no index range: PostgreSQL and MariaDB would scan every row
    // before the cursor (page 1,000 cost 4× page 1). The redundant bound on the first sort key
    // lets the index seek to the cursor on every backend.
    let first = &order[0];
    if first.null_at_end() && values[0] != FieldValue::Null {
        // `key <= v OR key IS NULL` is two ranges, which PostgreSQL cannot seek in one ordered
        // index scan: read the values up to the end of the non-NULL range, then the NULLs.
        let mut rows = sorted(
            filtered
                .clone()
                .filter(first.within(&values[0]))
                .filter(after.clone()),
        )
        .limit(limit + 1)
        .all(db)
        .await
        .map_err(store_err)?;
        let missing = limit + 1 - rows.len() as u64;
        if missing > 0 {
            let nulls = sorted(filtered.filter(first.expr.clone().is_null()).filter(after))
                .limit(missing)
                .all(db)
                .await
                .map_err(store_err)?;
            rows.extend(nulls);
        }
        return finish(q, cols, rows, limit, id, total);
    }
    let mut cond = Condition::all();
    if let Some(bound) = first.from(&values[0]) {
        cond = cond.add(bound);
    }
    let rows = sorted(filtered.filter(cond.add(after)))
        .limit(limit + 1)
        .all(db)
        .await
        .map_err(store_err)?;
    finish(q, cols, rows, limit, id, total)
}

/// The page of `rows` (at most `limit + 1`, the extra one telling that a next page exists).
fn finish<E: EntityTrait>(
    q: &ListQuery,
    cols: &ListColumns<'_, E>,
    mut rows: Vec<E::Model>,
    limit: u64,
    id: E::Column,
    total: Option<u64>,
) -> Result<Page<E::Model>, StoreError> {
    let next_cursor = if rows.len() as u64 > limit {
        rows.truncate(limit as usize);
        match rows.last() {
            Some(last) => {
                let mut keys = Vec::with_capacity(q.sort.len());
                for k in &q.sort {
                    keys.push(match cols.computed.iter().find(|c| c.field == k.field) {
                        Some(c) => (c.key)(last),
                        None => from_value(last.get(column::<E>(k.field)?))?,
                    });
                }
                let FieldValue::Uuid(last_id) = from_value(last.get(id))? else {
                    return Err(StoreError::Unexpected("a list row's id is no UUID".into()));
                };
                Some(q.cursor_after(keys, last_id))
            }
            None => None,
        }
    } else {
        None
    };
    Ok(Page {
        data: rows,
        next_cursor,
        total,
    })
}

/// One page of `base` under `q`, as domain values.
pub async fn page_as<E, T, C>(
    db: &C,
    base: Select<E>,
    q: &ListQuery,
    cols: &ListColumns<'_, E>,
) -> Result<Page<T>, StoreError>
where
    E: EntityTrait,
    E::Model: Sync,
    T: TryFrom<E::Model, Error = StoreError>,
    C: ConnectionTrait + 'static,
{
    let page = page(db, base, q, cols).await?;
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
