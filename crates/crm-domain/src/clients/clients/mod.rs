//! Clients: companies and people the organization sells to, nested as sub-clients.

mod model;
mod ports;
mod service;

pub use model::{
    CLIENT_ADDRESS_MAX, CLIENT_INDUSTRY_MAX, CLIENT_LIST_SPEC, CLIENT_NAME_MAX, CLIENT_STATUS_MAX,
    Client, ClientId, ClientInput, ClientKind, ClientPatch, Lifecycle,
};
pub use ports::*;
pub use service::ClientService;
