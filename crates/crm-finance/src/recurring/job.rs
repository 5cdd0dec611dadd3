//! The job that makes the invoices recurring templates owe: on every poll, each active
//! template whose next date has come (in its organization's time zone) gets one invoice per due
//! date, in one transaction with the template's progress. The template row is claimed with
//! `SKIP LOCKED`, so instances share the work; the store's unique `(template, period_start)`
//! and the check under the claim make a period's invoice exist once, whatever crashes or
//! retries happened.

use super::RecurringInvoiceId;
use crate::FinancePorts;
use crate::balance::PaymentStatus;
use crate::invoices::{INVOICE_COUNTER, Invoice, InvoiceStatus, NewDraft, invoice_mail, printable};
use async_trait::async_trait;
use chrono::{DateTime, Datelike, Duration, Utc};
use crm_domain::activity::change_entry;
use crm_domain::clients::Client;
use crm_domain::identity::Organization;
use crm_domain::jobs::{Job, Period};
use crm_domain::kernel::clock::{local_date, stored};
use crm_domain::kernel::numbering::format_number;
use crm_domain::{DomainError, OrganizationId};
use std::collections::BTreeSet;

/// Templates looked at per poll; the next poll takes the rest.
const BATCH: u64 = 200;

/// Makes the due invoices of recurring templates.
pub struct RecurringInvoiceJob {
    p: FinancePorts,
}

impl RecurringInvoiceJob {
    pub fn new(ports: FinancePorts) -> Self {
        Self { p: ports }
    }

    /// The due invoices of one template, as of `now` in its organization: how many were made.
    pub async fn make_due(
        &self,
        org: OrganizationId,
        id: RecurringInvoiceId,
        now: DateTime<Utc>,
    ) -> Result<usize, DomainError> {
        let o = self.p.organizations.get(org).await?;
        let today = local_date(now, &o.timezone);
        let seen = self.p.recurring.get(org, id).await?;
        let done = u32::try_from(seen.occurrences_done).unwrap_or(0);
        let due = seen.schedule().due(done, today);
        if due.is_empty() || seen.status != super::RecurringStatus::Active {
            return Ok(0);
        }
        if seen.auto_issue {
            // Counter rows are created outside the transaction (see `begin_numbered`).
            let years: BTreeSet<i32> = due.iter().map(|(_, d)| d.year()).collect();
            for y in years {
                self.p.counters.ensure(org, INVOICE_COUNTER, y).await?;
            }
        }
        // Where `auto_send` mails the invoices: read before the transaction.
        let client = if seen.auto_issue && seen.auto_send {
            Some(self.p.clients.get(org, seen.client_id).await?)
        } else {
            None
        };
        let mut tx = self.p.tx.begin().await?;
        let Some(current) = self.p.recurring.claim(&mut tx, org, id).await? else {
            // Another instance is making them right now.
            return Ok(0);
        };
        if current.status != super::RecurringStatus::Active {
            return Ok(0);
        }
        let done = u32::try_from(current.occurrences_done).unwrap_or(0);
        let due = current.schedule().due(done, today);
        let Some(&(last, _)) = due.last() else {
            return Ok(0);
        };
        let now = stored(now);
        let mut made = 0;
        for (_, date) in &due {
            if self
                .p
                .invoices
                .period_made(&mut tx, org, current.id.0, *date)
                .await?
            {
                continue;
            }
            let draft = Invoice {
                recurring_invoice_id: Some(current.id.0),
                period_start: Some(*date),
                issue_date: Some(*date),
                due_date: Some(*date + Duration::days(i64::from(current.payment_terms_days))),
                notes: current.notes.clone(),
                terms: current.terms.clone(),
                ..Invoice::draft(NewDraft {
                    organization_id: org,
                    client_id: current.client_id,
                    currency: current.currency,
                    items: current.items.clone(),
                    totals: (current.subtotal, current.tax_total, current.total),
                    payment_terms_days: current.payment_terms_days,
                    created_by: current.created_by,
                    now,
                })
            };
            self.p.invoices.create(&mut tx, &draft).await?;
            let entry = change_entry(
                org,
                None,
                "invoice",
                draft.id.0,
                "created",
                None,
                Some(&draft),
            );
            self.p.record(&mut tx, entry).await?;
            if current.auto_issue {
                let n = self
                    .p
                    .counters
                    .next(&mut tx, org, INVOICE_COUNTER, date.year())
                    .await?;
                let issued = Invoice {
                    number: Some(format_number("INV", date.year(), n)),
                    status: InvoiceStatus::Issued,
                    issued_at: Some(now),
                    version: 2,
                    ..draft.clone()
                }
                .with_balance(0, 0);
                self.p.invoices.update(&mut tx, &issued, 1).await?;
                let entry = change_entry(
                    org,
                    None,
                    "invoice",
                    issued.id.0,
                    "issued",
                    Some(&draft),
                    Some(&issued),
                );
                self.p.record(&mut tx, entry).await?;
                if current.auto_send
                    && let Some(c) = &client
                {
                    self.send(&mut tx, &o, c, &issued, now).await?;
                }
                if issued.payment_status == PaymentStatus::Paid {
                    // Nothing to pay (a total of 0): paid as it is issued, as by hand.
                    let entry = change_entry(
                        org,
                        None,
                        "invoice",
                        issued.id.0,
                        "paid",
                        Some(&draft),
                        Some(&issued),
                    );
                    self.p.record(&mut tx, entry).await?;
                }
            }
            made += 1;
        }
        let next = super::RecurringInvoice {
            occurrences_done: i32::try_from(last + 1).unwrap_or(i32::MAX),
            updated_at: now,
            version: current.version + 1,
            ..current.clone()
        }
        .rescheduled();
        self.p
            .recurring
            .update(&mut tx, &next, current.version)
            .await?;
        tx.commit().await?;
        Ok(made)
    }
}

impl RecurringInvoiceJob {
    /// Mails `issued` to `client` with its PDF, in `tx` (so the invoice and its mail commit
    /// together, once), and marks it sent with its entry. A client without an address gets
    /// nothing: the invoice stays unsent, to be sent by hand (`POST /invoices/{id}/send`).
    async fn send(
        &self,
        tx: &mut crm_domain::Txn,
        org: &Organization,
        client: &Client,
        issued: &Invoice,
        now: DateTime<Utc>,
    ) -> Result<(), DomainError> {
        let Some(to) = &client.email else {
            tracing::warn!(org = %org.id, invoice = %issued.id, "recurring invoice not sent: its client has no email address");
            return Ok(());
        };
        let doc = printable(issued, org, client);
        let renderer = self.p.renderer.clone();
        let pdf = tokio::task::spawn_blocking(move || renderer.invoice_pdf(&doc))
            .await
            .map_err(|e| DomainError::Unexpected(format!("rendering stopped: {e}")))?
            .map_err(|e| DomainError::Unexpected(format!("invoice PDF: {}", e.0)))?;
        let mail = invoice_mail(&*self.p.mail, &org.name, issued, to.as_str(), pdf);
        self.p.outbox.enqueue(tx, Some(org.id), mail).await?;
        let sent = Invoice {
            sent_at: Some(now),
            version: issued.version + 1,
            ..issued.clone()
        };
        self.p.invoices.update(tx, &sent, issued.version).await?;
        let entry = change_entry(
            org.id,
            None,
            "invoice",
            sent.id.0,
            "sent",
            Some(issued),
            Some(&sent),
        );
        self.p.record(tx, entry).await?;
        Ok(())
    }
}

#[async_trait]
impl Job for RecurringInvoiceJob {
    fn name(&self) -> &'static str {
        "recurring_invoices"
    }

    fn period(&self) -> Period {
        Period::EveryPoll
    }

    async fn run(&self, now: DateTime<Utc>) -> Result<String, DomainError> {
        // No organization's today is more than a day past UTC's.
        let horizon = now.date_naive() + Duration::days(1);
        let due = self.p.recurring.due(horizon, BATCH).await?;
        if due.is_empty() {
            return Ok(String::new());
        }
        let (mut made, mut ok, mut failed) = (0, 0, 0);
        for (org, id) in &due {
            match self.make_due(*org, *id, now).await {
                Ok(n) => {
                    made += n;
                    ok += 1;
                }
                Err(e) => {
                    failed += 1;
                    tracing::warn!(org = %org, template = %id, error = %e, "recurring invoice not made; retried next poll");
                }
            }
        }
        if failed > 0 && ok == 0 {
            return Err(DomainError::Unavailable(format!(
                "{failed} recurring templates failed"
            )));
        }
        Ok(format!("{made} invoices from {} templates", due.len()))
    }
}
