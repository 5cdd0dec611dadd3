//! `/invoices`, `POST /invoices/{id}/issue|void`, `POST /quotations/{id}/invoice`, and the
//! printable document of `GET /invoices/{id}/pdf`.

use super::model::{
    DEFAULT_TERMS_DAYS, INVOICE_COUNTER, Invoice, InvoiceId, InvoiceInput, InvoicePatch,
    InvoiceStatus, MAX_TERMS_DAYS, NOTES_MAX, NewDraft, REASON_MAX, SendInput, VoidInput,
};
use crate::FinancePorts;
use crate::balance::PaymentStatus;
use crate::document::{DocumentLine, InvoiceDocument, Party, RenderError};
use crate::requirements::{InvoicesDelete, InvoicesRead, InvoicesWrite};
use chrono::{Datelike, Duration, NaiveDate};
use crm_domain::activity::audit;
use crm_domain::clients::{Client, ClientId};
use crm_domain::identity::{EmailAddress, Organization};
use crm_domain::kernel::input::{Errors, clearable, text};
use crm_domain::kernel::lines::{LineItem, price_items, sums};
use crm_domain::kernel::numbering::begin_numbered;
use crm_domain::kernel::pagination::{ListQuery, Page};
use crm_domain::kernel::references::visible_client;
use crm_domain::kernel::rules::check_version;
use crm_domain::kernel::scope::{in_scope, require};
use crm_domain::kernel::text::{optional_text, required_multiline};
use crm_domain::kernel::values::{currency, date};
use crm_domain::mail::MailAttachment;
use crm_domain::{Actor, DomainError, StoreError, ValueError};
use crm_sales::deals::{DealId, deal_of_client};
use crm_sales::quotations::{QuotationId, QuotationStatus};
use crm_sales::requirements::QuotationsRead;

fn not_draft(what: &str) -> DomainError {
    DomainError::conflict(
        "invoice-not-draft",
        format!("only a draft invoice can be {what}"),
    )
}

fn terms_days(v: i64) -> Result<i32, ValueError> {
    match i32::try_from(v) {
        Ok(d) if (0..=MAX_TERMS_DAYS).contains(&d) => Ok(d),
        _ => Err(ValueError::new(
            "out_of_range",
            format!("must be between 0 and {MAX_TERMS_DAYS} days"),
        )),
    }
}

fn notes(raw: Option<&str>) -> Result<Option<String>, ValueError> {
    optional_text(raw, "text", NOTES_MAX, true)
}

/// The due date: the one set, else the issue date plus the terms (none while both are open).
fn due_of(issue: Option<NaiveDate>, terms: i32, set: Option<NaiveDate>) -> Option<NaiveDate> {
    set.or_else(|| issue.map(|d| d + Duration::days(i64::from(terms))))
}

/// A due date must not come before the issue date.
fn check_due(issue: Option<NaiveDate>, due: Option<NaiveDate>, errors: &mut Errors) {
    if let (Some(i), Some(d)) = (issue, due)
        && d < i
    {
        errors.add(
            "due_date",
            "out_of_range",
            "due_date must not be before issue_date",
        );
    }
}

/// Invoices: drafts, issue, void, from quotations, the printable document.
#[derive(Clone)]
pub struct InvoiceService {
    pub(super) p: FinancePorts,
}

impl InvoiceService {
    pub fn new(ports: FinancePorts) -> Self {
        Self { p: ports }
    }

    /// Needs `invoices:read`. `is_overdue` as of the organization's today.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn list(
        &self,
        actor: &Actor,
        query: &ListQuery,
    ) -> Result<Page<Invoice>, DomainError> {
        require::<InvoicesRead>(actor)?;
        let today = self.p.today(actor.organization_id).await?;
        let page = self
            .p
            .invoices
            .list(actor.organization_id, query, today)
            .await?;
        Ok(page.map(|i| i.as_of(today)))
    }

    /// Needs `invoices:read`; `404` when missing or of another organization.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn get(&self, actor: &Actor, id: InvoiceId) -> Result<Invoice, DomainError> {
        require::<InvoicesRead>(actor)?;
        let i = self.p.invoices.get(actor.organization_id, id).await?;
        let today = self.p.today(actor.organization_id).await?;
        Ok(i.as_of(today))
    }

    /// `404` unless the invoice `id` is one of the caller's organization: what an action
    /// route checks before it reads its body, so that another organization's invoice answers
    /// `404` whatever the body holds. The action checks its permission itself.
    pub async fn exists(&self, actor: &Actor, id: InvoiceId) -> Result<(), DomainError> {
        self.p.invoices.get(actor.organization_id, id).await?;
        Ok(())
    }

    /// Needs `invoices:write`. A draft, priced with the contract's arithmetic; no number
    /// yet. `422` per bad field (a client the caller cannot see, a deal of another client).
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn create(&self, actor: &Actor, input: InvoiceInput) -> Result<Invoice, DomainError> {
        require::<InvoicesWrite>(actor)?;
        let org = actor.organization_id;
        let o = self.p.organizations.get(org).await?;
        let mut errors = Errors::new();
        let issue_date = errors.value(
            "issue_date",
            input.issue_date.as_deref().map(date).transpose(),
        );
        let terms = errors.value(
            "payment_terms_days",
            input
                .payment_terms_days
                .map_or(Ok(DEFAULT_TERMS_DAYS), terms_days),
        );
        let due_set = errors.value("due_date", input.due_date.as_deref().map(date).transpose());
        check_due(issue_date, due_set, &mut errors);
        let currency = match input.currency.as_deref() {
            Some(c) => errors.value("currency", currency(c)),
            None => o.default_currency,
        };
        let items = price_items(&input.items, false, &mut errors);
        let (subtotal, tax_total, total) = errors.value("items", sums(&items));
        let notes_v = errors.value("notes", notes(input.notes.as_deref()));
        let terms_v = errors.value("terms", notes(input.terms.as_deref()));
        self.p
            .check_project(org, input.project_id, &mut errors)
            .await?;
        self.check_client(actor, input.client_id, input.deal_id, &mut errors)
            .await?;
        errors.finish()?;
        let invoice = Invoice {
            deal_id: input.deal_id,
            project_id: input.project_id,
            issue_date,
            due_date: due_of(issue_date, terms, due_set),
            notes: notes_v,
            terms: terms_v,
            ..Invoice::draft(NewDraft {
                organization_id: org,
                client_id: input.client_id,
                currency,
                items,
                totals: (subtotal, tax_total, total),
                payment_terms_days: terms,
                created_by: actor.user_id,
                now: self.p.now(),
            })
        };
        let mut tx = self.p.tx.begin().await?;
        self.p.invoices.create(&mut tx, &invoice).await?;
        self.p
            .record(&mut tx, audit::created(actor, &invoice))
            .await?;
        tx.commit().await?;
        Ok(invoice)
    }

    /// Files `client_id` / `deal_id` refusals: a client the caller may see, a deal of it.
    async fn check_client(
        &self,
        actor: &Actor,
        client: ClientId,
        deal: Option<DealId>,
        errors: &mut Errors,
    ) -> Result<(), DomainError> {
        visible_client(&*self.p.clients, actor, client, "client_id", errors).await?;
        if let Some(d) = deal {
            let found = self.p.deals.get(actor.organization_id, d).await;
            deal_of_client(found, client, errors)?;
        }
        Ok(())
    }

    /// Needs `invoices:write`. Drafts only (`409 invoice-not-draft`); `412` on a stale
    /// version; `422` per bad field. Changed lines are priced again; a due date that followed
    /// the issue date and terms keeps following them.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn update(
        &self,
        actor: &Actor,
        id: InvoiceId,
        expected_version: Option<i64>,
        patch: InvoicePatch,
    ) -> Result<Invoice, DomainError> {
        require::<InvoicesWrite>(actor)?;
        let org = actor.organization_id;
        let mut errors = Errors::new();
        let p = &patch;
        self.p
            .check_project(org, p.project_id.flatten(), &mut errors)
            .await?;
        let mut tx = self.p.tx.begin().await?;
        let current = self.p.invoices.get_for_update(&mut tx, org, id).await?;
        check_version(expected_version, current.version)?;
        if current.status != InvoiceStatus::Draft {
            return Err(not_draft("edited"));
        }
        let mut next = current.clone();
        let derived_due = current.due_date.is_none()
            || current.due_date == due_of(current.issue_date, current.payment_terms_days, None);
        errors.patch(
            "issue_date",
            &mut next.issue_date,
            clearable(p.issue_date.clone(), |d: String| date(&d)),
        );
        errors.patch(
            "payment_terms_days",
            &mut next.payment_terms_days,
            p.payment_terms_days.map(terms_days),
        );
        match &p.due_date {
            Some(Some(d)) => errors.patch("due_date", &mut next.due_date, Some(date(d).map(Some))),
            Some(None) => next.due_date = due_of(next.issue_date, next.payment_terms_days, None),
            None if derived_due => {
                next.due_date = due_of(next.issue_date, next.payment_terms_days, None);
            }
            None => {}
        }
        if p.due_date.is_some() || p.issue_date.is_some() {
            check_due(next.issue_date, next.due_date, &mut errors);
        }
        errors.patch(
            "currency",
            &mut next.currency,
            p.currency.as_deref().map(currency),
        );
        if let Some(raw) = &p.items {
            next.items = price_items(raw, false, &mut errors);
            (next.subtotal, next.tax_total, next.total) = errors.value("items", sums(&next.items));
        }
        errors.patch("notes", &mut next.notes, text(&p.notes, notes));
        errors.patch("terms", &mut next.terms, text(&p.terms, notes));
        if let Some(project) = p.project_id {
            next.project_id = project;
        }
        if let Some(c) = p.client_id {
            next.client_id = c;
        }
        next.deal_id = p.deal_id.unwrap_or(next.deal_id);
        if next.client_id != current.client_id || next.deal_id != current.deal_id {
            let deal = next
                .deal_id
                .filter(|_| next.deal_id != current.deal_id || next.client_id != current.client_id);
            if next.client_id != current.client_id {
                visible_client(
                    &*self.p.clients,
                    actor,
                    next.client_id,
                    "client_id",
                    &mut errors,
                )
                .await?;
            }
            if let Some(d) = deal {
                let found = self.p.deals.get(org, d).await;
                deal_of_client(found, next.client_id, &mut errors)?;
            }
        }
        errors.finish()?;
        let next = next.with_balance(0, 0);
        if next == current {
            return Ok(current.as_of(self.p.today(org).await?));
        }
        let next = Invoice {
            updated_at: self.p.now(),
            version: current.version + 1,
            ..next
        };
        self.p
            .invoices
            .update(&mut tx, &next, current.version)
            .await?;
        self.p
            .record(&mut tx, audit::updated(actor, &current, &next))
            .await?;
        tx.commit().await?;
        Ok(next)
    }

    /// Needs `invoices:delete`. Drafts only (`409 invoice-not-draft`): an issued invoice is
    /// voided, never deleted, and keeps its number.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn delete(&self, actor: &Actor, id: InvoiceId) -> Result<(), DomainError> {
        require::<InvoicesDelete>(actor)?;
        let org = actor.organization_id;
        let mut tx = self.p.tx.begin().await?;
        let current = self.p.invoices.get_for_update(&mut tx, org, id).await?;
        if current.status != InvoiceStatus::Draft {
            return Err(not_draft("deleted"));
        }
        self.p.invoices.delete(&mut tx, org, id).await?;
        self.p
            .record(&mut tx, audit::deleted(actor, &current))
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Needs `invoices:write`. `draft → issued`: the next `INV-YYYY-NNNN` of the issue date's
    /// year, taken in this transaction (a failure gives it back); `issue_date` today (the
    /// organization's) when unset, `due_date` from the terms when unset. `409` when not a
    /// draft, `422 items` without lines, `422 due_date` when it falls before the issue date.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn issue(
        &self,
        actor: &Actor,
        id: InvoiceId,
        expected_version: Option<i64>,
    ) -> Result<Invoice, DomainError> {
        require::<InvoicesWrite>(actor)?;
        let org = actor.organization_id;
        let today = self.p.today(org).await?;
        let mut seen = self.p.invoices.get(org, id).await?;
        // The year is known before the number is taken; a concurrent edit of a draft's
        // issue date to another year is seen under the lock, and the number taken again.
        for _ in 0..3 {
            let issue_date = seen.issue_date.unwrap_or(today);
            let year = issue_date.year();
            let (mut tx, n) =
                begin_numbered(&*self.p.tx, &*self.p.counters, org, INVOICE_COUNTER, year).await?;
            let current = self.p.invoices.get_for_update(&mut tx, org, id).await?;
            check_version(expected_version, current.version)?;
            if current.status != InvoiceStatus::Draft {
                return Err(DomainError::conflict(
                    "invoice-status",
                    format!("a {} invoice cannot be issued", current.status),
                ));
            }
            if current.issue_date.unwrap_or(today) != issue_date {
                seen = current;
                continue;
            }
            let mut errors = Errors::new();
            if current.items.is_empty() {
                errors.add(
                    "items",
                    "required",
                    "an invoice needs at least one line to be issued",
                );
            }
            let due = due_of(
                Some(issue_date),
                current.payment_terms_days,
                current.due_date,
            );
            check_due(Some(issue_date), due, &mut errors);
            errors.finish()?;
            let now = self.p.now();
            let next = Invoice {
                number: Some(Invoice::format_number(year, n)),
                status: InvoiceStatus::Issued,
                issue_date: Some(issue_date),
                due_date: due,
                issued_at: Some(now),
                updated_at: now,
                version: current.version + 1,
                ..current.clone()
            }
            .with_balance(0, 0);
            self.p
                .invoices
                .update(&mut tx, &next, current.version)
                .await?;
            self.p
                .record(&mut tx, audit::changed(actor, "issued", &current, &next))
                .await?;
            if next.payment_status == PaymentStatus::Paid {
                // Nothing to pay (a total of 0): paid as it is issued.
                self.p
                    .record(&mut tx, audit::changed(actor, "paid", &current, &next))
                    .await?;
            }
            tx.commit().await?;
            return Ok(next.as_of(today));
        }
        Err(DomainError::conflict(
            "invoice-changing",
            "the invoice's issue date keeps changing; try again",
        ))
    }

    /// Needs `invoices:write`. `issued → void` with a reason (`422 reason`), only while no
    /// payment is allocated to it (`409`); it keeps its number.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn void(
        &self,
        actor: &Actor,
        id: InvoiceId,
        expected_version: Option<i64>,
        input: VoidInput,
    ) -> Result<Invoice, DomainError> {
        require::<InvoicesWrite>(actor)?;
        let org = actor.organization_id;
        let mut errors = Errors::new();
        let reason = errors.value(
            "reason",
            required_multiline(&input.reason, "reason", REASON_MAX),
        );
        errors.finish()?;
        let mut tx = self.p.tx.begin().await?;
        let current = self.p.invoices.get_for_update(&mut tx, org, id).await?;
        check_version(expected_version, current.version)?;
        if current.status != InvoiceStatus::Issued {
            return Err(DomainError::conflict(
                "invoice-status",
                format!("a {} invoice cannot be voided", current.status),
            ));
        }
        if current.amount_paid > 0 {
            return Err(DomainError::conflict(
                "invoice-has-payments",
                "an invoice with payments allocated cannot be voided; remove the allocations first",
            ));
        }
        let next = Invoice {
            status: InvoiceStatus::Void,
            void_reason: Some(reason),
            updated_at: self.p.now(),
            version: current.version + 1,
            ..current.clone()
        };
        self.p
            .invoices
            .update(&mut tx, &next, current.version)
            .await?;
        self.p
            .record(&mut tx, audit::changed(actor, "voided", &current, &next))
            .await?;
        tx.commit().await?;
        Ok(next.as_of(self.p.today(org).await?))
    }

    /// Needs `invoices:write` and `quotations:read` (of that quotation). A draft invoice with
    /// the quotation's client, deal, currency and lines; only an accepted quotation (`409
    /// quotation-not-accepted`), once (`409 quotation-invoiced`).
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, quotation = %quotation))]
    pub async fn from_quotation(
        &self,
        actor: &Actor,
        quotation: QuotationId,
    ) -> Result<Invoice, DomainError> {
        require::<InvoicesWrite>(actor)?;
        let scope = require::<QuotationsRead>(actor)?;
        let org = actor.organization_id;
        let q = self.p.quotations.get(org, quotation).await?;
        let q = in_scope(actor, scope, q)?;
        let today = self.p.today(org).await?;
        if q.status_on(today) != QuotationStatus::Accepted {
            return Err(DomainError::conflict(
                "quotation-not-accepted",
                "only an accepted quotation can be invoiced",
            ));
        }
        let invoice = Invoice {
            deal_id: q.deal_id,
            quotation_id: Some(q.id),
            ..Invoice::draft(NewDraft {
                organization_id: org,
                client_id: q.client_id,
                currency: q.currency,
                items: q.items.clone(),
                totals: (q.subtotal, q.tax_total, q.total),
                payment_terms_days: DEFAULT_TERMS_DAYS,
                created_by: actor.user_id,
                now: self.p.now(),
            })
        };
        let mut tx = self.p.tx.begin().await?;
        match self.p.invoices.create(&mut tx, &invoice).await {
            Ok(()) => {}
            Err(StoreError::Conflict { .. }) => {
                return Err(DomainError::conflict(
                    "quotation-invoiced",
                    "the quotation has already been invoiced",
                ));
            }
            Err(e) => return Err(e.into()),
        }
        self.p
            .record(&mut tx, audit::created(actor, &invoice))
            .await?;
        tx.commit().await?;
        Ok(invoice)
    }

    /// Needs `invoices:write`. Mails the issued invoice (`409` otherwise) with `pdf` (its
    /// document, rendered by the caller off the async workers) attached, to `to` or the
    /// client's email (`422 to` when the client has none); the mail is queued in the outbox
    /// in the transaction that records `sent_at` and the `sent` entry, so it goes out once,
    /// later if the mail server is down.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn send(
        &self,
        actor: &Actor,
        id: InvoiceId,
        expected_version: Option<i64>,
        input: SendInput,
        pdf: Vec<u8>,
    ) -> Result<Invoice, DomainError> {
        require::<InvoicesWrite>(actor)?;
        let org = actor.organization_id;
        let mut errors = Errors::new();
        let to = errors.value(
            "to",
            input
                .to
                .as_deref()
                .map_or(Ok(None), EmailAddress::parse_optional),
        );
        errors.finish()?;
        let o = self.p.organizations.get(org).await?;
        let today = crm_domain::kernel::clock::local_date(self.p.clock.now(), &o.timezone);
        let mut tx = self.p.tx.begin().await?;
        let current = self.p.invoices.get_for_update(&mut tx, org, id).await?;
        check_version(expected_version, current.version)?;
        if current.status != InvoiceStatus::Issued {
            return Err(DomainError::conflict(
                "invoice-status",
                format!(
                    "a {} invoice cannot be sent; only an issued one",
                    current.status
                ),
            ));
        }
        let to = match to {
            Some(t) => t,
            None => match self.p.clients.get(org, current.client_id).await?.email {
                Some(e) => e,
                None => {
                    return Err(crm_domain::kernel::input::invalid(
                        "to",
                        "required",
                        "the client has no email address: name the recipient in `to`",
                    ));
                }
            },
        };
        let mail = invoice_mail(&*self.p.mail, &o.name, &current, to.as_str(), pdf);
        self.p.outbox.enqueue(&mut tx, Some(org), mail).await?;
        let now = self.p.now();
        let next = Invoice {
            sent_at: Some(now),
            updated_at: now,
            version: current.version + 1,
            ..current.clone()
        };
        self.p
            .invoices
            .update(&mut tx, &next, current.version)
            .await?;
        self.p
            .record(&mut tx, audit::changed(actor, "sent", &current, &next))
            .await?;
        tx.commit().await?;
        Ok(next.as_of(today))
    }

    /// Needs `invoices:read`. The invoice as printed: the organization (seller), the client
    /// (buyer), every line, the totals and the balance due.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn document(
        &self,
        actor: &Actor,
        id: InvoiceId,
    ) -> Result<InvoiceDocument, DomainError> {
        let invoice = self.get(actor, id).await?;
        let org = self.p.organizations.get(actor.organization_id).await?;
        let client = self
            .p
            .clients
            .get(actor.organization_id, invoice.client_id)
            .await?;
        Ok(printable(&invoice, &org, &client))
    }

    /// Lays `doc` out as PDF: CPU work, for a blocking thread.
    pub fn render(&self, doc: &InvoiceDocument) -> Result<Vec<u8>, RenderError> {
        self.p.renderer.invoice_pdf(doc)
    }
}

/// The mail that sends issued `invoice` of the organization `seller` to `to`, its PDF attached.
pub(crate) fn invoice_mail(
    mail: &dyn crm_domain::mail::MailTemplates,
    seller: &str,
    invoice: &Invoice,
    to: &str,
    pdf: Vec<u8>,
) -> crm_domain::mail::OutgoingMail {
    let number = invoice.printed_number().unwrap_or_default();
    let money = |a: i64| crate::document::format_money(a, invoice.currency);
    let mut summary = vec![
        format!("Invoice: {number}"),
        format!("Total: {}", money(invoice.total)),
        format!("Balance due: {}", money(invoice.balance_due)),
    ];
    if let Some(d) = invoice.due_date {
        summary.push(format!("Due date: {d}"));
    }
    let mut m = mail.invoice(to, seller, &number, &summary);
    m.attachments.push(MailAttachment {
        filename: format!("{number}.pdf"),
        content_type: "application/pdf".to_string(),
        content: pdf,
    });
    m
}

/// What the paper shows of `invoice`, sold by `org` to `client`.
pub fn printable(invoice: &Invoice, org: &Organization, client: &Client) -> InvoiceDocument {
    let mut seller = Vec::new();
    if let Some(l) = &org.legal_name {
        seller.push(l.clone());
    }
    if let Some(a) = &org.address {
        seller.extend(a.lines().map(str::to_string));
    }
    if let Some(t) = &org.tax_id {
        seller.push(format!("Tax ID: {t}"));
    }
    if let Some(e) = &org.email {
        seller.push(e.as_str().to_string());
    }
    if let Some(p) = &org.phone {
        seller.push(p.clone());
    }
    let mut buyer: Vec<String> = client
        .address
        .iter()
        .flat_map(|a| a.lines().map(str::to_string))
        .collect();
    if let Some(e) = &client.email {
        buyer.push(e.as_str().to_string());
    }
    if let Some(p) = &client.phone {
        buyer.push(p.clone());
    }
    InvoiceDocument {
        title: "Invoice".to_string(),
        number: invoice.printed_number(),
        issue_date: invoice.issue_date,
        due_date: invoice.due_date,
        currency: invoice.currency,
        seller: Party {
            name: org.name.clone(),
            lines: seller,
        },
        buyer: Party {
            name: client.name.clone(),
            lines: buyer,
        },
        lines: invoice.items.iter().map(line).collect(),
        subtotal: invoice.subtotal,
        tax_total: invoice.tax_total,
        total: invoice.total,
        amount_paid: invoice.amount_paid,
        amount_credited: invoice.amount_credited,
        balance_due: invoice.balance_due,
        notes: invoice.notes.clone(),
        terms: invoice.terms.clone(),
        logo: None,
    }
}

fn line(i: &LineItem) -> DocumentLine {
    DocumentLine {
        description: i.description.clone(),
        quantity: i.quantity.to_string(),
        unit_price: i.unit_price,
        tax_rate: i.tax_rate,
        subtotal: i.subtotal,
        tax: i.tax,
        total: i.total,
    }
}
