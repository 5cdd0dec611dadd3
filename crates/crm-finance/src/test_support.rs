//! Mocks and fixtures shared by the finance service tests.

use crate::FinancePorts;
use crate::balance::PaymentStatus;
use crate::contracts::{Contract, MockContractLookups};
use crate::credit_notes::MockCreditNoteRepository;
use crate::document::MockDocumentRenderer;
use crate::expenses::{Expense, MockExpenseLookups};
use crate::invoices::{Invoice, InvoiceId, InvoiceStatus, MockInvoiceRepository};
use crate::payments::{
    Allocation, AllocationId, MockPaymentRepository, Payment, PaymentId, PaymentMethod,
};
use crate::proposals::Proposal;
use crate::recurring::MockRecurringInvoiceRepository;
use crate::reports::MockReportRepository;
use chrono::{DateTime, NaiveDate, Utc};
use crm_domain::activity::MockActivityRepository;
use crm_domain::clients::{Client, ClientId, ClientKind, Lifecycle};
use crm_domain::identity::{MockOrganizationRepository, MockUserRepository, Organization};
use crm_domain::kernel::lines::{LineItem, price_line};
use crm_domain::kernel::money::Quantity;
use crm_domain::kernel::numbering::MockDocumentCounterRepository;
use crm_domain::kernel::records::MockRecords;
pub use crm_domain::kernel::testing::{FixedClock, ORG, Probe, actor, now};
use crm_domain::{Currency, OrganizationId, StoreError, UserId};
use crm_sales::deals::Deal;
use crm_sales::leads::Lead;
use crm_sales::quotations::{MockQuotationRepository, Quotation, QuotationId, QuotationStatus};
use std::sync::Arc;

/// Every permission the finance services check, with `clients:read` and `quotations:read`.
pub const ALL: &[&str] = &[
    "invoices:read",
    "invoices:write",
    "invoices:delete",
    "credit_notes:read",
    "credit_notes:write",
    "payments:read",
    "payments:write",
    "payments:delete",
    "clients:read",
    "quotations:read",
];

/// Every port as a strict mock (an unexpected call fails the test), except the audit log,
/// which accepts anything and keeps it for inspection, and the clock, which is stopped.
pub struct Env {
    pub invoices: MockInvoiceRepository,
    pub credit_notes: MockCreditNoteRepository,
    pub payments: MockPaymentRepository,
    pub recurring: MockRecurringInvoiceRepository,
    pub reports: MockReportRepository,
    pub counters: MockDocumentCounterRepository,
    pub clients: MockRecords<Client>,
    pub deals: MockRecords<Deal>,
    pub quotations: MockQuotationRepository,
    pub organizations: MockOrganizationRepository,
    pub users: MockUserRepository,
    pub renderer: MockDocumentRenderer,
    pub outbox: crm_domain::mail::MockOutboxRepository,
    pub mail: crm_domain::mail::MockMailTemplates,
    pub expenses: MockRecords<Expense>,
    pub expense_lookups: MockExpenseLookups,
    pub contracts: MockRecords<Contract>,
    pub contract_lookups: MockContractLookups,
    pub proposals: MockRecords<Proposal>,
    pub leads: MockRecords<Lead>,
    pub projects: MockRecords<crm_projects::projects::Project>,
    pub tasks: MockRecords<crm_projects::tasks::Task>,
    pub project_time: crm_projects::ports::MockTimeStore,
    /// The clock the services read (default: [`now`], 2026-03-01 12:00 UTC).
    pub clock: FixedClock,
    activities: MockActivityRepository,
    probe: Probe,
}

impl Env {
    pub fn new() -> Self {
        let probe = Probe::default();
        Self {
            invoices: MockInvoiceRepository::new(),
            credit_notes: MockCreditNoteRepository::new(),
            payments: MockPaymentRepository::new(),
            recurring: MockRecurringInvoiceRepository::new(),
            reports: MockReportRepository::new(),
            counters: MockDocumentCounterRepository::new(),
            clients: MockRecords::new(),
            deals: MockRecords::new(),
            quotations: MockQuotationRepository::new(),
            organizations: MockOrganizationRepository::new(),
            users: MockUserRepository::new(),
            renderer: MockDocumentRenderer::new(),
            outbox: crm_domain::mail::MockOutboxRepository::new(),
            mail: crm_domain::mail::MockMailTemplates::new(),
            expenses: MockRecords::new(),
            expense_lookups: MockExpenseLookups::new(),
            contracts: MockRecords::new(),
            contract_lookups: MockContractLookups::new(),
            proposals: MockRecords::new(),
            leads: MockRecords::new(),
            projects: MockRecords::new(),
            tasks: MockRecords::new(),
            project_time: crm_projects::ports::MockTimeStore::new(),
            clock: FixedClock::default(),
            activities: probe.activities(),
            probe,
        }
    }

    /// `organizations.get` answers `org` for the organization of the tests, any number of
    /// times.
    pub fn with_org(mut self, org: Organization) -> Self {
        self.organizations
            .expect_get()
            .withf(|id| *id == ORG)
            .returning(move |_| Ok(org.clone()));
        self
    }

    /// `clients.get` answers `client` for its id, `NotFound` for any other.
    pub fn with_client(mut self, client: Client) -> Self {
        self.clients.expect_get().returning(move |o, id| {
            if o == client.organization_id && id == client.id {
                Ok(client.clone())
            } else {
                Err(StoreError::NotFound)
            }
        });
        self
    }

    /// The counter of `kind` for 2026 exists and hands out `n`.
    pub fn with_number(mut self, kind: &'static str, n: i64) -> Self {
        self.counters
            .expect_next()
            .withf(move |_, o, k, y| *o == ORG && k == kind && *y == 2026)
            .times(1)
            .returning(move |_, _, _, _| Ok(n));
        self
    }

    pub fn build(self) -> (FinancePorts, Probe) {
        let probe = self.probe.clone();
        let ports = FinancePorts {
            tx: self.probe.tx_manager(),
            invoices: Arc::new(self.invoices),
            credit_notes: Arc::new(self.credit_notes),
            payments: Arc::new(self.payments),
            recurring: Arc::new(self.recurring),
            reports: Arc::new(self.reports),
            counters: Arc::new(self.counters),
            clients: Arc::new(self.clients),
            deals: Arc::new(self.deals),
            quotations: Arc::new(self.quotations),
            organizations: Arc::new(self.organizations),
            users: Arc::new(self.users),
            activities: Arc::new(self.activities),
            clock: Arc::new(self.clock),
            renderer: Arc::new(self.renderer),
            outbox: Arc::new(self.outbox),
            mail: Arc::new(self.mail),
            expenses: Arc::new(self.expenses),
            expense_lookups: Arc::new(self.expense_lookups),
            contracts: Arc::new(self.contracts),
            contract_lookups: Arc::new(self.contract_lookups),
            proposals: Arc::new(self.proposals),
            leads: Arc::new(self.leads),
            projects: Arc::new(self.projects),
            tasks: Arc::new(self.tasks),
            project_time: Arc::new(self.project_time),
        };
        (ports, probe)
    }
}

/// The audit actions recorded, in order.
pub fn actions(probe: &Probe) -> Vec<&'static str> {
    probe.audit().iter().map(|e| e.action).collect()
}

pub fn usd() -> Currency {
    Currency::parse("USD").unwrap()
}

pub fn eur() -> Currency {
    Currency::parse("EUR").unwrap()
}

pub fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

pub fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// The organization of the tests ([`ORG`]), in USD and UTC.
pub fn organization() -> Organization {
    organization_in("UTC")
}

/// The organization of the tests ([`ORG`]), in USD and the time zone `zone`.
pub fn organization_in(zone: &str) -> Organization {
    Organization {
        id: ORG,
        timezone: zone.to_string(),
        ..Organization::new("Acme Services".into(), usd(), now())
    }
}

pub fn client(org: OrganizationId, owner: UserId) -> Client {
    let t = now() - chrono::Duration::days(3);
    Client {
        id: ClientId::new(),
        organization_id: org,
        name: "Globex".into(),
        kind: ClientKind::Company,
        email: None,
        phone: None,
        website: None,
        industry: None,
        parent_id: None,
        owner_id: owner,
        status: Client::DEFAULT_STATUS.into(),
        tags: vec![],
        address: None,
        lifecycle: Lifecycle::Customer,
        legacy_id: None,
        created_at: t,
        updated_at: t,
        version: 1,
    }
}

/// One line of `total` minor units, tax free.
pub fn line_of(total: i64) -> LineItem {
    price_line("Work".into(), Quantity::from_thousandths(1000), total, 0).unwrap()
}

/// A draft of `client` with one line of `total` (none when `total` is 0), no dates, 30 days
/// of terms, in USD.
pub fn draft(client: ClientId, total: i64) -> Invoice {
    let t = now() - chrono::Duration::days(3);
    let items = if total == 0 {
        vec![]
    } else {
        vec![line_of(total)]
    };
    Invoice {
        id: InvoiceId::new(),
        organization_id: ORG,
        client_id: client,
        deal_id: None,
        project_id: None,
        quotation_id: None,
        recurring_invoice_id: None,
        period_start: None,
        number: None,
        status: InvoiceStatus::Draft,
        payment_status: PaymentStatus::Unpaid,
        is_overdue: false,
        issue_date: None,
        payment_terms_days: 30,
        due_date: None,
        currency: usd(),
        items,
        subtotal: total,
        tax_total: 0,
        total,
        amount_paid: 0,
        amount_credited: 0,
        balance_due: total,
        notes: None,
        terms: None,
        issued_at: None,
        sent_at: None,
        void_reason: None,
        created_by: UserId::new(),
        legacy_id: None,
        legacy_number: None,
        created_at: t,
        updated_at: t,
        version: 1,
    }
}

/// An issued invoice of `client` (`INV-2026-0001`, issued 2026-02-01, due 2026-03-03) with
/// `total`, `paid` and `credited`, at version 2.
pub fn issued(client: ClientId, total: i64, paid: i64, credited: i64) -> Invoice {
    Invoice {
        number: Some("INV-2026-0001".into()),
        status: InvoiceStatus::Issued,
        issue_date: Some(day("2026-02-01")),
        due_date: Some(day("2026-03-03")),
        issued_at: Some(at("2026-02-01T09:00:00Z")),
        version: 2,
        ..draft(client, total)
    }
    .with_balance(paid, credited)
}

/// A payment of `client` of `amount` USD received 2026-02-20, with `allocations` as
/// `(invoice, amount)`, its sums set, at version 1.
pub fn payment(client: ClientId, amount: i64, allocations: &[(InvoiceId, i64)]) -> Payment {
    let t = now() - chrono::Duration::days(2);
    Payment {
        id: PaymentId::new(),
        organization_id: ORG,
        client_id: client,
        amount,
        currency: usd(),
        received_on: day("2026-02-20"),
        method: PaymentMethod::BankTransfer,
        reference: Some("TRX-1".into()),
        notes: None,
        allocations: allocations
            .iter()
            .map(|(invoice_id, amount)| Allocation {
                id: AllocationId::new(),
                invoice_id: *invoice_id,
                amount: *amount,
                created_at: t,
            })
            .collect(),
        refunds: vec![],
        allocated_amount: 0,
        refunded_amount: 0,
        unapplied_amount: 0,
        created_by: UserId::new(),
        legacy_id: None,
        created_at: t,
        updated_at: t,
        version: 1,
    }
    .summed()
}

/// A quotation of `client` in `status` (`Q-2026-0001`, one line of 10 000 + 18 % tax, valid
/// until 2026-03-31).
pub fn quotation(client: ClientId, status: QuotationStatus) -> Quotation {
    let t = now() - chrono::Duration::days(5);
    let item = price_line(
        "Work".into(),
        Quantity::from_thousandths(1000),
        10_000,
        1800,
    )
    .unwrap();
    Quotation {
        id: QuotationId::new(),
        organization_id: ORG,
        client_id: client,
        deal_id: None,
        owner_id: UserId::new(),
        number: "Q-2026-0001".into(),
        issue_date: day("2026-02-24"),
        valid_until: day("2026-03-31"),
        currency: eur(),
        subtotal: item.subtotal,
        tax_total: item.tax,
        total: item.total,
        items: vec![item],
        status,
        legacy_id: None,
        created_at: t,
        updated_at: t,
        version: 1,
    }
}

/// Every permission the recurring invoice service checks, with `clients:read`.
pub const RECURRING: &[&str] = &[
    "recurring_invoices:read",
    "recurring_invoices:write",
    "recurring_invoices:delete",
    "clients:read",
];

/// An active template of `client` for the organization of the tests: every `frequency`
/// from `start` (`YYYY-MM-DD`), no limit, nothing made yet, one tax-free line of 10 000 USD,
/// 30 days of terms, issued as made, at version 1 (`next_issue_date` = `start`).
pub fn template(
    client: ClientId,
    start: &str,
    frequency: crate::schedule::Frequency,
) -> crate::recurring::RecurringInvoice {
    let t = now() - chrono::Duration::days(10);
    crate::recurring::RecurringInvoice {
        id: crate::recurring::RecurringInvoiceId::new(),
        organization_id: ORG,
        client_id: client,
        currency: usd(),
        items: vec![line_of(10_000)],
        subtotal: 10_000,
        tax_total: 0,
        total: 10_000,
        payment_terms_days: 30,
        frequency,
        interval: 1,
        start_date: day(start),
        end_date: None,
        max_occurrences: None,
        auto_issue: true,
        auto_send: false,
        status: crate::recurring::RecurringStatus::Active,
        next_issue_date: None,
        occurrences_done: 0,
        notes: Some("Monthly retainer".into()),
        terms: None,
        created_by: UserId::new(),
        created_at: t,
        updated_at: t,
        version: 1,
    }
    .rescheduled()
}

/// `template` with `done` occurrences made (`next_issue_date` and `status` to match).
pub fn template_done(
    template: crate::recurring::RecurringInvoice,
    done: i32,
) -> crate::recurring::RecurringInvoice {
    crate::recurring::RecurringInvoice {
        occurrences_done: done,
        ..template
    }
    .rescheduled()
}
