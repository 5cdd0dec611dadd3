//! `expenses` → expenses of their tenant (found through the creator: the old table has no
//! tenant column), claimed by the creator when that user is of the tenant, else by the tenant
//! owner. The old server had no approval: an old expense is money already spent, so it is
//! imported `approved` for its full amount, decided by no one here.

use super::{Ctx, ImportError, upsert};
use super::{NO_TENANT, step_rows};
use crate::report::Step;
use crate::rules;
use crate::source::{Row, Source};
use crm_db::legacy::LegacyTable;
use crm_finance::expenses::{Expense, ExpenseId, ExpenseStatus};

pub(crate) const EXPENSES: Step = Step {
    source: "expenses",
    target: "expenses",
};

const COLUMNS: &[&str] = &[
    "id",
    "item",
    "currency",
    "price",
    "purchase_date",
    "project",
    "description",
    "bill",
    "client_id",
    "created_by",
    "createdAt",
    "updatedAt",
];

/// The expense module's limits.
const DESCRIPTION_MAX: usize = 1000;
/// The category of every old expense: the old table had none.
const CATEGORY: &str = "imported";

/// An old expense's description: its item, then its description when it has one.
pub(crate) fn description(item: Option<&str>, text: Option<&str>, fallback: &str) -> String {
    let joined = match (item, text) {
        (Some(i), Some(d)) if i != d => format!("{i}: {d}"),
        (Some(i), _) => i.to_string(),
        (None, Some(d)) => d.to_string(),
        (None, None) => fallback.to_string(),
    };
    joined.trim().chars().take(DESCRIPTION_MAX).collect()
}

pub(crate) async fn import(source: &Source, ctx: &mut Ctx<'_>) -> Result<(), ImportError> {
    let rows = step_rows(source, ctx, EXPENSES, COLUMNS).await?;
    for row in &rows {
        one(ctx, row).await?;
    }
    ctx.progress.finish();
    Ok(())
}

async fn one(ctx: &mut Ctx<'_>, row: &Row) -> Result<(), ImportError> {
    let legacy = row.id().to_string();
    let Some((_, tenant)) = ctx.tenant_of(row) else {
        ctx.skip(EXPENSES, &legacy, NO_TENANT);
        return Ok(());
    };
    let org = tenant.org;
    let currency = ctx.currency_or_default(EXPENSES.source, &legacy, row.get("currency"))?;
    let Some(amount) = row
        .get("price")
        .and_then(|p| rules::minor_units(p, currency))
        .filter(|a| *a > 0)
    else {
        ctx.skip(
            EXPENSES,
            &legacy,
            format!(
                "price {:?} is not an amount above 0",
                row.get("price").unwrap_or("")
            ),
        );
        return Ok(());
    };
    if let Some(bill) = row.get("bill") {
        ctx.report.note(
            EXPENSES.source,
            &legacy,
            format!("bill {bill} not imported: files of the old server are not read"),
        );
    }
    let (created, updated) = ctx.stamps(row);
    let incurred_on = row
        .get("purchase_date")
        .and_then(rules::source_date)
        .unwrap_or_else(|| created.date_naive());
    let submitted_by = ctx
        .user_in(org, row.get("created_by"))
        .unwrap_or(tenant.owner);
    let text = description(row.get("item"), row.get("description"), &legacy);
    let project_id = ctx.projects.resolve(
        &mut ctx.report,
        EXPENSES.source,
        &legacy,
        "project",
        org,
        row.get("project"),
    );
    let records = ctx.target.expenses.clone();
    let build = |stored: Option<&Expense>| {
        let base = Expense {
            id: ExpenseId::new(),
            organization_id: org,
            description: text,
            category: CATEGORY.to_string(),
            amount,
            currency,
            incurred_on,
            merchant: None,
            project_id,
            client_id: None,
            billable: false,
            receipt_file_id: None,
            submitted_by,
            status: ExpenseStatus::Approved,
            approved_amount: Some(amount),
            decided_by: None,
            decided_at: Some(created),
            rejection_reason: None,
            reimbursed_at: None,
            invoice_id: None,
            legacy_id: Some(legacy.clone()),
            created_at: created,
            updated_at: updated,
            version: 1,
        };
        match stored {
            // Kept from the stored expense: what only this server sets (its category,
            // links, receipt, its way through approval and reimbursement, its billing).
            Some(s) => Expense {
                id: s.id,
                category: s.category.clone(),
                merchant: s.merchant.clone(),
                project_id: project_id.or(s.project_id),
                client_id: s.client_id,
                billable: s.billable,
                receipt_file_id: s.receipt_file_id,
                status: s.status,
                // Approved in full follows the amount; a part never exceeds it.
                approved_amount: s
                    .approved_amount
                    .map(|a| if a == s.amount { amount } else { a.min(amount) }),
                decided_by: s.decided_by,
                decided_at: s.decided_at,
                rejection_reason: s.rejection_reason.clone(),
                reimbursed_at: s.reimbursed_at,
                invoice_id: s.invoice_id,
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
        LegacyTable::Expenses,
        EXPENSES,
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
    fn the_item_leads_the_description() {
        assert_eq!(
            description(Some("Laptop"), Some("for the new hire"), "x"),
            "Laptop: for the new hire"
        );
        assert_eq!(description(Some("Laptop"), None, "x"), "Laptop");
        assert_eq!(description(None, None, "x"), "x");
    }
}
