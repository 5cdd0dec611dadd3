//! `Leads` → leads of their tenant, owned by the assigned user, else the creator, else the
//! tenant owner. `source` may hold the id of a `sources` row or its name.

use super::{Ctx, ImportError, upsert};
use super::{NO_TENANT, step_rows};
use crate::report::Step;
use crate::rules;
use crm_db::legacy::LegacyTable;
use crm_domain::OrganizationId;
use crm_domain::identity::EmailAddress;
use crm_sales::leads::{Lead, LeadId, LeadStatus};
use std::collections::{HashMap, HashSet};

pub(crate) const LEADS: Step = Step {
    source: "Leads",
    target: "leads",
};

const COLUMNS: &[&str] = &[
    "id",
    "leadTitle",
    "firstName",
    "lastName",
    "email",
    "telephone",
    "company_name",
    "source",
    "status",
    "leadValue",
    "currency",
    "assigned",
    "client_id",
    "created_by",
    "createdAt",
    "updatedAt",
];

/// Longest name and company, and longest source (the lead module's limits).
const NAME_MAX: usize = 200;
const SOURCE_MAX: usize = 100;

/// A Node.js lead status as this server's, and whether it had to be changed on the way.
pub(crate) fn lead_status(raw: Option<&str>) -> (LeadStatus, Option<String>) {
    let raw = raw.unwrap_or("new").trim().to_ascii_lowercase();
    match raw.as_str() {
        "new" => (LeadStatus::New, None),
        "contacted" | "proposal sent" | "proposal_sent" | "in progress" => {
            (LeadStatus::Contacted, None)
        }
        "qualified" => (LeadStatus::Qualified, None),
        "unqualified" | "lost" | "rejected" | "junk" => (LeadStatus::Unqualified, None),
        // Conversion here creates a client and a deal; an old conversion has neither.
        "converted" | "won" => (
            LeadStatus::Qualified,
            Some(format!(
                "status {raw} imported as qualified (the old conversion made no client here)"
            )),
        ),
        other => (
            LeadStatus::New,
            Some(format!("status {other} is unknown: imported as new")),
        ),
    }
}

use crate::rules::clip;

pub(crate) async fn import(source: &Source, ctx: &mut Ctx<'_>) -> Result<(), ImportError> {
    let sources: HashMap<String, String> = source
        .table("sources", &["id", "sourceName"])
        .await?
        .map(|t| t.rows)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|r| Some((r.id().to_string(), r.get("sourceName")?.to_string())))
        .collect();
    let rows = step_rows(source, ctx, LEADS, COLUMNS).await?;
    // An open lead's email is unique in its organization; among the old rows the first
    // (oldest) keeps it, so every run decides the same way.
    let mut open_emails: HashSet<(OrganizationId, String)> = HashSet::new();
    let records = ctx.target.leads.clone();
    for row in &rows {
        let legacy = row.id().to_string();
        let Some((_, tenant)) = ctx.tenant_of(row) else {
            ctx.skip(LEADS, &legacy, NO_TENANT);
            continue;
        };
        let org = tenant.org;
        let (status, status_note) = lead_status(row.get("status"));
        if let Some(n) = status_note {
            ctx.report.note(LEADS.source, &legacy, n);
        }
        let mut email = row.get("email").and_then(|e| EmailAddress::parse(e).ok());
        if row.get("email").is_some() && email.is_none() {
            ctx.report
                .note(LEADS.source, &legacy, "email is not an address: left empty");
        }
        if let Some(e) = &email
            && status.is_open()
            && !open_emails.insert((org, e.as_str().to_string()))
        {
            ctx.report.note(
                LEADS.source,
                &legacy,
                format!(
                    "another open lead of the tenant has email {}: left empty",
                    e.as_str()
                ),
            );
            email = None;
        }
        let name = rules::person_name(row.get("firstName"), row.get("lastName"), None)
            .or_else(|| row.get("leadTitle").map(str::to_string))
            .unwrap_or_else(|| legacy.clone());
        let lead_source = row
            .get("source")
            .map(|s| sources.get(s).map(String::as_str).unwrap_or(s))
            .map(|s| clip(s, SOURCE_MAX));
        let currency = ctx.currency(row.get("currency"));
        let amount = row.get("leadValue").and_then(|v| {
            let c = currency.or_else(|| super::default_currency().ok())?;
            rules::minor_units(v, c)
        });
        if row.get("leadValue").is_some() && amount.is_none() {
            ctx.report.note(
                LEADS.source,
                &legacy,
                format!(
                    "leadValue {:?} is not an amount: left empty",
                    row.get("leadValue").unwrap_or("")
                ),
            );
        }
        let currency = amount.and(currency.or_else(|| super::default_currency().ok()));
        let owner = ctx
            .user_in(org, row.get("assigned"))
            .or_else(|| ctx.user_in(org, row.get("created_by")))
            .unwrap_or(tenant.owner);
        let (created, updated) = ctx.stamps(row);
        let (name, company) = (
            clip(&name, NAME_MAX),
            row.get("company_name").map(|c| clip(c, NAME_MAX)),
        );
        let phone = row.get("telephone").map(|p| clip(p, 50));
        let build = |stored: Option<&Lead>| {
            let base = Lead {
                id: LeadId::new(),
                organization_id: org,
                name,
                email,
                phone,
                company,
                source: lead_source,
                status,
                owner_id: owner,
                estimated_amount: amount,
                currency,
                score: None,
                converted_client_id: None,
                converted_deal_id: None,
                legacy_id: Some(legacy.clone()),
                created_at: created,
                updated_at: updated,
                version: 1,
            };
            match stored {
                // Kept from the stored lead: what only this server sets (its conversion) and
                // a lead converted here stays converted.
                Some(s) => Lead {
                    id: s.id,
                    status: if s.status == LeadStatus::Converted {
                        s.status
                    } else {
                        base.status
                    },
                    converted_client_id: s.converted_client_id,
                    converted_deal_id: s.converted_deal_id,
                    created_at: s.created_at,
                    version: s.version,
                    ..base
                },
                None => base,
            }
        };
        upsert(
            ctx,
            &records,
            LegacyTable::Leads,
            LEADS,
            org,
            &legacy,
            updated,
            build,
        )
        .await?;
    }
    ctx.progress.finish();
    Ok(())
}

use crate::source::Source;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_statuses_map_to_the_nearest_open_one() {
        assert_eq!(lead_status(Some("new")).0, LeadStatus::New);
        assert_eq!(lead_status(None).0, LeadStatus::New);
        assert_eq!(lead_status(Some("proposal sent")).0, LeadStatus::Contacted);
        let (s, note) = lead_status(Some("converted"));
        assert_eq!(s, LeadStatus::Qualified);
        assert!(note.is_some());
        let (s, note) = lead_status(Some("Hot"));
        assert_eq!(s, LeadStatus::New);
        assert!(note.unwrap().contains("hot"));
    }
}
