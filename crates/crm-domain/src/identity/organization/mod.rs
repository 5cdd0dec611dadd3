//! The organization (tenant): its profile, which its members read and admins edit.

mod model;
mod ports;
mod service;

pub use model::{Organization, OrganizationPatch};
pub use ports::*;
pub use service::OrganizationService;
