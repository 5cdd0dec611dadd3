//! Shared kernel and core modules of the CRM.
//!
//! Architecture invariant: this crate depends on no database, web or mail crate
//! (no sea-orm, sqlx, actix or lettre). Adapters implement the ports declared here.

pub mod activity;
pub mod clients;
pub mod events;
pub mod files;
pub mod idempotency;
pub mod identity;
pub mod imports;
pub mod jobs;
pub mod kernel;
pub mod mail;
pub mod notifications;
pub mod webhooks;

pub use kernel::context::{Actor, Permission, PermissionSet, Scope};
pub use kernel::error::{DomainError, StoreError};
pub use kernel::ids::*;
pub use kernel::money::{Currency, Money, MoneyError};
pub use kernel::pagination::{Cursor, Limit, ListQuery, Page, SortDir, SortKey};
pub use kernel::uow::{Tx, TxManager, Txn};
pub use kernel::validation::{FieldError, ValueError};
