//! `/payments`, `POST /payments/{id}/allocations`, `DELETE
//! /payments/{id}/allocations/{allocation_id}`, `POST /payments/{id}/refunds`.

use super::model::{
    Allocation, AllocationId, AllocationInput, MAX_ALLOCATIONS, NOTES_MAX, Payment, PaymentId,
    PaymentInput, PaymentPatch, REFERENCE_MAX, Refund, RefundId, RefundInput,
};
use crate::FinancePorts;
use crate::invoices::{Invoice, InvoiceId, InvoiceStatus};
use crate::requirements::{PaymentsDelete, PaymentsRead, PaymentsWrite};
use crm_domain::activity::audit;
use crm_domain::clients::ClientId;
use crm_domain::kernel::input::{Errors, invalid, text};
use crm_domain::kernel::pagination::{ListQuery, Page};
use crm_domain::kernel::references::visible_client;
use crm_domain::kernel::rules::check_version;
use crm_domain::kernel::scope::require;
use crm_domain::kernel::text::optional_text;
use crm_domain::kernel::values::{currency, date, positive_amount};
use crm_domain::{Actor, Currency, DomainError, StoreError, Txn, ValueError};
use std::collections::BTreeMap;

fn reference(raw: Option<&str>) -> Result<Option<String>, ValueError> {
    optional_text(raw, "reference", REFERENCE_MAX, false)
}

fn notes(raw: Option<&str>) -> Result<Option<String>, ValueError> {
    optional_text(raw, "notes", NOTES_MAX, true)
}

fn over_balance(invoice: &Invoice, amount: i64) -> DomainError {
    DomainError::conflict(
        "allocation-exceeds-balance",
        format!(
            "{amount} exceeds the balance due of invoice {} ({})",
            invoice.number.as_deref().unwrap_or("(draft)"),
            invoice.balance_due
        ),
    )
}

/// Checks an allocation of `amount` of a payment of `client` in `currency` to the locked
/// `invoice`: another client or currency is `422` on `field`; a draft or void invoice `409`;
/// more than its balance due `409` (what a concurrent payment took is already subtracted).
fn check_allocation(
    invoice: &Invoice,
    client: ClientId,
    currency: Currency,
    amount: i64,
    field: &str,
) -> Result<(), DomainError> {
    if invoice.client_id != client {
        return Err(invalid(
            field,
            "mismatch",
            "the invoice is another client's",
        ));
    }
    if invoice.currency != currency {
        return Err(invalid(
            field,
            "mismatch",
            format!(
                "the invoice is in {}, the payment in {currency}",
                invoice.currency
            ),
        ));
    }
    if invoice.status != InvoiceStatus::Issued {
        return Err(DomainError::conflict(
            "invoice-status",
            format!(
                "a {} invoice cannot take payments; only an issued one",
                invoice.status
            ),
        ));
    }
    if !invoice.balance().takes(amount) {
        return Err(over_balance(invoice, amount));
    }
    Ok(())
}

/// Payments and the money they move.
#[derive(Clone)]
pub struct PaymentService {
    p: FinancePorts,
}

impl PaymentService {
    pub fn new(ports: FinancePorts) -> Self {
        Self { p: ports }
    }

    /// Needs `payments:read`.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn list(
        &self,
        actor: &Actor,
        query: &ListQuery,
    ) -> Result<Page<Payment>, DomainError> {
        require::<PaymentsRead>(actor)?;
        Ok(self.p.payments.list(actor.organization_id, query).await?)
    }

    /// Needs `payments:read`; `404` when missing or of another organization.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn get(&self, actor: &Actor, id: PaymentId) -> Result<Payment, DomainError> {
        require::<PaymentsRead>(actor)?;
        Ok(self.p.payments.get(actor.organization_id, id).await?)
    }

    /// `404` unless the payment `id` is one of the caller's organization (see
    /// `InvoiceService::exists`).
    pub async fn exists(&self, actor: &Actor, id: PaymentId) -> Result<(), DomainError> {
        self.p.payments.get(actor.organization_id, id).await?;
        Ok(())
    }

    /// The invoice `id` read locked in `tx`; a missing one is `422 not_found` on `field`.
    async fn locked_invoice(
        &self,
        tx: &mut Txn,
        actor: &Actor,
        id: InvoiceId,
        field: &str,
    ) -> Result<Invoice, DomainError> {
        match self
            .p
            .invoices
            .get_for_update(tx, actor.organization_id, id)
            .await
        {
            Ok(i) => Ok(i),
            Err(StoreError::NotFound) => Err(DomainError::Invalid(vec![
                crm_domain::kernel::input::not_found(field, "invoice"),
            ])),
            Err(e) => Err(e.into()),
        }
    }

    /// Needs `payments:write`. Records the payment and its allocations in one transaction:
    /// each to an issued invoice of the same client and currency (`422` on that allocation's
    /// `invoice_id` otherwise, `409` for a draft or void one), each at most the invoice's
    /// balance due on the locked invoice (`409`), together at most the amount (`422
    /// allocations`). Invoices whose balance reaches 0 become `paid`.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn create(&self, actor: &Actor, input: PaymentInput) -> Result<Payment, DomainError> {
        require::<PaymentsWrite>(actor)?;
        let org = actor.organization_id;
        let today = self.p.today(org).await?;
        let mut errors = Errors::new();
        let amount = errors.value("amount", positive_amount(input.amount));
        let currency = errors.value("currency", currency(&input.currency));
        let received_on = errors.value(
            "received_on",
            input.received_on.as_deref().map_or(Ok(today), date),
        );
        let reference = errors.value("reference", reference(input.reference.as_deref()));
        let notes = errors.value("notes", notes(input.notes.as_deref()));
        if input.allocations.len() > MAX_ALLOCATIONS {
            errors.add(
                "allocations",
                "too_many",
                format!("at most {MAX_ALLOCATIONS} allocations"),
            );
        }
        let mut seen = BTreeMap::new();
        let mut sum: i64 = 0;
        for (i, a) in input.allocations.iter().enumerate() {
            let f = format!("allocations[{i}].amount");
            if let Some(v) = errors.take(&f, positive_amount(a.amount)) {
                sum = sum.saturating_add(v);
            }
            if seen.insert(a.invoice_id, i).is_some() {
                errors.add(
                    &format!("allocations[{i}].invoice_id"),
                    "duplicate",
                    "one allocation per invoice",
                );
            }
        }
        if sum > amount && amount > 0 {
            errors.add(
                "allocations",
                "out_of_range",
                format!("the allocations ({sum}) exceed the payment's amount ({amount})"),
            );
        }
        visible_client(
            &*self.p.clients,
            actor,
            input.client_id,
            "client_id",
            &mut errors,
        )
        .await?;
        errors.finish()?;
        let now = self.p.now();
        let mut tx = self.p.tx.begin().await?;
        // Invoices in id order: two payments over the same invoices lock them in one order.
        let mut allocations = Vec::with_capacity(input.allocations.len());
        let mut settled = Vec::new();
        for (invoice_id, i) in &seen {
            let a = &input.allocations[*i];
            let field = format!("allocations[{i}].invoice_id");
            let current = self
                .locked_invoice(&mut tx, actor, *invoice_id, &field)
                .await?;
            check_allocation(&current, input.client_id, currency, a.amount, &field)?;
            let next = current
                .clone()
                .with_balance(current.amount_paid + a.amount, current.amount_credited);
            settled.push((current, next));
            allocations.push((
                *i,
                Allocation {
                    id: AllocationId::new(),
                    invoice_id: *invoice_id,
                    amount: a.amount,
                    created_at: now,
                },
            ));
        }
        // As the request listed them.
        allocations.sort_by_key(|(i, _)| *i);
        let payment = Payment {
            id: PaymentId::new(),
            organization_id: org,
            client_id: input.client_id,
            amount,
            currency,
            received_on,
            method: input.method,
            reference,
            notes,
            allocations: allocations.into_iter().map(|(_, a)| a).collect(),
            refunds: Vec::new(),
            allocated_amount: 0,
            refunded_amount: 0,
            unapplied_amount: 0,
            created_by: actor.user_id,
            legacy_id: None,
            created_at: now,
            updated_at: now,
            version: 1,
        }
        .summed();
        self.p.payments.create(&mut tx, &payment).await?;
        for (current, next) in settled {
            self.p.settle(&mut tx, actor, &current, next, now).await?;
        }
        self.p
            .record(&mut tx, audit::created(actor, &payment))
            .await?;
        tx.commit().await?;
        Ok(payment)
    }

    /// Needs `payments:write`: the payment's details (`received_on`, `method`, `reference`,
    /// `notes`). `412` on a stale version.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn update(
        &self,
        actor: &Actor,
        id: PaymentId,
        expected_version: Option<i64>,
        patch: PaymentPatch,
    ) -> Result<Payment, DomainError> {
        require::<PaymentsWrite>(actor)?;
        let mut tx = self.p.tx.begin().await?;
        let current = self
            .p
            .payments
            .get_for_update(&mut tx, actor.organization_id, id)
            .await?;
        check_version(expected_version, current.version)?;
        let mut next = current.clone();
        let mut errors = Errors::new();
        errors.patch(
            "received_on",
            &mut next.received_on,
            patch.received_on.as_deref().map(date),
        );
        if let Some(m) = patch.method {
            next.method = m;
        }
        errors.patch(
            "reference",
            &mut next.reference,
            text(&patch.reference, reference),
        );
        errors.patch("notes", &mut next.notes, text(&patch.notes, notes));
        errors.finish()?;
        if next == current {
            return Ok(current);
        }
        let next = Payment {
            updated_at: self.p.now(),
            version: current.version + 1,
            ..next
        };
        self.p
            .payments
            .update(&mut tx, &next, current.version)
            .await?;
        self.p
            .record(&mut tx, audit::updated(actor, &current, &next))
            .await?;
        tx.commit().await?;
        Ok(next)
    }

    /// Needs `payments:write`. Allocates unapplied money of the payment to an invoice
    /// (`422 amount` above the unapplied amount; the invoice as on creation).
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn allocate(
        &self,
        actor: &Actor,
        id: PaymentId,
        input: AllocationInput,
    ) -> Result<Payment, DomainError> {
        require::<PaymentsWrite>(actor)?;
        let org = actor.organization_id;
        let mut errors = Errors::new();
        let amount = errors.value("amount", positive_amount(input.amount));
        errors.finish()?;
        let mut tx = self.p.tx.begin().await?;
        let current = self.p.payments.get_for_update(&mut tx, org, id).await?;
        if amount > current.unapplied_amount {
            return Err(invalid(
                "amount",
                "exceeds_unapplied",
                format!(
                    "{amount} exceeds the payment's unapplied amount ({})",
                    current.unapplied_amount
                ),
            ));
        }
        if current
            .allocations
            .iter()
            .any(|a| a.invoice_id == input.invoice_id)
        {
            return Err(invalid(
                "invoice_id",
                "duplicate",
                "the payment is already allocated to this invoice; remove that allocation first",
            ));
        }
        let invoice = self
            .locked_invoice(&mut tx, actor, input.invoice_id, "invoice_id")
            .await?;
        check_allocation(
            &invoice,
            current.client_id,
            current.currency,
            amount,
            "invoice_id",
        )?;
        let now = self.p.now();
        let allocation = Allocation {
            id: AllocationId::new(),
            invoice_id: input.invoice_id,
            amount,
            created_at: now,
        };
        self.p
            .payments
            .add_allocation(&mut tx, org, id, &allocation)
            .await?;
        let settled = invoice
            .clone()
            .with_balance(invoice.amount_paid + amount, invoice.amount_credited);
        self.p
            .settle(&mut tx, actor, &invoice, settled, now)
            .await?;
        let mut next = current.clone();
        next.allocations.push(allocation);
        let next = self.store(&mut tx, &current, next, now).await?;
        self.p
            .record(&mut tx, audit::changed(actor, "allocated", &current, &next))
            .await?;
        tx.commit().await?;
        Ok(next)
    }

    /// Stores `next` (sums recomputed, a version more) over `current`, read locked in `tx`.
    async fn store(
        &self,
        tx: &mut Txn,
        current: &Payment,
        next: Payment,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Payment, DomainError> {
        let next = Payment {
            updated_at: now,
            version: current.version + 1,
            ..next
        }
        .summed();
        self.p.payments.update(tx, &next, current.version).await?;
        Ok(next)
    }

    /// Needs `payments:write`. Removes an allocation: the money is unapplied again and the
    /// invoice's balance due rises by it. `404` when the allocation is not the payment's.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn deallocate(
        &self,
        actor: &Actor,
        id: PaymentId,
        allocation: AllocationId,
    ) -> Result<Payment, DomainError> {
        require::<PaymentsWrite>(actor)?;
        let org = actor.organization_id;
        let mut tx = self.p.tx.begin().await?;
        let current = self.p.payments.get_for_update(&mut tx, org, id).await?;
        let Some(a) = current
            .allocations
            .iter()
            .find(|a| a.id == allocation)
            .cloned()
        else {
            return Err(DomainError::NotFound);
        };
        let invoice = self
            .p
            .invoices
            .get_for_update(&mut tx, org, a.invoice_id)
            .await?;
        self.p
            .payments
            .remove_allocation(&mut tx, org, id, allocation)
            .await?;
        let now = self.p.now();
        let settled = invoice
            .clone()
            .with_balance(invoice.amount_paid - a.amount, invoice.amount_credited);
        self.p
            .settle(&mut tx, actor, &invoice, settled, now)
            .await?;
        let mut next = current.clone();
        next.allocations.retain(|x| x.id != allocation);
        let next = self.store(&mut tx, &current, next, now).await?;
        self.p
            .record(
                &mut tx,
                audit::changed(actor, "deallocated", &current, &next),
            )
            .await?;
        tx.commit().await?;
        Ok(next)
    }

    /// Needs `payments:write`. Refunds unapplied money (`422 amount` above it).
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn refund(
        &self,
        actor: &Actor,
        id: PaymentId,
        input: RefundInput,
    ) -> Result<Payment, DomainError> {
        require::<PaymentsWrite>(actor)?;
        let org = actor.organization_id;
        let today = self.p.today(org).await?;
        let mut errors = Errors::new();
        let amount = errors.value("amount", positive_amount(input.amount));
        let refunded_on = errors.value(
            "refunded_on",
            input.refunded_on.as_deref().map_or(Ok(today), date),
        );
        let reference = errors.value("reference", reference(input.reference.as_deref()));
        errors.finish()?;
        let mut tx = self.p.tx.begin().await?;
        let current = self.p.payments.get_for_update(&mut tx, org, id).await?;
        if amount > current.unapplied_amount {
            return Err(invalid(
                "amount",
                "exceeds_unapplied",
                format!(
                    "{amount} exceeds the payment's unapplied amount ({})",
                    current.unapplied_amount
                ),
            ));
        }
        let now = self.p.now();
        let refund = Refund {
            id: RefundId::new(),
            amount,
            refunded_on,
            reference,
            created_by: actor.user_id,
            created_at: now,
        };
        self.p
            .payments
            .add_refund(&mut tx, org, id, &refund)
            .await?;
        let mut next = current.clone();
        next.refunds.push(refund);
        let next = self.store(&mut tx, &current, next, now).await?;
        self.p
            .record(&mut tx, audit::changed(actor, "refunded", &current, &next))
            .await?;
        tx.commit().await?;
        Ok(next)
    }

    /// Needs `payments:delete`. Removes the payment, its allocations (each invoice's balance
    /// due rises again) and its refunds.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn delete(&self, actor: &Actor, id: PaymentId) -> Result<(), DomainError> {
        require::<PaymentsDelete>(actor)?;
        let org = actor.organization_id;
        let mut tx = self.p.tx.begin().await?;
        let current = self.p.payments.get_for_update(&mut tx, org, id).await?;
        let mut by_invoice: BTreeMap<InvoiceId, i64> = BTreeMap::new();
        for a in &current.allocations {
            *by_invoice.entry(a.invoice_id).or_default() += a.amount;
        }
        let now = self.p.now();
        for (invoice_id, amount) in by_invoice {
            let invoice = self
                .p
                .invoices
                .get_for_update(&mut tx, org, invoice_id)
                .await?;
            let settled = invoice
                .clone()
                .with_balance(invoice.amount_paid - amount, invoice.amount_credited);
            self.p
                .settle(&mut tx, actor, &invoice, settled, now)
                .await?;
        }
        self.p.payments.delete(&mut tx, org, id).await?;
        self.p
            .record(&mut tx, audit::deleted(actor, &current))
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
