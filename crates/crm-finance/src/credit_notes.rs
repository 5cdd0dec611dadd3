//! Credit notes (`/credit-notes`, read; made with `POST /invoices/{id}/credit-notes`):
//! issued at once against an issued invoice with their own gap-free `CN-YYYY-NNNN` series,
//! at most the invoice's balance due, which they lower.

use crate::FinancePorts;
use crate::balance::PaymentStatus;
use crate::invoices::{Invoice, InvoiceId, InvoiceStatus};
use crate::requirements::{CreditNotesRead, CreditNotesWrite};
use async_trait::async_trait;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use crm_domain::activity::audit::{self, Audited};
use crm_domain::clients::ClientId;
use crm_domain::kernel::input::Errors;
use crm_domain::kernel::lines::{LineItem, LineItemInput, price_items, sums};
use crm_domain::kernel::numbering::begin_numbered;
use crm_domain::kernel::pagination::{FieldKind, FieldSpec, ListQuery, ListSpec, Page};
use crm_domain::kernel::scope::require;
use crm_domain::kernel::text::required_multiline;
use crm_domain::kernel::values::date;
use crm_domain::{Actor, Currency, DomainError, OrganizationId, StoreError, Txn, UserId};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

crm_domain::typed_id!(
    /// A credit note of one organization.
    CreditNoteId
);

/// The counter of credit note numbers.
pub const CREDIT_NOTE_COUNTER: &str = "credit_note";
const REASON_MAX: usize = 1000;

/// A credit against an issued invoice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = credit_note_example))]
pub struct CreditNote {
    pub id: CreditNoteId,
    pub organization_id: OrganizationId,
    pub invoice_id: InvoiceId,
    pub client_id: ClientId,
    /// `CN-YYYY-NNNN`, gap-free per organization and year, its own series.
    pub number: String,
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub issue_date: NaiveDate,
    pub reason: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "USD"))]
    pub currency: Currency,
    pub items: Vec<LineItem>,
    pub subtotal: i64,
    pub tax_total: i64,
    pub total: i64,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

#[cfg(feature = "openapi")]
fn credit_note_example() -> serde_json::Value {
    serde_json::json!({
        "id": "019cc0a0-3e80-7566-9b19-1bf4d8441b56",
        "organization_id": "019bb138-1000-71a5-8da4-f9fc3c6da5d7",
        "invoice_id": "019cb9a0-3e80-7566-9b19-1bf4d8441b56",
        "client_id": "019c2304-2480-7896-8534-f45738d048ec",
        "number": "CN-2026-0003",
        "issue_date": "2026-03-10",
        "reason": "Two support hours not delivered",
        "currency": "USD",
        "items": [{
            "description": "Support hours (not delivered)",
            "quantity": "2",
            "unit_price": 9500,
            "tax_rate": 1800,
            "subtotal": 19000,
            "tax": 3420,
            "total": 22420
        }],
        "subtotal": 19000,
        "tax_total": 3420,
        "total": 22420,
        "created_by": "019bb138-13e8-77a9-a564-12a9b8a1abcd",
        "created_at": "2026-03-10T09:00:00.000000Z",
        "updated_at": "2026-03-10T09:00:00.000000Z",
        "version": 1
    })
}

impl Audited for CreditNote {
    const ENTITY: &'static str = "credit_note";
    fn entity_id(&self) -> Uuid {
        self.id.0
    }
}

/// `POST /invoices/{id}/credit-notes`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "reason": "Two support hours not delivered",
    "items": [{
        "description": "Support hours (not delivered)",
        "quantity": "2",
        "unit_price": 9500,
        "tax_rate": 1800
    }]
})))]
pub struct CreditNoteInput {
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::text::<{ REASON_MAX }>))]
    pub reason: String,
    /// At least one line; the total may not exceed the invoice's balance due.
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 200))]
    pub items: Vec<LineItemInput>,
    /// `YYYY-MM-DD`, today (the organization's) when absent; its year is the number's.
    #[cfg_attr(feature = "openapi", schema(format = Date, example = "2026-03-10"))]
    pub issue_date: Option<String>,
}

const CREDIT_NOTE_FIELDS: &[FieldSpec] = &[
    FieldSpec::new("created_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("updated_at", FieldKind::Timestamp).sort(),
    FieldSpec::new("number", FieldKind::Text).sort(),
    FieldSpec::new("issue_date", FieldKind::Date).range().sort(),
    FieldSpec::new("total", FieldKind::Integer).range().sort(),
    FieldSpec::new("invoice_id", FieldKind::Uuid).filter(),
    FieldSpec::new("client_id", FieldKind::Uuid).filter(),
    FieldSpec::new("currency", FieldKind::Text).filter().sort(),
];

/// `GET /credit-notes`: newest first; filters `invoice_id`, `client_id`, `currency`; ranges
/// `created_at`, `issue_date`, `total`; `q` searches the number.
pub const CREDIT_NOTE_LIST_SPEC: ListSpec = ListSpec {
    fields: CREDIT_NOTE_FIELDS,
    default_sort: "-created_at",
    searchable: true,
};

/// Credit notes with their lines.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait CreditNoteRepository: Send + Sync {
    /// Inserts the credit note and its lines. `Conflict` on a duplicate number.
    async fn create(&self, tx: &mut Txn, note: &CreditNote) -> Result<(), StoreError>;
    /// `NotFound` when missing or of another organization.
    async fn get(&self, org: OrganizationId, id: CreditNoteId) -> Result<CreditNote, StoreError>;
    async fn list(
        &self,
        org: OrganizationId,
        query: &ListQuery,
    ) -> Result<Page<CreditNote>, StoreError>;
}

/// Credit notes: issued against an invoice, read.
#[derive(Clone)]
pub struct CreditNoteService {
    p: FinancePorts,
}

impl CreditNoteService {
    pub fn new(ports: FinancePorts) -> Self {
        Self { p: ports }
    }

    /// Needs `credit_notes:read`.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn list(
        &self,
        actor: &Actor,
        query: &ListQuery,
    ) -> Result<Page<CreditNote>, DomainError> {
        require::<CreditNotesRead>(actor)?;
        Ok(self
            .p
            .credit_notes
            .list(actor.organization_id, query)
            .await?)
    }

    /// Needs `credit_notes:read`; `404` when missing or of another organization.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn get(&self, actor: &Actor, id: CreditNoteId) -> Result<CreditNote, DomainError> {
        require::<CreditNotesRead>(actor)?;
        Ok(self.p.credit_notes.get(actor.organization_id, id).await?)
    }

    /// Needs `credit_notes:write`. Issues a credit note against the issued invoice `invoice`
    /// (`409 invoice-status` otherwise) with the next `CN-` number, in one transaction with
    /// the invoice's new balance: its total may not exceed the balance due at that moment
    /// (`422 items`). An invoice whose balance reaches 0 becomes `paid` (`invoice.paid`).
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, invoice = %invoice))]
    pub async fn create(
        &self,
        actor: &Actor,
        invoice: InvoiceId,
        input: CreditNoteInput,
    ) -> Result<CreditNote, DomainError> {
        require::<CreditNotesWrite>(actor)?;
        let org = actor.organization_id;
        let today = self.p.today(org).await?;
        let mut errors = Errors::new();
        let reason = errors.value(
            "reason",
            required_multiline(&input.reason, "reason", REASON_MAX),
        );
        let issue_date = errors.value(
            "issue_date",
            input.issue_date.as_deref().map_or(Ok(today), date),
        );
        let items = price_items(&input.items, true, &mut errors);
        let (subtotal, tax_total, total) = errors.value("items", sums(&items));
        errors.finish()?;
        let (mut tx, n) = begin_numbered(
            &*self.p.tx,
            &*self.p.counters,
            org,
            CREDIT_NOTE_COUNTER,
            issue_date.year(),
        )
        .await?;
        let current = self
            .p
            .invoices
            .get_for_update(&mut tx, org, invoice)
            .await?;
        if current.status != InvoiceStatus::Issued {
            return Err(DomainError::conflict(
                "invoice-status",
                format!(
                    "a {} invoice cannot be credited; only an issued one",
                    current.status
                ),
            ));
        }
        if total > current.balance_due {
            return Err(crm_domain::kernel::input::invalid(
                "items",
                "exceeds_balance",
                format!(
                    "the credit note's total ({total}) exceeds the invoice's balance due ({})",
                    current.balance_due
                ),
            ));
        }
        let now = self.p.now();
        let note = CreditNote {
            id: CreditNoteId::new(),
            organization_id: org,
            invoice_id: current.id,
            client_id: current.client_id,
            number: crm_domain::kernel::numbering::format_number("CN", issue_date.year(), n),
            issue_date,
            reason,
            currency: current.currency,
            items,
            subtotal,
            tax_total,
            total,
            created_by: actor.user_id,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        self.p.credit_notes.create(&mut tx, &note).await?;
        let next = current
            .clone()
            .with_balance(current.amount_paid, current.amount_credited + total);
        self.p.settle(&mut tx, actor, &current, next, now).await?;
        self.p.record(&mut tx, audit::created(actor, &note)).await?;
        tx.commit().await?;
        Ok(note)
    }
}

impl FinancePorts {
    /// Stores the new balance of an invoice read locked in `tx` (a version more), with its
    /// `paid` entry (`invoice.paid`) when it just reached a balance of 0.
    pub(crate) async fn settle(
        &self,
        tx: &mut Txn,
        actor: &Actor,
        current: &Invoice,
        next: Invoice,
        now: DateTime<Utc>,
    ) -> Result<Invoice, DomainError> {
        let next = Invoice {
            updated_at: now,
            version: current.version + 1,
            ..next
        };
        self.invoices.update(tx, &next, current.version).await?;
        if next.payment_status == PaymentStatus::Paid
            && current.payment_status != PaymentStatus::Paid
        {
            self.record(tx, audit::changed(actor, "paid", current, &next))
                .await?;
        }
        Ok(next)
    }
}

#[cfg(test)]
#[path = "credit_notes_tests.rs"]
mod tests;
