//! Mail delivery for the CRM: the lettre adapter of the domain's mailer port.
//!
//! `crm-domain` decides *that* a mail goes out: a use case queues an
//! [`OutgoingMail`](crm_domain::mail::OutgoingMail) in the outbox inside its own transaction, and
//! the domain's `OutboxDispatcher` later hands each due message to a
//! [`Mailer`](crm_domain::mail::Mailer), retrying [`MailError::Temporary`] failures with backoff
//! and giving up on [`MailError::Permanent`] ones. This crate decides *how* it goes out:
//!
//! - [`build_mailer`] turns [`MailConfig`] (the `mail` settings section) into one of
//!   [`SmtpMailer`] (a real server, through lettre), [`FileMailer`] (`.eml` files, for
//!   development and tests) or [`LogMailer`] (a log line only);
//! - [`Templates`] implements the domain's [`MailTemplates`](crm_domain::mail::MailTemplates):
//!   the subjects and the plain-text and HTML bodies of the product's mails.
//!
//! ```no_run
//! # fn main() -> Result<(), crm_mail::MailSetupError> {
//! use crm_mail::{build_mailer, MailConfig, Templates, TransportKind};
//!
//! let cfg = MailConfig { transport: TransportKind::File, ..MailConfig::default() };
//! let mailer = build_mailer(&cfg)?; // Arc<dyn crm_domain::mail::Mailer>
//! let templates = Templates::new("Acme CRM");
//! # let _ = (mailer, templates);
//! # Ok(())
//! # }
//! ```
//!
//! [`MailError::Temporary`]: crm_domain::mail::MailError::Temporary
//! [`MailError::Permanent`]: crm_domain::mail::MailError::Permanent

mod config;
mod error;
mod file;
mod log;
mod message;
mod smtp;
mod templates;
mod transport;

pub use config::{MailConfig, SmtpConfig, TlsMode, TransportKind};
pub use error::MailSetupError;
pub use file::FileMailer;
pub use log::LogMailer;
pub use smtp::SmtpMailer;
pub use templates::Templates;
pub use transport::{build_mailer, parse_from};
