//! `Payments` → payments against the imported invoices. The old table has no tenant column:
//! a payment belongs to its invoice's organization and client, in the invoice's currency. A
//! new payment is allocated to its invoice up to the balance due (the rest stays unapplied,
//! reported), and the invoice's paid amount and payment status follow, as when a payment is
//! recorded here. A payment whose invoice was not imported is skipped with the reason.

use super::step_rows;
use super::{Ctx, ImportError, target_err};
use crate::report::{Outcome, Step};
use crate::rules;
use crate::source::{Row, Source};
use crm_db::legacy::LegacyTable;
use crm_domain::OrganizationId;
use crm_finance::invoices::{Invoice, InvoiceId, InvoiceRepository, InvoiceStatus};
use crm_finance::payments::{
    Allocation, AllocationId, Payment, PaymentId, PaymentMethod, PaymentRepository,
};

pub(crate) const PAYMENTS: Step = Step {
    source: "Payments",
    target: "payments",
};

const COLUMNS: &[&str] = &[
    "id",
    "invoice",
    "paidOn",
    "amount",
    "currency",
    "transactionId",
    "paymentMethod",
    "remark",
    "created_by",
    "createdAt",
    "updatedAt",
];

/// Longest reference and notes (the payment module's limits).
const REFERENCE_MAX: usize = 191;
const NOTES_MAX: usize = 10_000;

/// An old payment method (free text) as this server's; `None` when nothing matches.
pub(crate) fn payment_method(raw: Option<&str>) -> Option<PaymentMethod> {
    let raw = raw?.trim().to_ascii_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| raw.contains(w));
    if has(&[
        "bank", "transfer", "neft", "rtgs", "imps", "wire", "ach", "upi",
    ]) {
        Some(PaymentMethod::BankTransfer)
    } else if has(&[
        "card", "credit", "debit", "visa", "master", "stripe", "razorpay",
    ]) {
        Some(PaymentMethod::Card)
    } else if has(&["cash"]) {
        Some(PaymentMethod::Cash)
    } else if has(&["cheque", "check", "demand draft"]) || raw == "dd" {
        Some(PaymentMethod::Cheque)
    } else if raw == "other" {
        Some(PaymentMethod::Other)
    } else {
        None
    }
}

use crate::rules::clip;

pub(crate) async fn import(source: &Source, ctx: &mut Ctx<'_>) -> Result<(), ImportError> {
    let rows = step_rows(source, ctx, PAYMENTS, COLUMNS).await?;
    let invoices = ctx.by_legacy_id(LegacyTable::Invoices);
    for row in &rows {
        let legacy = row.id();
        let Some((org, invoice)) = row.get("invoice").and_then(|i| invoices.get(i)).copied() else {
            let reason = match row.get("invoice") {
                Some(i) => format!("invoice {i} was not imported (missing, or skipped)"),
                None => "no invoice".to_string(),
            };
            ctx.skip(PAYMENTS, legacy, reason);
            continue;
        };
        one(ctx, row, org, InvoiceId(invoice)).await?;
    }
    ctx.progress.finish();
    Ok(())
}

async fn one(
    ctx: &mut Ctx<'_>,
    row: &Row,
    org: OrganizationId,
    invoice_id: InvoiceId,
) -> Result<(), ImportError> {
    let legacy = row.id().to_string();
    let what = || format!("Payments {legacy}");
    let invoice = ctx
        .target
        .invoices
        .get_for_update(&mut ctx.tx, org, invoice_id)
        .await
        .map_err(target_err(what()))?;
    let currency = invoice.currency;
    if let Some(c) = ctx.currency(row.get("currency"))
        && c != currency
    {
        ctx.skip(
            PAYMENTS,
            &legacy,
            format!(
                "currency {} differs from its invoice's ({})",
                c.code(),
                currency.code()
            ),
        );
        return Ok(());
    }
    let amount = match row
        .get("amount")
        .and_then(|a| rules::minor_units(a, currency))
    {
        Some(a) if a > 0 => a,
        _ => {
            ctx.skip(
                PAYMENTS,
                &legacy,
                format!(
                    "amount {:?} is not an amount above 0",
                    row.get("amount").unwrap_or("")
                ),
            );
            return Ok(());
        }
    };
    let (created, updated) = ctx.stamps(row);
    let received_on = row
        .get("paidOn")
        .and_then(rules::source_date)
        .or_else(|| row.get("createdAt").and_then(rules::source_date))
        .unwrap_or_else(|| created.date_naive());
    let method = match payment_method(row.get("paymentMethod")) {
        Some(m) => m,
        None => {
            if let Some(m) = row.get("paymentMethod") {
                ctx.report.note(
                    PAYMENTS.source,
                    &legacy,
                    format!("paymentMethod {m} imported as other"),
                );
            }
            PaymentMethod::Other
        }
    };
    let reference = row.get("transactionId").map(|r| clip(r, REFERENCE_MAX));
    let notes = row.get("remark").map(|r| clip(r, NOTES_MAX));
    match ctx.known(LegacyTable::Payments, org, &legacy) {
        Some(id) => {
            let stored = ctx
                .target
                .payments
                .get_for_update(&mut ctx.tx, org, PaymentId(id))
                .await
                .map_err(target_err(what()))?;
            if stored.amount != amount {
                ctx.report.note(
                    PAYMENTS.source,
                    &legacy,
                    "the amount changed in the source: a payment keeps the amount it was imported with (delete it here and run again to take the new one)",
                );
            }
            let next = Payment {
                received_on,
                method,
                reference,
                notes,
                ..stored.clone()
            };
            if next == stored {
                ctx.done(PAYMENTS, Outcome::Unchanged);
                return Ok(());
            }
            let next = Payment {
                updated_at: updated,
                version: stored.version + 1,
                ..next
            };
            ctx.target
                .payments
                .update(&mut ctx.tx, &next, stored.version)
                .await
                .map_err(target_err(what()))?;
            ctx.done(PAYMENTS, Outcome::Updated);
        }
        None => {
            let allocated = if invoice.status == InvoiceStatus::Issued {
                amount.min(invoice.balance_due.max(0))
            } else {
                0
            };
            if invoice.status != InvoiceStatus::Issued {
                ctx.report.note(
                    PAYMENTS.source,
                    &legacy,
                    "its invoice is void: the payment stays unapplied",
                );
            } else if allocated < amount {
                ctx.report.note(
                    PAYMENTS.source,
                    &legacy,
                    format!(
                        "{} (minor units) above the invoice's balance due stays unapplied",
                        amount - allocated
                    ),
                );
            }
            let created_by = ctx
                .user_in(org, row.get("created_by"))
                .or_else(|| ctx.tenant_in(org).map(|t| t.owner))
                .unwrap_or(invoice.created_by);
            let allocations = if allocated > 0 {
                vec![Allocation {
                    id: AllocationId::new(),
                    invoice_id,
                    amount: allocated,
                    created_at: created,
                }]
            } else {
                vec![]
            };
            let payment = Payment {
                id: PaymentId::new(),
                organization_id: org,
                client_id: invoice.client_id,
                amount,
                currency,
                received_on,
                method,
                reference,
                notes,
                allocations,
                refunds: vec![],
                allocated_amount: 0,
                refunded_amount: 0,
                unapplied_amount: 0,
                created_by,
                legacy_id: Some(legacy.clone()),
                created_at: created,
                updated_at: updated,
                version: 1,
            }
            .summed();
            ctx.target
                .payments
                .create(&mut ctx.tx, &payment)
                .await
                .map_err(target_err(what()))?;
            if allocated > 0 {
                // The invoice's `updated_at` stays the source's: the invoices step compares
                // it on the next run, and a payment is not an edit of the invoice.
                let next = Invoice {
                    version: invoice.version + 1,
                    ..invoice
                        .clone()
                        .with_balance(invoice.amount_paid + allocated, invoice.amount_credited)
                };
                ctx.target
                    .invoices
                    .update(&mut ctx.tx, &next, invoice.version)
                    .await
                    .map_err(target_err(what()))?;
            }
            ctx.remember(LegacyTable::Payments, org, &legacy, payment.id.0);
            ctx.done(PAYMENTS, Outcome::Created);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_methods_map_to_the_nearest() {
        assert_eq!(
            payment_method(Some("Bank Transfer")),
            Some(PaymentMethod::BankTransfer)
        );
        assert_eq!(
            payment_method(Some("NEFT")),
            Some(PaymentMethod::BankTransfer)
        );
        assert_eq!(
            payment_method(Some("Credit card")),
            Some(PaymentMethod::Card)
        );
        assert_eq!(payment_method(Some("cash")), Some(PaymentMethod::Cash));
        assert_eq!(payment_method(Some("Cheque")), Some(PaymentMethod::Cheque));
        assert_eq!(payment_method(Some("barter")), None);
        assert_eq!(payment_method(None), None);
    }
}
