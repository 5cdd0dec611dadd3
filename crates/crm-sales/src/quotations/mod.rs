//! Quotations: priced offers to a client, numbered `Q-YYYY-NNNN` without gaps per
//! organization and year, moving `draft → sent → accepted | rejected`, and `expired` once
//! `valid_until` has passed while sent. Only drafts can be edited.

mod model;
mod ports;
mod service;

pub use model::{
    QUOTATION_COUNTER, QUOTATION_LIST_SPEC, Quotation, QuotationId, QuotationInput, QuotationPatch,
    QuotationStatus,
};
pub use ports::*;
pub use service::QuotationService;
