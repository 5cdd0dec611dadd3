//! The sales module: leads, pipelines, deals, quotations and customer tracking — entities,
//! rules and ports. Adapters (crm-db, crm-api) implement and call them.
//!
//! Architecture invariant: no sea-orm, sqlx, actix or lettre in this crate's dependency tree.
//!
//! Rules and where they are enforced:
//! - tenancy: every repository method takes the organization of the caller's token; another
//!   organization's record is `NotFound` → `404`;
//! - permissions: each service method checks [`crm_domain::Actor::scope`] for
//!   `leads|deals|quotations|pipelines:read|write|delete`; under the `:own` form a caller sees
//!   and changes only records whose `owner_id` is itself (`404` for the others) and cannot
//!   assign them to anyone else (`422` on `owner_id`);
//! - atomicity: each write opens one transaction for the change, its audit entry (with the
//!   changed fields) and its consequences (stage history, a client becoming a customer, the
//!   client and deal of a conversion, the quotation number);
//! - concurrency: `If-Match` versions are checked (`412`), and updates are conditional on
//!   the stored version so a lost race is never silently overwritten.

mod common;
pub mod deals;
pub mod leads;
pub mod numbering;
pub mod pipelines;
mod ports;
pub mod quotations;
pub mod requirements;
#[cfg(test)]
mod test_support;
pub mod tracking;

pub use common::MAX_AMOUNT;
pub use ports::SalesPorts;

/// The services of the sales module, as the server holds them.
#[derive(Clone)]
pub struct SalesServices {
    pub leads: leads::LeadService,
    pub pipelines: pipelines::PipelineService,
    pub deals: deals::DealService,
    pub quotations: quotations::QuotationService,
    pub tracking: tracking::TrackingService,
}

impl SalesServices {
    pub fn new(ports: SalesPorts) -> Self {
        Self {
            leads: leads::LeadService::new(ports.clone()),
            pipelines: pipelines::PipelineService::new(ports.clone()),
            deals: deals::DealService::new(ports.clone()),
            quotations: quotations::QuotationService::new(ports.clone()),
            tracking: tracking::TrackingService::new(ports),
        }
    }
}
