//! `GET /reports/receivables` and `GET /reports/revenue`: aggregates computed by the store
//! (`GROUP BY` in SQL), never rows loaded into memory; the revenue series is summed per day
//! and currency in SQL and folded into its periods here (portable date arithmetic).

use crate::FinancePorts;
use crate::requirements::ReportsRead;
use async_trait::async_trait;
use chrono::{Datelike, Duration, NaiveDate};
use crm_domain::kernel::input::Errors;
use crm_domain::kernel::scope::require;
use crm_domain::kernel::values::date;
use crm_domain::{Actor, Currency, DomainError, OrganizationId, StoreError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `GET /reports/receivables` parameters.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
pub struct ReceivablesQuery {
    /// `YYYY-MM-DD`, today (the organization's) when absent: days past due are counted to
    /// it, and only invoices issued on or before it count.
    #[cfg_attr(feature = "openapi", param(format = Date))]
    pub as_of: Option<String>,
}

/// Balance due of issued invoices in one currency, by days past due.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgingRow {
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "USD"))]
    pub currency: Currency,
    /// Not yet due (due on or after `as_of`).
    pub current: i64,
    pub days_1_30: i64,
    pub days_31_60: i64,
    pub days_61_90: i64,
    pub days_over_90: i64,
    pub total: i64,
}

/// `GET /reports/receivables`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "as_of": "2026-06-30",
    "currencies": [
        {"currency": "EUR", "current": 0, "days_1_30": 0, "days_31_60": 40000, "days_61_90": 0, "days_over_90": 0, "total": 40000},
        {"currency": "USD", "current": 100000, "days_1_30": 200000, "days_31_60": 0, "days_61_90": 300000, "days_over_90": 250000, "total": 850000}
    ]
})))]
pub struct Receivables {
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub as_of: NaiveDate,
    /// One row per currency, by code.
    pub currencies: Vec<AgingRow>,
}

/// The bounds of the aging buckets: due on or after `as_of` is current; then 1–30, 31–60,
/// 61–90 days past due, and over 90.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AgingBounds {
    pub as_of: NaiveDate,
    pub minus_30: NaiveDate,
    pub minus_60: NaiveDate,
    pub minus_90: NaiveDate,
}

impl AgingBounds {
    pub fn new(as_of: NaiveDate) -> Self {
        Self {
            as_of,
            minus_30: as_of - Duration::days(30),
            minus_60: as_of - Duration::days(60),
            minus_90: as_of - Duration::days(90),
        }
    }
}

crm_domain::name_enum!(
    /// The periods of the revenue series.
    Interval, "interval" {
        Month => "month",
        Quarter => "quarter",
        Year => "year",
    }
);

impl Interval {
    /// `2026-03`, `2026-Q1`, `2026`.
    pub fn period_of(self, d: NaiveDate) -> String {
        match self {
            Self::Month => format!("{:04}-{:02}", d.year(), d.month()),
            Self::Quarter => format!("{:04}-Q{}", d.year(), (d.month() - 1) / 3 + 1),
            Self::Year => format!("{:04}", d.year()),
        }
    }
}

/// `GET /reports/revenue` parameters.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
pub struct RevenueQuery {
    /// `YYYY-MM-DD`, the first day counted; January 1 of `to`'s year when absent.
    #[cfg_attr(feature = "openapi", param(format = Date))]
    pub from: Option<String>,
    /// `YYYY-MM-DD`, the last day counted; today (the organization's) when absent.
    #[cfg_attr(feature = "openapi", param(format = Date))]
    pub to: Option<String>,
    /// `month` (default), `quarter` or `year` (read by the service, so a bad one is `422` on
    /// `interval`).
    #[cfg_attr(feature = "openapi", param(value_type = Option<Interval>))]
    pub interval: Option<String>,
}

/// One currency's amounts of one period.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RevenuePoint {
    /// `2026-03`, `2026-Q1` or `2026`.
    pub period: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "USD"))]
    pub currency: Currency,
    /// Totals of invoices issued (not void), by issue date.
    pub invoiced: i64,
    /// Totals of credit notes, by their date.
    pub credited: i64,
    /// Payments by their date, less refunds by theirs.
    pub collected: i64,
}

/// `GET /reports/revenue`: periods in order, currencies by code within each.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "series": [
        {"period": "2026-Q1", "currency": "USD", "invoiced": 470000, "credited": 0, "collected": 280000},
        {"period": "2026-Q2", "currency": "EUR", "invoiced": 50000, "credited": 10000, "collected": 0},
        {"period": "2026-Q2", "currency": "USD", "invoiced": 600000, "credited": 0, "collected": -20000}
    ]
})))]
pub struct Revenue {
    pub series: Vec<RevenuePoint>,
}

/// The amounts of one day and currency, as the store sums them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DayAmounts {
    pub day: NaiveDate,
    pub currency: Currency,
    pub invoiced: i64,
    pub credited: i64,
    pub collected: i64,
}

/// The finance aggregates, computed by the store.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ReportRepository: Send + Sync {
    /// The balance due of the issued invoices of `org` issued on or before `bounds.as_of`, by
    /// currency and aging bucket.
    async fn receivables(
        &self,
        org: OrganizationId,
        bounds: AgingBounds,
    ) -> Result<Vec<AgingRow>, StoreError>;

    /// Per day and currency from `from` to `to` (inclusive): issued totals by issue date,
    /// credit notes by date, payments less refunds by date. Days with nothing are left out.
    async fn revenue(
        &self,
        org: OrganizationId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<DayAmounts>, StoreError>;
}

/// Longest revenue range, in days (ten years of daily rows at most).
const MAX_RANGE_DAYS: i64 = 3660;

/// The receivables and revenue reports.
#[derive(Clone)]
pub struct ReportService {
    p: FinancePorts,
}

impl ReportService {
    pub fn new(ports: FinancePorts) -> Self {
        Self { p: ports }
    }

    /// Needs `reports:read`.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn receivables(
        &self,
        actor: &Actor,
        query: ReceivablesQuery,
    ) -> Result<Receivables, DomainError> {
        require::<ReportsRead>(actor)?;
        let org = actor.organization_id;
        let mut errors = Errors::new();
        let as_of = errors.value("as_of", query.as_of.as_deref().map(date).transpose());
        errors.finish()?;
        let as_of = match as_of {
            Some(d) => d,
            None => self.p.today(org).await?,
        };
        let mut currencies = self
            .p
            .reports
            .receivables(org, AgingBounds::new(as_of))
            .await?;
        currencies.sort_by(|a, b| a.currency.code().cmp(b.currency.code()));
        Ok(Receivables { as_of, currencies })
    }

    /// Needs `reports:read`. `422 to` when it comes before `from` or the range is longer
    /// than ten years.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn revenue(
        &self,
        actor: &Actor,
        query: RevenueQuery,
    ) -> Result<Revenue, DomainError> {
        require::<ReportsRead>(actor)?;
        let org = actor.organization_id;
        let mut errors = Errors::new();
        let from = errors.value("from", query.from.as_deref().map(date).transpose());
        let to = errors.value("to", query.to.as_deref().map(date).transpose());
        let interval = errors.value(
            "interval",
            query
                .interval
                .as_deref()
                .map(str::parse::<Interval>)
                .transpose(),
        );
        errors.finish()?;
        let to = match to {
            Some(d) => d,
            None => self.p.today(org).await?,
        };
        let from = from.unwrap_or_else(|| NaiveDate::from_ymd_opt(to.year(), 1, 1).unwrap_or(to));
        let mut errors = Errors::new();
        if to < from {
            errors.add("to", "out_of_range", "to must not be before from");
        } else if (to - from).num_days() > MAX_RANGE_DAYS {
            errors.add("to", "out_of_range", "the range is at most ten years");
        }
        errors.finish()?;
        let interval = interval.unwrap_or(Interval::Month);
        let days = self.p.reports.revenue(org, from, to).await?;
        Ok(fold(&days, interval))
    }
}

/// Sums day amounts into their periods: periods in order, currencies by code within each.
pub fn fold(days: &[DayAmounts], interval: Interval) -> Revenue {
    let mut by: BTreeMap<(String, String), RevenuePoint> = BTreeMap::new();
    for d in days {
        let period = interval.period_of(d.day);
        let e = by
            .entry((period.clone(), d.currency.code().to_string()))
            .or_insert_with(|| RevenuePoint {
                period,
                currency: d.currency,
                ..RevenuePoint::default()
            });
        e.invoiced += d.invoiced;
        e.credited += d.credited;
        e.collected += d.collected;
    }
    Revenue {
        series: by.into_values().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn periods_and_buckets() {
        assert_eq!(Interval::Month.period_of(d("2026-03-31")), "2026-03");
        assert_eq!(Interval::Quarter.period_of(d("2026-03-31")), "2026-Q1");
        assert_eq!(Interval::Quarter.period_of(d("2026-10-01")), "2026-Q4");
        assert_eq!(Interval::Year.period_of(d("2026-10-01")), "2026");
        let b = AgingBounds::new(d("2026-03-31"));
        assert_eq!(
            (b.minus_30, b.minus_60, b.minus_90),
            (d("2026-03-01"), d("2026-01-30"), d("2025-12-31"))
        );
    }

    #[test]
    fn days_fold_into_their_periods_by_currency() {
        let usd = Currency::parse("USD").unwrap();
        let eur = Currency::parse("EUR").unwrap();
        let day = |s: &str, currency, invoiced, credited, collected| DayAmounts {
            day: d(s),
            currency,
            invoiced,
            credited,
            collected,
        };
        let days = [
            day("2026-01-05", usd, 100, 0, 0),
            day("2026-02-10", usd, 50, 10, 30),
            day("2026-01-20", eur, 7, 0, 7),
            day("2026-04-01", usd, 0, 0, -5),
        ];
        let q = fold(&days, Interval::Quarter);
        let rows: Vec<(&str, &str, i64, i64, i64)> = q
            .series
            .iter()
            .map(|p| {
                (
                    p.period.as_str(),
                    p.currency.code(),
                    p.invoiced,
                    p.credited,
                    p.collected,
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                ("2026-Q1", "EUR", 7, 0, 7),
                ("2026-Q1", "USD", 150, 10, 30),
                ("2026-Q2", "USD", 0, 0, -5)
            ]
        );
        assert_eq!(fold(&days, Interval::Month).series.len(), 4);
    }
}
