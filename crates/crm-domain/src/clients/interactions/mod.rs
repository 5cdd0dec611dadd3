//! Interactions: calls, emails, meetings and notes with a client.

mod model;
mod ports;
mod service;

pub use model::{
    INTERACTION_LIST_SPEC, Interaction, InteractionId, InteractionInput, InteractionKind,
    InteractionPatch, SUMMARY_MAX,
};
pub use ports::*;
pub use service::InteractionService;
