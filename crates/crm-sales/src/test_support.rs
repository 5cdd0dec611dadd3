//! Mocks and fixtures shared by the sales service tests.

use crate::SalesPorts;
use crate::deals::{Deal, DealId, DealStatus, MockDealRepository};
use crate::leads::{Lead, LeadId, LeadStatus, MockLeadRepository};
use crate::pipelines::{MockPipelineRepository, Pipeline, PipelineId, Stage, StageId};
use crate::quotations::{MockQuotationRepository, Quotation, QuotationId, QuotationStatus};
use crate::tracking::MockClientTrackingRepository;
use chrono::NaiveDate;
use crm_domain::activity::MockActivityRepository;
use crm_domain::clients::{Client, ClientId, ClientKind, Lifecycle, MockClientRepository};
use crm_domain::identity::MockUserRepository;
use crm_domain::kernel::lines::price_line;
use crm_domain::kernel::money::Quantity;
use crm_domain::kernel::numbering::MockDocumentCounterRepository;
use crm_domain::kernel::records::MockRecords;
pub use crm_domain::kernel::testing::{FixedClock, ORG, Probe, actor, now};
use crm_domain::{Currency, OrganizationId, UserId};
use std::sync::Arc;

pub fn today() -> NaiveDate {
    now().date_naive()
}

/// Every port as a strict mock (an unexpected call fails the test), except the audit log,
/// which accepts anything and keeps it for inspection.
pub struct Env {
    pub leads: MockRecords<Lead>,
    pub lead_emails: MockLeadRepository,
    pub pipelines: MockPipelineRepository,
    pub deals: MockRecords<Deal>,
    pub deal_stages: MockDealRepository,
    pub quotations: MockQuotationRepository,
    pub counters: MockDocumentCounterRepository,
    pub tracking: MockClientTrackingRepository,
    pub clients: MockRecords<Client>,
    pub client_lifecycle: MockClientRepository,
    pub users: MockUserRepository,
    activities: MockActivityRepository,
    probe: Probe,
}

impl Env {
    pub fn new() -> Self {
        let probe = Probe::default();
        Self {
            leads: MockRecords::new(),
            lead_emails: MockLeadRepository::new(),
            pipelines: MockPipelineRepository::new(),
            deals: MockRecords::new(),
            deal_stages: MockDealRepository::new(),
            quotations: MockQuotationRepository::new(),
            counters: MockDocumentCounterRepository::new(),
            tracking: MockClientTrackingRepository::new(),
            clients: MockRecords::new(),
            client_lifecycle: MockClientRepository::new(),
            users: MockUserRepository::new(),
            activities: probe.activities(),
            probe,
        }
    }

    pub fn build(self) -> (SalesPorts, Probe) {
        let probe = self.probe.clone();
        let ports = SalesPorts {
            tx: self.probe.tx_manager(),
            leads: Arc::new(self.leads),
            lead_emails: Arc::new(self.lead_emails),
            pipelines: Arc::new(self.pipelines),
            deals: Arc::new(self.deals),
            deal_stages: Arc::new(self.deal_stages),
            quotations: Arc::new(self.quotations),
            counters: Arc::new(self.counters),
            tracking: Arc::new(self.tracking),
            clients: Arc::new(self.clients),
            client_lifecycle: Arc::new(self.client_lifecycle),
            users: Arc::new(self.users),
            activities: Arc::new(self.activities),
            clock: Arc::new(FixedClock::default()),
        };
        (ports, probe)
    }
}

pub fn usd() -> Currency {
    Currency::parse("USD").unwrap()
}

pub fn lead(org: OrganizationId, owner: UserId, status: LeadStatus) -> Lead {
    let t = now() - chrono::Duration::days(3);
    Lead {
        id: LeadId::new(),
        organization_id: org,
        name: "Ann Lee".into(),
        email: Some(crm_domain::identity::EmailAddress::parse("ann@acme.io").unwrap()),
        phone: None,
        company: Some("Acme".into()),
        source: Some("website".into()),
        status,
        owner_id: owner,
        estimated_amount: Some(100_000),
        currency: Some(usd()),
        score: Some(50),
        converted_client_id: None,
        converted_deal_id: None,
        legacy_id: None,
        created_at: t,
        updated_at: t,
        version: 1,
    }
}

pub fn pipeline(org: OrganizationId, is_default: bool) -> Pipeline {
    let t = now() - chrono::Duration::days(3);
    Pipeline {
        id: PipelineId::new(),
        organization_id: org,
        name: if is_default { "Sales" } else { "Other" }.into(),
        is_default,
        stages: [("Qualification", 10), ("Proposal", 40), ("Negotiation", 70)]
            .iter()
            .enumerate()
            .map(|(i, (n, p))| Stage {
                id: StageId::new(),
                name: (*n).into(),
                position: i as i32,
                probability: *p,
                legacy_id: None,
            })
            .collect(),
        legacy_id: None,
        created_at: t,
        updated_at: t,
        version: 1,
    }
}

pub fn deal(org: OrganizationId, owner: UserId, p: &Pipeline) -> Deal {
    let t = now() - chrono::Duration::days(3);
    Deal {
        id: DealId::new(),
        organization_id: org,
        title: "Deal".into(),
        client_id: None,
        lead_id: None,
        pipeline_id: p.id,
        stage_id: p.stages[0].id,
        amount: 100_000,
        currency: usd(),
        probability: p.stages[0].probability,
        expected_close_date: None,
        owner_id: owner,
        status: DealStatus::Open,
        lost_reason: None,
        closed_at: None,
        legacy_id: None,
        created_at: t,
        updated_at: t,
        version: 1,
    }
}

pub fn client(org: OrganizationId, owner: UserId) -> Client {
    let t = now() - chrono::Duration::days(3);
    Client {
        id: ClientId::new(),
        organization_id: org,
        name: "Acme".into(),
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
        lifecycle: Lifecycle::Prospect,
        legacy_id: None,
        created_at: t,
        updated_at: t,
        version: 1,
    }
}

pub fn quotation(
    org: OrganizationId,
    owner: UserId,
    status: QuotationStatus,
    valid_until: NaiveDate,
) -> Quotation {
    let t = now() - chrono::Duration::days(3);
    let item = price_line(
        "Work".into(),
        Quantity::from_thousandths(1000),
        10_000,
        1800,
    )
    .unwrap();
    Quotation {
        id: QuotationId::new(),
        organization_id: org,
        client_id: ClientId::new(),
        deal_id: None,
        owner_id: owner,
        number: "Q-2026-0001".into(),
        issue_date: valid_until - chrono::Duration::days(30),
        valid_until,
        currency: usd(),
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
