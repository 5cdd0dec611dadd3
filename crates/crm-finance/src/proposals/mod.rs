//! Proposals: a sales document for a lead or a client before a quotation — a Markdown `body`,
//! optional priced lines (the arithmetic of quotations), moving `draft → sent → accepted |
//! declined`, and reading `expired` once a sent proposal's `valid_until` has passed (the
//! organization's local date; derived on read, never stored, as quotations do). Only drafts
//! are edited or deleted; `POST /proposals/{id}/quotation` makes a draft quotation of it.
//!
//! `:own` is the proposals the caller owns (`owner_id`, the creator by default).

mod model;
mod service;
#[cfg(test)]
mod tests;

pub use model::{
    BODY_MAX, PROPOSAL_LIST_SPEC, Proposal, ProposalId, ProposalInput, ProposalPatch,
    ProposalScope, ProposalStatus, SendProposalInput, TITLE_MAX,
};
pub use service::ProposalService;
