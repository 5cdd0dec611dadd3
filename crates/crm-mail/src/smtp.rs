//! Delivery through an SMTP server with lettre.

use crate::config::{SmtpConfig, TlsMode};
use crate::error::MailSetupError;
use crate::message;
use async_trait::async_trait;
use crm_domain::mail::{MailError, Mailer, OutgoingMail};
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::{AsyncSmtpTransport, AsyncSmtpTransportBuilder};
use lettre::{AsyncTransport, Tokio1Executor};
use std::error::Error as _;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

type Transport = AsyncSmtpTransport<Tokio1Executor>;

/// Sends each message to the configured SMTP server, reusing connections between messages.
///
/// The connection pool is created at the first [`Mailer::send`], so constructing the mailer
/// needs no Tokio runtime; sending, and dropping a mailer that has sent, must happen inside one
/// (lettre's pool spawns its housekeeping onto it).
pub struct SmtpMailer {
    host: String,
    port: u16,
    timeout: Duration,
    from: Mailbox,
    builder: AsyncSmtpTransportBuilder,
    transport: Mutex<Option<Arc<Transport>>>,
}

impl SmtpMailer {
    /// Prepares the transport; fails when the TLS settings cannot work with `cfg.host`.
    pub fn new(cfg: &SmtpConfig, from: Mailbox) -> Result<Self, MailSetupError> {
        let host = cfg.host.trim().to_owned();
        if host.is_empty() {
            return Err(MailSetupError::InvalidSmtp(
                "mail.smtp.host is empty".to_owned(),
            ));
        }
        let mut builder = match cfg.tls {
            TlsMode::None => Transport::builder_dangerous(host.as_str()),
            TlsMode::Starttls => Transport::starttls_relay(&host)
                .map_err(|e| MailSetupError::InvalidSmtp(format!("STARTTLS to {host}: {e}")))?,
            TlsMode::Tls => Transport::relay(&host)
                .map_err(|e| MailSetupError::InvalidSmtp(format!("TLS to {host}: {e}")))?,
        };
        // Zero would mean "wait forever" to some readers and "fail at once" to others: neither
        // is useful for a mail server, so one second is the floor.
        let timeout = Duration::from_secs(cfg.timeout_secs.max(1));
        builder = builder.port(cfg.port).timeout(Some(timeout));
        if let Some(username) = cfg.username.as_ref().filter(|u| !u.is_empty()) {
            builder = builder.credentials(Credentials::new(
                username.clone(),
                cfg.password.clone().unwrap_or_default(),
            ));
        }
        Ok(Self {
            host,
            port: cfg.port,
            timeout,
            from,
            builder,
            transport: Mutex::new(None),
        })
    }

    fn transport(&self) -> Arc<Transport> {
        // The guarded value is only ever replaced whole, so a poisoned lock still holds a
        // consistent value.
        let mut slot = self
            .transport
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        Arc::clone(slot.get_or_insert_with(|| Arc::new(self.builder.clone().build())))
    }

    /// Drops the pool `used`, unless another send already replaced it.
    fn discard(&self, used: &Arc<Transport>) {
        let mut slot = self
            .transport
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if slot.as_ref().is_some_and(|t| Arc::ptr_eq(t, used)) {
            *slot = None;
        }
    }

    fn fail(&self, to: &str, error: MailError, hint: &str) -> MailError {
        tracing::warn!(
            smtp.host = %self.host,
            smtp.port = self.port,
            to,
            %error,
            hint,
            "mail not sent"
        );
        error
    }
}

impl fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The lettre builder holds the credentials, so it is left out.
        f.debug_struct("SmtpMailer")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("timeout", &self.timeout)
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, mail: &OutgoingMail) -> Result<(), MailError> {
        let msg = match message::build(&self.from, mail) {
            Ok(msg) => msg,
            Err(e) => {
                return Err(self.fail(
                    &mail.to,
                    e,
                    "the message itself is unusable; it will not be retried",
                ));
            }
        };
        let transport = self.transport();
        // lettre bounds only the TCP connect; a server that accepts and then stays silent would
        // hold this send, and the dispatcher behind it, forever.
        match tokio::time::timeout(self.timeout, transport.send(msg)).await {
            Ok(Ok(_)) => {
                tracing::debug!(to = %mail.to, "mail sent over SMTP");
                Ok(())
            }
            Ok(Err(e)) => {
                let (error, hint) = classify(&e, &self.host, self.port, self.timeout);
                Err(self.fail(&mail.to, error, &hint))
            }
            Err(_elapsed) => {
                // The abandoned connection may still owe a reply; a fresh pool keeps a late
                // answer from being read as the reply to the next message's commands.
                self.discard(&transport);
                let error = MailError::Temporary(format!(
                    "no complete SMTP exchange with {}:{} within {}s",
                    self.host,
                    self.port,
                    self.timeout.as_secs()
                ));
                let hint = format!(
                    "SMTP server {}:{} stopped answering: is it overloaded, or is mail.smtp.tls wrong for this port?",
                    self.host, self.port
                );
                Err(self.fail(&mail.to, error, &hint))
            }
        }
    }
}

/// Decides whether waiting can help, and what an operator should look at.
///
/// Anything that an operator can fix (server down, wrong port or TLS mode, refused login) is
/// temporary, so the mail waits in the outbox instead of being lost; only a rejection of this
/// particular message or recipient is permanent.
fn classify(
    err: &lettre::transport::smtp::Error,
    host: &str,
    port: u16,
    timeout: Duration,
) -> (MailError, String) {
    if let Some(code) = err.status() {
        let code = u16::from(code);
        // lettre's own text calls every 5xx "permanent error", which reads wrong next to the
        // temporary ones below; the server's reply is what an operator needs.
        let reply = err.source().map(|s| format!(" {s}")).unwrap_or_default();
        let detail = format!("{host}:{port} replied {code}{reply}");
        return match code {
            400..=499 => (
                MailError::Temporary(detail),
                format!("SMTP server {host}:{port} deferred the message ({code}); it will be retried"),
            ),
            535 => (
                MailError::Temporary(detail),
                "SMTP login refused (535): if this is Gmail, use an app password (Google Account → Security → App passwords), not the account password".to_owned(),
            ),
            530 => (
                MailError::Temporary(detail),
                "SMTP server requires a login (530): set mail.smtp.username and mail.smtp.password".to_owned(),
            ),
            534 | 538 => (
                MailError::Temporary(detail),
                format!("SMTP server refused the login method ({code}): use mail.smtp.tls = starttls or tls"),
            ),
            // Unknown or unimplemented commands point at a server/settings mismatch, not at
            // the message.
            500 | 502 | 504 => (
                MailError::Temporary(detail),
                format!("SMTP server {host}:{port} did not understand a command ({code}): check mail.smtp.tls and whether it supports AUTH"),
            ),
            _ => (
                MailError::Permanent(detail),
                format!("SMTP server rejected the recipient or message ({code}); it will not be retried. If every message fails this way, check that mail.from may send through this server"),
            ),
        };
    }
    let detail = err.to_string();
    let hint = if io_error_kind(err) == Some(std::io::ErrorKind::ConnectionRefused) {
        format!(
            "SMTP server {host}:{port} is not reachable: is it running, and are host/port/TLS right?"
        )
    } else if err.is_timeout() {
        format!(
            "SMTP server {host}:{port} did not accept a connection within {}s: check host, port and firewall",
            timeout.as_secs()
        )
    } else if err.is_tls() {
        format!(
            "TLS with {host}:{port} failed: check mail.smtp.tls (port 465 usually wants tls, 587 starttls)"
        )
    } else if detail.contains("authentication mechanism") {
        format!(
            "SMTP server {host}:{port} offers no login method for the configured credentials: does it need mail.smtp.tls = starttls?"
        )
    } else {
        format!("talking to SMTP server {host}:{port} failed: check mail.smtp.host, port and tls")
    };
    (MailError::Temporary(detail), hint)
}

fn io_error_kind(err: &lettre::transport::smtp::Error) -> Option<std::io::ErrorKind> {
    let mut source = err.source();
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            return Some(io.kind());
        }
        source = e.source();
    }
    None
}
