use thiserror::Error;

/// Why [`crate::build_mailer`] refused the settings. Raised at startup, so a bad setting stops the
/// server with a clear message instead of failing every mail later.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum MailSetupError {
    /// `mail.from` is not a mailbox (`addr@domain` or `Name <addr@domain>`).
    #[error("mail.from {from:?} is not a valid address: {reason}")]
    InvalidFrom { from: String, reason: String },
    /// The SMTP settings cannot make a transport (for example a host name TLS cannot verify).
    #[error("invalid SMTP settings: {0}")]
    InvalidSmtp(String),
}
