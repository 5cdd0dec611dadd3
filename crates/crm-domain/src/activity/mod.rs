//! The activity (audit) log: who changed what, when, with before and after values.
//!
//! Entries are written through [`ActivityRepository::record`] inside the transaction of the
//! change they describe, so a change without its entry (or the reverse) cannot be committed.

pub mod audit;
mod model;
mod ports;
mod service;

pub use audit::Audited;
pub use model::{
    Activity, FieldChange, LIST_SPEC, NewActivity, change_entry, diff_fields, redacted,
};
pub use ports::*;
pub use service::ActivityService;
