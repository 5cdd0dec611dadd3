//! The finance module: invoices, credit notes, payments with allocations, recurring
//! invoices, expenses, contracts, proposals and reports — entities, rules and ports. Adapters (crm-db, crm-api, crm-pdf) implement and call them.
//!
//! Architecture invariant: no sea-orm, sqlx, actix or lettre in this crate's dependency tree.
//!
//! Rules and where they are enforced:
//! - tenancy: every repository method takes the organization of the caller's token; another
//!   organization's record is `NotFound` → `404`;
//! - permissions: `invoices`, `credit_notes`, `payments` `:read|write|delete`, all records
//!   (finance has no `:own` form); a client the caller cannot see is `422 client_id`;
//! - derived state: an invoice's `amount_paid`, `amount_credited`, `balance_due` and
//!   `payment_status`, and a payment's allocated, refunded and unapplied amounts, are sums of
//!   their allocation, credit-note and refund rows, written in the transaction that writes
//!   those rows, from the row it holds locked; never edited by a request;
//! - money moves under locks: every write that moves money locks the payment, then the
//!   invoices it touches in id order, and checks balances on the locked rows, so two payments
//!   racing for the last part of one invoice never both win, and two writers never deadlock;
//! - expenses: `:own` is the expenses the caller submitted; only the submitter submits, and
//!   never approves or rejects their own (`403`);
//! - contracts: numbered `CT-` on creation; the daily job tells, renews or expires each
//!   contract once per date, under a `SKIP LOCKED` claim;
//! - numbers: `INV-`, `CN-` and `CT-` numbers come from the kernel's gap-free counters, taken
//!   in the transaction that issues (contracts: that creates) the document; a rollback gives
//!   the number back, and invoice drafts hold none.
//! - proposals: `:own` is the proposals the caller owns; `expired` is read on the
//!   organization's today, never stored (as quotations);

pub mod balance;
pub mod contracts;
pub mod credit_notes;
pub mod document;
pub mod expenses;
pub mod invoices;
pub mod payments;
pub mod proposals;
pub mod recurring;
pub mod reports;
pub mod schedule;
#[cfg(test)]
mod test_support;

use crate::contracts::{Contract, ContractLookups};
use crate::credit_notes::CreditNoteRepository;
use crate::document::DocumentRenderer;
use crate::expenses::{Expense, ExpenseLookups};
use crate::invoices::InvoiceRepository;
use crate::payments::PaymentRepository;
use crate::proposals::Proposal;
use crate::recurring::RecurringInvoiceRepository;
use crate::reports::ReportRepository;
use chrono::{DateTime, NaiveDate, Utc};
use crm_domain::activity::{ActivityRepository, NewActivity};
use crm_domain::clients::Client;
use crm_domain::identity::{Clock, OrganizationRepository, UserRepository};
use crm_domain::kernel::numbering::DocumentCounterRepository;
use crm_domain::kernel::records::Records;
use crm_domain::mail::{MailTemplates, OutboxRepository};
use crm_domain::{DomainError, OrganizationId, TxManager, Txn};
use crm_projects::ports::TimeStore;
use crm_projects::projects::Project;
use crm_projects::tasks::Task;
use crm_sales::deals::Deal;
use crm_sales::leads::Lead;
use crm_sales::quotations::QuotationRepository;
use std::sync::Arc;

/// The services of the finance module, as the server holds them.
#[derive(Clone)]
pub struct FinanceServices {
    pub invoices: invoices::InvoiceService,
    pub credit_notes: credit_notes::CreditNoteService,
    pub payments: payments::PaymentService,
    pub recurring: recurring::RecurringInvoiceService,
    pub reports: reports::ReportService,
    /// What the module's scheduled jobs run on.
    ports: FinancePorts,
    pub expenses: expenses::ExpenseService,
    pub contracts: contracts::ContractService,
    pub proposals: proposals::ProposalService,
}

impl FinanceServices {
    pub fn new(ports: FinancePorts) -> Self {
        Self {
            invoices: invoices::InvoiceService::new(ports.clone()),
            credit_notes: credit_notes::CreditNoteService::new(ports.clone()),
            recurring: recurring::RecurringInvoiceService::new(ports.clone()),
            reports: reports::ReportService::new(ports.clone()),
            payments: payments::PaymentService::new(ports.clone()),
            expenses: expenses::ExpenseService::new(ports.clone()),
            contracts: contracts::ContractService::new(ports.clone()),
            proposals: proposals::ProposalService::new(ports.clone()),
            ports,
        }
    }

    /// The module's scheduled work, for the server's scheduler.
    pub fn jobs(&self) -> Vec<std::sync::Arc<dyn crm_domain::jobs::Job>> {
        vec![
            std::sync::Arc::new(recurring::RecurringInvoiceJob::new(self.ports.clone())),
            std::sync::Arc::new(invoices::InvoiceOverdueJob::new(self.ports.clone())),
            std::sync::Arc::new(contracts::ContractJob::new(self.ports.clone())),
        ]
    }
}

/// Every port the finance services use, wired once by the composition root. Tenancy and
/// writes as in every module: each method takes the caller's organization, writes take the
/// caller's transaction, updates are conditional on the stored version.
#[derive(Clone)]
pub struct FinancePorts {
    pub tx: Arc<dyn TxManager>,
    pub invoices: Arc<dyn InvoiceRepository>,
    pub credit_notes: Arc<dyn CreditNoteRepository>,
    pub payments: Arc<dyn PaymentRepository>,
    pub recurring: Arc<dyn RecurringInvoiceRepository>,
    /// Receivables and revenue, aggregated by the store.
    pub reports: Arc<dyn ReportRepository>,
    /// Gap-free document numbers (`INV-2026-0001`, `CN-2026-0001`).
    pub counters: Arc<dyn DocumentCounterRepository>,
    pub clients: Arc<dyn Records<Client>>,
    pub deals: Arc<dyn Records<Deal>>,
    /// Invoices made from accepted quotations.
    pub quotations: Arc<dyn QuotationRepository>,
    /// The organization's currency, time zone and the seller block of documents.
    pub organizations: Arc<dyn OrganizationRepository>,
    pub users: Arc<dyn UserRepository>,
    pub activities: Arc<dyn ActivityRepository>,
    pub clock: Arc<dyn Clock>,
    /// Invoices as PDF.
    pub renderer: Arc<dyn DocumentRenderer>,
    /// Invoices mailed to clients, queued with the change that sends them.
    pub outbox: Arc<dyn OutboxRepository>,
    pub mail: Arc<dyn MailTemplates>,
    /// Expenses (`:own` by `submitted_by`), and what they look up: approvers, receipts.
    pub expenses: Arc<dyn Records<Expense>>,
    pub expense_lookups: Arc<dyn ExpenseLookups>,
    /// Contracts, and what their job and files look up.
    pub contracts: Arc<dyn Records<Contract>>,
    pub contract_lookups: Arc<dyn ContractLookups>,
    /// Proposals (`:own` by `owner_id`; listed with the day their status is read on).
    pub proposals: Arc<dyn Records<Proposal>>,
    /// The leads proposals are for: who may see them, their address, their converted client.
    pub leads: Arc<dyn Records<Lead>>,
    /// Projects that invoices and expenses name, their tasks (the lines of project
    /// invoicing) and their unbilled time.
    pub projects: Arc<dyn Records<Project>>,
    pub tasks: Arc<dyn Records<Task>>,
    pub project_time: Arc<dyn TimeStore>,
}

impl FinancePorts {
    /// Now, as stored.
    pub(crate) fn now(&self) -> DateTime<Utc> {
        crm_domain::kernel::clock::stored(self.clock.now())
    }

    /// Today's date in the organization's time zone (what invoices fall overdue against).
    pub(crate) async fn today(&self, org: OrganizationId) -> Result<NaiveDate, DomainError> {
        let o = self.organizations.get(org).await?;
        Ok(crm_domain::kernel::clock::local_date(
            self.clock.now(),
            &o.timezone,
        ))
    }

    /// Files `422 project_id` unless `project` (when named) is a project of `org`.
    pub(crate) async fn check_project(
        &self,
        org: OrganizationId,
        project: Option<uuid::Uuid>,
        errors: &mut crm_domain::kernel::input::Errors,
    ) -> Result<(), DomainError> {
        if let Some(id) = project {
            let found = self
                .projects
                .get(org, crm_projects::projects::ProjectId(id))
                .await;
            errors.reference("project_id", "project", found)?;
        }
        Ok(())
    }

    pub(crate) async fn record(&self, tx: &mut Txn, entry: NewActivity) -> Result<(), DomainError> {
        Ok(self.activities.record(tx, entry).await?)
    }
}

/// The permissions of the finance routes and services, as types, with the module's event
/// and notification types.
pub mod requirements {
    crm_domain::requirements! {
        InvoicesRead = "invoices":"read";
        InvoicesWrite = "invoices":"write";
        InvoicesDelete = "invoices":"delete";
        CreditNotesRead = "credit_notes":"read";
        CreditNotesWrite = "credit_notes":"write";
        PaymentsRead = "payments":"read";
        PaymentsWrite = "payments":"write";
        PaymentsDelete = "payments":"delete";
        RecurringInvoicesRead = "recurring_invoices":"read";
        RecurringInvoicesWrite = "recurring_invoices":"write";
        RecurringInvoicesDelete = "recurring_invoices":"delete";
        ReportsRead = "reports":"read";
        ExpensesRead = "expenses":"read";
        ExpensesWrite = "expenses":"write";
        ExpensesDelete = "expenses":"delete";
        ExpensesApprove = "expenses":"approve";
        ContractsRead = "contracts":"read";
        ContractsWrite = "contracts":"write";
        ContractsDelete = "contracts":"delete";
        ProposalsRead = "proposals":"read";
        ProposalsWrite = "proposals":"write";
        ProposalsDelete = "proposals":"delete";
    }

    crm_domain::event_types! {
        "invoice.created" => "An invoice was created (as a draft)",
        "invoice.updated" => "A draft invoice was changed",
        "invoice.deleted" => "A draft invoice was deleted",
        "invoice.issued" => "An invoice was issued and numbered",
        "invoice.voided" => "An issued invoice was voided",
        "invoice.sent" => "An invoice was mailed to its client",
        "invoice.paid" => "An invoice's balance due reached 0, by payments, credit notes or both",
        "invoice.overdue" => "An issued invoice passed its due date with a balance due",
        "credit_note.created" => "A credit note was issued against an invoice",
        "payment.created" => "A payment was recorded",
        "payment.updated" => "A payment's details were changed",
        "payment.deleted" => "A payment was deleted, with its allocations",
        "payment.allocated" => "Part of a payment was allocated to an invoice",
        "payment.deallocated" => "An allocation of a payment was removed",
        "payment.refunded" => "Part of a payment was refunded",
        "recurring_invoice.created" => "A recurring invoice template was created",
        "recurring_invoice.updated" => "A recurring invoice template was changed",
        "recurring_invoice.deleted" => "A recurring invoice template was deleted",
        "recurring_invoice.paused" => "A recurring invoice template was paused",
        "recurring_invoice.resumed" => "A recurring invoice template was resumed",
        "expense.created" => "An expense was recorded (as a draft)",
        "expense.updated" => "A draft expense was changed",
        "expense.deleted" => "A draft expense was deleted",
        "expense.submitted" => "An expense was submitted for approval",
        "expense.approved" => "A submitted expense was approved, in full or in part",
        "expense.rejected" => "A submitted expense was rejected, with a reason",
        "expense.reimbursed" => "An approved expense was paid back",
        "contract.created" => "A contract was created (as a numbered draft), or by a renewal",
        "contract.updated" => "A contract was changed",
        "contract.deleted" => "A draft contract was deleted",
        "contract.activated" => "A draft contract became active",
        "contract.terminated" => "An active contract was ended early, with a reason",
        "contract.renewed" => "A contract was renewed: a successor takes over from the day after its end",
        "contract.expired" => "An active contract's end passed without renewal",
        "contract.notice_due" => "An active contract reached its notice date (end less notice days)",
        "proposal.created" => "A proposal was created (as a draft)",
        "proposal.updated" => "A draft proposal was changed",
        "proposal.deleted" => "A draft proposal was deleted",
        "proposal.sent" => "A proposal was mailed to its client or lead",
        "proposal.accepted" => "A sent proposal was accepted",
        "proposal.declined" => "A sent proposal was declined",
        "proposal.quoted" => "A draft quotation was made from a proposal",
    }

    fn expense_approved(e: &crm_domain::activity::NewActivity) -> Vec<crm_domain::UserId> {
        crate::expenses::submitter_of(e, "approved")
    }
    fn expense_rejected(e: &crm_domain::activity::NewActivity) -> Vec<crm_domain::UserId> {
        crate::expenses::submitter_of(e, "rejected")
    }
    fn expense_reimbursed(e: &crm_domain::activity::NewActivity) -> Vec<crm_domain::UserId> {
        crate::expenses::submitter_of(e, "reimbursed")
    }

    fn contract_notice_due(e: &crm_domain::activity::NewActivity) -> Vec<crm_domain::UserId> {
        crate::contracts::owner_of(e, "notice_due")
    }
    fn contract_renewed(e: &crm_domain::activity::NewActivity) -> Vec<crm_domain::UserId> {
        crate::contracts::owner_of(e, "renewed")
    }
    fn contract_expired(e: &crm_domain::activity::NewActivity) -> Vec<crm_domain::UserId> {
        crate::contracts::owner_of(e, "expired")
    }

    // `expense.submitted` goes to the approvers the submission's audit entry lists (the
    // service reads them before it writes: a rule sees only the entry).
    crm_domain::notification_types! {
        "invoice.overdue" => "An invoice of your client is overdue": custom(crate::invoices::client_owner);
        "expense.submitted" => "An expense waits for your approval": listed("expense", "submitted");
        "expense.approved" => "Your expense was approved": custom(expense_approved);
        "expense.rejected" => "Your expense was rejected": custom(expense_rejected);
        "expense.reimbursed" => "Your expense was reimbursed": custom(expense_reimbursed);
        "contract.notice_due" => "A contract you own reached its notice date": custom(contract_notice_due);
        "contract.renewed" => "A contract you own was renewed": custom(contract_renewed);
        "contract.expired" => "A contract you own expired": custom(contract_expired);
    }
}
