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
pub mod pipelines;
pub mod quotations;
#[cfg(test)]
mod test_support;
pub mod tracking;

pub use common::MAX_AMOUNT;

use crate::deals::{Deal, DealRepository};
use crate::leads::{Lead, LeadRepository};
use crate::pipelines::PipelineRepository;
use crate::quotations::QuotationRepository;
use crate::tracking::ClientTrackingRepository;
use crm_domain::TxManager;
use crm_domain::activity::ActivityRepository;
use crm_domain::clients::{Client, ClientRepository};
use crm_domain::identity::{Clock, UserRepository};
use crm_domain::kernel::numbering::DocumentCounterRepository;
use crm_domain::kernel::records::Records;
use std::sync::Arc;

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

/// Every port the sales services use, wired once by the composition root.
///
/// Tenancy rule, as everywhere: every repository method takes the organization of the caller's
/// token and answers `StoreError::NotFound` for a record of another organization exactly as
/// for a missing one. Writes take the caller's transaction so a change, its audit entry and
/// what it causes (a stage-history row, a client's lifecycle) commit together. Updates store a
/// record whose `version` is already the new one, where the stored version is
/// `expected_version`: `Stale` on a mismatch, `NotFound` when the row is gone.
#[derive(Clone)]
pub struct SalesPorts {
    pub tx: Arc<dyn TxManager>,
    pub leads: Arc<dyn Records<Lead>>,
    /// The open lead of an email address.
    pub lead_emails: Arc<dyn LeadRepository>,
    pub pipelines: Arc<dyn PipelineRepository>,
    pub deals: Arc<dyn Records<Deal>>,
    /// Stage history, board and forecast of deals.
    pub deal_stages: Arc<dyn DealRepository>,
    pub quotations: Arc<dyn QuotationRepository>,
    /// Gap-free document numbers (`Q-2026-0001`).
    pub counters: Arc<dyn DocumentCounterRepository>,
    /// Client summary and timeline, computed by the store.
    pub tracking: Arc<dyn ClientTrackingRepository>,
    /// Clients created by lead conversion, checked as references, made customers by won deals.
    pub clients: Arc<dyn Records<Client>>,
    /// A won deal makes its client a customer.
    pub client_lifecycle: Arc<dyn ClientRepository>,
    /// To check that an `owner_id` is a user of the organization.
    pub users: Arc<dyn UserRepository>,
    pub activities: Arc<dyn ActivityRepository>,
    /// Creation times and the date quotations expire against.
    pub clock: Arc<dyn Clock>,
}

/// The permissions of the sales routes and services, as types.
/// Declared here, with the module's event and notification types, so that a new resource
/// of the module registers in this one file.
pub mod requirements {
    crm_domain::requirements! {
        LeadsRead = "leads":"read";
        LeadsWrite = "leads":"write";
        LeadsDelete = "leads":"delete";
        PipelinesRead = "pipelines":"read";
        PipelinesWrite = "pipelines":"write";
        PipelinesDelete = "pipelines":"delete";
        DealsRead = "deals":"read";
        DealsWrite = "deals":"write";
        DealsDelete = "deals":"delete";
        QuotationsRead = "quotations":"read";
        QuotationsWrite = "quotations":"write";
        QuotationsDelete = "quotations":"delete";
    }

    crm_domain::event_types! {
        "lead.created" => "A lead was created",
        "lead.updated" => "A lead was changed",
        "lead.deleted" => "A lead was deleted",
        "lead.converted" => "A lead was converted into a client and a deal",
        "pipeline.created" => "A pipeline was created",
        "pipeline.updated" => "A pipeline or its stages were changed",
        "pipeline.deleted" => "A pipeline was deleted",
        "deal.created" => "A deal was created",
        "deal.updated" => "A deal was changed (other than a move to another stage)",
        "deal.stage_changed" => "A deal moved to another stage (with or without other changes)",
        "deal.deleted" => "A deal was deleted",
        "deal.won" => "A deal was won",
        "deal.lost" => "A deal was lost",
        "quotation.created" => "A quotation was created",
        "quotation.updated" => "A quotation was changed",
        "quotation.deleted" => "A quotation was deleted",
        "quotation.sent" => "A quotation was sent to its client",
        "quotation.accepted" => "A quotation was accepted",
        "quotation.rejected" => "A quotation was rejected",
    }

    // Something given to the owner or decided for them by someone else; never the actor's own.
    crm_domain::notification_types! {
        "lead.assigned" => "A lead was assigned to you": assigned("lead");
        "lead.converted" => "Your lead was converted into a client and a deal": decided("lead", "converted");
        "deal.assigned" => "A deal was assigned to you": assigned("deal");
        "quotation.assigned" => "A quotation was assigned to you": assigned("quotation");
        "quotation.accepted" => "Your quotation was accepted": decided("quotation", "accepted");
        "quotation.rejected" => "Your quotation was rejected": decided("quotation", "rejected");
    }
}
