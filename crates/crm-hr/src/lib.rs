//! The HR module (contract section 8): for now its pure rules — the arithmetic over many
//! cases that the services, stores and routes of issue 15 will build on. No service, store,
//! route or migration yet.
//!
//! Architecture invariant: no sea-orm, sqlx, actix or lettre in this crate's dependency tree
//! (`scripts/check-architecture.sh`). It depends on `crm-domain` only.
//!
//! What lives where, and the rules enforced:
//! - [`days`]: [`days::Days`], an exact day quantity in hundredths of a day (an `i64`, never
//!   binary floating point): read from a JSON number or string with at most 2 decimals (a
//!   third is `422 too_many_decimals`, never rounded), written as a JSON number with at most
//!   2 decimals; the contract's two roundings (half up to hundredths, nearest half day)
//!   applied once, from exact ratios;
//! - [`schedule`]: a work schedule's rules — IANA `time_zone` known to `chrono-tz`, each
//!   working weekday once (1 = Monday … 7), `HH:MM` hours (an end before the start is a
//!   night shift belonging to the day it starts), a break shorter than the shift, grace and
//!   half-day minutes 0–1440 — checked with every bad field named (`days[2].end`); the
//!   working minutes of a weekday; the organization's standard Monday–Friday 09:00–17:00;
//! - [`leave::counting`]: a request's `days` — working days of the person's schedule from
//!   start to end less the organization's holidays, 0.50 for a half day (`am`|`pm`, single
//!   day only), `422 no_working_days` for none — split per leave year for a request across
//!   new year; the overlap rule (only the two different halves of one day do not overlap);
//! - [`leave::balance`]: the balance engine, one pure replay of the years from the hire
//!   year: upfront entitlement prorated to the half day in the hire year, monthly twelfths
//!   rounded as a total, carry forward capped, used first and lapsing, adjustments, taken
//!   (approved, the whole leave year) and pending; the ledger rows it derives, so the
//!   balance is always the ledger summed; the request check of `allow_negative_days`
//!   (`422 insufficient_balance`). Its module docs list each point the contract leaves open
//!   and what was chosen.
//!
//! Every rule has unit tests on known dates and property tests over thousands of generated
//! cases (counting against the day-by-day walk, the balance against its ledger, monotone
//! accrual, rejected requests changing nothing, the carry cap, replay in any order, a
//! materialised ledger fed back changing nothing).

pub mod days;
pub mod leave;
pub mod schedule;
