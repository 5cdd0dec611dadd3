//! Outgoing mail: the mailer port, the outbox port, and the dispatcher that drains the outbox.
//!
//! A use case never sends mail directly: it enqueues an [`OutgoingMail`] through
//! [`OutboxRepository::enqueue`] in its own transaction. The [`OutboxDispatcher`] later claims due
//! messages and hands them to the [`Mailer`]; a failure reschedules with exponential backoff, so
//! an SMTP outage delays mail but never fails the request that caused it.

mod dispatcher;
mod ports;

pub use dispatcher::{DispatchReport, OutboxDispatcher, RetryPolicy};
pub use ports::*;
