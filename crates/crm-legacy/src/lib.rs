//! `crm import legacy --from mysql://…` (contract section 10): the original Node.js server's
//! database read and written here as organizations, users and records, each keeping its old
//! id as `legacy_id`.
//!
//! * `rules`: the pure mapping rules (time zone, JSON, roles, amounts, lines and totals).
//! * `source`: the MySQL source, read-only, its real columns first.
//! * `import`: the run: every table in one transaction of the target, matched on
//!   `(organization_id, legacy_id)` so a second run creates nothing twice.
//! * `report`: the summary per table and the CSV of what could not be taken as it was.
//!
//! The target is written through the modules' own repositories (crm-db), not their services:
//! a service opens a transaction per use case, and the run must be one transaction (a failed
//! run leaves no half-written table), with no audit entries, mail or webhooks for history.

pub mod import;
pub mod report;
pub mod rules;
pub mod source;

pub use import::{ImportError, Options, Progress, Target, run};
pub use report::{Counts, Finding, Outcome, Report, Step};
pub use source::{Source, SourceError};
