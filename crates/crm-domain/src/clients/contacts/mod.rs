//! Contacts: the people at a client, at most one of them primary.

mod model;
mod ports;
mod service;

pub use model::{
    CONTACT_LIST_SPEC, CONTACT_NAME_MAX, CONTACT_TITLE_MAX, Contact, ContactId, ContactInput,
    ContactPatch,
};
pub use ports::*;
pub use service::ContactService;
