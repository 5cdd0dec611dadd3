//! Adapters of domain ports that need neither the database nor mail: password hashing, keyed
//! secret hashing, random secrets, access tokens, the clock.

mod argon2id;
pub mod clock;
pub mod import_targets;
pub mod passwords;
pub mod record_access;
pub mod secrets;
pub mod webhooks;
