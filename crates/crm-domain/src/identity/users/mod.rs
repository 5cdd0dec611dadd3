//! Users: the members of an organization, their status and their roles.

mod model;
mod ports;
mod service;

pub use model::{CreateUserInput, USER_LIST_SPEC, User, UserPatch, UserStatus};
pub use ports::*;
pub use service::UserService;
