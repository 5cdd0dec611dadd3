//! Time entries: a ledger of work. Each entry carries its work date, minutes, billability
//! and a snapshot of the project's hourly rate (`bill_rate`); once invoiced it is frozen.
//!
//! Rules here, enforced by the service in the writing transaction:
//! - minutes 1..=1440 ([`minutes`]); one person's entries of one day sum to at most 1440
//!   ([`check_day_total`], on the day's other entries read in the same transaction), `422
//!   minutes` otherwise;
//! - a timer's minutes are the started-to-stopped time rounded up to whole minutes, at least
//!   1 ([`timer_minutes`]); one running entry per person (`409 timer-running`);
//! - an invoiced entry cannot be changed or deleted ([`check_not_invoiced`], `409
//!   time-entry-invoiced`);
//! - project invoicing ([`invoice_lines`]): one line per task and bill rate of unbilled
//!   billable time, untasked time on its own line.

mod model;
mod service;

pub use model::*;
pub use service::TimeEntryService;
