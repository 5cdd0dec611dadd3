//! Roles: named sets of permission codes, assigned to users; the permission catalogue.

mod model;
mod ports;
mod service;

pub use model::{ROLE_LIST_SPEC, Role, RoleInput, RolePatch, RoleSummary};
pub use ports::*;
pub use service::RoleService;
