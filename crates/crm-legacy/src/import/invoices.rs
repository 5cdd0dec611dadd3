//! `invoices` → issued (or void) invoices of their tenant with `number: null`: the old number
//! is kept as `legacy_number`, so the organization's `INV-` series starts at 0001. Totals are
//! recomputed from the lines with this server's arithmetic; a difference from the stored
//! total (a discount, whole-unit rounding) goes in the report.

use super::NO_TENANT;
use super::{Ctx, ImportError, read, target_err};
use crate::report::{Outcome, Step};
use crate::rules;
use crate::source::{Row, Source};
use chrono::NaiveDate;
use crm_db::legacy::LegacyTable;
use crm_domain::Currency;
use crm_domain::clients::ClientId;
use crm_finance::invoices::{
    DEFAULT_TERMS_DAYS, Invoice, InvoiceId, InvoiceRepository, InvoiceStatus, MAX_TERMS_DAYS,
    NewDraft,
};

pub(crate) const INVOICES: Step = Step {
    source: "invoices",
    target: "invoices",
};

const COLUMNS: &[&str] = &[
    "id",
    "invoiceNumber",
    "issueDate",
    "dueDate",
    "currency",
    "client",
    "project",
    "items",
    "discount",
    "total",
    "client_id",
    "created_by",
    "createdAt",
    "updatedAt",
];

/// Payment terms in days between the two dates, within what this server accepts.
pub(crate) fn terms_days(issue: Option<NaiveDate>, due: Option<NaiveDate>) -> i32 {
    match (issue, due) {
        (Some(i), Some(d)) => {
            let days = (d - i).num_days().clamp(0, i64::from(MAX_TERMS_DAYS));
            i32::try_from(days).unwrap_or(DEFAULT_TERMS_DAYS)
        }
        _ => DEFAULT_TERMS_DAYS,
    }
}

/// The status of an old invoice here: issued, unless the old row says it was cancelled.
pub(crate) fn invoice_status(raw: Option<&str>) -> InvoiceStatus {
    match raw.map(|s| s.trim().to_ascii_lowercase()).as_deref() {
        Some("void" | "voided" | "cancelled" | "canceled") => InvoiceStatus::Void,
        _ => InvoiceStatus::Issued,
    }
}

/// The lines of a row, priced; `Err` names the first line that cannot be read.
pub(crate) fn lines(row: &Row, currency: Currency) -> Result<rules::Priced, String> {
    let raw = row.get("items").or_else(|| row.get("products"));
    let value = match raw {
        Some(r) => rules::decode_json(r).ok_or("items is not JSON")?,
        None => serde_json::Value::Null,
    };
    let source = rules::json_list(&value, "items")
        .iter()
        .enumerate()
        .map(|(i, l)| rules::source_line(l, currency).map_err(|e| format!("items[{i}]: {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    rules::priced(&source)
}

pub(crate) async fn import(source: &Source, ctx: &mut Ctx<'_>) -> Result<(), ImportError> {
    let mut wanted = COLUMNS.to_vec();
    // Older tables have `products` instead of `items`, and some a `status`.
    let columns = source.columns("invoices").await?.unwrap_or_default();
    for extra in ["products", "status"] {
        if columns.contains(extra) {
            wanted.push(extra);
        }
    }
    let rows = read(source, &mut ctx.report, "invoices", &wanted)
        .await?
        .map(|t| t.rows)
        .unwrap_or_default();
    ctx.report.step(INVOICES);
    ctx.progress.start(INVOICES, rows.len() as u64);
    for row in &rows {
        one(ctx, row).await?;
    }
    ctx.progress.finish();
    Ok(())
}

async fn one(ctx: &mut Ctx<'_>, row: &Row) -> Result<(), ImportError> {
    let legacy = row.id().to_string();
    let Some((_, tenant)) = ctx.tenant_of(row) else {
        ctx.skip(INVOICES, &legacy, NO_TENANT);
        return Ok(());
    };
    let org = tenant.org;
    let Some(client) = row
        .get("client")
        .and_then(|c| ctx.known(LegacyTable::Clients, org, c))
        .map(ClientId)
    else {
        let reason = match row.get("client") {
            Some(c) => format!("client {c} was not imported (missing, or of another tenant)"),
            None => "no client".to_string(),
        };
        ctx.skip(INVOICES, &legacy, reason);
        return Ok(());
    };
    let currency = ctx.currency_or_default(INVOICES.source, &legacy, row.get("currency"))?;
    let (items, totals) = match lines(row, currency) {
        Ok(l) => l,
        Err(reason) => {
            ctx.skip(INVOICES, &legacy, reason);
            return Ok(());
        }
    };
    if let Some(stored) = row
        .get("total")
        .and_then(|t| rules::minor_units(t, currency))
        && let Some(mut reason) = rules::total_difference(stored, totals.2, currency)
    {
        if let Some(d) = row.get("discount").filter(|d| *d != "0") {
            reason.push_str(&format!(" (the old invoice had a discount of {d})"));
        }
        ctx.report.note(INVOICES.source, &legacy, reason);
    }
    let (created, updated) = ctx.stamps(row);
    let issue_date = row
        .get("issueDate")
        .and_then(rules::source_date)
        .or_else(|| row.get("createdAt").and_then(rules::source_date));
    let due_date = row.get("dueDate").and_then(rules::source_date);
    let status = invoice_status(row.get("status"));
    let legacy_number = row.get("invoiceNumber").map(str::to_string);
    let created_by = ctx
        .user_in(org, row.get("created_by"))
        .unwrap_or(tenant.owner);
    let payment_terms_days = terms_days(issue_date, due_date);
    let project_id = ctx.projects.resolve(
        &mut ctx.report,
        INVOICES.source,
        &legacy,
        "project",
        org,
        row.get("project"),
    );
    let what = || format!("invoices {legacy}");
    match ctx.known(LegacyTable::Invoices, org, &legacy) {
        Some(id) => {
            let stored = ctx
                .target
                .invoices
                .get_for_update(&mut ctx.tx, org, InvoiceId(id))
                .await
                .map_err(target_err(what()))?;
            if stored.items != items {
                ctx.report.note(INVOICES.source, &legacy, "the lines changed in the source: an issued invoice keeps the lines it was imported with");
            }
            let next = Invoice {
                client_id: client,
                issue_date,
                due_date,
                payment_terms_days,
                // An invoice voided here stays void.
                status: if stored.status == InvoiceStatus::Void {
                    stored.status
                } else {
                    status
                },
                legacy_number,
                project_id: project_id.or(stored.project_id),
                updated_at: updated,
                ..stored.clone()
            }
            .with_balance(stored.amount_paid, stored.amount_credited);
            if next == stored {
                ctx.done(INVOICES, Outcome::Unchanged);
                return Ok(());
            }
            let next = Invoice {
                version: stored.version + 1,
                ..next
            };
            ctx.target
                .invoices
                .update(&mut ctx.tx, &next, stored.version)
                .await
                .map_err(target_err(what()))?;
            ctx.done(INVOICES, Outcome::Updated);
        }
        None => {
            let invoice = Invoice {
                status,
                issue_date,
                due_date,
                issued_at: Some(created),
                legacy_id: Some(legacy.clone()),
                legacy_number,
                project_id,
                updated_at: updated,
                ..Invoice::draft(NewDraft {
                    organization_id: org,
                    client_id: client,
                    currency,
                    items,
                    totals,
                    payment_terms_days,
                    created_by,
                    now: created,
                })
            }
            .with_balance(0, 0);
            ctx.target
                .invoices
                .create(&mut ctx.tx, &invoice)
                .await
                .map_err(target_err(what()))?;
            ctx.remember(LegacyTable::Invoices, org, &legacy, invoice.id.0);
            ctx.done(INVOICES, Outcome::Created);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_are_the_days_between_issue_and_due_within_bounds() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
        assert_eq!(terms_days(d("2024-01-01"), d("2024-01-31")), 30);
        assert_eq!(terms_days(d("2024-01-31"), d("2024-01-01")), 0);
        assert_eq!(terms_days(d("2000-01-01"), d("2024-01-01")), MAX_TERMS_DAYS);
        assert_eq!(terms_days(None, d("2024-01-01")), DEFAULT_TERMS_DAYS);
        assert_eq!(invoice_status(Some("Cancelled")), InvoiceStatus::Void);
        assert_eq!(invoice_status(None), InvoiceStatus::Issued);
    }
}
