//! sea-orm entities. Private to this crate: rows become domain types in the repositories.

pub mod activity;
pub mod organization;
pub mod outbox;
pub mod role;
pub mod user;
pub mod user_role;
