//! Leads: people or companies that might buy, before they are clients. A lead is converted
//! into a client (new or existing), optionally with a deal, in one transaction; an open lead's
//! email is unique within the organization.

mod model;
mod ports;
mod service;

pub use model::{
    ConvertDealInput, ConvertLeadInput, LEAD_LIST_SPEC, Lead, LeadConversion, LeadId, LeadInput,
    LeadPatch, LeadStatus,
};
pub use ports::*;
pub use service::{CheckedPatch, LeadService, Patched};
