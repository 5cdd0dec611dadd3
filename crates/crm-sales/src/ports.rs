//! Every port the sales services use, wired once by the composition root.
//!
//! Tenancy rule, as everywhere: every repository method takes the organization of the caller's
//! token and answers `StoreError::NotFound` for a record of another organization exactly as
//! for a missing one. Writes take the caller's transaction so a change, its audit entry and
//! what it causes (a stage-history row, a client's lifecycle) commit together. Updates store a
//! record whose `version` is already the new one, where the stored version is
//! `expected_version`: `Stale` on a mismatch, `NotFound` when the row is gone.

use crate::deals::{Deal, DealRepository};
use crate::leads::{Lead, LeadRepository};
use crate::numbering::DocumentCounterRepository;
use crate::pipelines::PipelineRepository;
use crate::quotations::QuotationRepository;
use crate::tracking::ClientTrackingRepository;
use crm_domain::TxManager;
use crm_domain::activity::ActivityRepository;
use crm_domain::clients::{Client, ClientRepository};
use crm_domain::identity::{Clock, UserRepository};
use crm_domain::kernel::records::Records;
use std::sync::Arc;

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
