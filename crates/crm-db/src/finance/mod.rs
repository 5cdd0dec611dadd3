//! sea-orm adapters of the finance ports: invoices, credit notes, payments with their
//! allocations and refunds, recurring invoice templates, reports, expenses, contracts,
//! proposals.

mod contracts;
mod credit_notes;
mod expenses;
mod invoices;
mod payments;
mod proposals;
mod recurring;
mod reports;

pub use credit_notes::SqlCreditNoteRepository;
/// The finance tables other adapters read (the client timeline).
pub(crate) use credit_notes::entity as credit_note_entity;
/// The expenses table the project report sums.
pub(crate) use expenses::{Column as ExpenseColumn, Entity as ExpenseEntity};
pub(crate) use invoices::entity as invoice_entity;
pub(crate) use payments::entity as payment_entity;
/// `Records<Contract>` and `ContractLookups`.
pub type SqlContractRepository = crate::SqlRecords<contracts::Entity>;
/// `Records<Expense>` and `ExpenseLookups`.
pub type SqlExpenseRepository = crate::SqlRecords<expenses::Entity>;
pub use invoices::SqlInvoiceRepository;
pub use payments::SqlPaymentRepository;
pub use proposals::SqlProposalRepository;
pub use recurring::SqlRecurringInvoiceRepository;
pub use reports::SqlReportRepository;

use crm_domain::TxManager;
use crm_domain::activity::ActivityRepository;
use crm_domain::clients::Client;
use crm_domain::identity::{Clock, OrganizationRepository, UserRepository};
use crm_domain::kernel::records::Records;
use crm_domain::mail::{MailTemplates, OutboxRepository};
use crm_finance::FinancePorts;
use crm_finance::document::DocumentRenderer;
use sea_orm::DatabaseConnection;
use std::sync::Arc;

/// What the finance ports share with the other modules.
pub struct Shared {
    pub tx: Arc<dyn TxManager>,
    pub clients: Arc<dyn Records<Client>>,
    pub organizations: Arc<dyn OrganizationRepository>,
    pub users: Arc<dyn UserRepository>,
    pub activities: Arc<dyn ActivityRepository>,
    pub clock: Arc<dyn Clock>,
    pub renderer: Arc<dyn DocumentRenderer>,
    pub outbox: Arc<dyn OutboxRepository>,
    pub mail: Arc<dyn MailTemplates>,
}

/// The ports of the finance services on `db`, as the server (`crm-api`'s `app.rs`) and the
/// integration tests wire them.
pub fn ports(db: &DatabaseConnection, shared: Shared) -> FinancePorts {
    FinancePorts {
        tx: shared.tx,
        invoices: Arc::new(SqlInvoiceRepository::new(db.clone())),
        credit_notes: Arc::new(SqlCreditNoteRepository::new(db.clone())),
        payments: Arc::new(SqlPaymentRepository::new(db.clone())),
        recurring: Arc::new(SqlRecurringInvoiceRepository::new(db.clone())),
        reports: Arc::new(SqlReportRepository::new(db.clone())),
        counters: Arc::new(crate::SqlDocumentCounterRepository::new(db.clone())),
        clients: shared.clients,
        deals: Arc::new(crate::sales::SqlDealRepository::new(db.clone())),
        quotations: Arc::new(crate::SqlQuotationRepository::new(db.clone())),
        organizations: shared.organizations,
        users: shared.users,
        activities: shared.activities,
        clock: shared.clock,
        renderer: shared.renderer,
        outbox: shared.outbox,
        mail: shared.mail,
        expenses: Arc::new(SqlExpenseRepository::new(db.clone())),
        expense_lookups: Arc::new(SqlExpenseRepository::new(db.clone())),
        contracts: Arc::new(SqlContractRepository::new(db.clone())),
        contract_lookups: Arc::new(SqlContractRepository::new(db.clone())),
        proposals: Arc::new(SqlProposalRepository::new(db.clone())),
        leads: Arc::new(crate::sales::SqlLeadRepository::new(db.clone())),
        projects: Arc::new(crate::projects::SqlProjectRepository::new(db.clone())),
        tasks: Arc::new(crate::projects::SqlTaskRepository::new(db.clone())),
        project_time: Arc::new(crate::projects::SqlTimeEntryRepository::new(db.clone())),
    }
}
