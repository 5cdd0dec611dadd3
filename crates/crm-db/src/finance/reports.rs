//! The finance aggregates: `GROUP BY` queries over invoices, credit notes, payments and
//! refunds. Bucket bounds and periods are computed by the caller, so the SQL compares dates
//! and never does date arithmetic (which every backend spells differently).

use super::credit_notes::entity as credit_note;
use super::invoices::entity as invoice;
use super::payments::{entity as payment, refund};
use crate::error::store_err;
use crate::sales::{currency, get, sum_i64};
use async_trait::async_trait;
use chrono::NaiveDate;
use crm_domain::{Currency, OrganizationId, StoreError};
use crm_finance::invoices::InvoiceStatus;
use crm_finance::reports::{AgingBounds, AgingRow, DayAmounts, ReportRepository};
use sea_orm::sea_query::{Condition, Expr, ExprTrait, IntoColumnRef, Query, SelectStatement};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection};
use std::collections::BTreeMap;

#[derive(Clone)]
pub struct SqlReportRepository {
    db: DatabaseConnection,
}

impl SqlReportRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

/// `SUM(CASE WHEN cond THEN balance_due ELSE 0 END)` as a 64-bit integer.
fn bucket(backend: sea_orm::DbBackend, cond: Condition) -> Expr {
    let due = Expr::case(cond, Expr::col(invoice::Column::BalanceDue)).finally(0);
    sum_i64(backend, due.into())
}

/// `day, currency, SUM(amount)` of `table` in `org` between `from` and `to`, by day and
/// currency.
fn daily(
    table: impl sea_orm::sea_query::IntoTableRef,
    day: impl IntoColumnRef + Clone,
    currency: impl IntoColumnRef + Clone,
    amount: impl IntoColumnRef,
    backend: sea_orm::DbBackend,
    filter: Condition,
) -> SelectStatement {
    Query::select()
        .expr_as(Expr::col(day.clone()), "day")
        .expr_as(Expr::col(currency.clone()), "currency")
        .expr_as(sum_i64(backend, Expr::col(amount)), "amount")
        .from(table)
        .cond_where(filter)
        .group_by_col(day)
        .group_by_col(currency)
        .to_owned()
}

#[async_trait]
impl ReportRepository for SqlReportRepository {
    async fn receivables(
        &self,
        org: OrganizationId,
        b: AgingBounds,
    ) -> Result<Vec<AgingRow>, StoreError> {
        let backend = self.db.get_database_backend();
        let due = invoice::Column::DueDate;
        let q = Query::select()
            .column(invoice::Column::Currency)
            .expr_as(
                bucket(backend, Condition::all().add(due.gte(b.as_of))),
                "current",
            )
            .expr_as(
                bucket(
                    backend,
                    Condition::all()
                        .add(due.lt(b.as_of))
                        .add(due.gte(b.minus_30)),
                ),
                "days_1_30",
            )
            .expr_as(
                bucket(
                    backend,
                    Condition::all()
                        .add(due.lt(b.minus_30))
                        .add(due.gte(b.minus_60)),
                ),
                "days_31_60",
            )
            .expr_as(
                bucket(
                    backend,
                    Condition::all()
                        .add(due.lt(b.minus_60))
                        .add(due.gte(b.minus_90)),
                ),
                "days_61_90",
            )
            .expr_as(
                bucket(backend, Condition::all().add(due.lt(b.minus_90))),
                "days_over_90",
            )
            .expr_as(
                sum_i64(backend, Expr::col(invoice::Column::BalanceDue)),
                "total",
            )
            .from(invoice::Entity)
            .cond_where(
                Condition::all()
                    .add(invoice::Column::OrganizationId.eq(org.0))
                    .add(invoice::Column::Status.eq(InvoiceStatus::Issued.as_str()))
                    .add(invoice::Column::BalanceDue.gt(0))
                    .add(invoice::Column::IssueDate.lte(b.as_of)),
            )
            .group_by_col(invoice::Column::Currency)
            .to_owned();
        let rows = self.db.query_all(&q).await.map_err(store_err)?;
        rows.iter()
            .map(|r| {
                let code: String = get(r, "currency")?;
                Ok(AgingRow {
                    currency: currency(&code, "invoices", "receivables")?,
                    current: get(r, "current")?,
                    days_1_30: get(r, "days_1_30")?,
                    days_31_60: get(r, "days_31_60")?,
                    days_61_90: get(r, "days_61_90")?,
                    days_over_90: get(r, "days_over_90")?,
                    total: get(r, "total")?,
                })
            })
            .collect()
    }

    async fn revenue(
        &self,
        org: OrganizationId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<DayAmounts>, StoreError> {
        let backend = self.db.get_database_backend();
        let invoiced = daily(
            invoice::Entity,
            invoice::Column::IssueDate,
            invoice::Column::Currency,
            invoice::Column::Total,
            backend,
            Condition::all()
                .add(invoice::Column::OrganizationId.eq(org.0))
                .add(invoice::Column::Status.eq(InvoiceStatus::Issued.as_str()))
                .add(invoice::Column::IssueDate.between(from, to)),
        );
        let credited = daily(
            credit_note::Entity,
            credit_note::Column::IssueDate,
            credit_note::Column::Currency,
            credit_note::Column::Total,
            backend,
            Condition::all()
                .add(credit_note::Column::OrganizationId.eq(org.0))
                .add(credit_note::Column::IssueDate.between(from, to)),
        );
        let received = daily(
            payment::Entity,
            payment::Column::ReceivedOn,
            payment::Column::Currency,
            payment::Column::Amount,
            backend,
            Condition::all()
                .add(payment::Column::OrganizationId.eq(org.0))
                .add(payment::Column::ReceivedOn.between(from, to)),
        );
        // A refund is in its payment's currency.
        let mut refunded = daily(
            refund::Entity,
            (refund::Entity, refund::Column::RefundedOn),
            (payment::Entity, payment::Column::Currency),
            (refund::Entity, refund::Column::Amount),
            backend,
            Condition::all()
                .add(Expr::col((refund::Entity, refund::Column::OrganizationId)).eq(org.0))
                .add(Expr::col((refund::Entity, refund::Column::RefundedOn)).between(from, to)),
        );
        refunded.inner_join(
            payment::Entity,
            Expr::col((payment::Entity, payment::Column::Id))
                .equals((refund::Entity, refund::Column::PaymentId)),
        );
        let mut days: BTreeMap<(NaiveDate, String), DayAmounts> = BTreeMap::new();
        for (q, slot) in [(invoiced, 0), (credited, 1), (received, 2), (refunded, 3)] {
            for r in self.db.query_all(&q).await.map_err(store_err)? {
                let day: NaiveDate = get(&r, "day")?;
                let code: String = get(&r, "currency")?;
                let amount: i64 = get(&r, "amount")?;
                let c: Currency = currency(&code, "revenue", day)?;
                let e = days.entry((day, code)).or_insert_with(|| DayAmounts {
                    day,
                    currency: c,
                    invoiced: 0,
                    credited: 0,
                    collected: 0,
                });
                match slot {
                    0 => e.invoiced += amount,
                    1 => e.credited += amount,
                    2 => e.collected += amount,
                    _ => e.collected -= amount,
                }
            }
        }
        Ok(days.into_values().collect())
    }
}
