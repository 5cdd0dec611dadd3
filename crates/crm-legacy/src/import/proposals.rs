//! `proposals` → proposals. The old table has no tenant column: a proposal's tenant is its
//! creator's (`created_by`, a username), else the tenant of the lead it names.
//!
//! - For whom: `lead_title` names the lead (by its old id; the column's name says title,
//!   so an old lead's `leadTitle`, when exactly one lead of the tenant has it, is taken
//!   too) or, failing that, a client (by its old id). A proposal here is for a lead or a
//!   client; one that names neither among the tenant's imported records is skipped, with
//!   the reason (as is a title that several leads share).
//! - Title: the old table has none: the first line of its `description` (Markdown heading
//!   marks taken off, at most 200 characters), else `Proposal <old id>`. The body is the
//!   whole `description`.
//! - Lines and totals as the quotations step (the invoices step's reading of `items`);
//!   proposals may have none. A difference from the stored `total` goes in the report.
//! - Status: the old table has none: `sent` (reads `expired` after `valid_till`, as here),
//!   with no `sent_at` (this server never mailed it). A later run keeps the status, the
//!   quotation made from it and, once it is no longer `sent`, its lines.

use super::projects::clip;
use super::step_rows;
use super::{Ctx, ImportError, Tenant, upsert};
use crate::report::Step;
use crate::rules;
use crate::source::{Row, Source};
use crm_db::legacy::LegacyTable;
use crm_domain::OrganizationId;
use crm_domain::clients::ClientId;
use crm_finance::proposals::{BODY_MAX, Proposal, ProposalId, ProposalStatus, TITLE_MAX};
use crm_sales::leads::LeadId;

pub(crate) const PROPOSALS: Step = Step {
    source: "proposals",
    target: "proposals",
};

const COLUMNS: &[&str] = &[
    "id",
    "lead_title",
    "valid_till",
    "currency",
    "description",
    "items",
    "discount",
    "tax",
    "total",
    "created_by",
    "createdAt",
    "updatedAt",
];

/// The title of an old proposal: the first line of its description, else its id.
pub(crate) fn proposal_title(description: Option<&str>, legacy: &str) -> String {
    description
        .and_then(|d| {
            d.lines()
                .map(|l| l.trim().trim_start_matches('#').trim())
                .find(|l| !l.is_empty())
        })
        .map(|l| clip(l, TITLE_MAX))
        .unwrap_or_else(|| format!("Proposal {legacy}"))
}

/// For whom a proposal is.
enum For {
    Lead(LeadId),
    Client(ClientId),
}

pub(crate) async fn import(source: &Source, ctx: &mut Ctx<'_>) -> Result<(), ImportError> {
    let rows = step_rows(source, ctx, PROPOSALS, COLUMNS).await?;
    // The old leads' titles, for a `lead_title` that holds one.
    let titles: Vec<(String, String)> = if rows.is_empty() {
        vec![]
    } else {
        source
            .table("Leads", &["id", "leadTitle"])
            .await?
            .map(|t| t.rows)
            .unwrap_or_default()
            .iter()
            .filter_map(|r| Some((r.id().to_string(), r.get("leadTitle")?.trim().to_string())))
            .collect()
    };
    let lead_ids = ctx.by_legacy_id(LegacyTable::Leads);
    for row in &rows {
        let tenant = ctx.tenant_or_by(row, &[(&lead_ids, row.get("lead_title"))]);
        let Some(tenant) = tenant else {
            ctx.skip(
                PROPOSALS,
                row.id(),
                "no tenant: neither its creator nor its lead is of an imported tenant",
            );
            continue;
        };
        one(ctx, row, tenant, &titles).await?;
    }
    ctx.progress.finish();
    Ok(())
}

/// The lead or client `raw` names in `org`; `Err` says why none.
fn whom(
    ctx: &Ctx<'_>,
    org: OrganizationId,
    raw: Option<&str>,
    titles: &[(String, String)],
) -> Result<For, String> {
    let raw = raw
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .ok_or("no lead_title")?;
    if let Some(id) = ctx.known(LegacyTable::Leads, org, raw) {
        return Ok(For::Lead(LeadId(id)));
    }
    if let Some(id) = ctx.known(LegacyTable::Clients, org, raw) {
        return Ok(For::Client(ClientId(id)));
    }
    let by_title: Vec<uuid::Uuid> = titles
        .iter()
        .filter(|(_, t)| t.eq_ignore_ascii_case(raw))
        .filter_map(|(id, _)| ctx.known(LegacyTable::Leads, org, id))
        .collect();
    match by_title.as_slice() {
        [one] => Ok(For::Lead(LeadId(*one))),
        [] => Err(format!(
            "lead_title {raw} names no imported lead or client of the tenant (missing, or of another tenant)"
        )),
        many => Err(format!(
            "lead_title {raw} is the title of {} leads of the tenant: which one is unknown",
            many.len()
        )),
    }
}

async fn one(
    ctx: &mut Ctx<'_>,
    row: &Row,
    tenant: Tenant,
    titles: &[(String, String)],
) -> Result<(), ImportError> {
    let legacy = row.id().to_string();
    let org = tenant.org;
    let (lead_id, client_id) = match whom(ctx, org, row.get("lead_title"), titles) {
        Ok(For::Lead(l)) => (Some(l), None),
        Ok(For::Client(c)) => (None, Some(c)),
        Err(reason) => {
            ctx.skip(PROPOSALS, &legacy, reason);
            return Ok(());
        }
    };
    let mut notes = Vec::new();
    let currency = ctx.currency_or_default(PROPOSALS.source, &legacy, row.get("currency"))?;
    let (items, (subtotal, tax_total, total)) = match super::invoices::lines(row, currency) {
        Ok(l) => l,
        Err(reason) => {
            ctx.skip(PROPOSALS, &legacy, reason);
            return Ok(());
        }
    };
    if let Some(stored) = row
        .get("total")
        .and_then(|t| rules::minor_units(t, currency))
        && let Some(mut reason) = rules::total_difference(stored, total, currency)
    {
        if let Some(d) = row.get("discount").filter(|d| *d != "0") {
            reason.push_str(&format!(" (the old proposal had a discount of {d})"));
        }
        notes.push(reason);
    }
    let description = row.get("description");
    let title = proposal_title(description, &legacy);
    let body = description
        .map(|d| d.chars().take(BODY_MAX).collect::<String>())
        .filter(|d| !d.trim().is_empty());
    let valid_until = row.get("valid_till").and_then(rules::source_date);
    let owner = ctx
        .user_in(org, row.get("created_by"))
        .unwrap_or(tenant.owner);
    let (created, updated) = ctx.stamps(row);
    let mut kept_lines = false;
    let build = |stored: Option<&Proposal>| {
        let base = Proposal {
            id: ProposalId::new(),
            organization_id: org,
            lead_id,
            client_id,
            deal_id: None,
            owner_id: owner,
            title,
            body,
            currency,
            items,
            subtotal,
            tax_total,
            total,
            valid_until,
            status: ProposalStatus::Sent,
            sent_at: None,
            quotation_id: None,
            legacy_id: Some(legacy.clone()),
            created_at: created,
            updated_at: updated,
            version: 1,
        };
        match stored {
            Some(s) => {
                // Only a proposal still as it was imported takes new lines.
                let open = s.status == ProposalStatus::Sent && s.quotation_id.is_none();
                kept_lines = !open && s.items != base.items;
                Proposal {
                    id: s.id,
                    deal_id: s.deal_id,
                    status: s.status,
                    sent_at: s.sent_at,
                    quotation_id: s.quotation_id,
                    currency: if open { base.currency } else { s.currency },
                    items: if open { base.items } else { s.items.clone() },
                    subtotal: if open { base.subtotal } else { s.subtotal },
                    tax_total: if open { base.tax_total } else { s.tax_total },
                    total: if open { base.total } else { s.total },
                    created_at: s.created_at,
                    updated_at: s.updated_at,
                    version: s.version,
                    ..base
                }
            }
            None => base,
        }
    };
    let records = ctx.target.proposals.clone();
    upsert(
        ctx,
        &records,
        LegacyTable::Proposals,
        PROPOSALS,
        org,
        &legacy,
        updated,
        build,
    )
    .await?;
    if kept_lines {
        notes.push(
            "the lines changed in the source: a proposal no longer sent keeps its lines".into(),
        );
    }
    for n in notes {
        ctx.report.note(PROPOSALS.source, &legacy, n);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_title_is_the_first_line_of_the_description() {
        assert_eq!(
            proposal_title(Some("\n## CRM roll-out\n\nTwo workshops"), "P1"),
            "CRM roll-out"
        );
        assert_eq!(proposal_title(Some("  "), "P1"), "Proposal P1");
        assert_eq!(proposal_title(None, "P1"), "Proposal P1");
        assert_eq!(
            proposal_title(Some(&"x".repeat(300)), "P1").chars().count(),
            TITLE_MAX
        );
    }
}
