//! `quotations` and `sales_quotations` → quotations of their tenant (`client_id` when the
//! row has one, else its creator's, else its client's organization).
//!
//! - Client: the row's `client` (`customer` in `sales_quotations`), else its `related_id`
//!   when that names an imported client, else the client of the deal `related_id` names,
//!   else the client the lead (`lead` or `related_id`) was converted into here. A quotation
//!   here needs a client: without one the row is skipped, with the reason.
//! - Deal: the deal `related_id` names, when it was imported into the same organization and
//!   is of the same client (else left empty, reported).
//! - Lines: read as the invoices step reads them (`invoices::lines`: an array, an object
//!   keyed by row, or either stored as a JSON-encoded string) and priced with this server's
//!   arithmetic; a difference from the stored `total` (a discount, whole-unit rounding) goes
//!   in the report. A quotation without a line is skipped (one here has at least one).
//! - Number: a quotation's `number` cannot be empty here (the model, the table and the
//!   contract say it is always set, and a unique key per organization holds it), so there
//!   is no room for the historic invoices' `number: null` + `legacy_number`. The old number
//!   (`QUO#12`) is kept as the `number`, as the contracts step keeps `CON#12`: the
//!   organization's `Q-YYYY-NNNN` counter is not touched, so the first quotation made here
//!   is `Q-<year>-0001`, and `q` finds an old quotation by its old number. Both old tables
//!   number `QUO#<n>`: a number already taken in the organization gets `/2`, `/3`, …
//!   (reported). A number is never changed by a later run.
//! - Status: the old tables have none. An imported quotation is `sent` (it was given to the
//!   client), so it reads `expired` once `valid_until` has passed, as a sent quotation made
//!   here does; `expired` is read, never stored. A status reached here (accepted, rejected)
//!   is kept by a later run, and so are the lines of a quotation no longer `sent`.
//! - Dates: `issue_date` is `issueDate` (`sales_quotations`) or the day it was created;
//!   `valid_until` is `valid_till`, or 30 days after the issue date (`sales_quotations` has
//!   no validity), never before the issue date. `sales_quotations` has no currency: INR.

use super::{Ctx, ImportError, Tenant, read, target_err};
use crate::report::{Outcome, Step};
use crate::rules;
use crate::source::{Row, Source};
use chrono::{Duration, NaiveDate};
use crm_db::legacy::LegacyTable;
use crm_domain::OrganizationId;
use crm_domain::clients::ClientId;
use crm_domain::kernel::records::Records;
use crm_sales::deals::DealId;
use crm_sales::leads::LeadId;
use crm_sales::quotations::{Quotation, QuotationId, QuotationRepository, QuotationStatus};

pub(crate) const QUOTATIONS: Step = Step {
    source: "quotations",
    target: "quotations",
};

pub(crate) const SALES_QUOTATIONS: Step = Step {
    source: "sales_quotations",
    target: "quotations",
};

const QUOTATION_COLUMNS: &[&str] = &[
    "id",
    "quotationNumber",
    "related_id",
    "valid_till",
    "currency",
    "lead",
    "client",
    "items",
    "discount",
    "total",
    "created_by",
    "createdAt",
    "updatedAt",
];

const SALES_COLUMNS: &[&str] = &[
    "id",
    "salesQuotationNumber",
    "related_id",
    "customer",
    "issueDate",
    "items",
    "discount",
    "total",
    "client_id",
    "created_by",
    "createdAt",
    "updatedAt",
];

/// The length of a stored number.
const NUMBER_MAX: usize = 32;
/// An old number's longest kept part (room for a `/2` after it).
const BASE_MAX: usize = NUMBER_MAX - 4;
/// `valid_until` of a quotation that names none: this many days after its issue date (the
/// quotation module's default).
const VALIDITY_DAYS: i64 = 30;

/// How the two old tables differ.
#[derive(Clone, Copy)]
struct Shape {
    step: Step,
    number: &'static str,
    client: &'static str,
    issue: Option<&'static str>,
    valid: Option<&'static str>,
}

const SHAPES: [Shape; 2] = [
    Shape {
        step: QUOTATIONS,
        number: "quotationNumber",
        client: "client",
        issue: None,
        valid: Some("valid_till"),
    },
    Shape {
        step: SALES_QUOTATIONS,
        number: "salesQuotationNumber",
        client: "customer",
        issue: Some("issueDate"),
        valid: None,
    },
];

/// `issue_date` and `valid_until`: the validity defaults to 30 days and never ends before the
/// issue date; the note says when the old one did.
pub(crate) fn validity(issue: NaiveDate, valid: Option<NaiveDate>) -> (NaiveDate, Option<String>) {
    match valid {
        None => (issue + Duration::days(VALIDITY_DAYS), None),
        Some(v) if v < issue => (
            issue,
            Some(format!(
                "valid_till {v} is before the issue date {issue}: valid until {issue}"
            )),
        ),
        Some(v) => (v, None),
    }
}

pub(crate) async fn import(source: &Source, ctx: &mut Ctx<'_>) -> Result<(), ImportError> {
    let client_ids = ctx.by_legacy_id(LegacyTable::Clients);
    let lead_ids = ctx.by_legacy_id(LegacyTable::Leads);
    let mut tables = Vec::new();
    for (shape, columns) in SHAPES.iter().zip([QUOTATION_COLUMNS, SALES_COLUMNS]) {
        let rows = read(source, &mut ctx.report, shape.step.source, columns)
            .await?
            .map(|t| t.rows)
            .unwrap_or_default();
        tables.push((*shape, rows));
    }
    for (shape, rows) in &tables {
        ctx.report.step(shape.step);
        ctx.progress.start(shape.step, rows.len() as u64);
        if shape.step.source == SALES_QUOTATIONS.source && !rows.is_empty() {
            ctx.report.note(
                SALES_QUOTATIONS.source,
                "",
                "the table has no currency column: INR assumed",
            );
        }
        for row in rows {
            let tenant = ctx.tenant_or_by(
                row,
                &[
                    (&client_ids, row.get(shape.client)),
                    (&client_ids, row.get("related_id")),
                    (&lead_ids, row.get("lead")),
                ],
            );
            let Some(tenant) = tenant else {
                ctx.skip(
                    shape.step,
                    row.id(),
                    "no tenant: neither client_id, its creator nor its client is of an imported tenant",
                );
                continue;
            };
            one(ctx, *shape, row, tenant).await?;
        }
        ctx.progress.finish();
    }
    Ok(())
}

/// The client and deal of a quotation row in `org`; `Err` is why there is no client.
async fn client_and_deal(
    ctx: &mut Ctx<'_>,
    org: OrganizationId,
    client_raw: Option<&str>,
    related: Option<&str>,
    lead_raw: Option<&str>,
    notes: &mut Vec<String>,
) -> Result<Result<(ClientId, Option<DealId>), String>, ImportError> {
    let named = [client_raw, related]
        .into_iter()
        .flatten()
        .find_map(|c| ctx.known(LegacyTable::Clients, org, c))
        .map(ClientId);
    let deal = match related.and_then(|r| ctx.known(LegacyTable::Deals, org, r)) {
        Some(id) => {
            let records = ctx.target.deals.clone();
            Some(
                records
                    .get_for_update(&mut ctx.tx, org, DealId(id))
                    .await
                    .map_err(target_err("a deal of a quotation"))?,
            )
        }
        None => None,
    };
    let mut client = named.or_else(|| deal.as_ref().and_then(|d| d.client_id));
    if client.is_none() {
        let lead = [lead_raw, related]
            .into_iter()
            .flatten()
            .find_map(|l| ctx.known(LegacyTable::Leads, org, l));
        if let Some(id) = lead {
            let records = ctx.target.leads.clone();
            let lead = records
                .get_for_update(&mut ctx.tx, org, LeadId(id))
                .await
                .map_err(target_err("a lead of a quotation"))?;
            client = lead.converted_client_id;
            if client.is_none() {
                return Ok(Err(format!(
                    "no client: its lead {} has not been converted into a client",
                    lead_raw.or(related).unwrap_or("")
                )));
            }
        }
    }
    let Some(client) = client else {
        let reason = match client_raw.or(related) {
            Some(c) => format!(
                "no client: {c} names no imported client, deal or lead of the tenant (missing, or of another tenant)"
            ),
            None => "no client".to_string(),
        };
        return Ok(Err(reason));
    };
    let deal_id = match deal {
        Some(d) if d.client_id.is_none_or(|c| c == client) => Some(d.id),
        Some(d) => {
            notes.push(format!(
                "deal {} is of another client: left without a deal",
                d.legacy_id.as_deref().unwrap_or("")
            ));
            None
        }
        None => None,
    };
    Ok(Ok((client, deal_id)))
}

async fn one(
    ctx: &mut Ctx<'_>,
    shape: Shape,
    row: &Row,
    tenant: Tenant,
) -> Result<(), ImportError> {
    let step = shape.step;
    let legacy = row.id().to_string();
    let org = tenant.org;
    let mut notes = Vec::new();
    let (client, deal_id) = match client_and_deal(
        ctx,
        org,
        row.get(shape.client),
        row.get("related_id"),
        row.get("lead"),
        &mut notes,
    )
    .await?
    {
        Ok(c) => c,
        Err(reason) => {
            ctx.skip(step, &legacy, reason);
            return Ok(());
        }
    };
    // `sales_quotations` has no currency column (said once for the table).
    let currency = if row.get("currency").is_some() {
        ctx.currency_or_default(step.source, &legacy, row.get("currency"))?
    } else {
        super::default_currency()?
    };
    let (items, (subtotal, tax_total, total)) = match super::invoices::lines(row, currency) {
        Ok((items, _)) if items.is_empty() => {
            ctx.skip(step, &legacy, "no lines: a quotation here has at least one");
            return Ok(());
        }
        Ok(l) => l,
        Err(reason) => {
            ctx.skip(step, &legacy, reason);
            return Ok(());
        }
    };
    if let Some(stored) = row
        .get("total")
        .and_then(|t| rules::minor_units(t, currency))
        && let Some(mut reason) = rules::total_difference(stored, total, currency)
    {
        if let Some(d) = row.get("discount").filter(|d| *d != "0") {
            reason.push_str(&format!(" (the old quotation had a discount of {d})"));
        }
        notes.push(reason);
    }
    let (created, updated) = ctx.stamps(row);
    let issue_date = shape
        .issue
        .and_then(|c| row.get(c))
        .and_then(rules::source_date)
        .unwrap_or_else(|| created.date_naive());
    let (valid_until, note) = validity(
        issue_date,
        shape
            .valid
            .and_then(|c| row.get(c))
            .and_then(rules::source_date),
    );
    notes.extend(note);
    let owner = ctx
        .user_in(org, row.get("created_by"))
        .unwrap_or(tenant.owner);
    let what = || format!("{} {legacy}", step.source);
    match ctx.known(LegacyTable::Quotations, org, &legacy) {
        Some(id) => {
            let stored = ctx
                .target
                .quotations
                .get_for_update(&mut ctx.tx, org, QuotationId(id))
                .await
                .map_err(target_err(what()))?;
            // Only a quotation still as it was imported takes new lines.
            let open = stored.status == QuotationStatus::Sent;
            if !open && stored.items != items {
                notes.push(format!(
                    "the lines changed in the source: a quotation {} here keeps its lines",
                    stored.status.as_str()
                ));
            }
            let next = Quotation {
                client_id: client,
                deal_id,
                owner_id: owner,
                issue_date,
                valid_until,
                currency: if open { currency } else { stored.currency },
                items: if open { items } else { stored.items.clone() },
                subtotal: if open { subtotal } else { stored.subtotal },
                tax_total: if open { tax_total } else { stored.tax_total },
                total: if open { total } else { stored.total },
                ..stored.clone()
            };
            if next == stored {
                ctx.done(step, Outcome::Unchanged);
            } else {
                let next = Quotation {
                    updated_at: updated.max(stored.updated_at),
                    version: stored.version + 1,
                    ..next
                };
                ctx.target
                    .quotations
                    .update(&mut ctx.tx, &next, stored.version)
                    .await
                    .map_err(target_err(what()))?;
                ctx.done(step, Outcome::Updated);
            }
        }
        None => {
            let base = row
                .get(shape.number)
                .map(str::to_string)
                .unwrap_or_else(|| format!("QUO-{legacy}"));
            // Known quotations keep their numbers and new ones are written as they go, so
            // the table says which numbers are taken (by either old table, or by a row
            // imported before and deleted from the source since).
            let number =
                super::first_free(ctx, org, "quotations", "number", &base, '/', BASE_MAX).await?;
            let first = rules::numbered(&base, 1, '/', BASE_MAX);
            if number != first {
                notes.push(format!(
                    "another quotation has number {first}: imported as {number}"
                ));
            }
            let quotation = Quotation {
                id: QuotationId::new(),
                organization_id: org,
                client_id: client,
                deal_id,
                owner_id: owner,
                number,
                issue_date,
                valid_until,
                currency,
                items,
                subtotal,
                tax_total,
                total,
                status: QuotationStatus::Sent,
                legacy_id: Some(legacy.clone()),
                created_at: created,
                updated_at: updated,
                version: 1,
            };
            ctx.target
                .quotations
                .create(&mut ctx.tx, &quotation)
                .await
                .map_err(target_err(what()))?;
            ctx.remember(LegacyTable::Quotations, org, &legacy, quotation.id.0);
            ctx.done(step, Outcome::Created);
        }
    }
    for n in notes {
        ctx.report.note(step.source, &legacy, n);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validity_defaults_and_never_ends_before_the_issue() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(validity(d("2024-03-01"), None).0, d("2024-03-31"));
        assert_eq!(
            validity(d("2024-03-01"), Some(d("2024-04-15"))),
            (d("2024-04-15"), None)
        );
        let (v, note) = validity(d("2024-03-01"), Some(d("2024-02-01")));
        assert_eq!(v, d("2024-03-01"));
        assert!(note.unwrap().contains("before the issue date"));
    }

    #[test]
    fn a_taken_number_is_numbered_on() {
        let numbered = |base: &str, k| rules::numbered(base, k, '/', BASE_MAX);
        assert_eq!(numbered(" QUO#2 ", 1), "QUO#2");
        assert_eq!(numbered("QUO#1", 3), "QUO#1/3");
        assert_eq!(numbered(&"X".repeat(40), 1).len(), NUMBER_MAX - 4);
    }
}
