//! The [`RecordAccess`] port of files, one adapter per record type a file may be attached to,
//! each delegating to its module's get-by-id (so `:own` scopes apply exactly as on the
//! record's own route). A module that adds a record type adds its line to [`record_types`].

use async_trait::async_trait;
use crm_domain::clients::{ClientId, ClientServices};
use crm_domain::files::RecordAccess;
use crm_domain::{Actor, DomainError};
use crm_finance::FinanceServices;
use crm_finance::contracts::ContractId;
use crm_finance::credit_notes::CreditNoteId;
use crm_finance::expenses::ExpenseId;
use crm_finance::invoices::InvoiceId;
use crm_finance::payments::PaymentId;
use crm_finance::proposals::ProposalId;
use crm_hr::HrServices;
use crm_hr::recruitment::applications::ApplicationId;
use crm_hr::recruitment::candidates::CandidateId;
use crm_projects::ProjectServices;
use crm_projects::projects::ProjectId;
use crm_projects::tasks::TaskId;
use crm_sales::SalesServices;
use crm_sales::deals::DealId;
use crm_sales::leads::LeadId;
use crm_sales::quotations::QuotationId;
use std::sync::Arc;
use uuid::Uuid;

/// A record type read through a service call; `resource` is its permission resource.
struct Via<F> {
    resource: &'static str,
    get: F,
}

#[async_trait]
impl<F, Fut> RecordAccess for Via<F>
where
    F: Fn(Actor, Uuid) -> Fut + Send + Sync,
    Fut: std::future::Future<Output = Result<(), DomainError>> + Send,
{
    async fn readable(&self, actor: &Actor, id: Uuid) -> Result<(), DomainError> {
        (self.get)(actor.clone(), id).await
    }

    fn reads_all(&self, actor: &Actor) -> bool {
        actor.can_all(self.resource, "read")
    }
}

fn via<F, Fut>(resource: &'static str, get: F) -> Arc<dyn RecordAccess>
where
    F: Fn(Actor, Uuid) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<(), DomainError>> + Send + 'static,
{
    Arc::new(Via { resource, get })
}

/// Every record type files may be attached to: one adapter per name of
/// `crm_domain::files::RECORD_TYPES` (the list the OpenAPI document shows).
pub fn record_types(
    clients: &ClientServices,
    sales: &SalesServices,
    finance: &FinanceServices,
    projects: &ProjectServices,
    hr: &HrServices,
) -> Vec<(&'static str, Arc<dyn RecordAccess>)> {
    crm_domain::files::RECORD_TYPES
        .iter()
        .filter_map(
            |name| match access_for(name, clients, sales, finance, projects, hr) {
                Some(a) => Some((*name, a)),
                None => {
                    tracing::error!(
                        record_type = name,
                        "files: no access adapter for this record type"
                    );
                    None
                }
            },
        )
        .collect()
}

/// The adapter reading records through `service.get(actor, Id(id))` under `resource`.
macro_rules! get_via {
    ($resource:literal, $service:expr, $id:path) => {{
        let s = $service.clone();
        via($resource, move |a, id| {
            let s = s.clone();
            async move { s.get(&a, $id(id)).await.map(|_| ()) }
        })
    }};
}

fn access_for(
    name: &str,
    clients: &ClientServices,
    sales: &SalesServices,
    finance: &FinanceServices,
    projects: &ProjectServices,
    hr: &HrServices,
) -> Option<Arc<dyn RecordAccess>> {
    Some(match name {
        "client" => get_via!("clients", clients.clients, ClientId),
        "lead" => get_via!("leads", sales.leads, LeadId),
        "deal" => get_via!("deals", sales.deals, DealId),
        "quotation" => get_via!("quotations", sales.quotations, QuotationId),
        "invoice" => get_via!("invoices", finance.invoices, InvoiceId),
        "credit_note" => get_via!("credit_notes", finance.credit_notes, CreditNoteId),
        "payment" => get_via!("payments", finance.payments, PaymentId),
        "expense" => get_via!("expenses", finance.expenses, ExpenseId),
        "contract" => get_via!("contracts", finance.contracts, ContractId),
        "proposal" => get_via!("proposals", finance.proposals, ProposalId),
        "project" => get_via!("projects", projects.projects, ProjectId),
        "task" => get_via!("tasks", projects.tasks, TaskId),
        "candidate" => get_via!("candidates", hr.candidates, CandidateId),
        "application" => get_via!("applications", hr.applications, ApplicationId),
        _ => return None,
    })
}

/// The messages module's [`crm_messages::FileAccess`]: a file the caller may read, as
/// `GET /files/{id}` decides it (a file attached to a record follows the record).
pub struct FilesOf(pub crm_domain::files::FileService);

#[async_trait]
impl crm_messages::FileAccess for FilesOf {
    async fn readable(&self, actor: &Actor, id: Uuid) -> Result<(), DomainError> {
        match self.0.get(actor, crm_domain::files::FileId(id)).await {
            Ok(_) => Ok(()),
            Err(DomainError::Forbidden { .. }) => Err(DomainError::NotFound),
            Err(e) => Err(e),
        }
    }
}
