//! Domain crate for the finance module (entities, rules and ports), built up by issue #13:
//! so far the recurrence schedule of recurring invoices and the derived payment state.
//!
//! Architecture invariant: no sea-orm, sqlx, actix or lettre in this crate's dependency tree.

pub mod balance;
pub mod document;
pub mod schedule;
