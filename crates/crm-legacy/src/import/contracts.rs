//! `Contracts` → contracts of their client's organization (the old table has no tenant
//! column: its creator's tenant, else its client's). A historic contract keeps its old number
//! (`CON#12`) as its `number`: this server's `CT-` series is not touched (the counter is
//! taken outside the run's transaction), so the first contract made here is `CT-<year>-0001`.
//! It is `active` until its end date, `expired` after, never renewed automatically and with no
//! notice days (nobody is told of an old contract's notice date).

use super::step_rows;
use super::{Ctx, ImportError, Tenant, upsert};
use crate::report::Step;
use crate::rules;
use crate::source::{Row, Source};
use chrono::NaiveDate;
use crm_db::legacy::LegacyTable;
use crm_domain::clients::ClientId;
use crm_finance::contracts::{Contract, ContractId, ContractStatus};

pub(crate) const CONTRACTS: Step = Step {
    source: "Contracts",
    target: "contracts",
};

const COLUMNS: &[&str] = &[
    "id",
    "contract_number",
    "subject",
    "client",
    "type",
    "value",
    "currency",
    "startDate",
    "endDate",
    "description",
    "notes",
    "created_by",
    "createdAt",
    "updatedAt",
];

/// The contract module's limits, and the length of a stored number.
const TITLE_MAX: usize = 200;
const DESCRIPTION_MAX: usize = 10_000;
const NUMBER_MAX: usize = 32;
/// How long a renewal lasts, should someone renew an old contract here (the module's default).
const RENEWAL_MONTHS: i32 = 12;

/// A historic contract's status on `today`.
pub(crate) fn contract_status(end: NaiveDate, today: NaiveDate) -> ContractStatus {
    if end < today {
        ContractStatus::Expired
    } else {
        ContractStatus::Active
    }
}

/// The description: the old one, its type and its notes, each when present.
pub(crate) fn contract_text(
    description: Option<&str>,
    kind: Option<&str>,
    notes: Option<&str>,
) -> Option<String> {
    let parts: Vec<String> = [
        description.map(str::to_string),
        kind.map(|k| format!("Type: {k}")),
        notes.map(|n| format!("Notes: {n}")),
    ]
    .into_iter()
    .flatten()
    .collect();
    let text: String = parts.join("\n\n").chars().take(DESCRIPTION_MAX).collect();
    (!text.is_empty()).then_some(text)
}

pub(crate) async fn import(source: &Source, ctx: &mut Ctx<'_>) -> Result<(), ImportError> {
    let rows = step_rows(source, ctx, CONTRACTS, COLUMNS).await?;
    let client_ids = ctx.by_legacy_id(LegacyTable::Clients);
    for row in &rows {
        let tenant = ctx.tenant_or_by(row, &[(&client_ids, row.get("client"))]);
        let Some(tenant) = tenant else {
            ctx.skip(
                CONTRACTS,
                row.id(),
                "no tenant: neither its creator nor its client is of an imported tenant",
            );
            continue;
        };
        one(ctx, row, tenant).await?;
    }
    ctx.progress.finish();
    Ok(())
}

async fn one(ctx: &mut Ctx<'_>, row: &Row, tenant: Tenant) -> Result<(), ImportError> {
    let legacy = row.id().to_string();
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
        ctx.skip(CONTRACTS, &legacy, reason);
        return Ok(());
    };
    let (start, end) = (
        row.get("startDate").and_then(rules::source_date),
        row.get("endDate").and_then(rules::source_date),
    );
    let (Some(start_date), Some(end_date)) = (start, end) else {
        ctx.skip(CONTRACTS, &legacy, "startDate or endDate is missing");
        return Ok(());
    };
    if end_date <= start_date {
        ctx.skip(CONTRACTS, &legacy, "endDate is not after startDate");
        return Ok(());
    }
    let currency = ctx.currency_or_default(CONTRACTS.source, &legacy, row.get("currency"))?;
    let value = match row.get("value").map(|v| rules::minor_units(v, currency)) {
        None => 0,
        Some(Some(v)) if v >= 0 => v,
        Some(_) => {
            ctx.skip(
                CONTRACTS,
                &legacy,
                format!(
                    "value {:?} is not an amount",
                    row.get("value").unwrap_or("")
                ),
            );
            return Ok(());
        }
    };
    let known = ctx.known(LegacyTable::Contracts, org, &legacy).is_some();
    // A new contract's number: the old one, made unique in the organization when the old
    // server's string-ordered numbering gave two contracts the same.
    let number = if known {
        String::new()
    } else {
        let base = row
            .get("contract_number")
            .map(str::to_string)
            .unwrap_or_else(|| format!("CON-{legacy}"));
        let number =
            super::first_free(ctx, org, "contracts", "number", &base, '/', NUMBER_MAX - 4).await?;
        let first = rules::numbered(&base, 1, '/', NUMBER_MAX - 4);
        if number != first {
            ctx.report.note(
                CONTRACTS.source,
                &legacy,
                format!("another contract has number {first}: imported as {number}"),
            );
        }
        number
    };
    let title: String = row
        .get("subject")
        .unwrap_or(&legacy)
        .trim()
        .chars()
        .take(TITLE_MAX)
        .collect();
    let description = contract_text(row.get("description"), row.get("type"), row.get("notes"));
    let owner = ctx
        .user_in(org, row.get("created_by"))
        .unwrap_or(tenant.owner);
    let (created, updated) = ctx.stamps(row);
    let status = contract_status(end_date, ctx.now.date_naive());
    let build = |stored: Option<&Contract>| {
        let base = Contract {
            id: ContractId::new(),
            organization_id: org,
            number,
            client_id: client,
            title,
            value,
            currency,
            start_date,
            end_date,
            status,
            auto_renew: false,
            renewal_months: RENEWAL_MONTHS,
            notice_days: None,
            notice_date: None,
            signed_on: None,
            description,
            file_id: None,
            renewed_from_id: None,
            owner_id: owner,
            termination_reason: None,
            terminated_on: None,
            notice_told_for: None,
            legacy_id: Some(legacy.clone()),
            created_at: created,
            updated_at: updated,
            version: 1,
        };
        match stored {
            // Kept from the stored contract: its number and what only this server sets
            // (its life here: activation, renewal, termination, notice, file).
            Some(s) => Contract {
                id: s.id,
                number: s.number.clone(),
                status: s.status,
                auto_renew: s.auto_renew,
                renewal_months: s.renewal_months,
                notice_days: s.notice_days,
                signed_on: s.signed_on,
                file_id: s.file_id,
                renewed_from_id: s.renewed_from_id,
                termination_reason: s.termination_reason.clone(),
                terminated_on: s.terminated_on,
                notice_told_for: s.notice_told_for,
                created_at: s.created_at,
                version: s.version,
                ..base
            }
            .with_notice_date(),
            None => base.with_notice_date(),
        }
    };
    let records = ctx.target.contracts.clone();
    upsert(
        ctx,
        &records,
        LegacyTable::Contracts,
        CONTRACTS,
        org,
        &legacy,
        updated,
        build,
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_contracts_are_active_until_their_end() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let today = d("2026-12-07");
        assert_eq!(
            contract_status(d("2026-12-06"), today),
            ContractStatus::Expired
        );
        assert_eq!(
            contract_status(d("2026-12-07"), today),
            ContractStatus::Active
        );
        assert_eq!(
            contract_text(Some("Support"), Some("AMC"), None).as_deref(),
            Some("Support\n\nType: AMC")
        );
        assert_eq!(contract_text(None, None, None), None);
    }
}
