//! sea-orm entities. Private to this crate: rows become domain types in the repositories.

pub mod activity;
pub mod department;
pub mod designation;
pub mod organization;
pub mod outbox;
pub mod refresh_token;
pub mod role;
pub mod user;
pub mod user_role;
pub mod verification_code;
