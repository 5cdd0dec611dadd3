//! `holidays` → holidays of their tenant (`client_id`). A holiday here is one date; an old
//! holiday from `start_date` to `end_date` becomes one per date, the first keyed by the old
//! id and each later one by `id:date`, so a re-run finds every day (the summary counts days).
//! A date the organization already has a holiday on is reported, not inserted.

use super::NO_TENANT;
use super::projects::clip;
use super::{Ctx, ImportError, read, target_err, upsert};
use crate::report::Step;
use crate::rules;
use crate::source::{Row, Source};
use chrono::{Datelike, NaiveDate};
use crm_db::legacy::{LegacyTable, holiday_on};
use crm_hr::holidays::{Holiday, HolidayId, NAME_MAX};

pub(crate) const HOLIDAYS: Step = Step {
    source: "holidays",
    target: "holidays",
};

const COLUMNS: &[&str] = &[
    "id",
    "holiday_name",
    "start_date",
    "end_date",
    "client_id",
    "created_by",
    "createdAt",
    "updatedAt",
];

/// A holiday longer than this is a typing error, not days off.
const MAX_DAYS: i64 = 31;

/// The dates of a holiday, each with the legacy id it is kept under; `Err` when the range
/// cannot be a holiday.
pub(crate) fn days(
    legacy: &str,
    start: Option<NaiveDate>,
    end: Option<NaiveDate>,
) -> Result<Vec<(NaiveDate, String)>, String> {
    let start = start.ok_or("no start_date")?;
    let end = end.unwrap_or(start);
    let span = (end - start).num_days();
    if span < 0 {
        return Err(format!("end_date {end} is before start_date {start}"));
    }
    if span >= MAX_DAYS {
        return Err(format!(
            "{} days from {start} to {end}: more than {MAX_DAYS}",
            span + 1
        ));
    }
    Ok(start
        .iter_days()
        .take_while(|d| *d <= end)
        .map(|d| {
            let key = if d == start {
                legacy.to_string()
            } else {
                format!("{legacy}:{d}")
            };
            (d, key)
        })
        .collect())
}

fn row_days(row: &Row) -> Result<Vec<(NaiveDate, String)>, String> {
    days(
        row.id(),
        row.get("start_date").and_then(rules::source_date),
        row.get("end_date").and_then(rules::source_date),
    )
}

pub(crate) async fn import(source: &Source, ctx: &mut Ctx<'_>) -> Result<(), ImportError> {
    let rows = read(source, &mut ctx.report, "holidays", COLUMNS)
        .await?
        .map(|t| t.rows)
        .unwrap_or_default();
    ctx.report.step(HOLIDAYS);
    // The bar moves once per date written (or per row not imported).
    let steps: usize = rows
        .iter()
        .map(|r| match ctx.tenant_of(r) {
            None => 1,
            Some(_) => row_days(r).map_or(1, |d| d.len()),
        })
        .sum();
    ctx.progress.start(HOLIDAYS, steps as u64);
    for row in &rows {
        one(ctx, row).await?;
    }
    ctx.progress.finish();
    Ok(())
}

async fn one(ctx: &mut Ctx<'_>, row: &Row) -> Result<(), ImportError> {
    let legacy = row.id().to_string();
    let Some((_, tenant)) = ctx.tenant_of(row) else {
        ctx.skip(HOLIDAYS, &legacy, NO_TENANT);
        return Ok(());
    };
    let org = tenant.org;
    let dates = match row_days(row) {
        Ok(d) => d,
        Err(reason) => {
            ctx.skip(HOLIDAYS, &legacy, reason);
            return Ok(());
        }
    };
    let name = clip(row.get("holiday_name").unwrap_or(&legacy), NAME_MAX);
    let (created, updated) = ctx.stamps(row);
    let records = ctx.target.holidays.clone();
    for (date, key) in dates {
        let known = ctx.known(LegacyTable::Holidays, org, &key).is_some();
        if !known
            && holiday_on(&mut ctx.tx, org, date)
                .await
                .map_err(target_err("a holiday lookup"))?
        {
            ctx.report.note(
                HOLIDAYS.source,
                &legacy,
                format!("{date}: the organization already has a holiday that day; not imported"),
            );
            ctx.progress.advance();
            continue;
        }
        let build = |stored: Option<&Holiday>| match stored {
            Some(s) => Holiday {
                name: name.clone(),
                updated_at: updated,
                ..s.clone()
            },
            None => Holiday {
                id: HolidayId::new(),
                organization_id: org,
                date,
                name: name.clone(),
                year: date.year(),
                legacy_id: Some(key.clone()),
                created_at: created,
                updated_at: updated,
                version: 1,
            },
        };
        upsert(
            ctx,
            &records,
            LegacyTable::Holidays,
            HOLIDAYS,
            org,
            &key,
            updated,
            build,
        )
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_holiday_of_several_days_is_one_per_date() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
        let three = days("H1", d("2024-03-25"), d("2024-03-27")).unwrap();
        assert_eq!(
            three.iter().map(|(_, k)| k.as_str()).collect::<Vec<_>>(),
            ["H1", "H1:2024-03-26", "H1:2024-03-27"]
        );
        assert_eq!(days("H2", d("2024-01-26"), None).unwrap().len(), 1);
        assert!(days("H3", d("2024-03-27"), d("2024-03-25")).is_err());
        assert!(days("H4", d("2024-01-01"), d("2024-12-31")).is_err());
        assert!(days("H5", None, None).is_err());
    }
}
